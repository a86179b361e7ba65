//! The intermediate representation: the document with every name, Rust type and operation
//! decided. Emitters read only this; only `lower` reads `openapiv3` types.

use crate::error::Warning;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Api {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    pub servers: Vec<Server>,
    pub security_schemes: Vec<SecurityScheme>,
    /// Alternatives (any one suffices), each a set of scheme names (all needed).
    pub security: Vec<Vec<String>>,
    pub types: Vec<TypeDef>,
    pub operations: Vec<Operation>,
    /// The API's error envelope: the named type most error responses (4XX, 5XX, `default`)
    /// carry as JSON. The server answers its own rejections in it; the client parses it.
    pub error_type: Option<TypeId>,
    /// Cargo features that each compile one group of operations (a tag, or a resource:
    /// the first path segment after the common prefix) and the types it reaches; empty
    /// when the document has a single group. See `lower/features.rs`.
    pub features: Vec<Feature>,
    /// The server reads some values as a form's: a form body, or a parameter that is an
    /// object (its members read as a form's are). A form cannot send an empty array or
    /// object but by leaving it out, which such a document's structs then read as empty.
    pub reads_forms: bool,
    pub warnings: Vec<Warning>,
}

/// A cargo feature of the generated crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    /// What it compiles, for `Cargo.toml` and the crate docs.
    pub docs: String,
}

impl Api {
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }
}

/// Follows aliases to the type a value really has (`Temperature` → `f64`).
pub fn resolve_aliases<'a>(types: &'a [TypeDef], ty: &'a Ty) -> &'a Ty {
    let mut ty = ty;
    for _ in 0..=types.len() {
        match ty {
            Ty::Named(id) => match &types[id.0].kind {
                TypeKind::Alias(inner) => ty = inner,
                _ => return ty,
            },
            _ => return ty,
        }
    }
    ty
}

/// How a multipart body's property is sent: a file part, a file part per item, or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    File,
    Files,
    Text,
}

/// `ty`'s [`PartKind`], through `Option`s and aliases (a `$ref` to a `format: binary`
/// schema is a file too): the client, the server and the `encoding` a document gives
/// agree on it.
pub fn part_kind(types: &[TypeDef], ty: &Ty) -> PartKind {
    fn core<'a>(types: &'a [TypeDef], ty: &'a Ty) -> &'a Ty {
        match resolve_aliases(types, ty) {
            Ty::Option(inner) => core(types, inner),
            ty => ty,
        }
    }
    match core(types, ty) {
        Ty::Bytes => PartKind::File,
        Ty::List(item) if *core(types, item) == Ty::Bytes => PartKind::Files,
        _ => PartKind::Text,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The URL as the document writes it, `{variables}` and all.
    pub url: String,
    /// The URL with each `{variable}` replaced by its `default`.
    pub default_url: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityScheme {
    pub name: String,
    pub kind: SecurityKind,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityKind {
    Bearer {
        format: Option<String>,
    },
    Basic,
    ApiKey {
        name: String,
        location: ParamLocation,
    },
    /// OAuth2 / OpenID Connect / other HTTP schemes: a bearer token at runtime.
    Other(String),
}

/// Index into [`Api::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub usize);

/// A Rust type as the emitted code spells it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    Bool,
    I32,
    I64,
    F64,
    Uuid,
    /// `format: binary`: raw bytes (file uploads, octet streams).
    Bytes,
    /// `{}`: any JSON value.
    Any,
    /// `type: object` with no declared properties: a JSON object.
    JsonObject,
    Named(TypeId),
    List(Box<Ty>),
    Map(Box<Ty>),
    Option(Box<Ty>),
    Box(Box<Ty>),
}

impl Ty {
    pub fn option(self) -> Ty {
        match self {
            Ty::Option(_) => self,
            other => Ty::Option(Box::new(other)),
        }
    }

    /// The named type reached without indirection through a `Vec` or a map, if any.
    pub fn direct_named(&self) -> Option<TypeId> {
        match self {
            Ty::Named(id) => Some(*id),
            Ty::Option(inner) => inner.direct_named(),
            _ => None,
        }
    }

    /// Whether `leaf` appears anywhere in this type.
    pub fn contains(&self, leaf: &Ty) -> bool {
        self == leaf
            || match self {
                Ty::List(inner) | Ty::Map(inner) | Ty::Option(inner) | Ty::Box(inner) => {
                    inner.contains(leaf)
                }
                _ => false,
            }
    }

    /// Every named type mentioned, with or without indirection.
    pub fn named(&self, out: &mut Vec<TypeId>) {
        match self {
            Ty::Named(id) => out.push(*id),
            Ty::List(inner) | Ty::Map(inner) | Ty::Option(inner) | Ty::Box(inner) => {
                inner.named(out)
            }
            _ => {}
        }
    }

    /// Wraps the directly held named type in a `Box` (breaks a cycle).
    pub fn boxed(self) -> Ty {
        match self {
            Ty::Option(inner) => Ty::Option(Box::new(inner.boxed())),
            Ty::Box(_) => self,
            other => Ty::Box(Box::new(other)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    /// Rust name, unique in the crate.
    pub name: String,
    /// Where it came from: `#/components/schemas/X` or the inline location.
    pub pointer: String,
    pub docs: Option<String>,
    pub kind: TypeKind,
    /// Reachable from a response body: string enums and tagged unions accept unknown values.
    pub from_server: bool,
    /// Examples given on the schema itself.
    pub examples: Vec<Value>,
    /// The Rust type implements `Default` (every required field's type has one, or the
    /// enum has a default variant).
    pub has_default: bool,
    /// The [`Api::features`] any one of which compiles the type; `None`: always compiled.
    pub features: Option<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Struct(Struct),
    StringEnum(StringEnum),
    IntEnum(IntEnum),
    Union(Union),
    /// `pub type Name = Ty;`
    Alias(Ty),
    /// `pub struct Name(pub Ty);`, for a component alias that refers to itself.
    Newtype(Ty),
}

impl TypeKind {
    /// The Rust types this type holds, in declaration order.
    pub fn tys(&self) -> Vec<&Ty> {
        match self {
            TypeKind::Struct(s) => s
                .fields
                .iter()
                .map(|f| &f.ty)
                .chain(s.additional.as_ref().map(|(_, ty)| ty))
                .collect(),
            TypeKind::Union(u) => u.variants.iter().map(|v| &v.ty).collect(),
            TypeKind::Alias(ty) | TypeKind::Newtype(ty) => vec![ty],
            TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => Vec::new(),
        }
    }

    /// As [`TypeKind::tys`], for rewriting (boxing a cycle's back edge).
    pub fn tys_mut(&mut self) -> Vec<&mut Ty> {
        match self {
            TypeKind::Struct(s) => s
                .fields
                .iter_mut()
                .map(|f| &mut f.ty)
                .chain(s.additional.as_mut().map(|(_, ty)| ty))
                .collect(),
            TypeKind::Union(u) => u.variants.iter_mut().map(|v| &mut v.ty).collect(),
            TypeKind::Alias(ty) | TypeKind::Newtype(ty) => vec![ty],
            TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Struct {
    pub fields: Vec<Field>,
    /// `additionalProperties` next to declared properties: a flattened map field (its name,
    /// and its type, a [`Ty::Map`]).
    pub additional: Option<(String, Ty)>,
    /// `additionalProperties: false`: no other properties (a multipart form rejects
    /// unknown parts).
    pub closed: bool,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub wire: String,
    pub docs: Option<String>,
    /// The full Rust type, `Option` layers included.
    pub ty: Ty,
    pub presence: Presence,
    /// `null` is a value of it: its schema is nullable, or its default is `null`. A server
    /// refuses `null` for an optional member that is not.
    pub nullable: bool,
    pub deprecated: bool,
    /// Checked by the generated `Validate` impl.
    pub constraints: Constraints,
}

/// Schema constraints a Rust type cannot hold, checked after deserializing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    /// In characters (code points), as JSON Schema counts.
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<String>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub multiple_of: Option<f64>,
    /// The one value a boolean `enum` allows (`enum: [true]`, Stripe's `deleted`).
    pub bool_value: Option<bool>,
    /// A list's items' own (an inline item schema's `maxLength`, `pattern`, bounds).
    pub items: Option<Box<Constraints>>,
    /// `format` as written (`date-time`, `email`, ...): the Rust type holds only `uuid`
    /// and `binary`; the mock's synthesized answers honour the rest.
    pub format: Option<String>,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        self == &Constraints::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub value: f64,
    pub exclusive: bool,
}

/// How a property's absence and `null` map to Rust.
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    /// Required and not nullable: `T`.
    Required,
    /// Required but nullable: `Option<T>`, `null` written for `None`.
    RequiredNullable,
    /// Optional, absent and `null` mean the same: `Option<T>`, skipped when `None`.
    Optional,
    /// Optional with a spec default: `T` (or `Option<T>` when also nullable, where `null`
    /// and absent differ), the default filled in on deserialize and always serialized.
    Defaulted(DefaultValue),
    /// Optional and nullable with no default: `Option<Option<T>>` keeps absent (`None`)
    /// and `null` (`Some(None)`) apart.
    DoubleOption,
}

/// A default the emitter can write as a Rust expression.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    String(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A variant of a string enum, by its Rust name.
    Variant(TypeId, String),
    EmptyList,
    EmptyMap,
    /// A nullable field whose default is a value: `Some(inner)`.
    Some(Box<DefaultValue>),
}

#[derive(Debug, Clone)]
pub struct StringEnum {
    pub variants: Vec<EnumVariant>,
    /// Name of the fallback variant holding unknown values, for enums the server returns.
    pub other: Option<String>,
    /// Index of the default variant.
    pub default: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct EnumVariant {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct IntEnum {
    pub variants: Vec<(String, i64)>,
    pub other: Option<String>,
    pub default: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Union {
    pub variants: Vec<UnionVariant>,
    /// The tag property, for a discriminated union.
    pub discriminator: Option<String>,
    /// Name of the variant holding an unknown tag's object, for tagged unions the server returns.
    pub other: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UnionVariant {
    pub name: String,
    pub ty: Ty,
    /// The branch's own constraints (`maxLength` of a string branch), checked on a value
    /// that deserialized as this variant.
    pub constraints: Constraints,
    /// Tag values selecting this variant (discriminated unions only).
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Options,
    Head,
    Patch,
    Trace,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId` as written (or derived from method and path when absent).
    pub id: String,
    /// snake_case Rust name, unique in the API.
    pub name: String,
    /// UpperCamelCase stem for the operation's own types.
    pub type_stem: String,
    pub method: Method,
    pub path: String,
    pub segments: Vec<PathSegment>,
    /// Where the server's router serves the operation; `None` where it cannot (a located
    /// warning says why): see `lower/routes.rs`.
    pub route: Option<Route>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub deprecated: bool,
    pub params: Vec<Param>,
    pub body: Option<RequestBody>,
    pub responses: Vec<Response>,
    /// `None`: the API-wide requirement applies; `Some(vec![])`: no authentication.
    pub security: Option<Vec<Vec<String>>>,
    pub pointer: String,
    /// The [`Api::features`] entry that compiles the operation; `None`: always compiled.
    pub feature: Option<usize>,
}

/// An operation's route in the server's router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The template as axum's router takes it: the path with each parameter named as the
    /// first operation on a path of the same shape names it (axum refuses two templates
    /// that differ only in names), or `p0`, `p1`... where those names are not ones it
    /// takes; `}` in literal text doubled.
    pub template: String,
    /// Whether the template names the path parameters as this operation does. Otherwise
    /// its handler takes the router's values by position under its own names.
    pub own_names: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Literal(String),
    /// Index into [`Operation::params`].
    Param(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamStyle {
    Simple,
    Label,
    Matrix,
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub wire: String,
    pub name: String,
    pub location: ParamLocation,
    pub style: ParamStyle,
    pub explode: bool,
    pub required: bool,
    /// Without the `Option` of an optional parameter. A parameter described by `content`
    /// (a JSON-encoded query parameter, say) is `Ty::String`: the encoded text, sent as is.
    pub ty: Ty,
    pub docs: Option<String>,
    pub default: Option<Value>,
    pub deprecated: bool,
    pub constraints: Constraints,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Json,
    /// `text/event-stream`: each `data:` frame holds one JSON value of the content's type,
    /// the media type's `itemSchema` (OpenAPI 3.2; its `schema` is then the stream's text),
    /// else its `schema`. Its examples are events' data: a string example is the stream's
    /// text, lowered to one example per event whose data is JSON, each at the example's
    /// pointer; any other example is one event's data.
    EventStream,
    /// `multipart/form-data`: one part per field of the body's struct. A body whose schema
    /// is not an object with properties (a map, say) is typed as such, with a warning: its
    /// value's top-level members are the parts.
    Multipart,
    FormUrlEncoded,
    Text,
    Binary,
}

impl MediaKind {
    /// Whether a response of this kind is its bytes, unread: binary, and the multipart and
    /// form bodies that only requests are typed for (the server sends them as bytes, and
    /// the client hands them over so).
    pub fn response_is_bytes(self) -> bool {
        matches!(
            self,
            MediaKind::Binary | MediaKind::Multipart | MediaKind::FormUrlEncoded
        )
    }
}

#[derive(Debug, Clone)]
pub struct Content {
    pub media_type: String,
    pub kind: MediaKind,
    /// `None` when the media type carries no schema.
    pub ty: Option<Ty>,
    /// The schema's own constraints (a `text/plain` body's `maxLength`), for made examples.
    pub constraints: Constraints,
    pub examples: Vec<Example>,
    /// A form body's `encoding` (request bodies of [`MediaKind::FormUrlEncoded`] only):
    /// how the top-level properties it names are laid out. Empty: the bracket convention
    /// throughout.
    pub encoding: Vec<FormEncoding>,
    /// A multipart body's file parts' media types by property, from its `encoding`: what
    /// a part is sent as when its upload names none (else `application/octet-stream`).
    pub part_media: std::collections::BTreeMap<String, String>,
}

/// The Encoding Object of one top-level property of a form body, as the client writes it
/// and the server reads it (see `runtime::FormEncoding`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormEncoding {
    /// The property's name on the wire.
    pub property: String,
    /// `Form`, `SpaceDelimited`, `PipeDelimited` or `DeepObject`.
    pub style: ParamStyle,
    pub explode: bool,
    pub allow_reserved: bool,
    /// `contentType` is a JSON media type: the value is JSON text.
    pub json: bool,
}

#[derive(Debug, Clone)]
pub struct Example {
    /// The key in the media type's `examples` map; `None` for its `example`.
    pub name: Option<String>,
    pub pointer: String,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct RequestBody {
    pub required: bool,
    pub description: Option<String>,
    pub content: Vec<Content>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Code(u16),
    /// `2XX` and friends: the leading digit.
    Range(u16),
    Default,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: Status,
    pub description: String,
    pub content: Vec<Content>,
    pub headers: Vec<Header>,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub wire: String,
    pub name: String,
    /// `Ty::String` (the encoded text) for a header described by `content`.
    pub ty: Ty,
    pub required: bool,
    pub docs: Option<String>,
    /// Not checked (the client reads headers as they come); the mock's made values honour them.
    pub constraints: Constraints,
}
