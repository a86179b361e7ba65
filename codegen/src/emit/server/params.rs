//! Each operation's parameter extraction: `impl runtime::Params` for the shared
//! `{Op}Params` (see `emit::params`), or, where the path has parameters, for a private
//! `{Op}Args` holding them and the `{Op}Params`. It parses, applies defaults and checks.

use super::mentions::{models_syn, parser, Mentions};
use crate::emit::naming::location_name;
use crate::emit::params::{params_name, path_argument, path_params, presence, Presence};
use crate::emit::validate::{check_stmts, checked_block, resolved, strip_options};
use crate::emit::{ast, doc_attr_list};
use crate::ir::*;
use crate::names::ident;
use proc_macro2::Literal;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::Expr;

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

/// `Style::Label` and the like, for the runtime's readers.
fn style_name(style: ParamStyle) -> &'static str {
    match style {
        ParamStyle::Simple => "Simple",
        ParamStyle::Label => "Label",
        ParamStyle::Matrix => "Matrix",
        ParamStyle::Form => "Form",
        ParamStyle::SpaceDelimited => "SpaceDelimited",
        ParamStyle::PipeDelimited => "PipeDelimited",
        ParamStyle::DeepObject => "DeepObject",
    }
}

/// Whether a parameter's value is an object, which its style lays out as members (a
/// cookie's is its JSON, which the runtime's `object` reads too).
fn is_object(api: &Api, ty: &Ty) -> bool {
    match resolved(api, ty) {
        Ty::Named(id) => matches!(api.ty(*id).kind, TypeKind::Struct(_)),
        Ty::Map(_) | Ty::JsonObject => true,
        _ => false,
    }
}

/// Whether a deepObject parameter's value is a union with an object among its branches
/// (Stripe's `created`: a range or a time), read as members when there are any.
fn is_object_or_scalar(api: &Api, p: &Param) -> bool {
    if p.style != ParamStyle::DeepObject || p.location != ParamLocation::Query {
        return false;
    }
    match resolved(api, &p.ty) {
        Ty::Named(id) => match &api.ty(*id).kind {
            TypeKind::Union(union) => union.variants.iter().any(|v| is_object(api, &v.ty)),
            _ => false,
        },
        _ => false,
    }
}

/// What the router's handler extracts for an operation (by type name); nothing for an
/// operation without parameters.
pub(super) enum Extracted {
    /// The shared `{Op}Params` itself: no path parameters.
    Params(String),
    /// The private `{Op}Args` of its path parameters and, if any, its `{Op}Params`.
    Args(String),
}

pub(super) fn extracted(op: &Operation) -> Option<Extracted> {
    if path_params(op).next().is_some() {
        Some(Extracted::Args(format!("{}Args", op.type_stem)))
    } else {
        params_name(op).map(Extracted::Params)
    }
}

/// The extraction of an operation's parameters (and the `{Op}Args` struct it fills, where
/// there is one), or nothing for an operation without parameters.
pub(super) fn params_extraction(
    api: &Api,
    op: &Operation,
    mentions: &mut Mentions,
) -> Option<Vec<syn::Item>> {
    let (extracted, in_args) = match extracted(op)? {
        Extracted::Params(name) => (name, false),
        Extracted::Args(name) => (name, true),
    };
    let mut path_fields = Vec::new();
    let mut path_inits = Punctuated::<syn::FieldValue, syn::Token![,]>::new();
    let mut inits = Punctuated::<syn::FieldValue, syn::Token![,]>::new();
    let mut checks_out = Vec::new();
    for p in &op.params {
        let in_path = p.location == ParamLocation::Path;
        let field = if in_path {
            ident(&path_argument(op, p))
        } else {
            ident(&p.name)
        };
        let wire = || ast::str_lit(&p.wire);
        let loc_name = location_name(p.location);
        let default = match presence(api, p, &["models"]) {
            Presence::Defaulted(default) => {
                if matches!(resolved(api, &p.ty), Ty::Named(_)) {
                    mentions.models_path = true;
                }
                Some(default)
            }
            Presence::Required | Presence::Optional => None,
        };
        let read = |method: &str, mut args: Vec<Expr>, mentions: &mut Mentions| {
            args.insert(0, location(p.location, mentions));
            args.insert(1, wire());
            ast::try_expr(ast::method(ast::path_expr(&["raw"]), method, args))
        };
        let styled = p.location == ParamLocation::Path
            && matches!(p.style, ParamStyle::Label | ParamStyle::Matrix);
        let style = |mentions: &mut Mentions| {
            mentions.note("Style");
            ast::path_expr(&["Style", style_name(p.style)])
        };
        // Required: the value or 422; optional: an `Option` (or the default applied).
        let required_or = |read: Expr, ty: syn::Type| {
            if p.required {
                let wire = &p.wire;
                let missing = ast::call(
                    ast::path_expr(&["runtime", "Rejection", "invalid"]),
                    [
                        ast::macro_call("concat", quote!(#loc_name, "/", #wire)),
                        ast::str_lit("required parameter is missing"),
                    ],
                );
                let or_missing = ast::method(read, "ok_or_else", [ast::closure([], missing)]);
                (ast::try_expr(or_missing), ty, false)
            } else {
                (
                    read,
                    ast::path_ty(ast::generic_path(&["Option"], [ty])),
                    true,
                )
            }
        };
        let (value, field_ty, optional) = match &p.ty {
            Ty::List(item) if styled => {
                let args = vec![
                    style(mentions),
                    ast::bool_lit(p.explode),
                    parser(api, item, mentions),
                ];
                let list = read("styled_list", args, mentions);
                required_or(list, models_syn(api, &p.ty, mentions))
            }
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
                required_or(list, models_syn(api, &p.ty, mentions))
            }
            // An object is laid out as members: read as the client writes them. Exploded in
            // the query, its members are parameters of their own, told apart from the
            // operation's other query parameters.
            ty if is_object(api, ty) => {
                let spelled = models_syn(api, ty, mentions);
                let query_members = p.location == ParamLocation::Query
                    && p.explode
                    && p.style != ParamStyle::DeepObject;
                let mut call = if query_members {
                    let others = op
                        .params
                        .iter()
                        .filter(|o| o.location == ParamLocation::Query && o.wire != p.wire)
                        .map(|o| ast::str_lit(&o.wire));
                    ast::method(
                        ast::path_expr(&["raw"]),
                        "query_members",
                        [wire(), ast::reference(ast::array(others))],
                    )
                } else {
                    ast::method(
                        ast::path_expr(&["raw"]),
                        "object",
                        [
                            location(p.location, mentions),
                            wire(),
                            style(mentions),
                            ast::bool_lit(p.explode),
                        ],
                    )
                };
                if let Expr::MethodCall(call) = &mut call {
                    call.turbofish = Some(ast::turbofish_args([spelled.clone()]));
                }
                required_or(ast::try_expr(call), spelled)
            }
            ty if styled => {
                let args = vec![style(mentions), parser(api, ty, mentions)];
                let scalar = read("styled", args, mentions);
                required_or(scalar, models_syn(api, ty, mentions))
            }
            ty if default.is_none() && is_object_or_scalar(api, p) => {
                let parse = vec![parser(api, ty, mentions)];
                let read = read("object_or_scalar", parse, mentions);
                required_or(read, models_syn(api, ty, mentions))
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
        if in_path {
            path_fields.push(ast::named_field(
                Vec::new(),
                field.clone(),
                field_ty.clone(),
            ));
            path_inits.push(ast::field_value(field.clone(), value));
        } else {
            inits.push(ast::field_value(field.clone(), value));
        }
        let (core, _) = strip_options(&p.ty);
        let check = check_stmts(api, core, &p.constraints, &ast::path_expr(&["value"]));
        if !check.is_empty() {
            let mut place = ast::path_expr(&["params"]);
            if in_args && !in_path {
                place = ast::field(place, syn::Member::Named(ident("params")));
            }
            let place = ast::reference(ast::field(place, syn::Member::Named(field)));
            let mut body = if optional {
                let bound = ast::if_let(ast::some_pat(ast::ident_pat("value")), place, check);
                vec![ast::block_stmt(bound)]
            } else {
                let mut body = vec![ast::let_stmt("value", place)];
                body.extend(check);
                body
            };
            body.push(ast::ok_unit());
            let args = [location(p.location, mentions), wire(), checked_block(body)];
            checks_out.push(ast::try_stmt(ast::call(
                ast::path_expr(&["runtime", "check"]),
                args,
            )));
        }
    }
    let params_literal = params_name(op).map(|name| {
        if !inits.empty_or_trailing() {
            inits.push_punct(Default::default());
        }
        Expr::Struct(syn::ExprStruct {
            attrs: Vec::new(),
            qself: None,
            path: ast::path(&[&name]),
            brace_token: Default::default(),
            fields: inits,
            dot2_token: None,
            rest: None,
        })
    });
    let mut items = Vec::new();
    let fields = if in_args {
        let mut fields = path_inits;
        let mut decl_fields = path_fields;
        if let Some(literal) = params_literal {
            fields.push(ast::field_value(ident("params"), literal));
            decl_fields.push(ast::named_field(
                Vec::new(),
                ident("params"),
                ast::path_ty(ast::path(&[&params_name(op).unwrap_or_default()])),
            ));
        }
        let doc = format!(
            "What `{}`'s handler extracts: its path parameters and params.",
            op.id
        );
        // No derives: the struct is private and only moved into the handler (a `Debug`
        // derive per operation cost Stripe's check 10 MB).
        let attrs = doc_attr_list(Some(&doc));
        let mut decl = ast::pub_struct(attrs, &extracted, decl_fields);
        if let syn::Item::Struct(decl) = &mut decl {
            decl.vis = syn::Visibility::Inherited;
        }
        items.push(decl);
        fields
    } else {
        match params_literal {
            Some(Expr::Struct(literal)) => literal.fields,
            _ => Punctuated::new(),
        }
    };
    let mut fields = fields;
    if !fields.empty_or_trailing() {
        fields.push_punct(Default::default());
    }
    let mut extract = PARAMS_IMPL.with(Clone::clone);
    extract.self_ty = Box::new(ast::path_ty(ast::path(&[&extracted])));
    if let [syn::ImplItem::Const(in_path), syn::ImplItem::Fn(method)] = &mut extract.items[..] {
        in_path.expr = ast::bool_lit(in_args);
        if let Some(syn::Stmt::Local(syn::Local {
            init: Some(init), ..
        })) = method.block.stmts.first_mut()
        {
            if let Expr::Struct(built) = &mut *init.expr {
                built.fields = fields;
            }
        }
        let last = method.block.stmts.len().saturating_sub(1);
        method.block.stmts.splice(last..last, checks_out);
    }
    if op.route.as_ref().is_some_and(|route| !route.own_names) {
        // The route names the path parameters as a sibling path does: take the router's
        // values by position under this operation's own names.
        let names = op.segments.iter().filter_map(|segment| match segment {
            PathSegment::Param(index) => Some(op.params[*index].wire.as_str()),
            PathSegment::Literal(_) => None,
        });
        extract.items.insert(
            1,
            syn::parse_quote!(const PATH_NAMES: &'static [&'static str] = &[#(#names),*];),
        );
    }
    items.push(syn::Item::Impl(extract));
    Some(items)
}
