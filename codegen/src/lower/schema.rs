//! Schemas → types: components, inline schemas, enums, structs, primitives and `$ref`s.

use super::composition::AllOfShape;
use super::*;

type Properties = IndexMap<String, ReferenceOr<Box<Schema>>>;

/// One shape for every schema kind, so the lowering has one place per decision. Borrowed
/// from the document: normalizing never copies a subtree (it runs for every schema, and
/// for every `$ref`'s target).
#[derive(Debug)]
pub(super) struct Shape<'s> {
    pub typ: Option<&'s str>,
    pub format: Option<String>,
    pub properties: &'s Properties,
    pub required: &'s [String],
    pub additional_properties: Option<&'s AdditionalProperties>,
    pub items: Option<&'s ReferenceOr<Box<Schema>>>,
    /// Scalars; small, so owned (the typed kinds spell them differently).
    pub enumeration: Vec<Value>,
    pub one_of: &'s [ReferenceOr<Schema>],
    pub any_of: &'s [ReferenceOr<Schema>],
    pub all_of: &'s [ReferenceOr<Schema>],
    pub not: Option<&'s ReferenceOr<Schema>>,
    /// Validation keywords the Rust type cannot hold (checked by generated `Validate` impls).
    pub constraints: Constraints,
}

fn no_properties() -> &'static Properties {
    static EMPTY: std::sync::OnceLock<Properties> = std::sync::OnceLock::new();
    EMPTY.get_or_init(IndexMap::new)
}

impl<'s> Shape<'s> {
    fn empty() -> Self {
        Shape {
            typ: None,
            format: None,
            properties: no_properties(),
            required: &[],
            additional_properties: None,
            items: None,
            enumeration: Vec::new(),
            one_of: &[],
            any_of: &[],
            all_of: &[],
            not: None,
            constraints: Constraints::default(),
        }
    }
}

pub(super) fn normalize<'s>(schema: &'s Schema, at: &str) -> Result<Shape<'s>> {
    let mut shape = kind_shape(schema, at)?;
    // The Rust type keeps only `uuid` and `binary`; the mock's made values honour the rest.
    shape.constraints.format = shape.format.clone();
    // An inline item schema's constraints (Stripe's `expand: {items: {maxLength: 5000}}`),
    // checked on every item. A referenced item type's are its own type's business.
    if let Some(ReferenceOr::Item(item)) = shape.items {
        let item = normalize(item, &pointer(at, "items"))?.constraints;
        if !item.is_empty() {
            shape.constraints.items = Some(Box::new(item));
        }
    }
    // `anyOf: [{required: [a]}, {required: [b]}]` next to properties says which must be
    // present, not what the value is: a check, not a type (GitHub's request bodies).
    for union in [&mut shape.one_of, &mut shape.any_of] {
        if !union.is_empty() && union.iter().all(is_constraint_only) {
            *union = &[];
        }
    }
    Ok(shape)
}

/// A union branch that only requires properties (no type, no nullability).
fn is_constraint_only(part: &ReferenceOr<Schema>) -> bool {
    let ReferenceOr::Item(s) = part else {
        return false;
    };
    match &s.schema_kind {
        SchemaKind::Any(a) => {
            !s.schema_data.nullable
                && a.typ.is_none()
                && a.properties.is_empty()
                && a.additional_properties.is_none()
                && a.items.is_none()
                && a.enumeration.is_empty()
                && a.one_of.is_empty()
                && a.any_of.is_empty()
                && a.all_of.is_empty()
                && a.not.is_none()
        }
        _ => false,
    }
}

fn kind_shape<'s>(schema: &'s Schema, at: &str) -> Result<Shape<'s>> {
    Ok(match &schema.schema_kind {
        SchemaKind::Type(t) => type_shape(t, at)?,
        SchemaKind::OneOf { one_of } => Shape {
            one_of,
            ..Shape::empty()
        },
        SchemaKind::AnyOf { any_of } => Shape {
            any_of,
            ..Shape::empty()
        },
        SchemaKind::AllOf { all_of } => Shape {
            all_of,
            ..Shape::empty()
        },
        SchemaKind::Not { not } => Shape {
            not: Some(not),
            ..Shape::empty()
        },
        SchemaKind::Any(any) => Shape {
            typ: any.typ.as_deref(),
            format: any.format.clone(),
            properties: &any.properties,
            required: &any.required,
            additional_properties: any.additional_properties.as_ref(),
            items: any.items.as_ref(),
            enumeration: any.enumeration.clone(),
            one_of: &any.one_of,
            any_of: &any.any_of,
            all_of: &any.all_of,
            not: any.not.as_deref(),
            constraints: Constraints {
                minimum: bound(any.minimum, any.exclusive_minimum.unwrap_or(false)),
                maximum: bound(any.maximum, any.exclusive_maximum.unwrap_or(false)),
                min_length: any.min_length.filter(|n| *n > 0),
                max_length: any.max_length,
                pattern: any.pattern.clone(),
                min_items: any.min_items.filter(|n| *n > 0),
                max_items: any.max_items,
                multiple_of: any.multiple_of,
                ..Constraints::default()
            },
        },
    })
}

fn bound(value: Option<f64>, exclusive: bool) -> Option<Bound> {
    value.map(|value| Bound { value, exclusive })
}

/// Deeper than any real document's inline schemas; bounds recursion on hostile input.
const MAX_INLINE_NESTING: usize = 64;

pub(super) fn format_name<T: serde::Serialize>(format: &T, at: &str) -> Result<Option<String>> {
    let value = serde_json::to_value(format).map_err(|e| Error::at(at, e.to_string()))?;
    Ok(value.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
}

fn type_shape<'s>(t: &'s openapiv3::Type, at: &str) -> Result<Shape<'s>> {
    use openapiv3::Type;
    Ok(match t {
        Type::String(s) => Shape {
            typ: Some("string"),
            format: format_name(&s.format, at)?,
            enumeration: s
                .enumeration
                .iter()
                .map(|v| v.clone().map(Value::String).unwrap_or(Value::Null))
                .collect(),
            constraints: Constraints {
                min_length: s.min_length.filter(|n| *n > 0),
                max_length: s.max_length,
                pattern: s.pattern.clone(),
                ..Constraints::default()
            },
            ..Shape::empty()
        },
        Type::Number(n) => Shape {
            typ: Some("number"),
            format: format_name(&n.format, at)?,
            constraints: Constraints {
                minimum: bound(n.minimum, n.exclusive_minimum),
                maximum: bound(n.maximum, n.exclusive_maximum),
                multiple_of: n.multiple_of,
                ..Constraints::default()
            },
            enumeration: n
                .enumeration
                .iter()
                .map(|v| {
                    v.and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                        .unwrap_or(Value::Null)
                })
                .collect(),
            ..Shape::empty()
        },
        Type::Integer(i) => Shape {
            typ: Some("integer"),
            format: format_name(&i.format, at)?,
            constraints: Constraints {
                minimum: bound(i.minimum.map(|v| v as f64), i.exclusive_minimum),
                maximum: bound(i.maximum.map(|v| v as f64), i.exclusive_maximum),
                multiple_of: i.multiple_of.map(|v| v as f64),
                ..Constraints::default()
            },
            enumeration: i
                .enumeration
                .iter()
                .map(|v| v.map(Value::from).unwrap_or(Value::Null))
                .collect(),
            ..Shape::empty()
        },
        Type::Boolean(b) => Shape {
            typ: Some("boolean"),
            constraints: Constraints {
                bool_value: one_boolean(&b.enumeration),
                ..Constraints::default()
            },
            enumeration: b
                .enumeration
                .iter()
                .map(|v| v.map(Value::Bool).unwrap_or(Value::Null))
                .collect(),
            ..Shape::empty()
        },
        Type::Object(o) => Shape {
            typ: Some("object"),
            properties: &o.properties,
            required: &o.required,
            additional_properties: o.additional_properties.as_ref(),
            ..Shape::empty()
        },
        Type::Array(a) => Shape {
            typ: Some("array"),
            items: a.items.as_ref(),
            constraints: Constraints {
                min_items: a.min_items.filter(|n| *n > 0),
                max_items: a.max_items,
                ..Constraints::default()
            },
            ..Shape::empty()
        },
    })
}

/// The value a boolean `enum` allows when it allows one (`[true]`, `[false, null]`).
fn one_boolean(values: &[Option<bool>]) -> Option<bool> {
    let mut allowed = values.iter().flatten();
    let first = *allowed.next()?;
    allowed.all(|v| *v == first).then_some(first)
}

/// A schema or a `$ref`, borrowed: `properties` and `items` box their schemas, unions
/// and `allOf` do not, and lowering takes either without copying.
#[derive(Clone, Copy)]
pub(super) enum Node<'s> {
    Ref(&'s str),
    Item(&'s Schema),
}

pub(super) trait AsNode {
    fn node(&self) -> Node<'_>;
}

impl AsNode for ReferenceOr<Schema> {
    fn node(&self) -> Node<'_> {
        match self {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(s) => Node::Item(s),
        }
    }
}

impl AsNode for Node<'_> {
    fn node(&self) -> Node<'_> {
        *self
    }
}

impl AsNode for ReferenceOr<Box<Schema>> {
    fn node(&self) -> Node<'_> {
        match self {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(s) => Node::Item(s),
        }
    }
}

/// `{nullable: true}` or `{enum: [null]}` alone: the `null` branch of a union.
pub(super) fn is_null_only(schema: &ReferenceOr<Schema>) -> bool {
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

impl<'a> Lowerer<'a> {
    pub(super) fn schemas(&self) -> Option<&'a IndexMap<String, ReferenceOr<Schema>>> {
        self.doc.components.as_ref().map(|c| &c.schemas)
    }

    pub(super) fn components(&mut self) -> Result<()> {
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
            self.lower_named(id, schema, &at)?;
        }
        Ok(())
    }

    /// Fills a named type's slot (a component, or a schema a pointer `$ref` names).
    fn lower_named(&mut self, id: TypeId, schema: &ReferenceOr<Schema>, at: &str) -> Result<()> {
        let name = self.types[id.0].name.clone();
        let kind = match schema {
            ReferenceOr::Reference { reference } => {
                let target = self.schema_ref(reference, at)?;
                // Follows the chain, so `A: {$ref: A}` is an error, not an empty type.
                self.resolve_schema(schema, at)?;
                TypeKind::Alias(Ty::Named(target))
            }
            ReferenceOr::Item(s) => self.lower_kind(s, &name, at, id)?,
        };
        self.types[id.0].kind = kind;
        Ok(())
    }

    /// The named type a schema `$ref` stands for; a pointer's type is made on first use.
    pub(super) fn schema_ref(&mut self, reference: &str, at: &str) -> Result<TypeId> {
        self.named_schema_ref(reference, at, &pointer_hint(reference))
    }

    /// As [`Self::schema_ref`]; a pointer's new type is named from `hint`.
    fn named_schema_ref(&mut self, reference: &str, at: &str, hint: &str) -> Result<TypeId> {
        if let Some(id) = self.component_id(reference, at)? {
            return Ok(id);
        }
        if let Some(id) = self.pointer_types.get(reference) {
            return Ok(*id);
        }
        let schema = self.referenced(reference, at)?;
        let docs = match schema {
            ReferenceOr::Item(s) => docs_of(
                s.schema_data.title.as_ref(),
                s.schema_data.description.as_ref(),
            ),
            ReferenceOr::Reference { .. } => None,
        };
        let id = self.new_type(hint, reference, docs);
        self.pointer_types.insert(reference.to_owned(), id);
        self.lower_named(id, schema, reference)?;
        Ok(id)
    }

    /// `Some` for `#/components/schemas/<name>` (an error when no such component exists).
    fn component_id(&self, reference: &str, at: &str) -> Result<Option<TypeId>> {
        if !crate::load::is_component_schema_ref(reference) {
            return Ok(None);
        }
        let name = unescape_token(&reference[SCHEMA_PREFIX.len()..]);
        match self.components.get(&name) {
            Some(id) => Ok(Some(*id)),
            None => Err(Error::at(
                at,
                format!("dangling $ref `{reference}`: there is no schema `{name}` in #/components/schemas"),
            )),
        }
    }

    /// The definition a schema `$ref` names (one step, not following further references).
    pub(super) fn referenced(&self, reference: &str, at: &str) -> Result<&'a ReferenceOr<Schema>> {
        if self.component_id(reference, at)?.is_some() {
            let name = unescape_token(&reference[SCHEMA_PREFIX.len()..]);
            if let Some(schema) = self.schemas().and_then(|s| s.get(&name)) {
                return Ok(schema);
            }
        }
        match self.pointer_schemas.get(reference) {
            Some(Ok(schema)) => Ok(schema),
            Some(Err(message)) => Err(Error::at(at, message.clone())),
            None if reference.starts_with('#') => Err(Error::at(
                at,
                format!("dangling $ref `{reference}`: nothing in the document is at that pointer"),
            )),
            None => Err(Error::at(
                at,
                format!("external $ref `{reference}` is not supported: bundle the document into one file first"),
            )),
        }
    }

    /// The schema object a `$ref` names, through chains of references.
    pub(super) fn resolve_ref(&self, reference: &str, at: &str) -> Result<&'a Schema> {
        let first = self.referenced(reference, at)?;
        self.resolve_schema(first, at)
    }

    /// A node's schema object: itself, or what its `$ref` names.
    pub(super) fn resolve_node<'s>(&self, node: Node<'s>, at: &str) -> Result<&'s Schema>
    where
        'a: 's,
    {
        match node {
            Node::Ref(reference) => self.resolve_ref(reference, at),
            Node::Item(s) => Ok(s),
        }
    }

    /// Follows `$ref`s to the schema object they name (for merging and tag detection).
    pub(super) fn resolve_schema<'s>(
        &self,
        schema: &'s ReferenceOr<Schema>,
        at: &str,
    ) -> Result<&'s Schema>
    where
        'a: 's,
    {
        let mut current = schema;
        for _ in 0..64 {
            match current {
                ReferenceOr::Item(s) => return Ok(s),
                ReferenceOr::Reference { reference } => {
                    current = self.referenced(reference, at)?;
                }
            }
        }
        Err(Error::at(
            at,
            format!("$ref chain too long or circular at `{at}`"),
        ))
    }

    pub(super) fn lower_schema(
        &mut self,
        schema: &(impl AsNode + ?Sized),
        hint: &str,
        at: &str,
    ) -> Result<Lowered> {
        match schema.node() {
            Node::Ref(reference) => {
                let id = self.schema_ref(reference, at)?;
                let target = self.resolve_ref(reference, at)?;
                let data = &target.schema_data;
                Ok(Lowered {
                    nullable: self.admits_null(target, at, 0)?,
                    constraints: normalize(target, at)?.constraints,
                    default: default_of(data),
                    read_only: data.read_only,
                    write_only: data.write_only,
                    deprecated: data.deprecated,
                    ..Lowered::plain(Ty::Named(id))
                })
            }
            Node::Item(s) => self.lower_inline(s, hint, at),
        }
    }

    /// Whether a schema admits `null`: `nullable`, a `null` enum member or union branch, or
    /// a single-`allOf` wrapper around such a schema. Read from the document, so a
    /// reference gets it whether or not its target was lowered yet.
    pub(super) fn admits_null(&self, schema: &Schema, at: &str, depth: usize) -> Result<bool> {
        if schema.schema_data.nullable {
            return Ok(true);
        }
        let any = normalize(schema, at)?;
        if any.enumeration.iter().any(Value::is_null)
            || any.one_of.iter().chain(any.any_of).any(is_null_only)
        {
            return Ok(true);
        }
        // `A: {allOf: [{$ref: A}]}` says nothing about null: stop rather than loop.
        if any.all_of.is_empty() || depth >= 64 {
            return Ok(false);
        }
        if !matches!(self.all_of_shape(&any, at)?, AllOfShape::Wrapper(_)) {
            return Ok(false);
        }
        for part in any.all_of {
            if self.admits_null(self.resolve_schema(part, at)?, at, depth + 1)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(super) fn lower_inline(
        &mut self,
        schema: &Schema,
        hint: &str,
        at: &str,
    ) -> Result<Lowered> {
        if let Some(done) = self.lowered_at.get(at) {
            return Ok(done.clone());
        }
        if self.pointer_schemas.contains_key(at) {
            // A `$ref` elsewhere names this very schema: one location, one type.
            self.named_schema_ref(at, at, hint)?;
            let lowered = self.lower_schema(&Node::Ref(at), hint, at)?;
            self.lowered_at.insert(at.to_owned(), lowered.clone());
            return Ok(lowered);
        }
        if let Some(id) = self.inline_types.get(at) {
            // Reached again while its own contents are lowered (a merged `allOf` part whose
            // property is this schema): recursion, boxed like any other.
            return Ok(Lowered {
                nullable: schema.schema_data.nullable,
                ..Lowered::plain(Ty::Named(*id))
            });
        }
        if !self.inline_in_progress.insert(at.to_owned()) {
            self.warn(
                at,
                "this schema contains itself before it has a name (through allOf or a union); the inner occurrence is typed as serde_json::Value",
            );
            return Ok(Lowered::plain(Ty::Any));
        }
        if self.inline_in_progress.len() > MAX_INLINE_NESTING {
            return Err(Error::at(at, "inline schemas nest too deeply"));
        }
        let lowered = self.lower_inline_into(schema, hint, at, None);
        self.inline_in_progress.remove(at);
        let lowered = lowered?;
        self.lowered_at.insert(at.to_owned(), lowered.clone());
        Ok(lowered)
    }

    /// `into`: the component slot a union fills in place of a new type.
    pub(super) fn lower_inline_into(
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
            constraints: any.constraints.clone(),
            default: default_of(data),
            docs: docs_of(data.title.as_ref(), data.description.as_ref()),
            read_only: data.read_only,
            write_only: data.write_only,
            deprecated: data.deprecated,
            ..Lowered::plain(Ty::Any)
        };
        if !any.all_of.is_empty() && any.one_of.is_empty() && any.any_of.is_empty() {
            match self.all_of_shape(&any, at)? {
                // How 3.0 spells a described or nullable `$ref`: `allOf: [$ref]` next to
                // `nullable`, or `allOf: [$ref, {nullable: true}]`.
                AllOfShape::Wrapper(i) => {
                    let inner_at = pointer(&pointer(at, "allOf"), &i.to_string());
                    let inner = self.lower_schema(&any.all_of[i], hint, &inner_at)?;
                    for (j, part) in any.all_of.iter().enumerate().filter(|(j, _)| *j != i) {
                        let part_at = pointer(&pointer(at, "allOf"), &j.to_string());
                        lowered.nullable |=
                            self.resolve_schema(part, &part_at)?.schema_data.nullable;
                    }
                    lowered.ty = inner.ty;
                    lowered.nullable |= inner.nullable;
                    lowered.docs = lowered.docs.or(inner.docs);
                    lowered.default = lowered.default.or(inner.default);
                    if lowered.constraints.is_empty() {
                        lowered.constraints = inner.constraints;
                    }
                    return Ok(lowered);
                }
                AllOfShape::Mixed => {
                    self.warn(
                        &pointer(at, "allOf"),
                        "allOf of object and non-object parts (or unions) has no Rust type; typed as serde_json::Value",
                    );
                    return Ok(lowered);
                }
                AllOfShape::Merge => {}
            }
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
            self.inline_types.insert(at.to_owned(), id);
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

    pub(super) fn needs_named_type(&self, any: &Shape) -> bool {
        let has_values = any.enumeration.iter().any(|v| !v.is_null());
        let enum_kind = matches!(any.typ, Some("string") | Some("integer") | None) && has_values;
        // `{type: object, additionalProperties: false}`: no member allowed (Stripe's GET
        // bodies), a struct without fields that refuses any, not an open JSON object.
        let closed_empty = any.typ == Some("object")
            && matches!(
                any.additional_properties,
                Some(AdditionalProperties::Any(false))
            );
        enum_kind || !any.properties.is_empty() || any.all_of.len() > 1 || closed_empty
    }

    /// The kind of a named type: a component, or an inline schema that needs a name.
    pub(super) fn lower_kind(
        &mut self,
        schema: &Schema,
        name: &str,
        at: &str,
        id: TypeId,
    ) -> Result<TypeKind> {
        let any = normalize(schema, at)?;
        let merges =
            any.all_of.is_empty() || matches!(self.all_of_shape(&any, at)?, AllOfShape::Merge);
        if self.needs_named_type(&any) && any.one_of.is_empty() && any.any_of.is_empty() && merges {
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

    pub(super) fn lower_enum(
        &mut self,
        any: &Shape,
        default: Option<&Value>,
        at: &str,
    ) -> Result<TypeKind> {
        let as_written = |v: &Value| match v {
            // `enum: [1, 2]` under `type: string` is YAML's unquoted "1", "2".
            Value::Number(_) | Value::Bool(_) if any.typ == Some("string") => {
                Value::String(v.to_string())
            }
            other => other.clone(),
        };
        let mut values: Vec<Value> = Vec::new();
        // Strings (nearly every enum, some of hundreds of values) deduplicated by hash, the
        // rest one by one (no other value equals a string).
        let mut strings = rustc_hash::FxHashSet::default();
        for v in any
            .enumeration
            .iter()
            .filter(|v| !v.is_null())
            .map(as_written)
        {
            let new = match &v {
                Value::String(s) => strings.insert(s.clone()),
                other => !values.contains(other),
            };
            if new {
                values.push(v);
            }
        }
        let default = default.map(as_written);
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
            let default = match default.as_ref().and_then(Value::as_str) {
                Some(d) => self.default_variant(variants.iter().position(|v| v.value == d), d, at),
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
            let default = match default.as_ref().and_then(Value::as_i64) {
                Some(d) => self.default_variant(variants.iter().position(|v| v.1 == d), d, at),
                None if variants.len() == 1 => Some(0),
                None => None,
            };
            return Ok(TypeKind::IntEnum(IntEnum {
                variants,
                other: None,
                default,
            }));
        }
        let (ty, what) = if values.iter().all(Value::is_number) {
            (Ty::F64, "f64")
        } else if values.iter().all(Value::is_boolean) {
            (Ty::Bool, "bool")
        } else {
            (Ty::Any, "serde_json::Value")
        };
        self.warn(
            &pointer(at, "enum"),
            format!("an enum of these values has no Rust enum; typed as {what}, the allowed values are not checked"),
        );
        Ok(TypeKind::Alias(ty))
    }

    /// The default's variant; a default outside the enum is ignored with a warning.
    fn default_variant(
        &mut self,
        found: Option<usize>,
        default: impl std::fmt::Display,
        at: &str,
    ) -> Option<usize> {
        if found.is_none() {
            self.warn(
                &pointer(at, "default"),
                format!("default `{default}` is not one of the enum's values; ignored"),
            );
        }
        found
    }

    pub(super) fn lower_struct(
        &mut self,
        any: &Shape,
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
                nullable: lowered.nullable || matches!(lowered.default, Some(Value::Null)),
                deprecated: lowered.deprecated,
                constraints: lowered.constraints,
            });
        }
        let additional = match &any.additional_properties {
            Some(AdditionalProperties::Any(true)) => Some(Ty::Any),
            Some(AdditionalProperties::Schema(s)) => {
                let value_at = pointer(at, "additionalProperties");
                let lowered = self.lower_schema(&**s, &format!("{owner}Value"), &value_at)?;
                Some(lowered.nullable_ty())
            }
            Some(AdditionalProperties::Any(false)) | None => None,
        };
        Ok(Struct {
            closed: matches!(
                any.additional_properties,
                Some(AdditionalProperties::Any(false))
            ),
            fields,
            additional: additional
                .map(|ty| (names.claim("additional_properties"), Ty::Map(Box::new(ty)))),
        })
    }

    pub(super) fn primitive(&mut self, any: &Shape, hint: &str, at: &str) -> Result<Ty> {
        if any.not.is_some() {
            self.warn(at, "`not` is not supported; typed as serde_json::Value");
            return Ok(Ty::Any);
        }
        let typ = match any.typ {
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
                    let lowered = self.lower_schema(*items, &format!("{hint}Item"), &items_at)?;
                    Ty::List(Box::new(lowered.nullable_ty()))
                }
                None => Ty::List(Box::new(Ty::Any)),
            },
            Some("object") => match &any.additional_properties {
                Some(AdditionalProperties::Schema(s)) => {
                    let value_at = pointer(at, "additionalProperties");
                    let lowered = self.lower_schema(&**s, &format!("{hint}Value"), &value_at)?;
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

    pub(super) fn resolve<T>(
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
}
