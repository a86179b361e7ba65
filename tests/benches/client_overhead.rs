//! The generated client's overhead over a raw reqwest call doing the same request: a GET
//! with a path parameter, bearer auth, `Accept` and a user agent, answered by a local axum
//! server with a `FileObject` that is decoded into the same type.
//!
//! `cargo bench -p codegen-tests --bench client_overhead` runs both in interleaved
//! rounds (the order alternating) and prints the median time per request of each, the
//! median of the per-round ratios (paired, so load that drifts between rounds cancels),
//! the ratio of the fastest rounds, and the ratio of the CPU time the process spent on
//! each side (the steadiest figure on a shared machine). Bounded: ROUNDS × BATCH
//! requests per side, loopback only.
//!
//! For instruction counts, `CLIENT_OVERHEAD_ONLY=raw|client CLIENT_OVERHEAD_REQUESTS=N`
//! makes only N requests of one side after the warm-up; under
//! `valgrind --tool=callgrind` the difference between two values of N divided by their
//! difference is the instructions per request (client and server threads).
//! `CLIENT_OVERHEAD_CALIBRATE=1` runs raw reqwest on both sides: the ratios it prints
//! are the noise floor of the machine at that moment.

use axum::routing::get;
use axum::Router;
use maniac_api::client::Client;
use maniac_api::models::FileObject;
use std::time::{Duration, Instant};

const ROUNDS: usize = 81;
const BATCH: usize = 200;
const KEY: &str = "sk-bench";

fn file_object() -> String {
    serde_json::json!({
        "id": "5f0c8a3e-2b1d-4c6e-9f7a-1b2c3d4e5f60", "object": "file", "bytes": 48213,
        "created_at": 1767225600, "filename": "train.jsonl", "purpose": "fine-tune",
        "status": "processed", "status_details": null
    })
    .to_string()
}

async fn raw(http: &reqwest::Client, base: &str, id: &str) -> FileObject {
    let response = http
        .get(format!("{base}/v1/files/{id}"))
        .bearer_auth(KEY)
        .header("accept", "application/json")
        .header("user-agent", "bench")
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let body = response.bytes().await.unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// CPU time of every thread of this process (client and server), from the scheduler's
/// per-thread counters: load from other processes delays a round but does not add to it.
fn process_cpu() -> Duration {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        if let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) {
            total += stat
                .split_whitespace()
                .next()
                .unwrap_or("0")
                .parse::<u64>()
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let body = file_object();
        let router = Router::new().route(
            "/v1/files/{file_id}",
            get(move || {
                let body = body.clone();
                async move { ([("content-type", "application/json")], body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

        let http = reqwest::Client::new();
        // The same connection pool for both, so only the client's own work differs.
        let client = Client::builder()
            .base_url(&base)
            .api_key_auth(KEY)
            .user_agent("bench")
            .http_client(http.clone())
            .build()
            .unwrap();
        let id = "5f0c8a3e-2b1d-4c6e-9f7a-1b2c3d4e5f60";
        // Warm-up: connections, allocator, caches.
        for _ in 0..BATCH {
            raw(&http, &base, id).await;
            client.files_retrieve(id).await.unwrap();
        }
        if let Ok(side) = std::env::var("CLIENT_OVERHEAD_ONLY") {
            let requests: usize = std::env::var("CLIENT_OVERHEAD_REQUESTS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(BATCH);
            for _ in 0..requests {
                match side.as_str() {
                    "raw" => drop(std::hint::black_box(raw(&http, &base, id).await)),
                    "client" => drop(std::hint::black_box(
                        client.files_retrieve(id).await.unwrap(),
                    )),
                    other => panic!("CLIENT_OVERHEAD_ONLY is `raw` or `client`, not `{other}`"),
                }
            }
            return;
        }
        let calibrate = std::env::var_os("CLIENT_OVERHEAD_CALIBRATE").is_some();
        let (mut raw_times, mut client_times) = (Vec::new(), Vec::new());
        let (mut raw_cpu, mut client_cpu) = (Duration::ZERO, Duration::ZERO);
        for round in 0..ROUNDS {
            // Alternate which side goes first, so drift favours neither.
            for side in [round % 2, 1 - round % 2] {
                let cpu = process_cpu();
                let start = Instant::now();
                for _ in 0..BATCH {
                    if side == 0 || calibrate {
                        std::hint::black_box(raw(&http, &base, id).await);
                    } else {
                        std::hint::black_box(client.files_retrieve(id).await.unwrap());
                    }
                }
                let per_request = start.elapsed() / BATCH as u32;
                let used = process_cpu().saturating_sub(cpu);
                if side == 0 {
                    raw_times.push(per_request);
                    raw_cpu += used;
                } else {
                    client_times.push(per_request);
                    client_cpu += used;
                }
            }
        }
        let ratios: Vec<f64> = raw_times
            .iter()
            .zip(&client_times)
            .map(|(raw, generated)| generated.as_secs_f64() / raw.as_secs_f64())
            .collect();
        let mut sorted = ratios.clone();
        sorted.sort_by(f64::total_cmp);
        let paired = sorted[sorted.len() / 2];
        let fastest = client_times.iter().min().unwrap().as_secs_f64()
            / raw_times.iter().min().unwrap().as_secs_f64();
        let (raw, generated) = (median(raw_times), median(client_times));
        println!(
            "raw reqwest:      {:>7.1} µs/request (median of {ROUNDS} rounds of {BATCH})",
            raw.as_secs_f64() * 1e6
        );
        println!(
            "generated client: {:>7.1} µs/request",
            generated.as_secs_f64() * 1e6
        );
        println!(
            "ratio, median of per-round ratios: {paired:.3} ({:+.1} % time)",
            (paired - 1.0) * 100.0
        );
        println!(
            "ratio of the fastest rounds:       {fastest:.3} ({:+.1} % time)",
            (fastest - 1.0) * 100.0
        );
        let requests = (ROUNDS * BATCH) as f64;
        let cpu_ratio = client_cpu.as_secs_f64() / raw_cpu.as_secs_f64();
        println!(
            "CPU time (client + server threads): raw {:.1} µs, generated {:.1} µs per request; \
             ratio {cpu_ratio:.3} ({:+.1} %)",
            raw_cpu.as_secs_f64() * 1e6 / requests,
            client_cpu.as_secs_f64() * 1e6 / requests,
            (cpu_ratio - 1.0) * 100.0
        );
    });
}
