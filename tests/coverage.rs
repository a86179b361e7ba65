//! The fixtures (and the Maniac document) reach everything the IR can express.
//!
//! The suite generates, snapshots and compiles these documents, so a construct none of them
//! reaches is emitted by code no test runs: that is how a broken `pattern` check once shipped
//! with a green suite. The walk below matches every IR enum without a wildcard and
//! destructures every struct it reads whole, so a new variant or constraint does not compile
//! until it is named here; the test then fails naming each construct no document reaches.

use codegen::ir::*;
use std::collections::BTreeSet;
use std::path::Path;

/// What the documents reach, by name.
#[derive(Default)]
struct Reached(BTreeSet<String>);

impl Reached {
    fn add(&mut self, what: impl Into<String>) {
        self.0.insert(what.into());
    }
}

fn ty_name(ty: &Ty) -> &'static str {
    match ty {
        Ty::String => "String",
        Ty::Bool => "Bool",
        Ty::I32 => "I32",
        Ty::I64 => "I64",
        Ty::F64 => "F64",
        Ty::Uuid => "Uuid",
        Ty::Bytes => "Bytes",
        Ty::Any => "Any",
        Ty::JsonObject => "JsonObject",
        Ty::Named(_) => "Named",
        Ty::List(_) => "List",
        Ty::Map(_) => "Map",
        Ty::Option(_) => "Option",
        Ty::Box(_) => "Box",
    }
}
const TYS: &[&str] = &[
    "String",
    "Bool",
    "I32",
    "I64",
    "F64",
    "Uuid",
    "Bytes",
    "Any",
    "JsonObject",
    "Named",
    "List",
    "Map",
    "Option",
    "Box",
];

fn ty(reached: &mut Reached, where_: &str, t: &Ty) {
    reached.add(format!("{where_} type {}", ty_name(t)));
    match t {
        Ty::List(inner) | Ty::Map(inner) | Ty::Option(inner) | Ty::Box(inner) => {
            ty(reached, where_, inner)
        }
        _ => {}
    }
}

fn default_name(d: &DefaultValue) -> &'static str {
    match d {
        DefaultValue::String(_) => "String",
        DefaultValue::Bool(_) => "Bool",
        DefaultValue::Int(_) => "Int",
        DefaultValue::Float(_) => "Float",
        DefaultValue::Variant(..) => "Variant",
        DefaultValue::EmptyList => "EmptyList",
        DefaultValue::EmptyMap => "EmptyMap",
        DefaultValue::Some(_) => "Some",
    }
}
const DEFAULTS: &[&str] = &[
    "String",
    "Bool",
    "Int",
    "Float",
    "Variant",
    "EmptyList",
    "EmptyMap",
    "Some",
];

fn default_value(reached: &mut Reached, d: &DefaultValue) {
    reached.add(format!("default {}", default_name(d)));
    if let DefaultValue::Some(inner) = d {
        default_value(reached, inner);
    }
}

/// Each constraint, on the Rust type it constrains (the checks differ by type).
fn constraints(reached: &mut Reached, where_: &str, on: &Ty, c: &Constraints) {
    let Constraints {
        minimum,
        maximum,
        min_length,
        max_length,
        pattern,
        min_items,
        max_items,
        multiple_of,
        bool_value,
        items,
        format,
    } = c;
    let mut base = on;
    while let Ty::Option(inner) | Ty::Box(inner) = base {
        base = inner;
    }
    let on = ty_name(base);
    for (name, bound) in [("minimum", minimum), ("maximum", maximum)] {
        if let Some(Bound { exclusive, .. }) = bound {
            let kind = if *exclusive { "exclusive " } else { "" };
            reached.add(format!("{where_} constraint {kind}{name} on {on}"));
        }
    }
    for (name, present) in [
        ("min_length", min_length.is_some()),
        ("max_length", max_length.is_some()),
        ("pattern", pattern.is_some()),
        ("min_items", min_items.is_some()),
        ("max_items", max_items.is_some()),
        ("multiple_of", multiple_of.is_some()),
        ("bool_value", bool_value.is_some()),
        ("items", items.is_some()),
        // Other types' formats (`int32`, `uuid`, `binary`) are their Rust type.
        ("format", format.is_some() && on == "String"),
    ] {
        if present {
            reached.add(format!("{where_} constraint {name} on {on}"));
        }
    }
}

fn presence(reached: &mut Reached, p: &Presence) {
    let name = match p {
        Presence::Required => "Required",
        Presence::RequiredNullable => "RequiredNullable",
        Presence::Optional => "Optional",
        Presence::Defaulted(d) => {
            default_value(reached, d);
            "Defaulted"
        }
        Presence::DoubleOption => "DoubleOption",
    };
    reached.add(format!("presence {name}"));
}

fn type_def(reached: &mut Reached, def: &TypeDef) {
    if !def.examples.is_empty() {
        reached.add("type with examples");
    }
    if def.has_default {
        reached.add("type implementing Default");
    }
    if def.from_server {
        reached.add("type reachable from a response");
    }
    match &def.kind {
        TypeKind::Struct(Struct {
            fields,
            additional,
            closed,
        }) => {
            reached.add("kind Struct");
            if additional.is_some() {
                reached.add("struct with additional properties");
            }
            if *closed {
                reached.add("struct closed (additionalProperties: false)");
            }
            for field in fields {
                ty(reached, "field", &field.ty);
                presence(reached, &field.presence);
                constraints(reached, "field", &field.ty, &field.constraints);
                if field.deprecated {
                    reached.add("deprecated field");
                }
                if field.name != field.wire {
                    reached.add("field renamed from its wire name");
                }
            }
            if let Some((_, map)) = additional {
                ty(reached, "field", map);
            }
        }
        TypeKind::StringEnum(StringEnum {
            variants: _,
            other,
            default,
        }) => {
            reached.add("kind StringEnum");
            if other.is_some() {
                reached.add("string enum open to unknown values");
            }
            if default.is_some() {
                reached.add("string enum with a default");
            }
        }
        TypeKind::IntEnum(IntEnum {
            variants: _,
            other,
            default,
        }) => {
            reached.add("kind IntEnum");
            if other.is_some() {
                reached.add("integer enum open to unknown values");
            }
            if default.is_some() {
                reached.add("integer enum with a default");
            }
        }
        TypeKind::Union(Union {
            variants,
            discriminator,
            other,
        }) => {
            reached.add("kind Union");
            reached.add(if discriminator.is_some() {
                "union discriminated"
            } else {
                "union untagged"
            });
            if other.is_some() {
                reached.add("union open to unknown tags");
            }
            for variant in variants {
                ty(reached, "field", &variant.ty);
            }
        }
        TypeKind::Alias(t) => {
            reached.add("kind Alias");
            ty(reached, "field", t);
        }
        TypeKind::Newtype(t) => {
            reached.add("kind Newtype");
            ty(reached, "field", t);
        }
    }
}

fn location_name(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

fn style_name(s: ParamStyle) -> &'static str {
    match s {
        ParamStyle::Simple => "simple",
        ParamStyle::Label => "label",
        ParamStyle::Matrix => "matrix",
        ParamStyle::Form => "form",
        ParamStyle::SpaceDelimited => "spaceDelimited",
        ParamStyle::PipeDelimited => "pipeDelimited",
        ParamStyle::DeepObject => "deepObject",
    }
}

/// The styles OpenAPI allows in each location, and the value shapes that matter to them.
fn styles_of(location: ParamLocation) -> &'static [&'static str] {
    match location {
        ParamLocation::Path => &["simple", "label", "matrix"],
        ParamLocation::Query => &["form", "spaceDelimited", "pipeDelimited", "deepObject"],
        ParamLocation::Header => &["simple"],
        ParamLocation::Cookie => &["form"],
    }
}

/// How a parameter is written: `explode` changes nothing for a single value.
fn param_form(location: &str, style: &str, explode: bool, shape: &str) -> String {
    // Only deepObject reads a union with an object branch otherwise than a scalar (as
    // members when there are any: Stripe's `created`).
    let shape = match shape {
        UNION_WITH_OBJECT if style != "deepObject" => "primitive",
        other => other,
    };
    if shape == "primitive" {
        return format!("{location} parameter, style {style}, primitive");
    }
    let explode = if explode { "exploded" } else { "not exploded" };
    format!("{location} parameter, style {style}, {explode}, {shape}")
}

/// The shape of a union one of whose branches is an object.
const UNION_WITH_OBJECT: &str = "union with an object";

/// A parameter's value shape as its serialization sees it.
fn shape(api: &Api, t: &Ty) -> &'static str {
    match t {
        Ty::List(_) => "array",
        Ty::Map(_) | Ty::JsonObject => "object",
        Ty::Option(inner) | Ty::Box(inner) => shape(api, inner),
        Ty::Named(id) => match &api.ty(*id).kind {
            TypeKind::Struct(_) => "object",
            TypeKind::Alias(inner) | TypeKind::Newtype(inner) => shape(api, inner),
            TypeKind::Union(union)
                if union.variants.iter().any(|v| shape(api, &v.ty) == "object") =>
            {
                UNION_WITH_OBJECT
            }
            _ => "primitive",
        },
        _ => "primitive",
    }
}

fn param(reached: &mut Reached, api: &Api, p: &Param) {
    let Param {
        wire: _,
        name: _,
        location,
        style,
        explode,
        required,
        ty: t,
        docs: _,
        default,
        deprecated,
        constraints: c,
    } = p;
    let location = location_name(*location);
    reached.add(param_form(
        location,
        style_name(*style),
        *explode,
        shape(api, t),
    ));
    reached.add(format!(
        "{location} parameter {}",
        if *required { "required" } else { "optional" }
    ));
    if default.is_some() {
        reached.add("parameter with a default");
    }
    if *deprecated {
        reached.add("deprecated parameter");
    }
    ty(reached, "parameter", t);
    constraints(reached, "parameter", t, c);
}

fn media_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Json => "json",
        MediaKind::EventStream => "event-stream",
        MediaKind::Multipart => "multipart",
        MediaKind::FormUrlEncoded => "form-urlencoded",
        MediaKind::Text => "text",
        MediaKind::Binary => "binary",
    }
}
const MEDIA: &[&str] = &[
    "json",
    "event-stream",
    "multipart",
    "form-urlencoded",
    "text",
    "binary",
];

/// How a form body's property is laid out by its `encoding`: the style does not apply to
/// JSON text.
fn form_encoding(style: &str, explode: bool, json: bool) -> String {
    if json {
        return "form encoding JSON".to_owned();
    }
    let explode = if explode { "exploded" } else { "not exploded" };
    format!("form encoding, style {style}, {explode}")
}

fn content(reached: &mut Reached, where_: &str, c: &Content) {
    let Content {
        media_type: _,
        kind,
        ty: t,
        constraints: _,
        examples,
        encoding,
        part_media,
    } = c;
    if !part_media.is_empty() {
        reached.add("multipart encoding contentType");
    }
    for entry in encoding {
        let FormEncoding {
            property: _,
            style,
            explode,
            allow_reserved,
            json,
        } = entry;
        reached.add(form_encoding(style_name(*style), *explode, *json));
        if *allow_reserved {
            reached.add("form encoding allowReserved");
        }
    }
    let kind = media_name(*kind);
    reached.add(format!("{where_} {kind}"));
    if t.is_none() {
        reached.add(format!("{where_} without a schema"));
    }
    if !examples.is_empty() {
        reached.add(format!("{where_} with examples"));
    }
}

fn operation(reached: &mut Reached, api: &Api, op: &Operation) {
    reached.add(format!("method {}", op.method.as_str()));
    if op.deprecated {
        reached.add("deprecated operation");
    }
    match &op.security {
        Some(alternatives) if alternatives.is_empty() => reached.add("operation without auth"),
        Some(_) => reached.add("operation with its own security"),
        None => {}
    }
    if op
        .segments
        .iter()
        .filter(|s| matches!(s, PathSegment::Param(_)))
        .count()
        > 1
    {
        reached.add("path with several parameters");
    }
    match &op.route {
        Some(route) if !route.own_names => reached.add("route named by a sibling path"),
        Some(_) => {}
        None => reached.add("operation the router does not serve"),
    }
    for p in &op.params {
        param(reached, api, p);
    }
    if let Some(body) = &op.body {
        reached.add(if body.required {
            "request body required"
        } else {
            "request body optional"
        });
        if body.content.len() > 1 {
            reached.add("request body in several media types");
        }
        for c in &body.content {
            content(reached, "request body", c);
        }
    }
    for response in &op.responses {
        let status = match response.status {
            Status::Code(200..=299) => "response status 2xx code",
            Status::Code(300..=399) => "response status 3xx code",
            Status::Code(_) => "response status error code",
            Status::Range(_) => "response status range",
            Status::Default => "response status default",
        };
        reached.add(status);
        if response.content.is_empty() {
            reached.add("response without content");
        }
        if response.content.len() > 1 {
            reached.add("response in several media types");
        }
        for c in &response.content {
            content(reached, "response", c);
        }
        for header in &response.headers {
            reached.add(if header.required {
                "response header required"
            } else {
                "response header optional"
            });
        }
    }
}

fn api(reached: &mut Reached, api: &Api) {
    for def in &api.types {
        type_def(reached, def);
    }
    for op in &api.operations {
        operation(reached, api, op);
    }
    for scheme in &api.security_schemes {
        reached.add(match &scheme.kind {
            SecurityKind::Bearer { .. } => "security bearer".to_owned(),
            SecurityKind::Basic => "security basic".to_owned(),
            SecurityKind::ApiKey { location, .. } => {
                format!("security api key in {}", location_name(*location))
            }
            SecurityKind::Other(_) => "security other (OAuth2, OpenID Connect)".to_owned(),
        });
    }
    if api.servers.iter().any(|s| s.url != s.default_url) {
        reached.add("server with variables");
    }
    if api.error_type.is_some() {
        reached.add("shared error envelope");
    }
    if !api.warnings.is_empty() {
        reached.add("fallback warnings");
    }
}

/// Everything above, as the names the walk gives them.
fn expressible() -> BTreeSet<String> {
    let mut all: BTreeSet<String> = [
        "type with examples",
        "type implementing Default",
        "type reachable from a response",
        "kind Struct",
        "struct with additional properties",
        "struct closed (additionalProperties: false)",
        "deprecated field",
        "field renamed from its wire name",
        "kind StringEnum",
        "string enum open to unknown values",
        "string enum with a default",
        "kind IntEnum",
        "integer enum open to unknown values",
        "integer enum with a default",
        "kind Union",
        "union discriminated",
        "union untagged",
        "union open to unknown tags",
        "kind Alias",
        "kind Newtype",
        "parameter with a default",
        "deprecated parameter",
        "request body required",
        "request body optional",
        "request body in several media types",
        "request body without a schema",
        "request body with examples",
        "response status 2xx code",
        "response status 3xx code",
        "response status error code",
        "response status range",
        "response status default",
        "response without content",
        "response in several media types",
        "response without a schema",
        "response with examples",
        "response header required",
        "response header optional",
        "deprecated operation",
        "operation without auth",
        "operation with its own security",
        "path with several parameters",
        "route named by a sibling path",
        "operation the router does not serve",
        "security bearer",
        "security basic",
        "security api key in header",
        "security api key in query",
        "security api key in cookie",
        "security other (OAuth2, OpenID Connect)",
        "server with variables",
        "shared error envelope",
        "fallback warnings",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for name in [
        "Required",
        "RequiredNullable",
        "Optional",
        "Defaulted",
        "DoubleOption",
    ] {
        all.insert(format!("presence {name}"));
    }
    for name in DEFAULTS {
        all.insert(format!("default {name}"));
    }
    // Every Rust type as a field; the scalar ones (and lists) as parameters.
    for name in TYS {
        all.insert(format!("field type {name}"));
    }
    for name in [
        "String", "Bool", "I32", "I64", "F64", "Uuid", "List", "Named",
    ] {
        all.insert(format!("parameter type {name}"));
    }
    // Each constraint on each Rust type that carries it, on fields and on parameters.
    for where_ in ["field", "parameter"] {
        for on in ["I32", "I64", "F64"] {
            for bound in [
                "minimum",
                "maximum",
                "exclusive minimum",
                "exclusive maximum",
            ] {
                all.insert(format!("{where_} constraint {bound} on {on}"));
            }
        }
        for name in ["min_length", "max_length", "pattern", "format"] {
            all.insert(format!("{where_} constraint {name} on String"));
        }
        for on in ["I32", "I64", "F64"] {
            all.insert(format!("{where_} constraint multiple_of on {on}"));
        }
    }
    for name in ["min_items", "max_items"] {
        all.insert(format!("field constraint {name} on List"));
    }
    all.insert("field constraint bool_value on Bool".to_owned());
    all.insert("field constraint items on List".to_owned());
    for method in [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ] {
        all.insert(format!("method {}", method.as_str()));
    }
    for location in [
        ParamLocation::Path,
        ParamLocation::Query,
        ParamLocation::Header,
        ParamLocation::Cookie,
    ] {
        let location = location_name(location);
        for required in ["required", "optional"] {
            // Path parameters are always required.
            if location != "path" || required == "required" {
                all.insert(format!("{location} parameter {required}"));
            }
        }
        for style in styles_of(match location {
            "path" => ParamLocation::Path,
            "query" => ParamLocation::Query,
            "header" => ParamLocation::Header,
            _ => ParamLocation::Cookie,
        }) {
            for explode in [true, false] {
                for shape in ["primitive", "array", "object"] {
                    // deepObject is defined for exploded objects only; space- and
                    // pipe-delimited for arrays, not exploded.
                    let meaningful = match *style {
                        "deepObject" => shape == "object" && explode,
                        "spaceDelimited" | "pipeDelimited" => shape == "array" && !explode,
                        _ => true,
                    };
                    if meaningful {
                        all.insert(param_form(location, style, explode, shape));
                    }
                }
            }
            if *style == "deepObject" {
                all.insert(param_form(location, style, true, UNION_WITH_OBJECT));
            }
        }
    }
    // The layouts OpenAPI defines for a form property (as for query parameters).
    for (style, explode) in [
        ("form", true),
        ("form", false),
        ("spaceDelimited", false),
        ("pipeDelimited", false),
        ("deepObject", true),
    ] {
        all.insert(form_encoding(style, explode, false));
    }
    all.insert(form_encoding("form", true, true));
    all.insert("form encoding allowReserved".to_owned());
    all.insert("multipart encoding contentType".to_owned());
    for kind in MEDIA {
        all.insert(format!("response {kind}"));
        // Event streams are what servers send, not what clients upload.
        if *kind != "event-stream" {
            all.insert(format!("request body {kind}"));
        }
    }
    all
}

#[test]
fn the_fixtures_reach_everything_the_ir_can_express() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut documents = vec![root.join("spec/maniac.yaml")];
    for entry in std::fs::read_dir(root.join("tests/fixtures")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "yaml") {
            documents.push(path);
        }
    }
    let mut reached = Reached::default();
    for path in &documents {
        let text = std::fs::read_to_string(path).unwrap();
        let lowered = codegen::load(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        api(&mut reached, &lowered);
        // The whole pipeline users run, too: the snapshots call the emitters one by one.
        let options = codegen::Options {
            crate_name: "coverage-api".to_owned(),
            source: path.display().to_string(),
            standalone: true,

            feature_groups: true,
            runtime: codegen::Runtime::Path("../codegen/runtime".into()),
        };
        if let Err(e) = codegen::generate(&text, &options) {
            panic!("{}: {e}", path.display());
        }
    }
    let expressible = expressible();
    let missing: Vec<&String> = expressible.difference(&reached.0).collect();
    assert!(
        missing.is_empty(),
        "no fixture reaches these IR constructs (add them to a fixture under tests/fixtures):\n  {}",
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    // The walk names nothing the list leaves out: the list is the whole IR.
    let unlisted: Vec<&String> = reached.0.difference(&expressible).collect();
    assert!(
        unlisted.is_empty(),
        "the walk reached constructs the list does not name (add them to `expressible`):\n  {}",
        unlisted
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}
