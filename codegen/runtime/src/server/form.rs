//! Form bodies (`application/x-www-form-urlencoded`) read into the generated types: the
//! pairs become a tree by their keys' brackets (`a[b][0]=x`, Stripe's and Rails'
//! convention), and the tree is read as the type asks. Both spellings of an array are
//! taken: brackets (`tags[]=a`, `tags[0]=a`) and OpenAPI's default, the key repeated
//! (`tags=a&tags=b`), where one value is an array of one. Numbers and booleans are read
//! from their text, spelled as JSON spells them. A top-level property the document gives
//! an `encoding` for is read as it says when sent as one value: items or names and values
//! in one text (`tags=a,b`, `tags=a|b`, `color=R,100,G,200`), or JSON text; sent
//! otherwise (`tags[0]=a`), as without one. An empty value is the empty string to a
//! string, the empty object to an object and the empty array to an array. A union keeps
//! its value's part of the tree and offers it to its branches as the form sent it (see
//! `object::Buffered`): first strictly, a text that spells a number as the number only and
//! an empty value as the empty string only, then as each branch asks.

use super::*;
use serde::de::value::Error;
use serde::de::{Error as _, IntoDeserializer};

/// How deep a form body's brackets may nest (`a[b][c][d][e]`): deeper keys are refused
/// rather than followed.
const FORM_DEPTH: usize = 8;

/// A form body as a tree: a text, members by name (in order of appearance) or the values
/// of a repeated key; and, for a property whose `encoding` says so, a text that is items
/// (or names and values) by a delimiter, or a JSON value.
#[derive(Debug, PartialEq, Clone)]
pub(crate) enum Node {
    Text(String),
    Members(Vec<(String, Node)>),
    Repeated(Vec<Node>),
    /// The whole text, read as such by a scalar, and its items (texts), read by an array,
    /// or in pairs by an object.
    Listed(String, Vec<Node>),
    Json(serde_json::Value),
}

impl Node {
    fn member(members: &[(String, Node)], name: &str) -> Option<usize> {
        members.iter().position(|(key, _)| key == name)
    }

    /// Puts `value` at `path` under this node (members), repeating a key given again.
    fn insert(&mut self, key: &str, path: &[&str], value: String) -> Result<(), String> {
        let Node::Members(members) = self else {
            return Err(format!("`{key}` is both a value and an object"));
        };
        let (first, rest) = path.split_first().expect("a key has a name");
        let index = match Self::member(members, first) {
            Some(index) => index,
            None if rest.is_empty() => {
                members.push(((*first).to_owned(), Node::Text(value)));
                return Ok(());
            }
            None => {
                members.push(((*first).to_owned(), Node::Members(Vec::new())));
                members.len() - 1
            }
        };
        let node = &mut members[index].1;
        if rest.is_empty() {
            match node {
                Node::Repeated(values) => values.push(Node::Text(value)),
                Node::Text(_) => {
                    let earlier = std::mem::replace(node, Node::Repeated(Vec::new()));
                    *node = Node::Repeated(vec![earlier, Node::Text(value)]);
                }
                // Laid out by an encoding only once the tree is whole.
                Node::Members(_) | Node::Listed(..) | Node::Json(_) => {
                    return Err(format!("`{key}` is both a value and an object"));
                }
            }
            return Ok(());
        }
        node.insert(key, rest, value)
    }
}

/// `a[b][]` as `["a", "b", "<n>"]`: an empty bracket is the next index of its array.
fn key_path<'k>(
    key: &'k str,
    next_index: &mut Vec<(String, usize)>,
) -> Result<Vec<Cow<'k, str>>, String> {
    let (name, mut rest) = match key.find('[') {
        Some(at) => (&key[..at], &key[at..]),
        None => (key, ""),
    };
    let mut path = vec![Cow::Borrowed(name)];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(end) = inner.find(']') else {
            return Err(format!("`{key}` has an unclosed `[`"));
        };
        let segment = &inner[..end];
        if segment.contains('[') {
            return Err(format!("`{key}` is not a form key"));
        }
        if segment.is_empty() {
            let parent = key[..key.len() - rest.len()].to_owned();
            let index = match next_index.iter_mut().find(|(p, _)| *p == parent) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    next_index.push((parent, 0));
                    0
                }
            };
            path.push(Cow::Owned(index.to_string()));
        } else {
            path.push(Cow::Borrowed(segment));
        }
        rest = &inner[end + 1..];
        if path.len() > FORM_DEPTH + 1 {
            return Err(format!("`{key}` nests deeper than {FORM_DEPTH} levels"));
        }
    }
    if !rest.is_empty() || name.is_empty() {
        return Err(format!("`{key}` is not a form key"));
    }
    Ok(path)
}

fn tree<'p>(pairs: impl Iterator<Item = (Cow<'p, str>, Cow<'p, str>)>) -> Result<Node, String> {
    let mut root = Node::Members(Vec::new());
    let mut next_index = Vec::new();
    for (key, value) in pairs {
        let path = key_path(&key, &mut next_index)?;
        let path: Vec<&str> = path.iter().map(|s| s.as_ref()).collect();
        root.insert(&key, &path, value.into_owned())?;
    }
    Ok(root)
}

/// Lays out the top-level members `encoding` names that were sent as one text: split at
/// the style's delimiter, or parsed as JSON (malformed JSON: the member's name and why).
fn apply_encoding(root: &mut Node, encoding: &[FormEncoding]) -> Result<(), (String, String)> {
    let Node::Members(members) = root else {
        return Ok(());
    };
    for (name, node) in members.iter_mut() {
        let Some(entry) = FormEncoding::find(encoding, name) else {
            continue;
        };
        let Node::Text(text) = node else { continue };
        if entry.json {
            let value = serde_json::from_str(text)
                .map_err(|e| (name.clone(), format!("not JSON text: {e}")))?;
            *node = Node::Json(value);
        } else if let Some(delimiter) = entry.delimiter() {
            let text = std::mem::take(text);
            let items = match text.is_empty() {
                true => Vec::new(),
                false => text
                    .split(delimiter)
                    .map(|s| Node::Text(s.to_owned()))
                    .collect(),
            };
            *node = Node::Listed(text, items);
        } else if entry.style == FormStyle::Form && entry.explode && text.is_empty() {
            // OpenAPI's exploded `form` sends `[""]` as `tags=`, which the entry asks for:
            // one empty item to an array, the empty text to anything else.
            *node = Node::Listed(String::new(), vec![Node::Text(String::new())]);
        }
    }
    Ok(())
}

/// Key and value pairs (a parameter's members) read as `T` the way a form body is.
pub(super) fn read_pairs<'p, T: DeserializeOwned>(
    pairs: impl Iterator<Item = (Cow<'p, str>, Cow<'p, str>)>,
) -> Result<T, String> {
    let root = tree(pairs)?;
    crate::object::reading_form(true, || T::deserialize(&root)).map_err(|e| e.to_string())
}

/// A form body read as `T`, then its constraints checked: 422 naming the member at fault.
pub fn parse_url_encoded<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, Rejection> {
    parse_url_encoded_with(bytes, &[])
}

/// [`parse_url_encoded`] with the document's `encoding` of the body's properties.
pub fn parse_url_encoded_with<T: DeserializeOwned + Validate>(
    bytes: &[u8],
    encoding: &[FormEncoding],
) -> Result<T, Rejection> {
    let mut root = tree(form_urlencoded::parse(bytes))
        .map_err(|message| Rejection::invalid("body", message))?;
    apply_encoding(&mut root, encoding).map_err(|(name, message)| {
        let name = name.replace('~', "~0").replace('/', "~1");
        Rejection::invalid(format!("body/{name}"), message)
    })?;
    let read = crate::object::reading_form(true, || serde_path_to_error::deserialize(&root));
    let value: T = read.map_err(|error| {
        let pointer = super::json::serde_pointer(error.path());
        Rejection::invalid(format!("body{pointer}"), error.into_inner().to_string())
    })?;
    value
        .validate_at(Path::Root)
        .map_err(|v| Rejection::invalid(format!("body{}", v.pointer), v.message))?;
    Ok(value)
}

thread_local! {
    /// Whether a union is offering a value to its branches strictly: see
    /// [`Node::read_branch`].
    static STRICT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The part of the tree a union asked for, on its way to `object::Buffered`.
    static CAPTURED: std::cell::RefCell<Option<Node>> = const { std::cell::RefCell::new(None) };
}

impl Node {
    /// Whether a union is offering this thread's value strictly (see [`Node::read_branch`]).
    fn strict() -> bool {
        STRICT.with(std::cell::Cell::get)
    }

    /// The node a union's [`crate::object::FORM_VALUE`] request just captured, if any.
    pub(crate) fn take_captured() -> Option<Node> {
        CAPTURED.with(|captured| captured.borrow_mut().take())
    }

    /// Reads `T` (a union's branch) from this node. Strictly, a text that spells a number
    /// or a boolean is not a string and an empty value is not an object: the reading a
    /// JSON body would have given, which a union tries on every branch before reading the
    /// form as each branch asks (`""` goes to a string branch before an object's `{}`).
    pub(crate) fn read_branch<T: DeserializeOwned>(&self, strict: bool) -> Result<T, Error> {
        crate::validate::with_flag(&STRICT, strict, || T::deserialize(self))
    }

    /// The text of the member `name`, if this node has one.
    pub(crate) fn member_text(&self, name: &str) -> Option<&str> {
        match self {
            Node::Members(members) => match &members[Self::member(members, name)?].1 {
                Node::Text(text) => Some(text),
                _ => None,
            },
            _ => None,
        }
    }

    fn text(&self, expected: &str) -> Result<&str, Error> {
        match self {
            Node::Text(text) | Node::Listed(text, _) => Ok(text),
            _ => Err(Error::custom(format!(
                "expected {expected}, found an object or array"
            ))),
        }
    }

    /// A number or boolean from its text, spelled as JSON spells it (`7`, not `007` or
    /// `+7`, which Rust's parsers take): a text spelled otherwise is a string, which a
    /// union's string branch may take instead.
    fn parse<N: std::str::FromStr>(&self, expected: &str) -> Result<N, Error> {
        let text = self.text(expected)?;
        let parsed = plain_scalar(text).and_then(|_| text.parse().ok());
        parsed.ok_or_else(|| Error::custom(format!("`{text}` is not {expected}")))
    }
}

macro_rules! parsed {
    ($($method:ident $visit:ident $ty:ty, $what:literal;)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit(self.parse::<$ty>($what)?)
        })*
    };
}

impl<'de> Deserializer<'de> for &'de Node {
    type Error = Error;

    // Only what takes any value asks for it: a union trying its branches (Stripe's
    // `cancel_at: anyOf [integer, enum ["now"]]`) or `serde_json::Value`. A text is given
    // as the number or boolean it spells, if it spells one plainly (`12`, `-3`, `0.5`,
    // `true`; not `007` or `+1`), since a form has no other way to send them; a member
    // typed as a string asks for a string and gets the text as it is.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(text) | Node::Listed(text, _) => match plain_scalar(text) {
                Some(Scalar::Bool(b)) => visitor.visit_bool(b),
                Some(Scalar::Int(n)) => visitor.visit_i64(n),
                Some(Scalar::Float(x)) => visitor.visit_f64(x),
                None => visitor.visit_borrowed_str(text),
            },
            Node::Members(members) => visitor.visit_map(Members::new(members)),
            Node::Repeated(values) => visitor.visit_seq(Items(values.iter())),
            Node::Json(value) => value.deserialize_any(visitor).map_err(Error::custom),
        }
    }

    parsed! {
        deserialize_bool visit_bool bool, "a boolean (true or false)";
        deserialize_i8 visit_i8 i8, "an integer";
        deserialize_i16 visit_i16 i16, "an integer";
        deserialize_i32 visit_i32 i32, "an integer";
        deserialize_i64 visit_i64 i64, "an integer";
        deserialize_u8 visit_u8 u8, "an integer";
        deserialize_u16 visit_u16 u16, "an integer";
        deserialize_u32 visit_u32 u32, "an integer";
        deserialize_u64 visit_u64 u64, "an integer";
        deserialize_f32 visit_f32 f32, "a number";
        deserialize_f64 visit_f64 f64, "a number";
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(text) | Node::Listed(text, _) if text.is_empty() => visitor.visit_unit(),
            _ => Err(Error::custom("expected an empty value")),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Repeated(values) | Node::Listed(_, values) => {
                visitor.visit_seq(Items(values.iter()))
            }
            // An empty value is the empty array, as it is the empty object (Stripe's
            // `tax_rates=` clears them): a form has no other spelling for it, while `[""]`
            // has one (`tags[0]=`). Strictly, as JSON reads it, it is the empty string.
            Node::Text(text) if text.is_empty() => match Node::strict() {
                true => Err(Error::custom("expected an array, found the empty string")),
                false => visitor.visit_seq(Items([].iter())),
            },
            // One value of a repeated key.
            Node::Text(_) => visitor.visit_seq(Items(std::slice::from_ref(self).iter())),
            Node::Json(value) => value.deserialize_seq(visitor).map_err(Error::custom),
            // `a[0]=x&a[1]=y`: indices in any order, none missing.
            Node::Members(members) => {
                let mut indexed = Vec::with_capacity(members.len());
                for (key, node) in members {
                    let index: usize = key.parse().map_err(|_| {
                        Error::custom(format!("expected an array, found the member `{key}`"))
                    })?;
                    indexed.push((index, node));
                }
                indexed.sort_by_key(|(index, _)| *index);
                if indexed
                    .iter()
                    .enumerate()
                    .any(|(i, (index, _))| i != *index)
                {
                    return Err(Error::custom(
                        "an array's indices must run from 0 without gaps",
                    ));
                }
                let items: Vec<&Node> = indexed.into_iter().map(|(_, node)| node).collect();
                visitor.visit_seq(serde::de::value::SeqDeserializer::new(items.into_iter()))
            }
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Members(members) => visitor.visit_map(Members::new(members)),
            // Stripe's `metadata=`: an empty value is an empty object.
            Node::Text(text) if text.is_empty() && !Node::strict() => {
                visitor.visit_map(Members::new(&[]))
            }
            // `color=R,100,G,200`: names and values in turn.
            Node::Listed(_, items) if items.len() % 2 == 0 => visitor.visit_map(Pairs {
                items: items.iter(),
                value: None,
            }),
            Node::Listed(..) => Err(Error::custom(
                "expected an object's names and values in turn (`name,value,...`)",
            )),
            _ => Err(Error::custom("expected an object (`name[member]=value`)")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let text = self.text("one of the allowed values")?;
        visitor.visit_enum(text.into_deserializer())
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == crate::object::FORM_VALUE {
            CAPTURED.with(|captured| *captured.borrow_mut() = Some(self.clone()));
            return visitor.visit_unit();
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(text) if Node::strict() && plain_scalar(text).is_some() => Err(
                Error::custom(format!("`{text}` is read as a number or boolean")),
            ),
            Node::Text(text) | Node::Listed(text, _) => visitor.visit_borrowed_str(text),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(text) | Node::Listed(text, _) => visitor.visit_borrowed_str(text),
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit_struct tuple tuple_struct
    }
}

enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// The boolean or number `text` spells in JSON's way (no sign but `-`, no leading zeros).
fn plain_scalar(text: &str) -> Option<Scalar> {
    match text {
        "true" => return Some(Scalar::Bool(true)),
        "false" => return Some(Scalar::Bool(false)),
        _ => {}
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if !digits.starts_with(|c: char| c.is_ascii_digit()) || leading_zero {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Scalar::Int(n));
    }
    let number = digits
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    match text.parse::<f64>() {
        Ok(x) if number && x.is_finite() => Some(Scalar::Float(x)),
        _ => None,
    }
}

impl<'de> IntoDeserializer<'de, Error> for &'de Node {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

struct Items<'de>(std::slice::Iter<'de, Node>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.0.next().map(|node| seed.deserialize(node)).transpose()
    }
}

/// A listed object's items, read as names and values in turn.
struct Pairs<'de> {
    items: std::slice::Iter<'de, Node>,
    value: Option<&'de Node>,
}

impl<'de> MapAccess<'de> for Pairs<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let (Some(key), Some(value)) = (self.items.next(), self.items.next()) else {
            return Ok(None);
        };
        self.value = Some(value);
        let key = serde::de::value::BorrowedStrDeserializer::new(key.text("a name")?);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| Error::custom("a value without a name"))?;
        seed.deserialize(value)
    }
}

struct Members<'de> {
    members: std::slice::Iter<'de, (String, Node)>,
    value: Option<&'de Node>,
}

impl<'de> Members<'de> {
    fn new(members: &'de [(String, Node)]) -> Self {
        Members {
            members: members.iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        // Lent, not copied: the generated structs' member names borrow it.
        let key = serde::de::value::BorrowedStrDeserializer::new(key.as_str());
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| Error::custom("a value without a key"))?;
        match value {
            // Read as JSON is, whatever the type asks for (its `""` is no object).
            Node::Json(value) => crate::object::reading_form(false, || seed.deserialize(value))
                .map_err(Error::custom),
            node => seed.deserialize(node),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Item {
        price: String,
        quantity: Option<i64>,
    }

    #[derive(Debug, PartialEq, Deserialize, Default)]
    struct Body {
        #[serde(default)]
        expand: Vec<String>,
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default)]
        metadata: BTreeMap<String, String>,
        amount: Option<i64>,
        capture: Option<bool>,
    }

    impl Validate for Body {}

    fn read(form: &str) -> Result<Body, String> {
        parse_url_encoded::<Body>(form.as_bytes()).map_err(|r| r.problem().message.clone())
    }

    use std::collections::BTreeMap;

    #[test]
    fn arrays_by_brackets_or_repeated_keys() {
        let expected = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(read("expand=a&expand=b").unwrap().expand, expected);
        assert_eq!(read("expand[]=a&expand[]=b").unwrap().expand, expected);
        assert_eq!(read("expand[1]=b&expand[0]=a").unwrap().expand, expected);
        assert_eq!(read("expand=a").unwrap().expand, vec!["a".to_owned()]);
        // An empty value is the empty array; one empty item takes brackets.
        assert_eq!(read("expand=").unwrap().expand, Vec::<String>::new());
        assert_eq!(read("expand[0]=").unwrap().expand, vec![String::new()]);
        assert_eq!(read("expand[]=").unwrap().expand, vec![String::new()]);
        assert!(read("expand[0]=a&expand[2]=b")
            .unwrap_err()
            .contains("gaps"));
    }

    #[test]
    fn nested_objects_numbers_and_booleans() {
        let body =
            read("items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2&metadata[k]=v&amount=100&capture=true")
                .unwrap();
        assert_eq!(
            body.items,
            vec![
                Item {
                    price: "p1".into(),
                    quantity: Some(2)
                },
                Item {
                    price: "p2".into(),
                    quantity: None
                }
            ]
        );
        assert_eq!(body.metadata.get("k").map(String::as_str), Some("v"));
        assert_eq!((body.amount, body.capture), (Some(100), Some(true)));
        assert_eq!(read("metadata=").unwrap().metadata, BTreeMap::new());
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum CancelAt {
        At(i64),
        Word(When),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum When {
        Now,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Product {
        Id(String),
        Inline { name: String },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Update {
        cancel_at: CancelAt,
        product: Option<Product>,
        note: Option<String>,
    }

    impl Validate for Update {}

    #[test]
    fn unions_take_numbers_and_booleans_strings_stay_text() {
        let read = |form: &str| parse_url_encoded::<Update>(form.as_bytes()).unwrap();
        assert_eq!(
            read("cancel_at=1700000000").cancel_at,
            CancelAt::At(1_700_000_000)
        );
        assert_eq!(read("cancel_at=now").cancel_at, CancelAt::Word(When::Now));
        assert_eq!(
            read("cancel_at=1&product=prod_1").product,
            Some(Product::Id("prod_1".into()))
        );
        assert_eq!(
            read("cancel_at=1&product[name]=Tea").product,
            Some(Product::Inline { name: "Tea".into() })
        );
        // A member typed as a string reads numeric text as text.
        assert_eq!(read("cancel_at=1&note=007").note.as_deref(), Some("007"));
        assert_eq!(read("cancel_at=1&note=12").note.as_deref(), Some("12"));
        assert!(plain_scalar("007").is_none() && plain_scalar("+1").is_none());
        assert!(matches!(plain_scalar("-0.5"), Some(Scalar::Float(x)) if x == -0.5));
    }

    /// A union as the generator writes one: through `object::Buffered`.
    macro_rules! union {
        ($name:ident { $($branch:ident($ty:ty)),* }) => {
            #[derive(Debug, PartialEq)]
            enum $name {
                $($branch($ty)),*
            }

            impl<'de> Deserialize<'de> for $name {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let mut value = crate::object::Buffered::read(deserializer)?;
                    loop {
                        $(if let Some(branch) = value.branch() {
                            return Ok($name::$branch(branch));
                        })*
                        if !value.retry() {
                            return Err(value.none_of(stringify!($name)));
                        }
                    }
                }
            }
        };
    }

    #[derive(Debug, PartialEq, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Range {
        gt: Option<i64>,
        lt: Option<i64>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Shipping {
        address: Range,
        name: String,
    }

    // Stripe's `posted_at` and `shipping`, and a string branch after an object that `{}`
    // would do for.
    union!(Posted { Range(Range), At(i64) });
    union!(Note { Range(Range), Text(String) });
    union!(Cleared { Shipping(Shipping), Text(String) });

    #[derive(Debug, PartialEq, Deserialize)]
    struct Empties {
        posted_at: Option<Posted>,
        note: Option<Note>,
        shipping: Option<Cleared>,
        range: Option<Range>,
    }

    impl Validate for Empties {}

    #[test]
    fn an_empty_value_is_the_empty_object_where_no_string_is_taken() {
        let read = |form: &str| parse_url_encoded::<Empties>(form.as_bytes());
        let empty = || Range::default();
        assert_eq!(
            read("posted_at=").unwrap().posted_at,
            Some(Posted::Range(empty()))
        );
        assert_eq!(read("posted_at=7").unwrap().posted_at, Some(Posted::At(7)));
        assert!(read("posted_at=soon").is_err());
        assert!(read("posted_at=0007").is_err());
        // A branch that takes the empty string takes it first.
        let text = Note::Text(String::new());
        assert_eq!(read("note=").unwrap().note, Some(text));
        let cleared = Cleared::Text(String::new());
        assert_eq!(read("shipping=").unwrap().shipping, Some(cleared));
        // Within a union's value, and where no union is.
        let shipping = Cleared::Shipping(Shipping {
            address: empty(),
            name: "Ann".into(),
        });
        let form = "shipping[address]=&shipping[name]=Ann";
        assert_eq!(read(form).unwrap().shipping, Some(shipping));
        assert_eq!(read("range=").unwrap().range, Some(empty()));
        // An empty object beside an empty string, and a text that spells a number where a
        // string goes: each read as its member asks.
        for (form, name) in [
            ("shipping[address]=&shipping[name]=", ""),
            ("shipping[address]=&shipping[name]=123", "123"),
            ("shipping[address][gt]=1&shipping[name]=true", "true"),
        ] {
            let Some(Cleared::Shipping(shipping)) = read(form).unwrap().shipping else {
                panic!("{form}: not the object branch");
            };
            assert_eq!(shipping.name, name, "{form}");
        }
        // Read as JSON would first, then as each branch asks: `12` is text only where no
        // branch takes the number.
        assert_eq!(read("note=12").unwrap().note, Some(Note::Text("12".into())));
        assert_eq!(
            read("posted_at=12").unwrap().posted_at,
            Some(Posted::At(12))
        );
        // Stripe's clearable list, `anyOf: [array, enum [""]]`: `tax_rates=` is the
        // empty string first; an array's empty value is the empty array otherwise.
        union!(Rates { List(Vec<String>), Unset(Unset) });
        #[derive(Debug, PartialEq)]
        struct Unset;
        impl<'de> Deserialize<'de> for Unset {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match String::deserialize(deserializer)?.as_str() {
                    "" => Ok(Unset),
                    other => Err(D::Error::custom(format!("unknown variant `{other}`"))),
                }
            }
        }
        #[derive(Deserialize)]
        struct Lists {
            rates: Rates,
            tags: Vec<String>,
        }
        let lists: Lists = read_pairs(
            [
                (Cow::Borrowed("rates"), Cow::Borrowed("")),
                (Cow::Borrowed("tags"), Cow::Borrowed("")),
            ]
            .into_iter(),
        )
        .unwrap();
        assert_eq!((lists.rates, lists.tags), (Rates::Unset(Unset), vec![]));
        union!(Either { Text(String), Number(i64) });
        #[derive(Deserialize)]
        struct Eithers {
            value: Either,
        }
        let either = |form: &str| {
            let pairs = [(Cow::Borrowed("value"), Cow::Borrowed(form))];
            read_pairs::<Eithers>(pairs.into_iter()).unwrap().value
        };
        assert_eq!(either("12"), Either::Number(12));
        assert_eq!(either("x"), Either::Text("x".into()));
        assert_eq!(either("007"), Either::Text("007".into()));
        // Query objects are read so too.
        let pairs = [(Cow::Borrowed("posted_at"), Cow::Borrowed(""))];
        let members: Empties = read_pairs(pairs.into_iter()).unwrap();
        assert_eq!(members.posted_at, Some(Posted::Range(empty())));
        // JSON, in a form or not, says which it is.
        let table = [FormEncoding {
            json: true,
            ..FormEncoding::new("posted_at", FormStyle::Form, true)
        }];
        let json = parse_url_encoded_with::<Empties>(b"posted_at=%22%22", &table);
        assert!(json.is_err());
        assert!(serde_json::from_str::<Posted>(r#""""#).is_err());
        assert!(serde_json::from_str::<Posted>("{}").is_ok());
    }

    #[test]
    fn faults_are_named() {
        assert_eq!(
            read("amount=ten").unwrap_err(),
            "body/amount: `ten` is not an integer"
        );
        // Numbers are spelled as JSON spells them.
        for amount in ["007", "+7", " 7", "7.0"] {
            let form = format!("amount={}", amount.replace('+', "%2B").replace(' ', "%20"));
            assert!(read(&form).is_err(), "{form}");
        }
        let unknown = read("items[0][price]=p&items[0][colour]=red").unwrap_err();
        assert!(unknown.contains("unknown field `colour`"), "{unknown}");
        assert!(unknown.starts_with("body/items/0"), "{unknown}");
        assert!(read("items[0][price]=p&items=x")
            .unwrap_err()
            .contains("both a value and an object"));
        assert!(read("a[b[c]=1").unwrap_err().contains("not a form key"));
        let deep = format!("metadata{}=1", "[x]".repeat(FORM_DEPTH + 1));
        assert!(read(&deep).unwrap_err().contains("deeper than"));
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Size {
        w: i64,
        h: i64,
    }

    #[derive(Debug, PartialEq, Deserialize, Default)]
    #[serde(default)]
    struct Encoded {
        tags: Vec<String>,
        pipes: Vec<i64>,
        words: Vec<String>,
        color: BTreeMap<String, i64>,
        size: Option<Size>,
        meta: Option<Item>,
        note: Option<String>,
        plain: Vec<String>,
    }

    impl Validate for Encoded {}

    const TABLE: &[FormEncoding] = &[
        FormEncoding::new("tags", FormStyle::Form, false),
        FormEncoding::new("pipes", FormStyle::PipeDelimited, false),
        FormEncoding::new("words", FormStyle::SpaceDelimited, false),
        FormEncoding::new("color", FormStyle::Form, false),
        FormEncoding::new("size", FormStyle::PipeDelimited, false),
        FormEncoding {
            json: true,
            ..FormEncoding::new("meta", FormStyle::Form, true)
        },
        FormEncoding::new("note", FormStyle::Form, false),
    ];

    fn read_encoded(form: &str) -> Result<Encoded, (String, String)> {
        parse_url_encoded_with::<Encoded>(form.as_bytes(), TABLE).map_err(|r| {
            let problem = r.problem();
            (
                problem.field.clone().unwrap_or_default(),
                problem.message.clone(),
            )
        })
    }

    #[test]
    fn encoded_arrays_read_by_their_delimiter_or_as_without_one() {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            read_encoded("tags=a,b,c").unwrap().tags,
            strings(&["a", "b", "c"])
        );
        // The other spellings of an array still read.
        for form in ["tags=a&tags=b", "tags[]=a&tags[]=b", "tags[1]=b&tags[0]=a"] {
            assert_eq!(
                read_encoded(form).unwrap().tags,
                strings(&["a", "b"]),
                "{form}"
            );
        }
        // A delimited array of none is expressible.
        assert_eq!(read_encoded("tags=").unwrap().tags, strings(&[]));
        assert_eq!(read_encoded("pipes=1|2|3").unwrap().pipes, vec![1, 2, 3]);
        assert_eq!(read_encoded("pipes=1%7C2").unwrap().pipes, vec![1, 2]);
        assert_eq!(
            read_encoded("words=a%20b").unwrap().words,
            strings(&["a", "b"])
        );
        assert_eq!(
            read_encoded("words=a+b").unwrap().words,
            strings(&["a", "b"])
        );
        // Without an entry, a comma is text.
        assert_eq!(read_encoded("plain=a,b").unwrap().plain, strings(&["a,b"]));
        // A scalar with an entry is its whole text.
        assert_eq!(
            read_encoded("note=a,b").unwrap().note.as_deref(),
            Some("a,b")
        );
        assert_eq!(
            read_encoded("pipes=1|x").unwrap_err(),
            (
                "body/pipes/1".into(),
                "body/pipes/1: `x` is not an integer".into()
            )
        );
    }

    #[test]
    fn encoded_objects_read_as_names_and_values() {
        let color = read_encoded("color=R,100,G,200").unwrap().color;
        assert_eq!(color, [("G".into(), 200), ("R".into(), 100)].into());
        assert_eq!(
            read_encoded("size=w|1|h|2").unwrap().size,
            Some(Size { w: 1, h: 2 })
        );
        // Brackets, as without an entry.
        assert_eq!(
            read_encoded("color[R]=1").unwrap().color,
            [("R".into(), 1)].into()
        );
        let (field, message) = read_encoded("color=R,100,G").unwrap_err();
        assert_eq!(field, "body/color");
        assert!(message.contains("names and values in turn"), "{message}");
        let (field, message) = read_encoded("size=w|1|d|2").unwrap_err();
        assert_eq!(field, "body/size/d");
        assert!(message.contains("unknown field `d`"), "{message}");
        let (field, _) = read_encoded("size=w|1|h|x").unwrap_err();
        assert_eq!(field, "body/size/h");
    }

    #[test]
    fn json_properties_read_as_json() {
        let meta = read_encoded(r#"meta={"price":"p","quantity":2}"#)
            .unwrap()
            .meta;
        assert_eq!(
            meta,
            Some(Item {
                price: "p".into(),
                quantity: Some(2)
            })
        );
        let encoded = "meta=%7B%22price%22%3A%22a%26b%22%7D";
        assert_eq!(read_encoded(encoded).unwrap().meta.unwrap().price, "a&b");
        let (field, message) = read_encoded("meta={").unwrap_err();
        assert_eq!(field, "body/meta");
        assert!(message.contains("not JSON text"), "{message}");
        let (field, _) = read_encoded(r#"meta={"price":"p","quantity":"2"}"#).unwrap_err();
        assert_eq!(field, "body/meta/quantity");
        let (field, _) = read_encoded(r#"meta={"price":"p","colour":1}"#).unwrap_err();
        assert_eq!(field, "body/meta/colour");
        assert_eq!(read_encoded("meta=null").unwrap().meta, None);
    }

    #[test]
    fn an_empty_table_reads_as_parse_url_encoded() {
        let form = "tags=a,b&color[R]=1";
        let plain = parse_url_encoded::<Encoded>(form.as_bytes()).unwrap();
        assert_eq!(plain.tags, vec!["a,b".to_owned()]);
        assert_eq!(
            parse_url_encoded_with::<Encoded>(form.as_bytes(), &[]).unwrap(),
            plain
        );
        let exploded = [FormEncoding::new("tags", FormStyle::Form, true)];
        let read = parse_url_encoded_with::<Encoded>(form.as_bytes(), &exploded).unwrap();
        assert_eq!(read, plain);
        // OpenAPI's exploded form, asked for by name, sends `[""]` as `tags=`; without
        // an entry, that is the empty array.
        let read = |table: &[FormEncoding]| {
            parse_url_encoded_with::<Encoded>(b"tags=", table)
                .unwrap()
                .tags
        };
        assert_eq!(read(&exploded), vec![String::new()]);
        assert_eq!(read(&[]), Vec::<String>::new());
    }
}
