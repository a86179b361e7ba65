//! Rust names for arbitrary document names: legal for every input, unique within a scope.

use heck::{ToSnakeCase, ToUpperCamelCase};

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers (`r#self` is illegal).
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Type names the emitted code uses unqualified; a document type of that name is renamed.
const RESERVED_TYPES: &[&str] = &[
    "Box",
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "Deserialize",
    "Deserializer",
    "Eq",
    "Err",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "Hash",
    "Into",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "PartialEq",
    "Result",
    "Self",
    "Send",
    "Serialize",
    "Serializer",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "Vec",
];

/// Replaces characters heck would drop silently but that carry meaning in enum values.
fn spell_symbols(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.chars().enumerate() {
        match c {
            '+' => out.push_str(" plus "),
            '-' if i == 0 => out.push_str(" minus "),
            '*' => out.push_str(" star "),
            '@' => out.push_str(" at "),
            '#' => out.push_str(" hash "),
            '%' => out.push_str(" percent "),
            '&' => out.push_str(" and "),
            '=' => out.push_str(" eq "),
            '<' => out.push_str(" lt "),
            '>' => out.push_str(" gt "),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out
}

/// Whether `raw` is its own `UpperCamelCase` (most schema names are): ASCII letters and
/// digits, a capital first, and every other capital right after a lowercase letter, so
/// that each word heck finds is a capital and then lowercase letters or digits. Spares
/// heck's per-character formatting, a tenth of lowering on large documents.
fn is_upper_camel(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_uppercase)
        && bytes.iter().all(u8::is_ascii_alphanumeric)
        && bytes
            .windows(2)
            .all(|pair| !pair[1].is_ascii_uppercase() || pair[0].is_ascii_lowercase())
}

/// `raw` in `snake_case` when it has only lowercase ASCII letters, digits and
/// underscores (most property names): its words joined by single underscores, as heck
/// gives.
fn plain_snake(raw: &str) -> Option<String> {
    raw.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        .then(|| {
            let words: Vec<&str> = raw.split('_').filter(|w| !w.is_empty()).collect();
            words.join("_")
        })
}

/// `raw` in `UpperCamelCase` when it has only lowercase ASCII letters, digits and
/// underscores (most property names and enum values): each of its words capitalized, as
/// heck gives.
fn plain_snake_to_camel(raw: &str) -> Option<String> {
    raw.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        .then(|| {
            let mut camel = String::with_capacity(raw.len());
            for word in raw.split('_').filter(|w| !w.is_empty()) {
                camel.push(char::from(word.as_bytes()[0].to_ascii_uppercase()));
                camel.push_str(&word[1..]);
            }
            camel
        })
}

/// `UpperCamelCase` name for a type or variant; `fallback` when nothing usable remains.
pub fn type_name(raw: &str, fallback: &str) -> String {
    let mut name = if is_upper_camel(raw) {
        raw.to_owned()
    } else if let Some(camel) = plain_snake_to_camel(raw) {
        camel
    } else {
        spell_symbols(raw).to_upper_camel_case()
    };
    if name.is_empty() {
        name = fallback.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    name
}

/// A type name that does not shadow what the emitted code refers to.
pub fn unreserved_type_name(raw: &str, fallback: &str) -> String {
    let name = type_name(raw, fallback);
    if RESERVED_TYPES.contains(&name.as_str()) {
        format!("{name}Model")
    } else {
        name
    }
}

/// `snake_case` name for a field, function or parameter (without any `r#`).
pub fn snake_name(raw: &str, fallback: &str) -> String {
    let mut name = plain_snake(raw).unwrap_or_else(|| spell_symbols(raw).to_snake_case());
    if name.is_empty() {
        name = fallback.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("{fallback}_{name}");
    }
    name
}

/// Turns a name into an identifier token, raw (`r#type`) where it is a keyword.
pub fn ident(name: &str) -> proc_macro2::Ident {
    if KEYWORDS.contains(&name) && !NOT_RAW.contains(&name) {
        proc_macro2::Ident::new_raw(name, proc_macro2::Span::call_site())
    } else {
        proc_macro2::Ident::new(name, proc_macro2::Span::call_site())
    }
}

/// Hands out names unique within one scope (a module, a struct's fields, an enum's variants).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    // Thousands of type names in a large document's module scope: hashed, not ordered.
    taken: rustc_hash::FxHashSet<String>,
}

impl Scope {
    /// Claims `base`, or `base` with the first free numeric suffix.
    pub fn claim(&mut self, base: &str) -> String {
        let base = if NOT_RAW.contains(&base) {
            format!("{base}_")
        } else {
            base.to_owned()
        };
        let mut candidate = base.clone();
        // `self_` collides into `self_2`, not `self__2` (which the case lints reject).
        let stem = base.trim_end_matches('_');
        let separator = if stem.contains('_') || stem.chars().all(|c| !c.is_ascii_uppercase()) {
            "_"
        } else {
            ""
        };
        let mut n = 2;
        while !self.taken.insert(candidate.clone()) {
            candidate = format!("{stem}{separator}{n}");
            n += 1;
        }
        candidate
    }

    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_legal_for_awkward_input() {
        assert_eq!(type_name("chat.completion", "T"), "ChatCompletion");
        assert_eq!(type_name("2fa", "T"), "V2fa");
        assert_eq!(type_name("", "Empty"), "Empty");
        assert_eq!(type_name("+1", "T"), "Plus1");
        assert_eq!(type_name("-1", "T"), "Minus1");
        assert_eq!(type_name("日本", "Value"), "Value");
        assert_eq!(unreserved_type_name("result", "T"), "ResultModel");
        assert_eq!(snake_name("fooBar", "field"), "foo_bar");
        assert_eq!(snake_name("9lives", "field"), "field_9lives");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self_").to_string(), "self_");
    }

    #[test]
    fn scope_suffixes_collisions() {
        let mut fields = Scope::default();
        assert_eq!(fields.claim("foo_bar"), "foo_bar");
        assert_eq!(fields.claim("foo_bar"), "foo_bar_2");
        assert_eq!(fields.claim("self"), "self_");
        assert_eq!(fields.claim("self"), "self_2");
        let mut types = Scope::default();
        assert_eq!(types.claim("Foo"), "Foo");
        assert_eq!(types.claim("Foo"), "Foo2");
        assert_eq!(types.claim("Self"), "Self_");
        assert_eq!(types.claim("Self"), "Self2");
    }

    /// Names the fast paths take or must refuse, and their neighbours.
    const NAMES: &[&str] = &[
        "Account",
        "AccountBusinessProfile",
        "AbC",
        "AbCd",
        "V1",
        "V2Api",
        "Oauth2Token",
        "A2B",
        "HTTPServer",
        "ABc",
        "Ab2Cd",
        "A",
        "a",
        "node_id",
        "_node__id_",
        "sha256_hash",
        "2fa",
        "x_2",
        "__",
        "",
        "id",
        "nodeId",
        "Node-ID",
        "ümlaut",
        "Ärger",
        "plus+one",
        "already_snake_case_123",
        "AlreadyCamel9",
        "Z9z",
        "aB",
        "ab_",
        "_",
    ];

    #[test]
    fn fast_paths_agree_with_heck() {
        for raw in NAMES {
            if is_upper_camel(raw) {
                assert_eq!(*raw, spell_symbols(raw).to_upper_camel_case(), "{raw:?}");
            }
            if let Some(snake) = plain_snake(raw) {
                assert_eq!(snake, spell_symbols(raw).to_snake_case(), "{raw:?}");
            }
            if let Some(camel) = plain_snake_to_camel(raw) {
                assert_eq!(camel, spell_symbols(raw).to_upper_camel_case(), "{raw:?}");
            }
        }
    }

    /// Every name of up to five characters from letters, digits and underscores: the
    /// snake-case fast paths give what heck gives.
    #[test]
    fn snake_fast_paths_agree_with_heck_exhaustively() {
        let alphabet = ['a', 'z', '0', '9', '_'];
        let mut names = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = names
                .iter()
                .filter(|n| n.len() == names.last().map_or(0, String::len))
                .flat_map(|n| alphabet.iter().map(move |c| format!("{n}{c}")))
                .collect();
            names.extend(longer);
        }
        for raw in &names {
            let spelled = spell_symbols(raw);
            assert_eq!(plain_snake(raw), Some(spelled.to_snake_case()), "{raw:?}");
            assert_eq!(
                plain_snake_to_camel(raw),
                Some(spelled.to_upper_camel_case()),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn fast_paths_take_the_common_names() {
        assert!(is_upper_camel("AccountBusinessProfile"));
        assert!(!is_upper_camel("HTTPServer"));
        assert!(!is_upper_camel("A2B"));
        assert_eq!(plain_snake("_node__id_").as_deref(), Some("node_id"));
        assert_eq!(plain_snake("nodeId"), None);
    }
}
