//! IR → Rust syntax: the regular items of the models, the client and the server (per
//! type, per operation) as `syn` trees (see `ast`), the rest as `quote!` tokens parsed
//! once; no emitter concatenates Rust text.

pub mod ast;
pub mod client;
pub mod doc_markers;
pub mod krate;
pub mod models;
pub mod naming;
pub mod params;
pub mod server;
pub mod synth;
pub mod validate;

use crate::ir::{Api, Ty};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

/// Lints the generated crate allows: prose copied from the document into doc comments
/// trips the documentation lints, and the document decides literal values (a default of
/// 3.14) and how deeply types nest. `question_mark`: validation returns its violations with
/// `if let Err`, not `?`, which costs the compiler several times more for the same
/// code ([`ast::return_err_stmt`]). `unknown_lints` keeps older toolchains quiet about
/// lints they do not have yet.
pub fn lint_allows() -> TokenStream {
    quote! {
        unknown_lints,
        clippy::approx_constant,
        clippy::type_complexity,
        clippy::question_mark,
        clippy::doc_lazy_continuation,
        clippy::doc_nested_refdefs,
        clippy::doc_overindented_list_items,
        clippy::doc_suspicious_footnotes,
        clippy::needless_doctest_main,
        clippy::tabs_in_doc_comments,
        clippy::test_attr_in_doctest,
        rustdoc::invalid_rust_codeblocks
    }
}

/// The syntax tree of emitted tokens.
pub fn parse_file(tokens: TokenStream) -> crate::Result<syn::File> {
    parse_at(tokens, "#")
}

/// The syntax tree of tokens emitted for the document node at `pointer`; an error there
/// if they do not parse (a generator bug, reported rather than panicking).
pub fn parse_at<T: syn::parse::Parse>(tokens: TokenStream, pointer: &str) -> crate::Result<T> {
    syn::parse2(tokens).map_err(|e| {
        crate::Error::internal(
            pointer,
            format_args!("the emitted code does not parse ({e})"),
        )
    })
}

/// Items from emitted tokens (the less regular items are still built with `quote!`).
pub fn parse_items(tokens: TokenStream) -> crate::Result<Vec<syn::Item>> {
    Ok(parse_file(tokens)?.items)
}

/// Document prose made safe for a doc comment: no control or bidi-override characters
/// (which rustc rejects), no carriage returns.
pub fn clean_doc(text: &str) -> String {
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_owned()
    };
    let text = if holds_rejected(&text) {
        text.chars().filter(|c| !rejected_in_comment(*c)).collect()
    } else {
        text
    };
    // What rustdoc's lints would warn of, fixed where it is prose (code spans as they are).
    if text.contains(['<', '[']) || text.contains("://") {
        outside_code_spans(&text, |prose, out| {
            let escaped = escape_unclosed_tags(&escape_link_brackets(prose));
            link_bare_urls(&escaped, out);
        })
    } else {
        text
    }
}

/// `text` with `fix` applied to what lies outside its code spans and blocks (between
/// backticks), which rustdoc shows as written.
fn outside_code_spans(text: &str, fix: impl Fn(&str, &mut String)) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 0 {
            fix(part, &mut out);
        } else {
            out.push_str(part);
        }
    }
    out
}

/// `[DONE]`, `[0, 1]`: brackets rustdoc would take for a link to an item, escaped. A
/// Markdown link (`[text](url)`, `[text][ref]`) and a bracket before a code span (the
/// generator's own `` [`Item`] `` links) are left as they are.
fn escape_link_brackets(prose: &str) -> String {
    if !prose.contains('[') {
        return prose.to_owned();
    }
    let mut out = String::with_capacity(prose.len() + 8);
    let mut rest = prose;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if !after[..close].contains('[') => {
                let next = after[close + 1..].chars().next();
                if matches!(next, Some('(' | '[' | ':')) {
                    out.push('[');
                    rest = after;
                } else {
                    out.push_str("\\[");
                    out.push_str(&after[..close]);
                    out.push_str("\\]");
                    rest = &after[close + 1..];
                }
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML elements without content, which need no closing tag.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// `<name>` with no `</name>` after it (`Bearer <token>`), which rustdoc would take for an
/// unclosed HTML tag, with its `<` written `&lt;`; tags that close, void elements,
/// closing tags and autolinks (`<https://…>`) as they are.
fn escape_unclosed_tags(text: &str) -> String {
    if !text.contains('<') {
        return text.to_owned();
    }
    // Searched for closing tags, once for the whole text.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (at, _) in text.match_indices('<') {
        out.push_str(&text[done..at]);
        let after = &lower[at + 1..];
        let name_len = after
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let is_tag = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && !after[name_len..].starts_with(':');
        let closed = || {
            VOID_ELEMENTS.contains(&name)
                || after.match_indices("</").any(|(i, _)| {
                    after[i + 2..].starts_with(name) && after[i + 2 + name.len()..].starts_with('>')
                })
        };
        out.push_str(if is_tag && !closed() { "&lt;" } else { "<" });
        done = at + 1;
    }
    out.push_str(&text[done..]);
    out
}

/// Bare `http://` and `https://` URLs in angle brackets (rustdoc's `bare_urls`), leaving
/// those already in a link, an autolink or quotes.
fn link_bare_urls(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find("http") {
        let url_len = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ')' | ']'))
            .unwrap_or(rest.len() - at);
        let url = &rest[at..at + url_len];
        // Trailing punctuation ends the sentence, not the URL.
        let url = url.trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let before = rest[..at].chars().next_back();
        let bare = (url.starts_with("http://") || url.starts_with("https://"))
            && url.len() > "https://".len()
            && !matches!(before, Some('<' | '(' | '"' | '\'' | '[' | '=' | '/'));
        out.push_str(&rest[..at]);
        if bare {
            out.push('<');
            out.push_str(url);
            out.push('>');
            rest = &rest[at + url.len()..];
        } else {
            let step = at + "http".len();
            out.push_str(&rest[at..step]);
            rest = &rest[step..];
        }
    }
    out.push_str(rest);
}

/// Whether `text` holds a character [`rejected_in_comment`] names, read from its UTF-8
/// bytes (the characters' encodings are few and short): a fast scan over megabytes of text.
pub fn holds_rejected(text: &str) -> bool {
    let bytes = text.as_bytes();
    let after = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let rejected_at = |i: usize| match bytes[i] {
        b'\n' | b'\t' => false,
        0..=0x1f | 0x7f => true,
        // U+0080..=U+009F.
        0xc2 => matches!(after(i + 1), 0x80..=0x9f),
        // U+200E, U+200F, U+202A..=U+202E; U+2066..=U+2069.
        0xe2 => match after(i + 1) {
            0x80 => matches!(after(i + 2), 0x8e | 0x8f | 0xaa..=0xae),
            0x81 => matches!(after(i + 2), 0xa6..=0xa9),
            _ => false,
        },
        _ => false,
    };
    let mut i = 0;
    while i < bytes.len() {
        // Printable ASCII and newlines, nearly all text, sixteen bytes at a time with no
        // branch per byte; a run holding anything else is looked at byte by byte.
        let run = &bytes[i..(i + 16).min(bytes.len())];
        if run.len() == 16
            && run.iter().fold(true, |ok, &b| {
                ok & ((0x20..0x7f).contains(&b) | (b == b'\n'))
            })
        {
            i += 16;
            continue;
        }
        let end = i + run.len();
        while i < end {
            if rejected_at(i) {
                return true;
            }
            i += 1;
        }
    }
    false
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
            line => [" ", line].concat(),
        })
        .collect()
}

/// `#[doc = "..."]` attributes (outer docs), holding markers of their lines (see
/// [`doc_markers`]).
pub fn doc_attr_list(text: Option<&str>) -> Vec<syn::Attribute> {
    let lines = text.map(doc_lines).unwrap_or_default();
    lines
        .into_iter()
        .map(|line| ast::doc_attr(&doc_markers::marker(line)))
        .collect()
}

/// `#[doc = "..."]` lines (outer docs), as tokens (quoted directly: the client and
/// server emit many, and building attributes first costs more), holding markers of their
/// lines (see [`doc_markers`]).
pub fn doc_attrs(text: Option<&str>) -> TokenStream {
    let lines = text.map(doc_lines).unwrap_or_default();
    let markers = lines.into_iter().map(doc_markers::marker);
    quote!(#(#[doc = #markers])*)
}

/// `#![doc = "..."]` lines (inner docs, for a crate root).
pub fn inner_doc_attrs(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote!(#(#![doc = #lines])*)
}

/// The Rust spelling of an IR type.
pub fn ty_syn(api: &Api, ty: &Ty) -> syn::Type {
    ty_syn_with(api, ty, &|name| ast::path_ty(ast::path(&[name])))
}

/// The Rust spelling of an IR type, as tokens.
pub fn ty_tokens(api: &Api, ty: &Ty) -> TokenStream {
    ty_syn(api, ty).into_token_stream()
}

/// As [`ty_syn`], named types spelled through `module` (e.g. `["super", "models"]`).
pub fn ty_syn_in(api: &Api, ty: &Ty, module: &[&str]) -> syn::Type {
    ty_syn_with(api, ty, &|name| {
        let mut segments = module.to_vec();
        segments.push(name);
        ast::path_ty(ast::path(&segments))
    })
}

/// The Rust spelling of an IR type, named types spelled by `named`.
fn ty_syn_with(api: &Api, ty: &Ty, named: &dyn Fn(&str) -> syn::Type) -> syn::Type {
    use ast::{generic_path, path, path_ty};
    let string = || path_ty(path(&["String"]));
    let value = || path_ty(path(&["serde_json", "Value"]));
    let generic = |segments: &[&str], inner: &Ty| {
        path_ty(generic_path(segments, [ty_syn_with(api, inner, named)]))
    };
    match ty {
        Ty::String => string(),
        Ty::Bool => path_ty(path(&["bool"])),
        Ty::I32 => path_ty(path(&["i32"])),
        Ty::I64 => path_ty(path(&["i64"])),
        Ty::F64 => path_ty(path(&["f64"])),
        Ty::Uuid => path_ty(path(&["uuid", "Uuid"])),
        Ty::Bytes => path_ty(generic_path(&["Vec"], [path_ty(path(&["u8"]))])),
        Ty::Any => value(),
        Ty::JsonObject => path_ty(generic_path(&["serde_json", "Map"], [string(), value()])),
        Ty::Named(id) => named(&api.ty(*id).name),
        Ty::List(inner) => generic(&["Vec"], inner),
        Ty::Map(inner) => path_ty(generic_path(
            &["std", "collections", "BTreeMap"],
            [string(), ty_syn_with(api, inner, named)],
        )),
        Ty::Option(inner) => generic(&["Option"], inner),
        Ty::Box(inner) => generic(&["Box"], inner),
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

/// `#[cfg(feature = "a")]` (or `any(...)` of several): what compiles an item that exists
/// for the given [`Api::features`]; `None` for an item always compiled.
pub fn features_cfg(api: &Api, features: Option<&[usize]>) -> Option<syn::Attribute> {
    if api.features.is_empty() {
        return None;
    }
    let names: Vec<&str> = features?
        .iter()
        .map(|&i| api.features[i].name.as_str())
        .collect();
    Some(match names.as_slice() {
        [one] => ast::list_attr("cfg", quote!(feature = #one)),
        many => ast::list_attr("cfg", quote!(any(#(feature = #many),*))),
    })
}

/// What compiles an operation's items (its methods, handler, parameters, answers).
pub fn operation_cfg(api: &Api, op: &crate::ir::Operation) -> Option<syn::Attribute> {
    features_cfg(api, op.feature.as_ref().map(std::slice::from_ref))
}

/// Puts `attr` (a `cfg`) on an item.
pub fn with_cfg(mut item: syn::Item, attr: &Option<syn::Attribute>) -> syn::Item {
    use syn::Item;
    let Some(attr) = attr else { return item };
    let attrs = match &mut item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        _ => return item,
    };
    insert_cfg(attrs, attr);
    item
}

/// Puts a `cfg` after the doc comments (where a reader looks for it).
pub fn insert_cfg(attrs: &mut Vec<syn::Attribute>, cfg: &syn::Attribute) {
    let after_docs = attrs
        .iter()
        .take_while(|attr| attr.path().is_ident("doc"))
        .count();
    attrs.insert(after_docs, cfg.clone());
}

/// With only some operation groups enabled, items the client's or server's operations
/// share (helpers, imports, constants, the router's implementation) may go unused:
/// allowed then, and only then. On the module declarations, which rustfmt skips: it
/// would lay the list out unlike the generator does.
pub fn partial_features_allow(api: &Api) -> Option<TokenStream> {
    if api.features.is_empty() {
        return None;
    }
    let names = api.features.iter().map(|f| f.name.as_str());
    Some(quote! {
        #[cfg_attr(not(all(#(feature = #names),*)), allow(dead_code, unused_imports, unused_variables))]
    })
}

#[cfg(test)]
mod doc_tests {
    use super::clean_doc;

    #[test]
    fn prose_is_made_what_rustdoc_reads_without_warnings() {
        assert_eq!(
            clean_doc("API key in Authorization header using Bearer <token>."),
            "API key in Authorization header using Bearer &lt;token>."
        );
        // Tags that close, void ones, autolinks and code spans are left as they are.
        for kept in [
            "<p>Retrieves the <a href=\"https://stripe.com/docs\">account</a>.</p>",
            "a line<br>another",
            "see <https://example.com/docs>",
            "send `Bearer <token>` as is",
            "a < b and c > d",
            "[the docs](https://example.com/x)",
            "the [`Response`](crate::client::Response) type and [`client`]",
        ] {
            assert_eq!(clean_doc(kept), kept);
        }
        assert_eq!(
            clean_doc("ends with data: [DONE], ids [0, 1]"),
            "ends with data: \\[DONE\\], ids \\[0, 1\\]"
        );
        assert_eq!(
            clean_doc("See https://example.com/docs/api. Or http://x.io, then `https://y.io`."),
            "See <https://example.com/docs/api>. Or <http://x.io>, then `https://y.io`."
        );
    }
}
