//! Parameters: where they come from, and parsing them from text.

use super::*;

/// Limits the router enforces before a handler sees a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// JSON, text and form bodies, read whole: 413 above this many bytes.
    pub body: usize,
    /// Multipart and binary bodies, streamed to the handler: 413 above this many bytes.
    pub upload: usize,
}

impl Default for Limits {
    /// 2 MiB for bodies read whole, 512 MiB for streamed uploads.
    fn default() -> Self {
        Limits {
            body: 2 * 1024 * 1024,
            upload: 512 * 1024 * 1024,
        }
    }
}

/// Where a parameter is sent, as named in a rejection (`query/limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
    /// A part of a multipart form.
    Form,
}

impl Location {
    pub(crate) fn field(self, name: &str) -> String {
        let location = match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::Form => "body",
        };
        format!("{location}/{name}")
    }
}

/// Runs a parameter's constraint checks: 422 naming the parameter for the first it breaks.
pub fn check(
    location: Location,
    name: &str,
    checks: impl FnOnce(Path<'_>) -> Result<(), Violation>,
) -> Result<(), Rejection> {
    checks(Path::Root)
        .map_err(|violation| Rejection::invalid(location.field(name), violation.message))
}

/// The path parameters axum matched, by wire name.
#[derive(Debug, Default)]
pub struct PathParams(Vec<(Arc<str>, Arc<str>)>);

/// Reads the path parameters axum matched (percent-decoded); 400 when one is not UTF-8.
pub async fn path_params(parts: &mut Parts) -> Result<PathParams, Rejection> {
    use axum::extract::{FromRequestParts, RawPathParams};
    match RawPathParams::from_request_parts(parts, &()).await {
        Ok(params) => Ok(PathParams(
            params
                .iter()
                .map(|(k, v)| (Arc::from(k), Arc::from(v)))
                .collect(),
        )),
        Err(e) => Err(Rejection::malformed(format!("bad path parameter: {e}"))),
    }
}

/// The raw path, query and header values of a request, looked up by wire name.
pub struct RawParams<'a> {
    path: Vec<(Arc<str>, Arc<str>)>,
    query: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    headers: &'a HeaderMap,
}

/// A parser from the text of a parameter to its type.
pub type Parse<T> = fn(&str) -> Result<T, String>;

impl<'a> RawParams<'a> {
    /// The parameters of a request: `path` from [`path_params`], the query string parsed.
    pub fn new(parts: &'a Parts, path: PathParams) -> RawParams<'a> {
        let query = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
            .unwrap_or_default();
        RawParams {
            path: path.0,
            query,
            headers: &parts.headers,
        }
    }

    /// No parameters: nothing parsed.
    pub(crate) fn empty(headers: &'a HeaderMap) -> RawParams<'a> {
        RawParams {
            path: Vec::new(),
            query: Vec::new(),
            headers,
        }
    }

    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    fn raw(&self, location: Location, name: &str) -> Result<Option<&str>, Rejection> {
        Ok(match location {
            Location::Path => self
                .path
                .iter()
                .find(|(k, _)| &**k == name)
                .map(|(_, v)| &**v),
            Location::Query => self.query(name),
            Location::Header => match self.headers.get(name) {
                Some(value) => Some(value.to_str().map_err(|_| {
                    Rejection::invalid(location.field(name), "not visible ASCII text")
                })?),
                None => None,
            },
            Location::Cookie => cookie(self.headers, name),
            Location::Form => None,
        })
    }

    /// An optional parameter, parsed.
    pub fn optional<T>(
        &self,
        location: Location,
        name: &str,
        parse: Parse<T>,
    ) -> Result<Option<T>, Rejection> {
        match self.raw(location, name)? {
            Some(text) => parse(text)
                .map(Some)
                .map_err(|e| Rejection::invalid(location.field(name), e)),
            None => Ok(None),
        }
    }

    /// A required parameter, parsed; 422 when it is missing.
    pub fn required<T>(
        &self,
        location: Location,
        name: &str,
        parse: Parse<T>,
    ) -> Result<T, Rejection> {
        self.optional(location, name, parse)?.ok_or_else(|| {
            Rejection::invalid(location.field(name), "required parameter is missing")
        })
    }

    /// An array parameter: repeated (`explode`, query only) or delimited values.
    pub fn list<T>(
        &self,
        location: Location,
        name: &str,
        explode: bool,
        delimiter: char,
        parse: Parse<T>,
    ) -> Result<Option<Vec<T>>, Rejection> {
        let invalid = |e| Rejection::invalid(location.field(name), e);
        if explode && location == Location::Query {
            let values: Vec<&str> = self
                .query
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_ref())
                .collect();
            if values.is_empty() {
                return Ok(None);
            }
            return values
                .into_iter()
                .map(|v| parse(v).map_err(invalid))
                .collect::<Result<_, _>>()
                .map(Some);
        }
        match self.raw(location, name)? {
            Some("") => Ok(Some(Vec::new())),
            Some(text) => text
                .split(delimiter)
                .map(|v| parse(v).map_err(invalid))
                .collect::<Result<_, _>>()
                .map(Some),
            None => Ok(None),
        }
    }
}

/// Text as is.
pub fn parse_string(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

/// Numbers, booleans, UUIDs: through `FromStr`.
pub fn parse_from_str<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr,
{
    text.parse()
        .map_err(|_| format!("`{text}` is not a valid {}", short_type_name::<T>()))
}

/// Enums and anything else with serde: the text as a JSON string, then as JSON (integer
/// enums, objects) nesting no deeper than [`MAX_DEPTH`].
pub fn parse_serde<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    let as_string: Result<T, serde::de::value::Error> = T::deserialize(text.into_deserializer());
    as_string.or_else(|_| {
        if nests_too_deep(text.as_bytes()) {
            return Err(too_deep("the value"));
        }
        serde_json::from_str(text).map_err(|_| format!("`{text}` is not one of the allowed values"))
    })
}

fn short_type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    match name.rsplit("::").next().unwrap_or(name) {
        "i32" | "i64" | "u32" | "u64" => "integer",
        "f64" | "f32" => "number",
        "bool" => "boolean (true or false)",
        "Uuid" => "UUID",
        other => other,
    }
}
