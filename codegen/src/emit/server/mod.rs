//! The `server` module (cargo feature `server`): one trait per API with a default 501 body
//! per operation, a params struct, body type and response enum per operation, the router,
//! and a mock answering every operation with an example of a documented answer. The HTTP
//! plumbing the same for every API is the runtime crate's `server` module
//! (`codegen/runtime/src/server/`), re-exported as `server::runtime`.
//!
//! `server.rs` is emitted in parts (see [`server`]) that the pipeline prints on their own;
//! each operation's items are built as syntax trees, the rarer items through tokens. The
//! modules by job: [`service_trait`] (the trait and what precedes it), [`params`],
//! [`bodies`] and [`responses`] (each operation's types), [`envelope`] (the error
//! envelope), [`security`], [`router`] (router and handlers), [`mock`].
//!
//! State: the parts that build trees take a `&mut Mentions` (see [`mentions`]) and note
//! what their code names; the pipeline merges the parts' `Mentions` values and passes the
//! result to [`server_uses`], which imports only that. Everything else a part needs it
//! builds itself from the `Api` (see `Shared`), as parts are printed on separate threads.

mod bodies;
mod envelope;
mod mentions;
mod mock;
mod params;
mod responses;
mod router;
mod security;
mod service_trait;

pub use mentions::Mentions;
pub use mock::{mock, mock_example};
pub use router::{server_handlers, server_tail};
pub use service_trait::server_head;

// For the crate docs' server example (`emit::krate`).
pub(crate) use bodies::request_body;
pub(crate) use security::uses_auth;

use crate::emit::naming::trait_name;
use crate::emit::parse_items;
use crate::ir::*;
use crate::Result;
use envelope::{envelope, Envelope, ErrorBodies};
use mentions::PARSE_HELPERS;
use params::{extracted, params_extraction, Extracted};
use quote::{format_ident, quote};
use responses::response_enum;
use security::requirement_schemes;

/// `src/server.rs`'s items whole, its parts in order, for the stage benchmark (the pipeline
/// in `lib.rs` prints each part on its own and lays out the crate).
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

/// The items of the operations in `range` (their params, bodies and responses).
pub fn server_operations(
    api: &Api,
    range: std::ops::Range<usize>,
    mentions: &mut Mentions,
) -> Result<Vec<syn::Item>> {
    let envelope = envelope(api);
    let mut items = Vec::new();
    for op in &api.operations[range] {
        let cfg = crate::emit::operation_cfg(api, op);
        items.extend(
            operation_items(api, &envelope, op, mentions)?
                .into_iter()
                .map(|item| crate::emit::with_cfg(item, &cfg)),
        );
    }
    Ok(items)
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
    // An operation the router does not serve has no handler to extract its `{Op}Args`.
    if op.route.is_some() || !matches!(extracted(op), Some(Extracted::Args(_))) {
        items.extend(params_extraction(api, op, mentions).into_iter().flatten());
    }
    if let Some((_, _, body_items)) = request_body(api, op, mentions) {
        mentions.walk(body_items.clone());
        items.extend(parse_items(body_items)?);
    }
    items.extend(response_enum(api, envelope, op, mentions));
    Ok(items)
}

/// What every part of `server.rs` needs: built by each part on the thread that prints it
/// (syntax trees and tokens are not `Send`).
struct Shared {
    envelope: Envelope,
    /// The operations' own error bodies.
    errors: ErrorBodies,
    trait_ident: proc_macro2::Ident,
    /// Each operation's security requirement: an index into the distinct requirements,
    /// each a constant the handlers name (none for an operation the router does not
    /// serve: it has no handler, and a constant only it named would be unused).
    securities: Vec<Option<usize>>,
    /// How many distinct requirements there are.
    requirements: usize,
    /// Whether any operation authenticates, served or not (the trait's `Claims` and
    /// `authenticate` are there either way).
    auth: bool,
}

impl Shared {
    fn new(api: &Api) -> Shared {
        let mut keys: Vec<Vec<Vec<&str>>> = Vec::new();
        let securities = api
            .operations
            .iter()
            .map(|op| {
                op.route.as_ref()?;
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
        let envelope = envelope(api);
        Shared {
            errors: ErrorBodies::new(api, &envelope),
            envelope,
            trait_ident: format_ident!("{}", trait_name(api)),
            securities,
            requirements: keys.len(),
            auth: api
                .operations
                .iter()
                .any(|op| requirement_schemes(api, op).is_some()),
        }
    }

    /// Whether any operation authenticates.
    fn auth(&self) -> bool {
        self.auth
    }

    fn security_ident(&self, i: usize) -> proc_macro2::Ident {
        if self.requirements == 1 {
            format_ident!("SECURITY")
        } else {
            format_ident!("SECURITY_{}", i)
        }
    }
}
