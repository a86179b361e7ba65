//! Text → `openapiv3::OpenAPI`: YAML or JSON, 3.1 and 3.2 lowered to 3.0, errors with
//! locations.
//!
//! The document is read into `serde_json::Value` (JSON straight through `serde_json`, never
//! the YAML parser), rewritten where 3.0 has no spelling for a valid construct (boolean
//! schemas, type arrays, 2020-12 keywords, a media type's 3.2 `itemSchema`), and only then
//! typed as `openapiv3`.

use crate::error::{pointer, Error, Result, Warning};
use openapiv3::{ReferenceOr, Schema};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Extension the loader sets on a schema whose `default` is an explicit `null`, which
/// `openapiv3` cannot tell from an absent default.
pub const DEFAULT_NULL: &str = "x-codegen-default-null";

/// Extension the loader copies a media type's `itemSchema` into (OpenAPI 3.2: the schema
/// of each item of a sequential media type, such as each event of `text/event-stream`),
/// normalized like any schema, as `openapiv3` keeps only `x-` members of a media type.
/// The `itemSchema` itself stays in place for `$ref`s that point into it.
pub const ITEM_SCHEMA: &str = "x-codegen-item-schema";

/// Extension the loader copies an Encoding Object's `explode` into, which `openapiv3`
/// reads as `false` when absent (the default is `true` for `style: form`).
pub const EXPLODE: &str = "x-codegen-explode";

/// A parsed document and what the loader learned on the way.
#[derive(Debug, Clone)]
pub struct Document {
    pub openapi: openapiv3::OpenAPI,
    /// Every schema `$ref` that is not `#/components/schemas/<name>` (a pointer into a
    /// schema's nested `definitions`, a property, a path's body...), with the schema it
    /// names or why it names none.
    pub pointer_schemas: HashMap<String, Result<ReferenceOr<Schema>, String>>,
    /// Fallbacks the loader took (3.1 keywords with no 3.0 form).
    pub warnings: Vec<Warning>,
}

/// Parses an OpenAPI 3.0, 3.1 or 3.2 document (YAML or JSON). 3.2 is read as 3.1 is, with
/// media types' `itemSchema`; operations only 3.2 has (the `query` method,
/// `additionalOperations`) are left out with a warning, and an `in: querystring` parameter
/// is an error.
pub fn parse(text: &str) -> Result<Document> {
    let json = is_json(text);
    let mut raw = read_value(text, json)?;
    let version = raw
        .get("openapi")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match version.as_deref() {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => {}
        Some(v) if ["3.1", "3.2"].iter().any(|m| v == *m || v.starts_with(&format!("{m}."))) => {
            raw["openapi"] = Value::String("3.0.3".into());
            if raw.get("paths").is_none() {
                raw["paths"] = Value::Object(Map::new());
            }
        }
        Some(v) => {
            return Err(Error::at(
                "#/openapi",
                format!("unsupported OpenAPI version `{v}`: this generator reads 3.0.x, 3.1.x and 3.2.x"),
            ))
        }
        None if raw.get("swagger").is_some() => {
            return Err(Error::at(
                "#/swagger",
                "Swagger 2.0 is not supported: convert the document to OpenAPI 3 first",
            ))
        }
        None => {
            return Err(Error::at(
                "#",
                "not an OpenAPI document: the top-level `openapi` version string is missing (or not a string)",
            ))
        }
    }
    inline_path_item_refs(&mut raw)?;
    let mut visitor = normalize(&mut raw)?;
    visitor.warnings.extend(operations_left_out(&raw));
    inline_pointer_refs(&mut raw, std::mem::take(&mut visitor.outside_refs))?;
    // Path tracking costs on every node: only a failure is typed again to locate it.
    let openapi = match type_in_parallel(&mut raw) {
        Some(openapi) => openapi,
        None => serde_path_to_error::deserialize(&raw).map_err(|e| {
            let at = path_to_pointer(e.path());
            let message = strip_location(e.inner().to_string());
            // Again from the text, which knows line numbers (where the rewrites changed nothing).
            Error::at(at.clone(), message).with_line(line_of_error(text, json, &at))
        })?,
    };
    let mut pointer_schemas = HashMap::new();
    for reference in visitor.pointer_refs {
        let target = resolve_pointer_schema(&raw, &reference);
        pointer_schemas.insert(reference, target);
    }
    crate::cores::drop_aside(raw);
    Ok(Document {
        openapi,
        pointer_schemas,
        warnings: visitor.warnings,
    })
}

/// 3.2's operations outside the eight methods 3.0 knows, which the typed model has no
/// place for.
fn operations_left_out(raw: &Value) -> Vec<Warning> {
    let Some(Value::Object(paths)) = raw.get("paths") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, item) in paths {
        for key in ["query", "additionalOperations"] {
            if item.get(key).is_some() {
                out.push(Warning {
                    pointer: pointer(&pointer("#/paths", path), key),
                    message: format!(
                        "`{key}` (OpenAPI 3.2) is not read: its operations are left out"
                    ),
                });
            }
        }
    }
    out
}

/// Types the document on every core: the component schemas and the path items (the bulk
/// of a large document) entry by entry in runs, the rest at once. `None` if it does not
/// type, to be typed again with its location.
fn type_in_parallel(raw: &mut Value) -> Option<openapiv3::OpenAPI> {
    // Taken out (an empty object in their place keeps the members' order) and put back
    // after, for pointer resolution and for the located retry.
    let paths = raw.get_mut("paths").map(take_object);
    let schemas = raw
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .map(take_object);
    let typed = type_parts(raw, paths.as_ref(), schemas.as_ref());
    if let Some(paths) = paths {
        raw["paths"] = paths;
    }
    if let Some(schemas) = schemas {
        raw["components"]["schemas"] = schemas;
    }
    typed
}

fn take_object(value: &mut Value) -> Value {
    std::mem::replace(value, Value::Object(Map::new()))
}

/// Entries typed by one job.
const TYPING_RUN: usize = 32;

enum Typed {
    Rest(Box<openapiv3::OpenAPI>),
    Schemas(Vec<(String, ReferenceOr<Schema>)>),
    Paths(Vec<(String, ReferenceOr<openapiv3::PathItem>)>),
}

fn type_parts(
    rest: &Value,
    paths: Option<&Value>,
    schemas: Option<&Value>,
) -> Option<openapiv3::OpenAPI> {
    use serde::Deserialize;
    fn entries(part: Option<&Value>) -> Option<Vec<(&String, &Value)>> {
        match part {
            None => Some(Vec::new()),
            Some(Value::Object(map)) => Some(map.iter().collect()),
            Some(_) => None,
        }
    }
    let schemas = entries(schemas)?;
    let paths = entries(paths)?;
    // As `openapiv3::Paths` reads its members: `/...` are path items, `x-...` extensions.
    let (path_items, path_extensions): (Vec<_>, Vec<_>) = paths
        .into_iter()
        .filter(|(key, _)| key.starts_with('/') || key.starts_with("x-"))
        .partition(|(key, _)| key.starts_with('/'));
    let schema_runs: Vec<_> = schemas.chunks(TYPING_RUN).collect();
    let path_runs: Vec<_> = path_items.chunks(TYPING_RUN).collect();
    let typed = crate::cores::map_jobs(1 + schema_runs.len() + path_runs.len(), |job| {
        fn each<T: for<'de> Deserialize<'de>>(
            run: &[(&String, &Value)],
        ) -> Option<Vec<(String, T)>> {
            run.iter()
                .map(|(key, value)| Some(((*key).clone(), T::deserialize(*value).ok()?)))
                .collect()
        }
        if job == 0 {
            openapiv3::OpenAPI::deserialize(rest)
                .ok()
                .map(|openapi| Typed::Rest(Box::new(openapi)))
        } else if let Some(run) = schema_runs.get(job - 1) {
            each(run).map(Typed::Schemas)
        } else {
            each(path_runs[job - 1 - schema_runs.len()]).map(Typed::Paths)
        }
    });
    let mut openapi = None;
    let (mut typed_schemas, mut typed_paths) = (Vec::new(), Vec::new());
    for part in typed {
        // A panic here happens again, uncaught, in the sequential typing that follows.
        match part.ok()?? {
            Typed::Rest(rest) => openapi = Some(*rest),
            Typed::Schemas(run) => typed_schemas.extend(run),
            Typed::Paths(run) => typed_paths.extend(run),
        }
    }
    let mut openapi = openapi?;
    if !typed_schemas.is_empty() {
        openapi.components.as_mut()?.schemas.extend(typed_schemas);
    }
    openapi.paths.paths.extend(typed_paths);
    openapi.paths.extensions.extend(
        path_extensions
            .into_iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    Some(openapi)
}

fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// YAML or JSON text as JSON's data model, as the loader reads it.
pub fn to_json(text: &str) -> Result<Value> {
    read_value(text, is_json(text))
}

fn read_value(text: &str, json: bool) -> Result<Value> {
    if json {
        match serde_json::from_str(text) {
            Ok(value) => return Ok(value),
            // A YAML flow mapping also starts with `{`: let the YAML parser judge it.
            Err(e) if serde_yaml::from_str::<serde_yaml::Value>(text).is_err() => {
                return Err(Error::at("#", strip_location(e.to_string())).with_line(Some(e.line())))
            }
            Err(_) => {}
        }
    }
    let JsonFromYaml(value) = serde_yaml::from_str(text).map_err(|e| yaml_error("#", &e))?;
    Ok(value)
}

/// YAML read straight into JSON's data model: keys become strings, tags are dropped,
/// merge keys (`<<`) merged, and integers beyond 64 bits become floats (as in JSON
/// parsers) instead of failing.
struct JsonFromYaml(Value);

impl<'de> serde::Deserialize<'de> for JsonFromYaml {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor).map(JsonFromYaml)
    }
}

struct YamlVisitor;

impl<'de> serde::de::Visitor<'de> for YamlVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(float(v as f64))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(float(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonFromYaml(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let mut merged = Vec::new();
        while let Some((JsonFromYaml(key), JsonFromYaml(value))) = access.next_entry()? {
            let key = match key {
                Value::String(s) => s,
                Value::Null => "null".into(),
                other => other.to_string(),
            };
            if key == "<<" {
                merged.push(value);
            } else {
                map.insert(key, value);
            }
        }
        // Merge keys: the mapping's own keys win, then earlier merged mappings.
        for value in merged {
            let sources = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
            for source in sources {
                if let Value::Object(source) = source {
                    for (k, v) in source {
                        map.entry(k).or_insert(v);
                    }
                }
            }
        }
        Ok(Value::Object(map))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // A tagged value (`!Tag value`): the value.
        use serde::de::VariantAccess;
        let (_tag, variant): (serde::de::IgnoredAny, _) = data.variant()?;
        variant.newtype_variant::<JsonFromYaml>().map(|v| v.0)
    }
}

/// JSON has no NaN or infinity.
fn float(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn strip_location(mut message: String) -> String {
    // The parsers append their own "at line L column C"; the line is reported separately.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    message
}

fn yaml_error(at: &str, e: &serde_yaml::Error) -> Error {
    Error::at(at, strip_location(e.to_string())).with_line(e.location().map(|l| l.line()))
}

/// The line of a typing error, from the text itself, when it fails at the same place.
fn line_of_error(text: &str, json: bool, at: &str) -> Option<usize> {
    if json {
        let mut de = serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&mut de) {
            Err(e) if path_to_pointer(e.path()) == at => Some(e.inner().line()),
            _ => None,
        }
    } else {
        let de = serde_yaml::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(de) {
            Err(e) if path_to_pointer(e.path()) == at => e.inner().location().map(|l| l.line()),
            _ => None,
        }
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::from("#");
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out = pointer(&out, &index.to_string()),
            Segment::Map { key } => out = pointer(&out, key),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// RFC 6901 tokens of a `#/...` reference (percent-decoded, `~1` and `~0` unescaped).
pub fn pointer_tokens(reference: &str) -> Option<Vec<String>> {
    let path = reference.strip_prefix('#')?;
    if path.is_empty() {
        return Some(Vec::new());
    }
    let path = path.strip_prefix('/')?;
    Some(
        path.split('/')
            .map(|t| percent_decode(t).replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

fn percent_decode(token: &str) -> String {
    if !token.contains('%') {
        return token.to_owned();
    }
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn lookup<'v>(root: &'v Value, tokens: &[String]) -> Option<&'v Value> {
    tokens.iter().try_fold(root, |node, token| match node {
        Value::Object(map) => map.get(token),
        Value::Array(items) => items.get(token.parse::<usize>().ok()?),
        _ => None,
    })
}

/// How a keyword of a Schema Object holds subschemas (one place for "where are schemas").
enum Holds {
    One,
    List,
    Map,
    Nothing,
}

fn schema_keyword(key: &str) -> Holds {
    match key {
        "items"
        | "additionalProperties"
        | "not"
        | "if"
        | "then"
        | "else"
        | "contains"
        | "propertyNames"
        | "unevaluatedItems"
        | "unevaluatedProperties"
        | "additionalItems"
        | "contentSchema" => Holds::One,
        "allOf" | "anyOf" | "oneOf" | "prefixItems" => Holds::List,
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
            Holds::Map
        }
        _ => Holds::Nothing,
    }
}

/// Outside schemas, keys whose values are data (or extensions), never document structure;
/// `above` is the pointer's tokens down to the object that has the key. `default` is a
/// server variable's value, but in a Responses Object (or as the name of a response
/// component) a response. An `examples` map holds Example Objects, or `$ref`s to be
/// followed, each with its data in `value`.
fn is_data_key(key: &str, above: &[String]) -> bool {
    let parent = |n: usize| above.len().checked_sub(n).map(|i| above[i].as_str());
    match key {
        "default" => parent(1) != Some("responses"),
        "value" => parent(2) == Some("examples"),
        _ => matches!(key, "example" | "enum") || key.starts_with("x-"),
    }
}

/// The `#/components/<section>` a Reference Object at `path` (outside schemas) must name:
/// what the object there is. `None` where the position does not tell.
fn expected_section(path: &[String]) -> Option<&'static str> {
    let last = path.last()?.as_str();
    if last == "requestBody" {
        return Some("requestBodies");
    }
    let parent = path.len().checked_sub(2).map(|i| path[i].as_str())?;
    Some(match parent {
        "responses" => "responses",
        "parameters" => "parameters",
        "headers" => "headers",
        "links" => "links",
        "callbacks" => "callbacks",
        "examples" => "examples",
        "requestBodies" => "requestBodies",
        _ => return None,
    })
}

/// Whether a pointer names a Schema Object by its position in the document (not by
/// guessing from its contents: `#/info` parses as a schema but is none).
pub fn is_schema_position(tokens: &[String]) -> bool {
    #[derive(PartialEq)]
    enum State {
        Outside,
        Schema,
        Container,
        Data,
    }
    let mut state = State::Outside;
    for (i, token) in tokens.iter().enumerate() {
        state = match state {
            State::Outside if token == "schema" => State::Schema,
            State::Outside if token == "itemSchema" && i >= 2 && tokens[i - 2] == "content" => {
                State::Schema
            }
            State::Outside if token == "schemas" && i == 1 && tokens[0] == "components" => {
                State::Container
            }
            State::Outside if is_data_key(token, &tokens[..i]) => State::Data,
            State::Outside => State::Outside,
            State::Schema => match schema_keyword(token) {
                Holds::One => State::Schema,
                Holds::List | Holds::Map => State::Container,
                Holds::Nothing => State::Data,
            },
            State::Container => State::Schema,
            State::Data => State::Data,
        };
    }
    state == State::Schema
}

/// Whether a reference is the common `#/components/schemas/<name>` form.
pub fn is_component_schema_ref(reference: &str) -> bool {
    reference
        .strip_prefix("#/components/schemas/")
        .is_some_and(|name| !name.contains('/'))
}

fn resolve_pointer_schema(raw: &Value, reference: &str) -> Result<ReferenceOr<Schema>, String> {
    let Some(tokens) = pointer_tokens(reference) else {
        return Err(format!(
            "external $ref `{reference}` is not supported: bundle the document into one file first"
        ));
    };
    let Some(target) = lookup(raw, &tokens) else {
        return Err(format!(
            "dangling $ref `{reference}`: nothing in the document is at that pointer"
        ));
    };
    if !is_schema_position(&tokens) {
        return Err(format!(
            "$ref `{reference}` points at something that is not a schema"
        ));
    }
    match target {
        Value::Bool(true) => Ok(ReferenceOr::Item(Schema {
            schema_data: Default::default(),
            schema_kind: openapiv3::SchemaKind::Any(Default::default()),
        })),
        _ => serde_path_to_error::deserialize(target).map_err(|e| {
            format!(
                "$ref `{reference}` names a schema that does not parse (at {}): {}",
                path_to_pointer(e.path()).replacen('#', reference, 1),
                strip_location(e.inner().to_string())
            )
        }),
    }
}

/// `paths: {/a: {$ref: ...}}`: the path item the reference names, copied in place (the
/// typed model has no place for a reference there). Chains are followed; a cycle is an error.
fn inline_path_item_refs(raw: &mut Value) -> Result<()> {
    let Some(Value::Object(paths)) = raw.get("paths") else {
        return Ok(());
    };
    let mut replacements = Vec::new();
    for (path, item) in paths {
        let Some(first) = item.get("$ref").and_then(Value::as_str) else {
            continue;
        };
        let at = pointer("#/paths", path);
        let mut seen = vec![first.to_owned()];
        let mut reference = first.to_owned();
        let target = loop {
            let tokens = pointer_tokens(&reference).ok_or_else(|| {
                Error::at(
                    &at,
                    format!("external $ref `{reference}` is not supported: bundle the document into one file first"),
                )
            })?;
            let is_path_item = matches!(tokens.as_slice(), [a, _] if a == "paths")
                || matches!(tokens.as_slice(), [a, b, _] if a == "components" && b == "pathItems");
            let target = lookup(raw, &tokens)
                .ok_or_else(|| Error::at(&at, format!("dangling $ref `{reference}`")))?;
            if !is_path_item || !target.is_object() {
                return Err(Error::at(
                    &at,
                    format!("$ref `{reference}` does not point at a path item"),
                ));
            }
            match target.get("$ref").and_then(Value::as_str) {
                Some(next) if seen.iter().any(|s| s == next) => {
                    return Err(Error::at(
                        &at,
                        format!("circular path item $ref through `{next}`"),
                    ))
                }
                Some(next) => {
                    seen.push(next.to_owned());
                    reference = next.to_owned();
                }
                None => break target.clone(),
            }
        };
        replacements.push((path.clone(), target));
    }
    if let Some(Value::Object(paths)) = raw.get_mut("paths") {
        for (path, target) in replacements {
            paths.insert(path, target);
        }
    }
    Ok(())
}

/// Outside schemas, a `$ref` to a pointer such as `#/paths/~1a/get/responses/401` has no
/// place in the typed model (which follows only `#/components/<section>/<name>`): the
/// object it names is copied in its place. Chains are followed; a cycle is an error. The
/// `$ref`s inside a target are inlined before it is copied, whatever their order in the
/// document: digitalocean.com's responses are copies of another operation's, whose
/// headers are `$ref`s to a third's.
fn inline_pointer_refs(raw: &mut Value, mut refs: Vec<(Vec<String>, String)>) -> Result<()> {
    // Sorted by position, the `$ref`s inside a target are one run.
    refs.sort();
    let mut state = vec![Inlining::Pending; refs.len()];
    for i in 0..refs.len() {
        inline_pointer_ref(raw, &refs, &mut state, i, 0)?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Inlining {
    Pending,
    Active,
    Done,
}

fn inline_pointer_ref(
    raw: &mut Value,
    refs: &[(Vec<String>, String)],
    state: &mut [Inlining],
    i: usize,
    depth: usize,
) -> Result<()> {
    let (at_tokens, first) = &refs[i];
    let at = pointer_of(at_tokens);
    match state[i] {
        Inlining::Done => return Ok(()),
        Inlining::Active => return Err(Error::at(&at, format!("circular $ref through `{first}`"))),
        Inlining::Pending if depth > MAX_DEPTH => {
            return Err(Error::at(
                &at,
                format!("$ref `{first}`: the chain of $refs is too long"),
            ))
        }
        Inlining::Pending => {}
    }
    state[i] = Inlining::Active;
    let mut seen = vec![first.clone()];
    let mut reference = first.clone();
    let target = loop {
        let tokens = pointer_tokens(&reference)
            .ok_or_else(|| Error::at(&at, format!("$ref `{reference}` is not a JSON pointer")))?;
        // The `$ref`s at or below the target first, so that the copy has none left.
        let start = refs.partition_point(|(p, _)| p.as_slice() < tokens.as_slice());
        for j in (start..refs.len()).take_while(|&j| refs[j].0.starts_with(&tokens)) {
            inline_pointer_ref(raw, refs, state, j, depth + 1)?;
        }
        let target = lookup(raw, &tokens)
            .ok_or_else(|| Error::at(&at, format!("dangling $ref `{reference}`")))?;
        match target.get("$ref").and_then(Value::as_str) {
            Some(next) if seen.iter().any(|s| s == next) => {
                return Err(Error::at(&at, format!("circular $ref through `{next}`")))
            }
            Some(next) if !next.starts_with("#/components/") => {
                seen.push(next.to_owned());
                reference = next.to_owned();
            }
            _ => break target.clone(),
        }
    };
    if let Some(slot) = lookup_mut(raw, at_tokens) {
        *slot = target;
    }
    state[i] = Inlining::Done;
    Ok(())
}

fn pointer_of(tokens: &[String]) -> String {
    let mut at = String::from("#");
    tokens.iter().for_each(|t| push_token(&mut at, t));
    at
}

fn lookup_mut<'v>(root: &'v mut Value, tokens: &[String]) -> Option<&'v mut Value> {
    tokens.iter().try_fold(root, |node, token| match node {
        Value::Object(map) => map.get_mut(token),
        Value::Array(items) => items.get_mut(token.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Rewrites every Schema Object into a form `openapiv3` types (3.0), collecting the
/// pointer `$ref`s to resolve afterwards and the warnings for what a rewrite loses.
#[derive(Default)]
struct Normalizer {
    pointer_refs: Vec<String>,
    /// Outside schemas, `$ref`s to pointers other than `#/components/<section>/<name>`
    /// (a response of another operation, say): where each is, and what it names.
    outside_refs: Vec<(Vec<String>, String)>,
    /// Tokens of the node being walked (outside schemas).
    path: Vec<String>,
    warnings: Vec<Warning>,
}

/// Rewrites the document: its top-level members (independent walks) on every core, what
/// they collect joined in the members' order, as one walk would have it.
fn normalize(raw: &mut Value) -> Result<Normalizer> {
    let mut whole = Normalizer::default();
    let members = match raw {
        Value::Object(map) if !map.contains_key("$ref") => map,
        _ => {
            whole.walk(raw, &mut String::from("#"), 0)?;
            return Ok(whole);
        }
    };
    // One lock per member, each taken once by its own job: the way to hand out `&mut`.
    let members: Vec<std::sync::Mutex<(&String, &mut Value)>> =
        members.iter_mut().map(std::sync::Mutex::new).collect();
    let walked = crate::cores::map_jobs(members.len(), |i| {
        let mut member = members[i].lock().unwrap_or_else(|e| e.into_inner());
        let (key, child) = &mut *member;
        let mut visitor = Normalizer::default();
        visitor
            .member(key, child, false, &mut String::from("#"), 1)
            .map(|()| visitor)
    });
    for visitor in walked {
        let visitor = visitor.unwrap_or_else(|panicked| Err(Error::internal("#", panicked)))?;
        whole.pointer_refs.extend(visitor.pointer_refs);
        whole.outside_refs.extend(visitor.outside_refs);
        whole.warnings.extend(visitor.warnings);
    }
    Ok(whole)
}

/// Deeper than any real document; bounds the walk on hostile input.
const MAX_DEPTH: usize = 256;

impl Normalizer {
    fn warn(&mut self, at: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            pointer: at.to_owned(),
            message: message.into(),
        });
    }

    fn note_ref(&mut self, reference: &str) {
        if !is_component_schema_ref(reference) {
            self.pointer_refs.push(reference.to_owned());
        }
    }

    /// Whether the object being walked is a Media Type Object (a member of a `content`).
    fn in_media_type(&self) -> bool {
        self.path.len() >= 2 && self.path[self.path.len() - 2] == "content"
    }

    /// Whether the object being walked is an Encoding Object (a member of a media type's
    /// `encoding`).
    fn in_encoding(&self) -> bool {
        let n = self.path.len();
        n >= 4 && self.path[n - 2] == "encoding" && self.path[n - 4] == "content"
    }

    /// Everything outside schemas: a `schema` key holds one (and a media type's
    /// `itemSchema`); data and extensions do not.
    fn walk(&mut self, value: &mut Value, at: &mut String, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::at(at.as_str(), "the document nests too deeply"));
        }
        let len = at.len();
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    push_token(at, &i.to_string());
                    self.path.push(i.to_string());
                    self.walk(item, at, depth + 1)?;
                    self.path.pop();
                    at.truncate(len);
                }
            }
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    // A component of the section the position wants stays a `$ref`; any other
                    // pointer (another operation's response, a schema that reads as a response,
                    // as swaggerhub.com's responses name `#/components/schemas/BadRequest`) is
                    // copied in place.
                    let component = match pointer_tokens(reference).as_deref() {
                        Some([c, section, _]) if c == "components" => {
                            !matches!(expected_section(&self.path), Some(s) if s != section)
                        }
                        _ => false,
                    };
                    if reference.starts_with('#') && !component {
                        self.outside_refs
                            .push((self.path.clone(), reference.to_owned()));
                    }
                    return Ok(());
                }
                let components_schemas = at == "#/components";
                for (key, child) in map.iter_mut() {
                    self.member(key, child, components_schemas, at, depth + 1)?;
                    at.truncate(len);
                }
                if self.in_media_type() {
                    if let Some(items) = map.get("itemSchema").cloned() {
                        map.insert(ITEM_SCHEMA.into(), items);
                    }
                }
                if self.in_encoding() {
                    if let Some(explode) = map.get("explode").cloned() {
                        map.insert(EXPLODE.into(), explode);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A member of an object outside schemas, `at` the object's pointer.
    fn member(
        &mut self,
        key: &str,
        child: &mut Value,
        components_schemas: bool,
        at: &mut String,
        depth: usize,
    ) -> Result<()> {
        let data = is_data_key(key, &self.path);
        push_token(at, key);
        self.path.push(key.to_owned());
        match key {
            "schema" => self.schema(child, at, depth)?,
            "itemSchema" if self.path.len() >= 3 && self.path[self.path.len() - 3] == "content" => {
                self.schema(child, at, depth)?
            }
            "schemas" if components_schemas => self.schema_map(child, at, depth)?,
            _ if data => {}
            _ => self.walk(child, at, depth)?,
        }
        self.path.pop();
        Ok(())
    }

    fn schema_map(&mut self, value: &mut Value, at: &mut String, depth: usize) -> Result<()> {
        if let Value::Object(map) = value {
            let len = at.len();
            for (name, schema) in map.iter_mut() {
                push_token(at, name);
                self.schema(schema, at, depth + 1)?;
                at.truncate(len);
            }
        }
        Ok(())
    }

    fn schema(&mut self, value: &mut Value, at: &mut String, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::at(at.as_str(), "the document nests too deeply"));
        }
        // Boolean schemas (3.1): `true` admits anything, `false` nothing.
        if let Value::Bool(admits) = *value {
            *value = if admits {
                Value::Object(Map::new())
            } else {
                serde_json::json!({ "not": {} })
            };
        }
        let Value::Object(map) = value else {
            return Ok(());
        };
        if let Some(reference) = map.get("$ref") {
            if let Some(reference) = reference.as_str() {
                self.note_ref(reference);
            }
            return Ok(());
        }
        self.lower_keywords(map, at);
        if let Some(Value::Object(mapping)) =
            map.get("discriminator").and_then(|d| d.get("mapping"))
        {
            let targets: Vec<String> = mapping
                .values()
                .filter_map(Value::as_str)
                .filter(|t| t.starts_with('#'))
                .map(str::to_owned)
                .collect();
            targets.iter().for_each(|t| self.note_ref(t));
        }
        let len = at.len();
        for (key, child) in map.iter_mut() {
            push_token(at, key);
            match schema_keyword(key) {
                // `additionalProperties: false` is 3.0 too, and means something else than `{not: {}}`.
                Holds::One if child.is_boolean() && key.ends_with("Properties") => {}
                Holds::One => self.schema(child, at, depth + 1)?,
                Holds::Map => self.schema_map(child, at, depth + 1)?,
                Holds::List => {
                    if let Value::Array(parts) = child {
                        let list_len = at.len();
                        for (i, part) in parts.iter_mut().enumerate() {
                            push_token(at, &i.to_string());
                            self.schema(part, at, depth + 1)?;
                            at.truncate(list_len);
                        }
                    }
                }
                Holds::Nothing => {}
            }
            at.truncate(len);
        }
        Ok(())
    }

    /// One schema's keywords in their 3.0 spelling. Applied to 3.0 documents too: type
    /// arrays and `type: null` are common there, if invalid.
    fn lower_keywords(&mut self, map: &mut Map<String, Value>, at: &str) {
        if matches!(map.get("default"), Some(Value::Null)) {
            map.insert(DEFAULT_NULL.into(), Value::Bool(true));
        }
        self.lower_type(map);
        if let Some(constant) = map.remove("const") {
            if !map.contains_key("type") {
                let ty = match &constant {
                    Value::String(_) => Some("string"),
                    Value::Bool(_) => Some("boolean"),
                    Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
                    Value::Number(_) => Some("number"),
                    _ => None,
                };
                if let Some(ty) = ty {
                    map.insert("type".into(), Value::String(ty.into()));
                }
            }
            map.insert("enum".into(), Value::Array(vec![constant]));
        }
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(variants)) = map.get_mut(key) else {
                continue;
            };
            let before = variants.len();
            variants.retain(|v| v.get("type").and_then(Value::as_str) != Some("null"));
            if variants.len() == before {
                continue;
            }
            let only = (variants.len() == 1).then(|| variants[0].clone());
            map.insert("nullable".into(), Value::Bool(true));
            if let Some(only) = only {
                // `anyOf [X, null]` is a nullable X; a 3.0 `$ref` cannot carry `nullable`.
                map.remove(key);
                map.insert("allOf".into(), Value::Array(vec![only]));
            }
        }
        for (bound, flag) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if let Some(n @ Value::Number(_)) = map.get(bound).cloned() {
                map.insert(flag.into(), n);
                map.insert(bound.into(), Value::Bool(true));
            }
        }
        if map.get("type").and_then(Value::as_str) == Some("integer") {
            // Bounds are checks, not types: one beyond i64 (`-9223372036854776000`) or
            // fractional cannot be typed as 3.0's integer bound, and is dropped.
            for key in ["minimum", "maximum", "multipleOf"] {
                if map.get(key).is_some_and(|v| v.is_number() && !v.is_i64()) {
                    map.remove(key);
                }
            }
        }
        if let Some(Value::Array(examples)) = map.get("examples") {
            let first = examples.first().cloned();
            map.remove("examples");
            if let Some(first) = first {
                map.entry("example").or_insert(first);
            }
        }
        self.lower_2020_keywords(map, at);
    }

    /// `type: [a, b, null]` → `nullable` and an `anyOf` of the types; `type: null` → a
    /// nullable with only `null` allowed.
    fn lower_type(&mut self, map: &mut Map<String, Value>) {
        match map.get("type") {
            Some(Value::Array(types)) => {
                let mut names: Vec<String> = types
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect();
                let nullable = names.iter().any(|t| t == "null");
                names.retain(|t| t != "null");
                names.dedup();
                match names.as_slice() {
                    [] => {
                        map.remove("type");
                    }
                    [one] => {
                        map.insert("type".into(), Value::String(one.clone()));
                    }
                    many => {
                        let variants = many
                            .iter()
                            .map(|t| serde_json::json!({ "type": t }))
                            .collect();
                        map.remove("type");
                        map.insert("anyOf".into(), Value::Array(variants));
                    }
                }
                if nullable {
                    map.insert("nullable".into(), Value::Bool(true));
                }
            }
            Some(Value::String(t)) if t == "null" => {
                map.remove("type");
                map.insert("nullable".into(), Value::Bool(true));
                map.insert("enum".into(), Value::Array(vec![Value::Null]));
            }
            _ => {}
        }
    }

    /// JSON Schema 2020-12 keywords with no 3.0 form: typed as closely as 3.0 allows, with a
    /// warning where a Rust type loses information. Pure checks (`contains`,
    /// `dependentRequired`, `propertyNames`...) are not types and are ignored.
    fn lower_2020_keywords(&mut self, map: &mut Map<String, Value>, at: &str) {
        if map.contains_key("prefixItems") {
            self.warn(
                &pointer(at, "prefixItems"),
                "a tuple (`prefixItems`) is typed as a list of serde_json::Value: its element types are lost",
            );
            map.insert("items".into(), Value::Object(Map::new()));
            map.entry("type").or_insert_with(|| "array".into());
        }
        if map.contains_key("if") || map.contains_key("then") || map.contains_key("else") {
            self.warn(
                &pointer(at, "if"),
                "`if`/`then`/`else` is not typed: properties only the conditional branches declare are lost",
            );
        }
        if map.contains_key("dependentSchemas") {
            self.warn(
                &pointer(at, "dependentSchemas"),
                "`dependentSchemas` is not typed: properties only they declare are lost",
            );
        }
        for key in ["$dynamicRef", "$recursiveRef"] {
            if map.remove(key).is_some() {
                self.warn(
                    &pointer(at, key),
                    format!("`{key}` is not followed: the schema is typed from its other keywords (serde_json::Value if none)"),
                );
            }
        }
        if !map.contains_key("additionalProperties") {
            if let Some(Value::Object(patterns)) = map.get("patternProperties") {
                // Key patterns are checks; the values' schema is the type of a map.
                let values = match patterns.len() {
                    1 => patterns.values().next().cloned(),
                    _ => {
                        self.warn(
                            &pointer(at, "patternProperties"),
                            "several `patternProperties`: their values are typed as serde_json::Value",
                        );
                        Some(Value::Bool(true))
                    }
                };
                map.extend(values.map(|v| ("additionalProperties".to_owned(), v)));
            } else if let Some(extra @ Value::Object(_)) = map.get("unevaluatedProperties") {
                let extra = extra.clone();
                map.insert("additionalProperties".into(), extra);
            }
        }
    }
}

fn push_token(at: &mut String, token: &str) {
    at.push('/');
    if token.contains(['~', '/']) {
        at.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        at.push_str(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(reference: &str) -> Vec<String> {
        pointer_tokens(reference).unwrap()
    }

    #[test]
    fn schema_positions_are_found_by_structure() {
        assert!(is_schema_position(&tokens("#/components/schemas/A")));
        assert!(is_schema_position(&tokens(
            "#/components/schemas/A/properties/parent/items"
        )));
        assert!(is_schema_position(&tokens(
            "#/components/schemas/A/definitions/B"
        )));
        assert!(is_schema_position(&tokens(
            "#/paths/~1a/get/responses/200/content/application~1json/schema/oneOf/1"
        )));
        assert!(is_schema_position(&tokens(
            "#/paths/~1a/get/responses/200/content/text~1event-stream/itemSchema/properties/x"
        )));
        assert!(!is_schema_position(&tokens(
            "#/components/responses/itemSchema"
        )));
        assert!(!is_schema_position(&tokens("#/info")));
        assert!(!is_schema_position(&tokens("#/paths/~1a")));
        assert!(!is_schema_position(&tokens("#/components/schemas")));
        assert!(!is_schema_position(&tokens(
            "#/components/schemas/A/example/properties"
        )));
        assert!(!is_schema_position(&tokens(
            "#/components/schemas/A/properties"
        )));
    }

    #[test]
    fn pointer_tokens_unescape() {
        assert_eq!(tokens("#/a~1b/c~0d/e%20f"), ["a/b", "c~d", "e f"]);
        assert_eq!(tokens("#"), Vec::<String>::new());
        assert!(pointer_tokens("other.yaml#/a").is_none());
    }
}
