//! Every operation of the Maniac document through the generated client, over 127.0.0.1,
//! against the generated router (`maniac_api::server::router`) serving the generated mock,
//! which answers each operation with its documented example. A middleware in front of the
//! router records each request, so the test checks that it reached the right method and
//! path with the example body, and that the typed response carries the example back.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response as HttpResponse;
use codegen::ir::{Api, MediaKind, Operation, Status};
use codegen_tests::contains;
use futures_util::TryStreamExt;
use maniac_api::client::*;
use maniac_api::server::mock::Mock;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const FILE_BYTES: &[u8] = b"{\"messages\": []}\n";
const KEY: &str = "sk-operations-test";

struct Recorder {
    api: Api,
    /// Per request: the operation its method and path match and its JSON body, if any.
    seen: Mutex<Vec<(String, Option<Value>)>>,
}

fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

fn success(op: &Operation) -> &codegen::ir::Response {
    op.responses
        .iter()
        .find(|r| matches!(r.status, Status::Code(200..=299)))
        .unwrap_or_else(|| panic!("{} documents no success", op.id))
}

fn example_of(op: &Operation, kind: MediaKind) -> Value {
    success(op)
        .content
        .iter()
        .find(|c| c.kind == kind)
        .and_then(|c| c.examples.first())
        .unwrap_or_else(|| panic!("{}: no {kind:?} example", op.id))
        .value
        .clone()
}

/// Records the request (buffering its body), then hands it on to the generated router.
async fn record(
    State(recorder): State<Arc<Recorder>>,
    request: Request,
    next: Next,
) -> HttpResponse {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let method = parts.method.as_str();
    let op = recorder
        .api
        .operations
        .iter()
        .find(|op| op.method.as_str() == method && template_matches(&op.path, parts.uri.path()))
        .map_or_else(|| "no such operation".to_owned(), |op| op.id.clone());
    recorder
        .seen
        .lock()
        .unwrap()
        .push((op, serde_json::from_slice(&body).ok()));
    next.run(Request::from_parts(parts, body.into())).await
}

/// The operation's request body example, typed.
fn request_example<T: DeserializeOwned>(api: &Api, id: &str) -> T {
    let op = api.operations.iter().find(|op| op.id == id).unwrap();
    let example = op
        .body
        .as_ref()
        .and_then(|b| b.content.first())
        .and_then(|c| c.examples.first())
        .unwrap_or_else(|| panic!("{id}: no request example"));
    serde_json::from_value(example.value.clone()).unwrap_or_else(|e| panic!("{id}: {e}"))
}

struct Checker<'a> {
    api: &'a Api,
    recorder: &'a Recorder,
    called: BTreeSet<String>,
}

impl Checker<'_> {
    fn op(&self, id: &str) -> &Operation {
        self.api.operations.iter().find(|op| op.id == id).unwrap()
    }

    /// The last request reached `id` (with its body example, if it has one) and the
    /// response holds the operation's example.
    fn check<T: Serialize>(&mut self, id: &str, result: Result<Response<T>, Error>) {
        let response = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(response.status().as_u16(), 200, "{id}");
        let got = serde_json::to_value(response.into_inner()).unwrap();
        contains(&example_of(self.op(id), MediaKind::Json), &got, id)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        self.reached(id);
    }

    fn reached(&mut self, id: &str) {
        let (seen_id, body) = self.recorder.seen.lock().unwrap().last().cloned().unwrap();
        assert_eq!(seen_id, id, "the request reached the wrong operation");
        let op = self.op(id);
        let example = op
            .body
            .as_ref()
            .filter(|b| b.content.first().is_some_and(|c| c.kind == MediaKind::Json))
            .and_then(|b| b.content[0].examples.first());
        if let Some(example) = example {
            let body = body.unwrap_or_else(|| panic!("{id}: no JSON body sent"));
            contains(&example.value, &body, id).unwrap_or_else(|e| panic!("{id} request: {e}"));
        }
        self.called.insert(id.to_owned());
    }

    /// An auto-paginated list yields the items of the example page.
    async fn check_stream<T: Serialize>(&mut self, id: &str, stream: ItemStream<T>) {
        let items: Vec<T> = stream
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let got = serde_json::to_value(items).unwrap();
        let example = example_of(self.op(id), MediaKind::Json);
        contains(&example["data"], &got, id).unwrap_or_else(|e| panic!("{id} stream: {e}"));
        self.reached(id);
    }
}

#[tokio::test]
async fn every_operation_round_trips_its_examples() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"))
        .unwrap();
    let api = codegen::load(&spec).unwrap();
    let recorder = Arc::new(Recorder {
        api: api.clone(),
        seen: Mutex::new(Vec::new()),
    });
    let mock = Mock {
        api_key: Some(KEY.to_owned()),
    };
    let router = maniac_api::server::router(Arc::new(mock)).layer(
        axum::middleware::from_fn_with_state(recorder.clone(), record),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = Client::builder()
        .base_url(&base)
        .api_key_auth(KEY)
        .build()
        .unwrap();
    let mut c = Checker {
        api: &api,
        recorder: &recorder,
        called: BTreeSet::new(),
    };
    let bodies = (
        request_example::<maniac_api::models::ChatReq>(&api, "chat_completions_create"),
        request_example::<maniac_api::models::RegisterCompletionsReq>(
            &api,
            "chat_completions_register",
        ),
        request_example::<maniac_api::models::CreateContainerReq>(&api, "containers_create"),
        request_example::<maniac_api::models::UpdateContainerReq>(&api, "containers_update"),
        request_example::<maniac_api::models::AddModelToContainerReq>(&api, "models_create"),
        request_example::<maniac_api::models::CreateEvaluatorReq>(&api, "evaluators_create"),
        request_example::<maniac_api::models::UpdateEvaluatorReq>(&api, "evaluators_update"),
        request_example::<maniac_api::models::CreateDatasetReq>(&api, "datasets_create"),
        request_example::<maniac_api::models::CreateEvaluationRunReq>(
            &api,
            "evaluation_runs_create",
        ),
        request_example::<maniac_api::models::CreateOptimizationRunReq>(
            &api,
            "optimization_runs_create",
        ),
        request_example::<maniac_api::models::CreateRlmResponseReq>(&api, "rlm_responses_create"),
    );

    c.check(
        "chat_completions_list",
        client.chat_completions_list(&Default::default()).await,
    );
    c.check(
        "chat_completions_create",
        client.chat_completions_create(&bodies.0).await,
    );
    c.check(
        "chat_completions_register",
        client.chat_completions_register(&bodies.1).await,
    );
    c.check(
        "chat_completions_retrieve",
        client.chat_completions_retrieve("cmpl-1").await,
    );
    c.check(
        "containers_list",
        client.containers_list(&Default::default()).await,
    );
    c.check(
        "containers_create",
        client.containers_create(&bodies.2).await,
    );
    c.check(
        "containers_retrieve",
        client.containers_retrieve("my-container").await,
    );
    c.check(
        "containers_update",
        client.containers_update("my-container", &bodies.3).await,
    );
    c.check(
        "containers_delete",
        client.containers_delete("my-container").await,
    );
    c.check("files_list", client.files_list(&Default::default()).await);
    let form = FilesCreateForm {
        file: Upload::from_bytes(FILE_BYTES).file_name("train.jsonl"),
        purpose: "fine-tune".into(),
    };
    c.check("files_create", client.files_create(form).await);
    c.check("files_retrieve", client.files_retrieve("file-1").await);
    c.check("files_delete", client.files_delete("file-1").await);
    let content = client.files_content("file-1").await.unwrap();
    let example = example_of(c.op("files_content"), MediaKind::Binary);
    let bytes = content.into_inner().collect().await.unwrap();
    assert_eq!(bytes, example.as_str().unwrap().as_bytes());
    c.reached("files_content");
    c.check("models_list", client.models_list(&Default::default()).await);
    c.check("models_create", client.models_create(&bodies.4).await);
    c.check(
        "evaluators_list",
        client.evaluators_list(&Default::default()).await,
    );
    c.check(
        "evaluators_create",
        client.evaluators_create(&bodies.5).await,
    );
    c.check(
        "evaluators_retrieve",
        client.evaluators_retrieve("ev-1").await,
    );
    c.check(
        "evaluators_update",
        client.evaluators_update("ev-1", &bodies.6).await,
    );
    c.check("evaluators_delete", client.evaluators_delete("ev-1").await);
    c.check(
        "datasets_list",
        client.datasets_list(&Default::default()).await,
    );
    c.check("datasets_create", client.datasets_create(&bodies.7).await);
    c.check("datasets_retrieve", client.datasets_retrieve("ds-1").await);
    c.check(
        "evaluation_runs_list",
        client.evaluation_runs_list(&Default::default()).await,
    );
    c.check(
        "evaluation_runs_create",
        client.evaluation_runs_create(&bodies.8).await,
    );
    c.check(
        "evaluation_runs_retrieve",
        client.evaluation_runs_retrieve("run-1").await,
    );
    c.check(
        "optimization_runs_create",
        client.optimization_runs_create(&bodies.9).await,
    );
    c.check(
        "rlm_responses_create",
        client.rlm_responses_create(&bodies.10).await,
    );
    c.check(
        "rlm_responses_retrieve",
        client.rlm_responses_retrieve("resp-1").await,
    );
    c.check("traces_list", client.traces_list(&Default::default()).await);
    c.check("traces_retrieve", client.traces_retrieve("trace-1").await);

    let all: BTreeSet<String> = api.operations.iter().map(|op| op.id.clone()).collect();
    assert_eq!(c.called, all, "every operation is called");
    assert_eq!(all.len(), 32);

    // The auto-paginating forms (the mock's pages hold every item: one request each).
    c.check_stream(
        "chat_completions_list",
        client.chat_completions_list_stream(&Default::default()),
    )
    .await;
    c.check_stream(
        "containers_list",
        client.containers_list_stream(&Default::default()),
    )
    .await;
    c.check_stream("files_list", client.files_list_stream(&Default::default()))
        .await;
    c.check_stream(
        "models_list",
        client.models_list_stream(&Default::default()),
    )
    .await;
    c.check_stream(
        "evaluators_list",
        client.evaluators_list_stream(&Default::default()),
    )
    .await;
    c.check_stream(
        "datasets_list",
        client.datasets_list_stream(&Default::default()),
    )
    .await;
    c.check_stream(
        "evaluation_runs_list",
        client.evaluation_runs_list_stream(&Default::default()),
    )
    .await;
    c.check_stream(
        "traces_list",
        client.traces_list_stream(&Default::default()),
    )
    .await;
}

// ------------------------------------------------------------------------ a test implementation

/// Streams chat completions, rejects keys other than [`KEY`], and leaves every other
/// operation to the trait's default (501 in the API's envelope).
struct Streamer;

fn chunk(text: &str) -> maniac_api::models::ChatCompletionChunk {
    serde_json::from_value(serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1767225600,
        "model": "openai/gpt-4o",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]
    }))
    .unwrap()
}

impl maniac_api::server::ManiacApi for Streamer {
    type Claims = ();

    async fn authenticate(
        &self,
        credential: maniac_api::server::Credential<'_>,
    ) -> Result<(), maniac_api::server::Rejection> {
        if credential.value == KEY {
            Ok(())
        } else {
            Err(maniac_api::server::Rejection::unauthorized("unknown key"))
        }
    }

    async fn chat_completions_create(
        &self,
        _ctx: maniac_api::server::RequestContext<()>,
        body: maniac_api::models::ChatReq,
    ) -> maniac_api::server::ChatCompletionsCreateResponse {
        use maniac_api::server::{ChatCompletionsCreateResponse as R, EventStream, Problem};
        assert_eq!(body.stream, Some(true), "the client sets the stream flag");
        let mut items = vec![Ok(chunk("Hel")), Ok(chunk("lo"))];
        if body.model.as_deref() == Some("failing") {
            items.push(Err(Problem::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "upstream_failed",
                "the upstream provider failed",
            )));
        }
        R::OkEventStream(EventStream::new(futures_util::stream::iter(items)))
    }
}

#[tokio::test]
async fn streams_errors_and_defaults_through_the_generated_router() {
    let router = maniac_api::server::router(Arc::new(Streamer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = Client::builder()
        .base_url(&base)
        .api_key_auth(KEY)
        .build()
        .unwrap();
    let request = |model: &str| maniac_api::models::ChatReq {
        model: Some(model.into()),
        messages: vec![serde_json::from_value(
            serde_json::json!({"role": "user", "content": "Hi"}),
        )
        .unwrap()],
        ..Default::default()
    };

    // Typed chunks, ending at the server's `data: [DONE]`.
    let stream = client
        .chat_completions_create_stream(&request("openai/gpt-4o"))
        .await
        .unwrap();
    assert!(
        stream.request_id().is_some(),
        "the router sends a request id"
    );
    let chunks: Vec<_> = stream.into_inner().try_collect().await.unwrap();
    let text: Vec<_> = chunks
        .iter()
        .map(|c| c.choices[0].delta.content.clone().unwrap())
        .collect();
    assert_eq!(text, ["Hel", "lo"]);

    // An error item becomes the server's error frame, then the client's `Err`.
    let mut stream = client
        .chat_completions_create_stream(&request("failing"))
        .await
        .unwrap()
        .into_inner();
    use futures_util::StreamExt;
    assert!(stream.next().await.unwrap().is_ok());
    assert!(stream.next().await.unwrap().is_ok());
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.envelope().unwrap().error.code, "upstream_failed");
    assert!(stream.next().await.is_none());

    // Operations left to the trait's default: 501 in the envelope, with a request id.
    let error = client.traces_retrieve("t").await.unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::NotImplemented));
    assert!(error.envelope().is_some(), "{error:?}");
    assert!(error.request_id().is_some());
    // One whose document lists no 501 answers with the closest status it lists, its 500.
    let error = client.files_retrieve("f").await.unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::InternalServer));
    assert!(error.envelope().is_some(), "{error:?}");

    // The router's own rejections: a wrong key (401) and a bound broken (limit ≥ 1).
    let stranger = Client::builder()
        .base_url(&base)
        .api_key_auth("sk-other")
        .build()
        .unwrap();
    let error = stranger.files_retrieve("f").await.unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::Unauthorized));
    assert!(error.envelope().is_some(), "{error:?}");
    let error = client
        .files_list(&FilesListParams {
            limit: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::BadRequest | ErrorKind::UnprocessableEntity)
        ),
        "{error:?}"
    );
    assert!(error.envelope().is_some(), "{error:?}");
}
