//! `oneOf`/`anyOf`/`allOf`: unions, discriminators and merged properties.

use super::*;

/// How an `allOf` is typed (see [`Lowerer::all_of_shape`]).
pub(super) enum AllOfShape {
    /// Every part an object: one struct with all their properties.
    Merge,
    /// One part says what the value is, the others only describe it (`nullable`,
    /// `description`...): that part's type.
    Wrapper(usize),
    /// Objects and non-objects (or unions) together: no Rust type merges them.
    Mixed,
}

/// A part that only annotates (`description`, `nullable`, `default`...), typing nothing.
pub(super) fn is_annotation(any: &Shape) -> bool {
    any.typ.is_none()
        && any.properties.is_empty()
        && any.required.is_empty()
        && any.additional_properties.is_none()
        && any.items.is_none()
        && any.enumeration.is_empty()
        && any.one_of.is_empty()
        && any.any_of.is_empty()
        && any.all_of.is_empty()
        && any.not.is_none()
}

pub(super) fn primitive_variant_name(ty: &Ty) -> String {
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
    /// `oneOf`/`anyOf`: a union, or a single non-null branch.
    pub(super) fn lower_union_parts(
        &mut self,
        any: &Shape,
        declared: Option<&openapiv3::Discriminator>,
        hint: &str,
        at: &str,
        into: Option<TypeId>,
    ) -> Result<Option<Lowered>> {
        let (key, parts) = match (any.one_of.is_empty(), any.any_of.is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => ("oneOf", &any.one_of),
            (true, false) => ("anyOf", &any.any_of),
            (false, false) => {
                // Both must hold; what satisfies both satisfies oneOf, so oneOf types it.
                self.warn(
                    &pointer(at, "anyOf"),
                    "anyOf next to oneOf is not typed: values are typed by the oneOf alone",
                );
                ("oneOf", &any.one_of)
            }
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
                constraints: lowered.constraints.clone(),
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
    pub(super) fn discriminator_of(
        &mut self,
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
                // The mapping is a hint beside the branches the union lists: one that names
                // nothing in the document (a file left over from bundling, say) costs only
                // the tags, not the document.
                let target_schema = match self.canonical_schema(&target_ref, &mapping_at) {
                    Ok(schema) => schema,
                    Err(e) => {
                        let reason = format!(
                            "mapping target `{target}` cannot be followed ({})",
                            e.message
                        );
                        return self.untagged(&pointer(&mapping_at, value), &reason);
                    }
                };
                let mut found = None;
                for (i, (part, _, _, part_at)) in branches.iter().enumerate() {
                    if std::ptr::eq(self.canonical_schema(part, part_at)?, target_schema) {
                        found = Some(i);
                        break;
                    }
                }
                let Some(i) = found else {
                    return self.untagged(
                        &pointer(&mapping_at, value),
                        &format!("mapping target `{target}` is not one of the union's branches"),
                    );
                };
                tags[i].push(value.clone());
            }
            for (i, (part, lowered, _, part_at)) in branches.iter().enumerate() {
                if !matches!(lowered.ty, Ty::Named(_)) || !self.is_object(part, part_at)? {
                    return self.untagged(part_at, "this branch is not an object schema");
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
                                    let why = format!(
                                        "this inline branch has no mapping entry and no single-value `{}` property",
                                        d.property_name
                                    );
                                    return self.untagged(part_at, &why);
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

    /// A declared discriminator the union cannot dispatch on: the union is untagged instead.
    #[allow(clippy::type_complexity)]
    fn untagged(&mut self, at: &str, why: &str) -> Result<Option<(String, Vec<Vec<String>>)>> {
        self.warn(
            at,
            format!(
                "discriminator ignored ({why}): the union is untagged, its branches tried in order"
            ),
        );
        Ok(None)
    }

    /// How an `allOf` types: merged properties, one substantive part, or neither.
    pub(super) fn all_of_shape(&self, any: &Shape, at: &str) -> Result<AllOfShape> {
        let mut substantive = Vec::new();
        let mut all_mergeable = true;
        for (i, part) in any.all_of.iter().enumerate() {
            let part_at = pointer(&pointer(at, "allOf"), &i.to_string());
            let part_any = normalize(self.resolve_schema(part, &part_at)?, &part_at)?;
            if is_annotation(&part_any) {
                continue;
            }
            substantive.push(i);
            all_mergeable &= self.mergeable(&part_any, &part_at, 0)?;
        }
        let own_object = !any.properties.is_empty()
            || !any.required.is_empty()
            || any.additional_properties.is_some();
        Ok(match substantive.as_slice() {
            [] if !own_object && !any.all_of.is_empty() => AllOfShape::Wrapper(0),
            [only] if !own_object => AllOfShape::Wrapper(*only),
            _ if all_mergeable => AllOfShape::Merge,
            _ => AllOfShape::Mixed,
        })
    }

    /// An object schema whose properties can be merged (its own `allOf` parts too).
    fn mergeable(&self, any: &Shape, at: &str, depth: usize) -> Result<bool> {
        let object = matches!(any.typ, None | Some("object"))
            && any.enumeration.is_empty()
            && any.items.is_none()
            && any.one_of.is_empty()
            && any.any_of.is_empty();
        if !object || depth > 32 {
            return Ok(object);
        }
        for (i, part) in any.all_of.iter().enumerate() {
            let part_at = pointer(&pointer(at, "allOf"), &i.to_string());
            let part_any = normalize(self.resolve_schema(part, &part_at)?, &part_at)?;
            if !is_annotation(&part_any) && !self.mergeable(&part_any, &part_at, depth + 1)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub(super) fn is_object(&self, schema: &ReferenceOr<Schema>, at: &str) -> Result<bool> {
        let s = self.canonical_schema(schema, at)?;
        let any = normalize(s, at)?;
        Ok(any.typ == Some("object") || !any.properties.is_empty() || !any.all_of.is_empty())
    }

    /// The schema a reference or an `allOf` wrapper (one substantive part) stands for, for
    /// identity checks.
    pub(super) fn canonical_schema<'s>(
        &self,
        schema: &'s ReferenceOr<Schema>,
        at: &str,
    ) -> Result<&'s Schema>
    where
        'a: 's,
    {
        let mut current = self.resolve_schema(schema, at)?;
        for _ in 0..64 {
            let SchemaKind::AllOf { all_of } = &current.schema_kind else {
                return Ok(current);
            };
            let any = normalize(current, at)?;
            match self.all_of_shape(&any, at)? {
                AllOfShape::Wrapper(i) => current = self.resolve_schema(&all_of[i], at)?,
                _ => return Ok(current),
            }
        }
        Err(Error::at(at, "allOf wrappers nested too deep (circular?)"))
    }

    /// Required properties whose schema allows exactly one string: the branch's constant tags.
    pub(super) fn const_tags(
        &self,
        schema: &ReferenceOr<Schema>,
        at: &str,
    ) -> Result<IndexMap<String, String>> {
        let s = self.resolve_schema(schema, at)?;
        let any = normalize(s, at)?;
        let mut out = IndexMap::new();
        if !self.mergeable(&any, at, 0)? {
            return Ok(out);
        }
        let (properties, required) = self.merged_properties(&any, at, 0)?;
        for (name, (prop, prop_at)) in properties {
            if !required.contains(&name) {
                continue;
            }
            let prop_schema = self.resolve_node(prop, &prop_at)?;
            let prop_any = normalize(prop_schema, &prop_at)?;
            if let [Value::String(v)] = prop_any.enumeration.as_slice() {
                out.insert(name, v.clone());
            }
        }
        Ok(out)
    }

    /// Properties and `required` of an object schema, its `allOf` parts merged in order.
    #[allow(clippy::type_complexity)]
    pub(super) fn merged_properties<'s>(
        &self,
        any: &Shape<'s>,
        at: &str,
        depth: usize,
    ) -> Result<(IndexMap<String, (Node<'s>, String)>, Vec<String>)>
    where
        'a: 's,
    {
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
            if is_annotation(&part_any) {
                continue;
            }
            // A part may be a bare `{required: [...]}`: only other types and unions are refused.
            let is_object = matches!(part_any.typ, None | Some("object"))
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
        for (name, prop) in any.properties {
            let prop_at = pointer(&pointer(at, "properties"), name);
            properties.insert(name.clone(), (prop.node(), prop_at));
        }
        required.extend(any.required.iter().cloned());
        Ok((properties, required))
    }
}
