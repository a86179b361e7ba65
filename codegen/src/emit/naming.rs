//! Names the client and the server share, decided once: the API's trait name and key
//! variable, response variants, parameter locations, forms and the locals they emit.

use crate::ir::{Api, ParamLocation, Status};
use crate::names::type_name;

/// The trait's name: the title's first word + `Api` (`Maniac Inference Gateway API` →
/// `ManiacApi`).
pub fn trait_name(api: &Api) -> String {
    let first = api.title.split_whitespace().next().unwrap_or_default();
    let stem = type_name(first, "Service");
    if stem.ends_with("Api") {
        stem
    } else {
        format!("{stem}Api")
    }
}

/// The environment variable the client reads its key from, which the mock checks.
pub fn api_key_var(api: &Api) -> String {
    let stem = trait_name(api);
    let stem = stem.strip_suffix("Api").unwrap_or(&stem);
    format!("{}_API_KEY", heck::AsShoutySnakeCase(stem))
}

/// A status's reason phrase as a variant name and as the `StatusCode` constant, for the
/// codes the table knows.
pub fn status_name(code: u16) -> Option<(&'static str, &'static str)> {
    Some(match code {
        200 => ("Ok", "OK"),
        201 => ("Created", "CREATED"),
        202 => ("Accepted", "ACCEPTED"),
        203 => (
            "NonAuthoritativeInformation",
            "NON_AUTHORITATIVE_INFORMATION",
        ),
        204 => ("NoContent", "NO_CONTENT"),
        206 => ("PartialContent", "PARTIAL_CONTENT"),
        301 => ("MovedPermanently", "MOVED_PERMANENTLY"),
        302 => ("Found", "FOUND"),
        303 => ("SeeOther", "SEE_OTHER"),
        304 => ("NotModified", "NOT_MODIFIED"),
        307 => ("TemporaryRedirect", "TEMPORARY_REDIRECT"),
        400 => ("BadRequest", "BAD_REQUEST"),
        401 => ("Unauthorized", "UNAUTHORIZED"),
        402 => ("PaymentRequired", "PAYMENT_REQUIRED"),
        403 => ("Forbidden", "FORBIDDEN"),
        404 => ("NotFound", "NOT_FOUND"),
        405 => ("MethodNotAllowed", "METHOD_NOT_ALLOWED"),
        406 => ("NotAcceptable", "NOT_ACCEPTABLE"),
        408 => ("RequestTimeout", "REQUEST_TIMEOUT"),
        409 => ("Conflict", "CONFLICT"),
        410 => ("Gone", "GONE"),
        412 => ("PreconditionFailed", "PRECONDITION_FAILED"),
        413 => ("PayloadTooLarge", "PAYLOAD_TOO_LARGE"),
        415 => ("UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE"),
        422 => ("UnprocessableEntity", "UNPROCESSABLE_ENTITY"),
        429 => ("TooManyRequests", "TOO_MANY_REQUESTS"),
        500 => ("InternalServerError", "INTERNAL_SERVER_ERROR"),
        501 => ("NotImplemented", "NOT_IMPLEMENTED"),
        502 => ("BadGateway", "BAD_GATEWAY"),
        503 => ("ServiceUnavailable", "SERVICE_UNAVAILABLE"),
        504 => ("GatewayTimeout", "GATEWAY_TIMEOUT"),
        _ => return None,
    })
}

/// The name of a response variant for `status`, the same in the client's `{Op}Output`
/// and the server's `{Op}Response`: the reason phrase, else `Status{code}`, `Status{d}xx`
/// for a range, `Default`.
pub fn status_variant(status: Status) -> String {
    match status {
        Status::Code(code) => status_name(code)
            .map(|(name, _)| name.to_owned())
            .unwrap_or_else(|| format!("Status{code}")),
        Status::Range(digit) => format!("Status{digit}xx"),
        Status::Default => "Default".to_owned(),
    }
}

/// A status as docs write it: `404`, `4XX`, `default`.
pub fn status_text(status: Status) -> String {
    match status {
        Status::Code(code) => code.to_string(),
        Status::Range(digit) => format!("{digit}XX"),
        Status::Default => "default".to_owned(),
    }
}

/// Where a parameter goes, as docs and rejections name it.
pub fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

/// The struct of a multipart body whose types are named `stem` (the operation's type
/// stem, or the server's stem for a further media type).
pub fn form_name(stem: &str) -> String {
    format!("{stem}Form")
}

/// A generated local's name: `name`, unless the code around it uses that name (one of
/// `locals`), then with `suffix` appended, and more underscores while `taken` says
/// another name of its kind has that name.
pub fn unshadowed(
    name: &str,
    locals: &[&str],
    suffix: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut name = name.to_owned();
    if locals.contains(&name.as_str()) {
        name.push_str(suffix);
        while taken(&name) {
            name.push('_');
        }
    }
    name
}
