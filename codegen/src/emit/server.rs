//! The `server` module (cargo feature `server`): one trait per API with a default 501 body
//! per operation, a params struct, body type and response enum per operation, the router,
//! and a mock answering every operation with an example of a documented answer. The HTTP
//! plumbing the same for every API is the runtime crate's `server` module
//! (`codegen/runtime/src/server/`), re-exported as `server::runtime`.
//! `server.rs` is emitted in parts (see [`server`]) that the pipeline prints on their own;
//! each operation's items are built as syntax trees, the rarer items through tokens.

use super::validate::{check_stmts, checks, resolved, strip_options};
use super::{ast, doc_attr_list, doc_attrs, parse_items, synth, ty_syn_with};
use crate::ir::*;
use crate::names::{ident, type_name};
use crate::Result;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::punctuated::Punctuated;
use syn::{Expr, Stmt};

/// The trait's name: the title's first word + `Api` (`Maniac Inference Gateway API` →
/// `ManiacApi`).
pub fn trait_name(api: &Api) -> String {
    let first = api.title.split_whitespace().next().unwrap_or_default();
    let stem = type_name(first, "Service");
    if stem.ends_with("Api") {
        stem
    } else {
        format!("{stem}Api")
    }
}

/// The environment variable the client reads its key from, which the mock checks.
pub fn api_key_var(api: &Api) -> String {
    let stem = trait_name(api);
    let stem = stem.strip_suffix("Api").unwrap_or(&stem);
    format!("{}_API_KEY", heck::AsShoutySnakeCase(stem))
}

fn status_name(code: u16) -> Option<(&'static str, &'static str)> {
    Some(match code {
        200 => ("Ok", "OK"),
        201 => ("Created", "CREATED"),
        202 => ("Accepted", "ACCEPTED"),
        204 => ("NoContent", "NO_CONTENT"),
        206 => ("PartialContent", "PARTIAL_CONTENT"),
        301 => ("MovedPermanently", "MOVED_PERMANENTLY"),
        302 => ("Found", "FOUND"),
        303 => ("SeeOther", "SEE_OTHER"),
        304 => ("NotModified", "NOT_MODIFIED"),
        307 => ("TemporaryRedirect", "TEMPORARY_REDIRECT"),
        400 => ("BadRequest", "BAD_REQUEST"),
        401 => ("Unauthorized", "UNAUTHORIZED"),
        402 => ("PaymentRequired", "PAYMENT_REQUIRED"),
        403 => ("Forbidden", "FORBIDDEN"),
        404 => ("NotFound", "NOT_FOUND"),
        405 => ("MethodNotAllowed", "METHOD_NOT_ALLOWED"),
        406 => ("NotAcceptable", "NOT_ACCEPTABLE"),
        408 => ("RequestTimeout", "REQUEST_TIMEOUT"),
        409 => ("Conflict", "CONFLICT"),
        410 => ("Gone", "GONE"),
        412 => ("PreconditionFailed", "PRECONDITION_FAILED"),
        413 => ("PayloadTooLarge", "PAYLOAD_TOO_LARGE"),
        415 => ("UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE"),
        422 => ("UnprocessableEntity", "UNPROCESSABLE_ENTITY"),
        429 => ("TooManyRequests", "TOO_MANY_REQUESTS"),
        500 => ("InternalServerError", "INTERNAL_SERVER_ERROR"),
        501 => ("NotImplemented", "NOT_IMPLEMENTED"),
        502 => ("BadGateway", "BAD_GATEWAY"),
        503 => ("ServiceUnavailable", "SERVICE_UNAVAILABLE"),
        504 => ("GatewayTimeout", "GATEWAY_TIMEOUT"),
        _ => return None,
    })
}

fn status_expr(code: u16) -> Expr {
    match status_name(code) {
        Some((_, konst)) => ast::path_expr(&["StatusCode", konst]),
        // Every code in 100..=999 is a valid `StatusCode`.
        None => ast::method(
            ast::call(
                ast::path_expr(&["StatusCode", "from_u16"]),
                [ast::lit(Literal::u16_suffixed(code))],
            ),
            "unwrap_or",
            [ast::path_expr(&["StatusCode", "INTERNAL_SERVER_ERROR"])],
        ),
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

struct Envelope {
    /// The envelope type, as server code spells it.
    ty: syn::Type,
    /// The `impl ErrorEnvelope` for the document's schema, when it is one.
    imp: TokenStream,
    /// The document's error schema, when it is the envelope.
    id: Option<TypeId>,
}

fn envelope(api: &Api) -> Envelope {
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

/// `Location::Query` and the like, noted in `mentions`.
fn location(location: ParamLocation, mentions: &mut Mentions) -> Expr {
    mentions.note("Location");
    let variant = match location {
        ParamLocation::Path => "Path",
        ParamLocation::Query => "Query",
        ParamLocation::Header => "Header",
        ParamLocation::Cookie => "Cookie",
    };
    ast::path_expr(&["Location", variant])
}

/// `ty` as the server module spells it (named types through `models::`), noted in
/// `mentions`.
fn models_syn(api: &Api, ty: &Ty, mentions: &mut Mentions) -> syn::Type {
    let named = std::cell::Cell::new(false);
    let spelled = ty_syn_with(api, ty, &|name| {
        named.set(true);
        ast::path_ty(ast::path(&["models", name]))
    });
    mentions.models_path |= named.get();
    spelled
}

/// The parser from text to `ty` (a parameter or a text part of a form), noted in
/// `mentions`.
fn parser(api: &Api, ty: &Ty, mentions: &mut Mentions) -> Expr {
    let helper = match resolved(api, ty) {
        Ty::String => {
            mentions.note("parse_string");
            return ast::path_expr(&["parse_string"]);
        }
        Ty::I32 | Ty::I64 | Ty::F64 | Ty::Bool | Ty::Uuid => "parse_from_str",
        _ => "parse_serde",
    };
    mentions.note(helper);
    ast::turbofish_path(&[helper], [models_syn(api, ty, mentions)])
}

/// A default written as a Rust expression of the parameter's type, when it is a scalar or
/// an enum value; other defaults are documented, not applied.
fn param_default(
    api: &Api,
    ty: &Ty,
    value: &serde_json::Value,
    mentions: &mut Mentions,
) -> Option<Expr> {
    use serde_json::Value;
    Some(match (resolved(api, ty), value) {
        (Ty::String, Value::String(s)) => {
            ast::call(ast::path_expr(&["String", "from"]), [ast::str_lit(s)])
        }
        (Ty::Bool, Value::Bool(b)) => ast::bool_lit(*b),
        (Ty::I32, Value::Number(n)) => {
            ast::lit(Literal::i32_suffixed(i32::try_from(n.as_i64()?).ok()?))
        }
        (Ty::I64, Value::Number(n)) => ast::lit(Literal::i64_suffixed(n.as_i64()?)),
        (Ty::F64, Value::Number(n)) => ast::lit(Literal::f64_suffixed(n.as_f64()?)),
        (Ty::Named(id), Value::String(s)) => {
            let TypeKind::StringEnum(e) = &api.ty(*id).kind else {
                return None;
            };
            let variant = e.variants.iter().find(|v| &v.value == s)?;
            // `ty` may be an alias of the enum: spelled by its own name.
            let Ty::Named(named) = ty else {
                return None;
            };
            mentions.models_path = true;
            ast::path_expr(&["models", &api.ty(*named).name, &variant.name])
        }
        _ => return None,
    })
}

fn op_doc(op: &Operation) -> String {
    let mut text = format!("`{} {}` (`{}`)", op.method.as_str(), op.path, op.id);
    for part in [&op.summary, &op.description].into_iter().flatten() {
        text.push_str("\n\n");
        text.push_str(part);
    }
    if op.deprecated {
        text.push_str("\n\nDeprecated.");
    }
    text
}

thread_local! {
    /// Every operation's parameter extraction starts as a copy of this one (syntax trees
    /// cannot be shared between threads).
    static PARAMS_IMPL: syn::ItemImpl = syn::parse_quote! {
        impl runtime::Params for Params {
            const IN_PATH: bool = false;

            fn extract(raw: &runtime::RawParams<'_>) -> Result<Self, runtime::Rejection> {
                let params = Self {};
                Ok(params)
            }
        }
    };
}

/// An operation's params struct and its `impl runtime::Params`.
struct ParamsCode {
    decl: syn::Item,
    extract: syn::Item,
}

/// The params struct and its extraction, or nothing for an operation without parameters.
fn params_struct(api: &Api, op: &Operation, mentions: &mut Mentions) -> Option<ParamsCode> {
    if op.params.is_empty() {
        return None;
    }
    let name = format_ident!("{}Params", op.type_stem);
    let doc = format!(
        "Parameters of `{}` (`{} {}`), defaults applied.",
        op.id,
        op.method.as_str(),
        op.path
    );
    let mut fields = Vec::new();
    let mut inits = Punctuated::<syn::FieldValue, syn::Token![,]>::new();
    let mut checks_out = Vec::new();
    for p in &op.params {
        let field = ident(&p.name);
        let wire = || ast::str_lit(&p.wire);
        let loc_name = location_name(p.location);
        let mut docs = p.docs.clone().unwrap_or_default();
        if let Some(default) = &p.default {
            docs.push_str(&format!("\n\nDefault: `{default}`."));
        }
        let docs = doc_attr_list(
            Some(&docs)
                .filter(|d| !d.trim().is_empty())
                .map(String::as_str),
        );
        let default = p
            .default
            .as_ref()
            .filter(|_| !p.required)
            .and_then(|v| param_default(api, &p.ty, v, mentions));
        let read = |method: &str, mut args: Vec<Expr>, mentions: &mut Mentions| {
            args.insert(0, location(p.location, mentions));
            args.insert(1, wire());
            ast::try_expr(ast::method(ast::path_expr(&["raw"]), method, args))
        };
        let (value, field_ty, optional) = match &p.ty {
            Ty::List(item) => {
                let delimiter = match p.style {
                    ParamStyle::SpaceDelimited => ' ',
                    ParamStyle::PipeDelimited => '|',
                    _ => ',',
                };
                let args = vec![
                    ast::bool_lit(p.explode),
                    ast::lit(Literal::character(delimiter)),
                    parser(api, item, mentions),
                ];
                let list = read("list", args, mentions);
                let ty = models_syn(api, &p.ty, mentions);
                if p.required {
                    let wire = &p.wire;
                    let missing = ast::call(
                        ast::path_expr(&["runtime", "Rejection", "invalid"]),
                        [
                            ast::macro_call("concat", quote!(#loc_name, "/", #wire)),
                            ast::str_lit("required parameter is missing"),
                        ],
                    );
                    let or_missing = ast::method(list, "ok_or_else", [ast::closure([], missing)]);
                    (ast::try_expr(or_missing), ty, false)
                } else {
                    (
                        list,
                        ast::path_ty(ast::generic_path(&["Option"], [ty])),
                        true,
                    )
                }
            }
            ty => {
                let parse = vec![parser(api, ty, mentions)];
                let spelled = models_syn(api, ty, mentions);
                match (p.required, default) {
                    (true, _) => (read("required", parse, mentions), spelled, false),
                    (false, Some(default)) if matches!(resolved(api, ty), Ty::String) => {
                        let optional = read("optional", parse, mentions);
                        let or_default = ast::closure([], default);
                        (
                            ast::method(optional, "unwrap_or_else", [or_default]),
                            spelled,
                            false,
                        )
                    }
                    (false, Some(default)) => (
                        ast::method(read("optional", parse, mentions), "unwrap_or", [default]),
                        spelled,
                        false,
                    ),
                    (false, None) => (
                        read("optional", parse, mentions),
                        ast::path_ty(ast::generic_path(&["Option"], [spelled])),
                        true,
                    ),
                }
            }
        };
        fields.push(syn::Field {
            attrs: docs,
            vis: ast::public(),
            mutability: syn::FieldMutability::None,
            ident: Some(field.clone()),
            colon_token: Some(Default::default()),
            ty: field_ty,
        });
        inits.push(ast::field_value(field.clone(), value));
        let (core, _) = strip_options(&p.ty);
        let check = check_stmts(api, core, &p.constraints, &ast::path_expr(&["value"]));
        if !check.is_empty() {
            let place = ast::reference(ast::field(
                ast::path_expr(&["params"]),
                syn::Member::Named(field),
            ));
            let mut body = if optional {
                let bound = ast::if_let(ast::some_pat(ast::ident_pat("value")), place, check);
                vec![ast::block_stmt(bound)]
            } else {
                let mut body = vec![ast::let_stmt("value", place)];
                body.extend(check);
                body
            };
            body.push(ast::ok_unit());
            let args = [
                location(p.location, mentions),
                wire(),
                ast::closure([ast::ident_pat("at")], ast::block_expr(body)),
            ];
            checks_out.push(ast::try_stmt(ast::call(
                ast::path_expr(&["runtime", "check"]),
                args,
            )));
        }
    }
    if !inits.empty_or_trailing() {
        inits.push_punct(Default::default());
    }
    let mut extract = PARAMS_IMPL.with(Clone::clone);
    extract.self_ty = Box::new(ast::path_ty(ast::path(&[&name.to_string()])));
    if let [syn::ImplItem::Const(in_path), syn::ImplItem::Fn(method)] = &mut extract.items[..] {
        in_path.expr = ast::bool_lit(op.params.iter().any(|p| p.location == ParamLocation::Path));
        if let Some(syn::Stmt::Local(syn::Local {
            init: Some(init), ..
        })) = method.block.stmts.first_mut()
        {
            if let Expr::Struct(built) = &mut *init.expr {
                built.fields = inits;
            }
        }
        let last = method.block.stmts.len().saturating_sub(1);
        method.block.stmts.splice(last..last, checks_out);
    }
    let mut attrs = doc_attr_list(Some(&doc));
    attrs.push(ast::list_attr("derive", quote!(Debug, Clone, PartialEq)));
    let mut fields: Punctuated<syn::Field, syn::Token![,]> = fields.into_iter().collect();
    fields.push_punct(Default::default());
    Some(ParamsCode {
        decl: syn::Item::Struct(syn::ItemStruct {
            attrs,
            vis: ast::public(),
            struct_token: Default::default(),
            ident: name,
            generics: Default::default(),
            fields: syn::Fields::Named(syn::FieldsNamed {
                brace_token: Default::default(),
                named: fields,
            }),
            semi_token: None,
        }),
        extract: syn::Item::Impl(extract),
    })
}

fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

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

fn local_ty(name: &proc_macro2::Ident) -> syn::Type {
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
fn request_body(
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
    let mut name = field.name.clone();
    if FORM_LOCALS.contains(&name.as_str()) {
        name.push_str("_field");
        while fields.iter().any(|other| other.name == name) {
            name.push('_');
        }
    }
    ident(&name)
}

/// A multipart form: text parts parsed as typed, file parts as streams.
fn form_struct(
    api: &Api,
    op: &Operation,
    content: &Content,
    stem: &str,
) -> (TokenStream, proc_macro2::Ident) {
    let name = format_ident!("{}Form", stem);
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
            match core {
                Ty::Bytes => (Kind::File, core, required),
                Ty::List(item) if **item == Ty::Bytes => (Kind::Files, core, required),
                Ty::List(item) => (Kind::Values, &**item, required),
                _ => (Kind::Value, core, required),
            }
        })
        .collect();
    let mut decls = Vec::new();
    let mut locals = Vec::new();
    let mut arms = Vec::new();
    let mut inits = Vec::new();
    let mut checks_out = Vec::new();
    for (i, (f, (kind, ty, required))) in fields.iter().zip(&kinds).enumerate() {
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
            Kind::File => {
                // Streamed only once every other required part is in hand: reading on
                // would consume it.
                let others: Vec<TokenStream> = fields
                    .iter()
                    .zip(&kinds)
                    .enumerate()
                    .filter(|(j, (_, (k, _, req)))| {
                        *j != i && *req && matches!(k, Kind::File | Kind::Value)
                    })
                    .map(|(_, (g, _))| {
                        let g = form_local(fields, g);
                        quote!(#g.is_some())
                    })
                    .collect();
                let arm = if others.is_empty() {
                    quote! {
                        #local = Some(part.into_file());
                        break;
                    }
                } else {
                    quote! {
                        if #(#others)&&* {
                            #local = Some(part.into_file());
                            break;
                        }
                        #local = Some(part.into_buffered_file().await?);
                    }
                };
                (
                    quote!(runtime::FilePart),
                    quote!(Option<runtime::FilePart>),
                    arm,
                )
            }
            Kind::Files => (
                quote!(Vec<runtime::FilePart>),
                quote!(Vec<runtime::FilePart>),
                quote!(#local.push(part.into_buffered_file().await?);),
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
                checks_out.push(quote! {
                    runtime::check(Location::Form, #wire, |at| {
                        #bind
                        Ok(())
                    })?;
                });
            }
        }
    }
    let doc = format!(
        "The `{}` form of `{}`. Parts are read in order; a file part is streamed to the \
         handler when every other required part came before it (else it is read into memory \
         first), and parts after a streamed file are not read.",
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

/// One variant of a response enum: a documented status with one of its media types.
struct Variant<'a> {
    name: proc_macro2::Ident,
    response: &'a Response,
    content: Option<&'a Content>,
}

impl Variant<'_> {
    /// Range and `default` responses carry their status; headers are named fields.
    fn has_fields(&self) -> bool {
        !matches!(self.response.status, Status::Code(_)) || !self.response.headers.is_empty()
    }
}

fn variants(op: &Operation) -> Vec<Variant<'_>> {
    let mut out = Vec::new();
    let mut names = crate::names::Scope::default();
    for response in &op.responses {
        let base = match response.status {
            Status::Code(code) => status_name(code)
                .map(|(name, _)| name.to_owned())
                .unwrap_or_else(|| format!("Status{code}")),
            Status::Range(digit) => format!("Status{digit}xx"),
            Status::Default => "Default".to_owned(),
        };
        if response.content.is_empty() {
            out.push(Variant {
                name: format_ident!("{}", names.claim(&base)),
                response,
                content: None,
            });
        }
        for (i, content) in response.content.iter().enumerate() {
            let name = if i == 0 {
                base.clone()
            } else {
                let suffix = match content.kind {
                    MediaKind::Json => "Json".to_owned(),
                    MediaKind::EventStream => "EventStream".to_owned(),
                    MediaKind::Binary => "Binary".to_owned(),
                    MediaKind::Text => "Text".to_owned(),
                    _ => type_name(&content.media_type, "Media"),
                };
                format!("{base}{suffix}")
            };
            out.push(Variant {
                name: format_ident!("{}", names.claim(&name)),
                response,
                content: Some(content),
            });
        }
    }
    out
}

/// The Rust type a response media type is sent from.
fn response_body_ty(api: &Api, content: &Content, mentions: &mut Mentions) -> syn::Type {
    let ty = match &content.ty {
        Some(ty) => models_syn(api, ty, mentions),
        None => ast::path_ty(ast::path(&["serde_json", "Value"])),
    };
    match content.kind {
        MediaKind::Json => ty,
        MediaKind::EventStream => {
            ast::path_ty(ast::generic_path(&["runtime", "EventStream"], [ty]))
        }
        MediaKind::Text => ast::path_ty(ast::path(&["String"])),
        MediaKind::Binary | MediaKind::Multipart | MediaKind::FormUrlEncoded => {
            ast::path_ty(ast::path(&["runtime", "Binary"]))
        }
    }
}

fn header_ident(header: &Header) -> proc_macro2::Ident {
    ident(&header.name)
}

/// A header name axum accepts as a constant: lower-case token characters.
fn header_name(wire: &str) -> Option<String> {
    let lower = wire.to_ascii_lowercase();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    (!lower.is_empty() && lower.chars().all(token)).then_some(lower)
}

/// `match` arm answering one variant.
fn variant_arm(api: &Api, envelope: &Envelope, variant: &Variant<'_>) -> syn::Arm {
    let name = variant.name.to_string();
    let status = || match variant.response.status {
        Status::Code(code) => status_expr(code),
        Status::Range(_) | Status::Default => ast::path_expr(&["status"]),
    };
    let body = || ast::path_expr(&["body"]);
    let respond = match variant.content {
        None => ast::method(status(), "into_response", []),
        Some(content) => {
            let media_type = &content.media_type;
            match content.kind {
                MediaKind::Json => ast::call(
                    ast::path_expr(&["runtime", "json_response"]),
                    [status(), body()],
                ),
                MediaKind::EventStream => ast::method_turbofish(
                    body(),
                    "into_response_with",
                    [envelope.ty.clone()],
                    [status()],
                ),
                MediaKind::Text => {
                    let content_type = ast::tuple_expr([
                        ast::path_expr(&["axum", "http", "header", "CONTENT_TYPE"]),
                        ast::call(
                            ast::path_expr(&["axum", "http", "HeaderValue", "from_static"]),
                            [ast::str_lit(media_type)],
                        ),
                    ]);
                    let headers = ast::array([content_type]);
                    ast::method(
                        ast::tuple_expr([status(), headers, body()]),
                        "into_response",
                        [],
                    )
                }
                _ => {
                    let media_type = if media_type.contains('*') {
                        "application/octet-stream"
                    } else {
                        media_type
                    };
                    ast::method(
                        body(),
                        "into_response",
                        [status(), ast::str_lit(media_type)],
                    )
                }
            }
        }
    };
    let headers: Vec<syn::Stmt> = variant
        .response
        .headers
        .iter()
        .filter_map(|h| {
            let name = header_name(&h.wire)?;
            let value = || ast::path_expr(&["value"]);
            let display = match resolved(api, &h.ty) {
                Ty::String | Ty::I32 | Ty::I64 | Ty::F64 | Ty::Bool | Ty::Uuid => value(),
                Ty::Named(id)
                    if matches!(
                        api.ty(*id).kind,
                        TypeKind::StringEnum(_) | TypeKind::IntEnum(_)
                    ) =>
                {
                    value()
                }
                _ => ast::reference(ast::method(
                    ast::call(ast::path_expr(&["serde_json", "to_string"]), [value()]),
                    "unwrap_or_default",
                    [],
                )),
            };
            let header_name = ast::call(
                ast::path_expr(&["axum", "http", "HeaderName", "from_static"]),
                [ast::str_lit(&name)],
            );
            let set = Stmt::Expr(
                ast::call(
                    ast::path_expr(&["runtime", "set_header"]),
                    [
                        ast::mut_reference(ast::path_expr(&["response"])),
                        header_name,
                        display,
                    ],
                ),
                Some(Default::default()),
            );
            let field = ast::reference(ast::ident_expr(header_ident(h)));
            Some(ast::block_stmt(if h.required {
                ast::let_block("value", field, vec![set])
            } else {
                ast::if_let(ast::some_pat(ast::ident_pat("value")), field, vec![set])
            }))
        })
        .collect();
    // A JSON body is serialized by reference, so it is bound by reference: moved out of
    // the enum, a large body would be copied first.
    let body_binding = variant.content.map(|content| {
        let mut binding = ast::binding(ast::ident("body"));
        if content.kind == MediaKind::Json {
            binding.by_ref = Some(Default::default());
        }
        binding
    });
    let pattern = if variant.has_fields() {
        let status = (!matches!(variant.response.status, Status::Code(_)))
            .then(|| ast::binding(ast::ident("status")));
        let header_fields = variant
            .response
            .headers
            .iter()
            .map(|h| ast::binding(header_ident(h)));
        let fields = status.into_iter().chain(body_binding).chain(header_fields);
        ast::struct_pat(&["Self", &name], fields)
    } else if let Some(body) = body_binding {
        ast::tuple_struct_pat(&["Self", &name], [syn::Pat::Ident(body)])
    } else {
        ast::path_pat(&["Self", &name])
    };
    if headers.is_empty() {
        ast::arm(pattern, respond)
    } else {
        let mut stmts = vec![ast::let_mut_stmt("response", respond)];
        stmts.extend(headers);
        stmts.push(Stmt::Expr(ast::path_expr(&["response"]), None));
        syn::Arm {
            comma: None,
            ..ast::arm(pattern, ast::block_expr(stmts))
        }
    }
}

fn variant_decl(api: &Api, variant: &Variant<'_>, mentions: &mut Mentions) -> syn::Variant {
    let status = match variant.response.status {
        Status::Code(code) => code.to_string(),
        Status::Range(digit) => format!("{digit}XX"),
        Status::Default => "default".to_owned(),
    };
    let media = variant
        .content
        .map(|c| format!(", `{}`", c.media_type))
        .unwrap_or_default();
    let docs = doc_attr_list(Some(&format!(
        "{status}{media}: {}",
        variant.response.description
    )));
    let body_ty = variant.content.map(|c| response_body_ty(api, c, mentions));
    let field = |attrs: Vec<syn::Attribute>, name: Option<syn::Ident>, ty: syn::Type| syn::Field {
        attrs,
        vis: syn::Visibility::Inherited,
        mutability: syn::FieldMutability::None,
        colon_token: name.as_ref().map(|_| Default::default()),
        ident: name,
        ty,
    };
    let fields = if variant.has_fields() {
        let status = (!matches!(variant.response.status, Status::Code(_))).then(|| {
            field(
                vec![ast::doc_attr(" The status to answer with.")],
                Some(ast::ident("status")),
                ast::path_ty(ast::path(&["StatusCode"])),
            )
        });
        let body = body_ty.map(|ty| field(Vec::new(), Some(ast::ident("body")), ty));
        let headers = variant.response.headers.iter().map(|h| {
            let ty = models_syn(api, &h.ty, mentions);
            let ty = if h.required {
                ty
            } else {
                ast::path_ty(ast::generic_path(&["Option"], [ty]))
            };
            let docs = doc_attr_list(Some(&format!(
                "`{}` header.{}",
                h.wire,
                h.docs
                    .as_deref()
                    .map(|d| format!(" {d}"))
                    .unwrap_or_default()
            )));
            field(docs, Some(header_ident(h)), ty)
        });
        let named: Vec<syn::Field> = status.into_iter().chain(body).chain(headers).collect();
        syn::Fields::Named(syn::FieldsNamed {
            brace_token: Default::default(),
            named: named.into_iter().collect(),
        })
    } else if let Some(ty) = body_ty {
        syn::Fields::Unnamed(syn::FieldsUnnamed {
            paren_token: Default::default(),
            unnamed: [field(Vec::new(), None, ty)].into_iter().collect(),
        })
    } else {
        syn::Fields::Unit
    };
    syn::Variant {
        attrs: docs,
        ident: variant.name.clone(),
        fields,
        discriminant: None,
    }
}

/// How an operation's default body answers 501: through its documented 501 (or `default`)
/// response when that carries the envelope, else through an added `NotImplemented` variant
/// outside the document, the one answer an implementation cannot document.
fn not_implemented(
    api: &Api,
    envelope: &Envelope,
    variants: &[Variant<'_>],
) -> (Expr, Option<AddedVariant>) {
    let is_envelope = |v: &Variant<'_>| {
        v.response.headers.iter().all(|h| !h.required)
            && v.content.is_some_and(|c| {
                c.kind == MediaKind::Json
                    && match (envelope.id, c.ty.as_ref().and_then(Ty::direct_named)) {
                        (Some(id), Some(ty)) => id == ty,
                        _ => false,
                    }
            })
    };
    let documented = variants
        .iter()
        .find(|v| v.response.status == Status::Code(501) && is_envelope(v))
        .or_else(|| {
            variants
                .iter()
                .find(|v| v.response.status == Status::Default && is_envelope(v))
        });
    let _ = api;
    let body = || ast::path_expr(&["body"]);
    match documented {
        Some(v) => {
            let name = v.name.to_string();
            let build = if v.has_fields() {
                let status = (v.response.status == Status::Default).then(|| {
                    ast::field_value(
                        ast::ident("status"),
                        ast::path_expr(&["StatusCode", "NOT_IMPLEMENTED"]),
                    )
                });
                let body = syn::FieldValue {
                    colon_token: None,
                    ..ast::field_value(ast::ident("body"), body())
                };
                let headers = v
                    .response
                    .headers
                    .iter()
                    .map(|h| ast::field_value(header_ident(h), ast::path_expr(&["None"])));
                let mut fields: Punctuated<syn::FieldValue, syn::Token![,]> =
                    status.into_iter().chain([body]).chain(headers).collect();
                fields.push_punct(Default::default());
                Expr::Struct(syn::ExprStruct {
                    attrs: Vec::new(),
                    qself: None,
                    path: ast::path(&["Self", &name]),
                    brace_token: Default::default(),
                    fields,
                    dot2_token: None,
                    rest: None,
                })
            } else {
                ast::call(ast::path_expr(&["Self", &name]), [body()])
            };
            (build, None)
        }
        None => {
            let name = added_not_implemented(variants);
            (
                ast::call(ast::path_expr(&["Self", &name.to_string()]), [body()]),
                Some(AddedVariant {
                    decl: syn::Variant {
                        attrs: vec![
                            ast::doc_attr(
                                " 501, `application/json`: not in the document; the answer of an operation",
                            ),
                            ast::doc_attr(
                                " the implementation does not serve (the trait's default body).",
                            ),
                        ],
                        fields: ast::tuple_fields(envelope.ty.clone()),
                        ident: name.clone(),
                        discriminant: None,
                    },
                    arm: ast::arm(
                        ast::tuple_struct_pat(
                            &["Self", &name.to_string()],
                            [syn::Pat::Ident(syn::PatIdent {
                                by_ref: Some(Default::default()),
                                ..ast::binding(ast::ident("body"))
                            })],
                        ),
                        ast::call(
                            ast::path_expr(&["runtime", "json_response"]),
                            [
                                ast::path_expr(&["StatusCode", "NOT_IMPLEMENTED"]),
                                ast::path_expr(&["body"]),
                            ],
                        ),
                    ),
                }),
            )
        }
    }
}

/// The 501 variant added outside the document: its declaration and its response arm.
struct AddedVariant {
    decl: syn::Variant,
    arm: syn::Arm,
}

/// The added 501 variant's name: `NotImplemented`, unless a documented 501 that does not
/// carry the envelope (Redshift's `text/xml` faults) has it.
fn added_not_implemented(variants: &[Variant<'_>]) -> proc_macro2::Ident {
    let mut name = String::from("NotImplemented");
    while variants.iter().any(|v| v.name == name) {
        name.push_str("Default");
    }
    format_ident!("{name}")
}

thread_local! {
    /// Every response enum starts as a copy of these: the enum, its 501 constructor, its
    /// `IntoResponse`.
    static RESPONSE_ENUM: syn::ItemEnum = syn::parse_quote! {
        #[doc = ""]
        #[derive(Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum Response {}
    };
    static CONSTRUCTOR: syn::ItemImpl = syn::parse_quote! {
        impl Response {
            #[doc = ""]
            pub fn not_implemented() -> Self {
                let body = runtime::not_implemented("");
            }
        }
    };
    static INTO_RESPONSE: syn::ItemImpl = syn::parse_quote! {
        impl IntoResponse for Response {
            #[inline]
            fn into_response(self) -> Response {
                match self {}
            }
        }
    };
}

fn response_enum(
    api: &Api,
    envelope: &Envelope,
    op: &Operation,
    mentions: &mut Mentions,
) -> [syn::Item; 3] {
    // The enum, its 501 constructor, its `IntoResponse`.
    let name = format_ident!("{}Response", op.type_stem);
    let self_ty = || Box::new(ast::path_ty(ast::path(&[&name.to_string()])));
    let variants = variants(op);
    let (unimplemented, extra) = not_implemented(api, envelope, &variants);
    let mut decl = RESPONSE_ENUM.with(Clone::clone);
    // Built once and moved into the answer (`large_enum_variant` allowed): boxing would
    // burden every handler.
    decl.attrs[0] = ast::doc_attr(&format!(
        "The answers `{}` documents, one variant per status and media type.",
        op.id
    ));
    decl.ident = name.clone();
    decl.variants = variants
        .iter()
        .map(|v| variant_decl(api, v, mentions))
        .collect();
    match &extra {
        Some(added) => decl.variants.push(added.decl.clone()),
        None if !decl.variants.empty_or_trailing() => decl.variants.push_punct(Default::default()),
        None => {}
    }
    let mut constructor = CONSTRUCTOR.with(Clone::clone);
    constructor.self_ty = self_ty();
    if let Some(syn::ImplItem::Fn(method)) = constructor.items.first_mut() {
        method.attrs[0] = ast::doc_attr(&format!(
            "501 in the API's error envelope: the trait's default for `{}`.",
            op.id
        ));
        if let Some(Stmt::Local(syn::Local {
            init: Some(init), ..
        })) = method.block.stmts.first_mut()
        {
            if let Expr::Call(call) = &mut *init.expr {
                call.args = Punctuated::from_iter([ast::str_lit(&op.id)]);
            }
        }
        method.block.stmts.push(Stmt::Expr(unimplemented, None));
    }
    // Inlined where the operation's future completes, so a large body is serialized where
    // it lies instead of being copied into the call first.
    let mut into_response = INTO_RESPONSE.with(Clone::clone);
    into_response.self_ty = self_ty();
    if let Some(answer) = ast::final_match(&mut into_response) {
        answer.arms = variants
            .iter()
            .map(|v| variant_arm(api, envelope, v))
            .collect();
        answer.arms.extend(extra.map(|added| added.arm));
    }
    [
        syn::Item::Enum(decl),
        syn::Item::Impl(constructor),
        syn::Item::Impl(into_response),
    ]
}

/// The security requirement of an operation: alternatives (any one suffices), each the
/// schemes it needs (those the document defines); `None` when it has none.
fn requirement_schemes<'a>(
    api: &'a Api,
    op: &'a Operation,
) -> Option<Vec<Vec<&'a SecurityScheme>>> {
    let alternatives = op.security.as_ref().unwrap_or(&api.security);
    if alternatives.is_empty() {
        return None;
    }
    let find = |name: &String| api.security_schemes.iter().find(|s| &s.name == name);
    Some(
        alternatives
            .iter()
            .map(|alternative| alternative.iter().filter_map(find).collect())
            .collect(),
    )
}

/// The security requirement of an operation as a runtime constant, `None` when it has none.
fn requirement(api: &Api, op: &Operation) -> Option<TokenStream> {
    let alternatives = requirement_schemes(api, op)?;
    let alternatives = alternatives.iter().map(|alternative| {
        let schemes = alternative.iter().map(|scheme| {
            let kind = match &scheme.kind {
                SecurityKind::Bearer { .. } | SecurityKind::Other(_) => {
                    quote!(runtime::SchemeKind::Bearer)
                }
                SecurityKind::Basic => quote!(runtime::SchemeKind::Basic),
                SecurityKind::ApiKey { name, location } => match location {
                    ParamLocation::Query => quote!(runtime::SchemeKind::Query(#name)),
                    ParamLocation::Cookie => quote!(runtime::SchemeKind::Cookie(#name)),
                    _ => {
                        let lower = name.to_ascii_lowercase();
                        quote!(runtime::SchemeKind::Header(#lower))
                    }
                },
            };
            let scheme_name = &scheme.name;
            quote!(runtime::SecurityScheme { name: #scheme_name, kind: #kind })
        });
        quote!(&[#(#schemes),*])
    });
    Some(quote!(&[#(#alternatives),*]))
}

fn uses_auth(api: &Api) -> bool {
    api.operations
        .iter()
        .any(|op| requirement(api, op).is_some())
}

/// What every part of `server.rs` needs: built by each part on the thread that prints it
/// (syntax trees and tokens are not `Send`).
struct Shared {
    envelope: Envelope,
    trait_ident: proc_macro2::Ident,
    /// Each operation's security requirement: an index into the distinct requirements,
    /// each a constant the handlers name.
    securities: Vec<Option<usize>>,
    /// How many distinct requirements there are.
    requirements: usize,
}

impl Shared {
    fn new(api: &Api) -> Shared {
        let mut keys: Vec<Vec<Vec<&str>>> = Vec::new();
        let securities = api
            .operations
            .iter()
            .map(|op| {
                let key: Vec<Vec<&str>> = requirement_schemes(api, op)?
                    .iter()
                    .map(|schemes| schemes.iter().map(|s| s.name.as_str()).collect())
                    .collect();
                Some(match keys.iter().position(|k| *k == key) {
                    Some(i) => i,
                    None => {
                        keys.push(key);
                        keys.len() - 1
                    }
                })
            })
            .collect();
        Shared {
            envelope: envelope(api),
            trait_ident: format_ident!("{}", trait_name(api)),
            securities,
            requirements: keys.len(),
        }
    }

    /// Whether any operation authenticates.
    fn auth(&self) -> bool {
        self.requirements > 0
    }

    fn security_ident(&self, i: usize) -> proc_macro2::Ident {
        if self.requirements == 1 {
            format_ident!("SECURITY")
        } else {
            format_ident!("SECURITY_{}", i)
        }
    }
}

fn handler_name(op: &Operation) -> proc_macro2::Ident {
    format_ident!("handle_{}", op.name)
}

fn params_name(op: &Operation) -> Option<proc_macro2::Ident> {
    (!op.params.is_empty()).then(|| format_ident!("{}Params", op.type_stem))
}

/// The items of one operation: its params struct and extraction, body types, response
/// enum.
fn operation_items(
    api: &Api,
    envelope: &Envelope,
    op: &Operation,
    mentions: &mut Mentions,
) -> Result<Vec<syn::Item>> {
    let mut items = Vec::new();
    if let Some(params) = params_struct(api, op, mentions) {
        items.extend([params.decl, params.extract]);
    }
    if let Some((_, _, body_items)) = request_body(api, op, mentions) {
        mentions.walk(body_items.clone());
        items.extend(parse_items(body_items)?);
    }
    items.extend(response_enum(api, envelope, op, mentions));
    Ok(items)
}

thread_local! {
    /// Every operation's method of the trait starts as a copy of this one.
    static TRAIT_METHOD: syn::TraitItemFn = syn::parse_quote! {
        fn method(&self) -> impl Future<Output = Response> + Send {
            let _ = ctx;
            std::future::ready(Response::not_implemented())
        }
    };
}

/// The operation's method of the trait, answering 501 by default.
fn trait_method(
    api: &Api,
    shared: &Shared,
    op: &Operation,
    mentions: &mut Mentions,
) -> syn::TraitItem {
    let response_name = format!("{}Response", op.type_stem);
    let claims = if shared.auth() {
        ast::path_ty(ast::path(&["Self", "Claims"]))
    } else {
        ast::unit_ty()
    };
    let mut args = vec![(
        "ctx",
        ast::path_ty(ast::generic_path(&["RequestContext"], [claims])),
    )];
    if let Some(name) = params_name(op) {
        args.push(("params", local_ty(&name)));
    }
    if let Some((ty, _, _)) = request_body(api, op, mentions) {
        args.push(("body", ty));
    }
    let unused = if args.len() == 1 {
        ast::path_expr(&["ctx"])
    } else {
        ast::tuple_expr(args.iter().map(|(name, _)| ast::path_expr(&[name])))
    };
    let mut method = TRAIT_METHOD.with(Clone::clone);
    method.attrs = doc_attr_list(Some(&op_doc(op)));
    method.sig.ident = ident(&op.name);
    method.sig.inputs.extend(args.into_iter().map(|(name, ty)| {
        syn::FnArg::Typed(syn::PatType {
            attrs: Vec::new(),
            pat: Box::new(ast::ident_pat(name)),
            colon_token: Default::default(),
            ty: Box::new(ty),
        })
    }));
    if let syn::ReturnType::Type(_, output) = &mut method.sig.output {
        if let syn::Type::ImplTrait(future) = &mut **output {
            if let Some(syn::TypeParamBound::Trait(bound)) = future.bounds.first_mut() {
                if let Some(syn::PathArguments::AngleBracketed(generics)) = bound
                    .path
                    .segments
                    .last_mut()
                    .map(|last| &mut last.arguments)
                {
                    if let Some(syn::GenericArgument::AssocType(output)) = generics.args.first_mut()
                    {
                        output.ty = ast::path_ty(ast::path(&[&response_name]));
                    }
                }
            }
        }
    }
    if let Some(block) = &mut method.default {
        block.stmts = vec![
            ast::let_wild_stmt(unused),
            Stmt::Expr(
                ast::call(
                    ast::path_expr(&["std", "future", "ready"]),
                    [ast::call(
                        ast::path_expr(&[&response_name, "not_implemented"]),
                        [],
                    )],
                ),
                None,
            ),
        ];
    }
    syn::TraitItem::Fn(method)
}

thread_local! {
    /// Every operation's handler starts as a copy of this one.
    static HANDLER: syn::ItemFn = syn::parse_quote! {
        fn handle<A: Api>(api: Arc<A>, request: Request) -> impl Future<Output = Result<Response, Infallible>> + Send {
            runtime::handle(Served(api), request)
        }
    };
}

/// The function the router binds the implementation to for one operation (`security`:
/// its index among the distinct requirements).
fn handler(api: &Api, shared: &Shared, op: &Operation, security: Option<usize>) -> syn::Item {
    let params = params_name(op);
    // The trait's methods name the same types.
    let body = request_body(api, op, &mut Mentions::default());
    let security = match security {
        Some(i) => ast::call(
            ast::path_expr(&["Some"]),
            [ast::ident_expr(shared.security_ident(i))],
        ),
        None => ast::path_expr(&["None"]),
    };
    let has_body = body.is_some();
    let reader = match body {
        Some((_, reader, _)) => reader,
        None => ast::path_expr(&["runtime", "NoBody"]),
    };
    let typed = |pat: syn::Pat, ty: syn::Type| {
        syn::Pat::Type(syn::PatType {
            attrs: Vec::new(),
            pat: Box::new(pat),
            colon_token: Default::default(),
            ty: Box::new(ty),
        })
    };
    let mut arg_names = vec!["ctx"];
    let params_arg = match &params {
        Some(name) => {
            arg_names.push("params");
            typed(
                ast::ident_pat("params"),
                ast::path_ty(ast::path(&[&name.to_string()])),
            )
        }
        None => typed(ast::wild_pat(), ast::unit_ty()),
    };
    let body_arg = if has_body {
        arg_names.push("body");
        ast::ident_pat("body")
    } else {
        typed(ast::wild_pat(), ast::unit_ty())
    };
    let mut call = ast::method(
        ast::path_expr(&["api"]),
        "method",
        arg_names.iter().map(|name| ast::path_expr(&[name])),
    );
    if let Expr::MethodCall(call) = &mut call {
        call.method = ident(&op.name);
    }
    let answer = ast::call(ast::path_expr(&["runtime", "answer"]), [call]);
    let inputs = [
        ast::ident_pat("api"),
        ast::ident_pat("ctx"),
        params_arg,
        body_arg,
    ];
    let mut handler = HANDLER.with(Clone::clone);
    handler.sig.ident = handler_name(op);
    if let Some(syn::GenericParam::Type(param)) = handler.sig.generics.params.first_mut() {
        if let Some(syn::TypeParamBound::Trait(bound)) = param.bounds.first_mut() {
            bound.path = syn::Path::from(shared.trait_ident.clone());
        }
    }
    if let Some(Stmt::Expr(Expr::Call(handle), None)) = handler.block.stmts.last_mut() {
        handle
            .args
            .extend([security, reader, ast::closure(inputs, answer)]);
    }
    syn::Item::Fn(handler)
}

fn router(api: &Api, trait_ident: &proc_macro2::Ident) -> TokenStream {
    let ops = &api.operations;
    // Document order of first appearance, one route per path.
    let mut paths: Vec<&str> = Vec::new();
    for op in ops {
        if !paths.contains(&op.path.as_str()) {
            paths.push(&op.path);
        }
    }
    let routes = paths.iter().map(|path| {
        let on_path: Vec<&Operation> = ops.iter().filter(|op| op.path == *path).collect();
        let allow = on_path
            .iter()
            .map(|op| op.method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let methods = on_path.iter().map(|op| {
            let filter = format_ident!("{}_service", op.method.as_str().to_ascii_lowercase());
            let handler = handler_name(op);
            quote!(.#filter(runtime::bind(&api, #handler::<A>)))
        });
        quote! {
            .route(#path, axum::routing::MethodRouter::new()
                #(#methods)*
                .fallback(runtime::method_not_allowed::<Envelope>(#allow)))
        }
    });
    // The implementation is bound into each route's handler; without operations it is unused.
    let no_routes = paths.is_empty().then(|| quote!(let _ = api;));
    let trait_name = trait_ident.to_string();
    let doc = format!(
        "The HTTP API over an implementation of [`{trait_name}`]: every operation's route, \
         authentication through [`{trait_name}::authenticate`] where the document requires \
         it, and every rejection (404, 405 with `Allow`, 400, 401, 413, 415, 422) in the \
         API's error envelope. Add tower layers with `Router::layer`."
    );
    let doc = if uses_auth(api) {
        doc
    } else {
        doc.replace(&format!(", authentication through [`{trait_name}::authenticate`] where the document requires it"), "")
    };
    quote! {
        #[doc = #doc]
        pub fn router<A: #trait_ident>(api: Arc<A>) -> Router {
            #no_routes
            Router::new()
                #(#routes)*
                .fallback(runtime::not_found::<Envelope>)
                // The fallbacks (axum handlers) made services once, not on every request.
                .with_state(())
        }
    }
}

/// `src/server.rs` whole: its parts in order (the pipeline prints each on its own).
pub fn server(api: &Api) -> Result<Vec<syn::Item>> {
    let all = 0..api.operations.len();
    let mut mentions = Mentions::default();
    let head = server_head(api, &mut mentions)?;
    let operations = server_operations(api, all.clone(), &mut mentions)?;
    let mut items = server_uses(api, &mentions)?;
    items.extend(head);
    items.extend(operations);
    items.extend(server_tail(api)?);
    items.extend(server_handlers(api, all)?);
    Ok(items)
}

/// The `use` lines `src/server.rs` starts with: some only where the other parts mention
/// what they import.
pub fn server_uses(api: &Api, mentions: &Mentions) -> Result<Vec<syn::Item>> {
    let use_models = mentions.models_path.then(|| {
        quote!(
            use super::models;
        )
    });
    let parsing = PARSE_HELPERS
        .iter()
        .zip(&mentions.names)
        .filter(|(_, used)| **used)
        .map(|(name, _)| format_ident!("{}", name))
        .collect::<Vec<_>>();
    let use_parsing = (!parsing.is_empty()).then(|| quote!(use runtime::{#(#parsing),*};));
    let use_handler_items = (!api.operations.is_empty()).then(|| {
        quote! {
            use axum::extract::Request;
            use axum::http::StatusCode;
            use axum::response::{IntoResponse, Response};
            use std::convert::Infallible;
            use std::future::Future;
        }
    });
    parse_items(quote! {
        #use_models
        #use_handler_items
        #use_parsing
        use axum::Router;
        use std::sync::Arc;
    })
}

/// What follows the `use` lines: the runtime and mock modules, the envelope, the trait.
pub fn server_head(api: &Api, mentions: &mut Mentions) -> Result<Vec<syn::Item>> {
    let shared = Shared::new(api);
    let trait_ident = &shared.trait_ident;
    let methods: Vec<syn::TraitItem> = api
        .operations
        .iter()
        .map(|op| trait_method(api, &shared, op, mentions))
        .collect();
    let envelope_ty = &shared.envelope.ty;
    let envelope_imp = &shared.envelope.imp;
    let auth_items = shared.auth().then(|| {
        quote! {
            /// What authentication yields (a user, a project, scopes), handed to handlers in
            /// `ctx.claims`.
            type Claims: Send + Sync + 'static;

            /// Checks the credential of a request whose operation requires authentication,
            /// before its handler runs: the claims, or a rejection (401 with
            /// `Rejection::unauthorized`, 403 with `Rejection::forbidden`).
            fn authenticate(&self, credential: Credential<'_>) -> impl Future<Output = Result<Self::Claims, Rejection>> + Send;
        }
    });
    let trait_doc = format!(
        "{} (version {}): one method per operation. Every method answers 501 Not \
         Implemented in the API's error envelope until implemented, so an implementation \
         writes only what it serves. Serve it with [`router`].",
        api.title, api.version
    );
    let tokens = quote! {
        /// The HTTP plumbing every generated server shares (the runtime crate's `server`
        /// module; `runtime::axum` is the axum it is built on).
        pub use codegen_runtime::server as runtime;
        use runtime::axum;
        /// An implementation answering every operation with an example of a documented answer.
        #[path = "server/mock.rs"]
        pub mod mock;

        pub use runtime::{
            Binary, BodyError, BodyStream, Credential, EventStream, FilePart, Limits, Problem,
            Rejection, RequestContext, RequestId,
        };

        /// The API's error envelope: every rejection and 501 is sent in it.
        pub type Envelope = #envelope_ty;

        #envelope_imp

        #[doc = #trait_doc]
        pub trait #trait_ident: Send + Sync + 'static {
            #auth_items

            /// The body size limits the router enforces (413 beyond them).
            fn limits(&self) -> Limits {
                Limits::default()
            }
        }
    };
    // The envelope's impl names its type (wherever the operations' items name it too).
    mentions.walk(tokens.clone());
    let mut items = parse_items(tokens)?;
    if let Some(syn::Item::Trait(item)) = items.last_mut() {
        item.items.extend(methods);
    }
    Ok(items)
}

/// The items of the operations in `range` (their params, bodies and responses).
pub fn server_operations(
    api: &Api,
    range: std::ops::Range<usize>,
    mentions: &mut Mentions,
) -> Result<Vec<syn::Item>> {
    let envelope = envelope(api);
    let mut items = Vec::new();
    for op in &api.operations[range] {
        items.extend(operation_items(api, &envelope, op, mentions)?);
    }
    Ok(items)
}

/// The router, the runtime's view of the trait and the security requirements.
pub fn server_tail(api: &Api) -> Result<Vec<syn::Item>> {
    let shared = Shared::new(api);
    let trait_ident = &shared.trait_ident;
    let auth = shared.auth();
    let security_consts = (0..shared.requirements).map(|i| {
        let name = shared.security_ident(i);
        let requirement = api
            .operations
            .iter()
            .zip(&shared.securities)
            .find(|(_, security)| **security == Some(i))
            .and_then(|(op, _)| requirement(api, op));
        quote! {
            /// A security requirement of operations: alternatives (any one suffices), each the
            /// schemes it needs.
            const #name: runtime::Requirement = #requirement;
        }
    });
    let service_impl = (!api.operations.is_empty()).then(|| {
        let (claims, check) = if auth {
            (
                quote!(A::Claims),
                quote!(#trait_ident::authenticate(&*self.0, credential)),
            )
        } else {
            (
                quote!(()),
                quote! {
                    let _ = credential;
                    std::future::ready(Ok(()))
                },
            )
        };
        quote! {
            /// An implementation as the runtime's handler serves it: with the trait's auth
            /// hook and limits, and the API's envelope.
            struct Served<A>(Arc<A>);

            impl<A: #trait_ident> runtime::Service for Served<A> {
                type Api = A;
                type Claims = #claims;
                type Envelope = Envelope;

                fn check_credential(&self, credential: Credential<'_>) -> impl Future<Output = Result<Self::Claims, Rejection>> + Send {
                    #check
                }

                fn api(&self) -> &A {
                    &self.0
                }

                fn body_limits(&self) -> Limits {
                    #trait_ident::limits(&*self.0)
                }
            }
        }
    });
    let router = router(api, trait_ident);
    parse_items(quote! {
        #router

        #service_impl

        #(#security_consts)*
    })
}

/// The handlers of the operations in `range`, after the tail.
pub fn server_handlers(api: &Api, range: std::ops::Range<usize>) -> Result<Vec<syn::Item>> {
    let shared = Shared::new(api);
    api.operations[range.clone()]
        .iter()
        .zip(&shared.securities[range])
        .map(|(op, security)| Ok(handler(api, &shared, op, *security)))
        .collect()
}

/// Runtime names imported only where used: parameter and form parsing name them often.
const PARSE_HELPERS: [&str; 4] = ["Location", "parse_from_str", "parse_serde", "parse_string"];

/// What the server's code names: noted where trees are built, found in one walk of the
/// tokens elsewhere (each walk copies the token tree).
#[derive(Debug, Default, Clone, Copy)]
pub struct Mentions {
    /// A path through `models` (`models::X`): `use super::models;` is needed.
    models_path: bool,
    /// For each of [`PARSE_HELPERS`], whether it appears as an identifier.
    names: [bool; PARSE_HELPERS.len()],
}

impl Mentions {
    /// What either names.
    pub fn merge(&mut self, other: &Mentions) {
        self.models_path |= other.models_path;
        for (found, other) in self.names.iter_mut().zip(other.names) {
            *found |= other;
        }
    }

    fn note(&mut self, name: &str) {
        for (helper, found) in PARSE_HELPERS.iter().zip(&mut self.names) {
            *found |= *helper == name;
        }
    }

    fn walk(&mut self, tokens: TokenStream) {
        let mut after_models = false;
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Ident(ident) => {
                    after_models = ident == "models";
                    for (name, found) in PARSE_HELPERS.iter().zip(&mut self.names) {
                        *found |= ident == name;
                    }
                }
                proc_macro2::TokenTree::Punct(punct) => {
                    // Joint: the first `:` of `::`, not a field's `models: ...`.
                    self.models_path |= after_models
                        && punct.as_char() == ':'
                        && punct.spacing() == proc_macro2::Spacing::Joint;
                    after_models = false;
                }
                proc_macro2::TokenTree::Group(group) => {
                    after_models = false;
                    self.walk(group.stream());
                }
                proc_macro2::TokenTree::Literal(_) => after_models = false,
            }
        }
    }
}

/// The bodies one documented answer can send, each `(name, parts)` as
/// the runtime's `MockExample` holds them: the media type's examples
/// (a named one by its name), else the schema's, else one made from the schema.
fn mock_examples(api: &Api, content: &Content) -> Vec<(String, Vec<String>)> {
    let compact = |value: &serde_json::Value| value.to_string();
    let as_text = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text.clone(),
        other => compact(other),
    };
    let parts = |value: &serde_json::Value| match content.kind {
        MediaKind::Json | MediaKind::EventStream => vec![compact(value)],
        _ => vec![as_text(value)],
    };
    let mut documented: Vec<(String, Vec<String>)> = Vec::new();
    let mut last_pointer = None;
    for example in &content.examples {
        // Lowering gives an event stream's example as one IR example per event, each at
        // the example's pointer: consecutive ones are the events of one answer.
        let same_stream =
            content.kind == MediaKind::EventStream && last_pointer == Some(&example.pointer);
        match documented.last_mut() {
            Some((_, events)) if same_stream => events.push(compact(&example.value)),
            _ => documented.push((
                example.name.clone().unwrap_or_default(),
                parts(&example.value),
            )),
        }
        last_pointer = Some(&example.pointer);
    }
    if !documented.is_empty() {
        return documented;
    }
    let schema_example = content
        .ty
        .as_ref()
        .and_then(Ty::direct_named)
        .and_then(|id| api.ty(id).examples.first().cloned());
    let made = match content.kind {
        // A byte body has no schema to honour: any bytes will do.
        MediaKind::Binary | MediaKind::Multipart | MediaKind::FormUrlEncoded => {
            Some(serde_json::Value::String("mock file contents\n".into()))
        }
        _ => schema_example.or_else(|| {
            let ty = content.ty.as_ref().unwrap_or(&Ty::Any);
            synth::constrained(api, ty, &content.constraints)
        }),
    };
    made.map(|value| vec![(String::new(), parts(&value))])
        .unwrap_or_default()
}

/// An expression telling whether the request body asks to stream: `"stream": true`, when
/// the body is one JSON model with a boolean `stream` property; `None` otherwise.
fn stream_flag(api: &Api, op: &Operation) -> Option<TokenStream> {
    let body = op.body.as_ref()?;
    let [content] = body.content.as_slice() else {
        return None;
    };
    if content.kind != MediaKind::Json {
        return None;
    }
    let Ty::Named(id) = resolved(api, content.ty.as_ref()?) else {
        return None;
    };
    let TypeKind::Struct(s) = &api.ty(*id).kind else {
        return None;
    };
    let field = s.fields.iter().find(|f| f.wire == "stream")?;
    let (core, layers) = strip_options(&field.ty);
    if *resolved(api, core) != Ty::Bool {
        return None;
    }
    let name = ident(&field.name);
    let wanted = (0..layers).fold(quote!(true), |inner, _| quote!(Some(#inner)));
    let flag = if layers == 0 {
        quote!(body.#name)
    } else {
        quote!(body.#name == #wanted)
    };
    Some(if body.required {
        flag
    } else {
        quote!(body.as_ref().is_some_and(|body| #flag))
    })
}

/// The answers' example lists, each once (error responses repeat one component's examples
/// across operations), as `const EXAMPLES_<n>` in order of first use.
#[derive(Default)]
struct MockBodies {
    names: std::collections::HashMap<Vec<(String, Vec<String>)>, proc_macro2::Ident>,
    consts: Vec<TokenStream>,
}

impl MockBodies {
    /// The const holding `examples`, or an empty list inline.
    fn list(&mut self, examples: Vec<(String, Vec<String>)>) -> TokenStream {
        if examples.is_empty() {
            return quote!(&[]);
        }
        if let Some(name) = self.names.get(&examples) {
            return quote!(#name);
        }
        let name = format_ident!("EXAMPLES_{}", self.consts.len() + 1);
        let items = examples
            .iter()
            .map(|(example, parts)| quote!(MockExample::new(#example, &[#(#parts),*])));
        self.consts
            .push(quote!(const #name: &[MockExample] = &[#(#items),*];));
        self.names.insert(examples, name.clone());
        quote!(#name)
    }
}

/// `answers::op`: the operation's documented answers as a table, and the chosen one built
/// as the response enum's variant (`None` when its example does not fit its type).
fn mock_answer_fn(api: &Api, op: &Operation, bodies: &mut MockBodies) -> TokenStream {
    let name = ident(&op.name);
    let response = format_ident!("{}Response", op.type_stem);
    let variants = variants(op);
    let rows = variants.iter().map(|v| {
        let status = match v.response.status {
            Status::Code(code) => {
                let code = Literal::u16_unsuffixed(code);
                quote!(MockStatus::Code(#code))
            }
            Status::Range(digit) => {
                let digit = Literal::u16_unsuffixed(digit);
                quote!(MockStatus::Range(#digit))
            }
            Status::Default => quote!(MockStatus::Default),
        };
        let media_type = v.content.map_or("", |c| c.media_type.as_str());
        let examples = bodies.list(v.content.map(|c| mock_examples(api, c)).unwrap_or_default());
        quote!(MockAnswer::new(#status, #media_type, #examples))
    });
    let rows: Vec<TokenStream> = rows.collect();
    let arms = variants.iter().enumerate().filter_map(|(index, v)| {
        let variant = &v.name;
        let body = v.content.map(|content| match content.kind {
            MediaKind::Json => quote!(chosen.json()?),
            MediaKind::EventStream => quote!(chosen.events()?),
            MediaKind::Text => quote!(String::from(chosen.text()?)),
            _ => quote!(Binary::from_bytes(chosen.text()?)),
        });
        let value = if v.has_fields() {
            let status = (!matches!(v.response.status, Status::Code(_)))
                .then(|| quote!(status: chosen.status,));
            let body = body.map(|body| quote!(body: #body,));
            let mut headers = Vec::new();
            for h in &v.response.headers {
                let field = header_ident(h);
                headers.push(if h.required {
                    // Made at generation time; without a value the answer cannot be built.
                    let json = synth::constrained(api, &h.ty, &h.constraints)?.to_string();
                    quote!(#field: runtime::mock_value(#json)?,)
                } else {
                    quote!(#field: None,)
                });
            }
            quote!(#response::#variant { #status #body #(#headers)* })
        } else {
            match body {
                Some(body) => quote!(#response::#variant(#body)),
                None => quote!(#response::#variant),
            }
        };
        let index = Literal::usize_unsuffixed(index);
        Some(quote!(#index => #value,))
    });
    let doc = format!(
        "`{}`'s documented answers; the one the request asks for (see `runtime::MockChoice`).",
        op.id
    );
    quote! {
        #[doc = #doc]
        pub(super) fn #name(headers: &axum::http::HeaderMap, stream: bool) -> Option<#response> {
            const ANSWERS: &[MockAnswer] = &[#(#rows),*];
            let chosen = runtime::MockChoice::new(ANSWERS, headers, stream)?;
            let answer = match chosen.index {
                #(#arms)*
                _ => return None,
            };
            Some(answer)
        }
    }
}

/// `src/server/mock.rs`: answers each operation with a documented (or made) example of the
/// answer the request asks for (see `runtime::MockChoice`).
pub fn mock(api: &Api) -> TokenStream {
    let trait_ident = format_ident!("{}", trait_name(api));
    let key_var = api_key_var(api);
    let auth = uses_auth(api);
    let mut bodies = MockBodies::default();
    let mut answer_fns = Vec::new();
    let methods: Vec<TokenStream> = api
        .operations
        .iter()
        .map(|op| {
            let name = ident(&op.name);
            let response = format_ident!("{}Response", op.type_stem);
            let claims = if auth {
                quote!(Self::Claims)
            } else {
                quote!(())
            };
            let answered = !op.responses.is_empty();
            let ctx = if answered { quote!(ctx) } else { quote!(_ctx) };
            let mut args = vec![quote!(#ctx: RequestContext<#claims>)];
            if !op.params.is_empty() {
                let params = format_ident!("{}Params", op.type_stem);
                args.push(quote!(_params: #params));
            }
            let streams = op
                .responses
                .iter()
                .flat_map(|r| &r.content)
                .any(|c| c.kind == MediaKind::EventStream);
            let stream = stream_flag(api, op).filter(|_| streams && answered);
            // An upload is read to its end before the answer (see `runtime::Discard`).
            let upload = op.body.as_ref().is_some_and(|b| {
                b.content.len() == 1
                    && matches!(b.content[0].kind, MediaKind::Multipart | MediaKind::Binary)
            });
            // The mock module imports everything the server's does.
            if let Some((ty, _, _)) = request_body(api, op, &mut Mentions::default()) {
                let body = if stream.is_some() || upload {
                    quote!(body)
                } else {
                    quote!(_body)
                };
                args.push(quote!(#body: #ty));
            }
            let discard = upload.then(|| quote!(runtime::Discard::discard(body).await;));
            let answer = if answered {
                answer_fns.push(mock_answer_fn(api, op, &mut bodies));
                let stream = stream.unwrap_or_else(|| quote!(false));
                quote! {
                    answers::#name(&ctx.headers, #stream).unwrap_or_else(#response::not_implemented)
                }
            } else {
                quote!(#response::not_implemented())
            };
            quote! {
                async fn #name(&self, #(#args),*) -> #response {
                    #discard
                    #answer
                }
            }
        })
        .collect();
    let auth_items = auth.then(|| {
        quote! {
            type Claims = ();

            /// Only the key in the environment when it is set; any non-empty token when not.
            async fn authenticate(&self, credential: Credential<'_>) -> Result<(), Rejection> {
                match &self.api_key {
                    Some(key) if key.as_str() != credential.value => {
                        Err(Rejection::unauthorized("invalid API key"))
                    }
                    _ => Ok(()),
                }
            }
        }
    });
    let doc = format!(
        "Answers every operation with an example of one of its documented answers, so clients \
         can run against the API locally: the document's example, else one the generator made \
         from the schema. By default the first documented 2xx; `Prefer: code=404` picks \
         another documented status (a range or `default` answers with the code asked for) and \
         `Prefer: example=name` a named example, as with Prism; a body's `\"stream\": true` or \
         an `Accept` preferring `text/event-stream` picks the event stream where one is \
         documented. A status or example the document does not list is ignored; an operation \
         that documents no answer answers 501. Authentication accepts only the key in \
         `{key_var}` when it is set, any non-empty credential when it is not."
    );
    let consts = &bodies.consts;
    // Without any example list (every answer empty-bodied), nothing names `MockExample`.
    let example_import = (!consts.is_empty()).then(|| {
        quote!(
            use runtime::MockExample;
        )
    });
    let answers = (!answer_fns.is_empty()).then(|| {
        quote! {
            /// Each operation's documented answers and how the chosen one is built.
            mod answers {
                use super::*;
                use runtime::{MockAnswer, MockStatus};
                #example_import

                #(#answer_fns)*

                #(#consts)*
            }
        }
    });
    quote! {
        use super::*;

        #[doc = #doc]
        #[derive(Debug, Clone, Default)]
        pub struct Mock {
            /// The one key accepted; `None` accepts any non-empty credential.
            pub api_key: Option<String>,
        }

        impl Mock {
            /// The environment variable holding the accepted key.
            pub const API_KEY_VAR: &'static str = #key_var;

            /// Reads the accepted key from the environment (unset or empty: any key).
            pub fn from_env() -> Self {
                Mock {
                    api_key: std::env::var(Self::API_KEY_VAR).ok().filter(|k| !k.is_empty()),
                }
            }
        }

        impl #trait_ident for Mock {
            #auth_items

            #(#methods)*
        }

        #answers
    }
}

/// `examples/mock.rs`: runs the mock on a loopback port.
pub fn mock_example(api: &Api, crate_name: &str) -> TokenStream {
    let krate = format_ident!("{}", crate_name.replace('-', "_"));
    let usage = format!(
        "Runs the mock server: `cargo run -p {crate_name} --features server --example mock -- --port 8080`."
    );
    let key_var = api_key_var(api);
    let auth_note = uses_auth(api).then(|| {
        let note = format!("{key_var} is not set: accepting any non-empty credential");
        quote! {
            if mock.api_key.is_none() {
                eprintln!(#note);
            }
        }
    });
    quote! {
        #![doc = #usage]

        use #krate::server::runtime::axum;
        use std::sync::Arc;

        // Laid out by prettyplease at generation time; rustfmt would make it drift.
        #[rustfmt::skip]
        #[tokio::main]
        async fn main() -> Result<(), Box<dyn std::error::Error>> {
            let mut port: u16 = 8080;
            let mut args = std::env::args().skip(1);
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--port" => {
                        port = args.next().ok_or("--port needs a value")?.parse()?;
                    }
                    other => return Err(format!("unknown argument `{other}` (usage: --port N)").into()),
                }
            }
            let mock = #krate::server::mock::Mock::from_env();
            #auth_note
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            println!("mock listening on http://{}", listener.local_addr()?);
            axum::serve(listener, #krate::server::router(Arc::new(mock)))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            Ok(())
        }
    }
}

/// The `server` module's declaration in `lib.rs`.
pub fn lib_item(api: &Api) -> TokenStream {
    let doc = format!(
        " The axum server (cargo feature `server`): the [`server::{}`] trait, [`server::router`] \
         and [`server::mock::Mock`].",
        trait_name(api)
    );
    quote! {
        #[doc = #doc]
        #[cfg(feature = "server")]
        #[rustfmt::skip]
        pub mod server;
    }
}

/// The crate docs' server section: an example to copy and how to run the mock.
pub fn crate_docs(api: &Api) -> String {
    let trait_name = trait_name(api);
    let first = api.operations.first();
    let example_method = first.map(|op| {
        let response = format!("{}Response", op.type_stem);
        let mut args = vec!["ctx: RequestContext<Self::Claims>".to_owned()];
        if !op.params.is_empty() {
            args.push(format!("params: {}Params", op.type_stem));
        }
        if let Some((ty, _, _)) = request_body(api, op, &mut Mentions::default()) {
            let ty = ty.to_token_stream().to_string().replace(" :: ", "::").replace(" < ", "<").replace(" >", ">");
            args.push(format!("body: {ty}"));
        }
        format!(
            "    async fn {}(&self, {}) -> {response} {{\n        // ... answer with one of the documented variants, e.g. {response}::Ok(...)\n        {response}::not_implemented()\n    }}\n",
            op.name,
            args.join(", ")
        )
    });
    let auth = if uses_auth(api) {
        "    type Claims = String;\n\n    async fn authenticate(&self, credential: Credential<'_>) -> Result<String, Rejection> {\n        // Look the key up; the claims reach handlers as `ctx.claims`.\n        if credential.value.is_empty() { Err(Rejection::unauthorized(\"unknown key\")) } else { Ok(credential.value.to_owned()) }\n    }\n\n"
    } else {
        ""
    };
    format!(
        "# Server\n\n\
         With the cargo feature `server`: implement `server::{trait_name}`, serve \
         `server::router`. Methods not written answer 501 in the API's error envelope; every \
         rejection (400, 401, 404, 405, 413, 415, 422) is in the envelope too.\n\n\
         ```ignore\n\
         use std::sync::Arc;\n\
         use server::*; // this crate's `server` module\n\n\
         struct Gateway;\n\n\
         impl {trait_name} for Gateway {{\n{auth}{}}}\n\n\
         let listener = tokio::net::TcpListener::bind(\"127.0.0.1:8080\").await?;\n\
         axum::serve(listener, router(Arc::new(Gateway))).await?;\n\
         ```\n\n\
         The mock (`server::mock::Mock`) answers every operation with its documented \
         example (or one made from the schema), another documented status on \
         `Prefer: code=404`, events where the request asks to stream: \
         `cargo run --features server --example mock -- --port 8080`.",
        example_method.unwrap_or_default()
    )
}
