//! The service trait: one method per operation, each answering 501 until implemented, and
//! the items before it (runtime and mock modules, the error envelope).

use super::bodies::request_body;
use super::mentions::models_syn;
use super::mentions::Mentions;
use super::Shared;
use crate::emit::params::{params_name, path_argument, path_params};
use crate::emit::{ast, doc_attr_list, parse_items};
use crate::ir::*;
use crate::names::ident;
use crate::Result;
use quote::quote;
use syn::Stmt;

fn op_doc(op: &Operation) -> String {
    let mut text = format!("`{} {}` (`{}`)", op.method.as_str(), op.path, op.id);
    for part in [&op.summary, &op.description].into_iter().flatten() {
        text.push_str("\n\n");
        text.push_str(part);
    }
    if op.deprecated {
        text.push_str("\n\nDeprecated.");
    }
    if op.route.is_none() {
        // Implementing it would do nothing: say so where the implementer looks.
        text.push_str(
            "\n\nNot served: the router has no route for it (the generator's warning says why).",
        );
    }
    text
}

thread_local! {
    /// Every operation's method of the trait starts as a copy of this one.
    static TRAIT_METHOD: syn::TraitItemFn = syn::parse_quote! {
        fn method(&self) -> impl Future<Output = Response> + Send {
            let _ = ctx;
            runtime::NotImplemented(Response::not_implemented)
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
        "ctx".to_owned(),
        ast::path_ty(ast::generic_path(&["RequestContext"], [claims])),
    )];
    // Path parameters in template order, named and typed as the client's arguments.
    for p in path_params(op) {
        args.push((path_argument(op, p), models_syn(api, &p.ty, mentions)));
    }
    if let Some(name) = params_name(op) {
        args.push(("params".to_owned(), ast::path_ty(ast::path(&[&name]))));
    }
    if let Some((ty, _, _)) = request_body(api, op, mentions) {
        args.push(("body".to_owned(), ty));
    }
    let unused = if args.len() == 1 {
        ast::path_expr(&["ctx"])
    } else {
        ast::tuple_expr(args.iter().map(|(name, _)| ast::ident_expr(ident(name))))
    };
    let mut method = TRAIT_METHOD.with(Clone::clone);
    method.attrs = doc_attr_list(Some(&op_doc(op)));
    method.sig.ident = ident(&op.name);
    method.sig.inputs.extend(args.into_iter().map(|(name, ty)| {
        syn::FnArg::Typed(syn::PatType {
            attrs: Vec::new(),
            pat: Box::new(syn::Pat::Ident(ast::binding(ident(&name)))),
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
                    ast::path_expr(&["runtime", "NotImplemented"]),
                    [ast::path_expr(&[&response_name, "not_implemented"])],
                ),
                None,
            ),
        ];
    }
    syn::TraitItem::Fn(method)
}

/// What follows the `use` lines: the runtime and mock modules, the envelope, the trait.
pub fn server_head(api: &Api, mentions: &mut Mentions) -> Result<Vec<syn::Item>> {
    let shared = Shared::new(api);
    let trait_ident = &shared.trait_ident;
    let methods: Vec<syn::TraitItem> = api
        .operations
        .iter()
        .map(|op| {
            let mut method = trait_method(api, &shared, op, mentions);
            if let (Some(cfg), syn::TraitItem::Fn(f)) =
                (crate::emit::operation_cfg(api, op), &mut method)
            {
                crate::emit::insert_cfg(&mut f.attrs, &cfg);
            }
            method
        })
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
    let shared_params = api
        .operations
        .iter()
        .any(|op| params_name(op).is_some())
        .then(|| {
            quote! {
                /// The operations' query, header and cookie parameters (shared with the client).
                pub use super::params::*;
            }
        });
    let tokens = quote! {
        #shared_params
        /// The HTTP plumbing every generated server shares (the runtime crate's `server`
        /// module; `runtime::axum` is the axum it is built on).
        pub use codegen_runtime::server as runtime;
        use runtime::axum;
        /// An implementation answering every operation with an example of a documented answer.
        #[path = "server/mock.rs"]
        pub mod mock;

        pub use runtime::{
            constant_time_eq, Binary, BodyError, BodyStream, Credential, EventStream, FilePart,
            Limits, Problem, Rejection, RequestContext, RequestId, Serve,
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
