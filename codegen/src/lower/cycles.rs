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

/// Largest value a type may hold inline in another (bytes, estimated as rustc lays types
/// out, upper bounds): a larger one is boxed where it is held. Generated values live on the
/// stack of a server's worker (2 MiB): Stripe's `ApiErrors` held `PaymentIntent` (965 KB)
/// inline, so every response enum carrying an error took 1.26 MB and the mock overflowed
/// answering any request.
const INLINE_LIMIT: usize = 2048;

/// Boxes every field, variant or alias target whose type is larger than [`INLINE_LIMIT`],
/// innermost first, so no type is larger than its slots times the limit. Runs after
/// [`box_cycles`]: direct containment is then acyclic.
pub(super) fn box_large(types: &mut [TypeDef]) {
    fn ty_size(ty: &Ty, sizes: &[Option<usize>]) -> usize {
        match ty {
            Ty::Bool => 1,
            Ty::I32 => 4,
            Ty::I64 | Ty::F64 | Ty::Box(_) => 8,
            Ty::Uuid => 16,
            Ty::String | Ty::Bytes | Ty::List(_) | Ty::Map(_) => 24,
            Ty::Any | Ty::JsonObject => 32,
            Ty::Option(inner) => ty_size(inner, sizes) + 8,
            Ty::Named(id) => sizes[id.0].unwrap_or(8),
        }
    }
    fn visit(id: usize, types: &mut [TypeDef], sizes: &mut Vec<Option<usize>>) {
        if sizes[id].is_some() {
            return;
        }
        // In progress: a cycle through boxes only, which does not count.
        sizes[id] = Some(8);
        let targets: Vec<Option<TypeId>> = types[id]
            .kind
            .tys()
            .into_iter()
            .map(|ty| ty.direct_named())
            .collect();
        for target in targets.into_iter().flatten() {
            visit(target.0, types, sizes);
        }
        for slot in types[id].kind.tys_mut() {
            if slot.direct_named().is_some() && ty_size(slot, sizes) > INLINE_LIMIT {
                *slot = slot.clone().boxed();
            }
        }
        let slots = types[id]
            .kind
            .tys()
            .into_iter()
            .map(|ty| ty_size(ty, sizes));
        let size = match &types[id].kind {
            TypeKind::Struct(_) => slots.sum(),
            TypeKind::Union(_) => slots.max().unwrap_or(0) + 8,
            TypeKind::Alias(_) | TypeKind::Newtype(_) => slots.sum(),
            TypeKind::StringEnum(e) if e.other.is_some() => 32,
            TypeKind::IntEnum(e) if e.other.is_some() => 16,
            TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => 8,
        };
        sizes[id] = Some(size);
    }
    let mut sizes = vec![None; types.len()];
    for id in 0..types.len() {
        visit(id, types, &mut sizes);
    }
}
