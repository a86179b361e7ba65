//! The part of the client that is the same for every API: configuration and credentials,
//! the error type, the retry loop, request encoding (path, query, headers, bodies,
//! streamed multipart uploads), byte-stream downloads, Server-Sent Events and pagination.
//!
//! Written once in the generator's tree (`codegen/src/runtime/client.rs`), unit-tested
//! there, and copied verbatim into every generated crate; the per-API `Client` methods
//! build a [`Request`] and hand it to [`Transport`].

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

pub use reqwest::{Method, StatusCode};

/// The response header carrying the server's request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Retries after the first attempt unless configured otherwise (as the OpenAI SDKs).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Whole-request timeout for buffered responses; time to the response head for streams.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence allowed between two chunks of a streamed response (SSE or download).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

const INITIAL_RETRY_DELAY: Duration = Duration::from_millis(500);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(8);
/// A server-requested delay above this is ignored in favour of the backoff.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How much of an undecodable body an error keeps.
const BODY_START_LEN: usize = 512;

// ---------------------------------------------------------------------------- secrets

/// A credential. Its `Debug` never shows the value, so a logged client or error cannot
/// leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for sending it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// How a security scheme of the document carries its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Authorization: Bearer <token>` (also OAuth2 and OpenID Connect access tokens).
    Bearer,
    /// `Authorization: Basic ...`.
    Basic,
    /// An API key in the named header.
    Header(&'static str),
    /// An API key in the named query parameter.
    Query(&'static str),
    /// An API key in the named cookie.
    Cookie(&'static str),
}

/// A security scheme of the document, by its name in `components/securitySchemes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    pub name: &'static str,
    pub kind: SchemeKind,
}

/// A credential for one scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Token(Secret),
    Basic { username: String, password: Secret },
}

// ---------------------------------------------------------------------------- errors

/// The kind of an API error, from its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    PaymentRequired,
    Forbidden,
    NotFound,
    Conflict,
    UnprocessableEntity,
    RateLimited,
    InternalServer,
    NotImplemented,
    ServiceUnavailable,
    /// Any other status; see [`ApiError::status`].
    Other,
}

impl ErrorKind {
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            402 => ErrorKind::PaymentRequired,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            422 => ErrorKind::UnprocessableEntity,
            429 => ErrorKind::RateLimited,
            500 => ErrorKind::InternalServer,
            501 => ErrorKind::NotImplemented,
            503 => ErrorKind::ServiceUnavailable,
            _ => ErrorKind::Other,
        }
    }
}

/// A non-success response. `E` is the API's error envelope.
#[derive(Debug, Clone)]
pub struct ApiError<E> {
    pub status: StatusCode,
    pub kind: ErrorKind,
    /// The body parsed as the error envelope; `None` when it does not parse.
    pub envelope: Option<E>,
    /// The raw body (lossy UTF-8), kept whether or not it parsed.
    pub body: String,
    pub request_id: Option<String>,
    pub headers: HeaderMap,
}

/// Everything a client call can fail with. `E` is the API's error envelope.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// The server answered with a non-success status.
    Api(Box<ApiError<E>>),
    /// The connection failed or broke (DNS, refused, reset, TLS).
    Connection(reqwest::Error),
    /// No response, or no progress on a streamed one, within the configured time.
    Timeout,
    /// A success response whose body is not what the document says.
    Decode {
        status: StatusCode,
        request_id: Option<String>,
        /// The first bytes of the body (lossy UTF-8).
        body_start: String,
        source: serde_json::Error,
    },
    /// The request could not be built (bad base URL, header value, missing setting).
    InvalidRequest(String),
    /// A streamed response failed: an error frame (its envelope parsed when it does), a
    /// stream cut before its end marker, or a malformed event.
    Stream {
        message: String,
        envelope: Option<Box<E>>,
        request_id: Option<String>,
    },
    /// Reading an upload from, or writing a download to, the file system.
    Io(std::io::Error),
    /// A success status or media type the document does not list for the operation (or
    /// a stream asked for and something else answered).
    UnexpectedResponse {
        status: StatusCode,
        media_type: String,
        request_id: Option<String>,
        /// The first bytes of the body, lossily as UTF-8.
        body_start: String,
    },
}

impl<E> Error<E> {
    /// Whether the OpenAI SDKs' policy retries it: connection errors, timeouts, 408,
    /// 409, 429 and 5xx; never another 4xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connection(_) | Error::Timeout => true,
            Error::Api(api) => retryable_status(api.status),
            _ => false,
        }
    }

    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Api(api) => Some(api.kind),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } | Error::UnexpectedResponse { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The parsed error envelope of an API error or an error frame.
    pub fn envelope(&self) -> Option<&E> {
        match self {
            Error::Api(api) => api.envelope.as_ref(),
            Error::Stream { envelope, .. } => envelope.as_deref(),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.request_id.as_deref(),
            Error::Decode { request_id, .. }
            | Error::Stream { request_id, .. }
            | Error::UnexpectedResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Error::Api(api) => Some(&api.headers),
            _ => None,
        }
    }

    fn from_reqwest(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Error::Timeout
        } else {
            Error::Connection(error)
        }
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = |id: &Option<String>| match id {
            Some(id) => format!(" (request id {id})"),
            None => String::new(),
        };
        match self {
            Error::Api(api) => {
                write!(f, "{:?} ({})", api.kind, api.status)?;
                match &api.envelope {
                    Some(envelope) => write!(f, ": {envelope:?}")?,
                    None if !api.body.is_empty() => write!(f, ": {}", api.body)?,
                    None => {}
                }
                write!(f, "{}", id(&api.request_id))
            }
            Error::Connection(e) => write!(f, "connection error: {e}"),
            Error::Timeout => f.write_str("request timed out"),
            Error::Decode {
                status,
                request_id,
                body_start,
                source,
            } => write!(
                f,
                "cannot decode the {status} response body ({source}){}; it starts: {body_start}",
                id(request_id)
            ),
            Error::InvalidRequest(message) => write!(f, "invalid request: {message}"),
            Error::Stream {
                message,
                request_id,
                ..
            } => write!(f, "stream error: {message}{}", id(request_id)),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::UnexpectedResponse {
                status,
                media_type,
                request_id,
                body_start,
            } => write!(
                f,
                "undocumented response: {status} `{media_type}`{}; it starts: {body_start}",
                id(request_id)
            ),
        }
    }
}

impl<E: fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connection(e) => Some(e),
            Error::Decode { source, .. } => Some(source),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn body_start(body: &[u8]) -> String {
    let end = body.len().min(BODY_START_LEN);
    String::from_utf8_lossy(&body[..end]).into_owned()
}

// ---------------------------------------------------------------------------- retries

/// The delay before retry number `retry` (0 for the first): the server's `retry-after-ms`
/// or `Retry-After` (seconds or an HTTP date) when given and at most 60 s, else
/// 0.5 s·2^retry capped at 8 s, less up to 25 % jitter.
pub fn retry_delay(headers: &HeaderMap, retry: u32, now: SystemTime) -> Duration {
    if let Some(delay) = retry_after(headers, now) {
        if delay <= MAX_RETRY_AFTER {
            return delay;
        }
    }
    let backoff = INITIAL_RETRY_DELAY
        .saturating_mul(2u32.saturating_pow(retry))
        .min(MAX_RETRY_DELAY);
    backoff.mul_f64(1.0 - 0.25 * fastrand::f64())
}

fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = header("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether to retry a response: the server's `x-should-retry` decides when present.
fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => true,
        Some("false") => false,
        _ => retryable_status(status),
    }
}

// ---------------------------------------------------------------------------- configuration

/// Connection settings and credentials; see the generated `Client::builder`.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    idle_timeout: Duration,
    max_retries: u32,
    default_headers: HeaderMap,
    user_agent: String,
    http: Option<reqwest::Client>,
    schemes: &'static [Scheme],
    credentials: BTreeMap<&'static str, Credential>,
    error: Option<String>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_retries", &self.max_retries)
            // Names only: a caller may put a credential in a default header.
            .field(
                "default_headers",
                &self.default_headers.keys().collect::<Vec<_>>(),
            )
            .field("user_agent", &self.user_agent)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Settings for an API with these security schemes, talking to `base_url`.
    pub fn new(base_url: impl Into<String>, schemes: &'static [Scheme]) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            default_headers: HeaderMap::new(),
            user_agent: concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION"),
                " (rust)"
            )
            .to_owned(),
            http: None,
            schemes,
            credentials: BTreeMap::new(),
            error: None,
        }
    }

    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Whole-request timeout (for streams: until the response head arrives).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Ignored when a caller's own `reqwest::Client` is given (it has its own).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest silence between two chunks of a streamed response.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// A header sent with every request (an invalid name or value fails `build`).
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.default_headers.append(name, value);
            }
            _ => self.error = Some(format!("invalid default header `{name}`")),
        }
        self
    }

    pub fn default_headers(mut self, headers: HeaderMap) -> Self {
        self.default_headers.extend(headers);
        self
    }

    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sends through the caller's own client (proxies, TLS roots, pools).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Sets the credential of the named security scheme.
    pub fn credential(mut self, scheme: &'static str, credential: Credential) -> Self {
        self.credentials.insert(scheme, credential);
        self
    }

    /// Sets one token for every scheme that takes a single secret (bearer, API keys).
    pub fn token_for_every_scheme(mut self, token: Secret) -> Self {
        for scheme in self.schemes {
            if scheme.kind != SchemeKind::Basic {
                self.credentials
                    .insert(scheme.name, Credential::Token(token.clone()));
            }
        }
        self
    }

    /// Checks the settings and builds the transport the generated client wraps.
    pub fn build_transport(self) -> Result<Transport, String> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base_url)
            .map_err(|e| format!("invalid base URL `{base_url}`: {e}"))?;
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| format!("invalid user agent `{}`", self.user_agent))?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?,
        };
        let mut common_headers = self.default_headers;
        common_headers.insert(reqwest::header::USER_AGENT, user_agent);
        let mut credential_headers = BTreeMap::new();
        for scheme in self.schemes {
            let Some(Credential::Token(token)) = self.credentials.get(scheme.name) else {
                continue;
            };
            let header = match scheme.kind {
                SchemeKind::Bearer | SchemeKind::Basic => Some((
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {}", token.expose()),
                )),
                SchemeKind::Header(name) => HeaderName::from_bytes(name.as_bytes())
                    .ok()
                    .map(|name| (name, token.expose().to_owned())),
                SchemeKind::Cookie(name) => Some((
                    reqwest::header::COOKIE,
                    format!("{name}={}", token.expose()),
                )),
                SchemeKind::Query(_) => None,
            };
            if let Some((name, value)) = header {
                // Made once: a bad key fails here, not on every call.
                let mut value = HeaderValue::from_str(&value).map_err(|_| {
                    format!(
                        "the credential for `{}` is not a valid header value",
                        scheme.name
                    )
                })?;
                value.set_sensitive(true);
                credential_headers.insert(scheme.name, (name, value));
            }
        }
        Ok(Transport {
            http,
            base_url,
            timeout: self.timeout,
            idle_timeout: self.idle_timeout,
            max_retries: self.max_retries,
            common_headers,
            schemes: self.schemes,
            credentials: self.credentials,
            credential_headers,
        })
    }
}

// ---------------------------------------------------------------------------- requests

/// How a query parameter is laid out (OpenAPI `style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryStyle {
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

/// How a path parameter is laid out (OpenAPI `style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStyle {
    Simple,
    Label,
    Matrix,
}

/// A scalar as it appears in a URL or header; nested values as JSON text.
fn scalar_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        // A whole `number` as an integer (`limit=20`, not `20.0`), as the models write them
        // (`validate::whole_numbers`): a server typing the parameter as an integer refuses
        // the fraction.
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                (f as i64).to_string()
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

/// Text percent-encoded for a path segment: everything but RFC 3986's unreserved
/// characters. Also a string path parameter of `simple` style as it is sent.
pub fn path_segment(text: &str) -> String {
    let mut segment = String::with_capacity(text.len());
    push_path_segment(&mut segment, text);
    segment
}

/// Appends `text` to `path` percent-encoded as [`path_segment`] does, without a
/// temporary string: the unreserved runs are copied as they are.
pub fn push_path_segment(path: &mut String, text: &str) {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    // Ids are usually unreserved already: one table scan, one copy.
    const UNRESERVED: [bool; 256] = {
        let mut table = [false; 256];
        let mut byte = 0;
        while byte < 256 {
            let b = byte as u8;
            table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
            byte += 1;
        }
        table
    };
    if text.bytes().all(|b| UNRESERVED[usize::from(b)]) {
        path.push_str(text);
        return;
    }
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    path.extend(utf8_percent_encode(text, SEGMENT));
}

/// An object's members in name order, whatever map order serde_json was built with, so
/// the same value always gives the same URL.
fn sorted_members(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(&String, &serde_json::Value)> {
    let mut members: Vec<_> = map.iter().filter(|(_, v)| !v.is_null()).collect();
    members.sort_by(|a, b| a.0.cmp(b.0));
    members
}

/// A path parameter, laid out by its style and percent-encoded for a path segment.
pub fn path_param<T: Serialize + ?Sized>(
    name: &str,
    value: &T,
    style: PathStyle,
    explode: bool,
) -> Result<String, String> {
    let encode = path_segment;
    let value = to_json(value).map_err(|e| format!("path parameter `{name}`: {e}"))?;
    let items: Vec<(Option<String>, String)> = match &value {
        serde_json::Value::Array(items) => items.iter().map(|v| (None, scalar_text(v))).collect(),
        serde_json::Value::Object(map) => sorted_members(map)
            .into_iter()
            .map(|(k, v)| (Some(k.clone()), scalar_text(v)))
            .collect(),
        serde_json::Value::Null => {
            return Err(format!("path parameter `{name}` is required"));
        }
        scalar => vec![(None, scalar_text(scalar))],
    };
    let (prefix, separator) = match (style, explode) {
        (PathStyle::Simple, _) => (String::new(), ","),
        (PathStyle::Label, false) => (".".to_owned(), ","),
        (PathStyle::Label, true) => (".".to_owned(), "."),
        (PathStyle::Matrix, false) => (format!(";{}=", encode(name)), ","),
        (PathStyle::Matrix, true) => (";".to_owned(), ";"),
    };
    let parts: Vec<String> = items
        .iter()
        .map(|(key, text)| match (key, style, explode) {
            (Some(key), _, true) => format!("{}={}", encode(key), encode(text)),
            (Some(key), _, false) => format!("{},{}", encode(key), encode(text)),
            (None, PathStyle::Matrix, true) => format!("{}={}", encode(name), encode(text)),
            (None, _, _) => encode(text),
        })
        .collect();
    Ok(format!("{prefix}{}", parts.join(separator)))
}

/// A request being built by a generated method: everything needed to send it again.
pub struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Body,
    security: &'static [&'static [&'static str]],
    accept: Option<HeaderValue>,
    streamed: bool,
    error: Option<String>,
}

/// A request body. Every kind but an upload from an async reader can be sent again, so
/// can be retried.
pub enum Body {
    Empty,
    Json(Bytes),
    Form(serde_json::Value),
    Text(String),
    Binary(Upload),
    Multipart(Vec<Part>),
}

impl Request {
    /// `path` is the operation's path with its parameters already filled in.
    pub fn new(method: Method, path: String) -> Self {
        Request {
            method,
            path,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Body::Empty,
            security: &[],
            accept: None,
            streamed: false,
            error: None,
        }
    }

    /// The operation's security alternatives (any one suffices, each naming the schemes it
    /// needs); the first one whose credentials are all set is applied.
    pub fn security(mut self, alternatives: &'static [&'static [&'static str]]) -> Self {
        self.security = alternatives;
        self
    }

    pub fn accept(mut self, media_type: &'static str) -> Self {
        // The usual values are made at compile time; others are checked, never copied.
        let value = match media_type {
            "application/json" => Ok(const { HeaderValue::from_static("application/json") }),
            "text/event-stream" => Ok(const { HeaderValue::from_static("text/event-stream") }),
            other
                if other
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) || b == b'\t') =>
            {
                Ok(HeaderValue::from_static(other))
            }
            other => HeaderValue::from_str(other),
        };
        match value {
            Ok(value) => self.accept = Some(value),
            Err(_) => self.fail(format!("`{media_type}` is not a valid Accept value")),
        }
        self
    }

    /// The response is consumed as a stream: no whole-request timeout, an idle timeout.
    pub fn streamed(mut self) -> Self {
        self.streamed = true;
        self
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    /// Adds a query parameter laid out by its style; `None` (JSON `null`) adds nothing.
    pub fn query<T: Serialize + ?Sized>(
        mut self,
        name: &str,
        value: &T,
        style: QueryStyle,
        explode: bool,
    ) -> Self {
        match to_json(value) {
            Ok(value) => query_pairs(&mut self.query, name, &value, style, explode),
            Err(e) => self.fail(format!("query parameter `{name}`: {e}")),
        }
        self
    }

    /// Adds a header parameter (`simple` style); `None` adds nothing.
    pub fn header<T: Serialize + ?Sized>(mut self, name: &str, value: &T, explode: bool) -> Self {
        let text = match to_json(value) {
            Ok(serde_json::Value::Null) => return self,
            Ok(serde_json::Value::Array(items)) => {
                items.iter().map(scalar_text).collect::<Vec<_>>().join(",")
            }
            Ok(serde_json::Value::Object(map)) => sorted_members(&map)
                .into_iter()
                .map(|(k, v)| {
                    let sep = if explode { "=" } else { "," };
                    format!("{k}{sep}{}", scalar_text(v))
                })
                .collect::<Vec<_>>()
                .join(","),
            Ok(scalar) => scalar_text(&scalar),
            Err(e) => {
                self.fail(format!("header `{name}`: {e}"));
                return self;
            }
        };
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&text),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => self.fail(format!(
                "header `{name}`: not a valid header name and value"
            )),
        }
        self
    }

    /// Adds a cookie parameter.
    pub fn cookie<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        match to_json(value) {
            Ok(serde_json::Value::Null) => {}
            Ok(value) => {
                let cookie = format!("{name}={}", scalar_text(&value));
                match HeaderValue::from_str(&cookie) {
                    Ok(value) => {
                        self.headers.append(reqwest::header::COOKIE, value);
                    }
                    Err(_) => self.fail(format!("cookie `{name}`: not a valid cookie value")),
                }
            }
            Err(e) => self.fail(format!("cookie `{name}`: {e}")),
        }
        self
    }

    /// Sets an optional body with `set` (e.g. [`Request::json`]) when there is one, so
    /// each generated method needs one line for it.
    pub fn optional_body<B>(self, body: Option<B>, set: impl FnOnce(Self, B) -> Self) -> Self {
        match body {
            Some(body) => set(self, body),
            None => self,
        }
    }

    /// A JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Body::Json(bytes.into()),
            Err(e) => self.fail(format!("request body: {e}")),
        }
        self
    }

    /// A JSON body with its `stream` member set: `true` for the streaming form of an
    /// operation, `false` for the other (whatever the caller's value).
    pub fn json_with_stream_flag<T: Serialize + ?Sized>(mut self, body: &T, stream: bool) -> Self {
        match to_json(body) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.insert("stream".to_owned(), serde_json::Value::Bool(stream));
                self.json(&map)
            }
            Ok(_) => {
                self.fail("request body: a streaming request body must be a JSON object".into());
                self
            }
            Err(e) => {
                self.fail(format!("request body: {e}"));
                self
            }
        }
    }

    /// An `application/x-www-form-urlencoded` body.
    pub fn form<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match to_json(body) {
            Ok(value) => self.body = Body::Form(value),
            Err(e) => self.fail(format!("request body: {e}")),
        }
        self
    }

    pub fn text(mut self, body: String) -> Self {
        self.body = Body::Text(body);
        self
    }

    /// A raw body, streamed from its source.
    pub fn binary(mut self, body: Upload) -> Self {
        self.body = Body::Binary(body);
        self
    }

    /// Adds a part to the `multipart/form-data` body; file parts are streamed, never
    /// loaded whole.
    pub fn part(mut self, part: Part) -> Self {
        match &mut self.body {
            Body::Multipart(parts) => parts.push(part),
            _ => self.body = Body::Multipart(vec![part]),
        }
        self
    }

    /// Makes the body `multipart/form-data` (empty until parts are added).
    pub fn multipart(mut self) -> Self {
        if !matches!(self.body, Body::Multipart(_)) {
            self.body = Body::Multipart(Vec::new());
        }
        self
    }

    /// Adds a file part to the multipart body.
    pub fn file_part(self, name: &str, upload: Upload) -> Self {
        self.part(Part::file(name, upload))
    }

    /// Adds a text part to the multipart body (`None` adds nothing).
    pub fn text_part<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        match Part::value(name, value) {
            Ok(Some(part)) => self.part(part),
            Ok(None) => self.multipart(),
            Err(e) => {
                self.fail(e);
                self
            }
        }
    }
}

/// Appends `name=value` pairs for one query parameter, per OpenAPI's style table.
pub fn query_pairs(
    pairs: &mut Vec<(String, String)>,
    name: &str,
    value: &serde_json::Value,
    style: QueryStyle,
    explode: bool,
) {
    use serde_json::Value;
    let delimiter = match style {
        QueryStyle::SpaceDelimited => " ",
        QueryStyle::PipeDelimited => "|",
        QueryStyle::Form | QueryStyle::DeepObject => ",",
    };
    match value {
        Value::Null => {}
        Value::Array(items) => {
            let texts = items.iter().filter(|v| !v.is_null()).map(scalar_text);
            if explode {
                pairs.extend(texts.map(|t| (name.to_owned(), t)));
            } else {
                let joined: Vec<String> = texts.collect();
                if !joined.is_empty() {
                    pairs.push((name.to_owned(), joined.join(delimiter)));
                }
            }
        }
        Value::Object(map) => {
            let entries = sorted_members(map).into_iter();
            match (style, explode) {
                (QueryStyle::DeepObject, _) => {
                    pairs.extend(entries.map(|(k, v)| (format!("{name}[{k}]"), scalar_text(v))))
                }
                (_, true) => pairs.extend(entries.map(|(k, v)| (k.clone(), scalar_text(v)))),
                (_, false) => {
                    let joined: Vec<String> = entries
                        .flat_map(|(k, v)| [k.clone(), scalar_text(v)])
                        .collect();
                    if !joined.is_empty() {
                        pairs.push((name.to_owned(), joined.join(delimiter)));
                    }
                }
            }
        }
        scalar => pairs.push((name.to_owned(), scalar_text(scalar))),
    }
}

// ---------------------------------------------------------------------------- uploads

enum Source {
    Bytes(Bytes),
    Path(PathBuf),
    Reader(Option<Pin<Box<dyn tokio::io::AsyncRead + Send + Sync>>>),
}

/// A file to upload: from memory, a path (opened and streamed on each attempt) or an
/// async reader (streamed once, so not retried).
pub struct Upload {
    source: Source,
    file_name: Option<String>,
    content_type: Option<String>,
    length: Option<u64>,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(bytes) => format!("{} bytes in memory", bytes.len()),
            Source::Path(path) => format!("path {}", path.display()),
            Source::Reader(_) => "async reader".to_owned(),
        };
        f.debug_struct("Upload")
            .field("source", &source)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl Upload {
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Upload {
            length: Some(bytes.len() as u64),
            source: Source::Bytes(bytes),
            file_name: None,
            content_type: None,
        }
    }

    /// The file is opened when the request is sent; its name becomes the part's file name.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Upload {
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            source: Source::Path(path),
            content_type: None,
            length: None,
        }
    }

    /// Streamed once: a request with it is not retried.
    pub fn from_reader(reader: impl tokio::io::AsyncRead + Send + Sync + 'static) -> Self {
        Upload {
            source: Source::Reader(Some(Box::pin(reader))),
            file_name: None,
            content_type: None,
            length: None,
        }
    }

    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    pub fn content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }

    /// The length of a reader's content, when known (sent as the part's length).
    pub fn length(mut self, length: u64) -> Self {
        self.length = Some(length);
        self
    }

    fn replayable(&self) -> bool {
        !matches!(self.source, Source::Reader(_))
    }

    /// The body for one attempt, and its length when known.
    async fn body(&mut self) -> Result<(reqwest::Body, Option<u64>), std::io::Error> {
        match &mut self.source {
            Source::Bytes(bytes) => Ok((bytes.clone().into(), Some(bytes.len() as u64))),
            Source::Path(path) => {
                let file = tokio::fs::File::open(&path).await?;
                let length = file.metadata().await?.len();
                let stream = tokio_util::io::ReaderStream::new(file);
                Ok((reqwest::Body::wrap_stream(stream), Some(length)))
            }
            Source::Reader(reader) => {
                let reader = reader.take().ok_or_else(|| {
                    std::io::Error::other("an upload from a reader can be sent only once")
                })?;
                let stream = tokio_util::io::ReaderStream::new(reader);
                Ok((reqwest::Body::wrap_stream(stream), self.length))
            }
        }
    }
}

/// One field of a multipart body.
#[derive(Debug)]
pub struct Part {
    name: String,
    value: PartValue,
}

#[derive(Debug)]
enum PartValue {
    Text(String),
    File(Upload),
}

impl Part {
    /// A file part.
    pub fn file(name: &str, upload: Upload) -> Self {
        Part {
            name: name.to_owned(),
            value: PartValue::File(upload),
        }
    }

    /// A text part: strings as they are, other values as JSON; `None` gives no part.
    pub fn value<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<Option<Self>, String> {
        let value = to_json(value).map_err(|e| format!("multipart field `{name}`: {e}"))?;
        Ok((!value.is_null()).then(|| Part {
            name: name.to_owned(),
            value: PartValue::Text(scalar_text(&value)),
        }))
    }
}

impl Body {
    fn replayable(&self) -> bool {
        match self {
            Body::Binary(upload) => upload.replayable(),
            Body::Multipart(parts) => parts.iter().all(|p| match &p.value {
                PartValue::File(upload) => upload.replayable(),
                PartValue::Text(_) => true,
            }),
            _ => true,
        }
    }

    /// Whether the body is streamed from its source ([`Body::apply_upload`]) rather than
    /// held in memory ([`Body::apply_in_memory`]).
    fn is_upload(&self) -> bool {
        matches!(self, Body::Binary(_) | Body::Multipart(_))
    }

    /// Sets a body held in memory on `builder` (an upload is left to `apply_upload`).
    fn apply_in_memory(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        use reqwest::header::CONTENT_TYPE;
        match self {
            Body::Empty => builder,
            Body::Json(bytes) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Form(value) => builder.form(value),
            Body::Text(text) => builder
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(text.clone()),
            Body::Binary(_) | Body::Multipart(_) => builder,
        }
    }

    /// Sets an upload body (a raw or multipart stream, opened for this attempt).
    async fn apply_upload(
        &mut self,
        builder: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, std::io::Error> {
        use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
        Ok(match self {
            Body::Empty | Body::Json(_) | Body::Form(_) | Body::Text(_) => builder,
            Body::Binary(upload) => {
                let content_type = upload
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".to_owned());
                let (body, length) = upload.body().await?;
                let builder = builder.header(CONTENT_TYPE, content_type).body(body);
                match length {
                    Some(length) => builder.header(CONTENT_LENGTH, length),
                    None => builder,
                }
            }
            Body::Multipart(parts) => {
                let mut form = reqwest::multipart::Form::new();
                for part in parts.iter_mut() {
                    form = match &mut part.value {
                        PartValue::Text(text) => form.text(part.name.clone(), text.clone()),
                        PartValue::File(upload) => {
                            let (body, length) = upload.body().await?;
                            let mut file = match length {
                                Some(length) => {
                                    reqwest::multipart::Part::stream_with_length(body, length)
                                }
                                None => reqwest::multipart::Part::stream(body),
                            };
                            if let Some(name) = &upload.file_name {
                                file = file.file_name(name.clone());
                            }
                            let media = upload
                                .content_type
                                .as_deref()
                                .unwrap_or("application/octet-stream");
                            file = file.mime_str(media).map_err(|e| {
                                std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
                            })?;
                            form.part(part.name.clone(), file)
                        }
                    };
                }
                builder.multipart(form)
            }
        })
    }
}

// ---------------------------------------------------------------------------- transport

/// Sends requests: base URL, credentials, default headers, timeouts and retries.
#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
    base_url: String,
    timeout: Duration,
    idle_timeout: Duration,
    max_retries: u32,
    /// Default headers and the user agent.
    common_headers: HeaderMap,
    schemes: &'static [Scheme],
    credentials: BTreeMap<&'static str, Credential>,
    /// The header each token scheme sends, made once (values marked sensitive).
    credential_headers: BTreeMap<&'static str, (HeaderName, HeaderValue)>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_retries", &self.max_retries)
            .field("headers", &self.common_headers.keys().collect::<Vec<_>>())
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The first security alternative whose credentials are all set.
    fn chosen_security(&self, security: &[&'static [&'static str]]) -> &'static [&'static str] {
        security
            .iter()
            .find(|alternative| alternative.iter().all(|s| self.credentials.contains_key(s)))
            .copied()
            .unwrap_or(&[])
    }

    /// The credentials of `chosen` that do not travel as a prebuilt header: basic auth
    /// and API keys in the query. Returns whether a credential went into the URL (so
    /// errors must not show it).
    fn authorize_builder(
        &self,
        mut builder: reqwest::RequestBuilder,
        chosen: &[&str],
    ) -> (reqwest::RequestBuilder, bool) {
        let mut in_url = false;
        for name in chosen {
            if self.credential_headers.contains_key(name) {
                continue;
            }
            let (Some(scheme), Some(credential)) = (
                self.schemes.iter().find(|s| s.name == *name),
                self.credentials.get(name),
            ) else {
                continue;
            };
            builder = match (scheme.kind, credential) {
                (_, Credential::Basic { username, password }) => {
                    builder.basic_auth(username, Some(password.expose()))
                }
                (SchemeKind::Query(param), Credential::Token(token)) => {
                    in_url = true;
                    builder.query(&[(param, token.expose())])
                }
                // Token headers were made at build time.
                _ => builder,
            };
        }
        (builder, in_url)
    }

    /// Writes the headers of one attempt straight into the outgoing request (no map is
    /// built and merged per attempt): the default headers, then the operation's own, then
    /// its `Accept`, then the prebuilt credential headers of `chosen`. These replace a
    /// basic-auth `Authorization` already set on the request, as a header map given to
    /// `RequestBuilder::headers` would.
    fn write_headers(&self, out: &mut HeaderMap, request: &Request, chosen: &[&str]) {
        use reqwest::header::{ACCEPT, AUTHORIZATION};
        let mut replace_authorization = out.contains_key(AUTHORIZATION);
        let mut put = |name: &HeaderName, value: &HeaderValue| {
            if replace_authorization && name == AUTHORIZATION {
                replace_authorization = false;
                out.insert(name.clone(), value.clone());
            } else {
                out.append(name.clone(), value.clone());
            }
        };
        for (name, value) in self.common_headers.iter().chain(request.headers.iter()) {
            put(name, value);
        }
        for name in chosen {
            if let Some((header, value)) = self.credential_headers.get(name) {
                put(header, value);
            }
        }
        if let Some(accept) = &request.accept {
            // Inserted after the others, so it replaces a default or operation `Accept`;
            // credential headers are never `Accept`.
            out.insert(ACCEPT, accept.clone());
        }
    }

    /// One attempt's request, all but an upload body (kept out of `send`'s future, which
    /// every call moves). Also whether a credential went into the URL.
    fn prepare(
        &self,
        request: &Request,
        url: &str,
        chosen: &[&str],
    ) -> (reqwest::Result<reqwest::RequestBuilder>, bool) {
        let mut builder = self.http.request(request.method.clone(), url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        let (builder, secret_in_url) = self.authorize_builder(builder, chosen);
        let prepared = builder.build().map(|mut outgoing| {
            self.write_headers(outgoing.headers_mut(), request, chosen);
            let builder = reqwest::RequestBuilder::from_parts(self.http.clone(), outgoing);
            let builder = request.body.apply_in_memory(builder);
            // A stream's timeout covers only the response head (see `send_slow`).
            if request.streamed {
                builder
            } else {
                builder.timeout(self.timeout)
            }
        });
        (prepared, secret_in_url)
    }

    /// Sends an attempt with an upload body or a streamed response.
    async fn send_slow<E>(
        &self,
        body: &mut Body,
        builder: reqwest::RequestBuilder,
        streamed: bool,
    ) -> Result<reqwest::Result<reqwest::Response>, Error<E>> {
        let builder = if body.is_upload() {
            body.apply_upload(builder).await.map_err(Error::Io)?
        } else {
            builder
        };
        if streamed {
            tokio::time::timeout(self.timeout, builder.send())
                .await
                .map_err(|_| Error::Timeout)
        } else {
            Ok(builder.send().await)
        }
    }

    /// Sends `request`, retrying as [`retry_delay`] and [`Error::is_retryable`] say, and
    /// returns the first success response (its body unread) or the final error.
    pub async fn send<E: DeserializeOwned>(
        &self,
        mut request: Request,
    ) -> Result<reqwest::Response, Error<E>> {
        if let Some(message) = request.error.take() {
            return Err(Error::InvalidRequest(message));
        }
        let max_retries = if request.body.replayable() {
            self.max_retries
        } else {
            0
        };
        let mut url = String::with_capacity(self.base_url.len() + request.path.len());
        url.push_str(&self.base_url);
        url.push_str(&request.path);
        let chosen = self.chosen_security(request.security);
        let mut retry = 0;
        loop {
            let (prepared, secret_in_url) = self.prepare(&request, &url, chosen);
            let sent = match prepared {
                Ok(builder) if request.body.is_upload() || request.streamed => {
                    // Boxed: these futures are large, and this one is moved into every call's.
                    Box::pin(self.send_slow(&mut request.body, builder, request.streamed)).await?
                }
                Ok(builder) => builder.send().await,
                Err(error) => Err(error),
            };
            let error = match sent {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    if retry < max_retries && should_retry(response.status(), response.headers()) {
                        let delay = retry_delay(response.headers(), retry, SystemTime::now());
                        drop(response);
                        Box::pin(tokio::time::sleep(delay)).await;
                        retry += 1;
                        continue;
                    }
                    return Err(Box::pin(self.api_error(response)).await);
                }
                Err(error) if secret_in_url => Error::from_reqwest(error.without_url()),
                Err(error) => Error::from_reqwest(error),
            };
            if retry < max_retries && error.is_retryable() {
                let delay = retry_delay(&HeaderMap::new(), retry, SystemTime::now());
                Box::pin(tokio::time::sleep(delay)).await;
                retry += 1;
                continue;
            }
            return Err(error);
        }
    }

    async fn api_error<E: DeserializeOwned>(&self, response: reqwest::Response) -> Error<E> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = match tokio::time::timeout(self.timeout, response.bytes()).await {
            Ok(Ok(body)) => body,
            Ok(Err(_)) | Err(_) => Bytes::new(),
        };
        Error::Api(Box::new(ApiError {
            status,
            kind: ErrorKind::from_status(status),
            envelope: serde_json::from_slice(&body).ok(),
            body: String::from_utf8_lossy(&body).into_owned(),
            request_id: request_id(&headers),
            headers,
        }))
    }

    /// Sends and decodes a JSON success body.
    pub async fn json<T: DeserializeOwned, E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Response<T>, Error<E>> {
        let response = self.send(request).await?;
        decode_json(response).await
    }

    /// Sends, expecting no body (or ignoring it).
    pub async fn empty<E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Response<()>, Error<E>> {
        let response = self.send(request).await?;
        Ok(Response::from_parts(&response, ()))
    }

    /// Sends and reads a text body.
    pub async fn text<E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Response<String>, Error<E>> {
        let response = self.send(request).await?;
        read_text(response).await
    }

    /// Sends and returns the body as a stream of chunks.
    pub async fn bytes<E: DeserializeOwned + Send + 'static>(
        &self,
        request: Request,
    ) -> Result<Response<ByteStream<E>>, Error<E>> {
        let response = self.send(request.streamed()).await?;
        Ok(self.byte_stream(response))
    }

    /// Wraps a success response's body as a byte stream with this transport's idle timeout.
    pub fn byte_stream<E: Send + 'static>(
        &self,
        mut response: reqwest::Response,
    ) -> Response<ByteStream<E>> {
        let head = Response::<()>::take_head(&mut response);
        head.map(|()| ByteStream::new(response, self.idle_timeout))
    }

    /// Sends and returns the Server-Sent Events of the body, each `data:` decoded as `T`.
    pub async fn events<T, E>(
        &self,
        request: Request,
    ) -> Result<Response<EventStream<T, E>>, Error<E>>
    where
        T: DeserializeOwned + Send + 'static,
        E: DeserializeOwned + Send + 'static,
    {
        let response = self.send(request.streamed()).await?;
        // A server that ignores the request for a stream (a JSON answer, say) would read as
        // a stream that ends before `[DONE]`: say what came instead.
        if media_type(&response) != "text/event-stream" {
            return Err(unexpected(response).await);
        }
        Ok(self.event_stream(response))
    }

    /// Wraps a success response's body as an event stream with this transport's idle timeout.
    pub fn event_stream<T, E>(&self, response: reqwest::Response) -> Response<EventStream<T, E>>
    where
        T: DeserializeOwned + Send + 'static,
        E: DeserializeOwned + Send + 'static,
    {
        let head = Response::from_parts(&response, ());
        head.map(|()| EventStream::new(response, self.idle_timeout))
    }
}

/// Reads and decodes a JSON body (errors keep the body's start).
pub async fn decode_json<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<Response<T>, Error<E>> {
    let head = Response::<()>::take_head(&mut response);
    let body = response.bytes().await.map_err(Error::from_reqwest)?;
    // An empty body decodes as `null` (for `Option` and `()` results).
    let decoded = if body.is_empty() {
        serde_json::from_slice(b"null")
    } else {
        serde_json::from_slice(&body)
    };
    match decoded {
        Ok(value) => Ok(head.map(|()| value)),
        Err(source) => Err(Error::Decode {
            status: head.status,
            request_id: head.request_id().map(str::to_owned),
            body_start: body_start(&body),
            source,
        }),
    }
}

/// Reads a text body.
pub async fn read_text<E>(response: reqwest::Response) -> Result<Response<String>, Error<E>> {
    let head = Response::from_parts(&response, ());
    let text = response.text().await.map_err(Error::from_reqwest)?;
    Ok(head.map(|()| text))
}

/// The status and headers of a response, for a result with no body.
pub fn head(response: &reqwest::Response) -> Response<()> {
    Response::from_parts(response, ())
}

/// The error for a success response the document does not describe, with the start of
/// its body (read only that far: the body may be an endless stream).
pub async fn unexpected<E>(mut response: reqwest::Response) -> Error<E> {
    let status = response.status();
    let media_type = media_type(&response);
    let request_id = request_id(response.headers());
    let mut start = Vec::new();
    while start.len() < BODY_START_LEN {
        match response.chunk().await {
            Ok(Some(chunk)) => start.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    Error::UnexpectedResponse {
        status,
        media_type,
        request_id,
        body_start: body_start(&start),
    }
}

/// Whether a media type (as [`media_type`] gives it) is JSON.
pub fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

/// The media type of a response, without parameters, lower case.
pub fn media_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------- responses

/// A success response: the typed body (also reached through `Deref`), the status, the
/// headers and the request id.
#[derive(Debug, Clone)]
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    body: T,
}

impl<T> Response<T> {
    /// The status and headers, moved out (reading the bytes of a body needs neither).
    fn take_head(response: &mut reqwest::Response) -> Response<()> {
        Response {
            status: response.status(),
            headers: std::mem::take(response.headers_mut()),
            body: (),
        }
    }

    fn from_parts(response: &reqwest::Response, body: T) -> Self {
        Response {
            status: response.status(),
            headers: response.headers().clone(),
            body,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `x-request-id` header, if the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
    }

    pub fn into_inner(self) -> T {
        self.body
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            status: self.status,
            headers: self.headers,
            body: f(self.body),
        }
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.body
    }
}

impl<T> std::ops::DerefMut for Response<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.body
    }
}

/// Waits for the next item, failing with [`Error::Timeout`] after `idle` of silence.
async fn next_within<S: Stream + Unpin>(
    stream: &mut S,
    idle: Duration,
) -> Result<Option<S::Item>, ()> {
    tokio::time::timeout(idle, stream.next())
        .await
        .map_err(|_| ())
}

/// A downloaded body as a stream of chunks; nothing is buffered beyond one chunk. Dropping
/// it closes the connection.
pub struct ByteStream<E> {
    inner: BoxStream<'static, Result<Bytes, Error<E>>>,
}

impl<E> fmt::Debug for ByteStream<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByteStream")
    }
}

impl<E: Send + 'static> ByteStream<E> {
    fn new(response: reqwest::Response, idle: Duration) -> Self {
        let chunks = response.bytes_stream().boxed();
        let inner = stream::unfold(Some(chunks), move |state| async move {
            let mut chunks = state?;
            match next_within(&mut chunks, idle).await {
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(chunks))),
                Ok(Some(Err(e))) => Some((Err(Error::from_reqwest(e)), None)),
                Ok(None) => None,
                Err(()) => Some((Err(Error::Timeout), None)),
            }
        })
        .boxed();
        ByteStream { inner }
    }

    /// Writes the body to `path` (created or truncated), chunk by chunk; returns the length.
    pub async fn write_to(mut self, path: impl AsRef<Path>) -> Result<u64, Error<E>> {
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::File::create(path).await.map_err(Error::Io)?;
        let mut written = 0u64;
        while let Some(chunk) = self.inner.next().await {
            let chunk = chunk?;
            file.write_all(&chunk).await.map_err(Error::Io)?;
            written += chunk.len() as u64;
        }
        file.flush().await.map_err(Error::Io)?;
        Ok(written)
    }

    /// Reads the whole body into memory.
    pub async fn collect(mut self) -> Result<Bytes, Error<E>> {
        let mut out = bytes::BytesMut::new();
        while let Some(chunk) = self.inner.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }
}

impl<E> Stream for ByteStream<E> {
    type Item = Result<Bytes, Error<E>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// The Server-Sent Events of a response, each `data:` decoded as `T`. Ends at
/// `data: [DONE]`; an error frame, a malformed event, a stream cut before `[DONE]` and an
/// idle timeout are each an `Err` and the last item. Dropping it closes the connection.
pub struct EventStream<T, E> {
    inner: BoxStream<'static, Result<T, Error<E>>>,
}

impl<T, E> fmt::Debug for EventStream<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventStream")
    }
}

/// The end marker of an OpenAI-style stream.
const DONE: &str = "[DONE]";

impl<T, E> EventStream<T, E>
where
    T: DeserializeOwned + Send + 'static,
    E: DeserializeOwned + Send + 'static,
{
    fn new(response: reqwest::Response, idle: Duration) -> Self {
        use eventsource_stream::Eventsource;
        let request_id = request_id(response.headers());
        let events = response.bytes_stream().eventsource().boxed();
        let inner = stream::unfold(Some(events), move |state| {
            let request_id = request_id.clone();
            async move {
                let mut events = state?;
                let stream_error = |message: String, envelope: Option<E>| Error::Stream {
                    message,
                    envelope: envelope.map(Box::new),
                    request_id: request_id.clone(),
                };
                loop {
                    let event = match next_within(&mut events, idle).await {
                        Err(()) => return Some((Err(Error::Timeout), None)),
                        Ok(None) => {
                            let message = format!("the stream ended before `data: {DONE}`");
                            return Some((Err(stream_error(message, None)), None));
                        }
                        Ok(Some(Err(e))) => {
                            return Some((Err(stream_error(e.to_string(), None)), None))
                        }
                        Ok(Some(Ok(event))) => event,
                    };
                    let data = event.data.trim();
                    if data == DONE {
                        return None;
                    }
                    if data.is_empty() {
                        continue;
                    }
                    return Some(match decode_event::<T, E>(&event.event, data) {
                        Ok(item) => (Ok(item), Some(events)),
                        Err((message, envelope)) => (Err(stream_error(message, envelope)), None),
                    });
                }
            }
        })
        .boxed();
        EventStream { inner }
    }
}

/// One event's data: the item, or an error frame (event `error`, or a JSON object with a
/// top-level `error` member, as OpenAI-compatible servers send) with its envelope parsed.
fn decode_event<T: DeserializeOwned, E: DeserializeOwned>(
    event: &str,
    data: &str,
) -> Result<T, (String, Option<E>)> {
    let value: serde_json::Value = serde_json::from_str(data).map_err(|e| {
        (
            format!(
                "malformed event data ({e}): {}",
                body_start(data.as_bytes())
            ),
            None,
        )
    })?;
    let is_error_frame = event == "error" || value.get("error").is_some_and(|e| !e.is_null());
    if is_error_frame {
        let envelope = serde_json::from_value::<E>(value.clone()).ok();
        return Err((
            format!("error event: {}", body_start(data.as_bytes())),
            envelope,
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        (
            format!("cannot decode event ({e}): {}", body_start(data.as_bytes())),
            None,
        )
    })
}

impl<T, E> Stream for EventStream<T, E> {
    type Item = Result<T, Error<E>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

// ---------------------------------------------------------------------------- pagination

/// One page of a `limit`/`offset` list: its items and the total the server reports.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Every item of a paginated list from `offset` on, fetching the next page only when the
/// previous one is used up; stops at `total`, at an empty page, or after an error.
pub fn paginate<T, E, F, Fut>(offset: i64, mut fetch: F) -> BoxStream<'static, Result<T, Error<E>>>
where
    T: Send + 'static,
    E: Send + 'static,
    F: FnMut(i64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error<E>>> + Send + 'static,
{
    stream::unfold(Some(offset), move |next| {
        let page = next.map(&mut fetch);
        async move {
            let offset = next?;
            let page = match page?.await {
                Ok(page) => page,
                Err(e) => return Some((stream::iter(vec![Err(e)]), None)),
            };
            let fetched = page.items.len() as i64;
            let following = offset + fetched;
            let more = fetched > 0 && following < page.total;
            let items: Vec<Result<T, Error<E>>> = page.items.into_iter().map(Ok).collect();
            Some((stream::iter(items), more.then_some(following)))
        }
    })
    .flatten()
    .boxed()
}
