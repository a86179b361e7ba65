//! Inline schemas written out again and again (Stripe repeats the same address, metadata
//! and `enum: [""]` shapes in hundreds of request bodies) lower to types that are the same
//! but for their names. Each such type becomes an alias of the first: every name stays,
//! values pass between operations, and the crate holds one definition instead of many
//! (Stripe: about half of the models' text).

use super::*;
// Keyed by long shape strings: SipHash showed in lowering's profile.
use rustc_hash::FxHashMap as HashMap;

/// Makes each inline type an alias of an earlier type it is identical to. Component
/// schemas keep their own definitions (users implement their own traits on them), and so
/// do the types the operations use directly and the types those hold, because the server
/// and client emitters read their shapes (a multipart form's fields, an enum parameter).
pub(super) fn alias_identical_inline_types(types: &mut [TypeDef], operations: &[Operation]) {
    let classes = identical_classes(types);
    let kept = used_by_operations(types, operations);
    let mut first_of_class: HashMap<u32, usize> = HashMap::default();
    // A component schema is the preferred target: its name is the one a reader knows.
    for (i, t) in types.iter().enumerate() {
        if candidate(t) && is_component(t) {
            first_of_class.entry(classes[i]).or_insert(i);
        }
    }
    for (i, t) in types.iter().enumerate() {
        if candidate(t) {
            first_of_class.entry(classes[i]).or_insert(i);
        }
    }
    for i in 0..types.len() {
        if !candidate(&types[i]) || is_component(&types[i]) || kept[i] {
            continue;
        }
        let target = first_of_class[&classes[i]];
        if target != i {
            types[i].kind = TypeKind::Alias(Ty::Named(TypeId(target)));
            let note = format!(
                "The same type as [`{}`]: the schemas are identical.",
                types[target].name
            );
            let docs = &mut types[i].docs;
            *docs = Some(match docs.take() {
                Some(docs) => format!("{docs}\n\n{note}"),
                None => note,
            });
        }
    }
}

/// Aliases and newtypes are not definitions worth sharing.
fn candidate(t: &TypeDef) -> bool {
    !matches!(t.kind, TypeKind::Alias(_) | TypeKind::Newtype(_))
}

fn is_component(t: &TypeDef) -> bool {
    t.pointer
        .strip_prefix("#/components/schemas/")
        .is_some_and(|name| !name.contains('/'))
}

fn used_by_operations(types: &[TypeDef], operations: &[Operation]) -> Vec<bool> {
    let mut direct = Vec::new();
    for op in operations {
        for param in &op.params {
            param.ty.named(&mut direct);
        }
        let bodies = op.body.iter().flat_map(|b| &b.content);
        let responses = op.responses.iter().flat_map(|r| &r.content);
        for content in bodies.chain(responses) {
            if let Some(ty) = &content.ty {
                ty.named(&mut direct);
            }
        }
        for header in op.responses.iter().flat_map(|r| &r.headers) {
            header.ty.named(&mut direct);
        }
    }
    let mut kept = vec![false; types.len()];
    for id in direct {
        kept[id.0] = true;
        for held in kind_children(&types[id.0].kind) {
            kept[held.0] = true;
        }
    }
    kept
}

/// Partition refinement (as in automaton minimization): types start grouped by their shape
/// with the types they name left out, and a group splits until its members also name
/// types of the same groups, in the same places. Recursive types are handled like the rest.
fn identical_classes(types: &[TypeDef]) -> Vec<u32> {
    // Most types have a member or variant list no other type has: they are alone in
    // their class without spelling out their whole shape, which is most of this pass's time.
    let mut by_outline: HashMap<String, u32> = HashMap::default();
    let outlines: Vec<String> = types.iter().map(outline).collect();
    for key in &outlines {
        *by_outline.entry(key.clone()).or_insert(0) += 1;
    }
    let shapes_of = |range: std::ops::Range<usize>| -> Vec<(String, Vec<usize>)> {
        range
            .map(|i| {
                if by_outline[&outlines[i]] > 1 {
                    shape(&types[i], types.len())
                } else {
                    // Unique: a shape no other type can have, and nothing to refine by.
                    (format!("unique {i}"), Vec::new())
                }
            })
            .collect()
    };
    // Spelling shapes out is the costly part: half of them on a second thread.
    let half = types.len() / 2;
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| shapes_of(half..types.len()));
        (shapes_of(0..half), second.join())
    });
    let second = second.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let mut by_shape: HashMap<String, u32> = HashMap::default();
    let mut refs: Vec<Vec<usize>> = Vec::with_capacity(types.len());
    let mut classes: Vec<u32> = Vec::with_capacity(types.len());
    for (shape, named) in first.into_iter().chain(second) {
        let next = by_shape.len() as u32;
        classes.push(*by_shape.entry(shape).or_insert(next));
        refs.push(named);
    }
    let mut count = by_shape.len();
    loop {
        let mut by_key: HashMap<(u32, Vec<u32>), u32> = HashMap::default();
        let refined: Vec<u32> = (0..types.len())
            .map(|i| {
                let key = (classes[i], refs[i].iter().map(|&r| classes[r]).collect());
                let next = by_key.len() as u32;
                *by_key.entry(key).or_insert(next)
            })
            .collect();
        let refined_count = by_key.len();
        classes = refined;
        if refined_count == count {
            return classes;
        }
        count = refined_count;
    }
}

/// The names a type's values are made of: types with different outlines differ.
fn outline(t: &TypeDef) -> String {
    let mut out = String::new();
    match &t.kind {
        TypeKind::Struct(s) => {
            out.push_str("struct");
            for f in &s.fields {
                out.push(' ');
                out.push_str(&f.wire);
            }
        }
        TypeKind::StringEnum(e) => {
            out.push_str("enum");
            for v in &e.variants {
                out.push(' ');
                out.push_str(&v.value);
            }
        }
        TypeKind::IntEnum(e) => out.push_str(&format!("int enum {}", e.variants.len())),
        TypeKind::Union(u) => out.push_str(&format!("union {}", u.variants.len())),
        TypeKind::Alias(_) => out.push_str("alias"),
        TypeKind::Newtype(_) => out.push_str("newtype"),
    }
    out
}

/// What the emitted definition depends on, but for its name, pointer and docs (an alias
/// keeps its own), with each named type cut out and listed in order. (`from_server` has
/// done its work in the kind: an open enum's fallback variant.)
fn shape(t: &TypeDef, type_count: usize) -> (String, Vec<usize>) {
    let text = format!("{:?}|{:?}|{}", t.kind, t.examples, t.has_default);
    const MARK: &str = "TypeId(";
    let mut shape = String::with_capacity(text.len());
    let mut refs = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        shape.push_str(&rest[..at + MARK.len()]);
        match after[..digits].parse::<usize>() {
            Ok(id) if id < type_count && after[digits..].starts_with(')') => refs.push(id),
            // Text that only looks like an id (in a description, say) stays in the shape.
            _ => shape.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    shape.push_str(rest);
    (shape, refs)
}
