//! `pattern`s are checked by the generated crates with regex-lite, which has no
//! look-around or backreferences (ECMA 262 has). A pattern it cannot compile is dropped
//! with a warning here, so the generated code checks every pattern it carries.

use super::*;

pub(super) fn drop_uncheckable_patterns(
    types: &mut [TypeDef],
    operations: &mut [Operation],
    warnings: &mut Vec<Warning>,
) {
    let mut compiles: HashMap<String, Option<String>> = HashMap::new();
    let mut check = |constraints: &mut Constraints, at: String, what: &str| {
        let Some(pattern) = &constraints.pattern else {
            return;
        };
        let error = compiles
            .entry(pattern.clone())
            .or_insert_with(|| codegen_runtime::validate::Matcher::new(pattern).err());
        if let Some(error) = error {
            warnings.push(Warning {
                pointer: at,
                message: format!(
                    "{what}: pattern `{pattern}` is not checked, regex-lite cannot compile it ({})",
                    error.lines().next().unwrap_or_default()
                ),
            });
            constraints.pattern = None;
        }
    };
    for t in types.iter_mut() {
        if let TypeKind::Struct(s) = &mut t.kind {
            for f in &mut s.fields {
                let at = pointer(&pointer(&t.pointer, "properties"), &f.wire);
                check(&mut f.constraints, at, &format!("property `{}`", f.wire));
            }
        }
    }
    for op in operations.iter_mut() {
        for p in &mut op.params {
            let at = pointer(&op.pointer, "parameters");
            check(&mut p.constraints, at, &format!("parameter `{}`", p.wire));
        }
    }
}
