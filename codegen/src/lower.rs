//! `openapiv3::OpenAPI` → [`ir::Api`]. The only module that reads `openapiv3` types.

use crate::error::{pointer, Error, Result, Warning};
use crate::ir::*;
use crate::names::{self, snake_name, type_name, unreserved_type_name, Scope};
use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, AnySchema, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr,
    Schema, SchemaKind,
};
use serde_json::Value;

/// Lowers a parsed document into the IR.
pub fn lower(doc: &OpenAPI) -> Result<Api> {
    let mut lowerer = Lowerer::new(doc);
    lowerer.components()?;
    let operations = lowerer.operations()?;
    newtype_self_referencing_aliases(&mut lowerer.types);
    lowerer.resolve_defaults();
    let Lowerer {
        mut types,
        mut warnings,
        ..
    } = lowerer;
    mark_from_server(&mut types, &operations);
    box_cycles(&mut types);
    mark_defaults(&mut types);
    warnings.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    Ok(Api {
        title: doc.info.title.clone(),
        version: doc.info.version.clone(),
        description: doc.info.description.clone(),
        servers: doc
            .servers
            .iter()
            .map(|s| Server {
                url: s.url.clone(),
                description: s.description.clone(),
            })
            .collect(),
        security_schemes: security_schemes(doc)?,
        security: doc
            .security
            .as_deref()
            .map(requirements)
            .unwrap_or_default(),
        types,
        operations,
        warnings,
    })
}

/// What lowering one schema yields before it becomes a field, variant or item.
#[derive(Debug, Clone)]
struct Lowered {
    ty: Ty,
    nullable: bool,
    default: Option<Value>,
    docs: Option<String>,
    read_only: bool,
    write_only: bool,
    deprecated: bool,
}

impl Lowered {
    fn plain(ty: Ty) -> Self {
        Lowered {
            ty,
            nullable: false,
            default: None,
            docs: None,
            read_only: false,
            write_only: false,
            deprecated: false,
        }
    }

    /// The type with nullability folded in (for items, parameters, aliases).
    fn nullable_ty(&self) -> Ty {
        if self.nullable {
            self.ty.clone().option()
        } else {
            self.ty.clone()
        }
    }
}

struct PendingDefault {
    owner: TypeId,
    field: usize,
    value: Value,
    nullable: bool,
    pointer: String,
}

struct Lowerer<'a> {
    doc: &'a OpenAPI,
    types: Vec<TypeDef>,
    components: IndexMap<String, TypeId>,
    type_names: Scope,
    warnings: Vec<Warning>,
    pending_defaults: Vec<PendingDefault>,
    /// One location, one type: an inline schema reached twice (through `allOf` merges,
    /// shared parameters or responses) is lowered once.
    lowered_at: std::collections::HashMap<String, Lowered>,
}

const SCHEMA_PREFIX: &str = "#/components/schemas/";

fn docs_of(title: Option<&String>, description: Option<&String>) -> Option<String> {
    let parts: Vec<&str> = [title, description]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    match parts.as_slice() {
        [] => None,
        [title, description] if title == description => Some(title.to_string()),
        _ => Some(parts.join("\n\n")),
    }
}

/// The schema's default, with an explicit `null` kept (see [`crate::load::DEFAULT_NULL`]).
fn default_of(data: &openapiv3::SchemaData) -> Option<Value> {
    match &data.default {
        Some(value) => Some(value.clone()),
        None if data.extensions.contains_key(crate::load::DEFAULT_NULL) => Some(Value::Null),
        None => None,
    }
}

fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// One shape for every schema kind, so the lowering has one place per decision.
fn normalize(schema: &Schema, at: &str) -> Result<AnySchema> {
    Ok(match &schema.schema_kind {
        SchemaKind::Type(t) => type_to_any(t, at)?,
        SchemaKind::OneOf { one_of } => AnySchema {
            one_of: one_of.clone(),
            ..Default::default()
        },
        SchemaKind::AnyOf { any_of } => AnySchema {
            any_of: any_of.clone(),
            ..Default::default()
        },
        SchemaKind::AllOf { all_of } => AnySchema {
            all_of: all_of.clone(),
            ..Default::default()
        },
        SchemaKind::Not { not } => AnySchema {
            not: Some(not.clone()),
            ..Default::default()
        },
        SchemaKind::Any(any) => any.clone(),
    })
}

fn format_name<T: serde::Serialize>(format: &T, at: &str) -> Result<Option<String>> {
    let value = serde_json::to_value(format).map_err(|e| Error::at(at, e.to_string()))?;
    Ok(value.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
}

/// Field by field (not through `serde_json::Value`, whose maps would lose property order).
fn type_to_any(t: &openapiv3::Type, at: &str) -> Result<AnySchema> {
    use openapiv3::Type;
    Ok(match t {
        Type::String(s) => AnySchema {
            typ: Some("string".into()),
            format: format_name(&s.format, at)?,
            pattern: s.pattern.clone(),
            enumeration: s
                .enumeration
                .iter()
                .map(|v| v.clone().map(Value::String).unwrap_or(Value::Null))
                .collect(),
            min_length: s.min_length,
            max_length: s.max_length,
            ..Default::default()
        },
        Type::Number(n) => AnySchema {
            typ: Some("number".into()),
            format: format_name(&n.format, at)?,
            minimum: n.minimum,
            maximum: n.maximum,
            enumeration: n
                .enumeration
                .iter()
                .map(|v| {
                    v.and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                        .unwrap_or(Value::Null)
                })
                .collect(),
            ..Default::default()
        },
        Type::Integer(i) => AnySchema {
            typ: Some("integer".into()),
            format: format_name(&i.format, at)?,
            minimum: i.minimum.map(|v| v as f64),
            maximum: i.maximum.map(|v| v as f64),
            enumeration: i
                .enumeration
                .iter()
                .map(|v| v.map(Value::from).unwrap_or(Value::Null))
                .collect(),
            ..Default::default()
        },
        Type::Boolean(b) => AnySchema {
            typ: Some("boolean".into()),
            enumeration: b
                .enumeration
                .iter()
                .map(|v| v.map(Value::Bool).unwrap_or(Value::Null))
                .collect(),
            ..Default::default()
        },
        Type::Object(o) => AnySchema {
            typ: Some("object".into()),
            properties: o.properties.clone(),
            required: o.required.clone(),
            additional_properties: o.additional_properties.clone(),
            min_properties: o.min_properties,
            max_properties: o.max_properties,
            ..Default::default()
        },
        Type::Array(a) => AnySchema {
            typ: Some("array".into()),
            items: a.items.clone(),
            min_items: a.min_items,
            max_items: a.max_items,
            unique_items: Some(a.unique_items),
            ..Default::default()
        },
    })
}

fn unbox(schema: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match schema {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(s) => ReferenceOr::Item((**s).clone()),
    }
}

/// `{nullable: true}` or `{enum: [null]}` alone: the `null` branch of a union.
fn is_null_only(schema: &ReferenceOr<Schema>) -> bool {
    let ReferenceOr::Item(s) = schema else {
        return false;
    };
    match &s.schema_kind {
        SchemaKind::Any(a) => {
            a.typ.is_none()
                && a.properties.is_empty()
                && a.one_of.is_empty()
                && a.any_of.is_empty()
                && a.all_of.is_empty()
                && a.items.is_none()
                && (a.enumeration.iter().all(Value::is_null) && !a.enumeration.is_empty()
                    || a.enumeration.is_empty() && s.schema_data.nullable)
        }
        _ => false,
    }
}

fn media_kind(media_type: &str) -> MediaKind {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => MediaKind::Json,
        e if e.ends_with("+json") => MediaKind::Json,
        "text/event-stream" => MediaKind::EventStream,
        "multipart/form-data" => MediaKind::Multipart,
        "application/x-www-form-urlencoded" => MediaKind::FormUrlEncoded,
        e if e.starts_with("text/") => MediaKind::Text,
        _ => MediaKind::Binary,
    }
}

fn requirements(reqs: &[openapiv3::SecurityRequirement]) -> Vec<Vec<String>> {
    reqs.iter().map(|r| r.keys().cloned().collect()).collect()
}

fn security_schemes(doc: &OpenAPI) -> Result<Vec<SecurityScheme>> {
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

impl<'a> Lowerer<'a> {
    fn new(doc: &'a OpenAPI) -> Self {
        Lowerer {
            doc,
            types: Vec::new(),
            components: IndexMap::new(),
            type_names: Scope::default(),
            warnings: Vec::new(),
            pending_defaults: Vec::new(),
            lowered_at: std::collections::HashMap::new(),
        }
    }

    fn warn(&mut self, at: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            pointer: at.to_owned(),
            message: message.into(),
        });
    }

    /// Reserves a type slot and a unique name; the kind is filled in by the caller.
    fn new_type(&mut self, hint: &str, at: &str, docs: Option<String>) -> TypeId {
        let name = self
            .type_names
            .claim(&unreserved_type_name(hint, "Unnamed"));
        self.types.push(TypeDef {
            name,
            pointer: at.to_owned(),
            docs,
            kind: TypeKind::Alias(Ty::Any),
            from_server: false,
            examples: Vec::new(),
            has_default: false,
        });
        TypeId(self.types.len() - 1)
    }

    fn schemas(&self) -> Option<&'a IndexMap<String, ReferenceOr<Schema>>> {
        self.doc.components.as_ref().map(|c| &c.schemas)
    }

    fn components(&mut self) -> Result<()> {
        let Some(schemas) = self.schemas() else {
            return Ok(());
        };
        // Names first, so components keep their own names and inline types yield to them.
        for (key, schema) in schemas {
            let at = pointer("#/components/schemas", key);
            let docs = match schema {
                ReferenceOr::Item(s) => docs_of(
                    s.schema_data.title.as_ref(),
                    s.schema_data.description.as_ref(),
                ),
                ReferenceOr::Reference { .. } => None,
            };
            let id = self.new_type(key, &at, docs);
            if let ReferenceOr::Item(s) = schema {
                self.types[id.0]
                    .examples
                    .extend(s.schema_data.example.clone());
            }
            self.components.insert(key.clone(), id);
        }
        for (key, schema) in schemas {
            let id = self.components[key];
            let at = pointer("#/components/schemas", key);
            let name = self.types[id.0].name.clone();
            let kind = match schema {
                ReferenceOr::Reference { reference } => {
                    let target = self.schema_ref(reference, &at)?;
                    // Follows the chain, so `A: {$ref: A}` is an error, not an empty type.
                    self.resolve_schema(schema, &at)?;
                    TypeKind::Alias(Ty::Named(target))
                }
                ReferenceOr::Item(s) => self.lower_kind(s, &name, &at, id)?,
            };
            self.types[id.0].kind = kind;
        }
        Ok(())
    }

    fn schema_ref(&self, reference: &str, at: &str) -> Result<TypeId> {
        self.component(reference, at).map(|(id, _)| id)
    }

    /// The component schema a `$ref` names: its type slot and its definition.
    fn component(&self, reference: &str, at: &str) -> Result<(TypeId, &'a ReferenceOr<Schema>)> {
        let Some(token) = reference.strip_prefix(SCHEMA_PREFIX) else {
            return Err(if reference.starts_with('#') {
                Error::at(
                    at,
                    format!("$ref `{reference}` must point at #/components/schemas/<name>"),
                )
            } else {
                Error::at(
                    at,
                    format!(
                        "external $ref `{reference}` is not supported: bundle the document into one file first"
                    ),
                )
            });
        };
        let name = unescape_token(token);
        let dangling = || {
            Error::at(
                at,
                format!("dangling $ref `{reference}`: there is no schema `{name}` in #/components/schemas"),
            )
        };
        let id = self.components.get(&name).copied().ok_or_else(dangling)?;
        let schema = self
            .schemas()
            .and_then(|s| s.get(&name))
            .ok_or_else(dangling)?;
        Ok((id, schema))
    }

    /// Follows `$ref`s to the schema object they name (for merging and tag detection).
    fn resolve_schema<'s>(&self, schema: &'s ReferenceOr<Schema>, at: &str) -> Result<&'s Schema>
    where
        'a: 's,
    {
        let mut current = schema;
        for _ in 0..64 {
            match current {
                ReferenceOr::Item(s) => return Ok(s),
                ReferenceOr::Reference { reference } => {
                    current = self.component(reference, at)?.1;
                }
            }
        }
        Err(Error::at(
            at,
            format!("$ref chain too long or circular at `{at}`"),
        ))
    }

    fn lower_schema(
        &mut self,
        schema: &ReferenceOr<Schema>,
        hint: &str,
        at: &str,
    ) -> Result<Lowered> {
        match schema {
            ReferenceOr::Reference { reference } => {
                let id = self.schema_ref(reference, at)?;
                let target = self.resolve_schema(schema, at)?;
                let data = &target.schema_data;
                Ok(Lowered {
                    nullable: self.admits_null(target, at)?,
                    default: default_of(data),
                    read_only: data.read_only,
                    write_only: data.write_only,
                    deprecated: data.deprecated,
                    ..Lowered::plain(Ty::Named(id))
                })
            }
            ReferenceOr::Item(s) => self.lower_inline(s, hint, at),
        }
    }

    /// Whether a schema admits `null`: `nullable`, a `null` enum member or union branch, or
    /// a single-`allOf` wrapper around such a schema. Read from the document, so a
    /// reference gets it whether or not its target was lowered yet.
    fn admits_null(&self, schema: &Schema, at: &str) -> Result<bool> {
        if schema.schema_data.nullable {
            return Ok(true);
        }
        let any = normalize(schema, at)?;
        if any.enumeration.iter().any(Value::is_null)
            || any.one_of.iter().chain(&any.any_of).any(is_null_only)
        {
            return Ok(true);
        }
        match any.all_of.as_slice() {
            [only] if any.properties.is_empty() => {
                self.admits_null(self.resolve_schema(only, at)?, at)
            }
            _ => Ok(false),
        }
    }

    fn lower_inline(&mut self, schema: &Schema, hint: &str, at: &str) -> Result<Lowered> {
        if let Some(done) = self.lowered_at.get(at) {
            return Ok(done.clone());
        }
        let lowered = self.lower_inline_into(schema, hint, at, None)?;
        self.lowered_at.insert(at.to_owned(), lowered.clone());
        Ok(lowered)
    }

    /// `into`: the component slot a union fills in place of a new type.
    fn lower_inline_into(
        &mut self,
        schema: &Schema,
        hint: &str,
        at: &str,
        into: Option<TypeId>,
    ) -> Result<Lowered> {
        let data = &schema.schema_data;
        let any = normalize(schema, at)?;
        let mut lowered = Lowered {
            nullable: data.nullable,
            default: default_of(data),
            docs: docs_of(data.title.as_ref(), data.description.as_ref()),
            read_only: data.read_only,
            write_only: data.write_only,
            deprecated: data.deprecated,
            ..Lowered::plain(Ty::Any)
        };
        // allOf of exactly one schema is how 3.0 spells a described or nullable `$ref`.
        if any.all_of.len() == 1
            && any.properties.is_empty()
            && matches!(any.typ.as_deref(), None | Some("object"))
        {
            let inner_at = pointer(&pointer(at, "allOf"), "0");
            let inner = self.lower_schema(&any.all_of[0], hint, &inner_at)?;
            lowered.ty = inner.ty;
            lowered.nullable |= inner.nullable;
            lowered.docs = lowered.docs.or(inner.docs);
            lowered.default = lowered.default.or(inner.default);
            return Ok(lowered);
        }
        if let Some(union) =
            self.lower_union_parts(&any, data.discriminator.as_ref(), hint, at, into)?
        {
            lowered.nullable |= union.nullable;
            lowered.ty = union.ty;
            if let Ty::Named(id) = lowered.ty {
                if self.types[id.0].docs.is_none() {
                    self.types[id.0].docs = lowered.docs.clone();
                }
            }
            return Ok(lowered);
        }
        if any.enumeration.iter().any(Value::is_null) {
            lowered.nullable = true;
        }
        if self.needs_named_type(&any) {
            let id = self.new_type(hint, at, lowered.docs.clone());
            let name = self.types[id.0].name.clone();
            let kind = self.lower_kind(schema, &name, at, id)?;
            self.types[id.0].kind = kind;
            self.types[id.0].examples.extend(data.example.clone());
            lowered.ty = Ty::Named(id);
            return Ok(lowered);
        }
        lowered.ty = self.primitive(&any, hint, at)?;
        Ok(lowered)
    }

    fn needs_named_type(&self, any: &AnySchema) -> bool {
        let has_values = any.enumeration.iter().any(|v| !v.is_null());
        let enum_kind = matches!(any.typ.as_deref(), Some("string") | Some("integer") | None)
            && has_values
            && any
                .enumeration
                .iter()
                .all(|v| v.is_null() || v.is_string() || v.is_i64());
        enum_kind || !any.properties.is_empty() || any.all_of.len() > 1
    }

    /// `oneOf`/`anyOf`: a union, or a single non-null branch.
    fn lower_union_parts(
        &mut self,
        any: &AnySchema,
        declared: Option<&openapiv3::Discriminator>,
        hint: &str,
        at: &str,
        into: Option<TypeId>,
    ) -> Result<Option<Lowered>> {
        let (key, parts) = match (any.one_of.is_empty(), any.any_of.is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => ("oneOf", &any.one_of),
            (true, false) => ("anyOf", &any.any_of),
            (false, false) => return Err(Error::at(
                at,
                "a schema with both oneOf and anyOf is not supported: nest one inside the other",
            )),
        };
        if !any.properties.is_empty() || !any.all_of.is_empty() {
            self.warn(
                at,
                format!(
                    "{key} next to properties/allOf is not supported; typed as serde_json::Value"
                ),
            );
            return Ok(Some(Lowered::plain(Ty::Any)));
        }
        let union_at = pointer(at, key);
        let mut nullable = false;
        let mut branches = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if is_null_only(part) {
                nullable = true;
                continue;
            }
            let part_at = pointer(&union_at, &i.to_string());
            let title = match part {
                ReferenceOr::Item(s) => s.schema_data.title.clone(),
                ReferenceOr::Reference { .. } => None,
            };
            let suffix = match &title {
                Some(t) => type_name(t, "Variant"),
                None => format!("Variant{}", i + 1),
            };
            let lowered = self.lower_schema(part, &format!("{hint}{suffix}"), &part_at)?;
            nullable |= lowered.nullable;
            branches.push((part, lowered, suffix, part_at));
        }
        match branches.len() {
            0 => {
                return Ok(Some(Lowered {
                    nullable: true,
                    ..Lowered::plain(Ty::Any)
                }))
            }
            1 => {
                let (_, mut only, _, _) = branches.remove(0);
                only.nullable |= nullable;
                return Ok(Some(only));
            }
            _ => {}
        }
        let discriminator = self.discriminator_of(declared, &branches, at)?;
        if discriminator.is_none() {
            // Untagged branches are tried in order; an integer branch after a number branch
            // would never match (5 parses as 5.0), so integers go first.
            let is_float = |l: &Lowered| matches!(l.ty, Ty::F64);
            if let Some(first_float) = branches.iter().position(|b| is_float(&b.1)) {
                let tail = branches.split_off(first_float);
                let (ints, rest): (Vec<_>, Vec<_>) = tail
                    .into_iter()
                    .partition(|b| matches!(b.1.ty, Ty::I32 | Ty::I64));
                branches.extend(ints);
                branches.extend(rest);
            }
        }
        let id = match into {
            Some(id) => id,
            None => self.new_type(hint, at, None),
        };
        let mut variant_names = Scope::default();
        let mut variants = Vec::new();
        for (i, (_, lowered, suffix, _)) in branches.iter().enumerate() {
            let base = match &lowered.ty {
                Ty::Named(t) if self.components.values().any(|c| c == t) => {
                    self.types[t.0].name.clone()
                }
                Ty::Named(_) => suffix.clone(),
                other => primitive_variant_name(other),
            };
            variants.push(UnionVariant {
                name: variant_names.claim(&names::type_name(&base, "Variant")),
                ty: lowered.nullable_ty(),
                tags: discriminator
                    .as_ref()
                    .map(|(_, tags)| tags[i].clone())
                    .unwrap_or_default(),
            });
        }
        self.types[id.0].kind = TypeKind::Union(Union {
            variants,
            discriminator: discriminator.map(|(p, _)| p),
            other: None,
        });
        Ok(Some(Lowered {
            nullable,
            ..Lowered::plain(Ty::Named(id))
        }))
    }

    /// The tag property and each branch's tag values: from `discriminator` (with its
    /// `mapping`), or from a required single-value string property every branch shares.
    fn discriminator_of(
        &self,
        declared: Option<&openapiv3::Discriminator>,
        branches: &[(&ReferenceOr<Schema>, Lowered, String, String)],
        at: &str,
    ) -> Result<Option<(String, Vec<Vec<String>>)>> {
        if let Some(d) = declared {
            let mapping_at = pointer(&pointer(at, "discriminator"), "mapping");
            let mut tags = vec![Vec::new(); branches.len()];
            for (value, target) in &d.mapping {
                let reference = if target.starts_with('#') {
                    target.clone()
                } else {
                    format!("{SCHEMA_PREFIX}{target}")
                };
                let target_ref = ReferenceOr::Reference { reference };
                let target_schema = self.canonical_schema(&target_ref, &mapping_at)?;
                let mut found = None;
                for (i, (part, _, _, part_at)) in branches.iter().enumerate() {
                    if std::ptr::eq(self.canonical_schema(part, part_at)?, target_schema) {
                        found = Some(i);
                        break;
                    }
                }
                let Some(i) = found else {
                    return Err(Error::at(
                        pointer(&mapping_at, value),
                        format!("mapping target `{target}` is not one of the union's branches"),
                    ));
                };
                tags[i].push(value.clone());
            }
            for (i, (part, lowered, _, part_at)) in branches.iter().enumerate() {
                if !matches!(lowered.ty, Ty::Named(_)) || !self.is_object(part, part_at)? {
                    return Err(Error::at(
                        part_at,
                        "a discriminated union's branches must be object schemas",
                    ));
                }
                if tags[i].is_empty() {
                    // OpenAPI's implicit mapping: the component's own name, unless the
                    // explicit mapping gave that value to another branch.
                    match part {
                        ReferenceOr::Reference { reference } => {
                            let implicit =
                                unescape_token(reference.trim_start_matches(SCHEMA_PREFIX));
                            if d.mapping.contains_key(&implicit) {
                                return Err(Error::at(
                                    part_at,
                                    format!("this branch has no tag: its implicit value `{implicit}` is mapped to another branch"),
                                ));
                            }
                            tags[i].push(implicit);
                        }
                        ReferenceOr::Item(_) => {
                            let const_tag = self.const_tags(part, part_at)?;
                            match const_tag.get(&d.property_name) {
                                Some(v) => tags[i].push(v.clone()),
                                None => {
                                    return Err(Error::at(
                                        part_at,
                                        format!(
                                            "inline branch has no mapping entry and no single-value `{}` property",
                                            d.property_name
                                        ),
                                    ))
                                }
                            }
                        }
                    }
                }
            }
            return Ok(Some((d.property_name.clone(), tags)));
        }
        // No declaration: look for an obvious constant tag shared by every branch.
        let mut per_branch = Vec::new();
        for (part, lowered, _, part_at) in branches {
            if !matches!(lowered.ty, Ty::Named(_)) || !self.is_object(part, part_at)? {
                return Ok(None);
            }
            per_branch.push(self.const_tags(part, part_at)?);
        }
        let Some(first) = per_branch.first() else {
            return Ok(None);
        };
        let mut candidates: Vec<&String> = first.keys().collect();
        candidates.sort_by_key(|k| (k.as_str() != "type", k.as_str() != "object"));
        for property in candidates {
            let values: Option<Vec<&String>> =
                per_branch.iter().map(|tags| tags.get(property)).collect();
            if let Some(values) = values {
                let mut distinct = values.clone();
                distinct.sort();
                distinct.dedup();
                if distinct.len() == values.len() {
                    let tags = values.into_iter().map(|v| vec![v.clone()]).collect();
                    return Ok(Some((property.clone(), tags)));
                }
            }
        }
        Ok(None)
    }

    fn is_object(&self, schema: &ReferenceOr<Schema>, at: &str) -> Result<bool> {
        let s = self.canonical_schema(schema, at)?;
        let any = normalize(s, at)?;
        Ok(any.typ.as_deref() == Some("object")
            || !any.properties.is_empty()
            || !any.all_of.is_empty())
    }

    /// The schema a reference or a single-`allOf` wrapper stands for, for identity checks.
    fn canonical_schema<'s>(&self, schema: &'s ReferenceOr<Schema>, at: &str) -> Result<&'s Schema>
    where
        'a: 's,
    {
        let mut current = self.resolve_schema(schema, at)?;
        for _ in 0..64 {
            match &current.schema_kind {
                SchemaKind::AllOf { all_of } if all_of.len() == 1 => {
                    current = self.resolve_schema(&all_of[0], at)?;
                }
                _ => return Ok(current),
            }
        }
        Err(Error::at(at, "allOf wrappers nested too deep (circular?)"))
    }

    /// Required properties whose schema allows exactly one string: the branch's constant tags.
    fn const_tags(
        &self,
        schema: &ReferenceOr<Schema>,
        at: &str,
    ) -> Result<IndexMap<String, String>> {
        let s = self.resolve_schema(schema, at)?;
        let any = normalize(s, at)?;
        let (properties, required) = self.merged_properties(&any, at, 0)?;
        let mut out = IndexMap::new();
        for (name, (prop, prop_at)) in properties {
            if !required.contains(&name) {
                continue;
            }
            let prop_schema = self.resolve_schema(&prop, &prop_at)?;
            let prop_any = normalize(prop_schema, &prop_at)?;
            if let [Value::String(v)] = prop_any.enumeration.as_slice() {
                out.insert(name, v.clone());
            }
        }
        Ok(out)
    }

    /// Properties and `required` of an object schema, its `allOf` parts merged in order.
    #[allow(clippy::type_complexity)]
    fn merged_properties(
        &self,
        any: &AnySchema,
        at: &str,
        depth: usize,
    ) -> Result<(IndexMap<String, (ReferenceOr<Schema>, String)>, Vec<String>)> {
        if depth > 32 {
            return Err(Error::at(at, "allOf nesting too deep (circular allOf?)"));
        }
        let mut properties = IndexMap::new();
        let mut required = Vec::new();
        for (i, part) in any.all_of.iter().enumerate() {
            let mut part_at = pointer(&pointer(at, "allOf"), &i.to_string());
            let part_schema = self.resolve_schema(part, &part_at)?;
            if let ReferenceOr::Reference { reference } = part {
                // Lowered where it is written, so its inline types are shared, not copied.
                part_at = reference.clone();
            }
            let part_any = normalize(part_schema, &part_at)?;
            // A part may be a bare `{required: [...]}`: only other types and unions are refused.
            let is_object = matches!(part_any.typ.as_deref(), None | Some("object"))
                && part_any.enumeration.is_empty()
                && part_any.items.is_none();
            if !is_object || !part_any.one_of.is_empty() || !part_any.any_of.is_empty() {
                return Err(Error::at(
                    part_at,
                    "allOf can only merge object schemas (properties); this part is not one",
                ));
            }
            let (props, req) = self.merged_properties(&part_any, &part_at, depth + 1)?;
            properties.extend(props);
            required.extend(req);
        }
        for (name, prop) in &any.properties {
            let prop_at = pointer(&pointer(at, "properties"), name);
            properties.insert(name.clone(), (unbox(prop), prop_at));
        }
        required.extend(any.required.iter().cloned());
        Ok((properties, required))
    }
}

fn primitive_variant_name(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::Bool => "Boolean".into(),
        Ty::I32 | Ty::I64 => "Integer".into(),
        Ty::F64 => "Number".into(),
        Ty::Uuid => "Uuid".into(),
        Ty::Bytes => "Bytes".into(),
        Ty::Any => "Any".into(),
        Ty::JsonObject | Ty::Map(_) => "Object".into(),
        Ty::List(inner) => match inner.as_ref() {
            Ty::List(_) | Ty::Named(_) | Ty::Option(_) | Ty::Box(_) => "List".into(),
            other => format!("{}List", primitive_variant_name(other)),
        },
        Ty::Option(inner) | Ty::Box(inner) => primitive_variant_name(inner),
        Ty::Named(_) => "Variant".into(),
    }
}

impl<'a> Lowerer<'a> {
    /// The kind of a named type: a component, or an inline schema that needs a name.
    fn lower_kind(
        &mut self,
        schema: &Schema,
        name: &str,
        at: &str,
        id: TypeId,
    ) -> Result<TypeKind> {
        let any = normalize(schema, at)?;
        if self.needs_named_type(&any) && any.one_of.is_empty() && any.any_of.is_empty() {
            let has_values = any.enumeration.iter().any(|v| !v.is_null());
            if has_values && any.properties.is_empty() && any.all_of.is_empty() {
                return self.lower_enum(&any, schema.schema_data.default.as_ref(), at);
            }
            return Ok(TypeKind::Struct(self.lower_struct(&any, id, name, at)?));
        }
        let lowered = self.lower_inline_into(schema, name, at, Some(id))?;
        if lowered.ty == Ty::Named(id) {
            return Ok(self.types[id.0].kind.clone());
        }
        Ok(TypeKind::Alias(lowered.nullable_ty()))
    }

    fn lower_enum(
        &mut self,
        any: &AnySchema,
        default: Option<&Value>,
        at: &str,
    ) -> Result<TypeKind> {
        let mut values: Vec<&Value> = Vec::new();
        for v in any.enumeration.iter().filter(|v| !v.is_null()) {
            if !values.contains(&v) {
                values.push(v);
            }
        }
        let mut names = Scope::default();
        if values.iter().all(|v| v.is_string()) {
            let variants: Vec<EnumVariant> = values
                .iter()
                .filter_map(|v| v.as_str())
                .map(|v| EnumVariant {
                    name: names.claim(&type_name(v, if v.is_empty() { "Empty" } else { "Value" })),
                    value: v.to_owned(),
                })
                .collect();
            let default = match default.and_then(Value::as_str) {
                Some(d) => Some(variants.iter().position(|v| v.value == d).ok_or_else(|| {
                    Error::at(
                        pointer(at, "default"),
                        format!("default `{d}` is not one of the enum's values"),
                    )
                })?),
                None if variants.len() == 1 => Some(0),
                None => None,
            };
            return Ok(TypeKind::StringEnum(StringEnum {
                variants,
                other: None,
                default,
            }));
        }
        if values.iter().all(|v| v.is_i64()) {
            let variants: Vec<(String, i64)> = values
                .iter()
                .filter_map(|v| v.as_i64())
                .map(|v| (names.claim(&type_name(&v.to_string(), "Value")), v))
                .collect();
            let default = match default.and_then(Value::as_i64) {
                Some(d) => Some(variants.iter().position(|v| v.1 == d).ok_or_else(|| {
                    Error::at(
                        pointer(at, "default"),
                        format!("default `{d}` is not one of the enum's values"),
                    )
                })?),
                None if variants.len() == 1 => Some(0),
                None => None,
            };
            return Ok(TypeKind::IntEnum(IntEnum {
                variants,
                other: None,
                default,
            }));
        }
        Err(Error::at(
            pointer(at, "enum"),
            "an enum must list only strings or only integers (mixed or non-scalar values are not supported)",
        ))
    }

    fn lower_struct(
        &mut self,
        any: &AnySchema,
        owner_id: TypeId,
        owner: &str,
        at: &str,
    ) -> Result<Struct> {
        let (properties, required) = self.merged_properties(any, at, 0)?;
        for name in required.iter().filter(|r| !properties.contains_key(*r)) {
            self.warn(
                &pointer(at, "required"),
                format!("`{name}` is required but not among the properties; ignored"),
            );
        }
        let mut names = Scope::default();
        let mut fields = Vec::new();
        for (wire, (prop, prop_at)) in properties {
            let hint = format!("{owner}{}", type_name(&wire, "Field"));
            let lowered = self.lower_schema(&prop, &hint, &prop_at)?;
            let name = names.claim(&snake_name(&wire, "field"));
            let mut docs = lowered.docs.clone();
            let direction_note = match (lowered.read_only, lowered.write_only) {
                (true, _) => Some("Read-only: sent by the server, never in requests."),
                (_, true) => Some("Write-only: sent in requests, never returned."),
                _ => None,
            };
            if let Some(note) = direction_note {
                docs = Some(match docs {
                    Some(d) => format!("{d}\n\n{note}"),
                    None => note.to_owned(),
                });
            }
            let is_required = required.contains(&wire);
            let core = lowered.ty.clone();
            let (ty, presence) = if lowered.read_only || lowered.write_only {
                // One direction only, so never required on the other.
                (core.option(), Presence::Optional)
            } else if is_required && lowered.nullable {
                (core.option(), Presence::RequiredNullable)
            } else if is_required {
                (core, Presence::Required)
            } else {
                match &lowered.default {
                    Some(Value::Null) => (core.option(), Presence::Optional),
                    Some(value) => {
                        self.pending_defaults.push(PendingDefault {
                            owner: owner_id,
                            field: fields.len(),
                            value: value.clone(),
                            nullable: lowered.nullable,
                            pointer: prop_at.clone(),
                        });
                        (core.option(), Presence::Optional)
                    }
                    None if lowered.nullable => {
                        (Ty::Option(Box::new(core.option())), Presence::DoubleOption)
                    }
                    None => (core.option(), Presence::Optional),
                }
            };
            fields.push(Field {
                name,
                wire,
                docs,
                ty,
                presence,
                deprecated: lowered.deprecated,
            });
        }
        let additional = match &any.additional_properties {
            Some(AdditionalProperties::Any(true)) => Some(Ty::Any),
            Some(AdditionalProperties::Schema(s)) => {
                let value_at = pointer(at, "additionalProperties");
                let lowered = self.lower_schema(s, &format!("{owner}Value"), &value_at)?;
                Some(lowered.nullable_ty())
            }
            Some(AdditionalProperties::Any(false)) | None => None,
        };
        Ok(Struct {
            fields,
            additional: additional
                .map(|ty| (names.claim("additional_properties"), Ty::Map(Box::new(ty)))),
        })
    }

    fn primitive(&mut self, any: &AnySchema, hint: &str, at: &str) -> Result<Ty> {
        if any.not.is_some() {
            self.warn(at, "`not` is not supported; typed as serde_json::Value");
            return Ok(Ty::Any);
        }
        let typ = match any.typ.as_deref() {
            None if any.items.is_some() => Some("array"),
            None if any.additional_properties.is_some() => Some("object"),
            other => other,
        };
        Ok(match typ {
            Some("string") => match any.format.as_deref() {
                Some("uuid") => Ty::Uuid,
                Some("binary") => Ty::Bytes,
                _ => Ty::String,
            },
            Some("integer") => match any.format.as_deref() {
                Some("int32") => Ty::I32,
                _ => Ty::I64,
            },
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => match &any.items {
                Some(items) => {
                    let items_at = pointer(at, "items");
                    let lowered = self.lower_schema(&unbox(items), &format!("{hint}Item"), &items_at)?;
                    Ty::List(Box::new(lowered.nullable_ty()))
                }
                None => Ty::List(Box::new(Ty::Any)),
            },
            Some("object") => match &any.additional_properties {
                Some(AdditionalProperties::Schema(s)) => {
                    let value_at = pointer(at, "additionalProperties");
                    let lowered = self.lower_schema(s, &format!("{hint}Value"), &value_at)?;
                    Ty::Map(Box::new(lowered.nullable_ty()))
                }
                _ => Ty::JsonObject,
            },
            None => Ty::Any,
            Some(other) => {
                return Err(Error::at(
                    pointer(at, "type"),
                    format!("unknown schema type `{other}` (expected string, integer, number, boolean, array or object)"),
                ))
            }
        })
    }

    fn resolve<T>(
        &self,
        item: &'a ReferenceOr<T>,
        section: &str,
        pick: fn(&'a openapiv3::Components) -> &'a IndexMap<String, ReferenceOr<T>>,
        at: &str,
    ) -> Result<(&'a T, String)> {
        let mut current = item;
        let mut location = at.to_owned();
        for _ in 0..64 {
            match current {
                ReferenceOr::Item(t) => return Ok((t, location)),
                ReferenceOr::Reference { reference } => {
                    location = reference.clone();
                    let prefix = format!("#/components/{section}/");
                    let Some(token) = reference.strip_prefix(&prefix) else {
                        return Err(Error::at(
                            at,
                            format!("$ref `{reference}` must point at {prefix}<name>"),
                        ));
                    };
                    let name = unescape_token(token);
                    current = self
                        .doc
                        .components
                        .as_ref()
                        .and_then(|c| pick(c).get(&name))
                        .ok_or_else(|| {
                            Error::at(
                                at,
                                format!("dangling $ref `{reference}`: there is no `{name}` in #/components/{section}"),
                            )
                        })?;
                }
            }
        }
        Err(Error::at(at, "$ref chain too long or circular"))
    }

    fn examples(&self, media: &'a openapiv3::MediaType, at: &str) -> Result<Vec<Example>> {
        let mut out: Vec<Example> = media
            .example
            .iter()
            .map(|value| Example {
                pointer: pointer(at, "example"),
                value: value.clone(),
            })
            .collect();
        for (name, example) in &media.examples {
            let example_at = pointer(&pointer(at, "examples"), name);
            let (example, _) = self.resolve(example, "examples", |c| &c.examples, &example_at)?;
            if let Some(value) = &example.value {
                out.push(Example {
                    pointer: pointer(&example_at, "value"),
                    value: value.clone(),
                });
            }
        }
        Ok(out)
    }

    fn content(
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
            let ty = match &media.schema {
                Some(schema) => {
                    let lowered =
                        self.lower_schema(schema, &hint, &pointer(&media_at, "schema"))?;
                    Some(lowered.nullable_ty())
                }
                None => None,
            };
            if kind == MediaKind::Multipart && !matches!(ty, Some(Ty::Named(_)) | None) {
                return Err(Error::at(
                    pointer(&media_at, "schema"),
                    "a multipart/form-data body must be an object schema with properties",
                ));
            }
            out.push(Content {
                media_type: media_type.clone(),
                kind,
                ty,
                examples: self.examples(media, &media_at)?,
            });
        }
        Ok(out)
    }

    fn operations(&mut self) -> Result<Vec<Operation>> {
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
                        Some(RequestBody {
                            required: body.required,
                            description: body.description.clone(),
                            content: self.content(
                                &body.content,
                                &format!("{type_stem}Request"),
                                &body_at,
                            )?,
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
                    summary: op.summary.clone(),
                    description: op.description.clone(),
                    tags: op.tags.clone(),
                    deprecated: op.deprecated,
                    params,
                    body,
                    responses,
                    security,
                    pointer: at,
                });
            }
        }
        Ok(operations)
    }

    fn params(
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
            let schema = match &data.format {
                ParameterSchemaOrContent::Schema(schema) => schema,
                ParameterSchemaOrContent::Content(_) => {
                    return Err(Error::at(
                        pointer(&param_at, "content"),
                        "parameters described by `content` are not supported: use `schema`",
                    ))
                }
            };
            let hint = format!("{stem}{}", type_name(&data.name, "Param"));
            let lowered = self.lower_schema(schema, &hint, &pointer(&param_at, "schema"))?;
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
            });
        }
        Ok(out)
    }

    fn responses(
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
            for (name, header) in &response.headers {
                let header_at = pointer(&pointer(&response_at, "headers"), name);
                if name.eq_ignore_ascii_case("content-type") {
                    continue;
                }
                let (header, header_at) =
                    self.resolve(header, "headers", |c| &c.headers, &header_at)?;
                let ParameterSchemaOrContent::Schema(schema) = &header.format else {
                    return Err(Error::at(
                        header_at,
                        "headers described by `content` are not supported",
                    ));
                };
                let lowered = self.lower_schema(
                    schema,
                    &format!("{hint}{}", type_name(name, "Header")),
                    &pointer(&header_at, "schema"),
                )?;
                headers.push(Header {
                    wire: name.clone(),
                    name: snake_name(name, "header"),
                    ty: lowered.ty,
                    required: header.required,
                    docs: header.description.clone(),
                });
            }
            out.push(Response {
                status,
                description: response.description.clone(),
                content: self.content(&response.content, &hint, &response_at)?,
                headers,
            });
        }
        Ok(out)
    }

    fn resolve_defaults(&mut self) {
        for pending in std::mem::take(&mut self.pending_defaults) {
            let TypeKind::Struct(s) = &self.types[pending.owner.0].kind else {
                continue;
            };
            let core = match &s.fields[pending.field].ty {
                Ty::Option(inner) => (**inner).clone(),
                other => other.clone(),
            };
            match default_value(&self.types, &core, &pending.value) {
                Some(value) => {
                    let (ty, value) = if pending.nullable {
                        (core.option(), DefaultValue::Some(Box::new(value)))
                    } else {
                        (core, value)
                    };
                    if let TypeKind::Struct(s) = &mut self.types[pending.owner.0].kind {
                        s.fields[pending.field].ty = ty;
                        s.fields[pending.field].presence = Presence::Defaulted(value);
                    }
                }
                None => self.warn(
                    &pointer(&pending.pointer, "default"),
                    format!(
                        "default {} cannot be written as a value of this field's type; the field stays an Option",
                        pending.value
                    ),
                ),
            }
        }
    }
}

fn default_value(types: &[TypeDef], ty: &Ty, value: &Value) -> Option<DefaultValue> {
    Some(match (ty, value) {
        (Ty::String, Value::String(s)) => DefaultValue::String(s.clone()),
        (Ty::Bool, Value::Bool(b)) => DefaultValue::Bool(*b),
        (Ty::I64, Value::Number(n)) => DefaultValue::Int(n.as_i64()?),
        (Ty::I32, Value::Number(n)) => DefaultValue::Int(i32::try_from(n.as_i64()?).ok()?.into()),
        (Ty::F64, Value::Number(n)) => DefaultValue::Float(n.as_f64()?),
        (Ty::List(_), Value::Array(items)) if items.is_empty() => DefaultValue::EmptyList,
        (Ty::Map(_) | Ty::JsonObject, Value::Object(map)) if map.is_empty() => {
            DefaultValue::EmptyMap
        }
        (Ty::Named(id), value) => match &types[id.0].kind {
            TypeKind::StringEnum(e) => {
                let v = value.as_str()?;
                let variant = e.variants.iter().find(|x| x.value == v)?;
                DefaultValue::Variant(*id, variant.name.clone())
            }
            TypeKind::IntEnum(e) => {
                let v = value.as_i64()?;
                let variant = e.variants.iter().find(|x| x.1 == v)?;
                DefaultValue::Variant(*id, variant.0.clone())
            }
            TypeKind::Alias(inner) => return default_value(types, inner, value),
            _ => return None,
        },
        _ => return None,
    })
}

/// `/v1/files/{file_id}/content` → literals and parameter slots.
fn segments(path: &str, params: &[Param], at: &str) -> Result<Vec<PathSegment>> {
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

fn kind_children(kind: &TypeKind) -> Vec<TypeId> {
    let mut out = Vec::new();
    kind.tys().into_iter().for_each(|ty| ty.named(&mut out));
    out
}

/// Types reachable from a response accept values a newer server may add.
fn mark_from_server(types: &mut [TypeDef], operations: &[Operation]) {
    let mut stack: Vec<TypeId> = Vec::new();
    for op in operations {
        for response in &op.responses {
            for content in &response.content {
                if let Some(ty) = &content.ty {
                    ty.named(&mut stack);
                }
            }
            for header in &response.headers {
                header.ty.named(&mut stack);
            }
        }
    }
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut types[id.0].from_server, true) {
            continue;
        }
        stack.extend(kind_children(&types[id.0].kind));
    }
    for t in types.iter_mut().filter(|t| t.from_server) {
        match &mut t.kind {
            TypeKind::StringEnum(e) if e.variants.len() > 1 => {
                let mut scope = Scope::default();
                e.variants.iter().for_each(|v| {
                    scope.claim(&v.name);
                });
                e.other = Some(scope.claim("Other"));
            }
            TypeKind::IntEnum(e) if e.variants.len() > 1 => {
                let mut scope = Scope::default();
                e.variants.iter().for_each(|v| {
                    scope.claim(&v.0);
                });
                e.other = Some(scope.claim("Other"));
            }
            TypeKind::Union(u) if u.discriminator.is_some() => {
                let mut scope = Scope::default();
                u.variants.iter().for_each(|v| {
                    scope.claim(&v.name);
                });
                u.other = Some(scope.claim("Other"));
            }
            _ => {}
        }
    }
}

/// Rust rejects a type alias that mentions itself; such aliases become newtypes.
fn newtype_self_referencing_aliases(types: &mut [TypeDef]) {
    for start in 0..types.len() {
        let TypeKind::Alias(ty) = &types[start].kind else {
            continue;
        };
        let mut seen = vec![false; types.len()];
        let mut stack = Vec::new();
        ty.named(&mut stack);
        let mut cyclic = false;
        while let Some(id) = stack.pop() {
            if id.0 == start {
                cyclic = true;
                break;
            }
            if std::mem::replace(&mut seen[id.0], true) {
                continue;
            }
            if let TypeKind::Alias(inner) = &types[id.0].kind {
                inner.named(&mut stack);
            }
        }
        if cyclic {
            if let TypeKind::Alias(ty) = &types[start].kind {
                types[start].kind = TypeKind::Newtype(ty.clone());
            }
        }
    }
}

/// Boxes exactly the back edges of a depth-first walk over direct (unboxed) containment,
/// which leaves the containment graph acyclic: every recursive type gets a finite size.
fn box_cycles(types: &mut [TypeDef]) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Active,
        Done,
    }
    fn visit(id: usize, types: &mut [TypeDef], state: &mut [State]) {
        state[id] = State::Active;
        let targets: Vec<Option<TypeId>> = types[id]
            .kind
            .tys()
            .into_iter()
            .map(|ty| ty.direct_named())
            .collect();
        for (slot, target) in targets.into_iter().enumerate() {
            let Some(target) = target else { continue };
            match state[target.0] {
                State::Active => {
                    let mut kind_slots = types[id].kind.tys_mut();
                    let ty = &mut kind_slots[slot];
                    **ty = ty.clone().boxed();
                }
                State::New => visit(target.0, types, state),
                State::Done => {}
            }
        }
        state[id] = State::Done;
    }
    let mut state = vec![State::New; types.len()];
    for id in 0..types.len() {
        if state[id] == State::New {
            visit(id, types, &mut state);
        }
    }
}

/// Which types implement `Default`: decided once here, read by the emitters.
fn mark_defaults(types: &mut [TypeDef]) {
    fn ty_has_default(ty: &Ty, has: &[bool]) -> bool {
        match ty {
            Ty::Named(id) => has[id.0],
            // A required boxed field is a recursion; defaulting it would never end.
            Ty::Box(_) => false,
            _ => true,
        }
    }
    let mut has = vec![true; types.len()];
    loop {
        let mut changed = false;
        for (i, t) in types.iter().enumerate() {
            let value = match &t.kind {
                TypeKind::Struct(s) => s
                    .fields
                    .iter()
                    .all(|f| f.presence != Presence::Required || ty_has_default(&f.ty, &has)),
                TypeKind::StringEnum(e) => e.default.is_some(),
                TypeKind::IntEnum(e) => e.default.is_some(),
                TypeKind::Union(_) => false,
                TypeKind::Alias(ty) | TypeKind::Newtype(ty) => ty_has_default(ty, &has),
            };
            if value != has[i] {
                has[i] = value;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (t, has) in types.iter_mut().zip(has) {
        t.has_default = has;
    }
}
