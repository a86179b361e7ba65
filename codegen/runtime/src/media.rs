//! Media types, compared the same way on both sides: by essence (no parameters), without
//! regard to case, JSON by family.

/// The media type without parameters, trimmed. On bytes (a header value is ASCII here):
/// the server runs this on every request with a body.
pub fn essence(media_type: &str) -> &str {
    let end = media_type
        .bytes()
        .position(|b| b == b';')
        .unwrap_or(media_type.len());
    media_type[..end].trim_ascii()
}

/// Whether a media type (parameters allowed) is JSON: any `*/json` (`application/json`,
/// `text/json`) or `*+json` suffix type, in any case. The generator types bodies by the
/// same rule.
pub fn is_json(media_type: &str) -> bool {
    // What nearly every request sends, before any trimming.
    if media_type == "application/json" {
        return true;
    }
    let essence = essence(media_type).as_bytes();
    if essence == b"application/json" {
        return true;
    }
    let Some(slash) = essence.iter().position(|&b| b == b'/') else {
        return false;
    };
    let subtype = &essence[slash + 1..];
    subtype.eq_ignore_ascii_case(b"json")
        || subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case(b"+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_by_family_in_any_case() {
        for json in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/problem+json",
            " application/vnd.api+JSON ",
            "text/json",
            "application/x-amz-json-1.1+json",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in [
            "text/plain",
            "application/jsonl",
            "+json",
            "/+json",
            "application/json-seq",
            "json",
        ] {
            assert!(!is_json(other), "{other}");
        }
        assert_eq!(essence("text/plain; charset=utf-8"), "text/plain");
    }
}
