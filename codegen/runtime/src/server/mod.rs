//! The HTTP plumbing every generated server shares: rejections in the API's error envelope,
//! request ids, credentials for the auth hook, parameter parsing, JSON, multipart and binary
//! bodies with size limits (and JSON with a nesting limit, [`MAX_DEPTH`]), SSE framing and
//! streamed downloads.
//!
//! A generated crate re-exports it as `server::runtime`; the per-API code in its
//! `src/server.rs` (trait, params, responses, router) calls it.

/// The web framework the generated router is built on, for serving it.
pub use axum;

pub use crate::form::{FormEncoding, FormStyle};
use crate::media::{essence, is_json};
pub use crate::status::{Documented, ErrorBody, Fill, Listed, Part};
use crate::validate::{Path, Validate, Violation};
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
    allow: Option<Cow<'static, str>>,
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
    pub fn method_not_allowed(allow: impl Into<Cow<'static, str>>) -> Self {
        let allow = allow.into();
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

    /// The rejection in a status the operation documents (see [`Documented::closest`]).
    pub fn documented(mut self, documented: &Documented<'_>) -> Self {
        let status = documented.closest(self.problem.status.as_u16());
        if let Ok(status) = StatusCode::from_u16(status) {
            self.problem.status = status;
        }
        self
    }

    /// The answer, in a status the operation documents, with the body in the schema the
    /// document gives that status: its own ([`ErrorBody`]) or the API's envelope `E`.
    pub fn into_documented_response<E: ErrorEnvelope>(
        self,
        documented: &Documented<'_>,
    ) -> Response {
        let rejection = self.documented(documented);
        let status = rejection.problem.status;
        let mut response = match documented.error_body(status.as_u16()) {
            Some(body) => json_response(status, &body.render(&rejection.problem)),
            None => json_response(status, &E::from_problem(&rejection.problem)),
        };
        let headers = response.headers_mut();
        if let Some(allow) = rejection.allow {
            let allow = match allow {
                Cow::Borrowed(allow) => Ok(HeaderValue::from_static(allow)),
                Cow::Owned(allow) => HeaderValue::try_from(allow),
            };
            if let Ok(allow) = allow {
                headers.insert(header::ALLOW, allow);
            }
        }
        if let Some(challenge) = rejection.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

impl ErrorBody<'_> {
    /// The body, with the rejection's parts in the members that carry them. The generator
    /// made `json` and the paths together, so every path's parents are objects in it.
    pub fn render(&self, problem: &Problem) -> serde_json::Value {
        let mut body: serde_json::Value =
            serde_json::from_str(self.json).unwrap_or(serde_json::Value::Null);
        for fill in self.fills {
            let value = match fill.part {
                Part::Message => problem.message.clone().into(),
                Part::Code => problem.code.as_ref().into(),
                Part::Status => problem.status.as_u16().into(),
                Part::Field => match &problem.field {
                    Some(field) => field.clone().into(),
                    None => continue,
                },
            };
            let Some((member, parents)) = fill.path.split_last() else {
                // The body itself.
                body = value;
                continue;
            };
            let parent = parents
                .iter()
                .try_fold(&mut body, |at, key| at.get_mut(*key));
            if let Some(object) = parent.and_then(serde_json::Value::as_object_mut) {
                object.insert((*member).to_owned(), value);
            }
        }
        body
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

mod body;
mod form;
mod handle;
mod json;
mod mock;
mod params;
mod security;
mod serve;

pub use self::{body::*, form::*, handle::*, json::*, mock::*, params::*, security::*, serve::*};

#[cfg(test)]
mod tests;
