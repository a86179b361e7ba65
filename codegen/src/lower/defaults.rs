//! Spec `default`s as Rust values, and which types implement `Default`.

use super::*;

pub(super) fn default_value(types: &[TypeDef], ty: &Ty, value: &Value) -> Option<DefaultValue> {
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

/// Which types implement `Default`: decided once here, read by the emitters.
pub(super) fn mark_defaults(types: &mut [TypeDef]) {
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

impl<'a> Lowerer<'a> {
    pub(super) fn resolve_defaults(&mut self) {
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
