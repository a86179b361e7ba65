//! Schema constraints the types cannot hold (bounds, lengths, item counts, closed value
//! sets), checked after deserializing, and how numbers are written. The same for every
//! API: a generated crate re-exports it as `validate`; the per-type `Validate` impls and
//! serde attributes in its `models.rs` call it.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

/// A value that breaks a constraint of its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the value, e.g. `/messages/0/role` (`""` for the whole document).
    pub pointer: String,
    /// What the schema asks, e.g. `must be at most 100`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for Violation {}

/// Where a value sits, kept on the stack and spelled out only when a check fails, so a
/// valid document costs no allocation.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn field(&'a self, name: &'a str) -> Path<'a> {
        Path::Field(self, name)
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    /// The JSON pointer (RFC 6901) of this place.
    pub fn pointer(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Field(parent, name) => format!(
                "{}/{}",
                parent.pointer(),
                name.replace('~', "~0").replace('/', "~1")
            ),
            Path::Index(parent, index) => format!("{}/{index}", parent.pointer()),
        }
    }

    pub fn violation(&self, message: impl Into<String>) -> Violation {
        Violation {
            pointer: self.pointer(),
            message: message.into(),
        }
    }
}

/// Checks the constraints of a value and everything it holds.
pub trait Validate {
    /// The first violation in this value, `at` the place it sits. The default, for the
    /// types whose schemas constrain nothing they hold, finds none.
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        let _ = at;
        Ok(())
    }

    /// Checks the whole value; the first violation found, if any.
    fn validate(&self) -> Result<(), Violation> {
        self.validate_at(Path::Root)
    }
}

/// Validates a value another holds (a field, an item, a variant's value) at its place:
/// the short spelling the generated impls use.
pub fn check<T: Validate + ?Sized>(value: &T, at: Path<'_>) -> Result<(), Violation> {
    value.validate_at(at)
}

macro_rules! unconstrained {
    ($($ty:ty),* $(,)?) => {
        $(impl Validate for $ty {})*
    };
}

// Constraints on these are checked where the field is declared (bounds, lengths).
unconstrained!(
    String,
    bool,
    u8,
    i32,
    i64,
    f64,
    serde_json::Value,
    serde_json::Map<String, serde_json::Value>,
);

// Here, not in the generated models: only this crate may implement its trait for another
// crate's type. A generated crate whose document has `format: uuid` turns the feature on.
#[cfg(feature = "uuid")]
unconstrained!(uuid::Uuid);

impl<T: Validate> Validate for Option<T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        match self {
            Some(value) => value.validate_at(at),
            None => Ok(()),
        }
    }
}

impl<T: Validate> Validate for Box<T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        (**self).validate_at(at)
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        self.iter()
            .enumerate()
            .try_for_each(|(i, item)| item.validate_at(at.index(i)))
    }
}

impl<T: Validate> Validate for BTreeMap<String, T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        self.iter()
            .try_for_each(|(key, value)| value.validate_at(at.field(key)))
    }
}

fn number(value: f64) -> String {
    // `1` rather than `1.0` for whole bounds, as the document writes them.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

pub fn minimum(at: Path<'_>, value: f64, bound: f64, exclusive: bool) -> Result<(), Violation> {
    match (exclusive, value) {
        (false, v) if v < bound => Err(at.violation(format!("must be at least {}", number(bound)))),
        (true, v) if v <= bound => {
            Err(at.violation(format!("must be greater than {}", number(bound))))
        }
        _ => Ok(()),
    }
}

pub fn maximum(at: Path<'_>, value: f64, bound: f64, exclusive: bool) -> Result<(), Violation> {
    match (exclusive, value) {
        (false, v) if v > bound => Err(at.violation(format!("must be at most {}", number(bound)))),
        (true, v) if v >= bound => {
            Err(at.violation(format!("must be less than {}", number(bound))))
        }
        _ => Ok(()),
    }
}

/// JSON Schema counts characters (code points), not bytes.
pub fn min_length(at: Path<'_>, value: &str, bound: usize) -> Result<(), Violation> {
    if value.chars().count() < bound {
        return Err(at.violation(format!("must be at least {bound} characters long")));
    }
    Ok(())
}

pub fn max_length(at: Path<'_>, value: &str, bound: usize) -> Result<(), Violation> {
    if value.chars().count() > bound {
        return Err(at.violation(format!("must be at most {bound} characters long")));
    }
    Ok(())
}

/// A `pattern` constraint: its regular expression, compiled on first use (the generator
/// drops, with a warning, the patterns [`Matcher`] cannot compile).
#[cfg(feature = "pattern")]
pub struct Pattern {
    source: &'static str,
    regex: std::sync::OnceLock<Option<Matcher>>,
}

#[cfg(feature = "pattern")]
impl Pattern {
    pub const fn new(source: &'static str) -> Self {
        Pattern {
            source,
            regex: std::sync::OnceLock::new(),
        }
    }
}

#[cfg(feature = "pattern")]
pub fn pattern(at: Path<'_>, value: &str, pattern: &Pattern) -> Result<(), Violation> {
    let regex = pattern
        .regex
        .get_or_init(|| Matcher::new(pattern.source).ok());
    if regex.as_ref().is_some_and(|r| !r.is_match(value)) {
        let source = pattern.source;
        return Err(at.violation(format!("must match the pattern `{source}`")));
    }
    Ok(())
}

/// A `pattern` as regex-lite runs it. regex-lite has no look-around; the one form of it
/// documents use in practice, look-aheads right after a leading `^` (`^(?!CLOUDENV.*$)...`:
/// "does not start so"), is run as patterns of their own anchored at the start, each
/// required to match (`(?=`) or not to (`(?!`), beside the rest.
#[cfg(feature = "pattern")]
pub struct Matcher {
    rest: regex_lite::Regex,
    /// The pattern without its leading look-aheads.
    rest_source: String,
    /// Each look-ahead: whether it must match, and its pattern anchored at the start.
    ahead: Vec<(bool, regex_lite::Regex)>,
}

#[cfg(feature = "pattern")]
impl Matcher {
    /// Compiles `source`; why not, when it cannot.
    pub fn new(source: &str) -> Result<Matcher, String> {
        let compile = |pattern: &str| regex_lite::Regex::new(pattern).map_err(|e| e.to_string());
        let mut rest = source;
        let mut ahead = Vec::new();
        if let Some(after) = source.strip_prefix('^') {
            rest = after;
            while let Some((must, inner, after)) = leading_look_ahead(rest) {
                ahead.push((must, compile(&format!("^(?:{inner})"))?));
                rest = after;
            }
            // `^(?!a)x|y`: the look-ahead belongs to the first alternative only.
            if !ahead.is_empty() && top_level(rest).any(|(_, c)| c == '|') {
                return Err("a look-ahead before a top-level `|` is not supported".to_owned());
            }
        }
        let rest_source = match ahead.is_empty() {
            true => source.to_owned(),
            false => format!("^{rest}"),
        };
        Ok(Matcher {
            rest: compile(&rest_source)?,
            rest_source,
            ahead,
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.ahead
            .iter()
            .all(|(must, regex)| regex.is_match(text) == *must)
            && self.rest.is_match(text)
    }

    /// The pattern without its leading look-aheads (the whole pattern without any).
    pub fn rest_source(&self) -> &str {
        &self.rest_source
    }
}

/// `(?!inner)` or `(?=inner)` at the start of `pattern`: whether it must match, `inner`
/// and what follows it.
#[cfg(feature = "pattern")]
fn leading_look_ahead(pattern: &str) -> Option<(bool, &str, &str)> {
    let must = match pattern.get(..3)? {
        "(?=" => true,
        "(?!" => false,
        _ => return None,
    };
    let body = &pattern[3..];
    let (end, _) = top_level(body).find(|&(_, c)| c == ')')?;
    Some((must, &body[..end], &body[end + 1..]))
}

/// The characters of `pattern` outside classes, escapes and groups, with their offsets
/// (a `)` that closes no group opened in `pattern` among them).
#[cfg(feature = "pattern")]
fn top_level(pattern: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let (mut depth, mut class, mut escaped) = (0usize, false, false);
    pattern.char_indices().filter(move |&(_, c)| {
        if escaped {
            escaped = false;
            return false;
        }
        match c {
            '\\' => escaped = true,
            '[' if !class => class = true,
            ']' if class => class = false,
            _ if class => {}
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ => return depth == 0,
        }
        false
    })
}

/// A boolean `enum` of one value.
pub fn bool_value(at: Path<'_>, value: bool, allowed: bool) -> Result<(), Violation> {
    if value != allowed {
        return Err(at.violation(format!("must be {allowed}")));
    }
    Ok(())
}

pub fn min_items(at: Path<'_>, len: usize, bound: usize) -> Result<(), Violation> {
    if len < bound {
        return Err(at.violation(format!("must have at least {bound} items")));
    }
    Ok(())
}

pub fn max_items(at: Path<'_>, len: usize, bound: usize) -> Result<(), Violation> {
    if len > bound {
        return Err(at.violation(format!("must have at most {bound} items")));
    }
    Ok(())
}

/// An open enum's fallback variant: accepted from a server, never valid in a request.
pub fn unknown_value(at: Path<'_>, value: &dyn fmt::Display) -> Result<(), Violation> {
    Err(at.violation(format!("`{value}` is not one of the allowed values")))
}

/// `#[serde(serialize_with)]` for fields holding JSON Schema `number`s (`f64`, alone or in
/// options, lists and maps): a whole number within ±2⁵³ is written as an integer, `12`
/// rather than `12.0`. JSON Schema counts both as the same number, but clients in typed
/// languages read `12.0` as a float and refuse it where they expect an integer (a token
/// count, an index, a timestamp).
pub fn whole_numbers<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: serde::Serialize + ?Sized,
    S: serde::Serializer,
{
    value.serialize(WholeNumbers(serializer))
}

/// Beyond 2⁵³ not every integer is an `f64`: such values keep serde's float form.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

fn as_whole(value: f64) -> Option<i64> {
    (value.fract() == 0.0 && value.abs() <= EXACT_INTEGERS).then_some(value as i64)
}

/// A serializer that writes whole floats as integers and passes everything else through;
/// options, lists and maps hand it on to what they hold.
struct WholeNumbers<S>(S);

/// A value serialized through [`WholeNumbers`].
pub(crate) struct Whole<'a, T: ?Sized>(pub(crate) &'a T);

/// As the value it wraps: a struct's `Debug` shows its members as they are.
impl<T: std::fmt::Debug + ?Sized> std::fmt::Debug for Whole<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: serde::Serialize + ?Sized> serde::Serialize for Whole<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(WholeNumbers(serializer))
    }
}

/// A list's or map's serializer whose items go through [`WholeNumbers`].
struct WholeItems<C>(C);

impl<C: serde::ser::SerializeSeq> serde::ser::SerializeSeq for WholeItems<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), C::Error> {
        self.0.serialize_element(&Whole(v))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

impl<C: serde::ser::SerializeMap> serde::ser::SerializeMap for WholeItems<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: serde::Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.0.serialize_key(key)
    }
    fn serialize_value<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), C::Error> {
        self.0.serialize_value(&Whole(v))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

/// Forwards serializer methods unchanged.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<$out, S::Error> {
            self.0.$method($($arg),*)
        })*
    };
}

impl<S: serde::Serializer> serde::Serializer for WholeNumbers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = WholeItems<S::SerializeSeq>;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = WholeItems<S::SerializeMap>;
    type SerializeStruct = S::SerializeStruct;
    type SerializeStructVariant = S::SerializeStructVariant;

    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        match as_whole(v) {
            Some(whole) => self.0.serialize_i64(whole),
            None => self.0.serialize_f64(v),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Whole(v))
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Whole(v))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(WholeItems)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(WholeItems)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_variant(name, index, variant, v)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
    forward! {
        serialize_bool(v: bool) -> S::Ok;
        serialize_i8(v: i8) -> S::Ok;
        serialize_i16(v: i16) -> S::Ok;
        serialize_i32(v: i32) -> S::Ok;
        serialize_i64(v: i64) -> S::Ok;
        serialize_i128(v: i128) -> S::Ok;
        serialize_u8(v: u8) -> S::Ok;
        serialize_u16(v: u16) -> S::Ok;
        serialize_u32(v: u32) -> S::Ok;
        serialize_u64(v: u64) -> S::Ok;
        serialize_u128(v: u128) -> S::Ok;
        serialize_char(v: char) -> S::Ok;
        serialize_str(v: &str) -> S::Ok;
        serialize_bytes(v: &[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(name: &'static str) -> S::Ok;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
        serialize_tuple(len: usize) -> S::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> S::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeTupleVariant;
        serialize_struct(name: &'static str, len: usize) -> S::SerializeStruct;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "pattern")]
    #[test]
    fn leading_look_aheads_run_as_patterns_of_their_own() {
        let matches = |pattern: &str, text: &str| Matcher::new(pattern).unwrap().is_match(text);
        // visualstudio.com's secret names: not starting with CLOUDENV.
        let secret = r"^(?!CLOUDENV.*$)[a-zA-Z_][a-zA-Z0-9_]{0,199}$";
        assert!(matches(secret, "MY_SECRET"));
        assert!(!matches(secret, "CLOUDENV_TOKEN"));
        assert!(!matches(secret, "1ABC"));
        // Two of them, a positive one, groups, classes and escapes inside.
        let strong = r"^(?=.*[0-9])(?!.*[)(])\w+$";
        assert!(matches(strong, "abc1"));
        assert!(!matches(strong, "abc"));
        let grouped = r"^(?!(ab|cd)\))x?.*";
        assert!(matches(grouped, "ab"));
        assert!(!matches(grouped, "cd)"));
        assert!(!matches(r"^(?![)])a", ")a") && matches(r"^(?![)])a", "a"));
        // Alternatives inside a group are the pattern's own.
        assert!(matches(r"^(?!x)(a|b)$", "b") && !matches(r"^(?!x)(a|b)$", "xb"));
        assert_eq!(
            Matcher::new(secret).unwrap().rest_source(),
            "^[a-zA-Z_][a-zA-Z0-9_]{0,199}$"
        );
        // Elsewhere, or behind: not compiled.
        assert!(Matcher::new("^a(?!b)").is_err());
        assert!(Matcher::new("(?<=a)b").is_err());
        assert!(Matcher::new("^(?!unclosed").is_err());
        // A top-level `|` leaves the look-ahead to the first alternative: not split.
        assert!(Matcher::new("^(?!a)x|a").is_err());
    }

    #[test]
    fn pointers_escape_and_nest() {
        let root = Path::Root;
        let items = root.field("items");
        let first = items.index(0);
        let odd = first.field("a/b~c");
        assert_eq!(odd.pointer(), "/items/0/a~1b~0c");
        assert_eq!(root.pointer(), "");
    }

    #[test]
    fn bounds_name_the_limit() {
        let at = Path::Root;
        let limit = at.field("limit");
        assert_eq!(
            minimum(limit, 0.0, 1.0, false).unwrap_err().to_string(),
            "/limit: must be at least 1"
        );
        assert!(minimum(limit, 1.0, 1.0, false).is_ok());
        assert!(minimum(limit, 1.0, 1.0, true).is_err());
        assert_eq!(
            maximum(limit, 2.5, 2.0, false).unwrap_err().message,
            "must be at most 2"
        );
        assert!(maximum(limit, 2.0, 2.0, true).is_err());
    }

    #[test]
    fn lengths_count_characters() {
        let at = Path::Root;
        assert!(max_length(at, "日本", 2).is_ok());
        assert!(max_length(at, "日本語", 2).is_err());
        assert!(min_length(at, "", 1).is_err());
        assert!(min_items(at, 0, 1).is_err());
        assert!(max_items(at, 3, 2).is_err());
    }

    #[test]
    fn containers_validate_every_item() {
        struct Positive(f64);
        impl Validate for Positive {
            fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
                minimum(at, self.0, 0.0, true)
            }
        }
        let list = vec![Positive(1.0), Positive(-1.0)];
        assert_eq!(list.validate().unwrap_err().pointer, "/1");
        let mut map = BTreeMap::new();
        map.insert("k".to_owned(), Some(Box::new(Positive(0.0))));
        assert_eq!(map.validate().unwrap_err().pointer, "/k");
    }

    #[test]
    fn whole_numbers_are_written_as_integers() {
        #[derive(serde::Serialize)]
        struct Usage {
            #[serde(serialize_with = "whole_numbers")]
            tokens: f64,
            #[serde(serialize_with = "whole_numbers")]
            spend: Option<f64>,
            #[serde(serialize_with = "whole_numbers")]
            scores: Vec<Option<f64>>,
            #[serde(serialize_with = "whole_numbers")]
            by_model: BTreeMap<String, f64>,
        }
        let usage = Usage {
            tokens: 12.0,
            spend: Some(0.5),
            scores: vec![Some(-0.0), None, Some(1767225600.0), Some(2.5)],
            by_model: BTreeMap::from([("a".to_owned(), 3.0), ("b".to_owned(), 1e300)]),
        };
        assert_eq!(
            serde_json::to_string(&usage).unwrap(),
            r#"{"tokens":12,"spend":0.5,"scores":[0,null,1767225600,2.5],"by_model":{"a":3,"b":1e+300}}"#
        );
        // Past 2^53 an f64 may not be the integer it prints as: serde's form stays.
        let big = serde_json::to_value(Whole(&9_007_199_254_740_994.0f64)).unwrap();
        assert!(big.is_f64());
        let edge = serde_json::to_value(Whole(&-9_007_199_254_740_992.0f64)).unwrap();
        assert_eq!(edge, serde_json::json!(-9_007_199_254_740_992i64));
    }
}

thread_local! {
    /// Whether a server is reading a request on this thread (see [`refusing_null`]).
    static REFUSE_NULL: Cell<bool> = const { Cell::new(false) };
}

/// Reads an optional member that is not nullable (the types' `deserialize_with`): `null`
/// is refused while a server reads a request, as the schema says, and read as absent when
/// a client reads an answer, forgiving servers that write `null` for "not set".
pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    let value = <Option<T> as serde::Deserialize>::deserialize(deserializer)?;
    if value.is_none() && REFUSE_NULL.with(Cell::get) {
        return Err(serde::de::Error::invalid_type(
            serde::de::Unexpected::Unit,
            &"a value (the member is optional, not nullable)",
        ));
    }
    Ok(value)
}

/// Runs `read` (a deserialization) with `null` refused for optional members that are not
/// nullable: how a server reads requests.
pub fn refusing_null<R>(read: impl FnOnce() -> R) -> R {
    with_flag(&REFUSE_NULL, true, read)
}

/// Runs `read` with a thread's flag set to `value`, put back however `read` ends.
pub(crate) fn with_flag<R>(
    flag: &'static std::thread::LocalKey<Cell<bool>>,
    value: bool,
    read: impl FnOnce() -> R,
) -> R {
    struct Restore(&'static std::thread::LocalKey<Cell<bool>>, bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            self.0.with(|flag| flag.set(self.1));
        }
    }
    let _restore = Restore(flag, flag.with(|f| f.replace(value)));
    read()
}
