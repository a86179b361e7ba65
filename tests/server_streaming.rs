//! A 100 MB upload and a 100 MB download through the generated router over HTTP, streamed
//! with bounded memory. A test binary of its own, so no other test moves the peak.

use bytes::Bytes;
use futures_util::StreamExt;
use maniac_api::server::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const SIZE: u64 = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
static FILLER: [u8; CHUNK] = [b'x'; CHUNK];

/// 100 MB as 64 KiB chunks of one static buffer: nothing is held in memory.
fn hundred_megabytes() -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::iter((0..SIZE / CHUNK as u64).map(|_| Ok(Bytes::from_static(&FILLER))))
}

/// Peak resident memory of this process so far, in bytes (Linux `VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[derive(Default)]
struct Files {
    received: AtomicU64,
}

impl ManiacApi for Files {
    type Claims = ();

    async fn authenticate(&self, _: Credential<'_>) -> Result<(), Rejection> {
        Ok(())
    }

    async fn files_create(
        &self,
        _ctx: RequestContext<()>,
        body: FilesCreateForm,
    ) -> FilesCreateResponse {
        let mut file = body.file;
        let mut total = 0;
        while let Some(chunk) = file.next().await {
            match chunk {
                Ok(chunk) => total += chunk.len() as u64,
                Err(_) => return FilesCreateResponse::not_implemented(),
            }
        }
        self.received.store(total, Ordering::SeqCst);
        FilesCreateResponse::Ok(
            serde_json::from_value(serde_json::json!({
                "id": "f1", "object": "file", "bytes": total, "created_at": 0,
                "filename": "big.bin", "purpose": body.purpose, "status": "uploaded"
            }))
            .unwrap(),
        )
    }

    async fn files_content(
        &self,
        _ctx: RequestContext<()>,
        _file_id: String,
    ) -> FilesContentResponse {
        FilesContentResponse::Ok(Binary::from_stream(hundred_megabytes(), Some(SIZE)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabytes_up_and_down_with_bounded_memory() {
    let api = Arc::new(Files::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_api = api.clone();
    tokio::spawn(async move { axum::serve(listener, router(server_api)).await.unwrap() });
    let http = reqwest::Client::new();
    let before = peak_rss();

    // Upload: a streamed multipart part, read by the handler chunk by chunk.
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(hundred_megabytes()),
        SIZE,
    )
    .file_name("big.bin");
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part("file", part);
    let response = http
        .post(format!("http://{addr}/v1/files"))
        .bearer_auth("k")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(api.received.load(Ordering::SeqCst), SIZE);

    // Download: a streamed body with its length, read chunk by chunk.
    let response = http
        .get(format!("http://{addr}/v1/files/f1/content"))
        .bearer_auth("k")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(
        response.headers()["content-length"],
        SIZE.to_string().as_str()
    );
    let mut body = response.bytes_stream();
    let mut total = 0u64;
    while let Some(chunk) = body.next().await {
        total += chunk.unwrap().len() as u64;
    }
    assert_eq!(total, SIZE);

    let growth = peak_rss().saturating_sub(before);
    println!(
        "peak resident memory grew by {} KiB while moving 2 x 100 MiB",
        growth / 1024
    );
    // Buffering either direction would add 100 MiB; streaming stays within socket buffers.
    assert!(growth < 20 * 1024 * 1024, "peak grew by {growth} bytes");
}
