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

/// The one value of header `name`: 401 when it is given more than once, since which one
/// counts is each server's (and proxy's) own guess. One lookup for both.
fn single<N>(headers: &HeaderMap, name: N) -> Result<Option<&str>, Rejection>
where
    N: axum::http::header::AsHeaderName + std::fmt::Display + Copy,
{
    // As many names as values: no header is repeated (the usual case, without a walk).
    if headers.keys_len() == headers.len() {
        return Ok(headers.get(name).and_then(|v| v.to_str().ok()));
    }
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(Rejection::unauthorized(format!(
            "several `{name}` headers: send one"
        )));
    }
    Ok(first.and_then(|v| v.to_str().ok()))
}

/// The credential of an `Authorization: <scheme> <credential>` header (the scheme matched
/// without regard to case), trimmed; `None` for another scheme or an empty credential.
/// Slices, no searching: this runs on every authenticated request.
fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Result<Option<&'a str>, Rejection> {
    let Some(value) = single(headers, &header::AUTHORIZATION)? else {
        return Ok(None);
    };
    let Some((given, rest)) = value.split_at_checked(scheme.len()) else {
        return Ok(None);
    };
    let credential = rest.strip_prefix(' ').map(str::trim_ascii);
    Ok(credential.filter(|c| given.eq_ignore_ascii_case(scheme) && !c.is_empty()))
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
    let mut optional = false;
    for alternative in requirement {
        let Some(scheme) = alternative.first() else {
            optional = true;
            continue;
        };
        let value = match scheme.kind {
            SchemeKind::Bearer => authorization(&parts.headers, "Bearer")?,
            SchemeKind::Basic => authorization(&parts.headers, "Basic")?,
            SchemeKind::Header(name) => single(&parts.headers, name)?.filter(|v| !v.is_empty()),
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
