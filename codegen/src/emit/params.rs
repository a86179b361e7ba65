//! `src/params.rs`: each operation's `{Op}Params` struct of its query, header and cookie
//! parameters, one type that the client sends and the server receives (the client and
//! server modules re-export them). Defaults the document gives are applied: such a field
//! is the plain type, its `Default` is the document's default, the client leaves a value
//! equal to it off the wire and the server fills it in when the request leaves it out.
//! Path parameters are method arguments on both sides, named by [`path_argument`].

use super::naming::{location_name, unshadowed};
use super::validate::resolved;
use super::{ast, doc_attr_list, ty_syn_in};
use crate::ir::{
    Api, FormEncoding, Operation, Param, ParamLocation, ParamStyle, PathSegment, Ty, TypeKind,
};
use crate::names::ident;
use proc_macro2::Literal;
use quote::quote;
use syn::Expr;

/// The module the params structs reach the models through.
const MODELS: &[&str] = &["super", "models"];

/// The names the client's and the server's methods use besides their path parameters.
const METHOD_LOCALS: &[&str] = &[
    "path", "request", "response", "status", "media", "params", "body", "form", "ctx", "api",
    "args",
];

/// A path parameter's argument name, the same in the client's method and the server's
/// trait: its own, unless the method uses that name (GitHub's
/// `GET /repos/{owner}/{repo}/contents/{path}`), then with `_param` appended (and more
/// underscores while another parameter has that name).
pub fn path_argument(op: &Operation, p: &Param) -> String {
    unshadowed(&p.name, METHOD_LOCALS, "_param", |name| {
        op.params.iter().any(|other| other.name == name)
    })
}

/// `&[runtime::FormEncoding { .. }, ..]`: a form body's `encoding` as the table the
/// client's writer and the server's reader take (`runtime` is either's runtime module).
pub fn form_encoding_table(encoding: &[FormEncoding]) -> Expr {
    let entries = encoding.iter().map(|e| {
        let name = &e.property;
        let style = quote::format_ident!(
            "{}",
            match e.style {
                ParamStyle::SpaceDelimited => "SpaceDelimited",
                ParamStyle::PipeDelimited => "PipeDelimited",
                ParamStyle::DeepObject => "DeepObject",
                _ => "Form",
            }
        );
        let (explode, allow_reserved, json) = (e.explode, e.allow_reserved, e.json);
        quote! {
            runtime::FormEncoding {
                name: #name,
                style: runtime::FormStyle::#style,
                explode: #explode,
                allow_reserved: #allow_reserved,
                json: #json,
            }
        }
    });
    syn::parse_quote!(&[#(#entries),*])
}

/// The path parameters in template order: the order of both sides' method arguments.
pub fn path_params(op: &Operation) -> impl Iterator<Item = &Param> {
    op.segments.iter().filter_map(|segment| match segment {
        PathSegment::Param(index) => Some(&op.params[*index]),
        PathSegment::Literal(_) => None,
    })
}

/// The query, header and cookie parameters: those the `{Op}Params` struct holds.
pub fn struct_params(op: &Operation) -> Vec<&Param> {
    op.params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
        .collect()
}

/// The operation's `{Op}Params` name, when it has query, header or cookie parameters.
pub fn params_name(op: &Operation) -> Option<String> {
    op.params
        .iter()
        .any(|p| p.location != ParamLocation::Path)
        .then(|| format!("{}Params", op.type_stem))
}

/// Whether any operation has a params struct (then the crate has `src/params.rs`).
pub fn any_params(api: &Api) -> bool {
    api.operations.iter().any(|op| params_name(op).is_some())
}

/// How a parameter's field is typed.
pub enum Presence {
    /// Required: the plain type.
    Required,
    /// Optional with a default the code can write (this expression, its models reached
    /// through the `models` path given): the plain type.
    Defaulted(Expr),
    /// Optional without one: an `Option`.
    Optional,
}

/// A parameter's [`Presence`], its default's models spelled through `models`.
pub fn presence(api: &Api, p: &Param, models: &[&str]) -> Presence {
    if p.required {
        return Presence::Required;
    }
    match p
        .default
        .as_ref()
        .and_then(|v| default_expr(api, &p.ty, v, models))
    {
        Some(default) => Presence::Defaulted(default),
        None => Presence::Optional,
    }
}

/// A default written as a Rust expression of the parameter's type, when it is a scalar or
/// an enum value; other defaults are documented, not applied.
fn default_expr(api: &Api, ty: &Ty, value: &serde_json::Value, models: &[&str]) -> Option<Expr> {
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
            let mut path = models.to_vec();
            path.extend([api.ty(*named).name.as_str(), variant.name.as_str()]);
            ast::path_expr(&path)
        }
        _ => return None,
    })
}

/// Whether a type has a `Default` (for a required field's).
fn ty_has_default(api: &Api, ty: &Ty) -> bool {
    match ty {
        Ty::Named(id) => api.ty(*id).has_default,
        Ty::Box(_) => false,
        _ => true,
    }
}

/// The struct and, where every field has one, its `Default` (the document's defaults).
pub fn params_struct(api: &Api, op: &Operation) -> Option<Vec<syn::Item>> {
    let name = params_name(op)?;
    let params = struct_params(op);
    let mut fields = Vec::new();
    let mut defaults = Some(Vec::new());
    // Without a document default the derived `Default` is the same (clippy prefers it).
    let mut applies_default = false;
    for p in &params {
        let field = ident(&p.name);
        let spelled = ty_syn_in(api, &p.ty, MODELS);
        let mut doc = p.docs.clone().unwrap_or_default();
        doc.push_str(&format!("\n\n`{}` ({}", p.wire, location_name(p.location)));
        if let Some(default) = &p.default {
            doc.push_str(&format!("; default `{default}`"));
        }
        doc.push(')');
        if p.deprecated {
            doc.push_str("\n\nDeprecated.");
        }
        let (ty, default) = match presence(api, p, MODELS) {
            Presence::Required => (
                spelled.clone(),
                ty_has_default(api, &p.ty).then(|| quote!(Default::default())),
            ),
            Presence::Defaulted(value) => {
                applies_default = true;
                (spelled, Some(quote!(#value)))
            }
            Presence::Optional => (
                ast::path_ty(ast::generic_path(&["Option"], [spelled])),
                Some(quote!(None)),
            ),
        };
        match (default, &mut defaults) {
            (Some(value), Some(defaults)) => defaults.push(quote!(#field: #value)),
            _ => defaults = None,
        }
        fields.push(ast::named_field(doc_attr_list(Some(&doc)), field, ty));
    }
    let mut attrs = doc_attr_list(Some(&format!(
        "Query, header and cookie parameters of `{}` (`{} {}`), defaults applied: the \
         client leaves a value equal to its default off the wire, the server fills it in.",
        op.id,
        op.method.as_str(),
        op.path
    )));
    let derive_default = (defaults.is_some() && !applies_default).then(|| quote!(Default,));
    attrs.push(ast::list_attr(
        "derive",
        quote!(Debug, Clone, PartialEq, #derive_default),
    ));
    let mut items = vec![ast::pub_struct(attrs, &name, fields)];
    if let Some(defaults) = defaults.filter(|_| applies_default) {
        let name = ast::ident(&name);
        items.push(syn::parse_quote! {
            impl Default for #name {
                fn default() -> Self {
                    Self { #(#defaults),* }
                }
            }
        });
    }
    let cfg = super::operation_cfg(api, op);
    Some(
        items
            .into_iter()
            .map(|item| super::with_cfg(item, &cfg))
            .collect(),
    )
}

/// Whether the operation's params struct has a `Default` (every field has one).
pub fn has_default(api: &Api, op: &Operation) -> bool {
    struct_params(op).iter().all(|p| {
        !matches!(presence(api, p, MODELS), Presence::Required) || ty_has_default(api, &p.ty)
    })
}
