//! Parameters: where they come from, and parsing them from text.

use super::*;

/// Limits the router enforces before a handler sees a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// JSON, text and form bodies, read whole: 413 above this many bytes.
    pub body: usize,
    /// Multipart and binary bodies, streamed to the handler: 413 above this many bytes.
    pub upload: usize,
    /// The bytes of a multipart form's file parts held in memory per request: past it the
    /// files are stored in temporary files until the handler reads them.
    pub file_memory: usize,
}

impl Default for Limits {
    /// 2 MiB for bodies read whole, 512 MiB for streamed uploads, 1 MiB of files in memory.
    fn default() -> Self {
        Limits {
            body: 2 * 1024 * 1024,
            upload: 512 * 1024 * 1024,
            file_memory: 1024 * 1024,
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

/// How a parameter is laid out on the wire (OpenAPI's `style`), for the layouts that are
/// more than the value's text: label and matrix path segments, and objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
    Simple,
    Label,
    Matrix,
}

/// A parameter's constraint checks, run where it is extracted (a labeled block, not a
/// closure: one body fewer per checked parameter): 422 naming the parameter for the first
/// it breaks.
pub fn check(
    location: Location,
    name: &str,
    checked: Result<(), Violation>,
) -> Result<(), Rejection> {
    checked.map_err(|violation| Rejection::invalid(location.field(name), violation.message))
}

/// The path parameters axum matched, by wire name.
#[derive(Debug, Default)]
pub struct PathParams(Vec<(Arc<str>, Arc<str>)>);

impl PathParams {
    /// The values under `names` by position (the router gives them in the path's order);
    /// as they are when `names` is empty.
    pub fn renamed(mut self, names: &[&str]) -> PathParams {
        for ((name, _), own) in self.0.iter_mut().zip(names) {
            *name = Arc::from(*own);
        }
        self
    }
}

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
            Location::Path => match self.path.iter().find(|(k, _)| &**k == name) {
                // `/v1/files//content`: axum matches an empty segment, which is no value.
                Some((_, value)) if value.is_empty() => {
                    return Err(Rejection::invalid(
                        location.field(name),
                        "is empty (an empty path segment)",
                    ));
                }
                found => found.map(|(_, v)| &**v),
            },
            Location::Query => {
                let mut given = self.query.iter().filter(|(k, _)| k == name);
                let first = given.next().map(|(_, v)| v.as_ref());
                // Which of several would count is a guess (frameworks differ): refused.
                if given.next().is_some() {
                    return Err(Rejection::invalid(
                        location.field(name),
                        "given more than once",
                    ));
                }
                first
            }
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

    /// A deepObject parameter whose type is a union of an object and a scalar (Stripe's
    /// `created`: a range or a time): read as members when the query has any
    /// (`created[gt]=1`), else parsed from its text (`created=5`).
    pub fn object_or_scalar<T: DeserializeOwned>(
        &self,
        location: Location,
        name: &str,
        parse: Parse<T>,
    ) -> Result<Option<T>, Rejection> {
        let has_members = location == Location::Query
            && self.query.iter().any(|(key, _)| {
                key.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('['))
            });
        if has_members {
            self.object(location, name, Style::DeepObject, true)
        } else {
            self.optional(location, name, parse)
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

impl RawParams<'_> {
    /// A scalar in a label (`.v`) or matrix (`;name=v`) path segment, as the client writes
    /// it; other styles hold the text as is.
    pub fn styled<T>(
        &self,
        location: Location,
        name: &str,
        style: Style,
        parse: Parse<T>,
    ) -> Result<Option<T>, Rejection> {
        let Some(text) = self.raw(location, name)? else {
            return Ok(None);
        };
        let text = unprefixed(text, name, style)
            .ok_or_else(|| Rejection::invalid(location.field(name), prefix_expected(style)))?;
        parse(text)
            .map(Some)
            .map_err(|e| Rejection::invalid(location.field(name), e))
    }

    /// An array in a label (`.a,b`, exploded `.a.b`) or matrix (`;name=a,b`, exploded
    /// `;name=a;name=b`) path segment.
    pub fn styled_list<T>(
        &self,
        location: Location,
        name: &str,
        style: Style,
        explode: bool,
        parse: Parse<T>,
    ) -> Result<Option<Vec<T>>, Rejection> {
        let invalid = |e: String| Rejection::invalid(location.field(name), e);
        let Some(text) = self.raw(location, name)? else {
            return Ok(None);
        };
        let items: Vec<&str> = match (style, explode) {
            (Style::Matrix, true) => text
                .split(';')
                .skip(1)
                .map(|item| {
                    item.strip_prefix(name)
                        .and_then(|rest| rest.strip_prefix('='))
                        .ok_or_else(|| invalid(prefix_expected(style)))
                })
                .collect::<Result<_, _>>()?,
            _ => {
                let rest =
                    unprefixed(text, name, style).ok_or_else(|| invalid(prefix_expected(style)))?;
                let separator = if style == Style::Label && explode {
                    '.'
                } else {
                    ','
                };
                if rest.is_empty() {
                    Vec::new()
                } else {
                    rest.split(separator).collect()
                }
            }
        };
        items
            .into_iter()
            .map(|item| parse(item).map_err(invalid))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// An object parameter, from the members its style lays out (as the client writes
    /// them): `name[key]=value` (deepObject), `key=value` pairs (exploded form), `key,value`
    /// lists (form, simple, label, matrix; headers and cookies) or `key=value` lists
    /// (exploded simple, label, matrix; headers and cookies). Members are text; numbers and
    /// booleans are read from it.
    pub fn object<T: DeserializeOwned>(
        &self,
        location: Location,
        name: &str,
        style: Style,
        explode: bool,
    ) -> Result<Option<T>, Rejection> {
        let invalid = |e: String| Rejection::invalid(location.field(name), e);
        let members: Vec<(Cow<'_, str>, Cow<'_, str>)> = match (location, style) {
            (Location::Query, Style::DeepObject) => self
                .query
                .iter()
                .filter_map(|(key, value)| {
                    // `name[a][b]` is member `a[b]`: nested members keep their brackets.
                    let inner = key.strip_prefix(name)?.strip_prefix('[')?;
                    let end = inner.find(']')?;
                    let member = match &inner[end + 1..] {
                        "" => Cow::Borrowed(&inner[..end]),
                        nested => Cow::Owned(format!("{}{nested}", &inner[..end])),
                    };
                    Some((member, Cow::Borrowed(value.as_ref())))
                })
                .collect(),
            (Location::Query, _) if explode => {
                return Err(invalid(
                    "an exploded query object is read by `query_members`".to_owned(),
                ));
            }
            _ => {
                let Some(text) = self.raw(location, name)? else {
                    return Ok(None);
                };
                listed_members(text, name, style, explode).ok_or_else(|| {
                    invalid(format!("expected {}", members_expected(style, explode)))
                })?
            }
        };
        if members.is_empty() && !(location == Location::Path || location == Location::Header) {
            return Ok(None);
        }
        members_value(members.into_iter())
            .map(Some)
            .map_err(invalid)
    }
}

impl RawParams<'_> {
    /// An object whose members are query parameters of their own (form style, exploded):
    /// every query pair but the operation's `others` parameters; none of them, no object.
    pub fn query_members<T: DeserializeOwned>(
        &self,
        name: &str,
        others: &[&str],
    ) -> Result<Option<T>, Rejection> {
        let members: Vec<_> = self
            .query
            .iter()
            .filter(|(key, _)| !others.contains(&key.as_ref()))
            .map(|(k, v)| (Cow::Borrowed(k.as_ref()), Cow::Borrowed(v.as_ref())))
            .collect();
        if members.is_empty() {
            return Ok(None);
        }
        members_value(members.into_iter())
            .map(Some)
            .map_err(|e| Rejection::invalid(Location::Query.field(name), e))
    }
}

/// The text after a label (`.`) or matrix (`;name=`) prefix; other styles have none.
fn unprefixed<'t>(text: &'t str, name: &str, style: Style) -> Option<&'t str> {
    match style {
        Style::Label => text.strip_prefix('.'),
        Style::Matrix => text
            .strip_prefix(';')?
            .strip_prefix(name)?
            .strip_prefix('='),
        _ => Some(text),
    }
}

fn prefix_expected(style: Style) -> String {
    match style {
        Style::Label => "expected a label segment starting with `.`".to_owned(),
        _ => "expected a matrix segment `;name=value`".to_owned(),
    }
}

fn members_expected(style: Style, explode: bool) -> &'static str {
    match (style, explode) {
        (Style::Label, false) => "`.key,value,...`",
        (Style::Label, true) => "`.key=value.key=value`",
        (Style::Matrix, false) => "`;name=key,value,...`",
        (Style::Matrix, true) => "`;key=value;key=value`",
        (_, true) => "`key=value,key=value`",
        (_, false) => "`key,value,key,value`",
    }
}

/// An object's members from one listed value, per style (see [`RawParams::object`]).
fn listed_members<'t>(
    text: &'t str,
    name: &str,
    style: Style,
    explode: bool,
) -> Option<Vec<(Cow<'t, str>, Cow<'t, str>)>> {
    let (rest, separator) = match (style, explode) {
        (Style::Matrix, true) => (text.strip_prefix(';')?, ';'),
        (Style::Label, true) => (text.strip_prefix('.')?, '.'),
        (Style::SpaceDelimited, false) => (text, ' '),
        (Style::PipeDelimited, false) => (text, '|'),
        _ => (unprefixed(text, name, style)?, ','),
    };
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let items: Vec<&str> = rest.split(separator).collect();
    if explode {
        items
            .into_iter()
            .map(|item| {
                let (key, value) = item.split_once('=')?;
                Some((Cow::Borrowed(key), Cow::Borrowed(value)))
            })
            .collect()
    } else {
        let pairs = items.chunks_exact(2);
        // A key without its value.
        if !pairs.remainder().is_empty() {
            return None;
        }
        Some(
            pairs
                .map(|pair| (Cow::Borrowed(pair[0]), Cow::Borrowed(pair[1])))
                .collect(),
        )
    }
}

/// Deserializes members given as text into `T` as a form body is read (numbers and
/// booleans from their text, nested members by their brackets).
fn members_value<'m, T: DeserializeOwned>(
    members: impl Iterator<Item = (Cow<'m, str>, Cow<'m, str>)>,
) -> Result<T, String> {
    super::form::read_pairs(members)
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
        crate::validate::refusing_null(|| serde_json::from_str(text))
            .map_err(|_| format!("`{text}` is not one of the allowed values"))
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
