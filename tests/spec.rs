//! spec/maniac.yaml, read by the project's own loader, holds every seed operation of the
//! reference and the SDK's RLM and trace operations, with their parameters, body media
//! type and exact set of statuses.

use codegen::ir::{Api, MediaKind, Method, Operation, ParamLocation, Status};

fn maniac() -> Api {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"))
        .unwrap();
    codegen::load(&text).unwrap()
}

const TEN: &[u16] = &[400, 401, 403, 404, 409, 422, 429, 500, 501, 503];
const LIST: &[u16] = &[400, 401, 403, 422, 429, 500, 501, 503];
const FILE: &[u16] = &[400, 401, 403, 404, 422, 429, 500, 503];

/// (operationId, method, path, path+query parameters, request media type, error statuses)
/// from maniac-api.md §2.2, §3 and §9.
#[allow(clippy::type_complexity)]
const SEED: &[(&str, Method, &str, &[&str], Option<&str>, &[u16])] = &[
    (
        "chat_completions_list",
        Method::Get,
        "/v1/chat/completions",
        &["limit", "offset", "model", "container", "order"],
        None,
        LIST,
    ),
    (
        "chat_completions_create",
        Method::Post,
        "/v1/chat/completions",
        &[],
        Some("application/json"),
        &[400, 401, 402, 403, 404, 409, 422, 429, 500, 501, 503],
    ),
    (
        "chat_completions_retrieve",
        Method::Get,
        "/v1/chat/completions/{completion_id}",
        &["completion_id"],
        None,
        TEN,
    ),
    (
        "chat_completions_register",
        Method::Post,
        "/v1/chat/completions/register",
        &[],
        Some("application/json"),
        TEN,
    ),
    (
        "containers_list",
        Method::Get,
        "/v1/containers",
        &["limit", "offset"],
        None,
        LIST,
    ),
    (
        "containers_create",
        Method::Post,
        "/v1/containers",
        &[],
        Some("application/json"),
        TEN,
    ),
    (
        "containers_retrieve",
        Method::Get,
        "/v1/containers/{label}",
        &["label"],
        None,
        TEN,
    ),
    (
        "containers_delete",
        Method::Delete,
        "/v1/containers/{label}",
        &["label"],
        None,
        TEN,
    ),
    (
        "files_list",
        Method::Get,
        "/v1/files",
        &["purpose", "limit", "offset"],
        None,
        &[400, 401, 403, 422, 429, 500, 503],
    ),
    (
        "files_create",
        Method::Post,
        "/v1/files",
        &[],
        Some("multipart/form-data"),
        &[400, 401, 403, 409, 422, 429, 500, 503],
    ),
    (
        "files_retrieve",
        Method::Get,
        "/v1/files/{file_id}",
        &["file_id"],
        None,
        FILE,
    ),
    (
        "files_delete",
        Method::Delete,
        "/v1/files/{file_id}",
        &["file_id"],
        None,
        FILE,
    ),
    (
        "files_content",
        Method::Get,
        "/v1/files/{file_id}/content",
        &["file_id"],
        None,
        FILE,
    ),
    (
        "models_list",
        Method::Get,
        "/v1/models",
        &["limit", "offset", "container"],
        None,
        LIST,
    ),
    (
        "evaluators_list",
        Method::Get,
        "/v1/evaluators",
        &["container", "limit", "offset"],
        None,
        LIST,
    ),
    (
        "evaluators_create",
        Method::Post,
        "/v1/evaluators",
        &[],
        Some("application/json"),
        TEN,
    ),
    (
        "evaluators_delete",
        Method::Delete,
        "/v1/evaluators/{evaluator_id}",
        &["evaluator_id"],
        None,
        TEN,
    ),
    (
        "datasets_create",
        Method::Post,
        "/v1/datasets",
        &[],
        Some("application/json"),
        TEN,
    ),
    (
        "datasets_retrieve",
        Method::Get,
        "/v1/datasets/{dataset_id}",
        &["dataset_id"],
        None,
        TEN,
    ),
];

/// The operations the official Python SDK calls beyond the seed and the other later
/// extras, from maniac-api.md §6, with the document's error conventions.
#[allow(clippy::type_complexity)]
const SDK_EXTRAS: &[(&str, Method, &str, &[&str], Option<&str>, &[u16])] = &[
    (
        "rlm_responses_create",
        Method::Post,
        "/v1/rlm/responses",
        &[],
        Some("application/json"),
        TEN,
    ),
    (
        "rlm_responses_retrieve",
        Method::Get,
        "/v1/rlm/responses/{response_id}",
        &["response_id"],
        None,
        TEN,
    ),
    (
        "traces_list",
        Method::Get,
        "/v1/traces",
        &["limit", "offset"],
        None,
        LIST,
    ),
    (
        "traces_retrieve",
        Method::Get,
        "/v1/traces/{id}",
        &["id"],
        None,
        TEN,
    ),
];

fn find<'a>(api: &'a Api, id: &str) -> &'a Operation {
    api.operations
        .iter()
        .find(|op| op.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

#[test]
fn every_seed_and_sdk_extra_operation_is_present_and_complete() {
    let api = maniac();
    for (id, method, path, params, body, errors) in SEED.iter().chain(SDK_EXTRAS) {
        let op = find(&api, id);
        assert_eq!((op.method, op.path.as_str()), (*method, *path), "{id}");
        assert!(
            op.summary.is_some() && op.description.is_some() && op.tags.len() == 1,
            "{id}"
        );
        let mut names: Vec<&str> = op
            .params
            .iter()
            .filter(|p| matches!(p.location, ParamLocation::Path | ParamLocation::Query))
            .map(|p| p.wire.as_str())
            .collect();
        let mut expected = params.to_vec();
        names.sort();
        expected.sort();
        assert_eq!(names, expected, "{id} parameters");
        let media = op.body.as_ref().map(|b| b.content[0].media_type.as_str());
        assert_eq!(media, *body, "{id} body");
        let mut statuses: Vec<u16> = op
            .responses
            .iter()
            .map(|r| match r.status {
                Status::Code(c) => c,
                other => panic!("{id}: unexpected {other:?}"),
            })
            .collect();
        statuses.sort();
        let mut want = vec![200];
        want.extend_from_slice(errors);
        assert_eq!(statuses, want, "{id} statuses");
        for response in op
            .responses
            .iter()
            .filter(|r| r.status != Status::Code(200))
        {
            let ty = response.content[0]
                .ty
                .as_ref()
                .map(|t| codegen::emit::ty_tokens(&api, t).to_string());
            assert_eq!(
                ty.as_deref(),
                Some("ErrorResponse"),
                "{id} {:?}",
                response.status
            );
        }
    }
}

#[test]
fn list_parameters_carry_defaults_and_bounds() {
    let api = maniac();
    let list = find(&api, "chat_completions_list");
    let limit = list.params.iter().find(|p| p.wire == "limit").unwrap();
    assert_eq!(limit.default, Some(serde_json::json!(20)));
    let offset = list.params.iter().find(|p| p.wire == "offset").unwrap();
    assert_eq!(offset.default, Some(serde_json::json!(0)));
}

#[test]
fn chat_create_answers_json_or_an_event_stream_of_chunks() {
    let api = maniac();
    let create = find(&api, "chat_completions_create");
    let ok = create
        .responses
        .iter()
        .find(|r| r.status == Status::Code(200))
        .unwrap();
    let kinds: Vec<(MediaKind, String)> = ok
        .content
        .iter()
        .map(|c| {
            (
                c.kind,
                codegen::emit::ty_tokens(&api, c.ty.as_ref().unwrap()).to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (MediaKind::Json, "ChatRes".to_owned()),
            (MediaKind::EventStream, "ChatCompletionChunk".to_owned())
        ]
    );
    // The stream's example is its text (OpenAPI 3.2: `schema` a string, `itemSchema` the
    // chunk); the IR holds each event's data, the `[DONE]` terminator being no chunk.
    let events: Vec<&serde_json::Value> = ok.content[1].examples.iter().map(|e| &e.value).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events
        .iter()
        .all(|e| e["object"] == "chat.completion.chunk"));
    assert_eq!(events[2]["choices"][0]["finish_reason"], "stop");
    let content = find(&api, "files_content");
    let bytes = &content.responses[0].content[0];
    assert_eq!(
        (bytes.kind, bytes.media_type.as_str()),
        (MediaKind::Binary, "application/octet-stream")
    );
}

#[test]
fn bearer_auth_applies_everywhere() {
    let api = maniac();
    assert_eq!(api.servers[0].url, "https://platform.maniac.ai");
    assert_eq!(api.security, vec![vec!["ApiKeyAuth".to_owned()]]);
    assert!(matches!(
        api.security_schemes[0].kind,
        codegen::ir::SecurityKind::Bearer { .. }
    ));
    assert!(api.operations.iter().all(|op| op.security.is_none()));
}

#[test]
fn every_response_of_every_operation_documents_an_example() {
    // A mock server answers each operation with its documented examples, so each
    // response's every media type needs one (error responses through their shared
    // component's example).
    let api = maniac();
    assert_eq!(api.operations.len(), 32, "the README's operation count");
    let missing: Vec<String> = api
        .operations
        .iter()
        .flat_map(|op| {
            op.responses.iter().flat_map(move |r| {
                r.content
                    .iter()
                    .filter(|c| c.examples.is_empty())
                    .map(move |c| format!("{} {:?} {}", op.id, r.status, c.media_type))
            })
        })
        .collect();
    assert!(missing.is_empty(), "no example for: {missing:#?}");
}

#[test]
fn data_sources_and_per_evaluator_results_are_typed_as_in_the_sdk() {
    use codegen_tests::round_trip_as;
    use serde_json::json;
    // Each data source needs its own field, which is no longer an untyped extra.
    for (key, source) in [
        ("ContainerDataSource", json!({"type": "container"})),
        ("DatasetDataSource", json!({"type": "dataset"})),
        ("GenerateDataSource", json!({"type": "generate"})),
    ] {
        assert!(round_trip_as(key, source).unwrap().is_err(), "{key}");
    }
    let generate = json!({"type": "generate", "models": ["openai/gpt-4o"], "range": null});
    assert_eq!(
        round_trip_as("EvaluationDataSource", generate.clone()).unwrap(),
        Ok(generate)
    );
    // `per_eval` maps evaluator names to a typed result, so a wrong count type fails.
    let typed = json!({"per_eval": {"helpfulness": {"num_passed": 9, "break_reason": "budget"}}});
    assert_eq!(
        round_trip_as("EvaluationRunModelResult", typed.clone()).unwrap(),
        Ok(typed)
    );
    let wrong = json!({"per_eval": {"helpfulness": {"num_passed": "nine"}}});
    assert!(round_trip_as("EvaluationRunModelResult", wrong)
        .unwrap()
        .is_err());
}
