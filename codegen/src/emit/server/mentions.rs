//! What the server's code names, so `server_uses` imports only that: builders note the
//! runtime helpers and `models::` paths they spell (through [`models_syn`] and [`parser`]),
//! token-built items are walked once. Each part gets a `&mut Mentions` of its own; the
//! pipeline merges the parts' values and hands the merged value to `server_uses`.

use crate::emit::validate::resolved;
use crate::emit::{ast, ty_syn_with};
use crate::ir::*;
use proc_macro2::TokenStream;
use syn::Expr;

/// `ty` as the server module spells it (named types through `models::`), noted in
/// `mentions`.
pub(super) fn models_syn(api: &Api, ty: &Ty, mentions: &mut Mentions) -> syn::Type {
    let named = std::cell::Cell::new(false);
    let spelled = ty_syn_with(api, ty, &|name| {
        named.set(true);
        ast::path_ty(ast::path(&["models", name]))
    });
    mentions.models_path |= named.get();
    spelled
}

/// The parser from text to `ty` (a parameter or a text part of a form), noted in
/// `mentions`.
pub(super) fn parser(api: &Api, ty: &Ty, mentions: &mut Mentions) -> Expr {
    let helper = match resolved(api, ty) {
        Ty::String => {
            mentions.note("parse_string");
            return ast::path_expr(&["parse_string"]);
        }
        Ty::I32 | Ty::I64 | Ty::F64 | Ty::Bool | Ty::Uuid => "parse_from_str",
        _ => "parse_serde",
    };
    mentions.note(helper);
    ast::turbofish_path(&[helper], [models_syn(api, ty, mentions)])
}

/// Runtime names imported only where used: parameter and form parsing name them often.
pub(super) const PARSE_HELPERS: [&str; 5] = [
    "Location",
    "Style",
    "parse_from_str",
    "parse_serde",
    "parse_string",
];

/// What the server's code names: noted where trees are built, found in one walk of the
/// tokens elsewhere (each walk copies the token tree).
#[derive(Debug, Default, Clone, Copy)]
pub struct Mentions {
    /// A path through `models` (`models::X`): `use super::models;` is needed.
    pub(super) models_path: bool,
    /// For each of [`PARSE_HELPERS`], whether it appears as an identifier.
    pub(super) names: [bool; PARSE_HELPERS.len()],
}

impl Mentions {
    /// What either names.
    pub fn merge(&mut self, other: &Mentions) {
        self.models_path |= other.models_path;
        for (found, other) in self.names.iter_mut().zip(other.names) {
            *found |= other;
        }
    }

    pub(super) fn note(&mut self, name: &str) {
        for (helper, found) in PARSE_HELPERS.iter().zip(&mut self.names) {
            *found |= *helper == name;
        }
    }

    pub(super) fn walk(&mut self, tokens: TokenStream) {
        let mut after_models = false;
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Ident(ident) => {
                    after_models = ident == "models";
                    for (name, found) in PARSE_HELPERS.iter().zip(&mut self.names) {
                        *found |= ident == name;
                    }
                }
                proc_macro2::TokenTree::Punct(punct) => {
                    // Joint: the first `:` of `::`, not a field's `models: ...`.
                    self.models_path |= after_models
                        && punct.as_char() == ':'
                        && punct.spacing() == proc_macro2::Spacing::Joint;
                    after_models = false;
                }
                proc_macro2::TokenTree::Group(group) => {
                    after_models = false;
                    self.walk(group.stream());
                }
                proc_macro2::TokenTree::Literal(_) => after_models = false,
            }
        }
    }
}
