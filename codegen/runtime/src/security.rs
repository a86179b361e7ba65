//! Security schemes, as both sides see them: the client sends a credential the way a
//! scheme says, the server looks for it there.

/// How a security scheme of the document carries its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Authorization: Bearer <token>` (also OAuth2 and OpenID Connect access tokens).
    Bearer,
    /// `Authorization: Basic <base64>`; the server's auth hook gets the base64 text.
    Basic,
    /// An API key in the named header.
    Header(&'static str),
    /// An API key in the named query parameter.
    Query(&'static str),
    /// An API key in the named cookie.
    Cookie(&'static str),
}

/// A security scheme of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityScheme {
    /// The name in `components/securitySchemes`.
    pub name: &'static str,
    pub kind: SchemeKind,
}
