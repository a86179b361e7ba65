//! Whole-API passes over the types: server reachability, self-referencing aliases, Box on cycles.

use super::*;

pub(super) fn kind_children(kind: &TypeKind) -> Vec<TypeId> {
    let mut out = Vec::new();
    kind.tys().into_iter().for_each(|ty| ty.named(&mut out));
    out
}

/// Types reachable from a response accept values a newer server may add.
pub(super) fn mark_from_server(types: &mut [TypeDef], operations: &[Operation]) {
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
pub(super) fn newtype_self_referencing_aliases(types: &mut [TypeDef]) {
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
pub(super) fn box_cycles(types: &mut [TypeDef]) {
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
