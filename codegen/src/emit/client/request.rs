//! The request steps of an operation method: path parameters as arguments and the path
//! built from the template, the other parameters from the shared `{Op}Params`, and the body
//! (a multipart one as an `{Op}Form` struct).

use super::{add_part, generic_ty, named_ty, on_request, var, MODELS};
use crate::emit::naming::form_name;
use crate::emit::params::{form_encoding_table, path_argument, presence, Presence};
use crate::emit::{ast, doc_attr_list, ty_syn_in};
use crate::ir::{
    part_kind, Api, Content, MediaKind, Operation, Param, ParamLocation, ParamStyle, PartKind,
    PathSegment, RequestBody, Ty, TypeKind,
};
use crate::names::ident;
use proc_macro2::Literal;
use quote::{format_ident, quote};
use syn::{Expr, Item, Stmt};

/// The body's chosen media type: JSON first, then multipart, form, text, binary.
fn chosen_body(body: &RequestBody) -> Option<&Content> {
    [
        MediaKind::Json,
        MediaKind::Multipart,
        MediaKind::FormUrlEncoded,
        MediaKind::Text,
        MediaKind::Binary,
    ]
    .iter()
    .find_map(|kind| body.content.iter().find(|c| c.kind == *kind))
}

/// Whether a body's type is a struct (an object schema with properties).
fn is_struct(api: &Api, ty: Option<&Ty>) -> bool {
    ty.and_then(Ty::direct_named)
        .is_some_and(|id| matches!(api.ty(id).kind, TypeKind::Struct(_)))
}

/// Whether a JSON body is an object with a boolean `stream` property.
fn has_stream_flag(api: &Api, content: &Content) -> bool {
    let Some(id) = content.ty.as_ref().and_then(Ty::direct_named) else {
        return false;
    };
    let TypeKind::Struct(s) = &api.ty(id).kind else {
        return false;
    };
    s.fields
        .iter()
        .any(|f| f.wire == "stream" && (f.ty == Ty::Bool || f.ty == Ty::Bool.option()))
}

fn scalar_by_value(ty: &Ty) -> bool {
    matches!(ty, Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64 | Ty::Uuid)
}

fn query_style(style: ParamStyle) -> &'static str {
    match style {
        ParamStyle::SpaceDelimited => "SpaceDelimited",
        ParamStyle::PipeDelimited => "PipeDelimited",
        ParamStyle::DeepObject => "DeepObject",
        _ => "Form",
    }
}

fn path_style(style: ParamStyle) -> &'static str {
    match style {
        ParamStyle::Label => "Label",
        ParamStyle::Matrix => "Matrix",
        _ => "Simple",
    }
}

/// The path parameters' arguments, in template order, and the statements that build
/// `path` from the template.
pub(super) fn path_building(api: &Api, op: &Operation) -> (Vec<syn::FnArg>, Vec<Stmt>) {
    let ty_in = |ty: &Ty| ty_syn_in(api, ty, MODELS);
    let mut args = Vec::new();
    let mut path_parts = Vec::new();
    for segment in &op.segments {
        match segment {
            PathSegment::Literal(text) => {
                path_parts.push(ast::semi(match text.chars().collect::<Vec<_>>()[..] {
                    // clippy's single_char_add_str: `/` between two parameters.
                    [c] => ast::method(var("path"), "push", [ast::lit(Literal::character(c))]),
                    _ => ast::method(var("path"), "push_str", [ast::str_lit(text)]),
                }))
            }
            PathSegment::Param(index) => {
                let p = &op.params[*index];
                let arg = ident(&path_argument(op, p));
                let ty = match &p.ty {
                    Ty::String => ast::ref_ty(named_ty("str")),
                    ty if scalar_by_value(ty) => ty_in(ty),
                    ty => ast::ref_ty(ty_in(ty)),
                };
                args.push(ast::typed_arg(arg.clone(), ty));
                let wire = &p.wire;
                let style = format_ident!("{}", path_style(p.style));
                let explode = p.explode;
                // A plain string segment needs no fallible encoding.
                path_parts.push(if p.ty == Ty::String && p.style == ParamStyle::Simple {
                    syn::parse_quote!(runtime::push_path_segment(&mut path, #arg);)
                } else {
                    syn::parse_quote! {
                        match runtime::path_param(#wire, &#arg, runtime::PathStyle::#style, #explode) {
                            Ok(segment) => path.push_str(&segment),
                            Err(message) => return Err(Error::InvalidRequest(message)),
                        }
                    }
                });
            }
        }
    }
    (args, path_parts)
}

/// `runtime::Request::new(method, path)` with the operation's id and path template (for
/// the call's tracing span), its security requirement and each of `params` (from the
/// `params` argument) added.
pub(super) fn request_expr(api: &Api, op: &Operation, params: &[&Param]) -> Expr {
    let security = op.security.as_ref().unwrap_or(&api.security);
    let alternatives = security
        .iter()
        .map(|alt| ast::reference(ast::array(alt.iter().map(|s| ast::str_lit(s)))));
    let new = ast::call(
        ast::path_expr(&["runtime", "Request", "new"]),
        [
            ast::path_expr(&["runtime", "Method", op.method.as_str()]),
            var("path"),
        ],
    );
    let named = ast::method(
        new,
        "operation",
        [ast::str_lit(&op.id), ast::str_lit(&op.path)],
    );
    let mut request = ast::method(
        named,
        "security",
        [ast::reference(ast::array(alternatives))],
    );
    for p in params {
        let wire = ast::str_lit(&p.wire);
        let field = ast::reference(ast::field(
            var("params"),
            syn::Member::Named(ident(&p.name)),
        ));
        // At its default a parameter is left off the wire: the server fills it in.
        let value = match presence(api, p, MODELS) {
            Presence::Defaulted(default) => ast::reference(ast::call(
                ast::path_expr(&["runtime", "non_default"]),
                [field, default],
            )),
            Presence::Required | Presence::Optional => field,
        };
        let explode = ast::bool_lit(p.explode);
        request = match p.location {
            ParamLocation::Query => {
                let style = ast::path_expr(&["runtime", "QueryStyle", query_style(p.style)]);
                ast::method(request, "query", [wire, value, style, explode])
            }
            ParamLocation::Header => ast::method(request, "header", [wire, value, explode]),
            ParamLocation::Cookie => ast::method(request, "cookie", [wire, value, explode]),
            ParamLocation::Path => request,
        };
    }
    request
}

/// How the method takes and sends its body.
pub(super) struct BodyStep {
    /// The body's argument (`body`, `form` or `parts`).
    pub(super) arg: syn::FnArg,
    /// The statements that put the body on `request`.
    pub(super) calls: Vec<Stmt>,
    /// A JSON object with a boolean `stream` member, which the streaming form sets.
    pub(super) stream_flag: bool,
    /// The `{Op}Form` struct of a multipart body.
    pub(super) form: Option<Item>,
    /// The form's type and first required file field, for the usage sketch.
    pub(super) upload: Option<String>,
}

/// The body's argument and how it is sent, for the chosen media type (see
/// [`chosen_body`]); `None` without a body or without a media type the client sends.
pub(super) fn body_step(api: &Api, op: &Operation) -> Option<BodyStep> {
    let body = op.body.as_ref()?;
    let content = chosen_body(body)?;
    let required = body.required;
    let body_ty = content
        .ty
        .as_ref()
        .map(|ty| ty_syn_in(api, ty, MODELS))
        .unwrap_or_else(|| ast::path_ty(ast::path(&["serde_json", "Value"])));
    let body_arg = |ty| ast::typed_arg(ast::ident("body"), ty);
    let step = |arg, calls| BodyStep {
        arg,
        calls,
        stream_flag: false,
        form: None,
        upload: None,
    };
    Some(match content.kind {
        MediaKind::Json | MediaKind::FormUrlEncoded | MediaKind::EventStream => {
            let call = if content.kind == MediaKind::FormUrlEncoded {
                "form"
            } else {
                "json"
            };
            let mut sent = if required {
                BodyStep {
                    stream_flag: content.kind == MediaKind::Json && has_stream_flag(api, content),
                    ..step(
                        body_arg(ast::ref_ty(body_ty)),
                        vec![ast::let_stmt("request", on_request(call, [var("body")]))],
                    )
                }
            } else {
                let encode = ast::path_expr(&["runtime", "Request", call]);
                step(
                    body_arg(generic_ty(&["Option"], ast::ref_ty(body_ty))),
                    vec![ast::let_stmt(
                        "request",
                        on_request("optional_body", [var("body"), encode]),
                    )],
                )
            };
            if !content.encoding.is_empty() {
                let table = form_encoding_table(&content.encoding);
                let encoded = on_request("form_encoding", [table]);
                sent.calls.push(ast::let_stmt("request", encoded));
            }
            sent
        }
        MediaKind::Text => step(
            body_arg(named_ty("String")),
            vec![ast::let_stmt("request", on_request("text", [var("body")]))],
        ),
        MediaKind::Binary => step(
            body_arg(ast::path_ty(ast::path(&["runtime", "Upload"]))),
            vec![ast::let_stmt(
                "request",
                on_request("binary", [var("body")]),
            )],
        ),
        MediaKind::Multipart if !is_struct(api, content.ty.as_ref()) => {
            // Not an object with properties: the caller builds the parts.
            let parts = generic_ty(&["Vec"], ast::path_ty(ast::path(&["runtime", "Part"])));
            let each = ast::for_loop(
                ast::ident_pat("part"),
                var("parts"),
                vec![add_part("part", [var("part")])],
            );
            step(
                ast::typed_arg(ast::ident("parts"), parts),
                vec![
                    ast::local(ast::mut_ident_pat("request"), on_request("multipart", [])),
                    ast::block_stmt(each),
                ],
            )
        }
        MediaKind::Multipart => {
            let form = multipart_form(api, op, content);
            let mut calls = vec![ast::local(ast::mut_ident_pat("request"), var("request"))];
            calls.extend(form.calls);
            BodyStep {
                upload: form
                    .file_field
                    .map(|field| format!("{}|{field}", form.name)),
                form: Some(form.def),
                ..step(
                    ast::typed_arg(ast::ident("form"), named_ty(&form.name)),
                    calls,
                )
            }
        }
    })
}

/// A multipart body's `{Op}Form` struct and the statements that add its fields as parts.
struct MultipartForm {
    name: String,
    def: Item,
    calls: Vec<Stmt>,
    /// Its first required single-file field, for the usage sketch.
    file_field: Option<String>,
}

/// `{Op}Form`: the multipart body's fields, binary ones as [`Upload`]s (streamed), and
/// the request calls that add them as parts.
fn multipart_form(api: &Api, op: &Operation, content: &Content) -> MultipartForm {
    let name = form_name(&op.type_stem);
    let mut file_field = None;
    let fields = match content
        .ty
        .as_ref()
        .and_then(Ty::direct_named)
        .map(|id| &api.ty(id).kind)
    {
        Some(TypeKind::Struct(s)) => s.fields.clone(),
        _ => Vec::new(),
    };
    let upload = || ast::path_ty(ast::path(&["runtime", "Upload"]));
    let mut defs = Vec::new();
    let mut calls = Vec::new();
    for f in &fields {
        let field = ident(&f.name);
        let form_field = || ast::field(var("form"), syn::Member::Named(field.clone()));
        // The document's `encoding` may say what a file is sent as when its upload does not.
        let file_part = |files| match content.part_media.get(&f.wire) {
            Some(media) => add_part(
                "file_part_as",
                [ast::str_lit(&f.wire), files, ast::str_lit(media)],
            ),
            None => add_part("file_part", [ast::str_lit(&f.wire), files]),
        };
        // A file, or a list of files, possibly optional; anything else is a text part.
        let (optional, inner) = match &f.ty {
            Ty::Option(inner) => (true, &**inner),
            ty => (false, ty),
        };
        let files = match part_kind(&api.types, inner) {
            PartKind::File => Some((upload(), false)),
            PartKind::Files => Some((generic_ty(&["Vec"], upload()), true)),
            PartKind::Text => None,
        };
        if files.as_ref().is_some_and(|(_, list)| !list) && !optional && file_field.is_none() {
            file_field = Some(f.name.clone());
        }
        let (ty, call) = match files {
            Some((files_ty, list)) => {
                let files = if optional { var("files") } else { form_field() };
                let add = if list {
                    let each = vec![file_part(var("upload"))];
                    ast::block_stmt(ast::for_loop(ast::ident_pat("upload"), files, each))
                } else {
                    file_part(files)
                };
                if optional {
                    let some = ast::some_pat(ast::ident_pat("files"));
                    (
                        generic_ty(&["Option"], files_ty),
                        ast::block_stmt(ast::if_let(some, form_field(), vec![add])),
                    )
                } else {
                    (files_ty, add)
                }
            }
            None => (
                ty_syn_in(api, &f.ty, MODELS),
                add_part(
                    "text_part",
                    [ast::str_lit(&f.wire), ast::reference(form_field())],
                ),
            ),
        };
        defs.push(ast::named_field(
            doc_attr_list(f.docs.as_deref()),
            field.clone(),
            ty,
        ));
        calls.push(call);
    }
    let mut attrs = doc_attr_list(Some(&format!(
        "The `multipart/form-data` body of [`Client::{}`]; files are streamed.",
        op.name
    )));
    attrs.push(ast::list_attr("derive", quote!(Debug)));
    if fields.is_empty() {
        calls = vec![
            ast::local(ast::wild_pat(), var("form")),
            add_part("multipart", []),
        ];
    }
    MultipartForm {
        def: ast::pub_struct(attrs, &name, defs),
        name,
        calls,
        file_field,
    }
}
