//! Deep and hostile nesting over HTTP on 127.0.0.1, against the recursive fixture's server
//! on a multi-thread runtime with tokio's default (2 MiB) worker stacks: a value as deep as
//! `MAX_DEPTH` is served, a deeper one (up to 100,000 levels) is refused in the envelope,
//! by JSON body and multipart part alike, and the server keeps serving.

use codegen_tests::fixtures::recursion::server::runtime::MAX_DEPTH;
use codegen_tests::fixtures::recursion::server::*;
use codegen_tests::fixtures::recursion::{Expr, Forest, Node};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

/// Answers each value as it came: parsed, validated, serialized again and dropped, all on
/// a worker.
struct Echo;

impl RecursionApi for Echo {
    async fn create_node(
        &self,
        _: RequestContext<()>,
        params: CreateNodeParams,
        body: Node,
    ) -> CreateNodeResponse {
        CreateNodeResponse::Ok(params.filter.unwrap_or(body))
    }

    async fn evaluate(&self, _: RequestContext<()>, body: Expr) -> EvaluateResponse {
        EvaluateResponse::Ok(body)
    }

    async fn plant(&self, _: RequestContext<()>, body: PlantBody) -> PlantResponse {
        PlantResponse::Ok(match body {
            PlantBody::Json(forest) => forest,
            PlantBody::Multipart(form) => form.forest,
        })
    }
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(Echo))).await.unwrap() });
    addr
}

/// `depth` arrays within each other.
fn forest(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Nodes `depth` objects deep through `next`.
fn node(depth: usize) -> String {
    let open = r#"{"value":1,"next":"#.repeat(depth - 1);
    format!(r#"{open}{{"value":1}}{}"#, "}".repeat(depth - 1))
}

/// Sums `depth` objects deep: each level's `left` the next (a union, which serde buffers
/// before choosing a variant).
fn expr(depth: usize) -> String {
    let open = r#"{"right":{"value":2},"left":"#.repeat(depth - 1);
    format!(r#"{open}{{"value":1}}{}"#, "}".repeat(depth - 1))
}

/// Objects `depth` deep through `left` alone: what is too deep is refused before its type
/// matters, and this is compact enough to fit in the body limit at 100,000 levels.
fn lefts(depth: usize) -> String {
    format!(r#"{}1{}"#, r#"{"left":"#.repeat(depth), "}".repeat(depth))
}

/// Nodes `depth` objects and arrays deep through `children` (and one `next` for an even
/// depth).
fn children(depth: usize) -> String {
    let pairs = (depth - 1) / 2;
    let open = r#"{"value":1,"children":["#.repeat(pairs);
    let nested = format!(r#"{open}{{"value":1}}{}"#, "]}".repeat(pairs));
    match depth % 2 {
        0 => format!(r#"{{"value":1,"next":{nested}}}"#),
        _ => nested,
    }
}

/// How deep a JSON text nests.
fn depth_of(text: &str) -> usize {
    let value: Value = serde_json::from_str(text).unwrap();
    fn walk(value: &Value) -> usize {
        match value {
            Value::Array(items) => 1 + items.iter().map(walk).max().unwrap_or(0),
            Value::Object(members) => 1 + members.values().map(walk).max().unwrap_or(0),
            _ => 0,
        }
    }
    walk(&value)
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn post(&self, path: &str, body: String) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the server answers");
        answer(response).await
    }

    async fn part(&self, forest: String) -> (u16, Value) {
        let form = reqwest::multipart::Form::new().text("forest", forest);
        let response = self
            .http
            .post(format!("{}/forests", self.base))
            .multipart(form)
            .send()
            .await
            .expect("the server answers");
        answer(response).await
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The envelope's code, field and message.
fn error_of(body: &Value) -> (&str, Option<&str>, &str) {
    let error = &body["error"];
    (
        error["code"].as_str().unwrap_or_default(),
        error["field"].as_str(),
        error["message"].as_str().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_values_are_served_up_to_the_limit_and_refused_past_it() {
    let client = Client {
        base: format!("http://{}", serve().await),
        http: reqwest::Client::new(),
    };
    let limit = format!("deeper than the limit of {MAX_DEPTH} levels");

    // The deepest each body may be: answered with the value as sent.
    for (path, text) in [
        ("/nodes", node(MAX_DEPTH)),
        ("/nodes", children(MAX_DEPTH)),
        ("/exprs", expr(MAX_DEPTH)),
        ("/forests", forest(MAX_DEPTH)),
    ] {
        assert_eq!(depth_of(&text), MAX_DEPTH, "{path}");
        let (status, body) = client.post(path, text.clone()).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(
            body,
            serde_json::from_str::<Value>(&text).unwrap(),
            "{path}"
        );
    }
    let (status, body) = client.part(forest(MAX_DEPTH)).await;
    assert_eq!((status, depth_of(&body.to_string())), (200, MAX_DEPTH));

    // One level more, and 100,000 levels (far past serde_json's own limit of 128): 400 in
    // the envelope naming the limit, before anything is parsed.
    for depth in [MAX_DEPTH + 1, 100_000] {
        for (path, text) in [
            ("/nodes", node(depth)),
            ("/nodes", children(depth)),
            ("/exprs", expr(depth.min(1000))),
            ("/exprs", lefts(depth)),
            ("/forests", forest(depth)),
        ] {
            let (status, body) = client.post(path, text).await;
            assert_eq!(status, 400, "{path} at {depth}: {body}");
            let (code, field, message) = error_of(&body);
            assert_eq!((code, field), ("bad_request", None), "{path} at {depth}");
            assert!(message.contains(&limit), "{path} at {depth}: {message}");
        }
        // A form part: 422 naming it. (An object query parameter is read as its members,
        // flat text, not as JSON: it has no depth.)
        let (status, body) = client.part(forest(depth)).await;
        assert_eq!(status, 422, "body/forest at {depth}: {body}");
        let (code, field, message) = error_of(&body);
        assert_eq!((code, field), ("validation_error", Some("body/forest")));
        assert!(
            message.contains(&limit),
            "body/forest at {depth}: {message}"
        );
    }

    // Still serving.
    let (status, _) = client.post("/exprs", expr(MAX_DEPTH)).await;
    assert_eq!(status, 200);
}

#[test]
fn deep_values_round_trip_through_the_models() {
    // The values the server test sends are the fixture's types (a wrong shape would be a
    // 422, not the 400 being tested).
    for text in [node(MAX_DEPTH), children(MAX_DEPTH)] {
        serde_json::from_str::<Node>(&text).unwrap();
    }
    serde_json::from_str::<Expr>(&expr(MAX_DEPTH)).unwrap();
    serde_json::from_str::<Forest>(&forest(MAX_DEPTH)).unwrap();
}
