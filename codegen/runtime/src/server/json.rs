//! Request bodies read whole: media types, size limits, and JSON with its nesting limit.

use super::*;

pub(crate) fn content_type(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// Whether the request's media type is the one an operation's body variant takes: JSON
/// types by family, others by essence (`multipart/form-data`, `application/octet-stream`).
pub fn media_type_is(parts: &Parts, expected: &str) -> bool {
    match content_type(parts) {
        Some(given) if is_json(expected) => is_json(given),
        Some(given) => essence(given).eq_ignore_ascii_case(essence(expected)),
        None => false,
    }
}

/// Whether the request carries a body at all (a length above zero, or chunked).
pub fn has_body(parts: &Parts) -> bool {
    match parts.headers.get(header::CONTENT_LENGTH) {
        Some(length) => length.as_bytes() != b"0",
        None => parts.headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// Whether the body announces more than `limit` bytes: hyper gives a body with a
/// `Content-Length` that exact size hint (no header lookup and parse needed).
pub(crate) fn declared_too_large(body: &Body, limit: usize) -> bool {
    axum::body::HttpBody::size_hint(body).lower() > limit as u64
}

/// Reads a whole body, 413 beyond `limit` bytes (checked against `Content-Length` first,
/// then while reading, so a lying or chunked request cannot get past it).
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, Rejection> {
    if declared_too_large(&body, limit) {
        return Err(Rejection::too_large(limit));
    }
    let mut stream = body.into_data_stream();
    // A body in one chunk (the usual case) is handed on without a copy.
    let mut first: Option<Bytes> = None;
    let mut collected = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| unreadable_body(&e))?;
        let seen = first.as_ref().map_or(0, Bytes::len) + collected.len();
        if seen + chunk.len() > limit {
            return Err(Rejection::too_large(limit));
        }
        match first.take() {
            None if collected.is_empty() => first = Some(chunk),
            earlier => {
                if let Some(earlier) = earlier {
                    collected.extend_from_slice(&earlier);
                }
                collected.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| collected.freeze()))
}

/// A body that could not be read to its end: 408 when it stalled, else 400.
pub(super) fn unreadable_body(error: &(dyn std::error::Error + 'static)) -> Rejection {
    match stalled(error) {
        Some(stall) => Rejection::body_stalled(stall),
        None => Rejection::malformed(format!("cannot read the body: {error}")),
    }
}

/// The JSON pointer of the place serde stopped at.
pub(super) fn serde_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// How deep a JSON value in a request may nest: arrays and objects within each other, the
/// outermost counting 1. Deeper is refused before anything is parsed (400 for a body, 422
/// for a parameter or form part), so no request can overflow a worker's stack: parsing,
/// validating, serializing and dropping a value recurse once per level, and tokio's workers
/// have 2 MiB. On the recursive fixture's types (a union serde buffers, boxed fields, nested
/// arrays) all four take up to 2.3 KiB a level in a debug build, 0.6 KiB in a release one:
/// at 64 levels at most 151 KiB and 43 KiB, and without a limit 2 MiB overflow from about
/// 1,000 levels (debug) and 3,500 (release). 64 leaves room for types that take many times
/// more a level (large structs held inline) and for the frames above the handler; no real
/// API nests that deep. serde_json's own limit (128) stays behind it. The count costs about
/// 1 ms per MiB in a release build, a few percent of parsing the same bytes.
pub const MAX_DEPTH: usize = 64;

/// What a too-deep value is told, after what it is (`the body`).
pub(crate) fn too_deep(what: &str) -> String {
    format!("{what} nests deeper than the limit of {MAX_DEPTH} levels of arrays and objects")
}

/// Whether `bytes` nest arrays and objects deeper than [`MAX_DEPTH`], brackets in strings
/// not counted. A loop, not a parse: it cannot itself run out of stack, and it fails early.
/// Malformed text is left to the parser.
pub fn nests_too_deep(bytes: &[u8]) -> bool {
    // Every level takes at least one byte, and opens with a bracket: a body with no more
    // opening brackets than the limit (strings' included) cannot nest deeper. Counted 32
    // bytes at a time into a byte (which the compiler turns into vector instructions):
    // most bodies stop here, at a fraction of the exact loop's cost per byte.
    if bytes.len() <= MAX_DEPTH || opening_brackets(bytes) <= MAX_DEPTH {
        return false;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => {
                // To the closing quote, stepping over escapes.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// How many `[` and `{` bytes `bytes` has, eight at a time: `[` (0x5B) and `{` (0x7B)
/// differ only in bit 5, so setting it leaves one byte value to look for, and a byte of
/// `word ^ 0x7B…` is zero exactly where one was.
pub(super) fn opening_brackets(bytes: &[u8]) -> usize {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let words = bytes.chunks_exact(8);
    let rest = words
        .remainder()
        .iter()
        .filter(|&&b| b | 0x20 == b'{')
        .count();
    words.fold(rest, |count, word| {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let v = (u64::from_le_bytes(eight) | 0x2020_2020_2020_2020) ^ 0x7b7b_7b7b_7b7b_7b7b;
        // The high bit of each byte that is zero, and only of those.
        let zero = !(((v & LOW) + LOW) | v | LOW);
        count + zero.count_ones() as usize
    })
}

/// Parses and validates a JSON document: 400 when it is not JSON or nests deeper than
/// [`MAX_DEPTH`], 422 naming the field when a value is missing, of the wrong type or
/// breaks a constraint.
// Inlined, with the failure path out of line, and the value validated where it lies: each
// unwrapping and wrapping again of a large value would copy it.
#[inline]
pub fn parse_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, Rejection> {
    if nests_too_deep(bytes) {
        return Err(Rejection::malformed(too_deep("the body")));
    }
    let parsed: Result<T, Rejection> = crate::validate::refusing_null(|| {
        deserialize_json(bytes).or_else(|e| reparse_json(bytes, e))
    });
    let checked = parsed
        .as_ref()
        .map_or(Ok(()), |value| value.validate_at(Path::Root));
    match checked {
        Ok(()) => parsed,
        Err(v) => Err(Rejection::invalid(format!("body{}", v.pointer), v.message)),
    }
}

/// The media type of form bodies.
pub const URL_ENCODED: &str = "application/x-www-form-urlencoded";

/// A document that failed to parse as typed: accepted after all when its only fault was a
/// whole number written as a float, else the rejection naming the fault. Only a failing
/// document pays for this, and no more than about one more pass over it: the path is found
/// by parsing again from the bytes, not from a `Value` of the whole document.
#[cold]
#[inline(never)]
fn reparse_json<T: DeserializeOwned>(
    bytes: &[u8],
    error: serde_json::Error,
) -> Result<T, Rejection> {
    use serde_json::error::Category;
    if error.classify() != Category::Data
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err()
    {
        return Err(Rejection::malformed(format!(
            "the body is not valid JSON: {error}"
        )));
    }
    // Well-formed JSON that failed as a syntax error: serde_json reports a value of the
    // wrong type for an enum (`"role": 5`) as "expected value". A data error then.
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let fault = match serde_path_to_error::deserialize(ObjectsOnly(&mut deserializer)) {
        Ok(value) => return Ok(value),
        Err(fault) => fault,
    };
    // JSON Schema counts `2.0` as an integer; serde does not. Only a document whose fault
    // is a float where an integer goes pays for a `Value` of it.
    let message = fault.inner().to_string();
    if message.starts_with("invalid type: floating point")
        || message.contains("did not match any variant")
    {
        let mut document: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Rejection::malformed(format!("the body is not valid JSON: {e}")))?;
        if whole_floats_to_integers(&mut document) {
            return serde_path_to_error::deserialize(ObjectsOnly(document)).map_err(data_error);
        }
    }
    if fault.inner().classify() != Category::Data {
        let pointer = serde_pointer(fault.path());
        return Err(Rejection::invalid(
            format!("body{pointer}"),
            "a value of the wrong type (not one of the allowed values)",
        ));
    }
    Err(data_error(fault))
}

/// Deserializes a whole document (nothing may follow it), structs from objects only.
#[inline]
fn deserialize_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = T::deserialize(ObjectsOnly(&mut deserializer));
    // Handed on as it came, not unwrapped and wrapped again: each would copy a large value.
    if parsed.is_ok() {
        deserializer.end()?;
    }
    parsed
}

/// 422 naming the place serde stopped at.
fn data_error<E: std::fmt::Display>(error: serde_path_to_error::Error<E>) -> Rejection {
    let pointer = serde_pointer(error.path());
    Rejection::invalid(
        format!("body{pointer}"),
        strip_position(&error.into_inner().to_string()),
    )
}

// `#[inline]` throughout: the adapter should cost nothing once inlined, and a large
// struct returned through each layer of it would otherwise be copied once per layer.
/// A deserializer that takes structs from JSON objects only. serde's derive also builds a
/// struct from an array of its fields in order, which the schema (`type: object`) forbids;
/// every nested value goes through the same adapter.
struct ObjectsOnly<D>(D);

macro_rules! forward_deserialize {
    ($($method:ident)*) => {
        $(#[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Objects(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    );

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Objects(visitor))
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Objects(visitor))
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Objects(visitor))
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Objects(visitor))
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        // A map only: an array is "invalid type: sequence, expected ...".
        self.0.deserialize_map(Objects(visitor))
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Objects(visitor))
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Wraps what a visitor is handed (elements, values, variants) in [`ObjectsOnly`].
struct Objects<T>(T);

macro_rules! forward_visit {
    ($($method:ident($ty:ty))*) => {
        $(#[inline]
        fn $method<E: serde::de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.0.$method(v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Objects<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.expecting(f)
    }

    forward_visit!(
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
        visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
        visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
        visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    );

    #[inline]
    fn visit_none<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    #[inline]
    fn visit_unit<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(ObjectsOnly(d))
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(ObjectsOnly(d))
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Objects(seq))
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Objects(map))
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Objects(data))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Objects<A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.0.next_element_seed(Objects(seed))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Objects<A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    #[inline]
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(Objects(seed))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Objects<S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(ObjectsOnly(d))
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Objects<A> {
    type Error = A::Error;
    type Variant = Objects<A::Variant>;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        self.0
            .variant_seed(seed)
            .map(|(value, variant)| (value, Objects(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Objects<A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.0.newtype_variant_seed(Objects(seed))
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Objects(visitor))
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Objects(visitor))
    }
}

/// Rewrites `2.0` as `2` throughout; whether anything changed.
fn whole_floats_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| whole_floats_to_integers(item) | any),
        Value::Object(members) => members
            .values_mut()
            .fold(false, |any, member| whole_floats_to_integers(member) | any),
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            // Strictly inside ±2^63: `-9223372036854775809` rounds to -2^63 and is out of range.
            Some(f)
                if f.fract() == 0.0
                    && f > -9.223_372_036_854_776e18
                    && f < 9.223_372_036_854_776e18 =>
            {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// serde_json's message without " at line 1 column 17": the field names the place.
fn strip_position(text: &str) -> String {
    let text = text.to_owned();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Set once a streamed body passes its limit, so the router answers 413 whatever the
/// handler made of the error.
#[derive(Debug, Clone)]
pub struct Overflow {
    flag: Arc<AtomicBool>,
    pub(crate) limit: usize,
}

impl Overflow {
    pub(crate) fn new(limit: usize) -> Self {
        Overflow {
            flag: Arc::default(),
            limit,
        }
    }

    pub fn happened(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }
}
