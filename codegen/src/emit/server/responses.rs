//! Each operation's `{Op}Response` enum (a variant per documented status and media type,
//! the 501 constructor) and its `IntoResponse`.

use super::envelope::Envelope;
use super::mentions::{models_syn, Mentions};
use crate::emit::naming::{status_name, status_text, status_variant};
use crate::emit::validate::resolved;
use crate::emit::{ast, doc_attr_list};
use crate::ir::*;
use crate::names::{ident, type_name};
use proc_macro2::Literal;
use quote::format_ident;
use syn::punctuated::Punctuated;
use syn::{Expr, Stmt};

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

/// One variant of a response enum: a documented status with one of its media types.
pub(super) struct Variant<'a> {
    pub(super) name: proc_macro2::Ident,
    pub(super) response: &'a Response,
    pub(super) content: Option<&'a Content>,
}

impl Variant<'_> {
    /// Range and `default` responses carry their status; headers are named fields.
    pub(super) fn has_fields(&self) -> bool {
        !matches!(self.response.status, Status::Code(_)) || !self.response.headers.is_empty()
    }
}

pub(super) fn variants(op: &Operation) -> Vec<Variant<'_>> {
    let mut out = Vec::new();
    let mut names = crate::names::Scope::default();
    for response in &op.responses {
        let base = status_variant(response.status);
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

pub(super) fn header_ident(header: &Header) -> proc_macro2::Ident {
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
    let status = status_text(variant.response.status);
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

/// The statuses an operation's document lists (by code, range, `default`): what the
/// runtime's `status::Documented` answers its rejections in, and the 501 default too.
pub(super) struct Documented {
    pub(super) statuses: Vec<u16>,
    pub(super) ranges: Vec<u16>,
    pub(super) default: bool,
}

impl Documented {
    pub(super) fn of(op: &Operation) -> Self {
        let mut documented = Documented {
            statuses: Vec::new(),
            ranges: Vec::new(),
            default: false,
        };
        for response in &op.responses {
            match response.status {
                Status::Code(code) => documented.statuses.push(code),
                Status::Range(digit) => documented.ranges.push(digit),
                Status::Default => documented.default = true,
            }
        }
        documented
    }

    /// The runtime's rule, applied at generation time.
    fn closest(&self, status: u16) -> u16 {
        codegen_runtime::status::Documented {
            statuses: &self.statuses,
            ranges: &self.ranges,
            default: self.default,
            errors: &[],
        }
        .closest(status)
    }
}

/// How an operation's default body answers 501: through its documented 501 (or `default`)
/// response when that carries the envelope, else through an added `NotImplemented` variant
/// outside the document, the one answer an implementation cannot document.
fn not_implemented(
    api: &Api,
    envelope: &Envelope,
    variants: &[Variant<'_>],
    documented: &Documented,
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
    // The status a rejection would take (the runtime's rule): 501 where the document has
    // nothing closer, else e.g. its 500.
    let closest = documented.closest(501);
    let documented = variants
        .iter()
        .find(|v| v.response.status == Status::Code(501) && is_envelope(v))
        .or_else(|| {
            variants
                .iter()
                .find(|v| v.response.status == Status::Default && is_envelope(v))
        })
        .or_else(|| {
            variants
                .iter()
                .find(|v| v.response.status == Status::Code(closest) && is_envelope(v))
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

pub(super) fn response_enum(
    api: &Api,
    envelope: &Envelope,
    op: &Operation,
    mentions: &mut Mentions,
) -> [syn::Item; 3] {
    // The enum, its 501 constructor, its `IntoResponse`.
    let name = format_ident!("{}Response", op.type_stem);
    let self_ty = || Box::new(ast::path_ty(ast::path(&[&name.to_string()])));
    let variants = variants(op);
    let (unimplemented, extra) = not_implemented(api, envelope, &variants, &Documented::of(op));
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
