//! Security: the schemes an operation accepts and the credential a request presents.

use super::*;

pub use crate::security::{SchemeKind, SecurityScheme};

/// An operation's security: alternatives (any one suffices), each the schemes it needs.
/// An empty alternative makes authentication optional.
pub type Requirement = &'static [&'static [SecurityScheme]];

/// A credential found in a request, handed to the auth hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credential<'a> {
    /// Which scheme it was sent under.
    pub scheme: &'static str,
    /// The token, key or basic credentials, without the `Bearer `/`Basic ` prefix.
    pub value: &'a str,
}

/// The credential of an `Authorization: <scheme> <credential>` header (the scheme matched
/// without regard to case), trimmed; `None` for another scheme or an empty credential.
/// Slices, no searching: this runs on every authenticated request.
fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.split_at_checked(scheme.len())?;
    let credential = rest.strip_prefix(' ')?.trim_ascii();
    (given.eq_ignore_ascii_case(scheme) && !credential.is_empty()).then_some(credential)
}

/// A query parameter's raw value, when it needs no percent-decoding (API keys).
fn query_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .uri
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.contains(['%', '+']))
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The credential to authenticate with: the first scheme (of each alternative, in order)
/// whose credential the request carries. `Ok(None)` when authentication is optional and
/// none was sent; 401 when it is required and none was sent. Of an alternative that needs
/// several schemes together, the first carries the credential the hook checks.
pub fn credential<'a>(
    parts: &'a Parts,
    requirement: Requirement,
) -> Result<Option<Credential<'a>>, Rejection> {
    // Which of several would count is each server's (and proxy's) own choice: refuse all.
    let repeated = |name: &HeaderName| parts.headers.get_all(name).iter().nth(1).is_some();
    let mut optional = false;
    for alternative in requirement {
        let Some(scheme) = alternative.first() else {
            optional = true;
            continue;
        };
        let header = match scheme.kind {
            SchemeKind::Bearer | SchemeKind::Basic => Some(header::AUTHORIZATION),
            SchemeKind::Header(name) => HeaderName::from_bytes(name.as_bytes()).ok(),
            _ => None,
        };
        if let Some(header) = header.filter(|h| repeated(h)) {
            return Err(Rejection::unauthorized(format!(
                "several `{header}` headers: send one"
            )));
        }
        let value = match scheme.kind {
            SchemeKind::Bearer => authorization(&parts.headers, "Bearer"),
            SchemeKind::Basic => authorization(&parts.headers, "Basic"),
            SchemeKind::Header(name) => parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty()),
            SchemeKind::Query(name) => query_value(parts, name).filter(|v| !v.is_empty()),
            SchemeKind::Cookie(name) => cookie(&parts.headers, name).filter(|v| !v.is_empty()),
        };
        if let Some(value) = value {
            return Ok(Some(Credential {
                scheme: scheme.name,
                value,
            }));
        }
    }
    if optional {
        return Ok(None);
    }
    let expected = match requirement.first().and_then(|a| a.first()).map(|s| s.kind) {
        Some(SchemeKind::Basic) => "basic credentials in the Authorization header".to_owned(),
        Some(SchemeKind::Header(name)) => format!("an API key in the `{name}` header"),
        Some(SchemeKind::Query(name)) => format!("an API key in the `{name}` query parameter"),
        Some(SchemeKind::Cookie(name)) => format!("an API key in the `{name}` cookie"),
        _ => "a bearer token in the Authorization header".to_owned(),
    };
    Err(Rejection::unauthorized(format!(
        "missing credentials: expected {expected}"
    )))
}

/// Whether a presented secret equals the expected one, in time that does not depend on
/// where they first differ (a plain `==` stops at the first differing byte, which a client
/// timing many guesses can learn from). Their lengths are not hidden.
pub fn constant_time_eq(presented: &[u8], expected: &[u8]) -> bool {
    if presented.len() != expected.len() {
        return false;
    }
    let difference = presented
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    // Keeps the optimizer from turning the fold into an early exit.
    std::hint::black_box(difference) == 0
}
