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
                    out.push(quote!(#v::#check(at, #number, #b, #exclusive)?;));
                }
            }
        }
        Ty::String => {
            if let Some(n) = constraints.min_length {
                out.push(quote!(#v::min_length(at, #value, #n)?;));
            }
            if let Some(n) = constraints.max_length {
                out.push(quote!(#v::max_length(at, #value, #n)?;));
            }
            if let Some(pattern) = &constraints.pattern {
                // A pattern regex-lite cannot compile (ECMA-only syntax) is not checked.
                out.push(quote! {
                    {
                        static PATTERN: std::sync::OnceLock<Option<regex_lite::Regex>> =
                            std::sync::OnceLock::new();
                        let regex = PATTERN.get_or_init(|| regex_lite::Regex::new(#pattern).ok());
                        if regex.as_ref().is_some_and(|r| !r.is_match(#value)) {
                            return Err(at.violation(concat!("must match the pattern `", #pattern, "`")));
                        }
                    }
                });
            }
        }
        Ty::List(_) => {
            if let Some(n) = constraints.min_items {
                out.push(quote!(#v::min_items(at, #value.len(), #n)?;));
            }
            if let Some(n) = constraints.max_items {
                out.push(quote!(#v::max_items(at, #value.len(), #n)?;));
            }
        }
        _ => {}
    }
    quote!(#(#out)*)
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

fn holds_named(ty: &Ty) -> bool {
    let mut named = Vec::new();
    ty.named(&mut named);
    !named.is_empty() || ty.contains(&Ty::Uuid)
}

fn struct_checks(api: &Api, s: &Struct) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for f in &s.fields {
        let field = ident(&f.name);
        let wire = &f.wire;
        let (core, depth) = strip_options(&f.ty);
        let checks = checks(api, core, &f.constraints, quote!(value));
        let nested = holds_named(&f.ty)
            .then(|| quote!(super::validate::Validate::validate_at(&self.#field, at)?;));
        if checks.is_empty() && nested.is_none() {
            continue;
        }
        let guarded =
            (!checks.is_empty()).then(|| unwrap_options(depth, quote!(self.#field), checks));
        out.push(quote! {
            {
                let at = at.field(#wire);
                #guarded
                #nested
            }
        });
    }
    if let Some((field, ty)) = &s.additional {
        if holds_named(ty) {
            let field = ident(field);
            out.push(quote!(super::validate::Validate::validate_at(&self.#field, at)?;));
        }
    }
    out
}

/// The body of `validate_at`, and whether it reads `at`.
fn body(api: &Api, t: &TypeDef) -> Option<(TokenStream, bool)> {
    let v = quote!(super::validate);
    let reads_at = match &t.kind {
        TypeKind::Alias(_) => return None,
        TypeKind::Struct(s) => {
            let checks = struct_checks(api, s);
            let reads_at = !checks.is_empty();
            return Some((quote!(#(#checks)* Ok(())), reads_at));
        }
        TypeKind::StringEnum(e) => e.other.is_some(),
        TypeKind::IntEnum(e) => e.other.is_some(),
        TypeKind::Union(u) => !u.variants.is_empty() || u.other.is_some(),
        TypeKind::Newtype(_) => true,
    };
    let body = match &t.kind {
        TypeKind::Alias(_) | TypeKind::Struct(_) => return None,
        TypeKind::Newtype(_) => quote!(#v::Validate::validate_at(&self.0, at)),
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
        TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => quote!(Ok(())),
        TypeKind::Union(u) => {
            let arms = u.variants.iter().map(|variant| {
                let name = format_ident!("{}", variant.name);
                quote!(Self::#name(value) => #v::Validate::validate_at(value, at),)
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
    Some((body, reads_at))
}

/// One `impl Validate` per named type (aliases share their target's), for `models.rs`.
pub fn validate_impls(api: &Api) -> TokenStream {
    let impls = api.types.iter().filter_map(|t| {
        let (body, reads_at) = body(api, t)?;
        let name = format_ident!("{}", t.name);
        let at = if reads_at { quote!(at) } else { quote!(_at) };
        Some(quote! {
            impl super::validate::Validate for #name {
                fn validate_at(&self, #at: super::validate::Path<'_>) -> Result<(), super::validate::Violation> {
                    #body
                }
            }
        })
    });
    let uuid = uses_uuid(api).then(|| {
        let ty = ty_tokens(api, &Ty::Uuid);
        quote! {
            impl super::validate::Validate for #ty {
                fn validate_at(&self, _at: super::validate::Path<'_>) -> Result<(), super::validate::Violation> {
                    Ok(())
                }
            }
        }
    });
    quote!(#(#impls)* #uuid)
}
