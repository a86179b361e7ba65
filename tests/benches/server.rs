//! Requests per second through the generated router vs a hand-written axum router doing the
//! same work (bearer check, request id, JSON body parsed and validated, JSON answer), in one
//! run, as a ratio; and allocations per request for each. `cargo bench -p codegen-tests
//! --bench server`. Bounded: a fixed number of requests per round.
//!
//! `SERVER_BENCH_ONLY=generated|hand-written N` sends only N requests in process to one
//! side and exits, for instruction counts under `valgrind --tool=callgrind` (two runs with
//! different N, subtracted, give the cost of one request without the setup).

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use maniac_api::models;
use maniac_api::server::*;
use maniac_api::validate::Validate;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// Counts allocations, to report allocations per request, and the bytes held (and their
/// peak), to report what a rejection costs in memory.
struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static HELD: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn hold(bytes: usize) {
    let held = HELD.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
    PEAK.fetch_max(held, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        hold(layout.size());
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        HELD.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        hold(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

/// What parsing a 2 MiB chat body costs (best time of several, and the peak bytes held
/// above what was held before) when accepted and when one field after a 500,000-item
/// array has the wrong type: the 422 path should cost no more than about twice as much.
fn rejection_cost() {
    let models = vec!["a"; 500_000];
    let accepted = serde_json::to_vec(&serde_json::json!({
        "model": "m", "messages": [{"role": "user", "content": "hi"}], "models": models,
    }))
    .unwrap();
    let mut rejected = accepted.clone();
    rejected.truncate(rejected.len() - 1);
    rejected.extend_from_slice(br#","temperature":"hot"}"#);
    let measure = |body: &[u8]| {
        let mut best = f64::MAX;
        let mut peak = 0;
        for _ in 0..5 {
            let before = HELD.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let start = Instant::now();
            let parsed = runtime::parse_json::<models::ChatReq>(body);
            best = best.min(start.elapsed().as_secs_f64());
            peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
            drop(parsed);
        }
        (best, peak as f64 / (1024.0 * 1024.0))
    };
    let (accept_time, accept_peak) = measure(&accepted);
    let (reject_time, reject_peak) = measure(&rejected);
    assert!(runtime::parse_json::<models::ChatReq>(&rejected).is_err());
    println!(
        "rejection cost ({:.1} MiB chat body): accepted {:.1} ms, peak {:.1} MiB; rejected (422) {:.1} ms, peak {:.1} MiB; ratios {:.2} (time), {:.2} (memory)",
        accepted.len() as f64 / (1024.0 * 1024.0),
        accept_time * 1e3,
        accept_peak,
        reject_time * 1e3,
        reject_peak,
        reject_time / accept_time,
        reject_peak / accept_peak
    );
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The answer both servers give.
fn created(body: models::CreateContainerReq) -> models::CreateContainerRes {
    models::CreateContainerRes {
        id: "container-1".into(),
        label: body.label,
        api: body.api,
        default_system_prompt: body.default_system_prompt,
        default_parameters: body.default_parameters,
        initial_model: Some(body.initial_model),
        ..Default::default()
    }
}

struct Generated;

impl ManiacApi for Generated {
    type Claims = ();

    async fn authenticate(&self, credential: Credential<'_>) -> Result<(), Rejection> {
        match credential.value {
            "bench-key" => Ok(()),
            _ => Err(Rejection::unauthorized("invalid API key")),
        }
    }

    async fn containers_create(
        &self,
        _ctx: RequestContext<()>,
        body: models::CreateContainerReq,
    ) -> ContainersCreateResponse {
        ContainersCreateResponse::Ok(created(body))
    }
}

/// What a careful hand-written axum handler does for the same operation.
async fn hand_written(request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let request_id = parts
        .headers
        .get("x-request-id")
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("req_hand"));
    let authorized = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some("bench-key");
    // As axum's own `Json` extractor does: a JSON body must say it is JSON.
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next() == Some("application/json"));
    let mut response = if !authorized {
        (StatusCode::UNAUTHORIZED, "{}").into_response()
    } else if !json {
        StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response()
    } else {
        match axum::body::to_bytes(body, 2 * 1024 * 1024).await {
            Err(_) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            Ok(bytes) => match serde_json::from_slice::<models::CreateContainerReq>(&bytes) {
                Err(_) => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
                Ok(body) if body.validate().is_err() => {
                    StatusCode::UNPROCESSABLE_ENTITY.into_response()
                }
                Ok(body) => match serde_json::to_vec(&created(body)) {
                    Ok(json) => (
                        [(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        )],
                        json,
                    )
                        .into_response(),
                    Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                },
            },
        }
    };
    response.headers_mut().insert("x-request-id", request_id);
    response
}

const BODY: &str = r#"{"label":"my-container","initial_model":"openai/gpt-4o","api":"chat.completions","default_system_prompt":"You are a support assistant.","default_parameters":{"temperature":0.2,"max_tokens":512}}"#;

fn request() -> Request<Body> {
    Request::post("/v1/containers")
        .header("authorization", "Bearer bench-key")
        .header("content-type", "application/json")
        .header("x-request-id", "bench-1")
        .body(Body::from(BODY))
        .unwrap()
}

/// Requests per second and allocations per request, in process (no sockets).
async fn round(router: &axum::Router, requests: u64) -> (f64, f64) {
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let started = Instant::now();
    for _ in 0..requests {
        let response = router.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let _ = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
    (
        requests as f64 / seconds,
        allocated as f64 / requests as f64,
    )
}

/// Requests per second over HTTP on 127.0.0.1, `concurrency` connections at once.
async fn http_round(url: &str, requests: u64, concurrency: u64) -> f64 {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            tokio::spawn(async move {
                for _ in 0..requests / concurrency {
                    let response = client
                        .post(&url)
                        .header("authorization", "Bearer bench-key")
                        .header("content-type", "application/json")
                        .body(BODY)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                    let _ = response.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    requests as f64 / started.elapsed().as_secs_f64()
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/v1/containers")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let generated = router(Arc::new(Generated));
        let hand = axum::Router::new().route("/v1/containers", axum::routing::post(hand_written));

        if let Ok(only) = std::env::var("SERVER_BENCH_ONLY") {
            let (side, count) = only.split_once(' ').expect("SERVER_BENCH_ONLY=<side> <count>");
            let count: u64 = count.parse().expect("a request count");
            let router = match side {
                "generated" => &generated,
                "hand-written" => &hand,
                other => panic!("unknown side `{other}` (generated or hand-written)"),
            };
            let (_, allocations) = round(router, count).await;
            println!("{side}: {count} requests, {allocations:.1} allocations/request");
            return;
        }

        rejection_cost();

        // Warm up, then many short rounds alternating, so load from other processes hits
        // both alike; the best round of each is the least disturbed.
        round(&generated, 2_000).await;
        round(&hand, 2_000).await;
        let (mut generated_best, mut hand_best) = ((0.0, 0.0), (0.0, 0.0));
        for _ in 0..40 {
            let g = round(&generated, 2_000).await;
            let h = round(&hand, 2_000).await;
            if g.0 > generated_best.0 {
                generated_best = g;
            }
            if h.0 > hand_best.0 {
                hand_best = h;
            }
        }
        println!(
            "in process: generated {:.0} req/s ({:.1} allocations/request), hand-written {:.0} req/s ({:.1} allocations/request), ratio {:.3}",
            generated_best.0, generated_best.1, hand_best.0, hand_best.1, generated_best.0 / hand_best.0
        );

        let generated_url = serve(generated).await;
        let hand_url = serve(hand).await;
        http_round(&generated_url, 2_000, 8).await;
        http_round(&hand_url, 2_000, 8).await;
        let (mut g_best, mut h_best) = (0.0f64, 0.0f64);
        for _ in 0..10 {
            g_best = g_best.max(http_round(&generated_url, 2_000, 8).await);
            h_best = h_best.max(http_round(&hand_url, 2_000, 8).await);
        }
        println!(
            "over HTTP (127.0.0.1, 8 connections): generated {g_best:.0} req/s, hand-written {h_best:.0} req/s, ratio {:.3}",
            g_best / h_best
        );
    });
}
