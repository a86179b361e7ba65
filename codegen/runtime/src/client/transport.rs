//! The transport: sending with retries and reading response heads.

use super::*;
use std::time::Instant;
use tracing::Instrument;

/// Sends requests: base URL, credentials, default headers, timeouts and retries.
#[derive(Clone)]
pub struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_retries: u32,
    /// Default headers and the user agent.
    pub(crate) common_headers: HeaderMap,
    pub(crate) schemes: &'static [SecurityScheme],
    pub(crate) credentials: BTreeMap<&'static str, Credential>,
    /// The header each token scheme sends, made once (values marked sensitive).
    pub(crate) credential_headers: BTreeMap<&'static str, (HeaderName, HeaderValue)>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("deadline", &self.deadline)
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
        timeout: Duration,
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
                builder.timeout(timeout)
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
        timeout: Duration,
    ) -> Result<reqwest::Result<reqwest::Response>, Error<E>> {
        let builder = if body.is_upload() {
            body.apply_upload(builder).await.map_err(Error::Io)?
        } else {
            builder
        };
        if streamed {
            tokio::time::timeout(timeout, builder.send())
                .await
                .map_err(|_| Error::Timeout)
        } else {
            Ok(builder.send().await)
        }
    }

    /// Sends `request`, retrying while [`Error::is_retryable`] says so (with the waits
    /// of [`retry_delay`]), and returns the first success response or the final error.
    /// Unless the request is [`streamed`](Request::streamed), the body has been read in
    /// the loop (a body cut short is retried) and the response holds it.
    pub async fn send<E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<reqwest::Response, Error<E>> {
        Ok(match self.deliver(request).await? {
            Delivered::Streaming(response) => response,
            Delivered::Buffered {
                head,
                version,
                body,
            } => {
                let mut response = http::Response::new(body);
                *response.status_mut() = head.status;
                *response.version_mut() = version;
                *response.headers_mut() = head.headers;
                reqwest::Response::from(response)
            }
        })
    }

    /// The retry loop inside the call's tracing span (when a subscriber wants it).
    async fn deliver<E: DeserializeOwned>(&self, request: Request) -> Result<Delivered, Error<E>> {
        use tracing::field::Empty;
        let span = tracing::info_span!(
            "request",
            operation = Empty,
            method = request.method.as_str(),
            path = Empty,
            status = Empty,
            request_id = Empty,
            attempts = Empty,
            latency_ms = Empty,
        );
        // Without a subscriber the span is disabled: skip the clock and the instrumenting
        // (the client's overhead over raw reqwest is budgeted at 3 %).
        if span.is_disabled() {
            return self.attempts(request, &span).await;
        }
        if let Some((id, template)) = request.operation {
            span.record("operation", id);
            span.record("path", template);
        }
        let start = Instant::now();
        let result = self.attempts(request, &span).instrument(span.clone()).await;
        span.record("latency_ms", start.elapsed().as_secs_f64() * 1000.0);
        result
    }

    async fn attempts<E: DeserializeOwned>(
        &self,
        mut request: Request,
        span: &tracing::Span,
    ) -> Result<Delivered, Error<E>> {
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
        // A deadline too far to represent is no deadline.
        let deadline = self.deadline.and_then(|d| Instant::now().checked_add(d));
        let mut retry = 0;
        loop {
            let timeout = match deadline {
                None => self.timeout,
                Some(end) => match end.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => self.timeout.min(left),
                    _ => return Err(Error::Timeout),
                },
            };
            let outcome = self
                .attempt(&mut request, &url, chosen, timeout, span)
                .await;
            if !span.is_disabled() {
                span.record("attempts", retry + 1);
            }
            let error = match outcome {
                Ok(delivered) => return Ok(delivered),
                Err(error) => error,
            };
            if retry >= max_retries || !error.is_retryable() {
                return Err(error);
            }
            let no_headers = HeaderMap::new();
            let delay = retry_delay(
                error.headers().unwrap_or(&no_headers),
                retry,
                SystemTime::now(),
            );
            // A retry that could only start at or past the deadline would end in a
            // timeout anyway: the error in hand says more.
            if deadline.is_some_and(|end| Instant::now() + delay >= end) {
                return Err(error);
            }
            tracing::info!(
                attempt = retry + 1,
                delay_ms = delay.as_secs_f64() * 1000.0,
                error = %RetryReason(&error),
                "retrying",
            );
            Box::pin(tokio::time::sleep(delay)).await;
            retry += 1;
        }
    }

    /// One attempt: the response head, then (unless streamed) the whole body, each within
    /// `timeout`; an error status is read into [`Error::Api`].
    async fn attempt<E: DeserializeOwned>(
        &self,
        request: &mut Request,
        url: &str,
        chosen: &[&str],
        timeout: Duration,
        span: &tracing::Span,
    ) -> Result<Delivered, Error<E>> {
        let (prepared, secret_in_url) = self.prepare(request, url, chosen, timeout);
        let sent = match prepared {
            Ok(builder) if request.body.is_upload() || request.streamed => {
                // Boxed: these futures are large, and this one is moved into every call's.
                Box::pin(self.send_slow(&mut request.body, builder, request.streamed, timeout))
                    .await?
            }
            Ok(builder) => builder.send().await,
            Err(error) => Err(error),
        };
        let to_error = |error: reqwest::Error| {
            Error::from_reqwest(if secret_in_url {
                error.without_url()
            } else {
                error
            })
        };
        let mut response = sent.map_err(to_error)?;
        if !span.is_disabled() {
            span.record("status", response.status().as_u16());
            if let Some(id) = response.headers().get(REQUEST_ID_HEADER) {
                if let Ok(id) = id.to_str() {
                    span.record("request_id", id);
                }
            }
        }
        if !response.status().is_success() {
            return Err(Box::pin(api_error(response, timeout, to_error)).await);
        }
        if request.streamed {
            return Ok(Delivered::Streaming(response));
        }
        let head = Response::<()>::take_head(&mut response);
        let version = response.version();
        // Read here, not by the caller, so that a body cut short (shorter than its
        // `Content-Length`, or chunks without their end) is a connection error the loop
        // retries, as the OpenAI SDKs do; the request's timeout covers it.
        let body = response.bytes().await.map_err(to_error)?;
        Ok(Delivered::Buffered {
            head,
            version,
            body,
        })
    }

    /// Sends and decodes a JSON success body.
    pub async fn json<T: DeserializeOwned, E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Response<T>, Error<E>> {
        match self.deliver(request).await? {
            Delivered::Buffered { head, body, .. } => decode_json_body(head, &body),
            Delivered::Streaming(response) => decode_json(response).await,
        }
    }

    /// Sends, expecting no body (or ignoring it).
    pub async fn empty<E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Response<()>, Error<E>> {
        Ok(match self.deliver(request).await? {
            Delivered::Buffered { head, .. } => head,
            Delivered::Streaming(response) => Response::from_parts(&response, ()),
        })
    }

    /// Sends and reads a text body.
    pub async fn text<E: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Response<String>, Error<E>> {
        match self.deliver(request).await? {
            Delivered::Buffered { head, body, .. } => {
                Ok(head.map(|()| String::from_utf8_lossy(&body).into_owned()))
            }
            Delivered::Streaming(response) => read_text(response).await,
        }
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

/// A success response as the retry loop delivers it.
enum Delivered {
    /// The whole body, read inside the loop.
    Buffered {
        head: Response<()>,
        version: reqwest::Version,
        body: Bytes,
    },
    /// A streamed response: its body is the caller's to read.
    Streaming(reqwest::Response),
}

/// What a retry event says went wrong: the status of an API error (its body may be
/// long), else the error.
struct RetryReason<'a, E>(&'a Error<E>);

impl<E> fmt::Display for RetryReason<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Api(api) => write!(f, "status {}", api.status.as_u16()),
            Error::Timeout => f.write_str("timeout"),
            Error::Connection(e) => write!(f, "connection error: {e}"),
            _ => f.write_str("error"),
        }
    }
}

/// An error response read into [`Error::Api`]. Its body is read within `timeout`; a body
/// cut short or too slow makes a connection error or a timeout instead (as the OpenAI
/// SDKs, which read it before looking at the status), which the loop retries.
async fn api_error<E: DeserializeOwned>(
    response: reqwest::Response,
    timeout: Duration,
    to_error: impl FnOnce(reqwest::Error) -> Error<E>,
) -> Error<E> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match tokio::time::timeout(timeout, response.bytes()).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => return to_error(error),
        Err(_) => return Error::Timeout,
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

/// Reads and decodes a JSON body (errors keep the body's start).
pub async fn decode_json<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<Response<T>, Error<E>> {
    let head = Response::<()>::take_head(&mut response);
    let body = response.bytes().await.map_err(Error::from_reqwest)?;
    decode_json_body(head, &body)
}

fn decode_json_body<T: DeserializeOwned, E>(
    head: Response<()>,
    body: &[u8],
) -> Result<Response<T>, Error<E>> {
    // An empty body decodes as `null` (for `Option` and `()` results).
    let decoded = if body.is_empty() {
        serde_json::from_slice(b"null")
    } else {
        serde_json::from_slice(body)
    };
    match decoded {
        Ok(value) => Ok(head.map(|()| value)),
        Err(source) => Err(Error::Decode {
            status: head.status,
            request_id: head.request_id().map(str::to_owned),
            body_start: body_start(body),
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
