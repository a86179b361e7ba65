//! Request bodies: the type a handler gets per media type and the runtime reader that
//! reads it; a multipart body's `{Op}Form` struct and its `from_multipart`; an `{Op}Body`
//! enum where several media types are accepted.

use super::mentions::{models_syn, parser, Mentions};
use crate::emit::naming::{form_name, unshadowed};
use crate::emit::params::form_encoding_table;
use crate::emit::validate::{checked_block, checks, resolved, strip_options};
use crate::emit::{ast, doc_attrs};
use crate::ir::*;
use crate::names::{ident, type_name};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::Expr;

/// One media type of a request body: the type the handler gets and how it is read.
struct BodyPart {
    variant: proc_macro2::Ident,
    media_type: String,
    ty: syn::Type,
    /// The runtime's `ReadBody` value reading `ty`.
    reader: Expr,
    /// Items the part needs (a form struct).
    items: TokenStream,
}

/// `runtime::reader::<ty>::new()`.
fn new_reader(reader: &str, ty: syn::Type) -> Expr {
    let mut path = ast::path(&["runtime", reader, "new"]);
    path.segments[1].arguments = syn::PathArguments::AngleBracketed(ast::turbofish_args([ty]));
    let func = Expr::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path,
    });
    ast::call(func, [])
}

pub(super) fn local_ty(name: &proc_macro2::Ident) -> syn::Type {
    ast::path_ty(syn::Path::from(name.clone()))
}

fn body_part(
    api: &Api,
    op: &Operation,
    content: &Content,
    stem: &str,
    mentions: &mut Mentions,
) -> BodyPart {
    let media_type = content.media_type.clone();
    // A wildcard takes any media type.
    let expected = || {
        if media_type.contains('*') {
            ast::path_expr(&["None"])
        } else {
            ast::call(ast::path_expr(&["Some"]), [ast::str_lit(&media_type)])
        }
    };
    let runtime_ty = |name: &str| ast::path_ty(ast::path(&["runtime", name]));
    let (variant, ty, reader, items) = match content.kind {
        MediaKind::Json => {
            let ty = match &content.ty {
                Some(ty) => models_syn(api, ty, mentions),
                None => ast::path_ty(ast::path(&["serde_json", "Value"])),
            };
            let reader = new_reader("JsonBody", ty.clone());
            ("Json", ty, reader, TokenStream::new())
        }
        MediaKind::Multipart => {
            let (items, name) = form_struct(api, op, content, stem);
            let reader = new_reader("FormBody", local_ty(&name));
            ("Multipart", local_ty(&name), reader, items)
        }
        // Typed and checked as JSON is; without a schema, the text.
        MediaKind::FormUrlEncoded if content.ty.is_some() => {
            let ty = content
                .ty
                .as_ref()
                .map(|ty| models_syn(api, ty, mentions))
                .unwrap_or_else(|| ast::path_ty(ast::path(&["String"])));
            let reader = if content.encoding.is_empty() {
                new_reader("UrlEncodedBody", ty.clone())
            } else {
                let Expr::Call(mut reader) = new_reader("EncodedFormBody", ty.clone()) else {
                    unreachable!("new_reader makes a call")
                };
                reader.args.push(form_encoding_table(&content.encoding));
                Expr::Call(reader)
            };
            ("Form", ty, reader, TokenStream::new())
        }
        MediaKind::Text | MediaKind::FormUrlEncoded | MediaKind::EventStream => (
            "Text",
            ast::path_ty(ast::path(&["String"])),
            ast::call(ast::path_expr(&["runtime", "TextBody"]), [expected()]),
            TokenStream::new(),
        ),
        MediaKind::Binary => (
            "Binary",
            runtime_ty("BodyStream"),
            ast::call(ast::path_expr(&["runtime", "StreamBody"]), [expected()]),
            TokenStream::new(),
        ),
    };
    BodyPart {
        variant: format_ident!("{}", variant),
        media_type,
        ty,
        reader,
        items,
    }
}

/// The handler's body type and its reader (a runtime `ReadBody` value), with any items it
/// needs (tokens, walked for what they mention: the type's mentions are noted).
pub(crate) fn request_body(
    api: &Api,
    op: &Operation,
    mentions: &mut Mentions,
) -> Option<(syn::Type, Expr, TokenStream)> {
    let body = op.body.as_ref()?;
    let mut parts: Vec<BodyPart> = body
        .content
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let stem = if i == 0 {
                op.type_stem.clone()
            } else {
                format!("{}{}", op.type_stem, type_name(&c.media_type, "Media"))
            };
            body_part(api, op, c, &stem, mentions)
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    // Two media types of one kind: name the variants by media type.
    let mut seen = std::collections::BTreeSet::new();
    for part in &mut parts {
        if !seen.insert(part.variant.to_string()) {
            part.variant = format_ident!("{}", type_name(&part.media_type, "Media"));
        }
    }
    let items: Vec<&TokenStream> = parts.iter().map(|p| &p.items).collect();
    let (ty, extract, extra) = if parts.len() == 1 {
        let part = &parts[0];
        (part.ty.clone(), part.reader.clone(), quote!(#(#items)*))
    } else {
        let name = format_ident!("{}Body", op.type_stem);
        let doc = format!("The body of `{}`, by media type.", op.id);
        let variants = parts.iter().map(|p| {
            let variant = &p.variant;
            let ty = &p.ty;
            let doc = format!("`{}`", p.media_type);
            quote!(#[doc = #doc] #variant(#ty))
        });
        let arms = parts.iter().map(|p| {
            let variant = &p.variant;
            let media_type = &p.media_type;
            let reader = &p.reader;
            quote! {
                if runtime::media_type_is(parts, #media_type) {
                    let (body, overflow) = runtime::ReadBody::read_parsed(#reader, parts, body, limits).await?;
                    Ok((Self::#variant(body), overflow))
                } else
            }
        });
        let expected = parts
            .iter()
            .map(|p| p.media_type.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        let items = quote! {
            #(#items)*
            #[doc = #doc]
            #[derive(Debug)]
            pub enum #name {
                #(#variants,)*
            }

            impl runtime::FromBody for #name {
                async fn from_body(
                    parts: &axum::http::request::Parts,
                    body: axum::body::Body,
                    limits: Limits,
                ) -> Result<(Self, Option<runtime::Overflow>), runtime::Rejection> {
                    #(#arms)* {
                        Err(runtime::Rejection::wrong_body(parts, #expected))
                    }
                }
            }
        };
        (
            local_ty(&name),
            new_reader("ByMediaType", local_ty(&name)),
            items,
        )
    };
    if body.required {
        Some((ty, extract, extra))
    } else {
        Some((
            ast::path_ty(ast::generic_path(&["Option"], [ty])),
            ast::call(ast::path_expr(&["runtime", "OptionalBody"]), [extract]),
            extra,
        ))
    }
}

/// The names `from_multipart` itself uses, which a part's local variable must not shadow.
const FORM_LOCALS: &[&str] = &["part", "multipart", "text_limit", "form"];

/// The local variable that collects a form field's part: the field's own name, unless
/// `from_multipart` uses that name (files.com's `part` field, beside the loop's `part`),
/// then with `_field` appended (and more underscores while another field has that name).
fn form_local(fields: &[Field], field: &Field) -> proc_macro2::Ident {
    ident(&unshadowed(&field.name, FORM_LOCALS, "_field", |name| {
        fields.iter().any(|other| other.name == name)
    }))
}

/// A multipart form: text parts parsed as typed, file parts as streams.
fn form_struct(
    api: &Api,
    op: &Operation,
    content: &Content,
    stem: &str,
) -> (TokenStream, proc_macro2::Ident) {
    let name = ident(&form_name(stem));
    let (fields, closed): (&[Field], bool) = match content.ty.as_ref().map(|ty| resolved(api, ty)) {
        Some(Ty::Named(id)) => match &api.ty(*id).kind {
            TypeKind::Struct(s) => (&s.fields, s.closed),
            _ => (&[], false),
        },
        _ => (&[], false),
    };
    enum Kind {
        File,
        Files,
        Value,
        Values,
    }
    let kinds: Vec<(Kind, &Ty, bool)> = fields
        .iter()
        .map(|f| {
            let (core, _) = strip_options(&f.ty);
            let core = resolved(api, core);
            let required = matches!(f.presence, Presence::Required | Presence::RequiredNullable);
            match (part_kind(&api.types, core), core) {
                (PartKind::File, _) => (Kind::File, core, required),
                (PartKind::Files, _) => (Kind::Files, core, required),
                (PartKind::Text, Ty::List(item)) => (Kind::Values, &**item, required),
                (PartKind::Text, _) => (Kind::Value, core, required),
            }
        })
        .collect();
    let mut decls = Vec::new();
    let mut locals = Vec::new();
    let mut arms = Vec::new();
    let mut inits = Vec::new();
    let mut checks_out = Vec::new();
    for (f, (kind, ty, required)) in fields.iter().zip(&kinds) {
        let field = ident(&f.name);
        let local = form_local(fields, f);
        let wire = &f.wire;
        let docs = doc_attrs(f.docs.as_deref());
        let missing = format!("body/{wire}");
        // The form's tokens are walked for what they mention.
        let mut walked = Mentions::default();
        let spelled = models_syn(api, ty, &mut walked).into_token_stream();
        let parse = parser(api, ty, &mut walked).into_token_stream();
        let (decl_ty, local_ty, arm) = match kind {
            Kind::File => (
                quote!(runtime::FilePart),
                quote!(Option<runtime::FilePart>),
                quote! {
                    if #local.is_some() {
                        return Err(runtime::Rejection::invalid(#missing, "the part is given more than once"));
                    }
                    #local = Some(part.file().await?);
                },
            ),
            Kind::Files => (
                quote!(Vec<runtime::FilePart>),
                quote!(Vec<runtime::FilePart>),
                quote!(#local.push(part.file().await?);),
            ),
            Kind::Value => (
                spelled.clone(),
                quote!(Option<#spelled>),
                quote! {
                    if #local.is_some() {
                        return Err(runtime::Rejection::invalid(#missing, "the part is given more than once"));
                    }
                    #local = Some(part.value(#parse, text_limit).await?);
                },
            ),
            Kind::Values => (
                quote!(Vec<#spelled>),
                quote!(Vec<#spelled>),
                quote!(#local.push(part.value(#parse, text_limit).await?);),
            ),
        };
        let is_list = matches!(kind, Kind::Files | Kind::Values);
        let declared = if *required || is_list {
            decl_ty
        } else {
            quote!(Option<#decl_ty>)
        };
        decls.push(quote!(#docs pub #field: #declared));
        let start = if is_list {
            quote!(Vec::new())
        } else {
            quote!(None)
        };
        locals.push(quote!(let mut #local: #local_ty = #start;));
        arms.push(quote!(#wire => { #arm }));
        inits.push(if *required && !is_list {
            quote!(#field: #local.ok_or_else(|| runtime::Rejection::invalid(#missing, "required part is missing"))?)
        } else if local == field {
            quote!(#field)
        } else {
            quote!(#field: #local)
        });
        if matches!(kind, Kind::Value) {
            let check = checks(api, ty, &f.constraints, quote!(value));
            if !check.is_empty() {
                let bind = if *required {
                    quote!({ let value = &form.#field; #check })
                } else {
                    quote!(if let Some(value) = &form.#field { #check })
                };
                let checked = checked_block(vec![syn::parse_quote!(#bind), ast::ok_unit()]);
                checks_out.push(quote! {
                    runtime::check(Location::Form, #wire, #checked)?;
                });
            }
        }
    }
    let doc = format!(
        "The `{}` form of `{}`. Every part is read and checked, in any order, before the \
         handler runs; a file part is kept in memory up to `Limits::file_memory` (shared by \
         the form's files), past it in a temporary file, and read by the handler as a stream.",
        content.media_type, op.id
    );
    let has_fields = !fields.is_empty() || closed;
    let unknown = if closed {
        quote!(other => return Err(runtime::Rejection::invalid(format!("body/{other}"), "the form has no such part")),)
    } else {
        quote! {
            // Parts the schema does not name are skipped.
            _ => {}
        }
    };
    let mut_multipart = if has_fields {
        quote!(mut multipart)
    } else {
        quote!(_multipart)
    };
    let reads_text = kinds
        .iter()
        .any(|(k, _, _)| matches!(k, Kind::Value | Kind::Values));
    let text_limit = if reads_text {
        quote!(text_limit)
    } else {
        quote!(_text_limit)
    };
    let reading = has_fields.then(|| {
        quote! {
            while let Some(part) = multipart.next_part().await? {
                match part.name() {
                    #(#arms)*
                    #unknown
                }
            }
        }
    });
    let files: Vec<proc_macro2::Ident> = fields
        .iter()
        .zip(&kinds)
        .filter(|(_, (kind, _, _))| matches!(kind, Kind::File | Kind::Files))
        .map(|(f, _)| ident(&f.name))
        .collect();
    let items = quote! {
        #[doc = #doc]
        #[derive(Debug)]
        pub struct #name {
            #(#decls,)*
        }

        impl runtime::Discard for #name {
            async fn discard(self) {
                #(runtime::Discard::discard(self.#files).await;)*
            }
        }

        impl runtime::FromMultipart for #name {
            // One `match` arm per part, however many the form has.
            #[allow(clippy::single_match)]
            async fn from_multipart(#mut_multipart: runtime::Multipart, #text_limit: usize) -> Result<Self, runtime::Rejection> {
                #(#locals)*
                #reading
                let form = Self { #(#inits,)* };
                #(#checks_out)*
                Ok(form)
            }
        }
    };
    (items, name)
}
