//! Schemas → types: components, inline schemas, enums, structs, primitives and `$ref`s.

use super::*;

/// One shape for every schema kind, so the lowering has one place per decision.
pub(super) fn normalize(schema: &Schema, at: &str) -> Result<AnySchema> {
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

pub(super) fn format_name<T: serde::Serialize>(format: &T, at: &str) -> Result<Option<String>> {
    let value = serde_json::to_value(format).map_err(|e| Error::at(at, e.to_string()))?;
    Ok(value.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
}

/// Field by field (not through `serde_json::Value`, whose maps would lose property order).
pub(super) fn type_to_any(t: &openapiv3::Type, at: &str) -> Result<AnySchema> {
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
            exclusive_minimum: Some(n.exclusive_minimum),
            exclusive_maximum: Some(n.exclusive_maximum),
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
            exclusive_minimum: Some(i.exclusive_minimum),
            exclusive_maximum: Some(i.exclusive_maximum),
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

/// The constraints of a schema the Rust type cannot hold.
pub(super) fn constraints_of(any: &AnySchema) -> Constraints {
    let bound = |value: Option<f64>, exclusive: Option<bool>| {
        value.map(|value| Bound {
            value,
            exclusive: exclusive.unwrap_or(false),
        })
    };
    Constraints {
        minimum: bound(any.minimum, any.exclusive_minimum),
        maximum: bound(any.maximum, any.exclusive_maximum),
        min_length: any.min_length.filter(|n| *n > 0),
        max_length: any.max_length,
        pattern: any.pattern.clone(),
        min_items: any.min_items.filter(|n| *n > 0),
        max_items: any.max_items,
    }
}

pub(super) fn unbox(schema: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match schema {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(s) => ReferenceOr::Item((**s).clone()),
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

    pub(super) fn schema_ref(&self, reference: &str, at: &str) -> Result<TypeId> {
        self.component(reference, at).map(|(id, _)| id)
    }

    /// The component schema a `$ref` names: its type slot and its definition.
    pub(super) fn component(
        &self,
        reference: &str,
        at: &str,
    ) -> Result<(TypeId, &'a ReferenceOr<Schema>)> {
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
                    current = self.component(reference, at)?.1;
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
                    constraints: constraints_of(&normalize(target, at)?),
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
    pub(super) fn admits_null(&self, schema: &Schema, at: &str) -> Result<bool> {
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

    pub(super) fn lower_inline(
        &mut self,
        schema: &Schema,
        hint: &str,
        at: &str,
    ) -> Result<Lowered> {
        if let Some(done) = self.lowered_at.get(at) {
            return Ok(done.clone());
        }
        let lowered = self.lower_inline_into(schema, hint, at, None)?;
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
            constraints: constraints_of(&any),
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
            if lowered.constraints.is_empty() {
                lowered.constraints = inner.constraints;
            }
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

    pub(super) fn needs_named_type(&self, any: &AnySchema) -> bool {
        let has_values = any.enumeration.iter().any(|v| !v.is_null());
        let enum_kind = matches!(any.typ.as_deref(), Some("string") | Some("integer") | None)
            && has_values
            && any
                .enumeration
                .iter()
                .all(|v| v.is_null() || v.is_string() || v.is_i64());
        enum_kind || !any.properties.is_empty() || any.all_of.len() > 1
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

    pub(super) fn lower_enum(
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

    pub(super) fn lower_struct(
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
                constraints: lowered.constraints,
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

    pub(super) fn primitive(&mut self, any: &AnySchema, hint: &str, at: &str) -> Result<Ty> {
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
