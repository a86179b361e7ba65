//! Load on the Maniac mock served by `Serve`, in a process of its own (this binary run
//! again, `shared/server_process.rs`), from clients on 127.0.0.1: latency p50 and p99 and the server's resident
//! memory at 1, 64 and 512 concurrent clients, for a list call (`GET /v1/models`) and a chat
//! call (`POST /v1/chat/completions`). `cargo bench -p codegen-tests --bench load`. Bounded:
//! a fixed number of requests per step. Numbers, not assertions (docs/performance.md).

#[path = "shared/server_process.rs"]
mod server_process;

use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "bench-key";
const REQUESTS_PER_STEP: usize = 20_000;

fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        let mock = maniac_api::server::mock::Mock {
            api_key: Some(KEY.into()),
        };
        maniac_api::server::Serve::new()
            .run(listener, maniac_api::server::router(Arc::new(mock)))
            .await
            .unwrap();
    });
}

/// The server's resident and peak resident memory, in MiB.
fn memory(server: &Child) -> (f64, f64) {
    let mib = |key| server_process::status_kib(server.id(), key) as f64 / 1024.0;
    (mib("VmRSS"), mib("VmHWM"))
}

async fn step(
    http: &reqwest::Client,
    base: &str,
    chat: bool,
    clients: usize,
) -> (Duration, Duration, f64) {
    let per_client = REQUESTS_PER_STEP / clients;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let http = http.clone();
            let base = base.to_owned();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let request = if chat {
                        http.post(format!("{base}/v1/chat/completions"))
                            .json(&serde_json::json!({
                                "model": "openai/gpt-4o",
                                "messages": [{"role": "user", "content": "Hello!"}]
                            }))
                    } else {
                        http.get(format!("{base}/v1/models"))
                    };
                    let sent = Instant::now();
                    let response = request.bearer_auth(KEY).send().await.unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(REQUESTS_PER_STEP);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    (at(0.50), at(0.99), latencies.len() as f64 / elapsed)
}

fn main() {
    if server_process::is_child() {
        return serve();
    }
    let (mut server, listening) = server_process::start();
    let base = format!("http://{listening}");
    let (rss, _) = memory(&server);
    println!("server idle: RSS {rss:.1} MiB");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        // Warm up both calls.
        step(&http, &base, false, 8).await;
        step(&http, &base, true, 8).await;
        println!("| call | clients | p50 | p99 | req/s | server RSS after (peak) |");
        println!("|---|---|---|---|---|---|");
        for chat in [false, true] {
            for clients in [1, 64, 512] {
                let (p50, p99, rate) = step(&http, &base, chat, clients).await;
                let (rss, peak) = memory(&server);
                println!(
                    "| {} | {clients} | {:.2} ms | {:.2} ms | {rate:.0} | {rss:.1} MiB ({peak:.1} MiB) |",
                    if chat { "chat" } else { "list" },
                    p50.as_secs_f64() * 1e3,
                    p99.as_secs_f64() * 1e3,
                );
            }
        }
    });
    let _ = server.kill();
    let _ = server.wait();
}
