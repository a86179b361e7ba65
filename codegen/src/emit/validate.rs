//! `Validate` impls for the models: the schema constraints the Rust types cannot hold
//! (bounds, lengths, patterns, item counts) and the closed value sets of open enums, which
//! accept unknown values from a server but must reject them in a request. The checks
//! themselves live in the runtime crate (`codegen/runtime/src/validate.rs`).

use super::ast;
use crate::ir::*;
use crate::names::ident;
use crate::Result;
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::{Expr, Stmt};

/// Follows aliases to the type a value really has (`Temperature` → `f64`).
pub fn resolved<'a>(api: &'a Api, ty: &'a Ty) -> &'a Ty {
    crate::ir::resolve_aliases(&api.types, ty)
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
    // Verbatim: the caller's expression is spliced as given, never dropped.
    let stmts = check_stmts(api, ty, constraints, &Expr::Verbatim(value));
    quote!(#(#stmts)*)
}

/// [`checks`] as statements, `value` an expression.
pub fn check_stmts(api: &Api, ty: &Ty, constraints: &Constraints, value: &Expr) -> Vec<Stmt> {
    checks_at(api, ty, constraints, value, &ast::path_expr(&["at"]))
}

/// `'check: { let at = super::validate::Path::Root; stmts }`, the checks' `return`s made
/// `break`s (`stmts` end in `Ok(())`): the checks of a parameter or a form part, run where
/// it is read. A closure each was a body of its own for rustc to check.
pub fn checked_block(mut stmts: Vec<Stmt>) -> Expr {
    let label = syn::Lifetime::new("'check", proc_macro2::Span::call_site());
    returns_to_breaks(&mut stmts, &label);
    let root = ast::path_expr(&["super", "validate", "Path", "Root"]);
    stmts.insert(0, ast::let_stmt("at", root));
    Expr::Block(syn::ExprBlock {
        attrs: Vec::new(),
        label: Some(syn::Label {
            name: label,
            colon_token: Default::default(),
        }),
        block: ast::block(stmts),
    })
}

/// `return value` made `break 'label value` throughout `stmts`, in the shapes checks take
/// (`if`, blocks, `for` loops; never a closure, whose `return` is its own).
fn returns_to_breaks(stmts: &mut [Stmt], label: &syn::Lifetime) {
    for stmt in stmts {
        match stmt {
            Stmt::Expr(expr, _) => return_to_break(expr, label),
            Stmt::Local(local) => {
                if let Some(init) = &mut local.init {
                    return_to_break(&mut init.expr, label);
                }
            }
            _ => {}
        }
    }
}

fn return_to_break(expr: &mut Expr, label: &syn::Lifetime) {
    match expr {
        Expr::Return(returned) => {
            *expr = Expr::Break(syn::ExprBreak {
                attrs: Vec::new(),
                break_token: Default::default(),
                label: Some(label.clone()),
                expr: returned.expr.take(),
            });
        }
        Expr::If(branch) => {
            returns_to_breaks(&mut branch.then_branch.stmts, label);
            if let Some((_, other)) = &mut branch.else_branch {
                return_to_break(other, label);
            }
        }
        Expr::Block(block) => returns_to_breaks(&mut block.block.stmts, label),
        Expr::ForLoop(each) => returns_to_breaks(&mut each.body.stmts, label),
        _ => {}
    }
}

/// `super::validate::name`.
fn runtime_fn(name: &str) -> Expr {
    ast::path_expr(&["super", "validate", name])
}

/// `super::validate::name(args)`, its violation returned.
fn runtime_check(name: &str, args: impl IntoIterator<Item = Expr>) -> Stmt {
    ast::return_err_stmt(ast::call(runtime_fn(name), args))
}

/// [`checks`] with the place given as an expression of type `Path`.
fn checks_at(api: &Api, ty: &Ty, constraints: &Constraints, value: &Expr, at: &Expr) -> Vec<Stmt> {
    let mut out = Vec::new();
    let resolved = resolved(api, ty);
    let count = |n: usize| ast::lit(Literal::usize_suffixed(n));
    match resolved {
        Ty::I32 | Ty::I64 | Ty::F64 => {
            let number = || {
                let number = ast::deref(value.clone());
                if *resolved == Ty::F64 {
                    number
                } else {
                    ast::cast(number, ast::path_ty(ast::path(&["f64"])))
                }
            };
            for (bound, check) in [
                (constraints.minimum, "minimum"),
                (constraints.maximum, "maximum"),
            ] {
                if let Some(Bound {
                    value: b,
                    exclusive,
                }) = bound
                {
                    let b = ast::lit(Literal::f64_unsuffixed(b));
                    let args = [at.clone(), number(), b, ast::bool_lit(exclusive)];
                    out.push(runtime_check(check, args));
                }
            }
        }
        Ty::String => {
            if let Some(n) = constraints.min_length {
                out.push(runtime_check(
                    "min_length",
                    [at.clone(), value.clone(), count(n)],
                ));
            }
            if let Some(n) = constraints.max_length {
                out.push(runtime_check(
                    "max_length",
                    [at.clone(), value.clone(), count(n)],
                ));
            }
            if let Some(pattern) = &constraints.pattern {
                // Lowering dropped the patterns regex-lite cannot compile, with a warning.
                let check: syn::Block = syn::parse_quote! {
                    {
                        static PATTERN: super::validate::Pattern = super::validate::Pattern::new(#pattern);
                        if let Err(violation) = super::validate::pattern(#at, #value, &PATTERN) {
                            return Err(violation);
                        }
                    }
                };
                out.push(ast::block_stmt(Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: check,
                })));
            }
        }
        Ty::Bool => {
            if let Some(allowed) = constraints.bool_value {
                out.push(runtime_check(
                    "bool_value",
                    [
                        at.clone(),
                        ast::deref(value.clone()),
                        ast::bool_lit(allowed),
                    ],
                ));
            }
        }
        Ty::List(item) => {
            let len = || ast::method(value.clone(), "len", []);
            if let Some(n) = constraints.min_items {
                out.push(runtime_check("min_items", [at.clone(), len(), count(n)]));
            }
            if let Some(n) = constraints.max_items {
                out.push(runtime_check("max_items", [at.clone(), len(), count(n)]));
            }
            if let Some(items) = &constraints.items {
                out.extend(item_checks(api, item, items, value, at));
            }
        }
        _ => {}
    }
    out
}

/// Each item of the list `value` checked against `constraints` (a `null` item has none to
/// break); nothing when they ask nothing of the item's type.
fn item_checks(
    api: &Api,
    item: &Ty,
    constraints: &Constraints,
    value: &Expr,
    at: &Expr,
) -> Option<Stmt> {
    let (core, layers) = strip_options(item);
    let item_value = ast::path_expr(&["item"]);
    let item_at = ast::path_expr(&["item_at"]);
    let checks = checks_at(api, core, constraints, &item_value, &item_at);
    if checks.is_empty() {
        return None;
    }
    let body = if layers == 0 {
        quote!(#(#checks)*)
    } else {
        // `item` is `&Option<..>`: checked when it holds a value.
        let pattern = (0..layers).fold(quote!(item), |inner, _| quote!(Some(#inner)));
        quote!(if let #pattern = item { #(#checks)* })
    };
    Some(syn::parse_quote! {
        {
            let items_at = #at;
            for (index, item) in (#value).iter().enumerate() {
                let item_at = items_at.index(index);
                #body
            }
        }
    })
}

/// Which types have something to check: a constraint of their own, an open enum's
/// fallback, or a field, item or variant of such a type. The rest keep the trait's
/// default `validate_at` and are not visited, which keeps the impls of large documents
/// (Stripe: thousands of types) short.
pub struct Checked(Vec<bool>);

impl Checked {
    pub fn new(api: &Api) -> Checked {
        let own: Vec<bool> = api.types.iter().map(|t| own_checks(api, t)).collect();
        let holds: Vec<Vec<TypeId>> = api.types.iter().map(held_types).collect();
        // Least fixpoint: a type starts unchecked and becomes checked once anything it
        // holds is, so a cycle of types with nothing to check stays unchecked.
        let mut checked = Checked(own);
        loop {
            let mut changed = false;
            for (i, held) in holds.iter().enumerate() {
                if !checked.0[i] && held.iter().any(|id| checked.0[id.0]) {
                    checked.0[i] = true;
                    changed = true;
                }
            }
            if !changed {
                return checked;
            }
        }
    }

    /// Whether validating a value of `ty` can fail.
    pub fn ty(&self, ty: &Ty) -> bool {
        let mut named = Vec::new();
        ty.named(&mut named);
        named.iter().any(|id| self.0[id.0])
    }
}

/// A constraint on one of the type's own values, or an open enum's fallback.
fn own_checks(api: &Api, t: &TypeDef) -> bool {
    match &t.kind {
        TypeKind::Struct(s) => s.fields.iter().any(|f| {
            let (core, _) = strip_options(&f.ty);
            let value = ast::path_expr(&["value"]);
            !checks_at(api, core, &f.constraints, &value, &value).is_empty()
        }),
        TypeKind::StringEnum(e) => e.other.is_some(),
        TypeKind::IntEnum(e) => e.other.is_some(),
        TypeKind::Union(u) => {
            u.other.is_some()
                || u.variants.iter().any(|v| {
                    let (core, _) = strip_options(&v.ty);
                    let value = ast::path_expr(&["value"]);
                    !checks_at(api, core, &v.constraints, &value, &value).is_empty()
                })
        }
        TypeKind::Alias(_) | TypeKind::Newtype(_) => false,
    }
}

/// The named types a value of `t` holds directly.
fn held_types(t: &TypeDef) -> Vec<TypeId> {
    let mut out = Vec::new();
    match &t.kind {
        TypeKind::Alias(ty) | TypeKind::Newtype(ty) => ty.named(&mut out),
        TypeKind::Struct(s) => {
            for f in &s.fields {
                f.ty.named(&mut out);
            }
            if let Some((_, ty)) = &s.additional {
                ty.named(&mut out);
            }
        }
        TypeKind::Union(u) => {
            for variant in &u.variants {
                variant.ty.named(&mut out);
            }
        }
        TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => {}
    }
    out
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
fn unwrap_options(depth: usize, place: Expr, body: Vec<Stmt>) -> Stmt {
    let place = ast::reference(place);
    let value = || ast::ident_pat("value");
    ast::block_stmt(match depth {
        0 => ast::let_block("value", place, body),
        1 => ast::if_let(ast::some_pat(value()), place, body),
        _ => ast::if_let(ast::some_pat(ast::some_pat(value())), place, body),
    })
}

fn struct_checks(api: &Api, checked: &Checked, s: &Struct) -> Vec<Stmt> {
    let this = || ast::path_expr(&["self"]);
    let mut out = Vec::new();
    for f in &s.fields {
        let field = || ast::field(this(), syn::Member::Named(ident(&f.name)));
        let at = ast::method(ast::path_expr(&["at"]), "field", [ast::str_lit(&f.wire)]);
        let (core, depth) = strip_options(&f.ty);
        let checks = checks_at(api, core, &f.constraints, &ast::path_expr(&["value"]), &at);
        if !checks.is_empty() {
            out.push(unwrap_options(depth, field(), checks));
        }
        if checked.ty(&f.ty) {
            out.push(runtime_check("check", [ast::reference(field()), at]));
        }
    }
    if let Some((field, ty)) = &s.additional {
        if checked.ty(ty) {
            let field = ast::field(this(), syn::Member::Named(ident(field)));
            out.push(runtime_check(
                "check",
                [ast::reference(field), ast::path_expr(&["at"])],
            ));
        }
    }
    out
}

/// The body of `validate_at`, if the type has anything to check.
fn body(api: &Api, checked: &Checked, t: &TypeDef) -> Option<Vec<Stmt>> {
    let at = || ast::path_expr(&["at"]);
    let matched = |arms| {
        let matched = ast::match_expr(ast::path_expr(&["self"]), arms);
        Some(vec![Stmt::Expr(matched, None)])
    };
    match &t.kind {
        TypeKind::Alias(_) => None,
        TypeKind::Struct(s) => {
            let mut checks = struct_checks(api, checked, s);
            checks.push(ast::ok_unit());
            Some(checks)
        }
        TypeKind::Newtype(_) => {
            let inner = ast::field(ast::path_expr(&["self"]), syn::Member::from(0));
            let check = ast::call(runtime_fn("check"), [ast::reference(inner), at()]);
            Some(vec![Stmt::Expr(check, None)])
        }
        TypeKind::StringEnum(StringEnum {
            other: Some(other), ..
        })
        | TypeKind::IntEnum(IntEnum {
            other: Some(other), ..
        }) => {
            let unknown = ast::call(
                runtime_fn("unknown_value"),
                [at(), ast::path_expr(&["value"])],
            );
            matched(vec![
                ast::arm(
                    ast::tuple_struct_pat(&["Self", other], [ast::ident_pat("value")]),
                    unknown,
                ),
                ast::arm(ast::wild_pat(), ast::ok_unit_expr()),
            ])
        }
        TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => None,
        TypeKind::Union(u) => {
            let mut arms: Vec<syn::Arm> = u
                .variants
                .iter()
                .map(|variant| {
                    let path = ["Self", variant.name.as_str()];
                    // A branch's own constraints, then what its type holds.
                    let (core, depth) = strip_options(&variant.ty);
                    let own = checks_at(
                        api,
                        core,
                        &variant.constraints,
                        &ast::path_expr(&["value"]),
                        &at(),
                    );
                    if !own.is_empty() {
                        // `variant` is already a reference: bound as is, not re-borrowed.
                        let bound = || ast::path_expr(&["variant"]);
                        let value = || ast::ident_pat("value");
                        let mut stmts = vec![ast::block_stmt(match depth {
                            0 => ast::let_block("value", bound(), own),
                            1 => ast::if_let(ast::some_pat(value()), bound(), own),
                            _ => ast::if_let(ast::some_pat(ast::some_pat(value())), bound(), own),
                        })];
                        if checked.ty(&variant.ty) {
                            stmts
                                .push(runtime_check("check", [ast::path_expr(&["variant"]), at()]));
                        }
                        stmts.push(ast::ok_unit());
                        ast::arm(
                            ast::tuple_struct_pat(&path, [ast::ident_pat("variant")]),
                            ast::block_expr(stmts),
                        )
                    } else if checked.ty(&variant.ty) {
                        let check =
                            ast::call(runtime_fn("check"), [ast::path_expr(&["value"]), at()]);
                        ast::arm(
                            ast::tuple_struct_pat(&path, [ast::ident_pat("value")]),
                            check,
                        )
                    } else {
                        ast::arm(
                            ast::tuple_struct_pat(&path, [ast::wild_pat()]),
                            ast::ok_unit_expr(),
                        )
                    }
                })
                .collect();
            if let Some(other) = &u.other {
                let refused = ast::method(
                    at(),
                    "violation",
                    [ast::str_lit("not one of the allowed variants")],
                );
                arms.push(ast::arm(
                    ast::tuple_struct_pat(&["Self", other], [ast::wild_pat()]),
                    ast::call(ast::path_expr(&["Err"]), [refused]),
                ));
            }
            matched(arms)
        }
    }
}

thread_local! {
    /// Every type's `Validate` impl starts as a copy of this one (syntax trees cannot be
    /// shared between threads).
    static VALIDATE_IMPL: syn::ItemImpl = syn::parse_quote! {
        impl super::validate::Validate for Type {
            fn validate_at(&self, at: super::validate::Path<'_>) -> Result<(), super::validate::Violation> {}
        }
    };
}

/// The `impl Validate` of one named type (none for an alias: it shares its target's).
/// A type with nothing to check keeps the trait's default.
pub fn validate_impl(api: &Api, checked: &Checked, id: TypeId) -> Result<Option<syn::Item>> {
    let t = api.ty(id);
    if matches!(t.kind, TypeKind::Alias(_)) {
        return Ok(None);
    }
    let mut item = VALIDATE_IMPL.with(Clone::clone);
    item.self_ty = Box::new(ast::path_ty(ast::path(&[&t.name])));
    let body = if checked.0[id.0] {
        body(api, checked, t)
    } else {
        None
    };
    match body {
        Some(stmts) => {
            if let Some(syn::ImplItem::Fn(validate_at)) = item.items.first_mut() {
                validate_at.block.stmts = stmts;
            }
        }
        None => item.items.clear(),
    }
    Ok(Some(syn::Item::Impl(item)))
}
