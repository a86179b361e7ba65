//! The generated client over real HTTP on 127.0.0.1: error kinds, retries, timeouts,
//! Server-Sent Events, uploads and downloads, pagination, parameter encoding and
//! credential redaction. Servers are small axum apps bound to loopback.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use maniac_api::client::{Client, Error, ErrorKind, FilesCreateForm, FilesListParams, Upload};
use maniac_api::models::{ChatReq, Message};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-secret-0123456789";

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn client(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .api_key_auth(KEY)
        .build()
        .unwrap()
}

fn envelope(code: &str) -> Value {
    json!({"error": {"code": code, "message": format!("{code} happened"), "details": null}})
}

fn file_object(id: &str, bytes: usize) -> Value {
    json!({
        "id": id, "object": "file", "bytes": bytes, "created_at": 1767225600,
        "filename": "train.jsonl", "purpose": "fine-tune", "status": "processed"
    })
}

fn json_response(status: u16, body: &Value) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response();
    response
        .headers_mut()
        .insert("x-request-id", format!("req-{status}").parse().unwrap());
    response
}

// ------------------------------------------------------------------------ errors

/// Each documented error status → its kind, envelope parsed, request id and headers kept.
#[tokio::test]
async fn every_documented_error_status_maps_to_its_kind() {
    let router = Router::new().route(
        "/v1/files/{file_id}",
        get(
            |axum::extract::Path(id): axum::extract::Path<String>| async move {
                match id.parse::<u16>() {
                    Ok(status) => json_response(status, &envelope(&format!("code_{status}"))),
                    Err(_) => (StatusCode::IM_A_TEAPOT, "plain words, not JSON").into_response(),
                }
            },
        ),
    );
    let base = serve(router).await;
    // No retries: this test is about mapping, not the retry loop.
    let client = Client::builder()
        .base_url(&base)
        .max_retries(0)
        .build()
        .unwrap();
    let kinds = [
        (400, ErrorKind::BadRequest, false),
        (401, ErrorKind::Unauthorized, false),
        (402, ErrorKind::PaymentRequired, false),
        (403, ErrorKind::Forbidden, false),
        (404, ErrorKind::NotFound, false),
        (408, ErrorKind::Other, true),
        (409, ErrorKind::Conflict, true),
        (422, ErrorKind::UnprocessableEntity, false),
        (429, ErrorKind::RateLimited, true),
        (500, ErrorKind::InternalServer, true),
        (501, ErrorKind::NotImplemented, true),
        (502, ErrorKind::Other, true),
        (503, ErrorKind::ServiceUnavailable, true),
    ];
    // Every error status the document lists is in the table.
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"))
        .unwrap();
    let api = codegen::load(&spec).unwrap();
    for op in &api.operations {
        for response in &op.responses {
            if let codegen::ir::Status::Code(code @ 400..) = response.status {
                assert!(
                    kinds.iter().any(|(status, ..)| *status == code),
                    "{} documents {code}, which this test does not cover",
                    op.id
                );
            }
        }
    }
    for (status, kind, retryable) in kinds {
        let error = client
            .files_retrieve(&status.to_string())
            .await
            .expect_err("an error status");
        assert_eq!(error.kind(), Some(kind), "{status}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.is_retryable(), retryable, "{status}");
        assert_eq!(error.request_id(), Some(format!("req-{status}").as_str()));
        let envelope = error.envelope().expect("the envelope parses");
        assert_eq!(envelope.error.code, format!("code_{status}"));
        assert_eq!(envelope.error.message, format!("code_{status} happened"));
        assert_eq!(error.headers().unwrap()["content-type"], "application/json");
        assert!(error.to_string().contains(&format!("req-{status}")));
    }
    // A body that is not the envelope is kept raw.
    let error = client.files_retrieve("teapot").await.unwrap_err();
    let Error::Api(api_error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api_error.kind, ErrorKind::Other);
    assert!(api_error.envelope.is_none());
    assert_eq!(api_error.body, "plain words, not JSON");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn undecodable_success_body_is_a_decode_error_with_the_body_start() {
    let router = Router::new().route(
        "/v1/files/{file_id}",
        get(|| async { ([("x-request-id", "req-bad")], "<html>not json</html>") }),
    );
    let error = client(&serve(router).await)
        .files_retrieve("f")
        .await
        .unwrap_err();
    match &error {
        Error::Decode {
            status,
            body_start,
            request_id,
            ..
        } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(body_start, "<html>not json</html>");
            assert_eq!(request_id.as_deref(), Some("req-bad"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn success_exposes_status_headers_and_request_id() {
    let router = Router::new().route(
        "/v1/files/{file_id}",
        get(|| async { json_response(200, &file_object("f-1", 3)) }),
    );
    let response = client(&serve(router).await)
        .files_retrieve("f-1")
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.request_id(), Some("req-200"));
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.id, "f-1"); // through Deref
    assert_eq!(response.into_inner().bytes, 3);
}

#[tokio::test]
async fn connection_refused_and_timeouts_are_their_own_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let refused = Client::builder()
        .base_url(format!("http://{addr}"))
        .max_retries(0)
        .build()
        .unwrap();
    let error = refused.files_retrieve("f").await.unwrap_err();
    assert!(matches!(error, Error::Connection(_)), "{error:?}");
    assert!(error.is_retryable());

    let router = Router::new().route(
        "/v1/files/{file_id}",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            json_response(200, &file_object("late", 0))
        }),
    );
    let slow = Client::builder()
        .base_url(serve(router).await)
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    let error = slow.files_retrieve("f").await.unwrap_err();
    assert!(matches!(error, Error::Timeout), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn invalid_settings_are_invalid_request_errors() {
    let error = Client::new("not a url").unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = Client::builder()
        .default_header("bad header", "x")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

// ------------------------------------------------------------------------ retries

/// A server answering `status` (with `headers`) to the first `failures` requests, then a
/// file object; it counts the requests.
/// Headers a test server adds to its failures.
type ExtraHeaders = &'static [(&'static str, &'static str)];

fn flaky(failures: usize, status: u16, headers: ExtraHeaders) -> (Router, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let handler = move || {
        let counter = counter.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n < failures {
                let mut response = json_response(status, &envelope("flaky"));
                for (name, value) in headers {
                    response.headers_mut().insert(*name, value.parse().unwrap());
                }
                response
            } else {
                json_response(200, &file_object("f", 0))
            }
        }
    };
    let router = Router::new()
        .route("/v1/files/{file_id}", get(handler.clone()))
        .route("/v1/files", post(handler));
    (router, hits)
}

const FAST_RETRY: &[(&str, &str)] = &[("retry-after-ms", "5")];

#[tokio::test]
async fn retries_twice_by_default_then_gives_up() {
    let (router, hits) = flaky(2, 503, FAST_RETRY);
    let client = client(&serve(router).await);
    client
        .files_retrieve("f")
        .await
        .expect("third attempt succeeds");
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    let (router, hits) = flaky(3, 503, FAST_RETRY);
    let error = client_for(&serve(router).await)
        .files_retrieve("f")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::ServiceUnavailable));
    assert_eq!(hits.load(Ordering::SeqCst), 3, "1 attempt + 2 retries");

    let (router, hits) = flaky(10, 500, FAST_RETRY);
    let client = Client::builder()
        .base_url(serve(router).await)
        .max_retries(5)
        .build()
        .unwrap();
    client.files_retrieve("f").await.unwrap_err();
    assert_eq!(hits.load(Ordering::SeqCst), 6);
}

fn client_for(base: &str) -> Client {
    client(base)
}

#[tokio::test]
async fn retries_408_409_429_and_5xx_never_other_4xx() {
    for status in [408, 409, 429, 500, 502, 503, 504] {
        let (router, hits) = flaky(1, status, FAST_RETRY);
        client(&serve(router).await)
            .files_retrieve("f")
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(hits.load(Ordering::SeqCst), 2, "{status} is retried once");
    }
    for status in [400, 401, 402, 403, 404, 422] {
        let (router, hits) = flaky(1, status, FAST_RETRY);
        let error = client(&serve(router).await)
            .files_retrieve("f")
            .await
            .unwrap_err();
        assert_eq!(error.status().unwrap().as_u16(), status);
        assert_eq!(hits.load(Ordering::SeqCst), 1, "{status} is not retried");
    }
    // The server's `x-should-retry` overrides the status rule both ways.
    let (router, hits) = flaky(1, 503, &[("x-should-retry", "false")]);
    client(&serve(router).await)
        .files_retrieve("f")
        .await
        .unwrap_err();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let (router, hits) = flaky(
        1,
        400,
        &[("x-should-retry", "true"), ("retry-after-ms", "5")],
    );
    client(&serve(router).await)
        .files_retrieve("f")
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

/// How long a call took against a server that fails once with 429 and `headers`.
async fn time_one_retry(headers: ExtraHeaders) -> Duration {
    let (router, hits) = flaky(1, 429, headers);
    let client = client(&serve(router).await);
    let start = Instant::now();
    client.files_retrieve("f").await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    start.elapsed()
}

/// Measured bounds, not exact sleeps: the delay the server asks for is waited (at least),
/// and a request above 60 s is replaced by the short backoff.
#[tokio::test]
async fn retry_after_is_honoured() {
    let cases: [(ExtraHeaders, u64, u64); 3] = [
        (&[("retry-after", "1")], 950, 5000),
        (&[("retry-after-ms", "300")], 290, 3000),
        // 120 s is above the 60 s cap: the first backoff (0.5 s less up to 25 %) is used.
        (&[("retry-after", "120")], 370, 5000),
    ];
    for (headers, at_least_ms, below_ms) in cases {
        let waited = time_one_retry(headers).await;
        assert!(
            waited >= Duration::from_millis(at_least_ms),
            "{headers:?}: waited {waited:?}"
        );
        assert!(
            waited < Duration::from_millis(below_ms),
            "{headers:?}: waited {waited:?}"
        );
    }
}

/// Connections closed before any response are retried with backoff (0.5 s, then 1 s,
/// each less up to 25 %), then the third attempt is answered.
#[tokio::test]
async fn connection_errors_are_retried_with_backoff() {
    let (base, hits) = raw_server(|n| if n < 2 { Answer::Closed } else { Answer::Whole }).await;
    let start = Instant::now();
    let file = client(&base).files_retrieve("f").await.unwrap();
    let waited = start.elapsed();
    assert_eq!(file.id, "whole");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    assert!(waited >= Duration::from_millis(1125), "waited {waited:?}");
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
}

/// An upload from a reader cannot be replayed, so it is sent once; from bytes or a path
/// it is retried.
#[tokio::test]
async fn streamed_uploads_are_not_retried() {
    let (router, hits) = flaky(1, 503, FAST_RETRY);
    let base = serve(router).await;
    let form = FilesCreateForm {
        file: Upload::from_reader(std::io::Cursor::new(vec![7u8; 1000])).file_name("r.bin"),
        purpose: "fine-tune".into(),
    };
    let error = client(&base).files_create(form).await.unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::ServiceUnavailable));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let (router, hits) = flaky(1, 503, FAST_RETRY);
    let form = FilesCreateForm {
        file: Upload::from_bytes(vec![7u8; 1000]).file_name("b.bin"),
        purpose: "fine-tune".into(),
    };
    client(&serve(router).await)
        .files_create(form)
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

// ------------------------------------------------------------------------ cut bodies, deadline

/// The case a server is asked to answer `files_retrieve` with.
#[derive(Clone, Copy)]
enum Answer {
    /// A `Content-Length` larger than the bytes sent before closing.
    ShortOfLength,
    /// A chunked body closed before its last (empty) chunk.
    UnfinishedChunks,
    /// The same as `ShortOfLength`, with status 400 and `x-should-retry: false`.
    ShortError,
    Whole,
    /// Reads the request and never answers (the socket stays open).
    Never,
    /// Closes the connection without reading or answering.
    Closed,
}

/// A raw loopback server (axum would not send a broken body) answering its `n`th
/// connection with `answer(n)`; it counts connections.
async fn raw_server(answer: fn(usize) -> Answer) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if let Answer::Closed = answer(n) {
                continue;
            }
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = file_object("whole", 1).to_string();
                let half = &body[..body.len() / 2];
                let head = |status: &str, extra: &str| {
                    format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-request-id: req-raw\r\n{extra}connection: close\r\n\r\n"
                    )
                };
                let length = format!("content-length: {}\r\n", body.len());
                let written = match answer(n) {
                    Answer::ShortOfLength => head("200 OK", &length) + half,
                    Answer::ShortError => {
                        head("400 Bad Request", &(length + "x-should-retry: false\r\n")) + half
                    }
                    Answer::UnfinishedChunks => {
                        head("200 OK", "transfer-encoding: chunked\r\n")
                            + &format!("{:x}\r\n{half}\r\n", half.len())
                    }
                    Answer::Whole => head("200 OK", &length) + &body,
                    Answer::Closed => return,
                    Answer::Never => {
                        // Held until the client gives up and closes.
                        while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                        return;
                    }
                };
                let _ = socket.write_all(written.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

/// `files_retrieve("f")` from `base` with `max_retries`.
async fn retrieve(base: String, max_retries: u32) -> Result<(), Error> {
    let client = Client::builder()
        .base_url(base)
        .max_retries(max_retries)
        .build()?;
    client.files_retrieve("f").await.map(drop)
}

/// A body shorter than its `Content-Length`, or a chunked body without its end, is a
/// connection error and retried, as the OpenAI SDKs treat httpx's incomplete reads;
/// whatever the status said (the response is not whole, so neither are its headers'
/// claims).
#[tokio::test]
async fn a_body_cut_short_is_a_connection_error_and_is_retried() {
    let (base, hits) = raw_server(|n| match n {
        0 => Answer::ShortOfLength,
        1 => Answer::UnfinishedChunks,
        _ => Answer::Whole,
    })
    .await;
    let file = client(&base).files_retrieve("f").await.unwrap();
    assert_eq!(file.id, "whole");
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    for answer in [|_| Answer::ShortOfLength, |_| Answer::UnfinishedChunks] {
        let (base, hits) = raw_server(answer).await;
        let error = retrieve(base, 1).await.unwrap_err();
        assert!(matches!(error, Error::Connection(_)), "{error:?}");
        assert!(error.is_retryable());
        assert_eq!(hits.load(Ordering::SeqCst), 2, "retried once: {error}");
    }

    let (base, hits) = raw_server(|_| Answer::ShortError).await;
    let error = retrieve(base, 0).await.unwrap_err();
    assert!(matches!(error, Error::Connection(_)), "{error:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// `Error::is_retryable` says yes exactly when the loop retries: the same outcome with
/// one retry allowed takes a second attempt or not.
#[tokio::test]
async fn is_retryable_is_what_the_loop_retries() {
    let cases: [(u16, ExtraHeaders); 6] = [
        (503, FAST_RETRY),
        (429, FAST_RETRY),
        (404, FAST_RETRY),
        (503, &[("x-should-retry", "false"), ("retry-after-ms", "5")]),
        (400, &[("x-should-retry", "true"), ("retry-after-ms", "5")]),
        (
            422,
            &[("x-should-retry", "nonsense"), ("retry-after-ms", "5")],
        ),
    ];
    for (status, headers) in cases {
        let (router, _) = flaky(usize::MAX, status, headers);
        let error = retrieve(serve(router).await, 0).await.unwrap_err();
        let (router, hits) = flaky(1, status, headers);
        let retried = retrieve(serve(router).await, 1).await.is_ok();
        assert_eq!(retried, hits.load(Ordering::SeqCst) == 2);
        assert_eq!(
            error.is_retryable(),
            retried,
            "{status} {headers:?}: {error}"
        );
    }
}

/// With a deadline, a server that never answers costs about the deadline, not
/// (1 + retries) × timeout plus the waits: fewer attempts than allowed, then a timeout.
#[tokio::test]
async fn a_deadline_bounds_the_whole_call_across_retries() {
    let (base, hits) = raw_server(|_| Answer::Never).await;
    let start = Instant::now();
    let error = Client::builder()
        .base_url(base)
        .timeout(Duration::from_millis(200))
        .max_retries(3)
        .deadline(Duration::from_millis(500))
        .build()
        .unwrap()
        .files_retrieve("f")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout), "{error:?}");
    let attempts = hits.load(Ordering::SeqCst);
    assert!((1..4).contains(&attempts), "{attempts} attempts");
    // A hang guard, not a timing claim.
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// A retry whose wait would reach past the deadline is not made: the error in hand is
/// returned, not a timeout after sleeping.
#[tokio::test]
async fn a_retry_that_would_outlast_the_deadline_is_not_made() {
    let with_deadline = |base: String, seconds: u64| {
        let client = Client::builder()
            .base_url(base)
            .deadline(Duration::from_secs(seconds))
            .build()
            .unwrap();
        async move { client.files_retrieve("f").await }
    };
    let (router, hits) = flaky(5, 503, &[("retry-after", "30")]);
    let error = with_deadline(serve(router).await, 10).await.unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::ServiceUnavailable));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Within the deadline, retries go on as without one.
    let (router, hits) = flaky(2, 503, FAST_RETRY);
    with_deadline(serve(router).await, 30).await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

// ------------------------------------------------------------------------ tracing

/// A subscriber that keeps the runtime's spans (name and fields, recorded values
/// included) and events, to check what an operator would see.
mod capture {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    pub type Fields = BTreeMap<&'static str, String>;

    #[derive(Default)]
    pub struct Captured {
        pub spans: Vec<(&'static str, Fields)>,
        pub events: Vec<Fields>,
    }

    #[derive(Clone, Default)]
    pub struct Capture(pub Arc<Mutex<Captured>>);

    struct Collect<'a>(&'a mut Fields);

    impl Visit for Collect<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.insert(field.name(), format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name(), value.to_owned());
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target().starts_with("codegen_runtime")
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut fields = Fields::new();
            span.record(&mut Collect(&mut fields));
            let mut captured = self.0.lock().unwrap();
            captured.spans.push((span.metadata().name(), fields));
            Id::from_u64(captured.spans.len() as u64)
        }
        fn record(&self, span: &Id, values: &Record<'_>) {
            let mut captured = self.0.lock().unwrap();
            let index = span.into_u64() as usize - 1;
            if let Some((_, fields)) = captured.spans.get_mut(index) {
                values.record(&mut Collect(fields));
            }
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields::new();
            event.record(&mut Collect(&mut fields));
            self.0.lock().unwrap().events.push(fields);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

/// One span per call, named by the generated method's `operationId` and path template,
/// with the final status, request id, attempts and latency; one event per retry.
#[tokio::test]
async fn each_call_is_a_span_with_its_operation_status_and_retries() {
    let capture = capture::Capture::default();
    // This (current-thread) runtime's tasks, the server's included, see it.
    let _guard = tracing::subscriber::set_default(capture.clone());
    let (router, hits) = flaky(1, 503, FAST_RETRY);
    client(&serve(router).await)
        .files_retrieve("f-1")
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    let captured = capture.0.lock().unwrap();
    let spans: Vec<_> = captured
        .spans
        .iter()
        .filter(|(name, _)| *name == "request")
        .collect();
    assert_eq!(spans.len(), 1, "{:?}", captured.spans);
    let fields = &spans[0].1;
    assert_eq!(fields["operation"], "files_retrieve");
    assert_eq!(fields["method"], "GET");
    assert_eq!(
        fields["path"], "/v1/files/{file_id}",
        "the template, not the id"
    );
    assert_eq!(fields["status"], "200");
    assert_eq!(fields["request_id"], "req-200");
    assert_eq!(fields["attempts"], "2");
    assert!(fields["latency_ms"].parse::<f64>().unwrap() > 0.0);

    let retries: Vec<_> = captured
        .events
        .iter()
        .filter(|event| event.get("message").map(String::as_str) == Some("retrying"))
        .collect();
    assert_eq!(retries.len(), 1, "{:?}", captured.events);
    assert_eq!(retries[0]["attempt"], "1");
    let delay_ms: f64 = retries[0]["delay_ms"].parse().unwrap();
    assert!(
        (delay_ms - 5.0).abs() < 0.01,
        "the server's retry-after-ms: {delay_ms}"
    );
    assert_eq!(retries[0]["error"], "status 503");
}

// ------------------------------------------------------------------------ SSE

fn chunk(text: &str) -> String {
    let chunk = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1767225600,
        "model": "openai/gpt-4o",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]
    });
    format!("data: {chunk}\n\n")
}

#[derive(Default)]
struct ChatLog {
    stream_flags: Mutex<Vec<Option<bool>>>,
    accepts: Mutex<Vec<String>>,
    endless_dropped: AtomicBool,
}

/// Sets a flag when the server drops an endless body (the client went away).
struct DropFlag(Arc<ChatLog>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.endless_dropped.store(true, Ordering::SeqCst);
    }
}

async fn chat(State(log): State<Arc<ChatLog>>, headers: HeaderMap, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap();
    log.stream_flags
        .lock()
        .unwrap()
        .push(request["stream"].as_bool());
    log.accepts.lock().unwrap().push(
        headers
            .get("accept")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
    );
    let scenario = request["model"].as_str().unwrap_or_default().to_owned();
    // A server that ignores the request for a stream answers JSON anyway.
    if request["stream"] != json!(true) || scenario == "json-anyway" {
        let res = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600,
            "model": scenario,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}]
        });
        return json_response(200, &res);
    }
    let frames: Vec<String> = match scenario.as_str() {
        "ok" => vec![
            chunk("Hel"),
            chunk("lo"),
            ": keep-alive comment\n\n".into(),
            chunk("!"),
            "data: [DONE]\n\n".into(),
        ],
        "error" => vec![
            chunk("Hel"),
            format!("data: {}\n\n", envelope("upstream_failed")),
        ],
        "cut" => vec![chunk("Hel"), chunk("lo")],
        "malformed" => vec![chunk("Hel"), "data: {not json\n\n".into()],
        _ => vec![chunk("Hel")],
    };
    let head = futures_util::stream::iter(frames)
        .map(|f| Ok::<_, std::convert::Infallible>(Bytes::from(f)));
    let body = match scenario.as_str() {
        // One frame, then silence with the connection open.
        "stall" => Body::from_stream(head.chain(futures_util::stream::pending())),
        // Frames forever, until the client goes away.
        "endless" => {
            let guard = DropFlag(log.clone());
            let tail = futures_util::stream::unfold(guard, |guard| async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                Some((Ok(Bytes::from(chunk("more"))), guard))
            });
            Body::from_stream(head.chain(tail))
        }
        _ => Body::from_stream(head),
    };
    (
        [
            ("content-type", "text/event-stream"),
            ("x-request-id", "req-sse"),
        ],
        body,
    )
        .into_response()
}

async fn chat_server() -> (String, Arc<ChatLog>) {
    let log = Arc::new(ChatLog::default());
    let router = Router::new()
        .route("/v1/chat/completions", post(chat))
        .with_state(log.clone());
    (serve(router).await, log)
}

fn chat_request(model: &str) -> ChatReq {
    ChatReq {
        model: Some(model.into()),
        messages: vec![
            serde_json::from_value::<Message>(json!({"role": "user", "content": "Hi"})).unwrap(),
        ],
        ..Default::default()
    }
}

fn delta_text(chunk: &maniac_api::models::ChatCompletionChunk) -> String {
    chunk
        .choices
        .iter()
        .filter_map(|c| serde_json::to_value(&c.delta).ok())
        .filter_map(|d| d["content"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn sse_yields_typed_chunks_and_ends_at_done() {
    let (base, log) = chat_server().await;
    let client = client(&base);
    let mut stream = client
        .chat_completions_create_stream(&chat_request("ok"))
        .await
        .unwrap();
    assert_eq!(stream.request_id(), Some("req-sse"));
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(&delta_text(&chunk.unwrap()));
    }
    assert_eq!(text, "Hello!");
    // The same method without `_stream` asks for JSON and sends `"stream": false`, even
    // when the caller's request says otherwise.
    let done = client
        .chat_completions_create(&ChatReq {
            stream: Some(true),
            ..chat_request("plain")
        })
        .await
        .unwrap();
    assert_eq!(done.model, "plain");
    assert_eq!(*log.stream_flags.lock().unwrap(), [Some(true), Some(false)]);
    assert_eq!(
        *log.accepts.lock().unwrap(),
        ["text/event-stream", "application/json"]
    );
}

#[tokio::test]
async fn a_stream_answered_with_json_says_what_came() {
    let (base, _) = chat_server().await;
    let error = client(&base)
        .chat_completions_create_stream(&chat_request("json-anyway"))
        .await
        .unwrap_err();
    match &error {
        Error::UnexpectedResponse {
            status,
            media_type,
            body_start,
            ..
        } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(media_type, "application/json");
            assert!(body_start.contains("chat.completion"), "{body_start}");
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
    assert!(error.to_string().contains("application/json"), "{error}");
}

#[tokio::test]
async fn sse_error_frame_truncation_and_malformed_data_are_errors() {
    let (base, _) = chat_server().await;
    let client = client(&base);

    let mut stream = client
        .chat_completions_create_stream(&chat_request("error"))
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.envelope().unwrap().error.code, "upstream_failed");
    assert_eq!(error.request_id(), Some("req-sse"));
    assert!(stream.next().await.is_none(), "an error ends the stream");

    let mut stream = client
        .chat_completions_create_stream(&chat_request("cut"))
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    assert!(stream.next().await.unwrap().is_ok());
    let error = stream.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::Stream { envelope: None, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("[DONE]"), "{error}");
    assert!(stream.next().await.is_none());

    let mut stream = client
        .chat_completions_create_stream(&chat_request("malformed"))
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let error = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Stream { .. }), "{error:?}");
}

#[tokio::test]
async fn sse_idle_timeout_ends_a_silent_stream() {
    let (base, _) = chat_server().await;
    let client = Client::builder()
        .base_url(&base)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut stream = client
        .chat_completions_create_stream(&chat_request("stall"))
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let error = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Timeout), "{error:?}");
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn dropping_a_stream_closes_the_connection() {
    let (base, log) = chat_server().await;
    let client = client(&base);
    let mut stream = client
        .chat_completions_create_stream(&chat_request("endless"))
        .await
        .unwrap();
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    assert!(!log.endless_dropped.load(Ordering::SeqCst));
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !log.endless_dropped.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the server never saw the client go away"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ------------------------------------------------------------------------ files

async fn upload(mut multipart: axum::extract::Multipart) -> Response {
    let mut file = Vec::new();
    let mut file_name = None;
    let mut purpose = String::new();
    while let Some(field) = multipart.next_field().await.unwrap() {
        match field.name().unwrap() {
            "file" => {
                file_name = field.file_name().map(str::to_owned);
                file = field.bytes().await.unwrap().to_vec();
            }
            "purpose" => purpose = field.text().await.unwrap(),
            other => panic!("unexpected part {other}"),
        }
    }
    let mut object = file_object(&String::from_utf8_lossy(&file), file.len());
    object["filename"] = json!(file_name);
    object["purpose"] = json!(purpose);
    json_response(200, &object)
}

#[tokio::test]
async fn uploads_from_bytes_path_and_reader_and_downloads() {
    let router = Router::new().route("/v1/files", post(upload)).route(
        "/v1/files/{file_id}/content",
        get(
            |axum::extract::Path(id): axum::extract::Path<String>| async move {
                (
                    [("content-type", "application/octet-stream")],
                    id.repeat(1000),
                )
            },
        ),
    );
    let client = client(&serve(router).await);

    let made = client
        .files_create(FilesCreateForm {
            file: Upload::from_bytes(&b"from-bytes"[..]).file_name("a.jsonl"),
            purpose: "fine-tune".into(),
        })
        .await
        .unwrap();
    assert_eq!((made.id.as_str(), made.bytes), ("from-bytes", 10));
    assert_eq!(made.filename, "a.jsonl");
    assert_eq!(made.purpose, "fine-tune");

    let dir = std::env::temp_dir().join(format!("client-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("from-path.txt");
    std::fs::write(&path, "from-path").unwrap();
    let made = client
        .files_create(FilesCreateForm {
            file: Upload::from_path(&path),
            purpose: "evaluation".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (made.id.as_str(), made.filename.as_str()),
        ("from-path", "from-path.txt")
    );

    let made = client
        .files_create(FilesCreateForm {
            file: Upload::from_reader(&b"from-reader"[..]).file_name("r"),
            purpose: "evaluation".into(),
        })
        .await
        .unwrap();
    assert_eq!(made.id, "from-reader");

    let download = client.files_content("abc").await.unwrap();
    assert_eq!(download.status().as_u16(), 200);
    let bytes = download.into_inner().collect().await.unwrap();
    assert_eq!(bytes, "abc".repeat(1000).as_bytes());

    let target = dir.join("download.bin");
    let written = client
        .files_content("xyz")
        .await
        .unwrap()
        .into_inner()
        .write_to(&target)
        .await
        .unwrap();
    assert_eq!(written, 3000);
    assert_eq!(
        std::fs::read(&target).unwrap(),
        "xyz".repeat(1000).as_bytes()
    );

    // A missing path is an I/O error, not a panic.
    let error = client
        .files_create(FilesCreateForm {
            file: Upload::from_path(dir.join("missing")),
            purpose: "x".into(),
        })
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Io(_)), "{error:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------------------ pagination

#[tokio::test]
async fn pagination_streams_every_item_across_pages() {
    let offsets = Arc::new(Mutex::new(Vec::new()));
    let seen = offsets.clone();
    let router = Router::new().route(
        "/v1/files",
        get(
            move |axum::extract::Query(q): axum::extract::Query<
                std::collections::HashMap<String, String>,
            >| {
                let seen = seen.clone();
                async move {
                    let limit: usize = q["limit"].parse().unwrap();
                    let offset: usize = q.get("offset").map_or(0, |o| o.parse().unwrap());
                    seen.lock()
                        .unwrap()
                        .push((offset, q.get("purpose").cloned()));
                    let data: Vec<Value> = (offset..7.min(offset + limit))
                        .map(|i| file_object(&format!("file-{i}"), i))
                        .collect();
                    json_response(200, &json!({"object": "list", "data": data, "total": 7}))
                }
            },
        ),
    );
    let client = client(&serve(router).await);
    let params = FilesListParams {
        limit: 3,
        purpose: Some("fine-tune".into()),
        ..Default::default()
    };
    let ids: Vec<String> = client
        .files_list_stream(&params)
        .map(|item| item.unwrap().id)
        .collect()
        .await;
    let expected: Vec<String> = (0..7).map(|i| format!("file-{i}")).collect();
    assert_eq!(ids, expected);
    let purpose = Some("fine-tune".to_owned());
    assert_eq!(
        *offsets.lock().unwrap(),
        [(0, purpose.clone()), (3, purpose.clone()), (6, purpose)]
    );
    // Starting from an offset, and taking a few items fetches only what is needed.
    offsets.lock().unwrap().clear();
    let first_two: Vec<String> = client
        .files_list_stream(&FilesListParams {
            limit: 2,
            offset: 4,
            ..Default::default()
        })
        .take(2)
        .map(|item| item.unwrap().id)
        .collect()
        .await;
    assert_eq!(first_two, ["file-4", "file-5"]);
    assert_eq!(offsets.lock().unwrap().len(), 1);
}

// ------------------------------------------------------------------------ encoding and auth

/// A request as the server saw it: path, query, headers.
type SeenRequest = (String, Option<String>, HeaderMap);

#[derive(Default, Clone)]
struct Seen(Arc<Mutex<Vec<SeenRequest>>>);

async fn record(State(seen): State<Seen>, request: Request) -> Response {
    let uri = request.uri();
    seen.0.lock().unwrap().push((
        uri.path().to_owned(),
        uri.query().map(str::to_owned),
        request.headers().clone(),
    ));
    if uri.path() == "/v1/files" {
        json_response(200, &json!({"object": "list", "data": [], "total": 0}))
    } else {
        json_response(200, &file_object("f", 0))
    }
}

async fn recording_server() -> (String, Seen) {
    let seen = Seen::default();
    let router = Router::new().fallback(record).with_state(seen.clone());
    (serve(router).await, seen)
}

#[tokio::test]
async fn path_parameters_are_percent_encoded_and_query_follows_style() {
    let (base, seen) = recording_server().await;
    let client = client(&base);
    client.files_retrieve("a b/c?d#e%").await.unwrap();
    client
        .files_list(&FilesListParams {
            purpose: Some("fine tune&more".into()),
            limit: 5,
            offset: 0,
        })
        .await
        .unwrap();
    {
        let seen = seen.0.lock().unwrap();
        assert_eq!(seen[0].0, "/v1/files/a%20b%2Fc%3Fd%23e%25");
        assert_eq!(
            seen[1].1.as_deref(),
            Some("purpose=fine+tune%26more&limit=5")
        );
    }

    // The fixture client: every query style, a label path parameter, a cookie parameter,
    // and API keys in a header, the query and a cookie, and basic auth.
    use codegen_tests::fixtures::requests::client as fixture;
    let (base, seen) = recording_server().await;
    let client = fixture::Client::builder()
        .base_url(&base)
        .key_header("header-key")
        .key_query("query-key")
        .key_cookie("cookie-key")
        .build()
        .unwrap();
    let params = fixture::SearchParams {
        tags: Some(vec!["a".into(), "b c".into()]),
        ids: Some(vec![1, 2, 3]),
        words: Some(vec!["x".into(), "y".into()]),
        filter: Some(serde_json::from_value(json!({"color": "red", "size": 2})).unwrap()),
        session: Some("s1".into()),
        page: 2,
    };
    // The server answers JSON where the document says text: text reads any body.
    let text = client.search("k", &params).await.unwrap().into_inner();
    assert!(text.contains("\"id\""));
    client
        .things_list(&fixture::ThingsListParams {
            limit: None,
            offset: 0,
        })
        .await
        .unwrap_err(); // a file object is not a page: a decode error, after the request
    let basic = fixture::Client::builder()
        .base_url(&base)
        .basic("user", "pass")
        .build()
        .unwrap();
    basic.search("k", &params).await.unwrap();
    // The document's server URL has variables: the default base URL takes their defaults.
    assert_eq!(
        fixture::Client::DEFAULT_BASE_URL,
        "https://eu.client.example.com/base"
    );
    assert_eq!(
        fixture::Client::builder()
            .build()
            .unwrap()
            .transport()
            .base_url(),
        "https://eu.client.example.com/base"
    );
    let seen = seen.0.lock().unwrap();
    let (path, query, headers) = &seen[0];
    assert_eq!(path, "/search/.k");
    assert_eq!(
        query.as_deref(),
        Some("tags=a&tags=b+c&ids=1%7C2%7C3&words=x+y&filter%5Bcolor%5D=red&filter%5Bsize%5D=2&page=2")
    );
    assert_eq!(headers["cookie"], "session=s1");
    assert_eq!(headers["x-api-key"], "header-key", "the first alternative");
    assert!(headers.get("authorization").is_none());
    let (_, query, headers) = &seen[1];
    assert_eq!(query.as_deref(), Some("offset=0&api_key=query-key"));
    assert!(
        headers.get("x-api-key").is_none(),
        "only the operation's own scheme"
    );
    let (_, _, headers) = &seen[2];
    assert_eq!(headers["authorization"], "Basic dXNlcjpwYXNz");
}

#[tokio::test]
async fn default_headers_operation_accept_and_credentials_combine() {
    // Every value of a repeated default header is sent; the operation's `Accept` replaces
    // a default one; a default `Authorization` wins over basic auth (as before the headers
    // were written straight into the request), and the bearer key goes with the others.
    let (base, seen) = recording_server().await;
    let client = Client::builder()
        .base_url(&base)
        .api_key_auth(KEY)
        .default_header("x-team", "t1")
        .default_header("x-team", "t2")
        .default_header("accept", "text/plain")
        .build()
        .unwrap();
    client.files_retrieve("f").await.unwrap();
    use codegen_tests::fixtures::requests::client as fixture;
    let basic = fixture::Client::builder()
        .base_url(&base)
        .basic("user", "pass")
        .default_header("authorization", "Bearer own")
        .build()
        .unwrap();
    basic
        .search("k", &fixture::SearchParams::default())
        .await
        .unwrap();
    let seen = seen.0.lock().unwrap();
    let headers = &seen[0].2;
    let teams: Vec<_> = headers.get_all("x-team").iter().collect();
    assert_eq!(teams, ["t1", "t2"]);
    let accepts: Vec<_> = headers.get_all("accept").iter().collect();
    assert_eq!(accepts, ["application/json"]);
    assert_eq!(headers["authorization"], format!("Bearer {KEY}").as_str());
    let authorizations: Vec<_> = seen[1].2.get_all("authorization").iter().collect();
    assert_eq!(authorizations, ["Bearer own"]);
}

#[tokio::test]
async fn the_key_is_sent_but_never_shown() {
    let (base, seen) = recording_server().await;
    let client = Client::builder()
        .base_url(&base)
        .api_key_auth(KEY)
        .default_header("x-team", "t1")
        .user_agent("tests/1")
        .build()
        .unwrap();
    client.files_retrieve("f").await.unwrap();
    {
        let seen = seen.0.lock().unwrap();
        let headers = &seen[0].2;
        assert_eq!(headers["authorization"], format!("Bearer {KEY}").as_str());
        assert_eq!(headers["x-team"], "t1");
        assert_eq!(headers["user-agent"], "tests/1");
    }
    let shown = format!("{client:?} {:?}", Client::builder().api_key_auth(KEY));
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");

    // Nor in errors: a 401 and a connection error.
    let router = Router::new().fallback(|| async { json_response(401, &envelope("bad_key")) });
    let failing = Client::builder()
        .base_url(serve(router).await)
        .api_key_auth(KEY)
        .build()
        .unwrap();
    let error = failing.files_retrieve("f").await.unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::Unauthorized));
    let shown = format!("{error:?} {error}");
    assert!(!shown.contains(KEY), "{shown}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    use codegen_tests::fixtures::requests::client as fixture;
    let in_query = fixture::Client::builder()
        .base_url(format!("http://{addr}"))
        .key_query(KEY)
        .max_retries(0)
        .build()
        .unwrap();
    let error = in_query
        .things_list(&fixture::ThingsListParams {
            limit: None,
            offset: 0,
        })
        .await
        .unwrap_err();
    let shown = format!("{error:?} {error}");
    assert!(matches!(error, fixture::Error::Connection(_)));
    assert!(!shown.contains(KEY), "{shown}");
}

#[test]
fn from_env_reads_the_key_and_base_url() {
    // The only test that touches these variables.
    std::env::remove_var("MANIAC_API_KEY");
    let error = Client::from_env().unwrap_err();
    assert!(error.to_string().contains("MANIAC_API_KEY"), "{error}");
    std::env::set_var("MANIAC_API_KEY", KEY);
    std::env::set_var("MANIAC_BASE_URL", "http://127.0.0.1:9");
    let client = Client::from_env().unwrap();
    assert_eq!(client.transport().base_url(), "http://127.0.0.1:9");
    std::env::remove_var("MANIAC_BASE_URL");
    let client = Client::from_env().unwrap();
    assert_eq!(client.transport().base_url(), Client::DEFAULT_BASE_URL);
    std::env::remove_var("MANIAC_API_KEY");
}

// ------------------------------------------------------------------------ result enums, forms

/// The requests fixture's client: a result enum dispatched on status and media type, a
/// multipart form with required, optional and repeated files, and an SSE-only operation.
#[tokio::test]
async fn result_enums_multipart_forms_and_sse_only_operations() {
    use codegen_tests::fixtures::requests::client as fixture;
    async fn replace(body: Bytes) -> Response {
        let thing = json!({"id": "t1"}).to_string();
        let (status, media, body) = match &body[..] {
            b"200" => (200, "application/json", thing),
            b"202" => (202, "", String::new()),
            b"203j" => (203, "application/json", thing),
            b"203t" => (203, "text/plain; charset=utf-8", "as text".to_owned()),
            _ => (299, "application/json", thing),
        };
        let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
        if !media.is_empty() {
            response
                .headers_mut()
                .insert("content-type", media.parse().unwrap());
        }
        response
    }
    async fn upload(mut multipart: axum::extract::Multipart) -> Response {
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await.unwrap() {
            let name = field.name().unwrap().to_owned();
            let file = field.file_name().map(str::to_owned);
            let media = field.content_type().unwrap_or("-").to_owned();
            let text = field.text().await.unwrap();
            parts.push(format!("{name}:{file:?}:{media}:{text}"));
        }
        (StatusCode::NO_CONTENT, [("x-parts", parts.join("|"))]).into_response()
    }
    let router = Router::new()
        .route("/things", axum::routing::put(replace).post(upload))
        .route(
            "/events",
            get(|| async {
                (
                    [("content-type", "text/event-stream")],
                    "data: {\"id\": \"e1\"}\n\ndata: {\"id\": \"e2\"}\n\ndata: [DONE]\n\n",
                )
            }),
        );
    let client = fixture::Client::builder()
        .base_url(serve(router).await)
        .key_header("k")
        .key_cookie("c")
        .build()
        .unwrap();
    let replace = |body: &'static [u8]| client.things_replace(fixture::Upload::from_bytes(body));
    use fixture::ThingsReplaceOutput as Out;
    assert!(matches!(replace(b"200").await.unwrap().into_inner(), Out::Ok(t) if t.id == "t1"));
    assert!(matches!(
        replace(b"202").await.unwrap().into_inner(),
        Out::Accepted
    ));
    assert!(matches!(
        replace(b"203j").await.unwrap().into_inner(),
        Out::NonAuthoritativeInformationApplicationJson(t) if t.id == "t1"
    ));
    assert!(matches!(
        replace(b"203t").await.unwrap().into_inner(),
        Out::NonAuthoritativeInformationTextPlain(text) if text == "as text"
    ));
    // A success the document does not list is an error, not a guess.
    let error = replace(b"other").await.unwrap_err();
    assert!(
        matches!(error, fixture::Error::UnexpectedResponse { status, .. } if status.as_u16() == 299),
        "{error:?}"
    );

    let stored = client
        .things_upload(fixture::ThingsUploadForm {
            main: fixture::Upload::from_bytes(&b"M"[..]).file_name("m.txt"),
            extra: Some(fixture::Upload::from_bytes(&b"E"[..])),
            attachments: Some(vec![
                fixture::Upload::from_bytes(&b"A1"[..]).file_name("a1"),
                fixture::Upload::from_reader(&b"A2"[..])
                    .file_name("a2")
                    .content_type("text/tab-separated-values"),
            ]),
            scan: Some(fixture::Upload::from_bytes(&b"S"[..])),
            note: Some("hello".into()),
            count: Some(3),
        })
        .await
        .unwrap();
    assert_eq!(stored.status().as_u16(), 204);
    assert_eq!(
        stored.headers()["x-parts"],
        concat!(
            // The document's media types where the upload names none.
            "main:Some(\"m.txt\"):image/png:M|",
            "extra:None:application/octet-stream:E|",
            "attachments:Some(\"a1\"):text/csv:A1|",
            "attachments:Some(\"a2\"):text/tab-separated-values:A2|",
            "scan:None:image/tiff:S|",
            "note:None:-:hello|count:None:-:3"
        )
    );

    let events: Vec<String> = client
        .events()
        .await
        .unwrap()
        .into_inner()
        .map(|event| event.unwrap().id)
        .collect()
        .await;
    assert_eq!(events, ["e1", "e2"]);
}
