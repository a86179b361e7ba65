//! Each operation's `{Op}Params` struct (path, query, header and cookie parameters,
//! defaults applied) and its `impl runtime::Params`, which parses and checks them.

use super::mentions::{models_syn, parser, Mentions};
use crate::emit::naming::location_name;
use crate::emit::validate::{check_stmts, resolved, strip_options};
use crate::emit::{ast, doc_attr_list};
use crate::ir::*;
use crate::names::ident;
use proc_macro2::Literal;
use quote::{format_ident, quote};
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
pub(super) struct ParamsCode {
    pub(super) decl: syn::Item,
    pub(super) extract: syn::Item,
}

/// The params struct and its extraction, or nothing for an operation without parameters.
pub(super) fn params_struct(
    api: &Api,
    op: &Operation,
    mentions: &mut Mentions,
) -> Option<ParamsCode> {
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

pub(super) fn params_name(op: &Operation) -> Option<proc_macro2::Ident> {
    (!op.params.is_empty()).then(|| format_ident!("{}Params", op.type_stem))
}
