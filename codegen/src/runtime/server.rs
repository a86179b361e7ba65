//! The HTTP plumbing every generated server shares: rejections in the API's error envelope,
//! request ids, credentials for the auth hook, parameter parsing, JSON, multipart and binary
//! bodies with size limits, SSE framing and streamed downloads.
//!
//! Written once in the generator's tree and copied verbatim into each generated crate as
//! `src/server/runtime.rs`; the per-API code in `src/server.rs` (trait, params, responses,
//! router) calls it.

// Relative, so the file works wherever the crate's modules sit (the tests compile it as a
// nested module).
use super::super::validate::{Path, Validate, Violation};
use axum::body::{Body, Bytes};
use axum::http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{BoxStream, Stream, StreamExt, TryStream, TryStreamExt};
use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

/// The header a request id is read from and echoed in.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What an error answer says, before it is put in the API's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    /// Machine-readable, e.g. `validation_error`.
    pub code: Cow<'static, str>,
    /// For people, e.g. `body /limit: must be at most 100`.
    pub message: String,
    /// The request value at fault: `body/messages/0/role`, `query/limit`, `header/x-trace`.
    pub field: Option<String>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }

    /// `{"field": ...}` when a field is at fault, for an envelope's details member.
    pub fn details(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.field.as_ref().map(|field| {
            let mut details = serde_json::Map::new();
            details.insert("field".into(), field.clone().into());
            details
        })
    }
}

/// The API's error body, built from a [`Problem`]. The generated code implements it for
/// the document's shared error schema (or uses [`DefaultErrorEnvelope`]).
pub trait ErrorEnvelope: Serialize + Send + 'static {
    fn from_problem(problem: &Problem) -> Self;
}

/// The envelope for documents without a shared error schema, in the shape OpenAI-style
/// APIs use: `{"error": {"code": "...", "message": "...", "field": "..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefaultErrorEnvelope {
    pub error: DefaultError,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefaultError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorEnvelope for DefaultErrorEnvelope {
    fn from_problem(problem: &Problem) -> Self {
        DefaultErrorEnvelope {
            error: DefaultError {
                code: problem.code.to_string(),
                message: problem.message.clone(),
                field: problem.field.clone(),
            },
        }
    }
}

/// A request turned away before (or instead of) the handler: a 4xx in the API's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    problem: Problem,
    allow: Option<&'static str>,
    challenge: Option<&'static str>,
}

impl Rejection {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Problem::new(status, code, message).into()
    }

    /// 400: the body is not well-formed (JSON syntax, truncated, unreadable).
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422: a value is missing, of the wrong type or breaks a schema constraint.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let mut rejection = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            format!("{field}: {}", message.into()),
        );
        rejection.problem.field = Some(field);
        rejection
    }

    /// 415, naming the media type the operation takes.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the request body must be {expected}"),
        )
    }

    /// A body that is not of the `expected` media type: 400 when there is no body at all
    /// (the operation requires one), else 415.
    pub fn wrong_body(parts: &Parts, expected: &str) -> Self {
        if !has_body(parts) && !parts.headers.contains_key(header::CONTENT_TYPE) {
            return Self::malformed(format!("a request body ({expected}) is required"));
        }
        Self::unsupported_media_type(expected)
    }

    /// 413, naming the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 401 with a `WWW-Authenticate: Bearer` challenge.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        let mut rejection = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message);
        rejection.challenge = Some("Bearer");
        rejection
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 for a path no operation has.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such path")
    }

    /// 405 with `Allow`, the methods the path has.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut rejection = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("this path allows {allow}"),
        );
        rejection.allow = Some(allow);
        rejection
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    pub fn status(&self) -> StatusCode {
        self.problem.status
    }

    /// The answer, with the body in the envelope `E`.
    pub fn into_response_with<E: ErrorEnvelope>(self) -> Response {
        let mut response = json_response(self.problem.status, &E::from_problem(&self.problem));
        let headers = response.headers_mut();
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

impl From<Problem> for Rejection {
    fn from(problem: Problem) -> Self {
        Rejection {
            problem,
            allow: None,
            challenge: None,
        }
    }
}

/// `application/json` with the serialized body. Serializing the generated types cannot
/// fail (string keys only, non-finite floats become `null`); should it, the answer is 500.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            bytes,
        )
            .into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            r#"{"error":{"code":"internal_error","message":"the response could not be serialized"}}"#,
        )
            .into_response(),
    }
}

/// Sets a documented response header; a value that is not a legal header value is left out.
pub fn set_header(response: &mut Response, name: HeaderName, value: &dyn std::fmt::Display) {
    if let Ok(value) = HeaderValue::try_from(value.to_string()) {
        response.headers_mut().insert(name, value);
    }
}

/// The request's id: the caller's `x-request-id` when it is a sane token, else a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let given = headers
            .get(&REQUEST_ID)
            .filter(|v| !v.is_empty() && v.len() <= 200 && v.to_str().is_ok());
        RequestId(given.cloned().unwrap_or_else(fresh_request_id))
    }

    pub fn as_str(&self) -> &str {
        // Only visible ASCII gets in (checked above or generated).
        self.0.to_str().unwrap_or_default()
    }

    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `req_` + a per-process random prefix + a counter, in hex: unique without a syscall per
/// request, written without formatting machinery.
fn fresh_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        hasher.finish()
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut id = *b"req_0123456789abcdef0123456789abcdef";
    for (i, byte) in id[4..].iter_mut().enumerate() {
        let (word, at) = if i < 16 { (prefix, i) } else { (n, i - 16) };
        *byte = b"0123456789abcdef"[(word >> (4 * (15 - at))) as usize & 0xf];
    }
    HeaderValue::from_bytes(&id).unwrap_or_else(|_| HeaderValue::from_static("req"))
}

/// What a handler gets besides its parameters and body.
#[derive(Debug)]
pub struct RequestContext<C> {
    /// Echoed as `x-request-id` on the response.
    pub request_id: RequestId,
    pub headers: HeaderMap,
    /// The auth hook's answer: `Some` for every operation whose security requires it,
    /// `None` where authentication is optional and no credential was sent.
    pub claims: Option<C>,
}

/// How a security scheme carries its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Authorization: Bearer <token>` (also OAuth2 and OpenID Connect).
    Bearer,
    /// `Authorization: Basic <base64>`; the hook gets the base64 text.
    Basic,
    /// An API key in the named header.
    Header(&'static str),
    /// An API key in the named query parameter.
    Query(&'static str),
    /// An API key in the named cookie.
    Cookie(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityScheme {
    /// The name in `components/securitySchemes`.
    pub name: &'static str,
    pub kind: SchemeKind,
}

/// An operation's security: alternatives (any one suffices), each the schemes it needs.
/// An empty alternative makes authentication optional.
pub type Requirement = &'static [&'static [SecurityScheme]];

/// A credential found in a request, handed to the auth hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credential<'a> {
    /// Which scheme it was sent under.
    pub scheme: &'static str,
    /// The token, key or basic credentials, without the `Bearer `/`Basic ` prefix.
    pub value: &'a str,
}

/// The credential of an `Authorization: <scheme> <credential>` header (the scheme matched
/// without regard to case), trimmed; `None` for another scheme or an empty credential.
/// Slices, no searching: this runs on every authenticated request.
fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.split_at_checked(scheme.len())?;
    let credential = rest.strip_prefix(' ')?.trim_ascii();
    (given.eq_ignore_ascii_case(scheme) && !credential.is_empty()).then_some(credential)
}

/// A query parameter's raw value, when it needs no percent-decoding (API keys).
fn query_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .uri
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.contains(['%', '+']))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The credential to authenticate with: the first scheme (of each alternative, in order)
/// whose credential the request carries. `Ok(None)` when authentication is optional and
/// none was sent; 401 when it is required and none was sent. Of an alternative that needs
/// several schemes together, the first carries the credential the hook checks.
pub fn credential<'a>(
    parts: &'a Parts,
    requirement: Requirement,
) -> Result<Option<Credential<'a>>, Rejection> {
    let mut optional = false;
    for alternative in requirement {
        let Some(scheme) = alternative.first() else {
            optional = true;
            continue;
        };
        let value = match scheme.kind {
            SchemeKind::Bearer => authorization(&parts.headers, "Bearer"),
            SchemeKind::Basic => authorization(&parts.headers, "Basic"),
            SchemeKind::Header(name) => parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty()),
            SchemeKind::Query(name) => query_value(parts, name).filter(|v| !v.is_empty()),
            SchemeKind::Cookie(name) => cookie(&parts.headers, name).filter(|v| !v.is_empty()),
        };
        if let Some(value) = value {
            return Ok(Some(Credential {
                scheme: scheme.name,
                value,
            }));
        }
    }
    if optional {
        return Ok(None);
    }
    let expected = match requirement.first().and_then(|a| a.first()).map(|s| s.kind) {
        Some(SchemeKind::Basic) => "basic credentials in the Authorization header".to_owned(),
        Some(SchemeKind::Header(name)) => format!("an API key in the `{name}` header"),
        Some(SchemeKind::Query(name)) => format!("an API key in the `{name}` query parameter"),
        Some(SchemeKind::Cookie(name)) => format!("an API key in the `{name}` cookie"),
        _ => "a bearer token in the Authorization header".to_owned(),
    };
    Err(Rejection::unauthorized(format!(
        "missing credentials: expected {expected}"
    )))
}

/// Limits the router enforces before a handler sees a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// JSON, text and form bodies, read whole: 413 above this many bytes.
    pub body: usize,
    /// Multipart and binary bodies, streamed to the handler: 413 above this many bytes.
    pub upload: usize,
}

impl Default for Limits {
    /// 2 MiB for bodies read whole, 512 MiB for streamed uploads.
    fn default() -> Self {
        Limits {
            body: 2 * 1024 * 1024,
            upload: 512 * 1024 * 1024,
        }
    }
}

/// Where a parameter is sent, as named in a rejection (`query/limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
    /// A part of a multipart form.
    Form,
}

impl Location {
    fn field(self, name: &str) -> String {
        let location = match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::Form => "body",
        };
        format!("{location}/{name}")
    }
}

/// Runs a parameter's constraint checks: 422 naming the parameter for the first it breaks.
pub fn check(
    location: Location,
    name: &str,
    checks: impl FnOnce(Path<'_>) -> Result<(), Violation>,
) -> Result<(), Rejection> {
    checks(Path::Root)
        .map_err(|violation| Rejection::invalid(location.field(name), violation.message))
}

/// The path parameters axum matched, by wire name.
#[derive(Debug, Default)]
pub struct PathParams(Vec<(Arc<str>, Arc<str>)>);

/// Reads the path parameters axum matched (percent-decoded); 400 when one is not UTF-8.
pub async fn path_params(parts: &mut Parts) -> Result<PathParams, Rejection> {
    use axum::extract::{FromRequestParts, RawPathParams};
    match RawPathParams::from_request_parts(parts, &()).await {
        Ok(params) => Ok(PathParams(
            params
                .iter()
                .map(|(k, v)| (Arc::from(k), Arc::from(v)))
                .collect(),
        )),
        Err(e) => Err(Rejection::malformed(format!("bad path parameter: {e}"))),
    }
}

/// The raw path, query and header values of a request, looked up by wire name.
pub struct RawParams<'a> {
    path: Vec<(Arc<str>, Arc<str>)>,
    query: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    headers: &'a HeaderMap,
}

/// A parser from the text of a parameter to its type.
pub type Parse<T> = fn(&str) -> Result<T, String>;

impl<'a> RawParams<'a> {
    /// The parameters of a request: `path` from [`path_params`], the query string parsed.
    pub fn new(parts: &'a Parts, path: PathParams) -> RawParams<'a> {
        let query = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
            .unwrap_or_default();
        RawParams {
            path: path.0,
            query,
            headers: &parts.headers,
        }
    }

    /// No parameters: nothing parsed.
    fn empty(headers: &'a HeaderMap) -> RawParams<'a> {
        RawParams {
            path: Vec::new(),
            query: Vec::new(),
            headers,
        }
    }

    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    fn raw(&self, location: Location, name: &str) -> Result<Option<&str>, Rejection> {
        Ok(match location {
            Location::Path => self
                .path
                .iter()
                .find(|(k, _)| &**k == name)
                .map(|(_, v)| &**v),
            Location::Query => self.query(name),
            Location::Header => match self.headers.get(name) {
                Some(value) => Some(value.to_str().map_err(|_| {
                    Rejection::invalid(location.field(name), "not visible ASCII text")
                })?),
                None => None,
            },
            Location::Cookie => cookie(self.headers, name),
            Location::Form => None,
        })
    }

    /// An optional parameter, parsed.
    pub fn optional<T>(
        &self,
        location: Location,
        name: &str,
        parse: Parse<T>,
    ) -> Result<Option<T>, Rejection> {
        match self.raw(location, name)? {
            Some(text) => parse(text)
                .map(Some)
                .map_err(|e| Rejection::invalid(location.field(name), e)),
            None => Ok(None),
        }
    }

    /// A required parameter, parsed; 422 when it is missing.
    pub fn required<T>(
        &self,
        location: Location,
        name: &str,
        parse: Parse<T>,
    ) -> Result<T, Rejection> {
        self.optional(location, name, parse)?.ok_or_else(|| {
            Rejection::invalid(location.field(name), "required parameter is missing")
        })
    }

    /// An array parameter: repeated (`explode`, query only) or delimited values.
    pub fn list<T>(
        &self,
        location: Location,
        name: &str,
        explode: bool,
        delimiter: char,
        parse: Parse<T>,
    ) -> Result<Option<Vec<T>>, Rejection> {
        let invalid = |e| Rejection::invalid(location.field(name), e);
        if explode && location == Location::Query {
            let values: Vec<&str> = self
                .query
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_ref())
                .collect();
            if values.is_empty() {
                return Ok(None);
            }
            return values
                .into_iter()
                .map(|v| parse(v).map_err(invalid))
                .collect::<Result<_, _>>()
                .map(Some);
        }
        match self.raw(location, name)? {
            Some("") => Ok(Some(Vec::new())),
            Some(text) => text
                .split(delimiter)
                .map(|v| parse(v).map_err(invalid))
                .collect::<Result<_, _>>()
                .map(Some),
            None => Ok(None),
        }
    }
}

/// Text as is.
pub fn parse_string(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

/// Numbers, booleans, UUIDs: through `FromStr`.
pub fn parse_from_str<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr,
{
    text.parse()
        .map_err(|_| format!("`{text}` is not a valid {}", short_type_name::<T>()))
}

/// Enums and anything else with serde: the text as a JSON string, then as JSON (integer
/// enums, objects).
pub fn parse_serde<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    let as_string: Result<T, serde::de::value::Error> = T::deserialize(text.into_deserializer());
    as_string
        .or_else(|_| serde_json::from_str(text))
        .map_err(|_| format!("`{text}` is not one of the allowed values"))
}

fn short_type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    match name.rsplit("::").next().unwrap_or(name) {
        "i32" | "i64" | "u32" | "u64" => "integer",
        "f64" | "f32" => "number",
        "bool" => "boolean (true or false)",
        "Uuid" => "UUID",
        other => other,
    }
}

fn content_type(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// The media type without parameters. On bytes (a header value is ASCII here): this runs
/// on every request with a body.
fn essence(media_type: &str) -> &str {
    let end = media_type
        .bytes()
        .position(|b| b == b';')
        .unwrap_or(media_type.len());
    media_type[..end].trim_ascii()
}

fn is_json(media_type: &str) -> bool {
    let essence = essence(media_type).as_bytes();
    essence == b"application/json"
        || essence.eq_ignore_ascii_case(b"application/json")
        || essence.len() > 5 && essence[essence.len() - 5..].eq_ignore_ascii_case(b"+json")
}

/// Whether the request's media type is the one an operation's body variant takes: JSON
/// types by family, others by essence (`multipart/form-data`, `application/octet-stream`).
pub fn media_type_is(parts: &Parts, expected: &str) -> bool {
    match content_type(parts) {
        Some(given) if is_json(expected) => is_json(given),
        Some(given) => essence(given).eq_ignore_ascii_case(essence(expected)),
        None => false,
    }
}

/// Whether the request carries a body at all (a length above zero, or chunked).
pub fn has_body(parts: &Parts) -> bool {
    match parts.headers.get(header::CONTENT_LENGTH) {
        Some(length) => length.as_bytes() != b"0",
        None => parts.headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// Whether the body announces more than `limit` bytes: hyper gives a body with a
/// `Content-Length` that exact size hint (no header lookup and parse needed).
fn declared_too_large(body: &Body, limit: usize) -> bool {
    axum::body::HttpBody::size_hint(body).lower() > limit as u64
}

/// Reads a whole body, 413 beyond `limit` bytes (checked against `Content-Length` first,
/// then while reading, so a lying or chunked request cannot get past it).
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, Rejection> {
    if declared_too_large(&body, limit) {
        return Err(Rejection::too_large(limit));
    }
    let mut stream = body.into_data_stream();
    // A body in one chunk (the usual case) is handed on without a copy.
    let mut first: Option<Bytes> = None;
    let mut collected = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| Rejection::malformed(format!("cannot read the body: {e}")))?;
        let seen = first.as_ref().map_or(0, Bytes::len) + collected.len();
        if seen + chunk.len() > limit {
            return Err(Rejection::too_large(limit));
        }
        match first.take() {
            None if collected.is_empty() => first = Some(chunk),
            earlier => {
                if let Some(earlier) = earlier {
                    collected.extend_from_slice(&earlier);
                }
                collected.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| collected.freeze()))
}

/// The JSON pointer of the place serde stopped at.
fn serde_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// Parses and validates a JSON document: 400 when it is not JSON, 422 naming the field when
/// a value is missing, of the wrong type or breaks a constraint.
// Inlined, with the failure path out of line, and the value validated where it lies: each
// unwrapping and wrapping again of a large value would copy it.
#[inline]
pub fn parse_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, Rejection> {
    let parsed: Result<T, Rejection> = deserialize_json(bytes).or_else(|e| reparse_json(bytes, e));
    let checked = parsed.as_ref().map_or(Ok(()), |value| value.validate_at(Path::Root));
    match checked {
        Ok(()) => parsed,
        Err(v) => Err(Rejection::invalid(format!("body{}", v.pointer), v.message)),
    }
}

/// A document that failed to parse as typed: accepted after all when its only fault was a
/// whole number written as a float, else the rejection naming the fault.
#[cold]
#[inline(never)]
fn reparse_json<T: DeserializeOwned>(
    bytes: &[u8],
    error: serde_json::Error,
) -> Result<T, Rejection> {
    if error.classify() != serde_json::error::Category::Data {
        return Err(Rejection::malformed(format!(
            "the body is not valid JSON: {error}"
        )));
    }
    // JSON Schema counts `2.0` as an integer; serde does not. Only a document failing as
    // typed pays for the second pass.
    let mut document: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Rejection::malformed(format!("the body is not valid JSON: {e}")))?;
    if whole_floats_to_integers(&mut document) {
        if let Ok(value) = T::deserialize(ObjectsOnly(document.clone())) {
            return Ok(value);
        }
    }
    // Again, tracking the path this time, to name the field at fault.
    serde_path_to_error::deserialize(ObjectsOnly(document)).map_err(data_error)
}

/// Deserializes a whole document (nothing may follow it), structs from objects only.
#[inline]
fn deserialize_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = T::deserialize(ObjectsOnly(&mut deserializer));
    // Handed on as it came, not unwrapped and wrapped again: each would copy a large value.
    if parsed.is_ok() {
        deserializer.end()?;
    }
    parsed
}

/// 422 naming the place serde stopped at.
fn data_error<E: std::fmt::Display>(error: serde_path_to_error::Error<E>) -> Rejection {
    let pointer = serde_pointer(error.path());
    Rejection::invalid(
        format!("body{pointer}"),
        strip_position(&error.into_inner().to_string()),
    )
}

// `#[inline]` throughout: the adapter should cost nothing once inlined, and a large
// struct returned through each layer of it would otherwise be copied once per layer.
/// A deserializer that takes structs from JSON objects only. serde's derive also builds a
/// struct from an array of its fields in order, which the schema (`type: object`) forbids;
/// every nested value goes through the same adapter.
struct ObjectsOnly<D>(D);

macro_rules! forward_deserialize {
    ($($method:ident)*) => {
        $(#[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Objects(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    );

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Objects(visitor))
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Objects(visitor))
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Objects(visitor))
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Objects(visitor))
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        // A map only: an array is "invalid type: sequence, expected ...".
        self.0.deserialize_map(Objects(visitor))
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Objects(visitor))
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Wraps what a visitor is handed (elements, values, variants) in [`ObjectsOnly`].
struct Objects<T>(T);

macro_rules! forward_visit {
    ($($method:ident($ty:ty))*) => {
        $(#[inline]
        fn $method<E: serde::de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.0.$method(v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Objects<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.expecting(f)
    }

    forward_visit!(
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
        visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
        visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
        visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    );

    #[inline]
    fn visit_none<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    #[inline]
    fn visit_unit<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(ObjectsOnly(d))
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(ObjectsOnly(d))
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Objects(seq))
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Objects(map))
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Objects(data))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Objects<A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.0.next_element_seed(Objects(seed))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Objects<A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    #[inline]
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(Objects(seed))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Objects<S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(ObjectsOnly(d))
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Objects<A> {
    type Error = A::Error;
    type Variant = Objects<A::Variant>;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        self.0
            .variant_seed(seed)
            .map(|(value, variant)| (value, Objects(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Objects<A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.0.newtype_variant_seed(Objects(seed))
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Objects(visitor))
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Objects(visitor))
    }
}

/// Rewrites `2.0` as `2` throughout; whether anything changed.
fn whole_floats_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            // Strictly inside ±2^63: `-9223372036854775809` rounds to -2^63 and is out of range.
            Some(f)
                if f.fract() == 0.0
                    && f > -9.223_372_036_854_776e18
                    && f < 9.223_372_036_854_776e18 =>
            {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| whole_floats_to_integers(v) | changed),
        Value::Object(members) => members
            .values_mut()
            .fold(false, |changed, v| whole_floats_to_integers(v) | changed),
        _ => false,
    }
}

/// serde_json's message without " at line 1 column 17": the field names the place.
fn strip_position(text: &str) -> String {
    let text = text.to_owned();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Set once a streamed body passes its limit, so the router answers 413 whatever the
/// handler made of the error.
#[derive(Debug, Clone)]
pub struct Overflow {
    flag: Arc<AtomicBool>,
    limit: usize,
}

impl Overflow {
    fn new(limit: usize) -> Self {
        Overflow {
            flag: Arc::default(),
            limit,
        }
    }

    pub fn happened(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }
}

/// Why a streamed body could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub too_large: bool,
    pub message: String,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BodyError {}

/// A request body streamed to the handler (`application/octet-stream` uploads), limited.
pub struct BodyStream {
    inner: axum::body::BodyDataStream,
    seen: usize,
    limit: usize,
    overflow: Overflow,
}

impl BodyStream {
    /// 413 at once when `Content-Length` declares more than the limit.
    pub fn new(body: Body, limit: usize) -> Result<(Self, Overflow), Rejection> {
        if declared_too_large(&body, limit) {
            return Err(Rejection::too_large(limit));
        }
        let overflow = Overflow::new(limit);
        Ok((
            BodyStream {
                inner: body.into_data_stream(),
                seen: 0,
                limit,
                overflow: overflow.clone(),
            },
            overflow,
        ))
    }

    /// Reads the rest into memory.
    pub async fn bytes(self) -> Result<Bytes, BodyError> {
        let chunks: Vec<Bytes> = self.try_collect().await?;
        Ok(chunks.concat().into())
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.seen += chunk.len();
                if this.seen > this.limit {
                    this.overflow.set();
                    return Poll::Ready(Some(Err(BodyError {
                        too_large: true,
                        message: format!("the body is larger than {} bytes", this.limit),
                    })));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(BodyError {
                too_large: false,
                message: e.to_string(),
            }))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyStream")
            .field("seen", &self.seen)
            .finish()
    }
}

/// A `multipart/form-data` body, its parts read in order.
pub struct Multipart {
    inner: multer::Multipart<'static>,
    overflow: Overflow,
    limit: usize,
}

fn multipart_error(error: multer::Error, limit: usize, overflow: &Overflow) -> Rejection {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            overflow.set();
            Rejection::too_large(limit)
        }
        other => Rejection::malformed(format!("malformed multipart body: {other}")),
    }
}

impl Multipart {
    /// 415 unless the body is `multipart/form-data` with a boundary; 413 at once when
    /// `Content-Length` declares more than the limit.
    pub fn new(parts: &Parts, body: Body, limit: usize) -> Result<(Self, Overflow), Rejection> {
        let boundary = content_type(parts)
            .filter(|_| media_type_is(parts, "multipart/form-data"))
            .and_then(|ct| multer::parse_boundary(ct).ok())
            .ok_or_else(|| Rejection::wrong_body(parts, "multipart/form-data"))?;
        if declared_too_large(&body, limit) {
            return Err(Rejection::too_large(limit));
        }
        let constraints = multer::Constraints::new()
            .size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
        let overflow = Overflow::new(limit);
        Ok((
            Multipart {
                inner: multer::Multipart::with_constraints(
                    body.into_data_stream(),
                    boundary,
                    constraints,
                ),
                overflow: overflow.clone(),
                limit,
            },
            overflow,
        ))
    }

    /// The next part, `None` after the last.
    pub async fn next_part(&mut self) -> Result<Option<FormPart>, Rejection> {
        match self.inner.next_field().await {
            Ok(Some(field)) => Ok(Some(FormPart {
                field,
                overflow: self.overflow.clone(),
                limit: self.limit,
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(multipart_error(e, self.limit, &self.overflow)),
        }
    }
}

/// One part of a multipart body.
pub struct FormPart {
    field: multer::Field<'static>,
    overflow: Overflow,
    limit: usize,
}

impl FormPart {
    /// The part's form name (`""` when it has none).
    pub fn name(&self) -> &str {
        self.field.name().unwrap_or_default()
    }

    /// A text part, parsed as its schema says; 413 beyond the body limit.
    pub async fn value<T>(self, parse: Parse<T>, text_limit: usize) -> Result<T, Rejection> {
        let name = self.name().to_owned();
        let bytes = self.read(text_limit).await?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Rejection::invalid(Location::Form.field(&name), "not UTF-8 text"))?;
        parse(text).map_err(|e| Rejection::invalid(Location::Form.field(&name), e))
    }

    async fn read(mut self, limit: usize) -> Result<Bytes, Rejection> {
        let mut collected = bytes::BytesMut::new();
        while let Some(chunk) = self
            .field
            .chunk()
            .await
            .map_err(|e| multipart_error(e, self.limit, &self.overflow))?
        {
            if collected.len() + chunk.len() > limit {
                self.overflow.set();
                return Err(Rejection::too_large(limit));
            }
            collected.extend_from_slice(&chunk);
        }
        Ok(collected.freeze())
    }

    /// A file part, streamed: the handler reads it as it arrives.
    pub fn into_file(self) -> FilePart {
        FilePart {
            file_name: self.field.file_name().map(str::to_owned),
            content_type: self.field.content_type().map(|m| m.to_string()),
            source: FileSource::Streaming(Box::new(self)),
        }
    }

    /// A file part read into memory, for a form whose other required parts come after it.
    pub async fn into_buffered_file(self) -> Result<FilePart, Rejection> {
        let file_name = self.field.file_name().map(str::to_owned);
        let content_type = self.field.content_type().map(|m| m.to_string());
        let limit = self.limit;
        let bytes = self.read(limit).await?;
        Ok(FilePart {
            file_name,
            content_type,
            source: FileSource::Buffered(Some(bytes)),
        })
    }
}

enum FileSource {
    Streaming(Box<FormPart>),
    Buffered(Option<Bytes>),
}

/// A file in a multipart form: a stream of its bytes, read as it arrives (unless a
/// required part came after it, when it was buffered to reach that part).
pub struct FilePart {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    source: FileSource,
}

impl FilePart {
    /// A file from bytes in memory (for tests and in-process callers).
    pub fn from_bytes(file_name: Option<String>, bytes: impl Into<Bytes>) -> Self {
        FilePart {
            file_name,
            content_type: None,
            source: FileSource::Buffered(Some(bytes.into())),
        }
    }

    /// Reads the rest into memory.
    pub async fn bytes(self) -> Result<Bytes, BodyError> {
        let chunks: Vec<Bytes> = self.try_collect().await?;
        Ok(chunks.concat().into())
    }
}

impl Stream for FilePart {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.source {
            FileSource::Buffered(bytes) => Poll::Ready(bytes.take().map(Ok)),
            FileSource::Streaming(part) => {
                let polled = Pin::new(&mut part.field).poll_next(cx);
                polled.map(|item| {
                    item.map(|chunk| {
                        chunk.map_err(|e| {
                            let rejection = multipart_error(e, part.limit, &part.overflow);
                            BodyError {
                                too_large: rejection.status() == StatusCode::PAYLOAD_TOO_LARGE,
                                message: rejection.problem().message.clone(),
                            }
                        })
                    })
                })
            }
        }
    }
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// A binary response body, streamed (nothing is buffered whole), with its length when known.
pub struct Binary {
    body: Body,
    length: Option<u64>,
}

impl Binary {
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Binary {
            length: Some(bytes.len() as u64),
            body: Body::from(bytes),
        }
    }

    /// A stream of chunks; `length` (when known) is sent as `Content-Length`.
    pub fn from_stream<S>(stream: S, length: Option<u64>) -> Self
    where
        S: TryStream + Send + 'static,
        S::Ok: Into<Bytes>,
        S::Error: Into<axum::BoxError>,
    {
        Binary {
            body: Body::from_stream(stream),
            length,
        }
    }

    /// The answer with the documented media type.
    pub fn into_response(self, status: StatusCode, media_type: &'static str) -> Response {
        let mut response = (status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
        if let Some(length) = self.length {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        response
    }
}

impl std::fmt::Debug for Binary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binary")
            .field("length", &self.length)
            .finish()
    }
}

/// A `text/event-stream` answer: one `data: <json>` event per item, `data: [DONE]` at the
/// end. An `Err` item is sent as one `data:` event holding the API's error envelope and
/// ends the stream (no `[DONE]`, so a client cannot mistake it for a complete answer).
/// Idle streams get `:` keep-alive comments.
pub struct EventStream<T> {
    items: BoxStream<'static, Result<T, Problem>>,
    keep_alive: Duration,
}

impl<T: Serialize + Send + 'static> EventStream<T> {
    pub fn new<S>(items: S) -> Self
    where
        S: Stream<Item = Result<T, Problem>> + Send + 'static,
    {
        EventStream {
            items: items.boxed(),
            keep_alive: Duration::from_secs(15),
        }
    }

    /// How long the stream may idle before a keep-alive comment (15 s by default).
    pub fn keep_alive(mut self, interval: Duration) -> Self {
        self.keep_alive = interval;
        self
    }

    pub fn into_response_with<E: ErrorEnvelope>(self, status: StatusCode) -> Response {
        enum State {
            Running,
            Finished,
        }
        let events = futures_util::stream::unfold(
            (self.items, State::Running),
            |(mut items, state)| async move {
                if let State::Finished = state {
                    return None;
                }
                let (event, next) = match items.next().await {
                    Some(Ok(item)) => (data_event(&item), State::Running),
                    Some(Err(problem)) => (data_event(&E::from_problem(&problem)), State::Finished),
                    None => (Event::default().data("[DONE]"), State::Finished),
                };
                Some((Ok::<_, Infallible>(event), (items, next)))
            },
        );
        let mut response = Sse::new(events)
            .keep_alive(KeepAlive::new().interval(self.keep_alive))
            .into_response();
        *response.status_mut() = status;
        response
    }
}

fn data_event<T: Serialize>(item: &T) -> Event {
    // Compact JSON has no newline, so each item is one `data:` line.
    match serde_json::to_string(item) {
        Ok(json) => Event::default().data(json),
        Err(_) => Event::default().data(
            r#"{"error":{"code":"internal_error","message":"an event could not be serialized"}}"#,
        ),
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

/// What the router needs of an implementation besides its operations. The generated code
/// implements it for every implementation of the API's trait, so the plumbing below is
/// written once for all operations instead of once per operation.
pub trait Service: Send + Sync + 'static {
    /// What authentication yields, handed to handlers in `ctx.claims`.
    type Claims: Send + Sync + 'static;
    /// The API's error body.
    type Envelope: ErrorEnvelope;

    /// The auth hook: the claims for a credential, or a rejection.
    fn check_credential(
        &self,
        credential: Credential<'_>,
    ) -> impl std::future::Future<Output = Result<Self::Claims, Rejection>> + Send;

    /// The body size limits (413 beyond them).
    fn body_limits(&self) -> Limits;
}

/// An operation's parameters (path, query, header, cookie), parsed and checked.
pub trait Params: Sized {
    /// Whether any is in the path: only then are the path parameters read.
    const IN_PATH: bool;
    /// Whether the operation has none: then the query string is not even parsed.
    const NONE: bool = false;

    /// Parses and checks the parameters: 422 naming the first one that is missing, of the
    /// wrong type or out of its schema's bounds.
    fn extract(raw: &RawParams<'_>) -> Result<Self, Rejection>;
}

/// An operation without parameters.
impl Params for () {
    const IN_PATH: bool = false;
    const NONE: bool = true;

    fn extract(_: &RawParams<'_>) -> Result<Self, Rejection> {
        Ok(())
    }
}

/// How an operation reads its request body: the reader is a value naming the body's kind
/// (and media type), `Body` what the handler gets. Reading is in two steps: `read` (async:
/// the bytes, the stream or the form), then `parse` (not async, so a large body is built
/// where it is used instead of being moved out of one more future).
pub trait ReadBody: Send {
    /// What `read` yields.
    type Raw: Send;
    type Body: Send;

    /// The raw body, and the flag a streamed body sets when it overflows while the handler
    /// reads it.
    fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> impl std::future::Future<Output = Result<(Self::Raw, Option<Overflow>), Rejection>> + Send;

    /// The body the handler gets.
    fn parse(raw: Self::Raw) -> Result<Self::Body, Rejection>;

    /// `read`, then `parse`.
    fn read_parsed(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> impl std::future::Future<Output = Result<(Self::Body, Option<Overflow>), Rejection>> + Send
    where
        Self: Sized,
    {
        async move {
            let (raw, overflow) = self.read(parts, body, limits).await?;
            Ok((Self::parse(raw)?, overflow))
        }
    }
}

/// An operation without a request body: whatever is sent is dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBody;

impl ReadBody for NoBody {
    type Raw = ();
    type Body = ();

    async fn read(
        self,
        _: &Parts,
        _: Body,
        _: Limits,
    ) -> Result<((), Option<Overflow>), Rejection> {
        Ok(((), None))
    }

    fn parse(_: ()) -> Result<(), Rejection> {
        Ok(())
    }
}

/// A body reader that is only a type: `new()` (usable in constants) and `Default`.
macro_rules! body_reader {
    ($(#[$doc:meta])* $name:ident<$param:ident>) => {
        $(#[$doc])*
        pub struct $name<$param>(std::marker::PhantomData<fn() -> $param>);

        impl<$param> $name<$param> {
            pub const fn new() -> Self {
                $name(std::marker::PhantomData)
            }
        }

        impl<$param> Default for $name<$param> {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

body_reader!(
    /// A JSON body of type `T`: 415 for another media type, 413 beyond the body limit,
    /// then [`parse_json`].
    JsonBody<T>
);

impl<T: DeserializeOwned + Validate + Send> ReadBody for JsonBody<T> {
    type Raw = Bytes;
    type Body = T;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(Bytes, Option<Overflow>), Rejection> {
        if !content_type(parts).is_some_and(is_json) {
            return Err(Rejection::wrong_body(parts, "application/json"));
        }
        Ok((read_body(body, limits.body).await?, None))
    }

    fn parse(raw: Bytes) -> Result<T, Rejection> {
        parse_json(&raw)
    }
}

/// 415 unless the request's media type is `expected` (`None`: any, for a wildcard).
fn expect_media_type(parts: &Parts, expected: Option<&str>) -> Result<(), Rejection> {
    match expected {
        Some(expected) if !media_type_is(parts, expected) => {
            Err(Rejection::wrong_body(parts, expected))
        }
        _ => Ok(()),
    }
}

/// A text body (also `application/x-www-form-urlencoded`), read whole: 415 for another
/// media type, 413 beyond the body limit, 400 when not UTF-8.
#[derive(Debug, Clone, Copy)]
pub struct TextBody(pub Option<&'static str>);

impl ReadBody for TextBody {
    type Raw = Bytes;
    type Body = String;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(Bytes, Option<Overflow>), Rejection> {
        expect_media_type(parts, self.0)?;
        Ok((read_body(body, limits.body).await?, None))
    }

    fn parse(raw: Bytes) -> Result<String, Rejection> {
        String::from_utf8(raw.into())
            .map_err(|_| Rejection::malformed("the body is not valid UTF-8 text"))
    }
}

/// A binary body, streamed to the handler as a [`BodyStream`].
#[derive(Debug, Clone, Copy)]
pub struct StreamBody(pub Option<&'static str>);

impl ReadBody for StreamBody {
    type Raw = BodyStream;
    type Body = BodyStream;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(BodyStream, Option<Overflow>), Rejection> {
        expect_media_type(parts, self.0)?;
        let (stream, overflow) = BodyStream::new(body, limits.upload)?;
        Ok((stream, Some(overflow)))
    }

    fn parse(raw: BodyStream) -> Result<BodyStream, Rejection> {
        Ok(raw)
    }
}

/// A `multipart/form-data` form, read part by part (the generated form structs).
pub trait FromMultipart: Sized + Send {
    /// Reads the form: 422 naming a missing or malformed part, 413 beyond the limits.
    fn from_multipart(
        multipart: Multipart,
        text_limit: usize,
    ) -> impl std::future::Future<Output = Result<Self, Rejection>> + Send;
}

/// An upload a handler answers without reading (the mock does): [`Discard::discard`] reads
/// the rest of it first. Answering mid-upload makes the server close the connection with
/// the client still sending, which the client sees as a reset, not as the answer.
pub trait Discard: Sized + Send {
    /// Reads and drops what is left, stopping at the first error.
    fn discard(self) -> impl std::future::Future<Output = ()> + Send;
}

/// Reads a stream of chunks to its end (or first error), keeping nothing.
async fn drain<S: Stream<Item = Result<Bytes, BodyError>> + Send + Unpin>(mut stream: S) {
    while let Some(Ok(_)) = stream.next().await {}
}

impl Discard for FilePart {
    async fn discard(self) {
        drain(self).await
    }
}

impl Discard for BodyStream {
    async fn discard(self) {
        drain(self).await
    }
}

impl<T: Discard> Discard for Option<T> {
    async fn discard(self) {
        if let Some(inner) = self {
            inner.discard().await;
        }
    }
}

impl<T: Discard> Discard for Vec<T> {
    async fn discard(self) {
        for item in self {
            item.discard().await;
        }
    }
}

body_reader!(
    /// A multipart body read into the form `F`.
    FormBody<F>
);

impl<F: FromMultipart> ReadBody for FormBody<F> {
    type Raw = F;
    type Body = F;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(F, Option<Overflow>), Rejection> {
        let (multipart, overflow) = Multipart::new(parts, body, limits.upload)?;
        let form = F::from_multipart(multipart, limits.body).await?;
        Ok((form, Some(overflow)))
    }

    fn parse(raw: F) -> Result<F, Rejection> {
        Ok(raw)
    }
}

/// A body the document does not require: `None` when the request has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalBody<R>(pub R);

impl<R: ReadBody> ReadBody for OptionalBody<R> {
    type Raw = Option<R::Raw>;
    type Body = Option<R::Body>;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(Option<R::Raw>, Option<Overflow>), Rejection> {
        if !has_body(parts) {
            return Ok((None, None));
        }
        let (raw, overflow) = self.0.read(parts, body, limits).await?;
        Ok((Some(raw), overflow))
    }

    fn parse(raw: Option<R::Raw>) -> Result<Option<R::Body>, Rejection> {
        raw.map(R::parse).transpose()
    }
}

/// A body of several media types, read by the generated enum naming them.
pub trait FromBody: Sized + Send {
    /// The body by its media type: 415 for one the operation does not take.
    fn from_body(
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> impl std::future::Future<Output = Result<(Self, Option<Overflow>), Rejection>> + Send;
}

body_reader!(
    /// A body of several media types, read into `T`.
    ByMediaType<T>
);

impl<T: FromBody> ReadBody for ByMediaType<T> {
    type Raw = T;
    type Body = T;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(T, Option<Overflow>), Rejection> {
        T::from_body(parts, body, limits).await
    }

    fn parse(raw: T) -> Result<T, Rejection> {
        Ok(raw)
    }
}

/// The 501 body of an operation the implementation does not serve (the trait's default).
pub fn not_implemented<E: ErrorEnvelope>(operation: &str) -> E {
    E::from_problem(&Problem::new(
        StatusCode::NOT_IMPLEMENTED,
        "not_implemented",
        format!("`{operation}` is not implemented by this server"),
    ))
}

/// A route: an operation's `handler` bound to the implementation, served as a tower service
/// rather than an axum handler, so that axum boxes its future once, with no extraction step
/// and no second future around it.
pub struct Bound<S, H> {
    service: Arc<S>,
    handler: H,
}

impl<S, H: Clone> Clone for Bound<S, H> {
    fn clone(&self) -> Self {
        Bound {
            service: Arc::clone(&self.service),
            handler: self.handler.clone(),
        }
    }
}

/// Binds an operation's handler to the implementation.
pub fn bind<S, H>(service: &Arc<S>, handler: H) -> Bound<S, H> {
    Bound {
        service: Arc::clone(service),
        handler,
    }
}

impl<S, H, Fut> tower_service::Service<axum::extract::Request> for Bound<S, H>
where
    H: Fn(Arc<S>, axum::extract::Request) -> Fut,
    Fut: std::future::Future<Output = Result<Response, Infallible>>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Fut;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Fut {
        (self.handler)(Arc::clone(&self.service), request)
    }
}

/// An operation's future, turning its answer into a [`Response`] where it completes (a
/// large answer is serialized where it lies, not moved through one more future first).
pub trait Respond: Send {
    fn poll_respond(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response>;
}

impl<F> Respond for F
where
    F: std::future::Future + Send,
    F::Output: IntoResponse,
{
    #[inline]
    fn poll_respond(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.poll(cx) {
            Poll::Ready(answer) => Poll::Ready(answer.into_response()),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// An operation's answer in the making: the implementation's future, boxed. Its state holds
/// the operation's body and context, often near a kilobyte; boxed, the future the router
/// boxes for every request stays small enough for the allocator's fast path.
pub type Answer<'s> = Pin<Box<dyn Respond + 's>>;

/// Boxes an operation's future as an [`Answer`] (no future wraps it, so its arguments are
/// not held twice).
pub fn answer<'s, Fut>(future: Fut) -> Answer<'s>
where
    Fut: std::future::Future + Send + 's,
    Fut::Output: IntoResponse,
{
    Box::pin(future)
}

/// Serves one operation: the request id, the path and query parameters, the auth hook
/// (when `security` is `Some`), the parameters, the body, then `call` with them all; every
/// rejection in the envelope, and the request id echoed.
// Not an `async fn`: the request is split before the future is made, so the future holds
// its parts once (an `async fn` keeps its arguments besides whatever they are moved into).
pub fn handle<S, P, R, F>(
    service: Arc<S>,
    request: axum::extract::Request,
    security: Option<Requirement>,
    reader: R,
    call: F,
) -> impl std::future::Future<Output = Result<Response, Infallible>> + Send
where
    S: Service,
    P: Params + Send,
    R: ReadBody + 'static,
    F: for<'s> FnOnce(&'s S, RequestContext<S::Claims>, P, R::Body) -> Answer<'s>
        + Send
        + 'static,
{
    let (mut parts, body) = request.into_parts();
    let request_id = RequestId::from_headers(&parts.headers);
    async move {
        let service = &*service;
        let mut overflow = None;
        // One async block, borrowing: every layer of futures would move the body once more.
        let result = async {
            // The order of the checks is the order of the rejections: path, auth,
            // parameters, body.
            let path = if P::IN_PATH {
                path_params(&mut parts).await?
            } else {
                PathParams::default()
            };
            let claims = match security {
                Some(requirement) => match credential(&parts, requirement)? {
                    Some(credential) => Some(service.check_credential(credential).await?),
                    None => None,
                },
                None => None,
            };
            let params = if P::NONE {
                P::extract(&RawParams::empty(&parts.headers))?
            } else {
                P::extract(&RawParams::new(&parts, path))?
            };
            let (raw, flag) = reader.read(&parts, body, service.body_limits()).await?;
            overflow = flag;
            let body = R::parse(raw)?;
            let ctx = RequestContext {
                request_id: request_id.clone(),
                headers: std::mem::take(&mut parts.headers),
                claims,
            };
            let mut answer = call(service, ctx, params, body);
            Ok(std::future::poll_fn(|cx| answer.as_mut().poll_respond(cx)).await)
        }
        .await;
        Ok(finish::<S::Envelope>(result, overflow.as_ref(), request_id))
    }
}

/// The last step of every handler: the rejection (in the envelope) or the answer, a 413 if
/// a streamed body overflowed while the handler read it, and the request id echoed.
pub fn finish<E: ErrorEnvelope>(
    result: Result<Response, Rejection>,
    overflow: Option<&Overflow>,
    request_id: RequestId,
) -> Response {
    let mut response = match result {
        Ok(_) if overflow.is_some_and(Overflow::happened) => {
            let limit = overflow.map_or(0, |o| o.limit);
            Rejection::too_large(limit).into_response_with::<E>()
        }
        Ok(response) => response,
        Err(rejection) => rejection.into_response_with::<E>(),
    };
    response.headers_mut().insert(REQUEST_ID, request_id.0);
    response
}

/// A path's fallback handler for the methods it lacks: 405 with `Allow`, in the envelope.
pub fn method_not_allowed<E: ErrorEnvelope>(
    allow: &'static str,
) -> impl FnOnce(HeaderMap) -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move |headers: HeaderMap| {
        let rejection = Rejection::method_not_allowed(allow);
        std::future::ready(finish::<E>(
            Err(rejection),
            None,
            RequestId::from_headers(&headers),
        ))
    }
}

/// The router's fallback: 404 in the envelope.
pub async fn not_found<E: ErrorEnvelope>(headers: HeaderMap) -> Response {
    finish::<E>(
        Err(Rejection::not_found()),
        None,
        RequestId::from_headers(&headers),
    )
}

/// A status as the document lists it, for the mock's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockStatus {
    Code(u16),
    /// `4XX` and friends: the leading digit.
    Range(u16),
    Default,
}

/// One documented answer the mock can give: a status with one of its media types, and
/// the bodies it can send.
#[derive(Debug)]
pub struct MockAnswer {
    pub status: MockStatus,
    /// Empty for an answer without a body.
    pub media_type: &'static str,
    /// The document's examples, else one made from the schema; the first is sent unless
    /// `Prefer: example=name` names another. Empty for an answer without a body, and for
    /// one no example could be made for (the mock answers it 501).
    pub examples: &'static [MockExample],
}

impl MockAnswer {
    pub const fn new(
        status: MockStatus,
        media_type: &'static str,
        examples: &'static [MockExample],
    ) -> Self {
        MockAnswer {
            status,
            media_type,
            examples,
        }
    }
}

#[derive(Debug)]
pub struct MockExample {
    /// The key in the media type's `examples`; empty for its `example` or a made one.
    pub name: &'static str,
    /// The body: a JSON text, a text, or for `text/event-stream` one JSON text per event.
    pub parts: &'static [&'static str],
}

impl MockExample {
    pub const fn new(name: &'static str, parts: &'static [&'static str]) -> Self {
        MockExample { name, parts }
    }
}

/// Which documented answer the mock gives a request, with the status and example to send.
///
/// The request chooses as Prism's clients do: `Prefer: code=404` picks that documented
/// status (else a documented range such as `4XX`, else `default`); `Prefer: example=name`
/// picks a named example of the answer (`Prefer: code=404, example=missing` both). Without
/// `code` the answer is the first documented 2xx (a `2XX` range as 200; with no 2xx
/// documented, the first documented answer, `default` as 200). A code that is not
/// documented, or an example name that is not, is ignored: the mock answers as if it was
/// not asked, since an undocumented answer would break the contract the mock stands for.
/// Among the media types of the status, `stream` (the body's `"stream": true`) picks
/// `text/event-stream`; otherwise `Accept` ranks them, ties and no `Accept` going to the
/// first that is not an event stream.
#[derive(Debug)]
pub struct MockChoice {
    /// Index into the answers.
    pub index: usize,
    /// The status to send: for a range or `default`, the code asked for.
    pub status: StatusCode,
    pub example: Option<&'static MockExample>,
}

impl MockChoice {
    /// `None` only when `answers` is empty.
    pub fn new(answers: &'static [MockAnswer], headers: &HeaderMap, stream: bool) -> Option<Self> {
        let preferences = Preferences::from_headers(headers);
        let status_of = |index: usize| answers[index].status;
        let indices = |wanted: MockStatus| -> Vec<usize> {
            (0..answers.len()).filter(|i| status_of(*i) == wanted).collect()
        };
        let asked = preferences.code.and_then(|code| {
            let status = StatusCode::from_u16(code).ok()?;
            [
                MockStatus::Code(code),
                MockStatus::Range(code / 100),
                MockStatus::Default,
            ]
            .into_iter()
            .map(indices)
            .find(|found| !found.is_empty())
            .map(|found| (status, found))
        });
        let (status, candidates) = match asked {
            Some(asked) => asked,
            None => {
                let first_2xx = (0..answers.len())
                    .find(|i| matches!(status_of(*i), MockStatus::Code(200..=299)))
                    .or_else(|| (0..answers.len()).find(|i| status_of(*i) == MockStatus::Range(2)))
                    .or_else(|| (!answers.is_empty()).then_some(0))?;
                let documented = status_of(first_2xx);
                let code = match documented {
                    MockStatus::Code(code) => code,
                    MockStatus::Range(digit) => digit * 100,
                    MockStatus::Default => 200,
                };
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
                (status, indices(documented))
            }
        };
        let index = choose_media(answers, &candidates, headers, stream)?;
        let examples = answers[index].examples;
        let example = preferences
            .example
            .as_deref()
            .and_then(|name| examples.iter().find(|e| e.name == name))
            .or(examples.first());
        Some(MockChoice {
            index,
            status,
            example,
        })
    }

    /// The example as a JSON body; `None` when there is none or it does not fit `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(self.example?.parts.first()?).ok()
    }

    /// The example as text (a text or binary body).
    pub fn text(&self) -> Option<&'static str> {
        self.example?.parts.first().copied()
    }

    /// The example's events, then `data: [DONE]`.
    pub fn events<T: DeserializeOwned + Serialize + Send + 'static>(&self) -> Option<EventStream<T>> {
        let events: Vec<Result<T, Problem>> = self
            .example?
            .parts
            .iter()
            .map(|part| serde_json::from_str(part).ok().map(Ok))
            .collect::<Option<_>>()?;
        Some(EventStream::new(futures_util::stream::iter(events)))
    }
}

/// A value the mock sends outside the body (a required header), from its JSON text.
pub fn mock_value<T: DeserializeOwned>(json: &str) -> Option<T> {
    serde_json::from_str(json).ok()
}

/// Among the answers at `candidates` (one status, several media types), the one to send.
fn choose_media(
    answers: &[MockAnswer],
    candidates: &[usize],
    headers: &HeaderMap,
    stream: bool,
) -> Option<usize> {
    let is_stream =
        |i: &usize| essence(answers[*i].media_type).eq_ignore_ascii_case("text/event-stream");
    if stream {
        if let Some(index) = candidates.iter().copied().find(is_stream) {
            return Some(index);
        }
    }
    let accept: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let quality = |i: usize| {
        if accept.is_empty() {
            1.0
        } else {
            accept_quality(&accept, answers[i].media_type)
        }
    };
    // Best quality; among equals, not a stream first, then document order.
    let best = candidates.iter().copied().max_by(|a, b| {
        let key = |i: usize| (quality(i), !is_stream(&i));
        let (ka, kb) = (key(*a), key(*b));
        ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1)).then(b.cmp(a))
    })?;
    // Nothing acceptable: answer as if no `Accept` was sent (406 is not documented).
    if quality(best) > 0.0 {
        return Some(best);
    }
    candidates
        .iter()
        .copied()
        .find(|i| !is_stream(i))
        .or(candidates.first().copied())
}

/// The quality `Accept` gives `media_type`: that of the most specific range matching it
/// (`type/subtype` over `type/*` over `*/*`), 0 when none does.
fn accept_quality(accept: &[&str], media_type: &str) -> f32 {
    let media_type = essence(media_type);
    let (kind, subtype) = media_type.split_once('/').unwrap_or((media_type, ""));
    let mut best: Option<(u8, f32)> = None;
    for range in accept.iter().flat_map(|value| value.split(',')) {
        let mut pieces = range.split(';');
        let range = essence(pieces.next().unwrap_or_default());
        let Some((range_kind, range_subtype)) = range.split_once('/') else {
            continue;
        };
        let same_kind = range_kind.eq_ignore_ascii_case(kind);
        let specificity = if same_kind && range_subtype.eq_ignore_ascii_case(subtype) {
            2
        } else if same_kind && range_subtype == "*" {
            1
        } else if range_kind == "*" && range_subtype == "*" {
            0
        } else {
            continue;
        };
        let quality = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match best {
            Some((known, _)) if known >= specificity => {}
            _ => best = Some((specificity, quality)),
        }
    }
    best.map_or(0.0, |(_, quality)| quality)
}

/// The RFC 7240 preferences the mock honours (Prism's): `code=404`, `example=name`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    pub code: Option<u16>,
    pub example: Option<String>,
}

impl Preferences {
    /// Every `Prefer` header, each a comma-separated list of `name[=value][; params]`
    /// (values may be quoted); names are case-insensitive, the first of a name counts.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut out = Preferences::default();
        let values = headers.get_all("prefer").into_iter();
        for preference in values
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let preference = preference.split(';').next().unwrap_or_default();
            let (name, value) = preference.split_once('=').unwrap_or((preference, ""));
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "code" if out.code.is_none() => out.code = value.parse().ok(),
                "example" if out.example.is_none() && !value.is_empty() => {
                    out.example = Some(value.to_owned())
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::validate;
    use super::*;

    fn parts(headers: &[(&str, &str)], uri: &str) -> Parts {
        let mut builder = axum::http::Request::builder().uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    const BEARER: &[SecurityScheme] = &[SecurityScheme {
        name: "bearer",
        kind: SchemeKind::Bearer,
    }];
    const KEY: &[SecurityScheme] = &[SecurityScheme {
        name: "key",
        kind: SchemeKind::Query("api_key"),
    }];

    fn found(
        headers: &[(&str, &str)],
        uri: &str,
        requirement: Requirement,
    ) -> Result<Option<(String, String)>, StatusCode> {
        let parts = parts(headers, uri);
        credential(&parts, requirement)
            .map(|c| c.map(|c| (c.scheme.to_owned(), c.value.to_owned())))
            .map_err(|r| r.status())
    }

    #[test]
    fn credentials_by_scheme() {
        let bearer = found(&[("authorization", "bearer abc")], "/", &[BEARER]);
        assert_eq!(bearer, Ok(Some(("bearer".into(), "abc".into()))));
        let missing = found(&[("authorization", "Basic abc")], "/", &[BEARER]);
        assert_eq!(missing, Err(StatusCode::UNAUTHORIZED));
        let empty = found(&[("authorization", "Bearer ")], "/", &[BEARER]);
        assert_eq!(empty, Err(StatusCode::UNAUTHORIZED));
        let second = found(&[], "/?api_key=k", &[BEARER, KEY]);
        assert_eq!(second, Ok(Some(("key".into(), "k".into()))));
        let optional = found(&[], "/", &[BEARER, &[]]);
        assert_eq!(optional, Ok(None));
    }

    #[test]
    fn request_ids_echo_sane_values_and_make_unique_ones() {
        let given = parts(&[("x-request-id", "abc-1")], "/");
        assert_eq!(RequestId::from_headers(&given.headers).as_str(), "abc-1");
        let none = parts(&[], "/");
        let a = RequestId::from_headers(&none.headers);
        let b = RequestId::from_headers(&none.headers);
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("req_"));
    }

    #[test]
    fn json_errors_are_400_or_422_with_the_field() {
        #[derive(Debug, Deserialize)]
        struct Item {
            count: i64,
        }
        impl Validate for Item {
            fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
                validate::minimum(at.field("count"), self.count as f64, 1.0, false)
            }
        }
        let status = |text: &str| parse_json::<Vec<Item>>(text.as_bytes()).unwrap_err();
        assert_eq!(status("[{").status(), StatusCode::BAD_REQUEST);
        assert_eq!(status("[] x").status(), StatusCode::BAD_REQUEST);
        let wrong = status(r#"[{"count": 1}, {"count": "x"}]"#);
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong.problem().field.as_deref(), Some("body/1/count"));
        let missing = status(r#"[{}]"#);
        let array_for_object = status(r#"[[1]]"#);
        assert_eq!(array_for_object.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(array_for_object.problem().field.as_deref(), Some("body/0"));
        assert!(
            missing.problem().message.contains("missing field `count`"),
            "{missing:?}"
        );
        let whole = parse_json::<Vec<Item>>(br#"[{"count": 2.0}]"#).unwrap();
        assert_eq!(whole[0].count, 2);
        // Exact only with serde_json's float_roundtrip (the `server` feature turns it on).
        let long = parse_json::<Vec<Item>>(br#"[{"count": 2251799813685247.0}]"#).unwrap();
        assert_eq!(long[0].count, 2_251_799_813_685_247);
        let fraction = status(r#"[{"count": 2.5}]"#);
        assert_eq!(fraction.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let small = status(r#"[{"count": 0}]"#);
        assert_eq!(small.problem().field.as_deref(), Some("body/0/count"));
        assert_eq!(small.problem().message, "body/0/count: must be at least 1");
    }

    #[tokio::test]
    async fn bodies_are_read_by_kind_and_media_type() {
        let limits = Limits::default();
        let request = |content_type: Option<&str>, body: &'static str| {
            let mut builder = axum::http::Request::builder()
                .uri("/")
                .header("content-length", body.len());
            if let Some(content_type) = content_type {
                builder = builder.header("content-type", content_type);
            }
            builder.body(Body::from(body)).unwrap().into_parts()
        };
        let json = JsonBody::<serde_json::Value>::new;

        let (parts, body) = request(Some("application/json"), "hi");
        let wrong = TextBody(Some("text/plain")).read_parsed(&parts, body, limits);
        let wrong = wrong.await.unwrap_err();
        assert_eq!(wrong.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (parts, body) = request(Some("text/plain"), "hi");
        let text = TextBody(Some("text/plain")).read_parsed(&parts, body, limits);
        let (text, overflow) = text.await.unwrap();
        assert_eq!((text.as_str(), overflow.is_none()), ("hi", true));

        let (parts, body) = request(None, "");
        let absent = OptionalBody(json()).read_parsed(&parts, body, limits);
        assert!(absent.await.unwrap().0.is_none());
        let (parts, body) = request(Some("application/json"), r#"{"a":1}"#);
        let present = OptionalBody(json()).read_parsed(&parts, body, limits);
        assert_eq!(present.await.unwrap().0.unwrap()["a"], 1);
        let (parts, body) = request(Some("application/json"), r#"{"a":1}"#);
        let small = Limits { body: 3, upload: 3 };
        let large = json().read_parsed(&parts, body, small).await.unwrap_err();
        assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let (parts, body) = request(Some("application/json"), "{");
        let malformed = json().read_parsed(&parts, body, limits).await.unwrap_err();
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

        let (parts, body) = request(Some("application/octet-stream"), "bytes");
        let stream = StreamBody(Some("application/octet-stream")).read_parsed(&parts, body, limits);
        let (stream, overflow) = stream.await.unwrap();
        assert!(overflow.is_some_and(|o| !o.happened()));
        assert_eq!(&stream.bytes().await.unwrap()[..], b"bytes");
        let (parts, body) = request(Some("image/png"), "bytes");
        let any = StreamBody(None).read_parsed(&parts, body, limits).await;
        assert!(any.is_ok());
    }

    #[test]
    fn media_types_match_by_essence() {
        let json = parts(&[("content-type", "Application/JSON; charset=utf-8")], "/");
        assert!(media_type_is(&json, "application/json"));
        let problem = parts(&[("content-type", "application/problem+json")], "/");
        assert!(media_type_is(&problem, "application/json"));
        assert!(!media_type_is(&problem, "multipart/form-data"));
        let text = parts(&[("content-type", "text/plain")], "/");
        assert!(!media_type_is(&text, "application/json"));
        assert!(media_type_is(&text, "TEXT/plain"));
    }

    #[test]
    fn parameters_parse_by_type() {
        assert_eq!(parse_from_str::<i32>("12"), Ok(12));
        assert_eq!(
            parse_from_str::<i32>("x"),
            Err("`x` is not a valid integer".to_owned())
        );
        #[derive(Debug, PartialEq, Deserialize)]
        enum Order {
            #[serde(rename = "asc")]
            Asc,
        }
        assert_eq!(parse_serde::<Order>("asc"), Ok(Order::Asc));
        assert!(parse_serde::<Order>("up").is_err());
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        parts(pairs, "/").headers
    }

    #[test]
    fn preferences_as_prism_reads_them() {
        let read = |pairs: &[(&str, &str)]| Preferences::from_headers(&headers(pairs));
        assert_eq!(read(&[]), Preferences::default());
        let both = read(&[("prefer", "code=404, example=\"missing one\"")]);
        assert_eq!(both.code, Some(404));
        assert_eq!(both.example.as_deref(), Some("missing one"));
        let split = read(&[("Prefer", "Code=201; x=y"), ("prefer", "example=a, code=500")]);
        assert_eq!((split.code, split.example.as_deref()), (Some(201), Some("a")));
        assert_eq!(read(&[("prefer", "return=minimal, code=abc")]), Preferences::default());
    }

    #[test]
    fn accept_ranks_by_the_most_specific_range() {
        let q = |accept: &str, media: &str| accept_quality(&[accept], media);
        assert_eq!(q("text/event-stream", "text/event-stream"), 1.0);
        assert_eq!(q("text/event-stream", "application/json"), 0.0);
        assert_eq!(q("*/*;q=0.1, application/json;q=0.5", "application/json"), 0.5);
        assert_eq!(q("*/*;q=0.1, application/json;q=0.5", "text/event-stream"), 0.1);
        assert_eq!(q("text/*;q=0.3, */*", "text/event-stream; charset=utf-8"), 0.3);
    }

    const ONE: &[MockExample] = &[MockExample::new("", &["1"])];
    const TWO: &[MockExample] = &[MockExample::new("", &["2"]), MockExample::new("b", &["3"])];
    const ANSWERS: &[MockAnswer] = &[
        MockAnswer::new(MockStatus::Code(404), "application/json", ONE),
        MockAnswer::new(MockStatus::Code(201), "application/json", TWO),
        MockAnswer::new(MockStatus::Code(201), "text/event-stream", ONE),
        MockAnswer::new(MockStatus::Range(4), "application/json", ONE),
        MockAnswer::new(MockStatus::Default, "application/json", ONE),
    ];

    fn chosen(pairs: &[(&str, &str)], stream: bool) -> (usize, u16, &'static str) {
        let choice = MockChoice::new(ANSWERS, &headers(pairs), stream).unwrap();
        let part = choice.example.map_or("", |e| e.parts[0]);
        (choice.index, choice.status.as_u16(), part)
    }

    #[test]
    fn the_mock_answers_what_is_asked_for() {
        // The first 2xx, not the first answer; JSON unless a stream is asked for.
        assert_eq!(chosen(&[], false), (1, 201, "2"));
        assert_eq!(chosen(&[], true), (2, 201, "1"));
        assert_eq!(chosen(&[("accept", "text/event-stream")], false), (2, 201, "1"));
        assert_eq!(chosen(&[("accept", "application/json, text/event-stream;q=0.5")], false), (1, 201, "2"));
        assert_eq!(chosen(&[("accept", "*/*")], false), (1, 201, "2"));
        assert_eq!(chosen(&[("accept", "text/html")], false), (1, 201, "2"));
        // A named example; an unknown name gets the first.
        assert_eq!(chosen(&[("prefer", "example=b")], false), (1, 201, "3"));
        assert_eq!(chosen(&[("prefer", "example=zz")], false), (1, 201, "2"));
        // A documented code, then a range, then `default`, each with the code asked for.
        assert_eq!(chosen(&[("prefer", "code=404")], false), (0, 404, "1"));
        assert_eq!(chosen(&[("prefer", "code=418")], false), (3, 418, "1"));
        assert_eq!(chosen(&[("prefer", "code=503")], false), (4, 503, "1"));
        assert_eq!(chosen(&[("prefer", "code=201, example=b")], false), (1, 201, "3"));
        // Not a status at all: answered as if not asked.
        assert_eq!(chosen(&[("prefer", "code=1000")], false), (1, 201, "2"));
        assert!(MockChoice::new(&[], &HeaderMap::new(), false).is_none());
    }

    #[test]
    fn without_2xx_the_first_documented_answer() {
        const ERRORS: &[MockAnswer] = &[
            MockAnswer::new(MockStatus::Range(2), "", &[]),
            MockAnswer::new(MockStatus::Default, "application/json", ONE),
        ];
        let range = MockChoice::new(ERRORS, &HeaderMap::new(), false).unwrap();
        assert_eq!((range.index, range.status, range.example.is_none()), (0, StatusCode::OK, true));
        let only_default = MockChoice::new(&ERRORS[1..], &HeaderMap::new(), false).unwrap();
        assert_eq!((only_default.index, only_default.status), (0, StatusCode::OK));
    }

    #[tokio::test]
    async fn mock_examples_become_bodies_and_events() {
        let choice = MockChoice::new(ANSWERS, &HeaderMap::new(), true).unwrap();
        assert_eq!(choice.json::<i64>(), Some(1));
        assert_eq!(choice.json::<String>(), None, "an example that does not fit its type");
        let events = choice.events::<i64>().unwrap();
        let response = events.into_response_with::<DefaultErrorEnvelope>(StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(body, "data: 1\n\ndata: [DONE]\n\n");
        assert_eq!(mock_value::<i32>("60"), Some(60));
    }
}
