//! `Validate` impls for the models: the schema constraints the Rust types cannot hold
//! (bounds, lengths, patterns, item counts) and the closed value sets of open enums, which
//! accept unknown values from a server but must reject them in a request. The checks
//! themselves live in the runtime (`codegen/src/runtime/validate.rs`).

use super::{ty_tokens, uses_uuid};
use crate::ir::*;
use crate::names::ident;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// The runtime file emitted as the crate's `src/validate.rs`.
pub const RUNTIME: &str = include_str!("../runtime/validate.rs");

/// Follows aliases to the type a value really has (`Temperature` → `f64`).
pub fn resolved<'a>(api: &'a Api, ty: &'a Ty) -> &'a Ty {
    let mut ty = ty;
    for _ in 0..64 {
        match ty {
            Ty::Named(id) => match &api.ty(*id).kind {
                TypeKind::Alias(inner) => ty = inner,
                _ => return ty,
            },
            _ => return ty,
        }
    }
    ty
}

/// Whether any constraint of the document is a `pattern` (the crate then needs regex-lite).
pub fn uses_pattern(api: &Api) -> bool {
    let fields = api.types.iter().flat_map(|t| match &t.kind {
        TypeKind::Struct(s) => s.fields.iter().map(|f| &f.constraints).collect(),
        _ => Vec::new(),
    });
    let params = api
        .operations
        .iter()
        .flat_map(|op| op.params.iter().map(|p| &p.constraints));
    fields.chain(params).any(|c| c.pattern.is_some())
}

/// Checks of `value` (an expression of type `&T`, `T` the resolved `ty` without `Option`
/// layers) against `constraints`, each returning its violation at `at` (a `Path`).
pub fn checks(api: &Api, ty: &Ty, constraints: &Constraints, value: TokenStream) -> TokenStream {
    checks_at(api, ty, constraints, value, &quote!(at))
}

/// [`checks`] with the place given as an expression of type `Path`.
fn checks_at(
    api: &Api,
    ty: &Ty,
    constraints: &Constraints,
    value: TokenStream,
    at: &TokenStream,
) -> TokenStream {
    let v = quote!(super::validate);
    let mut out = Vec::new();
    let resolved = resolved(api, ty);
    match resolved {
        Ty::I32 | Ty::I64 | Ty::F64 => {
            let number = if *resolved == Ty::F64 {
                quote!(*#value)
            } else {
                quote!(*#value as f64)
            };
            for (bound, check) in [
                (constraints.minimum, quote!(minimum)),
                (constraints.maximum, quote!(maximum)),
            ] {
                if let Some(Bound {
                    value: b,
                    exclusive,
                }) = bound
                {
                    let b = Literal::f64_unsuffixed(b);
                    out.push(quote!(#v::#check(#at, #number, #b, #exclusive)?;));
                }
            }
        }
        Ty::String => {
            if let Some(n) = constraints.min_length {
                out.push(quote!(#v::min_length(#at, #value, #n)?;));
            }
            if let Some(n) = constraints.max_length {
                out.push(quote!(#v::max_length(#at, #value, #n)?;));
            }
            if let Some(pattern) = &constraints.pattern {
                // Lowering dropped the patterns regex-lite cannot compile, with a warning.
                out.push(quote! {
                    {
                        static PATTERN: std::sync::OnceLock<Option<regex_lite::Regex>> =
                            std::sync::OnceLock::new();
                        let regex = PATTERN.get_or_init(|| regex_lite::Regex::new(#pattern).ok());
                        if regex.as_ref().is_some_and(|r| !r.is_match(#value)) {
                            return Err(#at.violation(concat!("must match the pattern `", #pattern, "`")));
                        }
                    }
                });
            }
        }
        Ty::List(_) => {
            if let Some(n) = constraints.min_items {
                out.push(quote!(#v::min_items(#at, #value.len(), #n)?;));
            }
            if let Some(n) = constraints.max_items {
                out.push(quote!(#v::max_items(#at, #value.len(), #n)?;));
            }
        }
        _ => {}
    }
    quote!(#(#out)*)
}

/// Which types have something to check: a constraint of their own, an open enum's
/// fallback, or a field, item or variant of such a type. The rest keep the trait's
/// default `validate_at` and are not visited, which keeps the impls of large documents
/// (Stripe: thousands of types) short.
pub struct Checked(Vec<bool>);

impl Checked {
    pub fn new(api: &Api) -> Checked {
        let own: Vec<bool> = api.types.iter().map(|t| own_checks(api, t)).collect();
        let holds: Vec<Vec<TypeId>> = api.types.iter().map(held_types).collect();
        // Least fixpoint: a type starts unchecked and becomes checked once anything it
        // holds is, so a cycle of types with nothing to check stays unchecked.
        let mut checked = Checked(own);
        loop {
            let mut changed = false;
            for (i, held) in holds.iter().enumerate() {
                if !checked.0[i] && held.iter().any(|id| checked.0[id.0]) {
                    checked.0[i] = true;
                    changed = true;
                }
            }
            if !changed {
                return checked;
            }
        }
    }

    /// Whether validating a value of `ty` can fail.
    pub fn ty(&self, ty: &Ty) -> bool {
        let mut named = Vec::new();
        ty.named(&mut named);
        named.iter().any(|id| self.0[id.0])
    }
}

/// A constraint on one of the type's own values, or an open enum's fallback.
fn own_checks(api: &Api, t: &TypeDef) -> bool {
    match &t.kind {
        TypeKind::Struct(s) => s.fields.iter().any(|f| {
            let (core, _) = strip_options(&f.ty);
            !checks(api, core, &f.constraints, quote!(value)).is_empty()
        }),
        TypeKind::StringEnum(e) => e.other.is_some(),
        TypeKind::IntEnum(e) => e.other.is_some(),
        TypeKind::Union(u) => u.other.is_some(),
        TypeKind::Alias(_) | TypeKind::Newtype(_) => false,
    }
}

/// The named types a value of `t` holds directly.
fn held_types(t: &TypeDef) -> Vec<TypeId> {
    let mut out = Vec::new();
    match &t.kind {
        TypeKind::Alias(ty) | TypeKind::Newtype(ty) => ty.named(&mut out),
        TypeKind::Struct(s) => {
            for f in &s.fields {
                f.ty.named(&mut out);
            }
            if let Some((_, ty)) = &s.additional {
                ty.named(&mut out);
            }
        }
        TypeKind::Union(u) => {
            for variant in &u.variants {
                variant.ty.named(&mut out);
            }
        }
        TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => {}
    }
    out
}

/// `ty` without its `Option` layers, and how many there were.
pub fn strip_options(ty: &Ty) -> (&Ty, usize) {
    match ty {
        Ty::Option(inner) => {
            let (core, depth) = strip_options(inner);
            (core, depth + 1)
        }
        other => (other, 0),
    }
}

/// Binds `value` to the field's value inside its `Option` layers and runs `body`.
fn unwrap_options(depth: usize, place: TokenStream, body: TokenStream) -> TokenStream {
    match depth {
        0 => quote!({ let value = &#place; #body }),
        1 => quote!(if let Some(value) = &#place { #body }),
        _ => quote!(if let Some(Some(value)) = &#place { #body }),
    }
}

fn struct_checks(api: &Api, checked: &Checked, s: &Struct) -> Vec<TokenStream> {
    let v = quote!(super::validate);
    let mut out = Vec::new();
    for f in &s.fields {
        let field = ident(&f.name);
        let wire = &f.wire;
        let at = quote!(at.field(#wire));
        let (core, depth) = strip_options(&f.ty);
        let checks = checks_at(api, core, &f.constraints, quote!(value), &at);
        if !checks.is_empty() {
            out.push(unwrap_options(depth, quote!(self.#field), checks));
        }
        if checked.ty(&f.ty) {
            out.push(quote!(#v::check(&self.#field, #at)?;));
        }
    }
    if let Some((field, ty)) = &s.additional {
        if checked.ty(ty) {
            let field = ident(field);
            out.push(quote!(#v::check(&self.#field, at)?;));
        }
    }
    out
}

/// The body of `validate_at`, if the type has anything to check.
fn body(api: &Api, checked: &Checked, t: &TypeDef) -> Option<TokenStream> {
    let v = quote!(super::validate);
    let body = match &t.kind {
        TypeKind::Alias(_) => return None,
        TypeKind::Struct(s) => {
            let checks = struct_checks(api, checked, s);
            quote!(#(#checks)* Ok(()))
        }
        TypeKind::Newtype(_) => quote!(#v::check(&self.0, at)),
        TypeKind::StringEnum(StringEnum {
            other: Some(other), ..
        })
        | TypeKind::IntEnum(IntEnum {
            other: Some(other), ..
        }) => {
            let other = format_ident!("{}", other);
            quote! {
                match self {
                    Self::#other(value) => #v::unknown_value(at, value),
                    _ => Ok(()),
                }
            }
        }
        TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => return None,
        TypeKind::Union(u) => {
            let arms = u.variants.iter().map(|variant| {
                let name = format_ident!("{}", variant.name);
                if checked.ty(&variant.ty) {
                    quote!(Self::#name(value) => #v::check(value, at),)
                } else {
                    quote!(Self::#name(_) => Ok(()),)
                }
            });
            let other = u.other.as_ref().map(|other| {
                let other = format_ident!("{}", other);
                quote!(Self::#other(_) => Err(at.violation("not one of the allowed variants")),)
            });
            quote! {
                match self {
                    #(#arms)*
                    #other
                }
            }
        }
    };
    Some(body)
}

/// The `impl Validate` of one named type (none for an alias: it shares its target's).
/// A type with nothing to check keeps the trait's default.
pub fn validate_impl(api: &Api, checked: &Checked, id: TypeId) -> TokenStream {
    let t = api.ty(id);
    if matches!(t.kind, TypeKind::Alias(_)) {
        return TokenStream::new();
    }
    let name = format_ident!("{}", t.name);
    let v = quote!(super::validate);
    match checked.0[id.0].then(|| body(api, checked, t)).flatten() {
        Some(body) => quote! {
            impl #v::Validate for #name {
                fn validate_at(&self, at: #v::Path<'_>) -> Result<(), #v::Violation> {
                    #body
                }
            }
        },
        None => quote!(impl #v::Validate for #name {}),
    }
}

/// `Validate` for `uuid::Uuid` where the document uses it (nothing to check).
pub fn uuid_impl(api: &Api) -> TokenStream {
    if !uses_uuid(api) {
        return TokenStream::new();
    }
    let ty = ty_tokens(api, &Ty::Uuid);
    quote!(impl super::validate::Validate for #ty {})
}
