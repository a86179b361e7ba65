//! Form bodies (`application/x-www-form-urlencoded`) as text: the properties the
//! document's `encoding` names laid out as their entries say (see [`FormEncoding`]), the
//! others with nested objects and arrays in brackets, as the server reads them.

use super::request::{scalar_text, sorted_members};
use crate::form::{FormEncoding, FormStyle};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a form encodes: all but what `form_urlencoded` leaves as it is. A space is `%20`,
/// as in a `spaceDelimited` value.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// With `allowReserved`: RFC 3986's reserved characters left as they are, but `&` and `+`,
/// which would end the pair or read as a space.
const FORM_RESERVED: &AsciiSet = &FORM
    .remove(b':')
    .remove(b'/')
    .remove(b'?')
    .remove(b'#')
    .remove(b'[')
    .remove(b']')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

/// A form body's text. Without `encoding`, `serde_qs`'s brackets for the whole value.
pub(crate) fn form_text(
    value: &serde_json::Value,
    encoding: &[FormEncoding],
) -> Result<String, serde_qs::Error> {
    let serde_json::Value::Object(members) = value else {
        return serde_qs::to_string(value);
    };
    if encoding.is_empty() {
        return serde_qs::to_string(value);
    }
    let mut rest = serde_json::Map::new();
    let mut laid_out = String::new();
    for (name, member) in members {
        match FormEncoding::find(encoding, name) {
            // deepObject is the bracket convention.
            Some(entry) if entry.json || entry.style != FormStyle::DeepObject => {
                write_member(&mut laid_out, name, member, entry)
            }
            _ => {
                rest.insert(name.clone(), member.clone());
            }
        }
    }
    let mut text = serde_qs::to_string(&rest)?;
    if !text.is_empty() && !laid_out.is_empty() {
        text.push('&');
    }
    text.push_str(&laid_out);
    Ok(text)
}

/// Appends `name=value` (`value` already encoded).
fn push_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    out.extend(utf8_percent_encode(name, FORM));
    out.push('=');
    out.push_str(value);
}

/// One top-level property laid out by its entry; `null` writes nothing.
fn write_member(out: &mut String, name: &str, value: &serde_json::Value, entry: &FormEncoding) {
    use serde_json::Value;
    let set = if entry.allow_reserved {
        FORM_RESERVED
    } else {
        FORM
    };
    let encode = |text: &str| utf8_percent_encode(text, set).to_string();
    let join = |texts: Vec<String>, delimiter: char| {
        let separator = match delimiter {
            ' ' => "%20".to_owned(),
            other => other.to_string(),
        };
        texts.join(&separator)
    };
    match (value, entry.delimiter()) {
        (Value::Null, _) => {}
        _ if entry.json => push_pair(out, name, &encode(&value.to_string())),
        (Value::Array(items), Some(delimiter)) => {
            let texts = items.iter().filter(|v| !v.is_null());
            let texts = texts.map(|v| encode(&scalar_text(v))).collect();
            push_pair(out, name, &join(texts, delimiter));
        }
        // Exploded: the key repeated.
        (Value::Array(items), None) => {
            for item in items.iter().filter(|v| !v.is_null()) {
                push_pair(out, name, &encode(&scalar_text(item)));
            }
        }
        (Value::Object(members), Some(delimiter)) => {
            let texts = sorted_members(members)
                .into_iter()
                .flat_map(|(k, v)| [encode(k), encode(&scalar_text(v))])
                .collect();
            push_pair(out, name, &join(texts, delimiter));
        }
        // Exploded form: the members as the form's own keys.
        (Value::Object(members), None) => {
            for (k, v) in sorted_members(members) {
                push_pair(out, k, &encode(&scalar_text(v)));
            }
        }
        (scalar, _) => push_pair(out, name, &encode(&scalar_text(scalar))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_style_lays_out_its_property() {
        let body = json!({
            "tags": ["a", "b c", "d"],
            "pipes": ["x", "y"],
            "spaces": ["1", "2"],
            "many": ["p", "q"],
            "color": {"R": 100, "G": 200},
            "deep": {"k": "v"},
            "meta": {"a": [1, true]},
            "plain": "keep, me",
        });
        let table = [
            FormEncoding::new("tags", FormStyle::Form, false),
            FormEncoding::new("pipes", FormStyle::PipeDelimited, false),
            FormEncoding::new("spaces", FormStyle::SpaceDelimited, false),
            FormEncoding::new("many", FormStyle::Form, true),
            FormEncoding::new("color", FormStyle::Form, false),
            FormEncoding::new("deep", FormStyle::DeepObject, true),
            FormEncoding {
                json: true,
                ..FormEncoding::new("meta", FormStyle::Form, true)
            },
        ];
        let text = form_text(&body, &table).unwrap();
        let pairs: Vec<&str> = text.split('&').collect();
        for expected in [
            "tags=a,b%20c,d",
            "pipes=x|y",
            "spaces=1%202",
            "many=p",
            "many=q",
            "color=G,200,R,100",
            "meta=%7B%22a%22%3A%5B1%2Ctrue%5D%7D",
            "plain=keep%2C+me",
        ] {
            assert!(pairs.contains(&expected), "{expected} in {text}");
        }
        // deepObject and properties without an entry: brackets, as without a table.
        assert!(
            text.contains("deep%5Bk%5D=v") || text.contains("deep[k]=v"),
            "{text}"
        );
    }

    #[test]
    fn without_a_table_the_text_is_unchanged() {
        let body = json!({"tags": ["a", "b"], "m": {"k": "v"}, "n": 1});
        assert_eq!(
            form_text(&body, &[]).unwrap(),
            serde_qs::to_string(&body).unwrap()
        );
    }

    #[test]
    fn empty_null_and_reserved_values() {
        let body = json!({"tags": [], "gone": null, "url": "a/b?c=d&e+f"});
        let table = [
            FormEncoding::new("tags", FormStyle::PipeDelimited, false),
            FormEncoding::new("gone", FormStyle::Form, false),
            FormEncoding {
                allow_reserved: true,
                ..FormEncoding::new("url", FormStyle::Form, true)
            },
        ];
        let text = form_text(&body, &table).unwrap();
        assert_eq!(text, "tags=&url=a/b?c=d%26e%2Bf");
        let plain = form_text(&body, &[FormEncoding::new("url", FormStyle::Form, true)]).unwrap();
        assert!(plain.contains("url=a%2Fb%3Fc%3Dd%26e%2Bf"), "{plain}");
    }
}
