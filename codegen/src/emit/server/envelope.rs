//! The API's error envelope: the document's error schema when the generator can fill it
//! from a runtime `Problem`, else the runtime's `DefaultErrorEnvelope`.

use super::mentions::{models_syn, Mentions};
use crate::emit::ast;
use crate::emit::validate::{resolved, strip_options};
use crate::ir::*;
use crate::names::ident;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// How the API's error envelope is built from a runtime `Problem`: the field-by-field
/// construction of its struct, or `None` when the document has no shared error schema or
/// one the generator cannot fill (then `DefaultErrorEnvelope` answers the rejections).
fn envelope_construction(api: &Api, id: TypeId, depth: usize) -> Option<TokenStream> {
    let TypeKind::Struct(s) = &api.ty(id).kind else {
        return None;
    };
    if depth > 2 || s.additional.is_some() && s.fields.is_empty() {
        return None;
    }
    let name = format_ident!("{}", api.ty(id).name);
    let mut inits = Vec::new();
    let mut fills_message = false;
    for f in &s.fields {
        let field = ident(&f.name);
        let (core, _) = strip_options(&f.ty);
        let wire = f.wire.to_ascii_lowercase();
        let core = resolved(api, core);
        let value = match (wire.as_str(), core) {
            (
                "message" | "detail" | "title" | "description" | "msg" | "error"
                | "error_description",
                Ty::String,
            ) => {
                fills_message = true;
                Some(quote!(problem.message.clone()))
            }
            ("code" | "type" | "error_code" | "kind" | "reason", Ty::String) => {
                Some(quote!(problem.code.to_string()))
            }
            ("status" | "status_code" | "code", Ty::I32) => {
                Some(quote!(problem.status.as_u16() as i32))
            }
            ("status" | "status_code" | "code", Ty::I64) => {
                Some(quote!(problem.status.as_u16() as i64))
            }
            ("field" | "param" | "pointer" | "location", Ty::String) => {
                // Optional by nature: only some problems name a field.
                if f.presence == Presence::Required {
                    Some(quote!(problem.field.clone().unwrap_or_default()))
                } else {
                    let init = match f.presence {
                        Presence::DoubleOption => quote!(problem.field.clone().map(Some)),
                        _ => quote!(problem.field.clone()),
                    };
                    inits.push(quote!(#field: #init));
                    continue;
                }
            }
            (_, Ty::JsonObject) if f.presence != Presence::Required => {
                let init = match f.presence {
                    Presence::DoubleOption => quote!(problem.details().map(Some)),
                    _ => quote!(problem.details()),
                };
                inits.push(quote!(#field: #init));
                continue;
            }
            (_, Ty::Named(inner)) if f.presence == Presence::Required => {
                let built = envelope_construction(api, *inner, depth + 1)?;
                fills_message = true;
                Some(built)
            }
            _ => None,
        };
        let init = match (value, &f.presence) {
            (Some(v), Presence::Required | Presence::Defaulted(_))
                if !matches!(f.ty, Ty::Option(_)) =>
            {
                v
            }
            (Some(v), Presence::DoubleOption) => quote!(Some(Some(#v))),
            (Some(v), _) => quote!(Some(#v)),
            (None, Presence::Required | Presence::Defaulted(_)) => return None,
            (None, _) => quote!(None),
        };
        inits.push(quote!(#field: #init));
    }
    if let Some((field, _)) = &s.additional {
        let field = ident(field);
        inits.push(quote!(#field: Default::default()));
    }
    fills_message.then(|| quote!(models::#name { #(#inits,)* }))
}

pub(super) struct Envelope {
    /// The envelope type, as server code spells it.
    pub(super) ty: syn::Type,
    /// The `impl ErrorEnvelope` for the document's schema, when it is one.
    pub(super) imp: TokenStream,
    /// The document's error schema, when it is the envelope.
    pub(super) id: Option<TypeId>,
}

pub(super) fn envelope(api: &Api) -> Envelope {
    let built = api
        .error_type
        .and_then(|id| Some((id, envelope_construction(api, id, 0)?)));
    match built {
        Some((id, construction)) => {
            // `server_head` notes the mention: it names the envelope wherever other parts do.
            let ty = models_syn(api, &Ty::Named(id), &mut Mentions::default());
            Envelope {
                imp: quote! {
                    impl runtime::ErrorEnvelope for #ty {
                        fn from_problem(problem: &runtime::Problem) -> Self {
                            #construction
                        }
                    }
                },
                ty,
                id: Some(id),
            }
        }
        None => Envelope {
            ty: ast::path_ty(ast::path(&["runtime", "DefaultErrorEnvelope"])),
            imp: TokenStream::new(),
            id: None,
        },
    }
}
