//! The bodies rejections are answered in: the API's error envelope (the document's shared
//! error schema when the generator can fill it from a runtime `Problem`, else the runtime's
//! `DefaultErrorEnvelope`), and an operation's own error schemas where they differ from it
//! (made JSON, filled at run time).

use super::mentions::{models_syn, Mentions};
use crate::emit::validate::{resolved, strip_options};
use crate::emit::{ast, synth};
use crate::ir::*;
use crate::names::ident;
use codegen_runtime::status::{Listed, Part};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashMap;

/// The part of a rejection an error schema's member carries, by its name and type: the one
/// rule for the typed envelope and for made error bodies.
fn part(wire: &str, ty: &Ty) -> Option<Part> {
    let wire = wire.to_ascii_lowercase();
    match (wire.as_str(), ty) {
        (
            "message" | "detail" | "title" | "description" | "msg" | "error" | "error_description",
            Ty::String,
        ) => Some(Part::Message),
        ("code" | "type" | "error_code" | "kind" | "reason", Ty::String) => Some(Part::Code),
        ("status" | "status_code" | "statuscode" | "code", Ty::I32 | Ty::I64) => Some(Part::Status),
        ("field" | "param" | "pointer" | "location", Ty::String) => Some(Part::Field),
        _ => None,
    }
}

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
        let core = resolved(api, core);
        let value = match (part(&f.wire, core), core) {
            (Some(Part::Message), _) => {
                fills_message = true;
                Some(quote!(problem.message.clone()))
            }
            (Some(Part::Code), _) => Some(quote!(problem.code.to_string())),
            (Some(Part::Status), Ty::I32) => Some(quote!(problem.status.as_u16() as i32)),
            (Some(Part::Status), _) => Some(quote!(problem.status.as_u16() as i64)),
            (Some(Part::Field), _) => {
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
            (None, Ty::JsonObject) if f.presence != Presence::Required => {
                let init = match f.presence {
                    Presence::DoubleOption => quote!(problem.details().map(Some)),
                    _ => quote!(problem.details()),
                };
                inits.push(quote!(#field: #init));
                continue;
            }
            (None, Ty::Named(inner)) if f.presence == Presence::Required => {
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

/// An error body in one of the document's schemas other than the envelope: JSON made to
/// validate against it, and the members (by path) a rejection's parts go in.
#[derive(Debug, Clone, PartialEq)]
struct ErrorTemplate {
    json: String,
    fills: Vec<(Part, Vec<String>)>,
}

/// The error bodies of every operation's documented error responses whose schema is not
/// the envelope: each distinct body once (a constant the handlers name), and per
/// operation which response documents which.
pub(super) struct ErrorBodies {
    templates: Vec<ErrorTemplate>,
    per_operation: Vec<Vec<(Listed, usize)>>,
}

impl ErrorBodies {
    pub(super) fn new(api: &Api, envelope: &Envelope) -> ErrorBodies {
        let mut templates: Vec<ErrorTemplate> = Vec::new();
        let mut by_type: HashMap<TypeId, Option<usize>> = HashMap::new();
        let mut per_operation = Vec::with_capacity(api.operations.len());
        for op in &api.operations {
            let mut bodies = Vec::new();
            // Only handlers name them: an operation the router does not serve has none.
            let responses = if op.route.is_some() {
                op.responses.as_slice()
            } else {
                &[]
            };
            for response in responses {
                let listed = match response.status {
                    Status::Code(code) if code >= 400 => Listed::Code(code),
                    Status::Range(digit) if digit >= 4 => Listed::Range(digit),
                    Status::Default => Listed::Default,
                    _ => continue,
                };
                let Some(ty) = response
                    .content
                    .iter()
                    .find(|c| c.kind == MediaKind::Json)
                    .and_then(|c| c.ty.as_ref())
                else {
                    continue;
                };
                let named = ty.direct_named();
                if named.is_some() && named == envelope.id {
                    continue;
                }
                let mut index = |ty: &Ty| {
                    let template = error_template(api, ty)?;
                    Some(match templates.iter().position(|t| *t == template) {
                        Some(i) => i,
                        None => {
                            templates.push(template);
                            templates.len() - 1
                        }
                    })
                };
                let index = match named {
                    Some(id) => *by_type.entry(id).or_insert_with(|| index(ty)),
                    None => index(ty),
                };
                if let Some(index) = index {
                    bodies.push((listed, index));
                }
            }
            per_operation.push(bodies);
        }
        ErrorBodies {
            templates,
            per_operation,
        }
    }

    fn name(&self, index: usize) -> proc_macro2::Ident {
        if self.templates.len() == 1 {
            format_ident!("ERROR_BODY")
        } else {
            format_ident!("ERROR_BODY_{}", index)
        }
    }

    /// `(Listed, &ERROR_BODY_n)` for each of the operation's own error bodies.
    pub(super) fn of(&self, op_index: usize) -> Vec<TokenStream> {
        self.per_operation[op_index]
            .iter()
            .map(|(listed, index)| {
                let listed = match listed {
                    Listed::Code(code) => {
                        let code = Literal::u16_unsuffixed(*code);
                        quote!(runtime::Listed::Code(#code))
                    }
                    Listed::Range(digit) => {
                        let digit = Literal::u16_unsuffixed(*digit);
                        quote!(runtime::Listed::Range(#digit))
                    }
                    Listed::Default => quote!(runtime::Listed::Default),
                };
                let name = self.name(*index);
                quote!((#listed, &#name))
            })
            .collect()
    }

    /// The constants, one per distinct body.
    pub(super) fn constants(&self) -> TokenStream {
        let constants = self.templates.iter().enumerate().map(|(i, template)| {
            let name = self.name(i);
            let json = &template.json;
            let fills = template.fills.iter().map(|(part, path)| {
                let part = format_ident!("{}", format!("{part:?}"));
                quote!(runtime::Fill { part: runtime::Part::#part, path: &[#(#path),*] })
            });
            quote! {
                /// An error body in a schema of the document's own, for the responses that
                /// document it: made to validate, and filled with each rejection.
                const #name: runtime::ErrorBody<'static> = runtime::ErrorBody {
                    json: #json,
                    fills: &[#(#fills),*],
                };
            }
        });
        quote!(#(#constants)*)
    }
}

/// The body for `ty`, or `None` when the envelope suits it as well (a schema that takes
/// any object) or no value of it can be made.
fn error_template(api: &Api, ty: &Ty) -> Option<ErrorTemplate> {
    if matches!(resolved(api, ty), Ty::Any | Ty::JsonObject) {
        return None;
    }
    let mut value = synth::constrained(api, ty, &Constraints::default())?;
    let mut fills = Vec::new();
    if *resolved(api, ty) == Ty::String {
        // A bare string (visualstudio's 400s): the message is the body.
        fills.push((Part::Message, Vec::new()));
    }
    fill_members(api, ty, &mut value, &mut Vec::new(), &mut fills, 0);
    Some(ErrorTemplate {
        json: value.to_string(),
        fills,
    })
}

/// The members of the struct `ty` (made as `value`) that carry a part of a rejection,
/// through its required structs, two levels down (`{"error": {"message": ...}}`). A member
/// with constraints of its own keeps its made value, as a message might break them, unless
/// the only one is a generous length limit (Stripe's `maxLength: 5000`).
fn fill_members(
    api: &Api,
    ty: &Ty,
    value: &mut serde_json::Value,
    path: &mut Vec<String>,
    fills: &mut Vec<(Part, Vec<String>)>,
    depth: usize,
) {
    let Ty::Named(id) = resolved(api, ty) else {
        return;
    };
    let (TypeKind::Struct(s), Some(object)) = (&api.ty(*id).kind, value.as_object_mut()) else {
        return;
    };
    for f in &s.fields {
        let (core, _) = strip_options(&f.ty);
        let core = resolved(api, core);
        path.push(f.wire.clone());
        match part(&f.wire, core) {
            Some(part) if fits_any_message(&f.constraints) => fills.push((part, path.clone())),
            None if part(&f.wire, &Ty::String) == Some(Part::Code) => {
                // A closed set of codes (Stripe's `type`): the one naming a bad request.
                if let Some(code) = request_error_code(api, core) {
                    object.insert(f.wire.clone(), code.into());
                }
            }
            _ => {
                if let (Ty::Named(_), Some(member)) = (core, object.get_mut(&f.wire)) {
                    if depth < 2 {
                        fill_members(api, core, member, path, fills, depth + 1);
                    }
                }
            }
        }
        path.pop();
    }
}

/// Of a string enum's values, one naming a bad request (`invalid_request_error`,
/// `validation_error`, `bad_request`), as rejections are; `None` when none does.
fn request_error_code(api: &Api, ty: &Ty) -> Option<String> {
    let Ty::Named(id) = ty else {
        return None;
    };
    let TypeKind::StringEnum(e) = &api.ty(*id).kind else {
        return None;
    };
    ["invalid_request", "invalid", "validation", "bad_request"]
        .iter()
        .find_map(|word| e.variants.iter().find(|v| v.value.contains(word)))
        .map(|v| v.value.clone())
}

fn fits_any_message(constraints: &Constraints) -> bool {
    let unlimited = Constraints {
        max_length: None,
        ..constraints.clone()
    };
    unlimited.is_empty() && constraints.max_length.is_none_or(|max| max >= 1000)
}
