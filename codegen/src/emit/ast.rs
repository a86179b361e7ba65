//! Builders of `syn` syntax trees for the numerous, regular items of the models (structs,
//! aliases, their `Validate` impls), of the client (each operation's method and types)
//! and of the server (each operation's params, responses, handler, trait method). Built
//! directly, they skip the token stream `quote!` would build and `syn` would parse back:
//! on large documents (Stripe's: thousands of types) that round trip was most of the
//! generator's time. `prettyplease` prints the trees, so layout still has one source.

use proc_macro2::{Literal, Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Pat, Stmt, Type};

pub fn ident(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::call_site())
}

pub fn path(segments: &[&str]) -> syn::Path {
    syn::Path {
        leading_colon: None,
        segments: segments
            .iter()
            .map(|s| syn::PathSegment::from(ident(s)))
            .collect(),
    }
}

/// `segments<args>`: the arguments on the last segment.
pub fn generic_path(segments: &[&str], args: impl IntoIterator<Item = Type>) -> syn::Path {
    let mut path = path(segments);
    if let Some(last) = path.segments.last_mut() {
        last.arguments = syn::PathArguments::AngleBracketed(syn::AngleBracketedGenericArguments {
            colon2_token: None,
            lt_token: Default::default(),
            args: args.into_iter().map(syn::GenericArgument::Type).collect(),
            gt_token: Default::default(),
        });
    }
    path
}

pub fn path_ty(path: syn::Path) -> Type {
    Type::Path(syn::TypePath { qself: None, path })
}

pub fn public() -> syn::Visibility {
    syn::Visibility::Public(Default::default())
}

fn outer(meta: syn::Meta) -> Attribute {
    Attribute {
        pound_token: Default::default(),
        style: syn::AttrStyle::Outer,
        bracket_token: Default::default(),
        meta,
    }
}

/// `#[doc = "text"]`.
pub fn doc_attr(text: &str) -> Attribute {
    outer(syn::Meta::NameValue(syn::MetaNameValue {
        path: path(&["doc"]),
        eq_token: Default::default(),
        value: str_lit(text),
    }))
}

/// `#[name(tokens)]` (`derive`, `serde`): the tokens are printed as they are.
pub fn list_attr(name: &str, tokens: TokenStream) -> Attribute {
    outer(syn::Meta::List(syn::MetaList {
        path: path(&[name]),
        delimiter: syn::MacroDelimiter::Paren(Default::default()),
        tokens,
    }))
}

/// A string literal: built as `LitStr` directly (`Lit::new` would print the literal and
/// unescape it again to learn its kind, a cost per byte of every doc comment).
pub fn str_lit(text: &str) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: syn::Lit::Str(syn::LitStr::new(text, Span::call_site())),
    })
}

pub fn lit(literal: Literal) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: syn::Lit::new(literal),
    })
}

pub fn bool_lit(value: bool) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: syn::Lit::Bool(syn::LitBool::new(value, Span::call_site())),
    })
}

pub fn path_expr(segments: &[&str]) -> Expr {
    Expr::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path: path(segments),
    })
}

/// `func(args)`.
pub fn call(func: Expr, args: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Call(syn::ExprCall {
        attrs: Vec::new(),
        func: Box::new(func),
        paren_token: Default::default(),
        args: args.into_iter().collect(),
    })
}

/// `receiver.method(args)`.
pub fn method(receiver: Expr, method: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::MethodCall(syn::ExprMethodCall {
        attrs: Vec::new(),
        receiver: Box::new(receiver),
        dot_token: Default::default(),
        method: ident(method),
        turbofish: None,
        paren_token: Default::default(),
        args: args.into_iter().collect(),
    })
}

/// `base.member`.
pub fn field(base: Expr, member: syn::Member) -> Expr {
    Expr::Field(syn::ExprField {
        attrs: Vec::new(),
        base: Box::new(base),
        dot_token: Default::default(),
        member,
    })
}

/// `&expr`.
pub fn reference(expr: Expr) -> Expr {
    Expr::Reference(syn::ExprReference {
        attrs: Vec::new(),
        and_token: Default::default(),
        mutability: None,
        expr: Box::new(expr),
    })
}

/// `*expr`.
pub fn deref(expr: Expr) -> Expr {
    Expr::Unary(syn::ExprUnary {
        attrs: Vec::new(),
        op: syn::UnOp::Deref(Default::default()),
        expr: Box::new(expr),
    })
}

/// `expr as ty`.
pub fn cast(expr: Expr, ty: Type) -> Expr {
    Expr::Cast(syn::ExprCast {
        attrs: Vec::new(),
        expr: Box::new(expr),
        as_token: Default::default(),
        ty: Box::new(ty),
    })
}

/// `expr?;`.
pub fn try_stmt(expr: Expr) -> Stmt {
    Stmt::Expr(try_expr(expr), Some(Default::default()))
}

/// `Ok(())`.
pub fn ok_unit_expr() -> Expr {
    call(path_expr(&["Ok"]), [tuple_expr([])])
}

/// `Ok(())`, as a block's value.
pub fn ok_unit() -> Stmt {
    Stmt::Expr(ok_unit_expr(), None)
}

pub fn block(stmts: Vec<Stmt>) -> syn::Block {
    syn::Block {
        brace_token: Default::default(),
        stmts,
    }
}

/// An expression statement that needs no `;` (a block, an `if`).
pub fn block_stmt(expr: Expr) -> Stmt {
    Stmt::Expr(expr, None)
}

pub fn ident_pat(name: &str) -> Pat {
    Pat::Ident(binding(ident(name)))
}

/// `Some(inner)` as a pattern.
pub fn some_pat(inner: Pat) -> Pat {
    Pat::TupleStruct(syn::PatTupleStruct {
        attrs: Vec::new(),
        qself: None,
        path: path(&["Some"]),
        paren_token: Default::default(),
        elems: Punctuated::from_iter([inner]),
    })
}

/// `{ let name = init; stmts }`.
pub fn let_block(name: &str, init: Expr, mut stmts: Vec<Stmt>) -> Expr {
    stmts.insert(0, let_stmt(name, init));
    block_expr(stmts)
}

/// `if let pat = expr { stmts }`.
pub fn if_let(pat: Pat, expr: Expr, stmts: Vec<Stmt>) -> Expr {
    if_expr(let_cond(pat, expr), stmts)
}

/// `let pat = expr`, the condition of an `if let` or a `while let`.
fn let_cond(pat: Pat, expr: Expr) -> Expr {
    Expr::Let(syn::ExprLet {
        attrs: Vec::new(),
        let_token: Default::default(),
        pat: Box::new(pat),
        eq_token: Default::default(),
        expr: Box::new(expr),
    })
}

/// `#[name]`.
pub fn path_attr(name: &str) -> Attribute {
    outer(syn::Meta::Path(path(&[name])))
}

/// A string literal as a pattern (see [`str_lit`]).
pub fn str_pat(text: &str) -> Pat {
    Pat::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: syn::Lit::Str(syn::LitStr::new(text, Span::call_site())),
    })
}

/// A path as a pattern (`Self::Variant`).
pub fn path_pat(segments: &[&str]) -> Pat {
    Pat::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path: path(segments),
    })
}

/// `path(elems)` as a pattern.
pub fn tuple_struct_pat(segments: &[&str], elems: impl IntoIterator<Item = Pat>) -> Pat {
    Pat::TupleStruct(syn::PatTupleStruct {
        attrs: Vec::new(),
        qself: None,
        path: path(segments),
        paren_token: Default::default(),
        elems: elems.into_iter().collect(),
    })
}

pub fn wild_pat() -> Pat {
    Pat::Wild(syn::PatWild {
        attrs: Vec::new(),
        underscore_token: Default::default(),
    })
}

/// `pat => body,`.
pub fn arm(pat: Pat, body: Expr) -> syn::Arm {
    syn::Arm {
        attrs: Vec::new(),
        pat,
        guard: None,
        fat_arrow_token: Default::default(),
        body: Box::new(body),
        comma: Some(Default::default()),
    }
}

/// The `match` a method of `item` ends with (directly or as the argument of a call such
/// as `Ok(match ..)`), to fill a template's arms.
pub fn final_match(item: &mut syn::ItemImpl) -> Option<&mut syn::ExprMatch> {
    let Some(syn::ImplItem::Fn(method)) = item.items.first_mut() else {
        return None;
    };
    match method.block.stmts.last_mut()? {
        Stmt::Expr(Expr::Match(found), None) => Some(found),
        Stmt::Expr(Expr::Call(call), None) => match call.args.first_mut()? {
            Expr::Match(found) => Some(found),
            _ => None,
        },
        _ => None,
    }
}

// Builders for the client's and the server's per-operation items.

/// `::<args>`.
pub fn turbofish_args(args: impl IntoIterator<Item = Type>) -> syn::AngleBracketedGenericArguments {
    syn::AngleBracketedGenericArguments {
        colon2_token: Some(Default::default()),
        lt_token: Default::default(),
        args: args.into_iter().map(syn::GenericArgument::Type).collect(),
        gt_token: Default::default(),
    }
}

/// `receiver.method::<args>(call_args)`.
pub fn method_turbofish(
    receiver: Expr,
    name: &str,
    args: impl IntoIterator<Item = Type>,
    call_args: impl IntoIterator<Item = Expr>,
) -> Expr {
    let mut call = method(receiver, name, call_args);
    if let Expr::MethodCall(call) = &mut call {
        call.turbofish = Some(turbofish_args(args));
    }
    call
}

/// A binding of `ident` (which may be raw, `r#type`).
pub fn binding(ident: syn::Ident) -> syn::PatIdent {
    syn::PatIdent {
        attrs: Vec::new(),
        by_ref: None,
        mutability: None,
        ident,
        subpat: None,
    }
}

/// `ident` (which may be raw) as an expression.
pub fn ident_expr(ident: syn::Ident) -> Expr {
    Expr::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path: syn::Path::from(ident),
    })
}

/// `[elems]`.
pub fn array(elems: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Array(syn::ExprArray {
        attrs: Vec::new(),
        bracket_token: Default::default(),
        elems: elems.into_iter().collect(),
    })
}

/// `&mut expr`.
pub fn mut_reference(expr: Expr) -> Expr {
    Expr::Reference(syn::ExprReference {
        attrs: Vec::new(),
        and_token: Default::default(),
        mutability: Some(Default::default()),
        expr: Box::new(expr),
    })
}

/// `path { fields }` as a pattern, each field bound by its own name (`ref body`, `status`).
pub fn struct_pat(segments: &[&str], fields: impl IntoIterator<Item = syn::PatIdent>) -> Pat {
    let fields = fields.into_iter().map(|bound| syn::FieldPat {
        attrs: Vec::new(),
        member: syn::Member::Named(bound.ident.clone()),
        colon_token: None,
        pat: Box::new(Pat::Ident(bound)),
    });
    Pat::Struct(syn::PatStruct {
        attrs: Vec::new(),
        qself: None,
        path: path(segments),
        brace_token: Default::default(),
        fields: fields.collect(),
        rest: None,
    })
}

/// `expr?`.
pub fn try_expr(expr: Expr) -> Expr {
    Expr::Try(syn::ExprTry {
        attrs: Vec::new(),
        expr: Box::new(expr),
        question_token: Default::default(),
    })
}

/// `if let Err(error) = expr { return Err(error); }`: what `expr?;` does when the error
/// type is the function's own, without a `Try` and a `FromResidual` to prove: several times
/// cheaper to compile, for code repeated per member.
pub fn return_err_stmt(expr: Expr) -> Stmt {
    syn::parse_quote!(if let Err(error) = #expr {
        return Err(error);
    })
}

/// `|inputs| body`.
pub fn closure(inputs: impl IntoIterator<Item = Pat>, body: Expr) -> Expr {
    Expr::Closure(syn::ExprClosure {
        attrs: Vec::new(),
        lifetimes: None,
        constness: None,
        movability: None,
        asyncness: None,
        capture: None,
        or1_token: Default::default(),
        inputs: inputs.into_iter().collect(),
        or2_token: Default::default(),
        output: syn::ReturnType::Default,
        body: Box::new(body),
    })
}

/// `{ stmts }` as an expression.
pub fn block_expr(stmts: Vec<Stmt>) -> Expr {
    Expr::Block(syn::ExprBlock {
        attrs: Vec::new(),
        label: None,
        block: block(stmts),
    })
}

/// `name!(tokens)`.
pub fn macro_call(name: &str, tokens: TokenStream) -> Expr {
    Expr::Macro(syn::ExprMacro {
        attrs: Vec::new(),
        mac: syn::Macro {
            path: path(&[name]),
            bang_token: Default::default(),
            delimiter: syn::MacroDelimiter::Paren(Default::default()),
            tokens,
        },
    })
}

/// `let name = init;`.
pub fn let_stmt(name: &str, init: Expr) -> Stmt {
    local(Pat::Ident(binding(ident(name))), init)
}

/// `let _ = init;`.
pub fn let_wild_stmt(init: Expr) -> Stmt {
    local(wild_pat(), init)
}

/// `let mut name = init;`.
pub fn let_mut_stmt(name: &str, init: Expr) -> Stmt {
    let mut bound = binding(ident(name));
    bound.mutability = Some(Default::default());
    local(Pat::Ident(bound), init)
}

/// `member: expr` of a struct expression.
pub fn field_value(member: syn::Ident, expr: Expr) -> syn::FieldValue {
    syn::FieldValue {
        attrs: Vec::new(),
        member: syn::Member::Named(member),
        colon_token: Some(Default::default()),
        expr,
    }
}

/// `pub name: ty` (a named struct field).
pub fn named_field(attrs: Vec<Attribute>, name: syn::Ident, ty: Type) -> syn::Field {
    syn::Field {
        attrs,
        vis: public(),
        mutability: syn::FieldMutability::None,
        ident: Some(name),
        colon_token: Some(Default::default()),
        ty,
    }
}

/// `pub struct name { fields }`.
pub fn pub_struct(attrs: Vec<Attribute>, name: &str, fields: Vec<syn::Field>) -> syn::Item {
    syn::Item::Struct(syn::ItemStruct {
        attrs,
        vis: public(),
        struct_token: Default::default(),
        ident: ident(name),
        generics: Default::default(),
        fields: syn::Fields::Named(syn::FieldsNamed {
            brace_token: Default::default(),
            named: fields.into_iter().collect(),
        }),
        semi_token: None,
    })
}

/// `&ty`.
pub fn ref_ty(ty: Type) -> Type {
    Type::Reference(syn::TypeReference {
        and_token: Default::default(),
        lifetime: None,
        mutability: None,
        elem: Box::new(ty),
    })
}

/// `()`.
pub fn unit_ty() -> Type {
    Type::Tuple(syn::TypeTuple {
        paren_token: Default::default(),
        elems: Punctuated::new(),
    })
}

/// `segments::<types>` as an expression path (a turbofish on the last segment).
pub fn turbofish_path(segments: &[&str], types: impl IntoIterator<Item = Type>) -> Expr {
    let mut path = generic_path(segments, types);
    if let Some(syn::PathArguments::AngleBracketed(args)) =
        path.segments.last_mut().map(|s| &mut s.arguments)
    {
        args.colon2_token = Some(Default::default());
    }
    Expr::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path,
    })
}

/// `expr.await`.
pub fn await_expr(expr: Expr) -> Expr {
    Expr::Await(syn::ExprAwait {
        attrs: Vec::new(),
        base: Box::new(expr),
        dot_token: Default::default(),
        await_token: Default::default(),
    })
}

/// `left op right`; the caller nests by precedence, as the parser would.
pub fn binary(left: Expr, op: syn::BinOp, right: Expr) -> Expr {
    Expr::Binary(syn::ExprBinary {
        attrs: Vec::new(),
        left: Box::new(left),
        op,
        right: Box::new(right),
    })
}

/// `return expr`.
pub fn return_expr(expr: Expr) -> Expr {
    Expr::Return(syn::ExprReturn {
        attrs: Vec::new(),
        return_token: Default::default(),
        expr: Some(Box::new(expr)),
    })
}

/// `(elems)`.
pub fn tuple_expr(elems: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Tuple(syn::ExprTuple {
        attrs: Vec::new(),
        paren_token: Default::default(),
        elems: elems.into_iter().collect(),
    })
}

/// `left = right`.
pub fn assign(left: Expr, right: Expr) -> Expr {
    Expr::Assign(syn::ExprAssign {
        attrs: Vec::new(),
        left: Box::new(left),
        eq_token: Default::default(),
        right: Box::new(right),
    })
}

/// `for pat in expr { stmts }`.
pub fn for_loop(pat: Pat, expr: Expr, stmts: Vec<Stmt>) -> Expr {
    Expr::ForLoop(syn::ExprForLoop {
        attrs: Vec::new(),
        label: None,
        for_token: Default::default(),
        pat: Box::new(pat),
        in_token: Default::default(),
        expr: Box::new(expr),
        body: block(stmts),
    })
}

/// `if cond { stmts }`.
pub fn if_expr(cond: Expr, stmts: Vec<Stmt>) -> Expr {
    Expr::If(syn::ExprIf {
        attrs: Vec::new(),
        if_token: Default::default(),
        cond: Box::new(cond),
        then_branch: block(stmts),
        else_branch: None,
    })
}

/// `match expr { arms }`.
pub fn match_expr(expr: Expr, arms: Vec<syn::Arm>) -> Expr {
    Expr::Match(syn::ExprMatch {
        attrs: Vec::new(),
        match_token: Default::default(),
        expr: Box::new(expr),
        brace_token: Default::default(),
        arms,
    })
}

/// `()` as a pattern.
pub fn unit_pat() -> Pat {
    Pat::Tuple(syn::PatTuple {
        attrs: Vec::new(),
        paren_token: Default::default(),
        elems: Punctuated::new(),
    })
}

/// `mut name` as a pattern.
pub fn mut_ident_pat(name: &str) -> Pat {
    let mut pat = ident_pat(name);
    if let Pat::Ident(binding) = &mut pat {
        binding.mutability = Some(Default::default());
    }
    pat
}

/// `let pat = init;`.
pub fn local(pat: Pat, init: Expr) -> Stmt {
    Stmt::Local(syn::Local {
        attrs: Vec::new(),
        let_token: Default::default(),
        pat,
        init: Some(syn::LocalInit {
            eq_token: Default::default(),
            expr: Box::new(init),
            diverge: None,
        }),
        semi_token: Default::default(),
    })
}

/// `expr;`.
pub fn semi(expr: Expr) -> Stmt {
    Stmt::Expr(expr, Some(Default::default()))
}

/// `name: ty`, a function argument.
pub fn typed_arg(name: syn::Ident, ty: Type) -> syn::FnArg {
    syn::FnArg::Typed(syn::PatType {
        attrs: Vec::new(),
        pat: Box::new(Pat::Ident(syn::PatIdent {
            attrs: Vec::new(),
            by_ref: None,
            mutability: None,
            ident: name,
            subpat: None,
        })),
        colon_token: Default::default(),
        ty: Box::new(ty),
    })
}

/// `&self`, with the type `&Self` the parser gives it.
pub fn ref_self() -> syn::FnArg {
    syn::FnArg::Receiver(syn::Receiver {
        attrs: Vec::new(),
        reference: Some((Default::default(), None)),
        mutability: None,
        self_token: Default::default(),
        colon_token: None,
        ty: Box::new(ref_ty(path_ty(path(&["Self"])))),
    })
}

/// `pub [async] fn name(inputs) -> output { stmts }`, a method.
pub fn pub_method(
    attrs: Vec<Attribute>,
    asyncness: bool,
    name: syn::Ident,
    inputs: Vec<syn::FnArg>,
    output: Type,
    stmts: Vec<Stmt>,
) -> syn::ImplItem {
    syn::ImplItem::Fn(syn::ImplItemFn {
        attrs,
        vis: public(),
        defaultness: None,
        sig: syn::Signature {
            constness: None,
            asyncness: asyncness.then(Default::default),
            unsafety: None,
            abi: None,
            fn_token: Default::default(),
            ident: name,
            generics: Default::default(),
            paren_token: Default::default(),
            inputs: inputs.into_iter().collect(),
            variadic: None,
            output: syn::ReturnType::Type(Default::default(), Box::new(output)),
        },
        block: block(stmts),
    })
}

/// `(ty)`, a variant's one unnamed field.
pub fn tuple_fields(ty: syn::Type) -> syn::Fields {
    let field = syn::Field {
        attrs: Vec::new(),
        vis: syn::Visibility::Inherited,
        mutability: syn::FieldMutability::None,
        ident: None,
        colon_token: None,
        ty,
    };
    syn::Fields::Unnamed(syn::FieldsUnnamed {
        paren_token: Default::default(),
        unnamed: [field].into_iter().collect(),
    })
}

/// `path { fields }`, a struct expression.
pub fn struct_expr(segments: &[&str], fields: Vec<syn::FieldValue>) -> Expr {
    Expr::Struct(syn::ExprStruct {
        attrs: Vec::new(),
        qself: None,
        path: path(segments),
        brace_token: Default::default(),
        fields: fields.into_iter().collect(),
        dot2_token: None,
        rest: None,
    })
}
