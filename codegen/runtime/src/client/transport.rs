//! The transport: sending with retries and reading response heads.

use super::*;

/// Sends requests: base URL, credentials, default headers, timeouts and retries.
#[derive(Clone)]
pub struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) timeout: Duration,
    pub(crate) idle_timeout: Duration,
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
