//! Uploads: files and streamed multipart forms.

use super::*;

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
    /// Every constructor's start: no file name or media type until the caller sets them.
    fn from_source(source: Source, length: Option<u64>) -> Self {
        Upload {
            source,
            length,
            file_name: None,
            content_type: None,
        }
    }

    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes: Bytes = bytes.into();
        let length = bytes.len() as u64;
        Self::from_source(Source::Bytes(bytes), Some(length))
    }

    /// The file is opened when the request is sent; its name becomes the part's file name.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Upload {
            file_name,
            ..Self::from_source(Source::Path(path), None)
        }
    }

    /// Streamed once: a request with it is not retried.
    pub fn from_reader(reader: impl tokio::io::AsyncRead + Send + Sync + 'static) -> Self {
        Self::from_source(Source::Reader(Some(Box::pin(reader))), None)
    }

    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    pub fn content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }

    /// The upload, sent as `media_type` unless it names its own.
    pub(crate) fn or_content_type(mut self, media_type: &str) -> Self {
        self.content_type
            .get_or_insert_with(|| media_type.to_owned());
        self
    }

    /// The length of a reader's content, when known (sent as the part's length).
    pub fn length(mut self, length: u64) -> Self {
        self.length = Some(length);
        self
    }

    pub(crate) fn replayable(&self) -> bool {
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
    pub(crate) fn replayable(&self) -> bool {
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
    pub(crate) fn is_upload(&self) -> bool {
        matches!(self, Body::Binary(_) | Body::Multipart(_))
    }

    /// Sets a body held in memory on `builder` (an upload is left to `apply_upload`).
    pub(crate) fn apply_in_memory(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> reqwest::RequestBuilder {
        use reqwest::header::CONTENT_TYPE;
        match self {
            Body::Empty => builder,
            Body::Json(bytes) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            // Nested objects and arrays in brackets, as the server reads them.
            Body::Form(value, encoding) => match super::form::form_text(value, encoding) {
                Ok(text) => builder
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(text),
                Err(_) => builder.form(value),
            },
            Body::Text(text) => builder
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(text.clone()),
            Body::Binary(_) | Body::Multipart(_) => builder,
        }
    }

    /// Sets an upload body (a raw or multipart stream, opened for this attempt).
    pub(crate) async fn apply_upload(
        &mut self,
        builder: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, std::io::Error> {
        use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
        Ok(match self {
            Body::Empty | Body::Json(_) | Body::Form(..) | Body::Text(_) => builder,
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
