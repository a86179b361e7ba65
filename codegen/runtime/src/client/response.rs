//! Responses: typed bodies, byte streams, Server-Sent Events and pagination.

use super::*;

/// A success response: the typed body (also reached through `Deref`), the status, the
/// headers and the request id.
#[derive(Debug, Clone)]
pub struct Response<T> {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    body: T,
}

impl<T> Response<T> {
    /// The status and headers, moved out (reading the bytes of a body needs neither).
    pub(crate) fn take_head(response: &mut reqwest::Response) -> Response<()> {
        Response {
            status: response.status(),
            headers: std::mem::take(response.headers_mut()),
            body: (),
        }
    }

    pub(crate) fn from_parts(response: &reqwest::Response, body: T) -> Self {
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
    pub(crate) fn new(response: reqwest::Response, idle: Duration) -> Self {
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
    pub(crate) fn new(response: reqwest::Response, idle: Duration) -> Self {
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
