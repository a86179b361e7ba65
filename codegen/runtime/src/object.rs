//! Reading and writing the generated structs. serde's derives emit, for every struct, a
//! field-identifier enum with its own visitor, a visitor that also takes arrays, and a
//! wrapper type per member read or written through a function: most of what a large
//! document's crate costs to compile. A generated struct instead implements [`Object`]:
//! `read`, a table of its members' names and places filled by [`Members::read_into`] (its
//! fields of `Self::default()` where it has a `Default`, else slots); `write`, one call of a
//! [`Write`] method per member. Neither uses `?` per member: a `?` (a `Try` and a
//! `FromResidual` to prove, and their match to borrow-check) cost more to compile than the
//! call it follows. These do what the derives did, with the same errors raised at the same
//! places, so that the paths `serde_path_to_error` finds (a 422's field) stay the same. A
//! generated union reads through [`Buffered`].

use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// A generated struct, read from and written as an object's members; its `Deserialize`
/// and `Serialize` are [`deserialize`] and [`serialize`].
pub trait Object: Sized {
    /// The Rust name, for `invalid type: ..., expected struct Name` (and the serializer).
    const NAME: &'static str;

    /// Whether the struct keeps other members in a map (`additionalProperties`): it is
    /// then written as a map, not a struct, as serde's `flatten` has it.
    const ADDITIONAL: bool = false;

    /// Reads the members up to the end of the object.
    fn read<'de, A: MapAccess<'de>>(map: Members<A>) -> Result<Self, A::Error>;

    /// Writes the members, in order.
    fn write<W: Write>(&self, out: &mut W);
}

/// `Deserialize::deserialize` of a generated struct: an object only (an array is
/// `invalid type: sequence, expected struct Name`, as the schema's `type: object` says).
pub fn deserialize<'de, T: Object, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

/// `Serialize::serialize` of a generated struct: as serde's derive does, a struct of the
/// members written (counted first: a serializer may rely on the count), or a map when the
/// struct keeps other members.
pub fn serialize<T: Object, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    if T::ADDITIONAL {
        let mut map = serializer.serialize_map(None)?;
        let mut entries = Entries(Recorder::new(&mut map));
        value.write(&mut entries);
        return match entries.0.error {
            Some(error) => Err(error),
            None => map.end(),
        };
    }
    let mut count = Count(0);
    value.write(&mut count);
    let mut fields = serializer.serialize_struct(T::NAME, count.0)?;
    let mut members = Fields(Recorder::new(&mut fields));
    value.write(&mut members);
    match members.0.error {
        Some(error) => Err(error),
        None => fields.end(),
    }
}

/// `Debug::fmt` of a generated struct: `Name { member: value, .. }`, the members as
/// `write` gives them (names as on the wire, optional members left out when absent, the
/// other members kept inline). Not `derive(Debug)`: its body per struct cost the compiler
/// as much again as `write`, which this reuses.
pub fn debug<T: Object>(value: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut out = Debugged(f.debug_struct(T::NAME));
    value.write(&mut out);
    out.0.finish()
}

struct Debugged<'a, 'b>(fmt::DebugStruct<'a, 'b>);

impl Write for Debugged<'_, '_> {
    fn member<T: Serialize + fmt::Debug + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.0.field(name, &value);
    }

    fn skipped(&mut self, _: &'static str) {}

    fn additional<T: Serialize + fmt::Debug>(&mut self, members: &BTreeMap<String, T>) {
        for (name, value) in members {
            self.0.field(name, value);
        }
    }
}

/// A union's value, read once and then offered to each branch in turn, as serde's
/// `untagged` does with its private buffer. A generated union's `Deserialize` returns the
/// first branch that reads it, and when none does, offers it again while
/// [`Buffered::retry`] has another reading; a union with a discriminator reads its tag
/// ([`Buffered::tag`]) and then the branch it names ([`Buffered::tagged`]).
pub struct Buffered {
    value: Held,
}

/// What a union's value was read from: JSON, or a form, whose texts are read only as the
/// branch asks (`12` is a number to a number and a text to a string, an empty value the
/// empty string to a string and the empty object to an object).
enum Held {
    Json(serde_json::Value),
    #[cfg(feature = "server")]
    Form {
        node: crate::server::Node,
        /// Offered as each branch asks, not first as JSON would read it: see
        /// [`Buffered::retry`].
        lenient: bool,
    },
}

/// The name under which a union asks a form's deserializer for its value's part of the
/// tree (a form's deserializer hands it over; any other reads the value as it is).
pub(crate) const FORM_VALUE: &str = "$codegen_runtime::object::FormValue";

thread_local! {
    /// Whether a server is reading a form on this thread (a form body, or a parameter's
    /// object, whose members are read as a form's): unions then keep the form's tree.
    static FORM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `read` (a deserialization) with the values it reads taken as a form's (`form`), or
/// not (JSON text in a form, which says what it is).
#[cfg(feature = "server")]
pub(crate) fn reading_form<R>(form: bool, read: impl FnOnce() -> R) -> R {
    crate::validate::with_flag(&FORM, form, read)
}

impl Buffered {
    /// Reads the value whole.
    pub fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = match in_form() {
            true => deserializer.deserialize_newtype_struct(FORM_VALUE, HeldVisitor)?,
            false => Held::Json(serde_json::Value::deserialize(deserializer)?),
        };
        Ok(Buffered { value })
    }

    /// The value as a branch's type, if it is one.
    pub fn branch<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        match &self.value {
            Held::Json(value) => T::deserialize(value).ok(),
            #[cfg(feature = "server")]
            Held::Form { node, lenient } => node.read_branch(!lenient).ok(),
        }
    }

    /// Whether the value has another reading to offer the branches, once none took it as
    /// read: a form's as each branch asks. The first reading is the one JSON would give
    /// (a text that spells a number is a number, an empty value the empty string), so that
    /// a branch taking the value so wins over one taking it only as the form allows (the
    /// empty string, Stripe's `shipping=` for its unions' `enum: [""]`, over the empty
    /// object, which a form also sends as an empty value). JSON says which it is.
    pub fn retry(&mut self) -> bool {
        match &mut self.value {
            Held::Json(_) => false,
            #[cfg(feature = "server")]
            Held::Form { lenient, .. } => !std::mem::replace(lenient, true),
        }
    }

    /// No branch read it: serde's message for an `untagged` enum.
    pub fn none_of<E: Error>(&self, name: &str) -> E {
        E::custom(format_args!(
            "data did not match any variant of untagged enum {name}"
        ))
    }

    /// The discriminator `property`'s value: the tag of the branch to read.
    pub fn tag<E: Error>(&self, property: &'static str) -> Result<&str, E> {
        let tag = match &self.value {
            Held::Json(value) => value.get(property).and_then(serde_json::Value::as_str),
            #[cfg(feature = "server")]
            Held::Form { node, .. } => node.member_text(property),
        };
        tag.ok_or_else(|| E::missing_field(property))
    }

    /// The value as the branch its tag names.
    pub fn tagged<T: serde::de::DeserializeOwned, E: Error>(&self) -> Result<T, E> {
        match &self.value {
            Held::Json(value) => T::deserialize(value).map_err(E::custom),
            #[cfg(feature = "server")]
            Held::Form { node, .. } => node.read_branch(false).map_err(E::custom),
        }
    }

    /// The value as JSON, for a tag the document does not know.
    pub fn into_json<E: Error>(self) -> Result<serde_json::Value, E> {
        match self.value {
            Held::Json(value) => Ok(value),
            #[cfg(feature = "server")]
            Held::Form { node, .. } => node.read_branch(false).map_err(E::custom),
        }
    }
}

/// Reads a union's value: a form's part of the tree, handed over through [`FORM_VALUE`].
/// (Only a form's deserializer is asked for it; one that does not know the name hands its
/// value to `visit_newtype_struct`, read as JSON.)
struct HeldVisitor;

impl<'de> Visitor<'de> for HeldVisitor {
    type Value = Held;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_unit<E: Error>(self) -> Result<Held, E> {
        #[cfg(feature = "server")]
        if let Some(node) = crate::server::Node::take_captured() {
            return Ok(Held::Form {
                node,
                lenient: false,
            });
        }
        Ok(Held::Json(serde_json::Value::Null))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Held, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Held::Json)
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::read(Members(map))
    }
}

/// A member's name: borrowed from the input where the deserializer lends it (JSON without
/// escapes), else owned.
#[derive(Debug)]
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // As the derive asks for member names: `serde_path_to_error` records the name
        // from the `visit_*str*` call, for the path of an error in the member.
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// An object's members as a generated struct reads them: [`Members::read_into`] puts each
/// into its place.
pub struct Members<A>(A);

impl<'de, A: MapAccess<'de>> Members<A> {
    /// The next member's name; `None` past the last.
    #[inline]
    fn key(&mut self) -> Result<Option<Key<'de>>, A::Error> {
        self.0.next_key()
    }

    /// The next member's name in a type closed to other members (`additionalProperties:
    /// false`): another name is refused while it is read, as `deny_unknown_fields` does, so
    /// that the error's path ends at that member.
    #[inline]
    fn known_key(&mut self, names: &'static [&'static str]) -> Result<Option<Key<'de>>, A::Error> {
        self.0.next_key_seed(Known(names))
    }

    /// A member the type does not declare, passed over.
    #[inline]
    fn skip(&mut self) -> Result<(), A::Error> {
        self.0.next_value::<IgnoredAny>().map(|_| ())
    }

    /// The error for a required member left out.
    #[inline]
    pub fn missing(&self, name: &'static str) -> A::Error {
        A::Error::missing_field(name)
    }
}

/// Where a member's value goes, as [`Members::read_into`] reaches it: the struct's field
/// (a struct with a `Default` is read into it) or a local slot. A table of `dyn` places
/// costs the compiler an entry of an array per member, not a `match` arm, a call and a
/// slot.
pub trait Slot<'de, A: MapAccess<'de>> {
    /// Reads the member's value into its place.
    fn read(&mut self, map: &mut A) -> Result<(), A::Error>;

    /// The member was left out: whether that is allowed (else `missing field`), its
    /// place then holding what leaving it out means.
    fn left_out(&mut self) -> bool {
        true
    }
}

/// Whether a server is reading a form on this thread (see `FORM`).
fn in_form() -> bool {
    FORM.with(std::cell::Cell::get)
}

/// A member read as its type reads it; left out, it keeps the struct's default (a
/// documented default, or `None` for a required member of an `Option` type).
pub struct Value<'a, T>(pub &'a mut T);

/// A required member: read as its type reads it, `missing field` when left out.
pub struct Required<'a, T>(pub &'a mut T);

/// A required member of a struct without a `Default`, in a slot: `Some` once read,
/// `missing field` when left out.
pub struct Given<'a, T>(pub &'a mut Option<T>);

/// A required member whose empty value a form sends by leaving it out (an array, a map,
/// an object whose members are all optional: the client's `serde_qs`, Stripe's SDKs and
/// schemathesis all leave them out), in its place holding that value: `missing field` when
/// left out of JSON, the empty value when left out of a form.
pub struct RequiredOrEmpty<'a, T>(pub &'a mut T);

/// [`RequiredOrEmpty`] for a struct without a `Default`, in a slot.
pub struct GivenOrEmpty<'a, T>(pub &'a mut Option<T>);

/// An optional member that is not nullable: `null` is refused while a server reads a
/// request (see [`crate::validate::optional`]), read as absent otherwise.
pub struct Optional<'a, T>(pub &'a mut Option<T>);

/// An optional nullable member (`Option<Option<T>>`): a `null` given is `Some(None)`,
/// apart from the member left out (`None`).
pub struct Nullable<'a, T>(pub &'a mut Option<T>);

impl<'de, A: MapAccess<'de>, T: Deserialize<'de>> Slot<'de, A> for Value<'_, T> {
    fn read(&mut self, map: &mut A) -> Result<(), A::Error> {
        *self.0 = map.next_value()?;
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>, T: Deserialize<'de>> Slot<'de, A> for Required<'_, T> {
    fn read(&mut self, map: &mut A) -> Result<(), A::Error> {
        Value(&mut *self.0).read(map)
    }

    fn left_out(&mut self) -> bool {
        false
    }
}

impl<'de, A: MapAccess<'de>, T: Deserialize<'de>> Slot<'de, A> for Given<'_, T> {
    fn read(&mut self, map: &mut A) -> Result<(), A::Error> {
        *self.0 = Some(map.next_value()?);
        Ok(())
    }

    fn left_out(&mut self) -> bool {
        false
    }
}

impl<'de, A: MapAccess<'de>, T: Deserialize<'de>> Slot<'de, A> for RequiredOrEmpty<'_, T> {
    fn read(&mut self, map: &mut A) -> Result<(), A::Error> {
        Value(&mut *self.0).read(map)
    }

    fn left_out(&mut self) -> bool {
        in_form()
    }
}

impl<'de, A: MapAccess<'de>, T: Deserialize<'de> + Default> Slot<'de, A> for GivenOrEmpty<'_, T> {
    fn read(&mut self, map: &mut A) -> Result<(), A::Error> {
        Given(&mut *self.0).read(map)
    }

    fn left_out(&mut self) -> bool {
        let empty = in_form();
        if empty {
            *self.0 = Some(T::default());
        }
        empty
    }
}

impl<'de, A: MapAccess<'de>, T: Deserialize<'de>> Slot<'de, A> for Optional<'_, T> {
    fn read(&mut self, map: &mut A) -> Result<(), A::Error> {
        // Refused within the value's read, so that the error's path names the member.
        *self.0 = map.next_value_seed(NotNull(PhantomData))?;
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>, T: Deserialize<'de>> Slot<'de, A> for Nullable<'_, T> {
    fn read(&mut self, map: &mut A) -> Result<(), A::Error> {
        *self.0 = map.next_value_seed(Present(PhantomData))?;
        Ok(())
    }
}

/// What [`Members::read_into`] does with a member the struct does not declare.
pub enum Rest<'a, 'de, A: MapAccess<'de>> {
    /// Passed over.
    Skip,
    /// Refused while its name is read, as `deny_unknown_fields` does (`additionalProperties:
    /// false`); the declared names, for the error.
    Refuse(&'static [&'static str]),
    /// Kept in the struct's `additionalProperties` map.
    Keep(&'a mut dyn Extra<'de, A>),
}

/// A struct's `additionalProperties` map, as [`Rest::Keep`] fills it.
pub trait Extra<'de, A: MapAccess<'de>> {
    /// Reads the value of the member named `key` into the map.
    fn keep(&mut self, key: String, map: &mut A) -> Result<(), A::Error>;
}

impl<'de, A: MapAccess<'de>, T: Deserialize<'de>> Extra<'de, A> for BTreeMap<String, T> {
    fn keep(&mut self, key: String, map: &mut A) -> Result<(), A::Error> {
        let value = map.next_value()?;
        self.insert(key, value);
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>> Members<A> {
    /// Reads the members up to the end of the object, each into its place in `members`,
    /// the others as `rest` says; then the first required member left out is `missing
    /// field`. A member given twice is refused, as serde's derive does.
    pub fn read_into(
        &mut self,
        members: &mut [(&'static str, &mut dyn Slot<'de, A>)],
        mut rest: Rest<'_, 'de, A>,
    ) -> Result<(), A::Error> {
        let mut seen = Seen::new(members.len());
        loop {
            let key = match rest {
                Rest::Refuse(names) => self.known_key(names)?,
                _ => self.key()?,
            };
            let Some(key) = key else { break };
            match members
                .iter_mut()
                .position(|(name, _)| *name == key.as_str())
            {
                Some(index) => {
                    let (name, slot) = &mut members[index];
                    if !seen.insert(index) {
                        return Err(A::Error::duplicate_field(name));
                    }
                    slot.read(&mut self.0)?;
                }
                None => match &mut rest {
                    Rest::Keep(into) => into.keep(key.0.into_owned(), &mut self.0)?,
                    _ => self.skip()?,
                },
            }
        }
        for (index, (name, slot)) in members.iter_mut().enumerate() {
            if !seen.contains(index) && !slot.left_out() {
                return Err(A::Error::missing_field(name));
            }
        }
        Ok(())
    }
}

/// The members given so far, by their place in the table: bits for the usual sizes (the
/// largest struct in Stripe's document has 79 members), a vector past them.
enum Seen {
    Bits(u128),
    Many(Vec<bool>),
}

impl Seen {
    fn new(members: usize) -> Self {
        if members <= 128 {
            Seen::Bits(0)
        } else {
            Seen::Many(vec![false; members])
        }
    }

    /// Marks `index` given; false when it already was.
    fn insert(&mut self, index: usize) -> bool {
        let fresh = !self.contains(index);
        match self {
            Seen::Bits(bits) => *bits |= 1 << index,
            Seen::Many(given) => given[index] = true,
        }
        fresh
    }

    fn contains(&self, index: usize) -> bool {
        match self {
            Seen::Bits(bits) => bits & (1 << index) != 0,
            Seen::Many(given) => given[index],
        }
    }
}

struct Known(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Known {
    type Value = Key<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'de>, D::Error> {
        let key = Key::deserialize(deserializer)?;
        if !self.0.contains(&key.as_str()) {
            return Err(D::Error::unknown_field(key.as_str(), self.0));
        }
        Ok(key)
    }
}

/// Reads `Option<T>` as [`crate::validate::optional`] does.
struct NotNull<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for NotNull<T> {
    type Value = Option<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        crate::validate::optional(deserializer)
    }
}

/// Reads `T` as `Some`: a member given, whatever its value.
struct Present<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Present<T> {
    type Value = Option<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        T::deserialize(deserializer).map(Some)
    }
}

/// Where a struct's `write` puts its members: one call per member, by its presence. The
/// calls return nothing (no `?` per member, see the module docs): a writer keeps its first
/// error and passes over the members after it, and [`serialize`] returns that error.
pub trait Write {
    /// A member written (as its type writes it).
    fn member<T: Serialize + fmt::Debug + ?Sized>(&mut self, name: &'static str, value: &T);

    /// A member left out (`None` for an optional one).
    fn skipped(&mut self, name: &'static str);

    /// The members kept beyond the declared ones (`additionalProperties`), each as it is.
    fn additional<T: Serialize + fmt::Debug>(&mut self, members: &BTreeMap<String, T>);

    /// An optional member: left out when `None`.
    #[inline]
    fn optional<T: Serialize + fmt::Debug>(&mut self, name: &'static str, value: &Option<T>) {
        match value {
            Some(_) => self.member(name, value),
            None => self.skipped(name),
        }
    }

    /// A member holding JSON Schema `number`s, whole ones written as integers (see
    /// [`crate::validate::whole_numbers`]).
    #[inline]
    fn number<T: Serialize + fmt::Debug + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.member(name, &crate::validate::Whole(value))
    }

    /// An optional member holding `number`s: left out when `None`.
    #[inline]
    fn optional_number<T: Serialize + fmt::Debug>(
        &mut self,
        name: &'static str,
        value: &Option<T>,
    ) {
        match value {
            Some(_) => self.number(name, value),
            None => self.skipped(name),
        }
    }
}

/// Counts the members written, for `serialize_struct`.
struct Count(usize);

impl Write for Count {
    fn member<T: Serialize + fmt::Debug + ?Sized>(&mut self, _: &'static str, _: &T) {
        self.0 += 1;
    }

    fn skipped(&mut self, _: &'static str) {}

    fn additional<T: Serialize + fmt::Debug>(&mut self, _: &BTreeMap<String, T>) {
        // Such a struct is written as a map, never counted.
    }
}

/// A serializer's part (a struct's or a map's) written member by member, keeping the
/// first error and passing over the calls after it.
struct Recorder<'a, O, E> {
    out: &'a mut O,
    error: Option<E>,
}

impl<'a, O, E> Recorder<'a, O, E> {
    fn new(out: &'a mut O) -> Self {
        Recorder { out, error: None }
    }

    #[inline]
    fn record(&mut self, write: impl FnOnce(&mut O) -> Result<(), E>) {
        if self.error.is_none() {
            self.error = write(self.out).err();
        }
    }
}

/// A struct's members, as its fields.
struct Fields<'a, S: SerializeStruct>(Recorder<'a, S, S::Error>);

impl<S: SerializeStruct> Write for Fields<'_, S> {
    fn member<T: Serialize + fmt::Debug + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.0.record(|out| out.serialize_field(name, value));
    }

    fn skipped(&mut self, name: &'static str) {
        self.0.record(|out| out.skip_field(name));
    }

    fn additional<T: Serialize + fmt::Debug>(&mut self, _: &BTreeMap<String, T>) {
        // Not reached: a struct that keeps other members says so (`ADDITIONAL`), and
        // `serialize` writes it as a map.
        self.0.record(|_| {
            Err(serde::ser::Error::custom(
                "members beyond the declared ones are written to a map",
            ))
        });
    }
}

/// A struct's members, as a map's entries (a struct that keeps other members).
struct Entries<'a, M: SerializeMap>(Recorder<'a, M, M::Error>);

impl<M: SerializeMap> Write for Entries<'_, M> {
    fn member<T: Serialize + fmt::Debug + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.0.record(|out| out.serialize_entry(name, value));
    }

    fn skipped(&mut self, _: &'static str) {}

    fn additional<T: Serialize + fmt::Debug>(&mut self, members: &BTreeMap<String, T>) {
        // As serde's `flatten` hands a map's entries on.
        self.0.record(|out| {
            members
                .iter()
                .try_for_each(|(key, value)| out.serialize_entry(key, value))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A struct as the generator writes one with a `Default`: `read` through `read_into`.
    #[derive(Debug, Default, PartialEq)]
    struct Thing {
        name: String,
        note: Option<String>,
        cleared: Option<Option<i64>>,
        count: i64,
        rest: BTreeMap<String, i64>,
    }

    thread_local! {
        static REST: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
    }

    impl Object for Thing {
        const NAME: &'static str = "Thing";

        fn read<'de, A: MapAccess<'de>>(mut map: Members<A>) -> Result<Self, A::Error> {
            let mut value = Self::default();
            let rest = match REST.get() {
                0 => Rest::Skip,
                1 => Rest::Refuse(&["name", "note", "cleared", "count"]),
                _ => Rest::Keep(&mut value.rest),
            };
            map.read_into(
                &mut [
                    ("name", &mut Required(&mut value.name)),
                    ("note", &mut Optional(&mut value.note)),
                    ("cleared", &mut Nullable(&mut value.cleared)),
                    ("count", &mut Value(&mut value.count)),
                ],
                rest,
            )?;
            Ok(value)
        }

        fn write<W: Write>(&self, _: &mut W) {}
    }

    impl<'de> Deserialize<'de> for Thing {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize(deserializer)
        }
    }

    fn read(rest: u8, json: &str) -> Result<Thing, String> {
        REST.set(rest);
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    #[test]
    fn members_are_read_into_the_default_by_their_presence() {
        let thing = read(0, r#"{"cleared": null, "name": "a", "other": [1]}"#).unwrap();
        let expected = Thing {
            name: "a".into(),
            cleared: Some(None),
            ..Thing::default()
        };
        assert_eq!(thing, expected);
        let thing = read(0, r#"{"name": "a", "note": "n", "cleared": 3, "count": 2}"#).unwrap();
        assert_eq!(thing.note.as_deref(), Some("n"));
        assert_eq!(thing.cleared, Some(Some(3)));
        assert_eq!(thing.count, 2);
    }

    #[test]
    fn missing_duplicate_and_unknown_members_are_refused_as_serde_does() {
        let missing = read(0, r#"{"note": "n"}"#).unwrap_err();
        assert!(missing.starts_with("missing field `name`"), "{missing}");
        let twice = read(0, r#"{"name": "a", "count": 1, "count": 2}"#).unwrap_err();
        assert!(twice.starts_with("duplicate field `count`"), "{twice}");
        let unknown = read(1, r#"{"name": "a", "other": 1}"#).unwrap_err();
        assert!(unknown.starts_with("unknown field `other`"), "{unknown}");
        let kept = read(2, r#"{"name": "a", "other": 1}"#).unwrap();
        assert_eq!(kept.rest.get("other"), Some(&1));
    }

    #[test]
    fn members_past_the_bits_are_still_told_apart() {
        let mut seen = Seen::new(200);
        assert!(seen.insert(150));
        assert!(!seen.insert(150));
        assert!(seen.contains(150) && !seen.contains(149));
        let mut bits = Seen::new(128);
        assert!(bits.insert(127));
        assert!(!bits.insert(127));
    }

    /// A struct without a `Default` holding required members a form sends empty by
    /// leaving them out.
    #[derive(Debug, PartialEq)]
    struct Holder {
        tags: Vec<String>,
        inner: Vec<i64>,
    }

    impl Object for Holder {
        const NAME: &'static str = "Holder";

        fn read<'de, A: MapAccess<'de>>(mut map: Members<A>) -> Result<Self, A::Error> {
            let mut tags = Vec::new();
            let mut inner = None;
            map.read_into(
                &mut [
                    ("tags", &mut RequiredOrEmpty(&mut tags)),
                    ("inner", &mut GivenOrEmpty(&mut inner)),
                ],
                Rest::Skip,
            )?;
            let Some(inner) = inner else {
                return Err(map.missing("inner"));
            };
            Ok(Holder { tags, inner })
        }

        fn write<W: Write>(&self, _: &mut W) {}
    }

    impl<'de> Deserialize<'de> for Holder {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize(deserializer)
        }
    }

    #[test]
    fn left_out_of_a_form_what_a_form_sends_empty_so_is_empty() {
        let json = |text: &str| serde_json::from_str::<Holder>(text).map_err(|e| e.to_string());
        assert!(json(r#"{"inner": []}"#)
            .unwrap_err()
            .contains("missing field `tags`"));
        assert!(json(r#"{"tags": []}"#)
            .unwrap_err()
            .contains("missing field `inner`"));
        // As a form's: the runtime's form reading sets the flag; a JSON value stands in.
        let form = |text: &str| crate::validate::with_flag(&FORM, true, || json(text));
        let empty = Holder {
            tags: vec![],
            inner: vec![],
        };
        assert_eq!(form("{}").unwrap(), empty);
        assert_eq!(form(r#"{"inner": [1]}"#).unwrap().inner, [1]);
    }
}
