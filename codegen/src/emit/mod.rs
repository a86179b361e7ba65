//! IR → Rust tokens. Every emitter builds tokens with `quote!`; none concatenates Rust text.

pub mod client;
pub mod krate;
pub mod models;
pub mod server;
pub mod validate;

use crate::ir::{Api, Ty};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Lints the generated crate allows: prose copied from the document into doc comments
/// trips the documentation lints, and the document decides literal values (a default of
/// 3.14) and how deeply types nest. `unknown_lints` keeps older toolchains quiet about
/// lints they do not have yet.
pub fn lint_allows() -> TokenStream {
    quote! {
        unknown_lints,
        clippy::approx_constant,
        clippy::type_complexity,
        clippy::doc_lazy_continuation,
        clippy::doc_nested_refdefs,
        clippy::doc_overindented_list_items,
        clippy::doc_suspicious_footnotes,
        clippy::needless_doctest_main,
        clippy::tabs_in_doc_comments,
        clippy::test_attr_in_doctest,
        rustdoc::bare_urls,
        rustdoc::broken_intra_doc_links,
        rustdoc::invalid_html_tags,
        rustdoc::invalid_rust_codeblocks
    }
}

/// Document prose made safe for a doc attribute: no control or bidi-override characters
/// (which rustc rejects), no carriage returns. `quote!` escapes quotes and backslashes.
pub fn clean_doc(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| !rejected_in_comment(*c))
        .collect()
}

/// A control character (but newline and tab) or a bidi override: rustc rejects them raw in
/// comments, and `prettyplease` prints doc attributes as `///` comments, unescaped.
pub fn rejected_in_comment(c: char) -> bool {
    c != '\n'
        && c != '\t'
        && (c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
}

/// Cleaned doc text split into attribute values: a leading space, as `///` would give.
fn doc_lines(text: &str) -> Vec<String> {
    clean_doc(text)
        .trim()
        .lines()
        .map(|line| match line.trim_end() {
            "" => String::new(),
            line => format!(" {line}"),
        })
        .collect()
}

/// `#[doc = "..."]` lines (outer docs).
pub fn doc_attrs(text: Option<&str>) -> TokenStream {
    let lines = text.map(doc_lines).unwrap_or_default();
    quote!(#(#[doc = #lines])*)
}

/// `#![doc = "..."]` lines (inner docs, for a crate root).
pub fn inner_doc_attrs(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote!(#(#![doc = #lines])*)
}

/// The Rust spelling of an IR type.
pub fn ty_tokens(api: &Api, ty: &Ty) -> TokenStream {
    ty_tokens_in(api, ty, &TokenStream::new())
}

/// As [`ty_tokens`], named types spelled through `module` (e.g. `models::`), for code
/// outside the `models` module.
pub fn ty_tokens_in(api: &Api, ty: &Ty, module: &TokenStream) -> TokenStream {
    let ty_tokens = |api, ty| ty_tokens_in(api, ty, module);
    match ty {
        Ty::String => quote!(String),
        Ty::Bool => quote!(bool),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::Uuid => quote!(uuid::Uuid),
        Ty::Bytes => quote!(Vec<u8>),
        Ty::Any => quote!(serde_json::Value),
        Ty::JsonObject => quote!(serde_json::Map<String, serde_json::Value>),
        Ty::Named(id) => {
            let name = format_ident!("{}", api.ty(*id).name);
            quote!(#module #name)
        }
        Ty::List(inner) => {
            let inner = ty_tokens(api, inner);
            quote!(Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(api, inner);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
        Ty::Option(inner) => {
            let inner = ty_tokens(api, inner);
            quote!(Option<#inner>)
        }
        Ty::Box(inner) => {
            let inner = ty_tokens(api, inner);
            quote!(Box<#inner>)
        }
    }
}

/// Whether the API uses a type that needs the `uuid` crate.
pub fn uses_uuid(api: &Api) -> bool {
    let in_types = api.types.iter().flat_map(|t| t.kind.tys());
    let in_params = api
        .operations
        .iter()
        .flat_map(|op| op.params.iter().map(|p| &p.ty));
    in_types.chain(in_params).any(|ty| ty.contains(&Ty::Uuid))
}
