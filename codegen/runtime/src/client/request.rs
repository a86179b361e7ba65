//! Requests: path, query, headers and bodies.

use super::*;

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
pub(crate) fn scalar_text(value: &serde_json::Value) -> String {
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

pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, String> {
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
pub(crate) fn sorted_members(
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
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    pub(crate) security: &'static [&'static [&'static str]],
    pub(crate) accept: Option<HeaderValue>,
    pub(crate) streamed: bool,
    pub(crate) error: Option<String>,
    /// The document's `operationId` and path template, for the call's tracing span.
    pub(crate) operation: Option<(&'static str, &'static str)>,
}

/// A request body. Every kind but an upload from an async reader can be sent again, so
/// can be retried.
pub enum Body {
    Empty,
    Json(Bytes),
    /// The value, and the `encoding` of its properties (none: brackets throughout).
    Form(serde_json::Value, &'static [FormEncoding]),
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
            operation: None,
        }
    }

    /// Names the operation in the call's tracing span: its `operationId` and its path
    /// template (`/v1/files/{file_id}`; the filled-in path may hold ids a log should not).
    /// Generated methods set it; a hand-built request may leave it out.
    pub fn operation(mut self, id: &'static str, path_template: &'static str) -> Self {
        self.operation = Some((id, path_template));
        self
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
            Ok(value) => listed_text(&value, explode),
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
    pub fn cookie<T: Serialize + ?Sized>(mut self, name: &str, value: &T, explode: bool) -> Self {
        match to_json(value) {
            Ok(serde_json::Value::Null) => {}
            Ok(value) => {
                let cookie = format!("{name}={}", listed_text(&value, explode));
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
            Ok(value) => self.body = Body::Form(value, &[]),
            Err(e) => self.fail(format!("request body: {e}")),
        }
        self
    }

    /// The form body's `encoding`: how the properties it names are laid out (see
    /// [`FormEncoding`]); the others keep the bracket convention. No form body, no change.
    pub fn form_encoding(mut self, encoding: &'static [FormEncoding]) -> Self {
        if let Body::Form(_, table) = &mut self.body {
            *table = encoding;
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

    /// Adds a file part sent as `media_type` unless its upload names its own (the
    /// document's `encoding` of the part).
    pub fn file_part_as(self, name: &str, upload: Upload, media_type: &str) -> Self {
        self.file_part(name, upload.or_content_type(media_type))
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

/// A header's or cookie's value: an array's items joined by commas, an object's members as
/// `key,value,...` (`key=value,...` exploded), a scalar as text (OpenAPI's simple style).
fn listed_text(value: &serde_json::Value, explode: bool) -> String {
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(scalar_text)
            .collect::<Vec<_>>()
            .join(","),
        serde_json::Value::Object(map) => sorted_members(map)
            .into_iter()
            .map(|(k, v)| {
                let sep = if explode { "=" } else { "," };
                format!("{k}{sep}{}", scalar_text(v))
            })
            .collect::<Vec<_>>()
            .join(","),
        scalar => scalar_text(scalar),
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
                (QueryStyle::DeepObject, _) => deep_members(pairs, name, value),
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

/// An object's members in brackets, nested ones too (`name[a][b]=v`, arrays by index:
/// `name[a][0]=v`), as Stripe and Rails read them; OpenAPI leaves nesting undefined.
fn deep_members(pairs: &mut Vec<(String, String)>, key: &str, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (member, v) in sorted_members(map) {
                deep_members(pairs, &format!("{key}[{member}]"), v);
            }
        }
        Value::Array(items) => {
            for (index, v) in items.iter().enumerate() {
                deep_members(pairs, &format!("{key}[{index}]"), v);
            }
        }
        scalar => pairs.push((key.to_owned(), scalar_text(scalar))),
    }
}

/// A parameter's value, or nothing when it equals the document's default: the server fills
/// a default in, so the request stays as short as one that never set it.
pub fn non_default<T: PartialEq>(value: &T, default: T) -> Option<&T> {
    (*value != default).then_some(value)
}
