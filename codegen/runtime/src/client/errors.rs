//! The client's error type and how an error response is read.

use super::*;

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
    /// Whether the retry loop retries it (it asks this very function), as the OpenAI
    /// SDKs do: connection errors (including a response body cut short), timeouts, and
    /// API errors the server's `x-should-retry: true|false` says to retry or, without
    /// that header, 408, 409, 429 and 5xx; never another 4xx. An upload from a reader
    /// is not retried whatever this says (it cannot be sent again), nor an error past
    /// `max_retries` or a deadline.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connection(_) | Error::Timeout => true,
            Error::Api(api) => should_retry(api.status, &api.headers),
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

    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
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
            // A sentence: `404 Not Found: No such file (code not_found, request id req_1)`.
            Error::Api(api) => {
                write!(f, "{}", api.status)?;
                let (message, code) = message_and_code(&api.body);
                match message {
                    Some(message) => write!(f, ": {message}")?,
                    None if !api.body.is_empty() => {
                        write!(f, ": {}", body_start(api.body.as_bytes()))?
                    }
                    None => {}
                }
                let details: Vec<String> = code
                    .map(|code| format!("code {code}"))
                    .into_iter()
                    .chain(api.request_id.as_ref().map(|id| format!("request id {id}")))
                    .collect();
                if !details.is_empty() {
                    write!(f, " ({})", details.join(", "))?;
                }
                Ok(())
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

/// The message and code an error body carries, where error envelopes put them: in an
/// `error` object or at the top (`message`, `detail`, `title`, `error` as text; `code`,
/// `type`). For `Display`, whatever the API's envelope type.
fn message_and_code(body: &str) -> (Option<String>, Option<String>) {
    use serde_json::Value;
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return (None, None);
    };
    let text = |value: &Value, keys: &[&str]| {
        keys.iter().find_map(|key| match value.get(key)? {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
    };
    let inner = value
        .get("error")
        .filter(|e| e.is_object())
        .unwrap_or(&value);
    let message = text(inner, &["message", "detail", "title", "description"])
        .or_else(|| text(&value, &["message", "detail", "error", "title"]));
    let code = text(inner, &["code", "type"]).or_else(|| text(&value, &["code", "type"]));
    (message, code)
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn body_start(body: &[u8]) -> String {
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

/// Whether to retry an error response: the server's `x-should-retry` decides when
/// present. Only [`Error::is_retryable`] calls it, so that what the loop retries and what
/// a caller is told are one rule.
fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => true,
        Some("false") => false,
        _ => retryable_status(status),
    }
}
