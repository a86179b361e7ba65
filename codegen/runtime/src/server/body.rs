//! Streamed bodies: multipart forms, file parts, binary uploads and event streams.

use super::*;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

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
    memory: FileMemory,
}

fn multipart_error(error: multer::Error, limit: usize, overflow: &Overflow) -> Rejection {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            overflow.set();
            Rejection::too_large(limit)
        }
        other => match stalled(&other) {
            Some(stall) => Rejection::body_stalled(stall),
            None => Rejection::malformed(format!("malformed multipart body: {other}")),
        },
    }
}

impl Multipart {
    /// 415 unless the body is `multipart/form-data` with a boundary; 413 at once when
    /// `Content-Length` declares more than `limits.upload`. File parts keep at most
    /// `limits.file_memory` bytes in memory between them, the rest in temporary files.
    pub fn new(parts: &Parts, body: Body, limits: Limits) -> Result<(Self, Overflow), Rejection> {
        let limit = limits.upload;
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
                memory: FileMemory {
                    used: Arc::new(AtomicU64::new(0)),
                    on_disk: Arc::new(AtomicU64::new(0)),
                    limit: limits.file_memory as u64,
                },
            },
            overflow,
        ))
    }

    /// The next part, `None` after the last (400 when the body ends without the closing
    /// boundary).
    pub async fn next_part(&mut self) -> Result<Option<FormPart>, Rejection> {
        match self.inner.next_field().await {
            Ok(Some(field)) => Ok(Some(FormPart {
                field,
                overflow: self.overflow.clone(),
                limit: self.limit,
                memory: self.memory.clone(),
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(multipart_error(e, self.limit, &self.overflow)),
        }
    }
}

/// The bytes a form's file parts hold in memory, shared by its parts: past the limit a
/// file goes to a temporary file, so a request's files hold at most the limit however
/// many there are. The temporary files are counted too: each holds a file descriptor.
#[derive(Clone)]
struct FileMemory {
    used: Arc<AtomicU64>,
    on_disk: Arc<AtomicU64>,
    limit: u64,
}

/// The temporary files one request may hold: a form with many file parts (an array of
/// files) must not exhaust the process's file descriptors.
const MAX_FILES_ON_DISK: u64 = 100;

impl FileMemory {
    /// Takes `n` bytes of the allowance, if that many are left.
    fn take(&self, n: usize) -> bool {
        let n = n as u64;
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(n).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::Relaxed);
    }

    /// Counts one more temporary file: 413 past [`MAX_FILES_ON_DISK`].
    fn take_file(&self) -> Result<(), Rejection> {
        if self.on_disk.fetch_add(1, Ordering::Relaxed) < MAX_FILES_ON_DISK {
            return Ok(());
        }
        Err(Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the form has more than {MAX_FILES_ON_DISK} files that do not fit in the \
                 server's memory for uploads"
            ),
        ))
    }
}

/// One part of a multipart body.
pub struct FormPart {
    field: multer::Field<'static>,
    overflow: Overflow,
    limit: usize,
    memory: FileMemory,
}

/// What a temporary file is written and read back in: few, large writes and reads.
const SPILL_CHUNK: usize = 256 * 1024;

/// A failure to store an upload (disk full, temporary directory missing): the server's
/// fault, not the request's.
fn storage_error(error: std::io::Error) -> Rejection {
    Rejection::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        format!("the upload could not be stored: {error}"),
    )
}

/// An anonymous temporary file in [`std::env::temp_dir`]: on Unix it has no name once
/// created, on Windows it is deleted when closed, so nothing is left behind.
async fn temporary_file() -> std::io::Result<tokio::fs::File> {
    // Creating a file blocks; tokio's own file operations run on the blocking pool too.
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(std::io::Error::other)??;
    Ok(tokio::fs::File::from_std(file))
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

    async fn next_chunk(&mut self) -> Result<Option<Bytes>, Rejection> {
        self.field
            .chunk()
            .await
            .map_err(|e| multipart_error(e, self.limit, &self.overflow))
    }

    async fn read(mut self, limit: usize) -> Result<Bytes, Rejection> {
        let mut collected = bytes::BytesMut::new();
        while let Some(chunk) = self.next_chunk().await? {
            if collected.len() + chunk.len() > limit {
                self.overflow.set();
                return Err(Rejection::too_large(limit));
            }
            collected.extend_from_slice(&chunk);
        }
        Ok(collected.freeze())
    }

    /// A file part, read to its end: in memory while the form's files fit in
    /// `Limits::file_memory`, else in a temporary file. Reading it whole lets the parts
    /// after it be read and checked before the handler runs; the handler still gets it as a
    /// stream.
    pub async fn file(mut self) -> Result<FilePart, Rejection> {
        let file_name = self.field.file_name().map(str::to_owned);
        let content_type = self.field.content_type().map(|m| m.to_string());
        let mut chunks = Vec::new();
        let mut size = 0u64;
        let mut spill = None;
        while let Some(chunk) = self.next_chunk().await? {
            size += chunk.len() as u64;
            if spill.is_none() {
                if self.memory.take(chunk.len()) {
                    chunks.push(chunk);
                    continue;
                }
                self.memory.take_file()?;
                let file = temporary_file().await.map_err(storage_error)?;
                let mut writer = tokio::io::BufWriter::with_capacity(SPILL_CHUNK, file);
                let held: u64 = chunks.iter().map(|c: &Bytes| c.len() as u64).sum();
                for held in chunks.drain(..) {
                    writer.write_all(&held).await.map_err(storage_error)?;
                }
                self.memory.give_back(held);
                spill = Some(writer);
            }
            if let Some(writer) = &mut spill {
                writer.write_all(&chunk).await.map_err(storage_error)?;
            }
        }
        let source = match spill {
            None => FileSource::Memory(chunks.into_iter()),
            Some(mut writer) => {
                writer.flush().await.map_err(storage_error)?;
                let mut file = writer.into_inner();
                file.seek(std::io::SeekFrom::Start(0))
                    .await
                    .map_err(storage_error)?;
                FileSource::Disk(tokio_util::io::ReaderStream::with_capacity(
                    file,
                    SPILL_CHUNK,
                ))
            }
        };
        Ok(FilePart {
            file_name,
            content_type,
            size,
            source,
        })
    }
}

enum FileSource {
    Memory(std::vec::IntoIter<Bytes>),
    Disk(tokio_util::io::ReaderStream<tokio::fs::File>),
}

/// A file in a multipart form, received whole before the handler runs, read as a stream
/// of its bytes: from memory when small, else from a temporary file, removed when the
/// `FilePart` is dropped.
pub struct FilePart {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    size: u64,
    source: FileSource,
}

impl FilePart {
    /// A file from bytes in memory (for tests and in-process callers).
    pub fn from_bytes(file_name: Option<String>, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        FilePart {
            file_name,
            content_type: None,
            size: bytes.len() as u64,
            source: FileSource::Memory(vec![bytes].into_iter()),
        }
    }

    /// The file's size in bytes, as received (not what is left to read).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the file is read from a temporary file (it did not fit in
    /// `Limits::file_memory`) rather than from memory.
    pub fn is_on_disk(&self) -> bool {
        matches!(self.source, FileSource::Disk(_))
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
            FileSource::Memory(chunks) => Poll::Ready(chunks.next().map(Ok)),
            FileSource::Disk(file) => Pin::new(file).poll_next(cx).map(|item| {
                item.map(|chunk| {
                    chunk.map_err(|e| BodyError {
                        too_large: false,
                        message: format!("the upload's temporary file could not be read: {e}"),
                    })
                })
            }),
        }
    }
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("on_disk", &self.is_on_disk())
            .finish()
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
