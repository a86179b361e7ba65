//! How much a server's memory grows while it takes large multipart uploads whose file part
//! comes first (before `purpose`): the generated Maniac server, in a child process, takes
//! `UPLOAD_MEMORY_COUNT` (4) concurrent uploads of `UPLOAD_MEMORY_MIB` (300) MiB each over
//! 127.0.0.1; its handler reads the file to the end. Printed: the child's resident memory
//! before (`VmRSS`), its peak (`VmHWM`) and the growth, against the bound of 64 MiB (exit
//! status 1 above it). `UPLOAD_MEMORY_FILE_LAST=1` sends `purpose` first. Linux only (`/proc`). Not part of the test suite (it sends 1.2 GB):
//! `cargo bench -p codegen-tests --bench upload_memory`, or in the dev profile
//! `cargo test -p codegen-tests --bench upload_memory`.

#[path = "shared/server_process.rs"]
mod server_process;

use maniac_api::models;
use maniac_api::server::*;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BOUND_MIB: u64 = 64;

struct Uploads;

impl ManiacApi for Uploads {
    type Claims = ();

    async fn authenticate(&self, _: Credential<'_>) -> Result<(), Rejection> {
        Ok(())
    }

    async fn files_create(
        &self,
        _ctx: RequestContext<()>,
        body: FilesCreateForm,
    ) -> FilesCreateResponse {
        use futures_util::StreamExt;
        let filename = body.file.file_name.clone().unwrap_or_default();
        let mut file = body.file;
        let mut size = 0u64;
        // A checksum of every byte, so the test sees the contents arrive intact.
        let mut sum = 0u64;
        while let Some(chunk) = file.next().await {
            let Ok(chunk) = chunk else {
                return FilesCreateResponse::not_implemented();
            };
            size += chunk.len() as u64;
            sum = chunk.iter().fold(sum, |s, b| s.wrapping_add(u64::from(*b)));
        }
        FilesCreateResponse::Ok(models::FileObject {
            id: format!("file-{sum}"),
            bytes: size as i64,
            filename,
            purpose: body.purpose,
            status: "uploaded".into(),
            ..Default::default()
        })
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One upload over a raw connection: the answer's status line and body, and the sum of
/// the file's bytes.
async fn upload(port: u16, size: u64, file_last: bool) -> (String, u64) {
    let boundary = "upload-memory-boundary";
    let purpose = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
    );
    let file = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let (head, tail) = if file_last {
        (
            format!("{purpose}{file}"),
            format!("\r\n--{boundary}--\r\n"),
        )
    } else {
        (file, format!("\r\n{purpose}--{boundary}--\r\n"))
    };
    let length = head.len() as u64 + size + tail.len() as u64;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!(
        "POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Bytes 0..=250 repeated: no CR/LF pair followed by `--`, so no false boundary.
    let block: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let mut sum = 0u64;
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        stream.write_all(&block[..n]).await.unwrap();
        sum = block[..n]
            .iter()
            .fold(sum, |s, b| s.wrapping_add(u64::from(*b)));
        left -= n as u64;
    }
    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    (answer, sum)
}

fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        axum::serve(listener, router(Arc::new(Uploads)))
            .await
            .unwrap();
    });
}

fn main() {
    if server_process::is_child() {
        return serve();
    }
    let count = env_or("UPLOAD_MEMORY_COUNT", 4);
    let mib = env_or("UPLOAD_MEMORY_MIB", 300);
    let file_last = std::env::var_os("UPLOAD_MEMORY_FILE_LAST").is_some();
    let (mut child, line) = server_process::start();
    let port: u16 = line.parse().expect("the server prints its port");
    let pid = child.id();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        // One small upload first, so what the first request allocates once is in the baseline.
        let (answer, _) = upload(port, 1024, file_last).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let before = server_process::status_kib(pid, "VmRSS");
        let started = std::time::Instant::now();
        let uploads: Vec<_> = (0..count)
            .map(|_| tokio::spawn(upload(port, mib * 1024 * 1024, file_last)))
            .collect();
        let mut results = Vec::new();
        for upload in uploads {
            results.push(upload.await.unwrap());
        }
        let peak = server_process::status_kib(pid, "VmHWM");
        (before, peak, started.elapsed(), results)
    });
    let _ = child.kill();
    let _ = child.wait();
    let (before, peak, elapsed, answers) = results;
    for (answer, sum) in &answers {
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let size = format!("\"bytes\":{}", mib * 1024 * 1024);
        assert!(answer.contains(&size), "{answer}");
        assert!(
            answer.contains(&format!("\"id\":\"file-{sum}\"")),
            "{answer}"
        );
    }
    let growth = peak.saturating_sub(before);
    println!(
        "{count} concurrent uploads of {mib} MiB, file {}, in {:.1} s: server VmRSS before \
         {} MiB, VmHWM {} MiB, growth {} MiB (bound {BOUND_MIB} MiB)",
        if file_last { "last" } else { "first" },
        elapsed.as_secs_f64(),
        before / 1024,
        peak / 1024,
        growth / 1024,
    );
    if growth / 1024 >= BOUND_MIB {
        println!("over the bound");
        std::process::exit(1);
    }
}
