//! End-to-end tests of the generated axum server over HTTP on 127.0.0.1: every operation
//! reached with its inputs, every rejection in the API's envelope, SSE framing, auth.

use futures_util::StreamExt;
use maniac_api::models;
use maniac_api::server::mock::Mock;
use maniac_api::server::*;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Ctx = RequestContext<String>;

/// Records what each handler received, then answers as the mock does.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    mock: Mock,
}

fn unit(ctx: &Ctx) -> RequestContext<()> {
    RequestContext {
        request_id: ctx.request_id.clone(),
        headers: Default::default(),
        claims: Some(()),
    }
}

impl Recorder {
    fn record(&self, ctx: &Ctx, line: String) {
        let trace = ctx
            .headers
            .get("x-trace")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let line = format!(
            "{line} claims={} trace={trace} id={}",
            ctx.claims.as_deref().unwrap_or("-"),
            ctx.request_id
        );
        self.seen.lock().unwrap().push(line);
    }

    fn last(&self) -> String {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or_default()
    }
}

/// A handler that records its inputs (Debug) and forwards to the mock.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $response:ty;)*) => {
        $(
            async fn $name(&self, ctx: Ctx, $($arg: $ty),*) -> $response {
                let mut line = String::from(stringify!($name));
                $(line.push_str(&format!(" {}: {:?}", stringify!($arg), $arg));)*
                self.record(&ctx, line);
                self.mock.$name(unit(&ctx), $($arg),*).await
            }
        )*
    };
}

fn chunk(text: &str) -> models::ChatCompletionChunk {
    serde_json::from_value(json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1767225600,
        "model": "openai/gpt-4o",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": null}]
    }))
    .unwrap()
}

impl ManiacApi for Recorder {
    type Claims = String;

    async fn authenticate(&self, credential: Credential<'_>) -> Result<String, Rejection> {
        match credential.value {
            "bad" => Err(Rejection::unauthorized("invalid API key")),
            "outsider" => Err(Rejection::forbidden("not your project")),
            token => Ok(format!("{}:{token}", credential.scheme)),
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            body: 64 * 1024,
            upload: 256 * 1024,
            file_memory: 16 * 1024,
        }
    }

    async fn chat_completions_create(
        &self,
        ctx: Ctx,
        body: models::ChatReq,
    ) -> ChatCompletionsCreateResponse {
        self.record(&ctx, format!("chat_completions_create {body:?}"));
        if body.stream != Some(true) {
            return self.mock.chat_completions_create(unit(&ctx), body).await;
        }
        let fail = body
            .metadata
            .as_ref()
            .is_some_and(|m| m.contains_key("fail"));
        let idle = body
            .metadata
            .as_ref()
            .is_some_and(|m| m.contains_key("idle"));
        let items = futures_util::stream::iter(vec![Ok(chunk("Hel")), Ok(chunk("lo"))]).chain(
            futures_util::stream::once(async move {
                if idle {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                if fail {
                    Err(Problem::new(
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "upstream_unavailable",
                        "the upstream model went away",
                    ))
                } else {
                    Ok(chunk("!"))
                }
            }),
        );
        ChatCompletionsCreateResponse::OkEventStream(
            EventStream::new(items).keep_alive(Duration::from_millis(50)),
        )
    }

    async fn files_create(&self, ctx: Ctx, body: FilesCreateForm) -> FilesCreateResponse {
        let name = body.file.file_name.clone();
        let purpose = body.purpose.clone();
        let bytes = body.file.bytes().await;
        let content = match &bytes {
            Ok(b) => String::from_utf8_lossy(b).into_owned(),
            Err(e) => format!("error: {e}"),
        };
        self.record(
            &ctx,
            format!("files_create purpose={purpose} name={name:?} content={content}"),
        );
        let form = FilesCreateForm {
            file: FilePart::from_bytes(name, bytes.unwrap_or_default()),
            purpose,
        };
        self.mock.files_create(unit(&ctx), form).await
    }

    forward! {
        chat_completions_list(params: ChatCompletionsListParams) -> ChatCompletionsListResponse;
        chat_completions_register(body: models::RegisterCompletionsReq) -> ChatCompletionsRegisterResponse;
        chat_completions_retrieve(completion_id: String) -> ChatCompletionsRetrieveResponse;
        containers_list(params: ContainersListParams) -> ContainersListResponse;
        containers_create(body: models::CreateContainerReq) -> ContainersCreateResponse;
        containers_retrieve(label: String) -> ContainersRetrieveResponse;
        containers_delete(label: String) -> ContainersDeleteResponse;
        containers_update(label: String, body: models::UpdateContainerReq) -> ContainersUpdateResponse;
        files_list(params: FilesListParams) -> FilesListResponse;
        files_retrieve(file_id: String) -> FilesRetrieveResponse;
        files_delete(file_id: String) -> FilesDeleteResponse;
        files_content(file_id: String) -> FilesContentResponse;
        models_list(params: ModelsListParams) -> ModelsListResponse;
        models_create(body: models::AddModelToContainerReq) -> ModelsCreateResponse;
        evaluators_list(params: EvaluatorsListParams) -> EvaluatorsListResponse;
        evaluators_create(body: models::CreateEvaluatorReq) -> EvaluatorsCreateResponse;
        evaluators_retrieve(evaluator_id: String) -> EvaluatorsRetrieveResponse;
        evaluators_delete(evaluator_id: String) -> EvaluatorsDeleteResponse;
        evaluators_update(evaluator_id: String, body: models::UpdateEvaluatorReq) -> EvaluatorsUpdateResponse;
        datasets_list(params: DatasetsListParams) -> DatasetsListResponse;
        datasets_create(body: models::CreateDatasetReq) -> DatasetsCreateResponse;
        datasets_retrieve(dataset_id: String) -> DatasetsRetrieveResponse;
        evaluation_runs_list(params: EvaluationRunsListParams) -> EvaluationRunsListResponse;
        evaluation_runs_create(body: models::CreateEvaluationRunReq) -> EvaluationRunsCreateResponse;
        evaluation_runs_retrieve(run_id: String) -> EvaluationRunsRetrieveResponse;
        optimization_runs_create(body: models::CreateOptimizationRunReq) -> OptimizationRunsCreateResponse;
        rlm_responses_create(body: models::CreateRlmResponseReq) -> RlmResponsesCreateResponse;
        rlm_responses_retrieve(response_id: String) -> RlmResponsesRetrieveResponse;
        traces_list(params: TracesListParams) -> TracesListResponse;
        traces_retrieve(id: String) -> TracesRetrieveResponse;
    }
}

async fn serve<A: ManiacApi>(api: Arc<A>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(api)).await.unwrap() });
    addr
}

struct Server {
    addr: SocketAddr,
    api: Arc<Recorder>,
    http: reqwest::Client,
}

impl Server {
    async fn start() -> Server {
        let api = Arc::new(Recorder::default());
        Server {
            addr: serve(api.clone()).await,
            api,
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.http
            .request(method, format!("http://{}{path}", self.addr))
            .bearer_auth("k1")
            .header("x-trace", "t-1")
    }
}

/// Status and JSON body (or `null` when the body is not JSON).
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The request body example the document gives for an operation.
fn request_example(operation_id: &str) -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"))
        .unwrap();
    let api = codegen::load(&text).unwrap();
    let op = api
        .operations
        .iter()
        .find(|o| o.id == operation_id)
        .unwrap();
    op.body.as_ref().unwrap().content[0].examples[0]
        .value
        .clone()
}

#[tokio::test]
async fn every_operation_is_reached_with_its_path_query_header_and_body() {
    let server = Server::start().await;
    let uuid = "5f0c8a3e-2b1d-4c6e-9f7a-1b2c3d4e5f60";
    // (method, path and query, operationId whose example is the JSON body, what the handler saw)
    let cases: Vec<(&str, String, Option<&str>, Vec<String>)> = vec![
        (
            "GET",
            "/v1/chat/completions?limit=5&model=openai%2Fgpt-4o&order=asc".into(),
            None,
            vec![
                "chat_completions_list".into(),
                "limit: 5".into(),
                "offset: 0".into(),
                "model: Some(\"openai/gpt-4o\")".into(),
                "order: Asc".into(),
            ],
        ),
        (
            "POST",
            "/v1/chat/completions".into(),
            Some("chat_completions_create"),
            vec![
                "chat_completions_create".into(),
                "\"You are a helpful assistant.\"".into(),
                "temperature: Some(0.2)".into(),
            ],
        ),
        (
            "POST",
            "/v1/chat/completions/register".into(),
            Some("chat_completions_register"),
            vec![
                "chat_completions_register".into(),
                "What is the capital of France?".into(),
            ],
        ),
        (
            "GET",
            "/v1/chat/completions/chatcmpl-8f2c1a".into(),
            None,
            vec![
                "chat_completions_retrieve".into(),
                "completion_id: \"chatcmpl-8f2c1a\"".into(),
            ],
        ),
        (
            "GET",
            "/v1/containers?offset=3".into(),
            None,
            vec![
                "containers_list".into(),
                "limit: 20".into(),
                "offset: 3".into(),
            ],
        ),
        (
            "POST",
            "/v1/containers".into(),
            Some("containers_create"),
            vec!["containers_create".into(), "label: \"my-container\"".into()],
        ),
        (
            "GET",
            "/v1/containers/my%20box".into(),
            None,
            vec!["containers_retrieve".into(), "label: \"my box\"".into()],
        ),
        (
            "DELETE",
            "/v1/containers/old".into(),
            None,
            vec!["containers_delete".into(), "label: \"old\"".into()],
        ),
        (
            "PATCH",
            "/v1/containers/c1".into(),
            Some("containers_update"),
            vec![
                "containers_update".into(),
                "label: \"c1\"".into(),
                "You are a concise support assistant.".into(),
            ],
        ),
        (
            "GET",
            "/v1/files?purpose=fine-tune&limit=7".into(),
            None,
            vec![
                "files_list".into(),
                "purpose: Some(\"fine-tune\")".into(),
                "limit: 7".into(),
            ],
        ),
        (
            "GET",
            format!("/v1/files/{uuid}"),
            None,
            vec!["files_retrieve".into(), format!("file_id: \"{uuid}\"")],
        ),
        (
            "DELETE",
            format!("/v1/files/{uuid}"),
            None,
            vec!["files_delete".into(), format!("file_id: \"{uuid}\"")],
        ),
        (
            "GET",
            format!("/v1/files/{uuid}/content"),
            None,
            vec!["files_content".into(), format!("file_id: \"{uuid}\"")],
        ),
        (
            "GET",
            "/v1/models?container=my-container".into(),
            None,
            vec![
                "models_list".into(),
                "limit: 100".into(),
                "container: Some(\"my-container\")".into(),
            ],
        ),
        (
            "POST",
            "/v1/models".into(),
            Some("models_create"),
            vec!["models_create".into()],
        ),
        (
            "GET",
            "/v1/evaluators?container=c2&limit=2".into(),
            None,
            vec!["evaluators_list".into(), "\"c2\"".into(), "limit: 2".into()],
        ),
        (
            "POST",
            "/v1/evaluators".into(),
            Some("evaluators_create"),
            vec!["evaluators_create".into()],
        ),
        (
            "GET",
            "/v1/evaluators/ev-1".into(),
            None,
            vec![
                "evaluators_retrieve".into(),
                "evaluator_id: \"ev-1\"".into(),
            ],
        ),
        (
            "DELETE",
            "/v1/evaluators/ev-2".into(),
            None,
            vec!["evaluators_delete".into(), "evaluator_id: \"ev-2\"".into()],
        ),
        (
            "PATCH",
            "/v1/evaluators/ev-3".into(),
            Some("evaluators_update"),
            vec!["evaluators_update".into(), "evaluator_id: \"ev-3\"".into()],
        ),
        (
            "GET",
            "/v1/datasets?offset=1".into(),
            None,
            vec!["datasets_list".into(), "offset: 1".into()],
        ),
        (
            "POST",
            "/v1/datasets".into(),
            Some("datasets_create"),
            vec!["datasets_create".into()],
        ),
        (
            "GET",
            "/v1/datasets/ds-1".into(),
            None,
            vec!["datasets_retrieve".into(), "dataset_id: \"ds-1\"".into()],
        ),
        (
            "GET",
            "/v1/evaluation/runs?status=completed".into(),
            None,
            vec![
                "evaluation_runs_list".into(),
                "status: Some(\"completed\")".into(),
            ],
        ),
        (
            "POST",
            "/v1/evaluation/runs".into(),
            Some("evaluation_runs_create"),
            vec!["evaluation_runs_create".into()],
        ),
        (
            "GET",
            "/v1/evaluation/runs/run-9".into(),
            None,
            vec![
                "evaluation_runs_retrieve".into(),
                "run_id: \"run-9\"".into(),
            ],
        ),
        (
            "POST",
            "/v1/optimization/runs".into(),
            Some("optimization_runs_create"),
            vec!["optimization_runs_create".into()],
        ),
        (
            "POST",
            "/v1/rlm/responses".into(),
            Some("rlm_responses_create"),
            vec!["rlm_responses_create".into()],
        ),
        (
            "GET",
            "/v1/rlm/responses/resp-7".into(),
            None,
            vec![
                "rlm_responses_retrieve".into(),
                "response_id: \"resp-7\"".into(),
            ],
        ),
        (
            "GET",
            "/v1/traces?limit=3&offset=4".into(),
            None,
            vec!["traces_list".into(), "limit: 3".into(), "offset: 4".into()],
        ),
        (
            "GET",
            "/v1/traces/tr-1".into(),
            None,
            vec!["traces_retrieve".into(), "id: \"tr-1\"".into()],
        ),
    ];
    let mut reached = std::collections::BTreeSet::new();
    for (method, path, example, expected) in &cases {
        let mut request = server.request(method, path);
        if let Some(id) = example {
            request = request.json(&request_example(id));
        }
        let response = request.send().await.unwrap();
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let (status, body) = answer(response).await;
        assert!(
            status == 200 || status == 501,
            "{method} {path}: {status} {body}"
        );
        let seen = server.api.last();
        for piece in expected {
            assert!(
                seen.contains(piece.as_str()),
                "{method} {path}: `{piece}` not in {seen}"
            );
        }
        assert!(seen.contains("claims=ApiKeyAuth:k1 trace=t-1"), "{seen}");
        assert!(
            seen.ends_with(&format!("id={request_id}")),
            "{seen} vs {request_id}"
        );
        reached.insert(expected[0].clone());
    }
    // The multipart upload is the last of the document's operations.
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"hello file".to_vec()).file_name("a.jsonl"),
        );
    let response = server
        .request("POST", "/v1/files")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen = server.api.last();
    assert!(
        seen.contains("files_create purpose=fine-tune name=Some(\"a.jsonl\") content=hello file"),
        "{seen}"
    );
    reached.insert("files_create".into());
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"))
        .unwrap();
    let api = codegen::load(&text).unwrap();
    let all: std::collections::BTreeSet<String> =
        api.operations.iter().map(|o| o.name.clone()).collect();
    assert_eq!(reached, all);
}

#[tokio::test]
async fn a_multipart_file_before_its_text_parts_still_reaches_the_handler() {
    let server = Server::start().await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"first".to_vec()).file_name("b.txt"),
        )
        .text("purpose", "evaluation");
    let response = server
        .request("POST", "/v1/files")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(server
        .api
        .last()
        .contains("purpose=evaluation name=Some(\"b.txt\") content=first"));
}

/// A `multipart/form-data` body from `(name, file name, contents)` parts, closed with the
/// last boundary when `closed`.
fn raw_form(parts: &[(&str, Option<&str>, &[u8])], closed: bool) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, contents) in parts {
        let file_name = file_name.map_or(String::new(), |f| format!("; filename=\"{f}\""));
        body.extend_from_slice(
            format!("--XB\r\nContent-Disposition: form-data; name=\"{name}\"{file_name}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(contents);
        body.extend_from_slice(b"\r\n");
    }
    if closed {
        body.extend_from_slice(b"--XB--\r\n");
    }
    body
}

/// Every part of an upload is read and checked before the handler runs, whichever order
/// the parts come in: a second file, an unknown part and a body without its closing
/// boundary are refused in the envelope, after the file as before it.
#[tokio::test]
async fn multipart_uploads_are_checked_to_the_end_in_any_order() {
    let server = Server::start().await;
    let post = |body: Vec<u8>| {
        server
            .request("POST", "/v1/files")
            .header("content-type", "multipart/form-data; boundary=XB")
            .body(body)
            .send()
    };
    let file = (0..40_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>();
    let purpose: &[u8] = b"fine-tune";
    let cases: &[(&str, Vec<u8>, u16, &str)] = &[
        (
            "duplicate file, purpose first",
            raw_form(
                &[
                    ("purpose", None, purpose),
                    ("file", Some("a"), &file),
                    ("file", Some("b"), b"second"),
                ],
                true,
            ),
            422,
            "body/file: the part is given more than once",
        ),
        (
            "duplicate file, file first",
            raw_form(
                &[
                    ("file", Some("a"), &file),
                    ("file", Some("b"), b"second"),
                    ("purpose", None, purpose),
                ],
                true,
            ),
            422,
            "body/file: the part is given more than once",
        ),
        (
            "unknown part after the file",
            raw_form(
                &[
                    ("purpose", None, purpose),
                    ("file", Some("a"), &file),
                    ("extra", None, b"x"),
                ],
                true,
            ),
            422,
            "body/extra: the form has no such part",
        ),
        (
            "unknown part before the file",
            raw_form(
                &[
                    ("extra", Some("e"), b"x"),
                    ("purpose", None, purpose),
                    ("file", Some("a"), &file),
                ],
                true,
            ),
            422,
            "body/extra: the form has no such part",
        ),
        (
            "unterminated, file last",
            raw_form(
                &[("purpose", None, purpose), ("file", Some("a"), &file)],
                false,
            ),
            400,
            "malformed multipart body",
        ),
        (
            "unterminated, file first",
            raw_form(
                &[("file", Some("a"), &file), ("purpose", None, purpose)],
                false,
            ),
            400,
            "malformed multipart body",
        ),
    ];
    for (case, body, status, message) in cases {
        let (got, answer) = answer(post(body.clone()).await.unwrap()).await;
        assert_eq!(got, *status, "{case}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message)),
            "{case}: {answer}"
        );
    }
    // None of them reached the handler.
    assert!(server.api.seen.lock().unwrap().is_empty());

    // File first and file last: both whole (past this server's 16 KiB of file memory).
    for parts in [
        [
            ("file", Some("f.bin"), &file[..]),
            ("purpose", None, purpose),
        ],
        [
            ("purpose", None, purpose),
            ("file", Some("f.bin"), &file[..]),
        ],
    ] {
        let (status, answer) = answer(post(raw_form(&parts, true)).await.unwrap()).await;
        assert_eq!(status, 200, "{answer}");
        let seen = server.api.last();
        let expected = format!("content={}", String::from_utf8_lossy(&file));
        assert!(
            seen.contains("purpose=fine-tune name=Some(\"f.bin\")"),
            "{seen}"
        );
        assert!(seen.contains(&expected));
    }
}

/// Large files, before or after the other parts, go to a temporary file past
/// `Limits::file_memory` and reach the handler whole.
#[tokio::test]
async fn large_uploads_spill_to_a_temporary_file_and_stream_back_intact() {
    #[derive(Default)]
    struct Spill(Mutex<Vec<(bool, u64, u64, String)>>);
    impl ManiacApi for Spill {
        type Claims = ();
        async fn authenticate(&self, _: Credential<'_>) -> Result<(), Rejection> {
            Ok(())
        }
        fn limits(&self) -> Limits {
            Limits {
                upload: 64 * 1024 * 1024,
                file_memory: 1024 * 1024,
                ..Limits::default()
            }
        }
        async fn files_create(
            &self,
            ctx: RequestContext<()>,
            body: FilesCreateForm,
        ) -> FilesCreateResponse {
            let on_disk = body.file.is_on_disk();
            let size = body.file.size();
            let mut file = body.file;
            let (mut read, mut sum) = (0u64, 0u64);
            while let Some(chunk) = file.next().await {
                let chunk = chunk.unwrap();
                read += chunk.len() as u64;
                sum = chunk
                    .iter()
                    .fold(sum, |s, b| s.wrapping_mul(31).wrapping_add(u64::from(*b)));
            }
            assert_eq!(read, size);
            self.0
                .lock()
                .unwrap()
                .push((on_disk, size, sum, body.purpose));
            let form = FilesCreateForm {
                file: FilePart::from_bytes(None, Vec::new()),
                purpose: "fine-tune".into(),
            };
            Mock::default().files_create(ctx, form).await
        }
    }

    let api = Arc::new(Spill::default());
    let addr = serve(api.clone()).await;
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let sum = big
        .iter()
        .fold(0u64, |s, b| s.wrapping_mul(31).wrapping_add(u64::from(*b)));
    let http = reqwest::Client::new();
    let send = |form: reqwest::multipart::Form| {
        http.post(format!("http://{addr}/v1/files"))
            .bearer_auth("k")
            .multipart(form)
            .send()
    };
    for file_first in [true, false] {
        let file = reqwest::multipart::Part::bytes(big.clone()).file_name("big.bin");
        let form = reqwest::multipart::Form::new();
        let form = if file_first {
            form.part("file", file).text("purpose", "evaluation")
        } else {
            form.text("purpose", "evaluation").part("file", file)
        };
        let response = send(form).await.unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let small = reqwest::multipart::Part::bytes(vec![1u8; 1000]).file_name("s");
    let small = reqwest::multipart::Form::new()
        .part("file", small)
        .text("purpose", "evaluation");
    assert_eq!(send(small).await.unwrap().status(), 200);
    let seen = api.0.lock().unwrap().clone();
    let large = (true, big.len() as u64, sum, "evaluation".to_owned());
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[..2], [large.clone(), large]);
    assert_eq!((seen[2].0, seen[2].1), (false, 1000));
}

fn error_of(body: &Value) -> (&str, &str) {
    let error = &body["error"];
    (
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not the envelope: {body}")),
        error["message"]
            .as_str()
            .unwrap_or_else(|| panic!("not the envelope: {body}")),
    )
}

#[tokio::test]
async fn every_rejection_is_a_4xx_in_the_error_envelope() {
    let server = Server::start().await;
    let chat = || server.request("POST", "/v1/chat/completions");

    // Malformed JSON: 400.
    let (status, body) = answer(
        chat()
            .header("content-type", "application/json")
            .body("{\"messages\": [")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).0, "bad_request");
    assert!(error_of(&body).1.contains("not valid JSON"), "{body}");

    // Missing field: 422 naming it.
    let (status, body) = answer(chat().json(&json!({"model": "m"})).send().await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(
        error_of(&body).1.contains("missing field `messages`"),
        "{body}"
    );

    // Wrong type: 422 naming the field.
    let (status, body) = answer(
        chat()
            .json(&json!({"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["details"]["field"], "body/temperature",
        "{body}"
    );

    // A value outside the schema's enum: 422 naming the field.
    let (status, body) = answer(
        chat()
            .json(&json!({"messages": [{"role": "wizard", "content": "hi"}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(error_of(&body).1.starts_with("body/messages/0"), "{body}");

    // minItems: 422 naming the field.
    let (status, body) = answer(
        server
            .request("POST", "/v1/evaluation/runs")
            .json(&json!({"container": "c", "evaluators": []}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        error_of(&body).1,
        "body/evaluators: must have at least 1 items"
    );

    // minimum / maximum on a query parameter: 422 naming it.
    for (query, message) in [
        ("limit=0", "query/limit: must be at least 1"),
        ("limit=101", "query/limit: must be at most 100"),
        ("limit=ten", "query/limit: `ten` is not a valid integer"),
        (
            "order=sideways",
            "query/order: `sideways` is not one of the allowed values",
        ),
    ] {
        let (status, body) = answer(
            server
                .request("GET", &format!("/v1/chat/completions?{query}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(error_of(&body), ("validation_error", message));
        assert_eq!(
            body["error"]["details"]["field"],
            message.split(':').next().unwrap()
        );
    }

    // Wrong media type: 415, in a status the operation documents (its 400: it lists no 415).
    let (status, body) = answer(
        chat()
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).0, "unsupported_media_type");
    let (status, _) = answer(
        server
            .request("POST", "/v1/files")
            .json(&json!({"purpose": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);

    // Body too large: 413 (JSON limit 64 KiB, upload limit 256 KiB in this server), answered
    // as 400: neither operation lists 413, both list 400.
    let big = json!({"messages": [{"role": "user", "content": "x".repeat(100_000)}]});
    let (status, body) = answer(chat().json(&big).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).0, "payload_too_large");
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![1u8; 300_000]).file_name("big"),
        );
    let (status, body) = answer(
        server
            .request("POST", "/v1/files")
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_of(&body).0),
        (400, "payload_too_large"),
        "{body}"
    );
    // Without a Content-Length the limit is found while the handler streams the file.
    let chunks =
        futures_util::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![2u8; 64 * 1024])));
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part(
            "file",
            reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(chunks)).file_name("big"),
        );
    let (status, body) = answer(
        server
            .request("POST", "/v1/files")
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_of(&body).0),
        (400, "payload_too_large"),
        "{body}"
    );

    // Missing, malformed or refused credentials: 401 (403 when the hook says so).
    let url = format!("http://{}/v1/containers", server.addr);
    let response = server.http.get(&url).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body) = answer(response).await;
    assert_eq!(status, 401);
    assert!(error_of(&body).1.contains("bearer token"), "{body}");
    let (status, _) = answer(
        server
            .http
            .get(&url)
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = answer(
        server
            .http
            .get(&url)
            .bearer_auth("bad")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, error_of(&body).1), (401, "invalid API key"));
    let (status, _) = answer(
        server
            .http
            .get(&url)
            .bearer_auth("outsider")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    // Authentication runs before the body is looked at.
    let (status, _) = answer(
        server
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);

    // Unknown path: 404; wrong method: 405 with Allow.
    let (status, body) = answer(server.request("GET", "/v1/nothing").send().await.unwrap()).await;
    assert_eq!((status, error_of(&body).0), (404, "not_found"));
    let response = server
        .request("PUT", "/v1/containers")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert!(response.headers().contains_key("x-request-id"));
    let (status, body) = answer(response).await;
    assert_eq!((status, error_of(&body).0), (405, "method_not_allowed"));
}

#[tokio::test]
async fn unimplemented_operations_answer_501_in_the_envelope() {
    struct Nothing;
    impl ManiacApi for Nothing {
        type Claims = ();
        async fn authenticate(&self, _: Credential<'_>) -> Result<(), Rejection> {
            Ok(())
        }
    }
    let addr = serve(Arc::new(Nothing)).await;
    let http = reqwest::Client::new();
    // 501 where the operation documents it, else the closest it documents (its 500).
    for (path, expected) in [("/v1/containers", 501), ("/v1/files", 500)] {
        let response = http
            .get(format!("http://{addr}{path}"))
            .bearer_auth("k")
            .send()
            .await
            .unwrap();
        let (status, body) = answer(response).await;
        assert_eq!(status, expected, "{path}");
        assert_eq!(error_of(&body).0, "not_implemented");
    }
}

#[tokio::test]
async fn whole_numbers_go_out_without_a_fraction() {
    // `created`, `index` and the token counts are JSON Schema `number`s (f64): typed
    // clients read `12.0` as a float and refuse it where they expect an integer.
    let addr = serve(Arc::new(Mock::default())).await;
    let text = reqwest::Client::new()
        .post(format!("http://{addr}/v1/chat/completions"))
        .bearer_auth("k")
        .json(&request_example("chat_completions_create"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for whole in [
        r#""created":1767225600"#,
        r#""index":0"#,
        r#""prompt_tokens":12"#,
    ] {
        assert!(text.contains(whole), "{whole} not in {text}");
    }
    assert!(!text.contains(".0,") && !text.contains(".0}"), "{text}");
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let server = Server::start().await;
    let response = server
        .request("GET", "/v1/containers")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    assert!(server.api.last().ends_with("id=abc-123"));
    let made = server.request("GET", "/v1/nowhere").send().await.unwrap();
    assert!(made.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
}

/// The `data:` payloads of an SSE answer, read with a real SSE parser.
async fn sse_frames(response: reqwest::Response) -> Vec<String> {
    use eventsource_stream::Eventsource;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = response.bytes_stream().eventsource();
    let mut out = Vec::new();
    while let Some(event) = events.next().await {
        out.push(event.unwrap().data);
    }
    out
}

#[tokio::test]
async fn chat_streams_are_sse_frames_ending_in_done() {
    let server = Server::start().await;
    let request = json!({"messages": [{"role": "user", "content": "hi"}], "stream": true});
    let response = server
        .request("POST", "/v1/chat/completions")
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let frames = sse_frames(response).await;
    assert_eq!(frames.len(), 4, "{frames:?}");
    assert_eq!(frames[3], "[DONE]");
    let text: String = frames[..3]
        .iter()
        .map(|f| {
            let chunk: models::ChatCompletionChunk = serde_json::from_str(f).unwrap();
            let choice = serde_json::to_value(&chunk.choices[0]).unwrap();
            choice["delta"]["content"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "Hello!");

    // Non-streaming requests get JSON.
    let plain = json!({"messages": [{"role": "user", "content": "hi"}]});
    let response = server
        .request("POST", "/v1/chat/completions")
        .json(&plain)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn an_error_mid_stream_is_an_envelope_frame_and_no_done() {
    let server = Server::start().await;
    let request = json!({"messages": [{"role": "user", "content": "hi"}], "stream": true, "metadata": {"fail": true}});
    let response = server
        .request("POST", "/v1/chat/completions")
        .json(&request)
        .send()
        .await
        .unwrap();
    let frames = sse_frames(response).await;
    assert_eq!(frames.len(), 3, "{frames:?}");
    let error: Value = serde_json::from_str(&frames[2]).unwrap();
    assert_eq!(
        error_of(&error),
        ("upstream_unavailable", "the upstream model went away")
    );
    assert!(!frames.contains(&"[DONE]".to_owned()));
}

#[tokio::test]
async fn idle_streams_get_keep_alive_comments() {
    let server = Server::start().await;
    let request = json!({"messages": [{"role": "user", "content": "hi"}], "stream": true, "metadata": {"idle": true}});
    let response = server
        .request("POST", "/v1/chat/completions")
        .json(&request)
        .send()
        .await
        .unwrap();
    let raw = String::from_utf8(response.bytes().await.unwrap().to_vec()).unwrap();
    // The last chunk comes after 300 ms of silence; keep-alives every 50 ms fill it.
    assert!(raw.lines().any(|l| l.starts_with(':')), "{raw}");
    assert!(raw.trim_end().ends_with("data: [DONE]"), "{raw}");
}

/// files.com's forms name fields like the server's own locals (`part`, `multipart`,
/// `text_limit`, `form`): they once shadowed them and the crate did not compile. Each part
/// reaches its field, the file is streamed once the required parts are in, and the
/// `pattern` on `form` is checked.
#[tokio::test]
async fn form_fields_named_like_the_servers_locals_reach_the_handler() {
    use codegen_tests::fixtures::real_documents::server as fixture;
    use tower::ServiceExt;

    #[derive(Default)]
    struct Uploads(Mutex<Vec<String>>);
    impl fixture::WhatApi for Uploads {
        async fn upload_part(
            &self,
            _ctx: fixture::RequestContext<()>,
            body: fixture::UploadPartForm,
        ) -> fixture::UploadPartResponse {
            let file = body.file.bytes().await.unwrap();
            self.0.lock().unwrap().push(format!(
                "part={} part_field={:?} multipart={:?} text_limit={:?} form={} file={}",
                body.part,
                body.part_field,
                body.multipart,
                body.text_limit,
                body.form,
                String::from_utf8_lossy(&file)
            ));
            fixture::UploadPartResponse::NoContent
        }

        async fn tags_put(
            &self,
            _ctx: fixture::RequestContext<()>,
            body: Vec<String>,
        ) -> fixture::TagsPutResponse {
            fixture::TagsPutResponse::Ok(body)
        }
    }

    let api = Arc::new(Uploads::default());
    let post = |parts: &[(&str, &str)]| {
        let mut body = String::new();
        for (name, value) in parts {
            let file = if *name == "file" {
                "; filename=\"a.bin\""
            } else {
                ""
            };
            body.push_str(&format!(
                "--X\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"
            ));
        }
        body.push_str("--X--\r\n");
        let request = axum::http::Request::post("/uploads")
            .header("content-type", "multipart/form-data; boundary=X")
            .body(axum::body::Body::from(body))
            .unwrap();
        fixture::router(api.clone()).oneshot(request)
    };
    let response = post(&[
        ("part", "3"),
        ("part_field", "p"),
        ("multipart", "true"),
        ("text_limit", "1"),
        ("text_limit", "2"),
        ("form", "abc"),
        ("file", "contents"),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        api.0.lock().unwrap().last().unwrap(),
        "part=3 part_field=Some(\"p\") multipart=Some(true) text_limit=[1, 2] form=abc file=contents"
    );
    // The file first: buffered until `part` and `form` came.
    let response = post(&[("file", "early"), ("form", "xyz"), ("part", "4")])
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(api
        .0
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .ends_with("form=xyz file=early"));
    let response = post(&[("part", "5"), ("form", "ABC"), ("file", "x")])
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    let response = post(&[("form", "abc"), ("file", "x")]).await.unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(api.0.lock().unwrap().len(), 2);

    // `text/json` is JSON: typed, checked, answered as JSON.
    let put = |body: &'static str| {
        let request = axum::http::Request::put("/tags")
            .header("content-type", "text/json; charset=utf-8")
            .body(axum::body::Body::from(body))
            .unwrap();
        fixture::router(api.clone()).oneshot(request)
    };
    let response = put(r#"["a","b"]"#).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(&body[..], br#"["a","b"]"#);
    // Invalid (422 otherwise), answered in the one client error the operation documents.
    let response = put("{}").await.unwrap();
    assert_eq!(response.status(), 400);
}

/// Paths that differ only in a parameter's name (GitHub's
/// `/orgs/{org}/attestations/{attestation_id}` and `.../{subject_digest}`) share one route,
/// as axum refuses two: each operation is reached with its own parameters, parsed to its
/// own types and named as it names them in rejections. The router also builds with the
/// fixture's other paths axum took badly (a `:` segment, a literal `}`, a name with `*`).
#[tokio::test]
async fn sibling_paths_differing_in_names_reach_each_operation() {
    use codegen_tests::fixtures::routes::server as fixture;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);
    type Ctx = fixture::RequestContext<()>;
    impl Seen {
        fn push(&self, line: String) {
            self.0.lock().unwrap().push(line);
        }
    }
    impl fixture::RoutesApi for Seen {
        async fn attestation_get(
            &self,
            _: Ctx,
            org: String,
            attestation_id: i64,
        ) -> fixture::AttestationGetResponse {
            self.push(format!("get org={org} attestation_id={attestation_id}"));
            fixture::AttestationGetResponse::Ok(Default::default())
        }
        async fn attestation_delete(
            &self,
            _: Ctx,
            org: String,
            subject_digest: String,
        ) -> fixture::AttestationDeleteResponse {
            self.push(format!("delete org={org} subject_digest={subject_digest}"));
            fixture::AttestationDeleteResponse::NoContent
        }
        async fn key_version_get(
            &self,
            _: Ctx,
            star_key: String,
            v: i64,
        ) -> fixture::KeyVersionGetResponse {
            self.push(format!("key get *key={star_key} v={v}"));
            fixture::KeyVersionGetResponse::NoContent
        }
        async fn key_version_put(
            &self,
            _: Ctx,
            key: String,
            version: i64,
        ) -> fixture::KeyVersionPutResponse {
            self.push(format!("key put key={key} version={version}"));
            fixture::KeyVersionPutResponse::NoContent
        }
        async fn report_version_get(
            &self,
            _: Ctx,
            version: i64,
        ) -> fixture::ReportVersionGetResponse {
            self.push(format!("report version={version}"));
            fixture::ReportVersionGetResponse::NoContent
        }
        async fn jobs_batch(&self, _: Ctx) -> fixture::JobsBatchResponse {
            self.push("jobs batch".into());
            fixture::JobsBatchResponse::NoContent
        }
    }

    let api = Arc::new(Seen::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = fixture::router(api.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str| {
        let request = http.request(method, format!("http://{addr}{path}"));
        async move { answer(request.send().await.unwrap()).await }
    };
    let last = || api.0.lock().unwrap().last().cloned().unwrap_or_default();
    use reqwest::Method;

    assert_eq!(send(Method::GET, "/orgs/acme/attestations/42").await.0, 200);
    assert_eq!(last(), "get org=acme attestation_id=42");
    let (status, _) = send(Method::DELETE, "/orgs/acme/attestations/sha256:ab").await;
    assert_eq!(status, 204);
    assert_eq!(last(), "delete org=acme subject_digest=sha256:ab");
    // Each checks its own parameter, under its own name.
    let (status, body) = send(Method::GET, "/orgs/acme/attestations/sha256:ab").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("path/attestation_id"), "{body}");
    let (status, body) = send(Method::DELETE, "/orgs/acme/attestations/42").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("path/subject_digest"), "{body}");
    // One route, both methods.
    let response = http
        .post(format!("http://{addr}/orgs/acme/attestations/42"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, DELETE");

    // A route named by position (`*key` is no name axum takes), read under both
    // operations' own names.
    assert_eq!(send(Method::GET, "/keys/k1/versions/2").await.0, 204);
    assert_eq!(last(), "key get *key=k1 v=2");
    assert_eq!(send(Method::PUT, "/keys/k1/versions/3").await.0, 204);
    assert_eq!(last(), "key put key=k1 version=3");

    assert_eq!(send(Method::GET, "/reports/v7").await.0, 204);
    assert_eq!(last(), "report version=7");
    assert_eq!(send(Method::POST, "/jobs/:batch").await.0, 204);
    assert_eq!(last(), "jobs batch");
    // Not served (warned at generation): a parameter followed by text in its segment.
    assert_eq!(send(Method::GET, "/reports/r1.json").await.0, 404);
}

/// The routes a generated router registers, read from the emitted `server.rs`.
fn emitted_routes(document: &str) -> (Vec<String>, Vec<codegen::Warning>) {
    let options = codegen::Options {
        crate_name: "routes".into(),
        source: "routes.yaml".into(),
        standalone: false,

        feature_groups: true,
        runtime: codegen::Runtime::Path("../codegen/runtime".into()),
    };
    let generated = codegen::generate(document, &options).unwrap();
    let server = generated
        .files
        .iter()
        .find(|f| f.path == std::path::Path::new("src/server.rs"))
        .unwrap();
    let mut routes = Vec::new();
    for (at, _) in server.contents.match_indices(".route(") {
        let rest = server.contents[at + ".route(".len()..].trim_start();
        let end = rest[1..].find('"').unwrap() + 2;
        let literal: syn::LitStr = syn::parse_str(&rest[..end]).unwrap();
        routes.push(literal.value());
    }
    (routes, generated.warnings)
}

/// Without building a whole crate: the routes emitted for sibling paths that differ only
/// in names (different methods, the same method, under two prefixes as GitHub has them)
/// all go into one axum router, which panics on a conflict.
#[test]
fn emitted_routes_of_sibling_paths_build_an_axum_router() {
    let op = |id: &str, names: &[&str]| {
        let params: Vec<String> = names
            .iter()
            .map(|n| format!("{{name: '{n}', in: path, required: true, schema: {{type: string}}}}"))
            .collect();
        format!(
            "      operationId: {id}\n      parameters: [{}]\n      responses: {{'204': {{description: ok}}}}\n",
            params.join(", ")
        )
    };
    let mut document = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    for (owner, prefix) in [("org", "orgs"), ("username", "users")] {
        let path = |last: &str| format!("  /{prefix}/{{{owner}}}/attestations/{{{last}}}:\n");
        document.push_str(&path("attestation_id"));
        document.push_str("    get:\n");
        document.push_str(&op(&format!("{prefix}_get"), &[owner, "attestation_id"]));
        document.push_str(&path("subject_digest"));
        document.push_str("    delete:\n");
        document.push_str(&op(&format!("{prefix}_delete"), &[owner, "subject_digest"]));
        document.push_str("    get:\n");
        document.push_str(&op(&format!("{prefix}_list"), &[owner, "subject_digest"]));
    }
    let (routes, warnings) = emitted_routes(&document);
    assert_eq!(
        routes,
        [
            "/orgs/{org}/attestations/{attestation_id}",
            "/users/{username}/attestations/{attestation_id}"
        ]
    );
    let mut router = axum::Router::<()>::new();
    for route in &routes {
        router = router.route(route, axum::routing::get(|| async {}));
    }
    drop(router);
    // The same method twice on one shape: the later one is left out, located.
    let pointers: Vec<&str> = warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "#/paths/~1orgs~1{org}~1attestations~1{subject_digest}/get",
            "#/paths/~1users~1{username}~1attestations~1{subject_digest}/get"
        ]
    );
    assert!(warnings[0]
        .message
        .contains("`GET /orgs/{org}/attestations/{attestation_id}`"));

    // The fixture's paths axum took badly: every emitted route goes in.
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/routes.yaml"))
            .unwrap();
    let mut router = axum::Router::<()>::new().without_v07_checks();
    for route in emitted_routes(&fixture).0 {
        router = router.route(&route, axum::routing::get(|| async {}));
    }
    drop(router);
}

/// The gaps a sweep of hostile requests found (issue 18): each is now refused, naming the
/// value at fault.
#[tokio::test]
async fn values_of_the_wrong_type_repeated_and_empty_parameters_are_refused() {
    let server = Server::start().await;
    let chat = || server.request("POST", "/v1/chat/completions");
    // An enum (here the tag choosing the message's variant) given another type: 422 naming
    // the message, not 400 "not valid JSON".
    for role in [json!(5), Value::Null, json!(["user"])] {
        let (status, body) = answer(
            chat()
                .json(&json!({"model": "m", "messages": [{"role": role, "content": "hi"}]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 422, "{role}: {body}");
        assert!(error_of(&body).1.starts_with("body/messages/0"), "{body}");
    }

    // `enum: [false, null]`: the RLM backend neither streams nor stores.
    for member in ["stream", "store"] {
        let (status, body) = answer(
            server
                .request("POST", "/v1/rlm/responses")
                .json(&json!({"model": "m", "input": "hi", member: true}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 422, "{member}: {body}");
        assert_eq!(body["error"]["details"]["field"], format!("body/{member}"));
    }

    // A parameter given twice: which one counts would be a guess.
    let (status, body) = answer(
        server
            .request("GET", "/v1/chat/completions?limit=1&limit=2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"]["field"], "query/limit");

    // An empty path segment is no value of a path parameter.
    let (status, body) = answer(
        server
            .request("GET", "/v1/files//content")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!((400..500).contains(&status), "{status}: {body}");
    assert_eq!(body["error"]["details"]["field"], "path/file_id", "{body}");
}

/// GitHub's document (1,223 operations, sibling paths that name a segment differently) from
/// the corpus cache `.ci/real-documents` installs: every route the generator emits goes into
/// one axum router without a conflict. Compiling its crate takes minutes, so the router is
/// built from the emitted route strings, as the generated `router()` would insert them.
/// Without the cache (no `npm` run yet) this says so and passes, except in CI, where
/// `.ci/run` installs it first.
#[test]
fn githubs_routes_build_an_axum_router() {
    // Where `cargo xtask corpus` installs it by default.
    let cache = std::env::var_os("CODEGEN_CORPUS_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| {
                    std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                        .join(".cache")
                })
                .join("codegen-corpus")
        });
    let path = cache.join("node_modules/@octokit/openapi/generated/api.github.com.json");
    let Ok(document) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing: run .ci/real-documents first",
            path.display()
        );
        eprintln!(
            "skipped: {} is missing (run .ci/real-documents)",
            path.display()
        );
        return;
    };
    let (routes, _) = emitted_routes(&document);
    assert!(routes.len() > 600, "{} routes", routes.len());
    let mut router = axum::Router::<()>::new();
    for route in &routes {
        router = router.route(route, axum::routing::get(|| async {}));
    }
    drop(router);
}
