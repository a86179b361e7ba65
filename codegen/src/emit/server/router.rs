//! The router, the runtime's view of the trait, the security constants, and one handler
//! per operation binding the implementation's method to its route.

use super::bodies::request_body;
use super::mentions::Mentions;
use super::params::{extracted, Extracted};
use super::responses::Documented;
use super::security::{requirement, uses_auth};
use super::Shared;
use crate::emit::params::{params_name, path_argument, path_params};
use crate::emit::{ast, features_cfg, operation_cfg, parse_items};
use crate::ir::*;
use crate::names::ident;
use crate::Result;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::{Expr, Stmt};

fn handler_name(op: &Operation) -> proc_macro2::Ident {
    format_ident!("handle_{}", op.name)
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
fn handler(api: &Api, shared: &Shared, op_index: usize, security: Option<usize>) -> syn::Item {
    let op = &api.operations[op_index];
    let extracted = extracted(op);
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
    let mut call_args = vec![ast::path_expr(&["ctx"])];
    let params_arg = match &extracted {
        // An `{Op}Args`: the path parameters, then the params.
        Some(Extracted::Args(name)) => {
            let args = || ast::path_expr(&["args"]);
            for p in path_params(op) {
                let field = ident(&path_argument(op, p));
                call_args.push(ast::field(args(), syn::Member::Named(field)));
            }
            if params_name(op).is_some() {
                call_args.push(ast::field(args(), syn::Member::Named(ident("params"))));
            }
            typed(ast::ident_pat("args"), ast::path_ty(ast::path(&[name])))
        }
        Some(Extracted::Params(name)) => {
            call_args.push(ast::path_expr(&["params"]));
            typed(ast::ident_pat("params"), ast::path_ty(ast::path(&[name])))
        }
        None => typed(ast::wild_pat(), ast::unit_ty()),
    };
    let body_arg = if has_body {
        call_args.push(ast::path_expr(&["body"]));
        ast::ident_pat("body")
    } else {
        typed(ast::wild_pat(), ast::unit_ty())
    };
    let mut call = ast::method(ast::path_expr(&["api"]), "method", call_args);
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
        let id = ast::str_lit(&op.id);
        let path = ast::str_lit(&op.path);
        let operation: Expr = syn::parse_quote!(&runtime::Operation { id: #id, path: #path });
        handle.args.extend([
            operation,
            security,
            documented(op, shared.errors.of(op_index)),
            reader,
            ast::closure(inputs, answer),
        ]);
    }
    syn::Item::Fn(handler)
}

/// `&runtime::Documented { .. }`: the statuses the operation's document lists, which its
/// rejections are answered in, and its own error bodies.
fn documented(op: &Operation, errors: Vec<TokenStream>) -> Expr {
    let Documented {
        statuses,
        ranges,
        default,
    } = Documented::of(op);
    let statuses = statuses.into_iter().map(Literal::u16_unsuffixed);
    let ranges = ranges.into_iter().map(Literal::u16_unsuffixed);
    syn::parse_quote! {
        &runtime::Documented {
            statuses: &[#(#statuses),*],
            ranges: &[#(#ranges),*],
            default: #default,
            errors: &[#(#errors),*],
        }
    }
}

fn router(api: &Api, trait_ident: &proc_macro2::Ident) -> TokenStream {
    // Document order of first appearance, one route per template: operations on paths that
    // differ only in parameter names share one (lowering decided which are served).
    let routed: Vec<(&Operation, &str)> = api
        .operations
        .iter()
        .filter_map(|op| Some((op, op.route.as_ref()?.template.as_str())))
        .collect();
    let mut paths: Vec<&str> = Vec::new();
    for (_, template) in &routed {
        if !paths.contains(template) {
            paths.push(template);
        }
    }
    let routes = paths.iter().map(|path| {
        let on_path: Vec<&Operation> = routed
            .iter()
            .filter(|(_, template)| template == path)
            .map(|(op, _)| *op)
            .collect();
        let method_router = |op: &Operation| {
            let filter = format_ident!("{}_service", op.method.as_str().to_ascii_lowercase());
            let handler = handler_name(op);
            quote!(#filter(runtime::bind(&api, #handler::<A>)))
        };
        let features: Vec<Option<usize>> = on_path
            .iter()
            .map(|op| op.feature.filter(|_| !api.features.is_empty()))
            .collect();
        let route = if features.iter().all(|f| *f == features[0]) {
            // One feature compiles the whole path (the common case): a route as written.
            let allow = on_path
                .iter()
                .map(|op| op.method.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let methods = on_path.iter().map(|op| method_router(op));
            quote! {
                axum::routing::MethodRouter::new()
                    #(.#methods)*
                    .fallback(runtime::method_not_allowed::<Envelope>(#allow))
            }
        } else {
            // Methods compiled by different features: each added, and allowed, when on.
            let cfgs: Vec<_> = on_path.iter().map(|op| operation_cfg(api, op)).collect();
            let methods = on_path.iter().map(|op| method_router(op));
            let names = on_path.iter().map(|op| op.method.as_str());
            quote! {{
                let methods = axum::routing::MethodRouter::new();
                #(#cfgs let methods = methods.#methods;)*
                methods.fallback(runtime::method_not_allowed::<Envelope>(runtime::allowed(&[#(#cfgs #names),*])))
            }}
        };
        let mut all: Vec<usize> = features.iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        // Compiled when any of its methods is; always where one of them always is.
        let cfg = features_cfg(api, features.iter().all(Option::is_some).then_some(&all[..]));
        quote! {
            #cfg
            let router = router.route(#path, #route);
        }
    });
    // The implementation is bound into each route's handler; without operations it is unused.
    let no_routes = paths.is_empty().then(|| quote!(let _ = api;));
    // axum refuses a literal segment starting with `:` or `*` (the spelling of parameters
    // before axum 0.8) unless told that it is meant literally.
    let literal_colons = paths
        .iter()
        .any(|path| {
            path.split('/')
                .any(|segment| segment.starts_with([':', '*']))
        })
        .then(|| quote!(.without_v07_checks()));
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
            let router = Router::new() #literal_colons;
            #(#routes)*
            router
                .fallback(runtime::not_found::<Envelope>)
                // The fallbacks (axum handlers) made services once, not on every request.
                .with_state(())
        }
    }
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
    let error_bodies = shared.errors.constants();
    parse_items(quote! {
        #router

        #service_impl

        #(#security_consts)*

        #error_bodies
    })
}

/// The handlers of the operations in `range` the router serves, after the tail.
pub fn server_handlers(api: &Api, range: std::ops::Range<usize>) -> Result<Vec<syn::Item>> {
    let shared = Shared::new(api);
    range
        .clone()
        .zip(&shared.securities[range])
        .filter(|(i, _)| api.operations[*i].route.is_some())
        .map(|(i, security)| {
            let cfg = crate::emit::operation_cfg(api, &api.operations[i]);
            Ok(crate::emit::with_cfg(
                handler(api, &shared, i, *security),
                &cfg,
            ))
        })
        .collect()
}
