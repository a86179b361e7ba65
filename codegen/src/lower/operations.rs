//! Paths → operations: parameters, bodies, responses, media types and security.

use super::*;
use std::collections::BTreeMap;

/// A form property's value: a scalar, or an array or object (and whether its items or
/// members are arrays or objects themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormShape {
    Scalar,
    Array(bool),
    Object(bool),
}

pub(super) fn media_kind(media_type: &str) -> MediaKind {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        e if codegen_runtime::media::is_json(e) => MediaKind::Json,
        "text/event-stream" => MediaKind::EventStream,
        "multipart/form-data" => MediaKind::Multipart,
        "application/x-www-form-urlencoded" => MediaKind::FormUrlEncoded,
        e if e.starts_with("text/") => MediaKind::Text,
        _ => MediaKind::Binary,
    }
}

/// An event stream's example as examples of its events: the stream's text (what 3.2's
/// `schema` describes) gives the JSON of each event's `data` (an event whose data is not
/// JSON, such as the `[DONE]` terminator, is none); any other value is one event's data.
/// The schema of an event stream's data, and where it is: 3.2 describes each event as an
/// object (`data`, `event`, `id`, `retry`) whose `data` carries JSON as `contentMediaType:
/// application/json` with a `contentSchema`, directly or as one branch of an `anyOf` or
/// `oneOf` (beside a terminator such as `const: '[DONE]'`, which the client and server
/// handle themselves); documents that give the payload's schema as `itemSchema` itself
/// are read that way.
pub fn event_data_schema<'v>(items: &'v Value, media_at: &str) -> (&'v Value, String) {
    let items_at = pointer(media_at, "itemSchema");
    let data_at = pointer(&pointer(&items_at, "properties"), "data");
    let Some(data) = items.get("properties").and_then(|p| p.get("data")) else {
        return (items, items_at);
    };
    if let Some(content) = data.get("contentSchema") {
        return (content, pointer(&data_at, "contentSchema"));
    }
    for keyword in ["anyOf", "oneOf"] {
        let branches = data.get(keyword).and_then(Value::as_array);
        for (i, branch) in branches.into_iter().flatten().enumerate() {
            if let Some(content) = branch.get("contentSchema") {
                let branch_at = pointer(&pointer(&data_at, keyword), &i.to_string());
                return (content, pointer(&branch_at, "contentSchema"));
            }
        }
    }
    (items, items_at)
}

fn event_examples(example: Example) -> Vec<Example> {
    let Value::String(text) = &example.value else {
        return vec![example];
    };
    let mut out = Vec::new();
    let mut data: Option<String> = None;
    let mut dispatch = |data: &mut Option<String>| {
        if let Some(value) = data.take().and_then(|d| serde_json::from_str(&d).ok()) {
            out.push(Example {
                name: example.name.clone(),
                pointer: example.pointer.clone(),
                value,
            });
        }
    };
    // Lines end with CRLF, LF or CR; a blank line ends an event; `data` lines join with LF.
    for line in text.split("\r\n").flat_map(|l| l.split(['\n', '\r'])) {
        if line.is_empty() {
            dispatch(&mut data);
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        if field == "data" {
            let value = value.strip_prefix(' ').unwrap_or(value);
            match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_owned()),
            }
        }
    }
    dispatch(&mut data);
    out
}

pub(super) fn requirements(reqs: &[openapiv3::SecurityRequirement]) -> Vec<Vec<String>> {
    reqs.iter().map(|r| r.keys().cloned().collect()).collect()
}

pub(super) fn security_schemes(doc: &OpenAPI) -> Result<Vec<SecurityScheme>> {
    let Some(components) = &doc.components else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, scheme) in &components.security_schemes {
        let at = pointer("#/components/securitySchemes", name);
        let ReferenceOr::Item(scheme) = scheme else {
            return Err(Error::at(
                at,
                "a $ref to a security scheme is not supported",
            ));
        };
        use openapiv3::SecurityScheme as S;
        let (kind, description) = match scheme {
            S::HTTP {
                scheme,
                bearer_format,
                description,
                ..
            } => {
                let kind = match scheme.to_ascii_lowercase().as_str() {
                    "bearer" => SecurityKind::Bearer {
                        format: bearer_format.clone(),
                    },
                    "basic" => SecurityKind::Basic,
                    other => SecurityKind::Other(other.to_owned()),
                };
                (kind, description.clone())
            }
            S::APIKey {
                location,
                name,
                description,
                ..
            } => {
                let location = match location {
                    openapiv3::APIKeyLocation::Query => ParamLocation::Query,
                    openapiv3::APIKeyLocation::Header => ParamLocation::Header,
                    openapiv3::APIKeyLocation::Cookie => ParamLocation::Cookie,
                };
                (
                    SecurityKind::ApiKey {
                        name: name.clone(),
                        location,
                    },
                    description.clone(),
                )
            }
            S::OAuth2 { description, .. } => {
                (SecurityKind::Other("oauth2".into()), description.clone())
            }
            S::OpenIDConnect { description, .. } => (
                SecurityKind::Other("openIdConnect".into()),
                description.clone(),
            ),
        };
        out.push(SecurityScheme {
            name: name.clone(),
            kind,
            description,
        });
    }
    Ok(out)
}

/// `/v1/files/{file_id}/content` → literals and parameter slots.
pub(super) fn segments(path: &str, params: &[Param], at: &str) -> Result<Vec<PathSegment>> {
    let mut out = Vec::new();
    let mut rest = path;
    let mut used = Vec::new();
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(PathSegment::Literal(rest[..open].to_owned()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(Error::at(
                at,
                format!("unclosed `{{` in path template `{path}`"),
            ));
        };
        let name = &rest[open + 1..open + close];
        let index = params
            .iter()
            .position(|p| p.location == ParamLocation::Path && p.wire == name)
            .ok_or_else(|| {
                Error::at(
                    at,
                    format!("path template `{path}` names `{{{name}}}` but no path parameter `{name}` is declared"),
                )
            })?;
        used.push(index);
        out.push(PathSegment::Param(index));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(PathSegment::Literal(rest.to_owned()));
    }
    if let Some(unused) = params
        .iter()
        .enumerate()
        .find(|(i, p)| p.location == ParamLocation::Path && !used.contains(i))
    {
        return Err(Error::at(
            at,
            format!(
                "path parameter `{}` does not appear in the path template `{path}`",
                unused.1.wire
            ),
        ));
    }
    Ok(out)
}

impl<'a> Lowerer<'a> {
    /// A parameter's or header's type. One described by `content` (say, JSON-encoded in
    /// the query) is its encoded text: a `String` the caller encodes, right on the wire
    /// whatever the media type.
    fn parameter_schema(
        &mut self,
        format: &ParameterSchemaOrContent,
        hint: &str,
        at: &str,
    ) -> Result<Lowered> {
        match format {
            ParameterSchemaOrContent::Schema(schema) => {
                self.lower_schema(schema, hint, &pointer(at, "schema"))
            }
            ParameterSchemaOrContent::Content(content) => {
                let media_type = content.keys().next().map_or("", String::as_str);
                self.warn(
                    &pointer(at, "content"),
                    format!("a value described by `content` ({media_type}) is typed as its encoded text (String): its schema's type is lost, encode the value yourself"),
                );
                Ok(Lowered::plain(Ty::String))
            }
        }
    }

    pub(super) fn examples(
        &self,
        media: &'a openapiv3::MediaType,
        at: &str,
    ) -> Result<Vec<Example>> {
        let mut out: Vec<Example> = media
            .example
            .iter()
            .map(|value| Example {
                name: None,
                pointer: pointer(at, "example"),
                value: value.clone(),
            })
            .collect();
        for (name, example) in &media.examples {
            let example_at = pointer(&pointer(at, "examples"), name);
            let (example, _) = self.resolve(example, "examples", |c| &c.examples, &example_at)?;
            if let Some(value) = &example.value {
                out.push(Example {
                    name: Some(name.clone()),
                    pointer: pointer(&example_at, "value"),
                    value: value.clone(),
                });
            }
        }
        Ok(out)
    }

    pub(super) fn content(
        &mut self,
        content: &'a IndexMap<String, openapiv3::MediaType>,
        hint: &str,
        at: &str,
    ) -> Result<Vec<Content>> {
        let mut out = Vec::new();
        for (i, (media_type, media)) in content.iter().enumerate() {
            let media_at = pointer(&pointer(at, "content"), media_type);
            let kind = media_kind(media_type);
            let hint = if i == 0 {
                hint.to_owned()
            } else {
                format!("{hint}{}", type_name(media_type, "Media"))
            };
            let items = match media.extensions.get(crate::load::ITEM_SCHEMA) {
                Some(items) if kind == MediaKind::EventStream => Some(items),
                Some(_) => {
                    self.warn(
                        &pointer(&media_at, "itemSchema"),
                        format!("`itemSchema` is read for text/event-stream only: {media_type} is typed by its `schema`"),
                    );
                    None
                }
                None => None,
            };
            let (ty, constraints) = match (items, &media.schema) {
                // 3.2's event stream: `schema` is the whole stream's text, `itemSchema`
                // each event's data, which is what the client reads and the server sends.
                (Some(items), _) => {
                    let (items, items_at) = event_data_schema(items, &media_at);
                    let items: ReferenceOr<Schema> = serde_json::from_value(items.clone())
                        .map_err(|e| Error::at(&items_at, e.to_string()))?;
                    let lowered = self.lower_schema(&items, &hint, &items_at)?;
                    (Some(lowered.nullable_ty()), lowered.constraints)
                }
                // Without `itemSchema`, an event stream's schema is each event's data.
                (None, Some(schema)) => {
                    let lowered =
                        self.lower_schema(schema, &hint, &pointer(&media_at, "schema"))?;
                    (Some(lowered.nullable_ty()), lowered.constraints)
                }
                (None, None) => (None, Constraints::default()),
            };
            let is_struct = |ty: &Ty| matches!(ty, Ty::Named(id) if matches!(self.types[id.0].kind, TypeKind::Struct(_)));
            if kind == MediaKind::Multipart && ty.as_ref().is_some_and(|ty| !is_struct(ty)) {
                self.warn(
                    &pointer(&media_at, "schema"),
                    "a multipart/form-data body that is not an object with properties has no typed parts: its value's top-level members are sent as the parts",
                );
            }
            let mut examples = self.examples(media, &media_at)?;
            if kind == MediaKind::EventStream {
                examples = examples.into_iter().flat_map(event_examples).collect();
            }
            out.push(Content {
                media_type: media_type.clone(),
                kind,
                ty,
                constraints,
                examples,
                encoding: Vec::new(),
                part_media: BTreeMap::new(),
            });
        }
        Ok(out)
    }

    /// The named type `ty` is, through aliases.
    fn resolved(&self, ty: &Ty) -> Option<&TypeKind> {
        let mut id = ty.direct_named()?;
        for _ in 0..self.types.len() {
            match &self.types[id.0].kind {
                TypeKind::Alias(ty) => id = ty.direct_named()?,
                kind => return Some(kind),
            }
        }
        None
    }

    /// What a form property's value is on the wire: `nest` says whether its items or
    /// members are looked at (one level, so a recursive type ends).
    fn form_shape(&self, ty: &Ty, nest: bool) -> FormShape {
        let nested = |ty: &Ty| nest && self.form_shape(ty, false) != FormShape::Scalar;
        match ty {
            Ty::Option(inner) | Ty::Box(inner) => self.form_shape(inner, nest),
            Ty::List(item) => FormShape::Array(nested(item)),
            Ty::Map(value) => FormShape::Object(nested(value)),
            Ty::JsonObject => FormShape::Object(false),
            Ty::Named(_) => match self.resolved(ty) {
                Some(TypeKind::Struct(s)) => {
                    FormShape::Object(s.fields.iter().any(|f| nested(&f.ty)))
                }
                _ => FormShape::Scalar,
            },
            _ => FormShape::Scalar,
        }
    }

    /// See [`Api::reads_forms`]: a form body, or a parameter whose value is an object (or
    /// a union, which may hold one).
    pub(super) fn reads_forms(&self, operations: &[Operation]) -> bool {
        let read_as_form = |ty: &Ty| {
            matches!(self.form_shape(ty, false), FormShape::Object(_))
                || matches!(self.resolved(ty), Some(TypeKind::Union(_)))
        };
        operations.iter().any(|op| {
            op.params.iter().any(|p| read_as_form(&p.ty))
                || op
                    .body
                    .iter()
                    .flat_map(|b| &b.content)
                    .any(|c| c.kind == MediaKind::FormUrlEncoded && c.ty.is_some())
        })
    }

    /// A form body's `encoding`, entry by entry; what cannot be honoured is left out (the
    /// property keeps the bracket convention) with a warning where it is.
    pub(super) fn form_encoding(
        &mut self,
        media: &'a openapiv3::MediaType,
        body: Option<&Ty>,
        media_at: &str,
    ) -> Vec<FormEncoding> {
        let encoding_at = pointer(media_at, "encoding");
        let fields = match body.and_then(|ty| self.resolved(ty)) {
            Some(TypeKind::Struct(s)) => s.fields.clone(),
            _ => {
                self.warn(
                    &encoding_at,
                    "`encoding` is read for a form body that is an object with properties: ignored",
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (property, encoding) in &media.encoding {
            let at = pointer(&encoding_at, property);
            if !encoding.headers.is_empty() {
                self.warn(
                    &pointer(&at, "headers"),
                    "`headers` describe multipart parts: ignored for a form body",
                );
            }
            let Some(field) = fields.iter().find(|f| f.wire == *property) else {
                self.warn(
                    &at,
                    format!("the body has no property `{property}`: its encoding is ignored"),
                );
                continue;
            };
            let explode = encoding
                .extensions
                .get(crate::load::EXPLODE)
                .and_then(Value::as_bool);
            let layout_given =
                encoding.style.is_some() || explode.is_some() || encoding.allow_reserved;
            let json = match &encoding.content_type {
                None => false,
                Some(types) => {
                    use codegen_runtime::media::{essence, is_json};
                    let json = types.split(',').any(is_json);
                    let text = types.split(',').all(|t| {
                        let t = essence(t);
                        t.eq_ignore_ascii_case("text/plain") || t == "text/*"
                    });
                    let why = if json && layout_given {
                        "`style`, `explode` or `allowReserved` is given, which wins (OpenAPI 3.1.1): the value is laid out by its style"
                    } else if !json && !text {
                        "a form property is its text"
                    } else {
                        ""
                    };
                    if !why.is_empty() {
                        self.warn(
                            &pointer(&at, "contentType"),
                            format!("`contentType: {types}` is not applied: {why}"),
                        );
                    }
                    json && !layout_given
                }
            };
            let style = match encoding.style {
                None | Some(openapiv3::QueryStyle::Form) => ParamStyle::Form,
                Some(openapiv3::QueryStyle::SpaceDelimited) => ParamStyle::SpaceDelimited,
                Some(openapiv3::QueryStyle::PipeDelimited) => ParamStyle::PipeDelimited,
                Some(openapiv3::QueryStyle::DeepObject) => ParamStyle::DeepObject,
            };
            let explode = explode.unwrap_or(style == ParamStyle::Form);
            let laid_out = !json && style != ParamStyle::DeepObject;
            let shape = self.form_shape(&field.ty, true);
            // A scalar is its text whatever the style: only JSON and reserved characters
            // change it.
            if shape == FormShape::Scalar && !json && !encoding.allow_reserved {
                continue;
            }
            let unsupported = match shape {
                FormShape::Array(true) | FormShape::Object(true) if laid_out => {
                    Some("its items or members are objects or arrays, which a style cannot lay out")
                }
                FormShape::Object(_) if laid_out && explode && style == ParamStyle::Form => Some(
                    "an exploded form object (its members as the form's own keys) is not supported",
                ),
                _ => None,
            };
            if let Some(why) = unsupported {
                self.warn(
                    &at,
                    format!("`{property}`: {why}; it keeps the bracket convention (`{property}[member]=value`, `{property}[0]=value`)"),
                );
                continue;
            }
            out.push(FormEncoding {
                property: property.clone(),
                style,
                explode,
                allow_reserved: encoding.allow_reserved,
                json,
            });
        }
        out
    }

    /// A multipart body's `encoding`: the media type each file property's part is sent as
    /// when its upload names none (the first concrete type `contentType` lists). What is
    /// not honoured is warned of where it is: per-part `headers`, a `contentType` for a
    /// part that is not a file (sent as its text, objects as JSON), and a file's
    /// `contentType` of wildcards only. `style`, `explode` and `allowReserved` apply to
    /// form bodies only (OpenAPI 3.0.3), so they are passed over here.
    fn multipart_encoding(
        &mut self,
        media: &'a openapiv3::MediaType,
        body: Option<&Ty>,
        media_at: &str,
    ) -> BTreeMap<String, String> {
        let encoding_at = pointer(media_at, "encoding");
        let fields = match body.and_then(|ty| self.resolved(ty)) {
            Some(TypeKind::Struct(s)) => s.fields.clone(),
            _ => return BTreeMap::new(),
        };
        let mut out = BTreeMap::new();
        for (property, encoding) in &media.encoding {
            let at = pointer(&encoding_at, property);
            let Some(field) = fields.iter().find(|f| f.wire == *property) else {
                self.warn(
                    &at,
                    format!("the body has no property `{property}`: its encoding is ignored"),
                );
                continue;
            };
            if !encoding.headers.is_empty() {
                self.warn(
                    &pointer(&at, "headers"),
                    "a part's own headers are not sent or read: ignored",
                );
            }
            let Some(types) = &encoding.content_type else {
                continue;
            };
            let file = part_kind(&self.types, &field.ty) != PartKind::Text;
            let concrete = types
                .split(',')
                .map(codegen_runtime::media::essence)
                .find(|t| !t.is_empty() && !t.contains('*'));
            let types_at = pointer(&at, "contentType");
            match (file, concrete) {
                // The runtime's default already.
                (true, Some(media_type))
                    if media_type.eq_ignore_ascii_case("application/octet-stream") => {}
                (true, Some(media_type)) => {
                    out.insert(property.clone(), media_type.to_owned());
                }
                (true, None) => self.warn(
                    &types_at,
                    format!("`contentType: {types}` names no one media type: the part is sent as application/octet-stream unless its upload names one"),
                ),
                (false, _) => {
                    use codegen_runtime::media::{essence, is_json};
                    let plain = types.split(',').any(|t| {
                        let t = essence(t);
                        is_json(t) || t.eq_ignore_ascii_case("text/plain") || t == "text/*" || t == "*/*"
                    });
                    if !plain {
                        self.warn(
                            &types_at,
                            format!("`contentType: {types}` is not applied: a part that is not a file is sent as its text (objects and arrays as JSON)"),
                        );
                    }
                }
            }
        }
        out
    }

    pub(super) fn operations(&mut self) -> Result<Vec<Operation>> {
        let mut operations = Vec::new();
        let mut op_names = Scope::default();
        let scheme_names: Vec<String> = self
            .doc
            .components
            .as_ref()
            .map(|c| c.security_schemes.keys().cloned().collect())
            .unwrap_or_default();
        for (path, item) in &self.doc.paths.paths {
            let path_at = pointer("#/paths", path);
            let ReferenceOr::Item(item) = item else {
                return Err(Error::at(path_at, "a $ref to a path item is not supported"));
            };
            let methods = [
                ("get", Method::Get, &item.get),
                ("put", Method::Put, &item.put),
                ("post", Method::Post, &item.post),
                ("delete", Method::Delete, &item.delete),
                ("options", Method::Options, &item.options),
                ("head", Method::Head, &item.head),
                ("patch", Method::Patch, &item.patch),
                ("trace", Method::Trace, &item.trace),
            ];
            for (method_key, method, op) in methods {
                let Some(op) = op else { continue };
                let at = pointer(&path_at, method_key);
                let id = op
                    .operation_id
                    .clone()
                    .unwrap_or_else(|| format!("{method_key} {path}"));
                let name = op_names.claim(&snake_name(&id, "op"));
                let type_stem = type_name(&name, "Operation");
                let params =
                    self.params(&item.parameters, &op.parameters, &type_stem, &path_at, &at)?;
                let segments = segments(path, &params, &at)?;
                let body = match &op.request_body {
                    Some(body) => {
                        let body_at = pointer(&at, "requestBody");
                        let body =
                            self.resolve(body, "requestBodies", |c| &c.request_bodies, &body_at)?;
                        let (body, body_at) = body;
                        let mut content =
                            self.content(&body.content, &format!("{type_stem}Request"), &body_at)?;
                        for (content, (media_type, media)) in content.iter_mut().zip(&body.content)
                        {
                            if media.encoding.is_empty() {
                                continue;
                            }
                            let media_at = pointer(&pointer(&body_at, "content"), media_type);
                            match content.kind {
                                MediaKind::FormUrlEncoded => {
                                    content.encoding =
                                        self.form_encoding(media, content.ty.as_ref(), &media_at);
                                }
                                MediaKind::Multipart => {
                                    content.part_media = self.multipart_encoding(
                                        media,
                                        content.ty.as_ref(),
                                        &media_at,
                                    );
                                }
                                _ => self.warn(
                                    &pointer(&media_at, "encoding"),
                                    format!("`encoding` applies to multipart and form bodies only (OpenAPI 3.0.3, Media Type Object), not to `{media_type}`: ignored"),
                                ),
                            }
                        }
                        Some(RequestBody {
                            required: body.required,
                            description: body.description.clone(),
                            content,
                        })
                    }
                    None => None,
                };
                let responses = self.responses(&op.responses, &type_stem, &at)?;
                let security = op.security.as_deref().map(requirements);
                for alternative in security.iter().flatten().chain(
                    self.doc
                        .security
                        .as_deref()
                        .map(requirements)
                        .iter()
                        .flatten(),
                ) {
                    for scheme in alternative {
                        if !scheme_names.contains(scheme) {
                            return Err(Error::at(
                                pointer(&at, "security"),
                                format!("security requirement names `{scheme}`, which is not in #/components/securitySchemes"),
                            ));
                        }
                    }
                }
                operations.push(Operation {
                    id,
                    name,
                    type_stem,
                    method,
                    path: path.clone(),
                    segments,
                    // Decided for all operations at once (`routes.rs`).
                    route: None,
                    summary: op.summary.clone(),
                    description: op.description.clone(),
                    tags: op.tags.clone(),
                    deprecated: op.deprecated,
                    params,
                    body,
                    responses,
                    security,
                    pointer: at,
                    // Decided for all operations at once (`features.rs`).
                    feature: None,
                });
            }
        }
        Ok(operations)
    }

    pub(super) fn params(
        &mut self,
        shared: &'a [ReferenceOr<Parameter>],
        own: &'a [ReferenceOr<Parameter>],
        stem: &str,
        path_at: &str,
        at: &str,
    ) -> Result<Vec<Param>> {
        // Operation parameters override path-item ones with the same name and location.
        let mut merged: IndexMap<(String, &'static str), (&'a Parameter, String)> = IndexMap::new();
        for (list, list_at) in [(shared, path_at), (own, at)] {
            for (i, param) in list.iter().enumerate() {
                let param_at = pointer(&pointer(list_at, "parameters"), &i.to_string());
                let (param, param_at) =
                    self.resolve(param, "parameters", |c| &c.parameters, &param_at)?;
                let location = match param {
                    Parameter::Path { .. } => "path",
                    Parameter::Query { .. } => "query",
                    Parameter::Header { .. } => "header",
                    Parameter::Cookie { .. } => "cookie",
                };
                merged.insert(
                    (param.parameter_data_ref().name.clone(), location),
                    (param, param_at),
                );
            }
        }
        let mut names = Scope::default();
        let mut out = Vec::new();
        for (param, param_at) in merged.into_values() {
            let data = param.parameter_data_ref();
            let (location, style, default_explode) = match param {
                Parameter::Path { style, .. } => (
                    ParamLocation::Path,
                    match style {
                        openapiv3::PathStyle::Matrix => ParamStyle::Matrix,
                        openapiv3::PathStyle::Label => ParamStyle::Label,
                        openapiv3::PathStyle::Simple => ParamStyle::Simple,
                    },
                    false,
                ),
                Parameter::Query { style, .. } => {
                    let style = match style {
                        openapiv3::QueryStyle::Form => ParamStyle::Form,
                        openapiv3::QueryStyle::SpaceDelimited => ParamStyle::SpaceDelimited,
                        openapiv3::QueryStyle::PipeDelimited => ParamStyle::PipeDelimited,
                        openapiv3::QueryStyle::DeepObject => ParamStyle::DeepObject,
                    };
                    (ParamLocation::Query, style, style == ParamStyle::Form)
                }
                Parameter::Header { .. } => (ParamLocation::Header, ParamStyle::Simple, false),
                Parameter::Cookie { .. } => (ParamLocation::Cookie, ParamStyle::Form, true),
            };
            let hint = format!("{stem}{}", type_name(&data.name, "Param"));
            let lowered = self.parameter_schema(&data.format, &hint, &param_at)?;
            out.push(Param {
                wire: data.name.clone(),
                name: names.claim(&snake_name(&data.name, "param")),
                location,
                style,
                explode: data.explode.unwrap_or(default_explode),
                required: data.required || location == ParamLocation::Path,
                ty: lowered.ty,
                docs: data.description.clone().or(lowered.docs),
                default: lowered.default,
                deprecated: data.deprecated.unwrap_or(false) || lowered.deprecated,
                constraints: lowered.constraints,
            });
        }
        Ok(out)
    }

    pub(super) fn responses(
        &mut self,
        responses: &'a openapiv3::Responses,
        stem: &str,
        at: &str,
    ) -> Result<Vec<Response>> {
        let responses_at = pointer(at, "responses");
        let mut listed: Vec<(Status, String, &'a ReferenceOr<openapiv3::Response>)> = responses
            .responses
            .iter()
            .map(|(code, r)| {
                let status = match code {
                    openapiv3::StatusCode::Code(c) => Status::Code(*c),
                    openapiv3::StatusCode::Range(r) => Status::Range(*r),
                };
                (status, code.to_string(), r)
            })
            .collect();
        if let Some(default) = &responses.default {
            listed.push((Status::Default, "default".into(), default));
        }
        let mut out = Vec::new();
        let mut named_success = false;
        for (status, key, response) in listed {
            let response_at = pointer(&responses_at, &key);
            let (response, response_at) =
                self.resolve(response, "responses", |c| &c.responses, &response_at)?;
            let success = matches!(status, Status::Code(200..=299) | Status::Range(2));
            let hint = if success && !named_success {
                named_success = true;
                format!("{stem}Response")
            } else {
                format!("{stem}{}Response", type_name(&key, "Status"))
            };
            let mut headers = Vec::new();
            // Headers are fields beside the response's `body` and `status`: named in one
            // scope with them (a header `super`, `body` or both `X-Id` and `x_id`).
            let mut header_names = Scope::default();
            header_names.claim("body");
            header_names.claim("status");
            for (name, header) in &response.headers {
                let header_at = pointer(&pointer(&response_at, "headers"), name);
                if name.eq_ignore_ascii_case("content-type") {
                    continue;
                }
                let (header, header_at) =
                    self.resolve(header, "headers", |c| &c.headers, &header_at)?;
                let lowered = self.parameter_schema(
                    &header.format,
                    &format!("{hint}{}", type_name(name, "Header")),
                    &header_at,
                )?;
                headers.push(Header {
                    wire: name.clone(),
                    name: header_names.claim(&snake_name(name, "header")),
                    ty: lowered.ty,
                    required: header.required,
                    docs: header.description.clone(),
                    constraints: lowered.constraints,
                });
            }
            out.push(Response {
                status,
                description: response.description.clone(),
                content: {
                    for (media_type, media) in &response.content {
                        if !media.encoding.is_empty() {
                            let media_at = pointer(&pointer(&response_at, "content"), media_type);
                            self.warn(
                                &pointer(&media_at, "encoding"),
                                "`encoding` applies to request bodies only (OpenAPI 3.0.3, Media Type Object): ignored in a response",
                            );
                        }
                    }
                    self.content(&response.content, &hint, &response_at)?
                },
                headers,
            });
        }
        Ok(out)
    }
}

/// The named type most error responses carry as JSON (first seen wins a tie), if any.
pub(super) fn error_type(operations: &[Operation]) -> Option<TypeId> {
    let mut counts: IndexMap<TypeId, usize> = IndexMap::new();
    let error_bodies = operations
        .iter()
        .flat_map(|op| &op.responses)
        .filter(|r| match r.status {
            Status::Code(code) => code >= 400,
            Status::Range(digit) => digit >= 4,
            Status::Default => true,
        })
        .flat_map(|r| &r.content)
        .filter(|c| c.kind == MediaKind::Json);
    for content in error_bodies {
        if let Some(id) = content.ty.as_ref().and_then(Ty::direct_named) {
            *counts.entry(id).or_default() += 1;
        }
    }
    // `max_by_key` keeps the last of equal maxima; reversed, that is the first seen.
    counts
        .into_iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .map(|(id, _)| id)
}
