//! The spans and events a generated server emits, seen by a subscriber written here. Its
//! own test binary: a subscriber is set for the whole process, and no other test's callsites
//! race it for tracing's interest cache.

use maniac_api::server::mock::Mock;
use maniac_api::server::{router, Serve};
use std::sync::Arc;

const KEY: &str = "k-1";

/// What a `tracing` subscriber sees: span fields at creation and as recorded, and events.
#[derive(Default, Clone)]
struct Capture(Arc<std::sync::Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        let mut lines = self.0.lock().unwrap();
        lines.push(fields.0);
        tracing::span::Id::from_u64(lines.len() as u64)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut fields = Fields("record".into());
        values.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields("event".into());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn each_request_is_a_span_with_its_operation_status_and_rejection() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mock = Mock {
        api_key: Some(KEY.into()),
    };
    tokio::spawn(Serve::new().run_until(listener, router(Arc::new(mock)), std::future::pending()));
    let http = reqwest::Client::new();
    let response = http
        .get(format!("http://{addr}/v1/models"))
        .bearer_auth(KEY)
        .header("x-request-id", "req-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http
        .post(format!("http://{addr}/v1/containers"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"label": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let lines = capture.0.lock().unwrap().join("\n");
    assert!(
        lines.contains(
            "span request operation=models_list method=GET path=/v1/models request_id=req-7"
        ),
        "{lines}"
    );
    assert!(lines.contains("record status=200"), "{lines}");
    assert!(lines.contains("latency_ms="), "{lines}");
    assert!(
        lines.contains("span request operation=containers_create method=POST path=/v1/containers"),
        "{lines}"
    );
    assert!(
        lines.contains(
            "event message=request rejected status=422 code=validation_error reason=body/label:"
        ),
        "{lines}"
    );
    assert!(lines.contains("record status=422"), "{lines}");
}
