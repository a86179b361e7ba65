//! A 100 MB upload and download through the generated client over 127.0.0.1, with the
//! process's peak resident memory measured around each: both stream, so the peak grows by
//! far less than the payload. Its own test binary, so no other test shares the process.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use maniac_api::client::{Client, FilesCreateForm, Upload};
use serde_json::json;

const SIZE: usize = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// Well below the payload: what "not loaded whole" allows for buffers, both ends included.
const MAX_PEAK_GROWTH: u64 = 40 * 1024 * 1024;

/// The payload repeats 0..251, a period no chunk size divides; this holds one chunk's
/// worth from every phase, so any window of the payload is a slice of it.
fn pattern() -> &'static [u8] {
    static PATTERN: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| (0..CHUNK + 251).map(|i| (i % 251) as u8).collect())
}

/// The payload's `len` bytes from `offset`.
fn window(offset: usize, len: usize) -> &'static [u8] {
    &pattern()[offset % 251..offset % 251 + len]
}

fn chunk_at(offset: usize) -> Bytes {
    Bytes::from_static(window(offset, CHUNK.min(SIZE - offset)))
}

/// Checks a stream of chunks against the payload without keeping it (memcmp per chunk).
#[derive(Default)]
struct Check {
    received: usize,
    mismatches: usize,
}

impl Check {
    fn update(&mut self, chunk: &[u8]) {
        // Compared in pieces of at most one pattern window.
        for (i, piece) in chunk.chunks(CHUNK).enumerate() {
            let offset = self.received + i * CHUNK;
            if offset + piece.len() > SIZE || piece != window(offset, piece.len()) {
                self.mismatches += 1;
            }
        }
        self.received += chunk.len();
    }
}

/// Peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Resets the peak to the current resident size (Linux `clear_refs` value 5).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

async fn receive(mut multipart: Multipart) -> impl IntoResponse {
    let mut check = Check::default();
    while let Some(mut field) = multipart.next_field().await.unwrap() {
        if field.name() == Some("file") {
            while let Some(chunk) = field.chunk().await.unwrap() {
                check.update(&chunk);
            }
        }
    }
    axum::Json(json!({
        "id": format!("mismatches:{}", check.mismatches), "object": "file", "bytes": check.received,
        "created_at": 0, "filename": "big.bin", "purpose": "fine-tune", "status": "uploaded"
    }))
}

async fn send() -> impl IntoResponse {
    let chunks = futures_util::stream::unfold(0usize, |offset| async move {
        (offset < SIZE).then(|| {
            let chunk = chunk_at(offset);
            let next = offset + chunk.len();
            (Ok::<_, std::convert::Infallible>(chunk), next)
        })
    });
    (
        [("content-type", "application/octet-stream")],
        Body::from_stream(chunks),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabytes_up_and_down_in_bounded_memory() {
    let router = Router::new()
        .route("/v1/files", post(receive))
        .route("/v1/files/{file_id}/content", get(send))
        .layer(DefaultBodyLimit::disable());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = Client::new(&base).unwrap();

    let dir = std::env::temp_dir().join(format!("client-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("upload.bin");
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
        let mut offset = 0;
        while offset < SIZE {
            let chunk = chunk_at(offset);
            file.write_all(&chunk).unwrap();
            offset += chunk.len();
        }
    }

    // Upload from a path.
    reset_peak();
    let before = peak_rss();
    let made = client
        .files_create(FilesCreateForm {
            file: Upload::from_path(&source),
            purpose: "fine-tune".into(),
        })
        .await
        .unwrap();
    let upload_growth = peak_rss().saturating_sub(before);
    assert_eq!(made.bytes, SIZE as i64);
    assert_eq!(made.id, "mismatches:0", "the server received the payload");

    // Download as a stream.
    reset_peak();
    let before = peak_rss();
    let mut stream = client.files_content("big").await.unwrap().into_inner();
    let mut check = Check::default();
    while let Some(chunk) = stream.next().await {
        check.update(&chunk.unwrap());
    }
    let download_growth = peak_rss().saturating_sub(before);
    assert_eq!((check.received, check.mismatches), (SIZE, 0));

    // Download to a path.
    reset_peak();
    let before = peak_rss();
    let target = dir.join("download.bin");
    let written = client
        .files_content("big")
        .await
        .unwrap()
        .into_inner()
        .write_to(&target)
        .await
        .unwrap();
    let write_growth = peak_rss().saturating_sub(before);
    assert_eq!(written, SIZE as u64);
    assert_eq!(std::fs::metadata(&target).unwrap().len(), SIZE as u64);
    {
        use std::io::Read;
        let mut file = std::fs::File::open(&target).unwrap();
        let mut check = Check::default();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            check.update(&buf[..n]);
        }
        assert_eq!((check.received, check.mismatches), (SIZE, 0));
    }
    std::fs::remove_dir_all(&dir).unwrap();

    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "peak RSS growth for 100 MiB: upload {:.1} MiB, streamed download {:.1} MiB, download to file {:.1} MiB",
        mib(upload_growth),
        mib(download_growth),
        mib(write_growth)
    );
    for (what, growth) in [
        ("upload", upload_growth),
        ("download", download_growth),
        ("download to file", write_growth),
    ] {
        assert!(
            growth < MAX_PEAK_GROWTH,
            "{what}: peak grew by {:.1} MiB",
            mib(growth)
        );
    }
}
