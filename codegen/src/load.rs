//! Text → `openapiv3::OpenAPI`: YAML or JSON, 3.1 lowered to 3.0, errors with locations.

use crate::error::{pointer, Error, Result};
use serde_yaml::{Mapping, Value};

/// Extension the loader sets on a schema whose `default` is an explicit `null`, which
/// `openapiv3` cannot tell from an absent default.
pub const DEFAULT_NULL: &str = "x-codegen-default-null";

/// Parses an OpenAPI 3.0 or 3.1 document (YAML or JSON; JSON is valid YAML).
pub fn parse(text: &str) -> Result<openapiv3::OpenAPI> {
    let mut raw: Value = serde_yaml::from_str(text).map_err(|e| yaml_error("#", &e))?;
    let version = raw
        .get("openapi")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let is_30 = match version.as_deref() {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => true,
        Some(v) if v.starts_with("3.1.") || v == "3.1" => {
            visit_schemas(&mut raw, &mut lower_31_schema)?;
            raw["openapi"] = Value::String("3.0.3".into());
            if raw.get("paths").is_none() {
                raw["paths"] = Value::Mapping(Mapping::new());
            }
            false
        }
        Some(v) => {
            return Err(Error::at(
                "#/openapi",
                format!("unsupported OpenAPI version `{v}`: this generator reads 3.0.x and 3.1.x"),
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
                "not an OpenAPI document: the top-level `openapi` version string is missing",
            ))
        }
    };
    visit_schemas(&mut raw, &mut |schema, _| {
        if matches!(schema.get("default"), Some(Value::Null)) {
            schema.insert(DEFAULT_NULL.into(), Value::Bool(true));
        }
        Ok(())
    })?;
    serde_path_to_error::deserialize(raw).map_err(|e| {
        let at = path_to_pointer(e.path());
        if is_30 {
            // Again from the text, which knows line numbers.
            let de = serde_yaml::Deserializer::from_str(text);
            if let Err(located) = serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(de) {
                return yaml_error(&path_to_pointer(located.path()), located.inner());
            }
        }
        yaml_error(&at, e.inner())
    })
}

fn yaml_error(at: &str, e: &serde_yaml::Error) -> Error {
    let mut message = e.to_string();
    // serde_yaml appends its own "at line L column C"; the line is reported separately.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    Error::at(at, message).with_line(e.location().map(|l| l.line()))
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

/// JSON Schema 2020-12 keywords that have no OpenAPI 3.0 equivalent.
const NOT_LOWERABLE: &[&str] = &[
    "prefixItems",
    "if",
    "then",
    "else",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentSchemas",
    "dependentRequired",
    "$defs",
    "contains",
    "$dynamicRef",
];

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

/// Calls `f` on every Schema Object of the document, parents before children, finding them
/// by position (components, `schema` of parameters, media types and headers, then
/// `properties`, `items`, `allOf`... inside schemas), never by guessing from key names:
/// a property called `type` or `examples` is a property, and example data is data.
fn visit_schemas(
    doc: &mut Value,
    f: &mut dyn FnMut(&mut Mapping, &str) -> Result<()>,
) -> Result<()> {
    fn schema(
        value: &mut Value,
        at: &str,
        f: &mut dyn FnMut(&mut Mapping, &str) -> Result<()>,
    ) -> Result<()> {
        let Value::Mapping(map) = value else {
            return Ok(());
        };
        if map.contains_key("$ref") {
            return Ok(());
        }
        f(map, at)?;
        for (key, child) in map.iter_mut() {
            let key = key.as_str().unwrap_or_default();
            let child_at = pointer(at, key);
            match key {
                "properties" => {
                    if let Value::Mapping(props) = child {
                        for (name, prop) in props.iter_mut() {
                            let name = name.as_str().unwrap_or_default().to_owned();
                            schema(prop, &pointer(&child_at, &name), f)?;
                        }
                    }
                }
                "items" | "additionalProperties" | "not" => schema(child, &child_at, f)?,
                "allOf" | "anyOf" | "oneOf" => {
                    if let Value::Sequence(parts) = child {
                        for (i, part) in parts.iter_mut().enumerate() {
                            schema(part, &pointer(&child_at, &i.to_string()), f)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
    /// Everything outside schemas: a `schema` key holds one; data and extensions do not.
    fn walk(
        value: &mut Value,
        at: &str,
        f: &mut dyn FnMut(&mut Mapping, &str) -> Result<()>,
    ) -> Result<()> {
        match value {
            Value::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item, &pointer(at, &i.to_string()), f)?;
                }
            }
            Value::Mapping(map) => {
                for (key, child) in map.iter_mut() {
                    let key = key.as_str().unwrap_or_default();
                    let child_at = pointer(at, key);
                    match key {
                        "schema" => schema(child, &child_at, f)?,
                        "example" | "examples" | "default" | "enum" => {}
                        k if k.starts_with("x-") => {}
                        "schemas" if at == "#/components" => {
                            if let Value::Mapping(schemas) = child {
                                for (name, s) in schemas.iter_mut() {
                                    let name = name.as_str().unwrap_or_default().to_owned();
                                    schema(s, &pointer(&child_at, &name), f)?;
                                }
                            }
                        }
                        _ => walk(child, &child_at, f)?,
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
    walk(doc, "#", f)
}

fn lower_31_schema(map: &mut Mapping, at: &str) -> Result<()> {
    if let Some(key) = NOT_LOWERABLE.iter().find(|k| map.contains_key(**k)) {
        return Err(Error::at(
            pointer(at, key),
            format!("JSON Schema keyword `{key}` cannot be lowered to OpenAPI 3.0"),
        ));
    }
    if let Some(Value::Sequence(types)) = map.get("type").cloned() {
        let mut names: Vec<String> = types
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        let nullable = names.iter().any(|t| t == "null");
        names.retain(|t| t != "null");
        match names.as_slice() {
            [] => {
                map.remove("type");
            }
            [one] => {
                map.insert("type".into(), Value::String(one.clone()));
            }
            many => {
                map.remove("type");
                let variants = many
                    .iter()
                    .map(|t| {
                        let mut branch = Mapping::new();
                        branch.insert("type".into(), Value::String(t.clone()));
                        Value::Mapping(branch)
                    })
                    .collect();
                map.insert("anyOf".into(), Value::Sequence(variants));
            }
        }
        if nullable {
            map.insert("nullable".into(), Value::Bool(true));
        }
    } else if map.get("type").and_then(Value::as_str) == Some("null") {
        map.remove("type");
        map.insert("nullable".into(), Value::Bool(true));
        map.insert("enum".into(), Value::Sequence(vec![Value::Null]));
    }
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
        map.insert("enum".into(), Value::Sequence(vec![constant]));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Sequence(variants)) = map.get_mut(key) {
            let before = variants.len();
            variants.retain(|v| !is_null_schema(v));
            if variants.len() != before {
                map.insert("nullable".into(), Value::Bool(true));
                if let Some(Value::Sequence(variants)) = map.get(key) {
                    if variants.len() == 1 {
                        // `anyOf [X, null]` is a nullable X; a 3.0 `$ref` cannot carry `nullable`.
                        let only = variants[0].clone();
                        map.remove(key);
                        map.insert("allOf".into(), Value::Sequence(vec![only]));
                    }
                }
            }
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
    if let Some(Value::Sequence(examples)) = map.get("examples").cloned() {
        map.remove("examples");
        if let Some(first) = examples.into_iter().next() {
            if !map.contains_key("example") {
                map.insert("example".into(), first);
            }
        }
    }
    Ok(())
}
