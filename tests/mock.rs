//! The generated mock over HTTP on 127.0.0.1.
//!
//! Every documented answer (status and media type) of every operation, of the Maniac
//! document and of each fixture with operations, is asked for the way a client asks
//! (`Prefer: code=N`, `Accept: <media type>`) and its body validated against the schema the
//! document gives it, by an independent JSON Schema validator (boon, formats asserted): the
//! documented examples and the bodies the generator made where there are none. Then what a
//! client can choose: statuses, ranges and `default`, named examples, event streams by body
//! or `Accept`, and the 501 of an operation that documents nothing.

use codegen::ir::{Api, Content, MediaKind, Operation, ParamLocation, SecurityKind, Status, Ty};
use codegen_tests::fixtures;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A document twice: as the generator reads it (the IR) and as JSON for the validator.
struct Document {
    name: String,
    api: Api,
    json: Value,
    compiler: boon::Compiler,
    schemas: boon::Schemas,
}

const BASE: &str = "urn:document";

impl Document {
    fn load(path: &str) -> Document {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        let api = codegen::load(&text).unwrap();
        let mut json: Value = serde_yaml::from_str(&text).unwrap();
        let v31 = json["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"));
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        if v31 {
            compiler.set_default_draft(boon::Draft::V2020_12);
        } else {
            // OpenAPI 3.0's schemas are draft 4's with `nullable`, spelled here as draft 4
            // says it: `anyOf` the schema and `null`.
            compiler.set_default_draft(boon::Draft::V4);
            nullable_as_any_of(&mut json);
        }
        compiler.add_resource(BASE, json.clone()).unwrap();
        Document {
            name: path.to_owned(),
            api,
            json,
            compiler,
            schemas: boon::Schemas::new(),
        }
    }

    /// Follows `$ref`s between document objects (a response to `#/components/responses`).
    fn resolve(&self, mut pointer: String) -> (String, &Value) {
        for _ in 0..16 {
            let node = self.json.pointer(&pointer).unwrap_or(&Value::Null);
            match node.get("$ref").and_then(Value::as_str) {
                Some(target) => pointer = target.trim_start_matches('#').to_owned(),
                None => return (pointer, node),
            }
        }
        panic!("{}: $ref chain at {pointer}", self.name)
    }

    /// The pointer of the schema of one documented answer's body (of one event, for an
    /// event stream: `itemSchema` where the document gives one); `None` without a schema.
    fn schema_at(&self, op: &Operation, status: Status, content: &Content) -> Option<String> {
        let keys: Vec<String> = match status {
            Status::Code(code) => vec![code.to_string()],
            Status::Range(digit) => vec![format!("{digit}XX"), format!("{digit}xx")],
            Status::Default => vec!["default".into()],
        };
        let responses = format!("{}/responses", op.pointer.trim_start_matches('#'));
        let (response, _) = keys
            .iter()
            .map(|key| self.resolve(format!("{responses}/{}", escape(key))))
            .find(|(_, node)| !node.is_null())?;
        let media = format!("{response}/content/{}", escape(&content.media_type));
        let media_node = self.json.pointer(&media)?;
        if content.kind == MediaKind::EventStream {
            if let Some(item) = media_node.get("itemSchema") {
                // Where the generator reads each event's data schema (3.2's `data`
                // `contentSchema`, or `itemSchema` itself).
                let (_, at) = codegen::lower::event_data_schema(item, &format!("#{media}"));
                return Some(at.trim_start_matches('#').to_owned());
            }
        }
        media_node.get("schema").map(|_| format!("{media}/schema"))
    }

    /// `Ok` or the validator's account of what is wrong.
    fn validate(&mut self, pointer: &str, value: &Value) -> Result<(), String> {
        let location = format!("{BASE}#{}", fragment(pointer));
        let id = self
            .compiler
            .compile(&location, &mut self.schemas)
            .map_err(|e| format!("schema {pointer} does not compile: {e:#}"))?;
        self.schemas
            .validate(value, id)
            .map_err(|e| format!("{e:#}"))
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer as a URI fragment (braces and spaces percent-encoded).
fn fragment(pointer: &str) -> String {
    let mut out = String::new();
    for c in pointer.chars() {
        match c {
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '/'
            | '~'
            | '-'
            | '.'
            | '_'
            | '!'
            | '$'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | ','
            | ';'
            | '='
            | ':'
            | '@' => out.push(c),
            other => {
                let mut bytes = [0; 4];
                for b in other.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema: `{anyOf: [schema, {type: null}]}`. A
/// `$ref` ignores its siblings in 3.0, `nullable` too.
fn nullable_as_any_of(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for member in object.values_mut() {
                nullable_as_any_of(member);
            }
            if object.get("nullable") == Some(&Value::Bool(true)) && !object.contains_key("$ref") {
                object.remove("nullable");
                let schema = Value::Object(std::mem::take(object));
                object.insert("anyOf".into(), json!([schema, {"type": "null"}]));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_as_any_of),
        _ => {}
    }
}

/// A value as a parameter's text.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A request the router accepts for `op`: required parameters and the body from the
/// document's request example, else made from the schemas; the first credential asked for.
fn request(
    api: &Api,
    op: &Operation,
    http: &reqwest::Client,
    base: &str,
) -> reqwest::RequestBuilder {
    request_with(api, op, http, base, true, true)
}

/// [`request`], with or without the required query, header and cookie parameters, and
/// with or without the body.
fn request_with(
    api: &Api,
    op: &Operation,
    http: &reqwest::Client,
    base: &str,
    required_params: bool,
    body: bool,
) -> reqwest::RequestBuilder {
    let value_of = |p: &codegen::ir::Param| {
        codegen::emit::synth::constrained(api, &p.ty, &p.constraints)
            .unwrap_or_else(|| panic!("{}: no value for parameter {}", op.id, p.wire))
    };
    let mut path = String::new();
    for segment in &op.segments {
        match segment {
            codegen::ir::PathSegment::Literal(text) => path.push_str(text),
            codegen::ir::PathSegment::Param(i) => {
                let p = &op.params[*i];
                let text = text_of(&value_of(p));
                let text: String = url_escape(&text);
                match p.style {
                    codegen::ir::ParamStyle::Label => path.push_str(&format!(".{text}")),
                    codegen::ir::ParamStyle::Matrix => {
                        path.push_str(&format!(";{}={text}", p.wire))
                    }
                    _ => path.push_str(&text),
                }
            }
        }
    }
    let method = reqwest::Method::from_bytes(op.method.as_str().as_bytes()).unwrap();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();
    let mut builder = http.request(method, format!("{base}{path}"));
    for p in op.params.iter().filter(|p| p.required && required_params) {
        let value = value_of(p);
        let texts: Vec<String> = match &value {
            Value::Array(items) => items.iter().map(text_of).collect(),
            other => vec![text_of(other)],
        };
        match p.location {
            ParamLocation::Query => query.extend(texts.into_iter().map(|t| (p.wire.clone(), t))),
            ParamLocation::Header => builder = builder.header(&p.wire, texts.join(",")),
            ParamLocation::Cookie => cookies.push(format!("{}={}", p.wire, texts.join(","))),
            ParamLocation::Path => {}
        }
    }
    let alternatives = op.security.as_ref().unwrap_or(&api.security);
    for name in alternatives.first().into_iter().flatten() {
        let scheme = api
            .security_schemes
            .iter()
            .find(|s| &s.name == name)
            .unwrap();
        match &scheme.kind {
            SecurityKind::Basic => builder = builder.basic_auth("user", Some("secret")),
            SecurityKind::ApiKey { name, location } => match location {
                ParamLocation::Query => query.push((name.clone(), "key".into())),
                ParamLocation::Cookie => cookies.push(format!("{name}=key")),
                _ => builder = builder.header(name, "key"),
            },
            SecurityKind::Bearer { .. } | SecurityKind::Other(_) => {
                builder = builder.bearer_auth("key")
            }
        }
    }
    if !cookies.is_empty() {
        builder = builder.header("cookie", cookies.join("; "));
    }
    builder = builder.query(&query);
    let Some(content) = op
        .body
        .as_ref()
        .and_then(|b| b.content.first())
        .filter(|_| body)
    else {
        return builder;
    };
    let body = content
        .examples
        .first()
        .map(|e| e.value.clone())
        .or_else(|| {
            codegen::emit::synth::constrained(api, content.ty.as_ref()?, &content.constraints)
        })
        .unwrap_or(json!({}));
    match content.kind {
        MediaKind::Json => builder.json(&body),
        MediaKind::FormUrlEncoded => {
            let pairs: Vec<(String, String)> = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), text_of(v)))
                .collect();
            builder.form(&pairs)
        }
        MediaKind::Multipart => builder.multipart(multipart(api, content, &body)),
        MediaKind::Text => builder
            .header("content-type", &content.media_type)
            .body(text_of(&body)),
        MediaKind::Binary | MediaKind::EventStream => builder
            .header("content-type", "application/octet-stream")
            .body("mock upload\n"),
    }
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A multipart form of the body's required parts: files for binary fields, text else.
fn multipart(api: &Api, content: &Content, body: &Value) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    let Some(Ty::Named(id)) = &content.ty else {
        return form;
    };
    let codegen::ir::TypeKind::Struct(s) = &api.ty(*id).kind else {
        return form;
    };
    for field in &s.fields {
        let file =
            || reqwest::multipart::Part::bytes(b"mock upload\n".to_vec()).file_name("mock.txt");
        let is_file = matches!(&field.ty, Ty::Bytes)
            || matches!(&field.ty, Ty::Option(inner) if **inner == Ty::Bytes);
        if is_file && matches!(field.presence, codegen::ir::Presence::Required) {
            form = form.part(field.wire.clone(), file());
        } else if let Some(value) = body.get(&field.wire) {
            form = form.text(field.wire.clone(), text_of(value));
        }
    }
    form
}

/// The code to ask for to get a documented answer: its own, or for a range or `default`
/// one that no other answer of the operation claims.
fn code_for(op: &Operation, status: Status) -> u16 {
    let free = |code: u16| {
        !op.responses.iter().any(|r| match r.status {
            Status::Code(c) => c == code,
            Status::Range(digit) => digit == code / 100 && r.status != status,
            Status::Default => false,
        })
    };
    let candidates = match status {
        Status::Code(code) => return code,
        Status::Range(digit) => digit * 100..digit * 100 + 100,
        Status::Default => 400..600,
    };
    candidates.rev().find(|c| free(*c)).unwrap()
}

/// The `data:` payloads of an event stream's text, and whether it ended with `[DONE]`.
fn events(text: &str) -> (Vec<String>, bool) {
    let mut payloads: Vec<String> = text
        .split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .collect();
    let done = payloads.last().is_some_and(|p| p == "[DONE]");
    if done {
        payloads.pop();
    }
    (payloads, done)
}

/// Asks for every documented answer of every operation and validates what comes back.
/// Returns how many answers were checked; panics naming every failure.
async fn every_answer_validates(document: &mut Document, base: &str) -> usize {
    let http = reqwest::Client::new();
    let api = document.api.clone();
    let mut failures = Vec::new();
    let mut checked = 0;
    for op in &api.operations {
        for response in &op.responses {
            let code = code_for(op, response.status);
            let contents: Vec<Option<&Content>> = if response.content.is_empty() {
                vec![None]
            } else {
                response.content.iter().map(Some).collect()
            };
            for content in contents {
                let mut request =
                    request(&api, op, &http, base).header("prefer", format!("code={code}"));
                if let Some(content) = content {
                    request = request.header("accept", &content.media_type);
                }
                let answer = request.send().await.unwrap();
                let what = format!(
                    "{} {} {code} {}",
                    op.method.as_str(),
                    op.path,
                    content.map_or("(no body)", |c| c.media_type.as_str())
                );
                let status = answer.status().as_u16();
                let media_type = answer
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let text = answer.text().await.unwrap();
                checked += 1;
                if status != code {
                    failures.push(format!("{what}: answered {status} {text}"));
                    continue;
                }
                let Some(content) = content else {
                    if !text.is_empty() {
                        failures.push(format!("{what}: a body where none is documented: {text}"));
                    }
                    continue;
                };
                let essence = |m: &str| {
                    m.split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase()
                };
                let wanted = essence(&content.media_type);
                if !wanted.contains('*') && essence(&media_type) != wanted {
                    failures.push(format!("{what}: sent as {media_type}"));
                    continue;
                }
                let values: Vec<Value> = match content.kind {
                    MediaKind::Json => match serde_json::from_str(&text) {
                        Ok(value) => vec![value],
                        Err(e) => {
                            failures.push(format!("{what}: not JSON ({e}): {text}"));
                            continue;
                        }
                    },
                    MediaKind::EventStream => {
                        let (payloads, done) = events(&text);
                        if !done || payloads.is_empty() {
                            failures.push(format!("{what}: not events ending in [DONE]: {text:?}"));
                            continue;
                        }
                        match payloads.iter().map(|p| serde_json::from_str(p)).collect() {
                            Ok(values) => values,
                            Err(e) => {
                                failures
                                    .push(format!("{what}: an event is not JSON ({e}): {text:?}"));
                                continue;
                            }
                        }
                    }
                    MediaKind::Text => vec![Value::String(text.clone())],
                    // Bytes: the schema says `format: binary`, which any bytes are.
                    _ => Vec::new(),
                };
                let Some(schema) = document.schema_at(op, response.status, content) else {
                    continue;
                };
                for value in values {
                    if let Err(e) = document.validate(&schema, &value) {
                        failures.push(format!(
                            "{what}: {value} does not validate against {schema}: {e}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {checked} answers are wrong:\n{}",
        document.name,
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[tokio::test]
async fn every_maniac_answer_and_rejection_validates_against_the_document() {
    let mut document = Document::load("spec/maniac.yaml");
    let mock = maniac_api::server::mock::Mock { api_key: None };
    let base = serve(maniac_api::server::router(Arc::new(mock))).await;
    let checked = every_answer_validates(&mut document, &base).await;
    assert!(every_rejection_validates(&mut document, &base).await > 10);
    let documented: usize = document
        .api
        .operations
        .iter()
        .flat_map(|op| &op.responses)
        .map(|r| r.content.len().max(1))
        .sum();
    assert_eq!(checked, documented);
}

/// A request `op` must refuse: a body that is not JSON where it takes one (or not of its
/// media type), else its required parameters left out; `None` when it has neither.
fn rejected_request(
    api: &Api,
    op: &Operation,
    http: &reqwest::Client,
    base: &str,
) -> Option<reqwest::RequestBuilder> {
    match op.body.as_ref().and_then(|b| b.content.first()) {
        Some(_) if op.body.as_ref().is_some_and(|b| b.required) => Some(
            request_with(api, op, http, base, true, false)
                .header("content-type", "application/json")
                .body("{"),
        ),
        _ if op
            .params
            .iter()
            .any(|p| p.required && p.location != ParamLocation::Path) =>
        {
            Some(request_with(api, op, http, base, false, true))
        }
        _ => None,
    }
}

/// Every rejection the server answers for `document` is in a status the operation
/// documents (when it documents any of that class) and validates against the schema the
/// document gives that status: the API's envelope or the operation's own error schema.
async fn every_rejection_validates(document: &mut Document, base: &str) -> usize {
    let http = reqwest::Client::new();
    let api = document.api.clone();
    let mut failures = Vec::new();
    let mut checked = 0;
    for op in &api.operations {
        let Some(request) = rejected_request(&api, op, &http, base) else {
            continue;
        };
        let what = format!("{} {}", op.method.as_str(), op.path);
        let (status, _, text) = fetch(request).await;
        checked += 1;
        if !(400..500).contains(&status) {
            failures.push(format!("{what}: answered {status} {text}"));
            continue;
        }
        let response = op
            .responses
            .iter()
            .find(|r| r.status == Status::Code(status))
            .or_else(|| {
                op.responses
                    .iter()
                    .find(|r| r.status == Status::Range(status / 100))
            })
            .or_else(|| op.responses.iter().find(|r| r.status == Status::Default));
        let Some(response) = response else {
            let documents_class = op
                .responses
                .iter()
                .any(|r| matches!(r.status, Status::Code(c) if c / 100 == 4));
            if documents_class {
                failures.push(format!(
                    "{what}: answered {status}, which it does not document"
                ));
            }
            continue;
        };
        let Some(content) = response.content.iter().find(|c| c.kind == MediaKind::Json) else {
            continue;
        };
        let Some(schema) = document.schema_at(op, response.status, content) else {
            continue;
        };
        let value = parse(&text);
        if let Err(e) = document.validate(&schema, &value) {
            failures.push(format!(
                "{what}: {value} does not validate against {schema}: {e}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {checked} rejections are wrong:\n{}",
        document.name,
        failures.len(),
        failures.join("\n")
    );
    checked
}

macro_rules! fixture_mocks_validate {
    ($($name:ident),* $(,)?) => {
        #[tokio::test]
        async fn every_fixture_answer_validates_against_its_document() {
            $(
                let mut document = Document::load(concat!("tests/fixtures/", stringify!($name), ".yaml"));
                let mock = fixtures::$name::server::mock::Mock::default();
                let base = serve(fixtures::$name::server::router(Arc::new(mock))).await;
                every_answer_validates(&mut document, &base).await;
                every_rejection_validates(&mut document, &base).await;
            )*
        }
    };
}

// Every fixture with operations.
fixture_mocks_validate!(
    content_params,
    enums,
    error_schemas,
    identical_inline,
    mock_answers,
    openapi31,
    operations,
    pointer_refs,
    requests,
    unions,
);

/// Sends `request`; the status, the media type and the body's text.
async fn fetch(request: reqwest::RequestBuilder) -> (u16, String, String) {
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let media_type = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, media_type, answer.text().await.unwrap())
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn maniac_mock_answers_what_clients_ask_for() {
    let document = Document::load("spec/maniac.yaml");
    let op = |id: &str| document.api.operations.iter().find(|o| o.id == id).unwrap();
    let example = |id: &str, status: u16, kind: MediaKind| {
        let response = op(id)
            .responses
            .iter()
            .find(|r| r.status == Status::Code(status))
            .unwrap();
        let content = response.content.iter().find(|c| c.kind == kind).unwrap();
        content.examples[0].value.clone()
    };
    let mock = maniac_api::server::mock::Mock { api_key: None };
    let base = serve(maniac_api::server::router(Arc::new(mock))).await;
    let http = reqwest::Client::new();
    let chat = |body: &Value| {
        http.post(format!("{base}/v1/chat/completions"))
            .bearer_auth("key")
            .json(body)
    };
    let mut body = op("chat_completions_create").body.as_ref().unwrap().content[0].examples[0]
        .value
        .clone();
    assert_eq!(body["stream"], false);

    // No preference: the first 2xx, as JSON.
    let (status, media_type, text) = fetch(chat(&body)).await;
    assert_eq!((status, media_type.as_str()), (200, "application/json"));
    let documented = example("chat_completions_create", 200, MediaKind::Json);
    codegen_tests::contains(&documented, &parse(&text), "").unwrap();

    // The documented stream's events, then [DONE]: asked for by the body or by Accept.
    // Lowering gives a stream example as one IR example per event, at the example's pointer.
    let events_at = |id: &str| {
        let response = op(id)
            .responses
            .iter()
            .find(|r| r.status == Status::Code(200))
            .unwrap();
        let content = response
            .content
            .iter()
            .find(|c| c.kind == MediaKind::EventStream)
            .unwrap();
        let first = &content.examples[0].pointer;
        content
            .examples
            .iter()
            .filter(|e| &e.pointer == first)
            .map(|e| e.value.clone())
            .collect::<Vec<Value>>()
    };
    let chunks = events_at("chat_completions_create");
    assert!(chunks.len() > 1, "the documented stream has several events");
    let streamed = |text: &str| {
        let (payloads, done) = events(text);
        assert!(done, "{text:?}");
        payloads.iter().map(|p| parse(p)).collect::<Vec<Value>>()
    };
    let mut stream_body = body.clone();
    stream_body["stream"] = json!(true);
    let (status, media_type, text) = fetch(chat(&stream_body)).await;
    assert_eq!((status, media_type.as_str()), (200, "text/event-stream"));
    let sent = streamed(&text);
    assert_eq!(sent.len(), chunks.len());
    for (documented, sent) in chunks.iter().zip(&sent) {
        codegen_tests::contains(documented, sent, "").unwrap();
    }
    let (_, media_type, text) = fetch(chat(&body).header("accept", "text/event-stream")).await;
    assert_eq!(
        (media_type.as_str(), streamed(&text).len()),
        ("text/event-stream", chunks.len())
    );

    // Another documented status with its example; a required header left out when optional.
    let (status, _, text) = fetch(chat(&body).header("prefer", "code=404")).await;
    assert_eq!(status, 404);
    assert_eq!(
        parse(&text),
        example("chat_completions_create", 404, MediaKind::Json)
    );
    let (status, _, text) = fetch(chat(&body).header("prefer", "code=429")).await;
    assert_eq!(status, 429);
    assert_eq!(
        parse(&text),
        example("chat_completions_create", 429, MediaKind::Json)
    );
    // The status wins over the stream: a 404 has no event stream.
    let (status, media_type, _) = fetch(chat(&stream_body).header("prefer", "code=404")).await;
    assert_eq!((status, media_type.as_str()), (404, "application/json"));
    // An undocumented status is ignored.
    let (status, _, text) = fetch(chat(&body).header("prefer", "code=418")).await;
    assert_eq!(status, 200);
    codegen_tests::contains(&documented, &parse(&text), "").unwrap();

    // The router's own checks still come first.
    body["messages"] = json!("not a list");
    let (status, _, _) = fetch(chat(&body).header("prefer", "code=200")).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn mock_answers_by_preference_and_makes_what_is_not_documented() {
    use fixtures::mock_answers::server::{mock::Mock, router};
    let base = serve(router(Arc::new(Mock::default()))).await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{base}{path}")).bearer_auth("key");

    // Named examples: the first by default, another by name, the first for an unknown name.
    let words = |text: String| parse(&text)["words"].as_str().unwrap().to_owned();
    assert_eq!(words(fetch(get("/greetings")).await.2), "hello");
    assert_eq!(
        words(
            fetch(get("/greetings").header("prefer", "example=bye"))
                .await
                .2
        ),
        "bye"
    );
    assert_eq!(
        words(
            fetch(get("/greetings").header("prefer", "example=nope"))
                .await
                .2
        ),
        "hello"
    );
    // Another media type by Accept, made from its schema (`maxLength: 5`).
    let (status, media_type, text) = fetch(get("/greetings").header("accept", "text/plain")).await;
    assert_eq!(
        (status, media_type.as_str(), text.as_str()),
        (200, "text/plain", "strin")
    );

    // A made body honours formats, patterns, bounds, enums, const, minItems, tags; recursion
    // ends at a nullable property and an empty list.
    let thing = "/things/3fa85f64-5717-4562-b3fc-2c963f66afa6";
    let (status, _, text) = fetch(get(thing)).await;
    assert_eq!(status, 200);
    let made = parse(&text);
    for (field, value) in [
        ("created_at", json!("2026-01-01T00:00:00Z")),
        ("email", json!("user@example.com")),
        ("name", json!("aaa")),
        ("code", json!("AAA-0000")),
        ("count", json!(10)),
        ("ratio", json!(0.5)),
        ("kind", json!("alpha")),
        ("version", json!(2)),
        ("tags", json!(["string", "string"])),
        ("parent", Value::Null),
        ("children", json!([])),
        // A whole number is written as an integer (`1`, not `1.0`).
        ("shape", json!({"type": "circle", "radius": 1})),
    ] {
        assert_eq!(made[field], value, "{field} in {made}");
    }
    assert!(
        made.get("comment").is_none(),
        "optional properties are left out"
    );
    assert_eq!(
        fetch(get(thing)).await.2,
        text,
        "made once, at generation time"
    );

    // A documented status, a range, `default`: each answered with the code asked for.
    for (code, asked) in [(404, "code=404"), (418, "code=418"), (503, "code=503")] {
        let (status, _, text) = fetch(get(thing).header("prefer", asked)).await;
        assert_eq!(status, code);
        assert_eq!(
            parse(&text),
            json!({"error": {"code": "string", "message": "string"}})
        );
    }
    // Only `default` documented: answered as 200.
    assert_eq!(fetch(get("/fallback")).await.0, 200);
    // No body documented, and a required header made from its schema (`format: uri`).
    let deleted = http.delete(format!("{base}{thing}")).bearer_auth("key");
    assert_eq!(fetch(deleted).await, (204, String::new(), String::new()));
    let created = http
        .post(format!("{base}/things"))
        .bearer_auth("key")
        .json(&json!({"name": "abc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "https://example.com/");
    assert!(created.headers().get("x-request-cost").is_none());

    // A string example holding the stream: its events, by the body's flag or by Accept.
    let chat = |body: Value| {
        http.post(format!("{base}/chat"))
            .bearer_auth("key")
            .json(&body)
    };
    let want = vec![
        json!({"delta": "Hel", "index": 0}),
        json!({"delta": "lo", "index": 1}),
    ];
    let events_of = |text: &str| {
        let (payloads, done) = events(text);
        assert!(done, "{text:?}");
        payloads.iter().map(|p| parse(p)).collect::<Vec<Value>>()
    };
    let (_, media_type, text) = fetch(chat(json!({"prompt": "hi", "stream": true}))).await;
    assert_eq!(
        (media_type.as_str(), events_of(&text)),
        ("text/event-stream", want.clone())
    );
    let by_accept = chat(json!({"prompt": "hi"})).header("accept", "text/event-stream");
    assert_eq!(events_of(&fetch(by_accept).await.2), want);
    let (_, media_type, text) = fetch(chat(json!({"prompt": "hi", "stream": false}))).await;
    assert_eq!(
        (media_type.as_str(), parse(&text)),
        ("application/json", json!({"text": "string"}))
    );
    // An operation with only an event stream streams; without an example, a made event.
    let (status, media_type, text) = fetch(get("/events")).await;
    assert_eq!((status, media_type.as_str()), (200, "text/event-stream"));
    assert_eq!(
        events_of(&text),
        vec![json!({"delta": "string", "index": 0})]
    );

    // Nothing documented: 501 in the envelope.
    let (status, _, text) = fetch(get("/undocumented")).await;
    assert_eq!(status, 501);
    assert_eq!(parse(&text)["error"]["code"], "not_implemented");
}

/// Rejections in each operation's own error schema, and what typing decides where JSON
/// Schema would take more (README, "Validation"): `null` for an optional member that is not
/// nullable is refused by the server and read as absent by the client; a body schema
/// without `type` is an object (`null` refused); integers beyond 64 bits are refused.
#[tokio::test]
async fn rejections_use_the_operations_error_schemas_and_typing_decisions_hold() {
    use fixtures::error_schemas::server::{mock::Mock, router};
    let base = serve(router(Arc::new(Mock::default()))).await;
    let http = reqwest::Client::new();
    let put = |body: &str, query: &str| {
        http.put(format!("{base}/caches/c{query}"))
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let (status, _, text) = fetch(put(r#"{"ttl": 30, "description": "a cache"}"#, "")).await;
    assert_eq!(status, 200, "{text}");
    // clearblade's shape, every member required: made, with the rejection filled in.
    for (body, query, field) in [
        (
            r#"{"ttl": 30, "description": null}"#,
            "",
            "body/description",
        ),
        (r#"{"ttl": 30, "labels": null}"#, "", "body/labels"),
        (
            r#"{"ttl": 30, "labels": ["ok", "too long by far"]}"#,
            "",
            "body/labels/1",
        ),
        (
            r#"{"ttl": 30, "weights": [1, null, -1]}"#,
            "",
            "body/weights/2",
        ),
        ("null", "", "body"),
        (r#"{"ttl": 18446744073709551616}"#, "", "body/ttl"),
        (
            r#"{"ttl": 30}"#,
            "?ttl_max=18446744073709551616",
            "query/ttl_max",
        ),
    ] {
        let (status, _, text) = fetch(put(body, query)).await;
        assert_eq!(status, 400, "{body} {query}: {text}");
        let error = parse(&text);
        assert_eq!(error["statusCode"], 400, "{text}");
        assert_eq!(error["error"]["code"], 400, "{text}");
        assert_eq!(error["error"]["id"], "string", "{text}");
        assert_eq!(error["error"]["level"], 0, "{text}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{body} {query}: {message}");
    }
    // Stripe's: `default` documents every status, so 422 stays; the enum member takes the
    // value naming a bad request, the others carry the message and the field.
    let (status, _, text) = fetch(http.get(format!("{base}/charges?limit=0"))).await;
    assert_eq!(status, 422, "{text}");
    let error = parse(&text);
    assert_eq!(error["error"]["type"], "invalid_request_error", "{text}");
    assert_eq!(error["error"]["param"], "query/limit", "{text}");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at least 1"));
    // A bare string documented: the message is the body.
    let (status, _, text) = fetch(http.get(format!("{base}/pools?size=big"))).await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(parse(&text), "query/size: `big` is not a valid integer");
    // Nothing documented but success: the status the rejection has, in the envelope.
    let (status, _, text) = fetch(
        http.post(format!("{base}/pings"))
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(parse(&text)["error"]["code"], "bad_request", "{text}");
    // `additionalProperties: false` on a body only clients write: unknown members refused.
    let (status, _, text) = fetch(
        http.post(format!("{base}/pings"))
            .header("content-type", "application/json")
            .body(r#"{"count": 1, "extra": 2}"#),
    )
    .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("unknown field `extra`"), "{text}");
    // `{type: object, additionalProperties: false}`: no member allowed.
    let delete = |body: &'static str| {
        http.delete(format!("{base}/caches/c"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    assert_eq!(fetch(delete("")).await.0, 204);
    let (status, _, text) = fetch(delete("expand=x")).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("unknown field `expand`"), "{text}");
    // A boolean `enum` of one value: the other is refused, and the mock makes that one.
    let ping = |body: &'static str| {
        http.post(format!("{base}/pings"))
            .header("content-type", "application/json")
            .body(body)
    };
    let (status, _, text) = fetch(ping(r#"{"count": 1, "stream": true}"#)).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("body/stream: must be false"), "{text}");
    for allowed in [
        r#"{"count": 1, "stream": false}"#,
        r#"{"count": 1, "stream": null}"#,
    ] {
        let (status, _, text) = fetch(ping(allowed)).await;
        assert_eq!(status, 200, "{allowed}: {text}");
    }
    let (_, _, text) = fetch(put(r#"{"ttl": 30}"#, "")).await;
    assert_eq!(parse(&text)["deleted"], true, "{text}");
    // On a type the server sends, the client ignores them.
    let read: fixtures::error_schemas::Success =
        serde_json::from_str(r#"{"deleted": true, "success": true, "added_later": 1}"#).unwrap();
    assert_eq!(read.success, Some(true));
    // A client reads `null` for an optional member as absent.
    let read: fixtures::error_schemas::CacheUpdate =
        serde_json::from_str(r#"{"ttl": 30, "description": null}"#).unwrap();
    assert_eq!(read.description, None);
}
