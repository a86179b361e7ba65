//! The part of the client that is the same for every API: configuration and credentials,
//! the error type, the retry loop, request encoding (path, query, headers, bodies,
//! streamed multipart uploads), byte-stream downloads, Server-Sent Events and pagination.
//!
//! A generated crate re-exports it as `client::runtime`; its per-API `Client` methods
//! build a [`Request`] and hand it to [`Transport`].

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
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

pub use crate::client_builder;
pub use crate::form::{FormEncoding, FormStyle};
pub use crate::media::is_json;
pub use crate::security::{SchemeKind, SecurityScheme};
pub use futures_util::stream::BoxStream;
/// The HTTP client crate the transport is built on, for configuring it.
pub use reqwest;
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

/// A credential for one scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Token(Secret),
    Basic { username: String, password: Secret },
}

mod config;
mod errors;
mod form;
mod request;
mod response;
mod transport;
mod upload;

pub use self::{config::*, errors::*, request::*, response::*, transport::*, upload::*};

#[cfg(test)]
mod tests;
