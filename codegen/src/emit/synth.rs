//! Values made from the IR for answers the document gives no example for: deterministic
//! JSON that deserializes into the generated type and validates against the schema it came
//! from. Required properties only (optional ones are left out, so recursion ends at them),
//! an enum's first value, a union's first branch that can be made (with its tag), formats,
//! lengths, bounds, `multipleOf`, `minItems` and `pattern`s (a string read off the pattern,
//! checked with regex-lite, the regex engine the generated crates check patterns with).
//!
//! What the IR does not keep cannot be honoured: constraints on list items, map values and
//! union branches (so lists stay empty unless `minItems` asks for items, maps empty),
//! `uniqueItems`, `minProperties`, a `oneOf`'s exclusivity, and a property that is required
//! but read-only or write-only (typed optional, so left out).

use crate::ir::*;
use serde_json::{Map, Number, Value};

/// A value of `ty` its schema accepts under `constraints` (a property's, a parameter's, a
/// media type's own), or `None` when none can be made: a cycle of required properties, a
/// pattern no candidate matches, bounds no number fits, raw bytes in JSON (typed
/// `Vec<u8>`, a list, where the schema wants a string).
pub fn constrained(api: &Api, ty: &Ty, constraints: &Constraints) -> Option<Value> {
    Synth {
        api,
        open: Vec::new(),
    }
    .value(ty, constraints)
}

/// What a schema without `format` or `pattern` gets, as Swagger's and Prism's examples do.
const PLAIN_STRING: &str = "string";
const UUID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// Deeper than any document's types nest without recursion; recursion stops earlier.
const MAX_DEPTH: usize = 64;

struct Synth<'a> {
    api: &'a Api,
    /// The named types being made, outermost first: meeting one again is recursion, which
    /// ends at the nearest nullable value or list (`null`, `[]`) or fails.
    open: Vec<TypeId>,
}

impl Synth<'_> {
    fn value(&mut self, ty: &Ty, constraints: &Constraints) -> Option<Value> {
        match ty {
            Ty::String => string(constraints).map(Value::String),
            Ty::Bool => Some(Value::Bool(constraints.bool_value.unwrap_or(false))),
            Ty::I32 => number(constraints, Some((i32::MIN.into(), i32::MAX.into()))),
            Ty::I64 => number(constraints, Some((i64::MIN as f64, i64::MAX as f64))),
            Ty::F64 => number(constraints, None),
            Ty::Uuid => Some(Value::String(UUID.into())),
            Ty::Bytes => None,
            Ty::Any | Ty::JsonObject | Ty::Map(_) => Some(Value::Object(Map::new())),
            Ty::List(item) => {
                // Empty unless `minItems` asks for items: the IR keeps no constraints of the
                // items (a `format`, a `pattern`), so a made item might break them.
                let count = constraints.min_items.unwrap_or(0);
                if count == 0 {
                    return Some(Value::Array(Vec::new()));
                }
                let item = self.value(item, &Constraints::default())?;
                Some(Value::Array(vec![item; count]))
            }
            Ty::Option(inner) => Some(self.value(inner, constraints).unwrap_or(Value::Null)),
            Ty::Box(inner) => self.value(inner, constraints),
            Ty::Named(id) => self.named(*id, constraints),
        }
    }

    fn named(&mut self, id: TypeId, constraints: &Constraints) -> Option<Value> {
        if self.open.contains(&id) || self.open.len() >= MAX_DEPTH {
            return None;
        }
        let t = self.api.ty(id);
        // The schema's own example: the document's words beat made-up ones.
        if let Some(example) = t.examples.first() {
            return Some(example.clone());
        }
        self.open.push(id);
        let made = match &t.kind {
            TypeKind::Struct(s) => self.object(s),
            TypeKind::StringEnum(e) => e.variants.first().map(|v| Value::String(v.value.clone())),
            TypeKind::IntEnum(e) => e.variants.first().map(|(_, v)| Value::from(*v)),
            TypeKind::Union(u) => self.union(u),
            TypeKind::Alias(ty) | TypeKind::Newtype(ty) => self.value(ty, constraints),
        };
        self.open.pop();
        made
    }

    fn object(&mut self, s: &Struct) -> Option<Value> {
        let mut object = Map::new();
        for field in &s.fields {
            if matches!(
                field.presence,
                Presence::Required | Presence::RequiredNullable
            ) {
                let value = self.value(&field.ty, &field.constraints)?;
                object.insert(field.wire.clone(), value);
            }
        }
        Some(Value::Object(object))
    }

    /// The first branch that can be made; a tagged branch carries its first tag.
    fn union(&mut self, u: &Union) -> Option<Value> {
        u.variants.iter().find_map(|variant| {
            let mut value = self.value(&variant.ty, &Constraints::default())?;
            match (&u.discriminator, variant.tags.first()) {
                (Some(property), Some(tag)) => {
                    value
                        .as_object_mut()?
                        .insert(property.clone(), Value::String(tag.clone()));
                }
                (Some(_), None) => return None,
                (None, _) => {}
            }
            Some(value)
        })
    }
}

/// A string of the format, within the lengths, matching the pattern.
fn string(c: &Constraints) -> Option<String> {
    let base = format_example(c.format.as_deref()).unwrap_or(PLAIN_STRING);
    let fits_length = |s: &str| {
        let n = s.chars().count();
        c.min_length.is_none_or(|min| n >= min) && c.max_length.is_none_or(|max| n <= max)
    };
    let Some(pattern) = &c.pattern else {
        return Some(fit_length(base, c.min_length, c.max_length));
    };
    // Lowering dropped the patterns the runtime cannot compile.
    let regex = codegen_runtime::validate::Matcher::new(pattern).ok()?;
    let wanted = c.min_length.unwrap_or(0);
    let read_off = [0, 1, 2, 4, 8, wanted]
        .into_iter()
        .filter_map(|extra| from_pattern(regex.rest_source(), extra));
    let stock = [base, PLAIN_STRING, "a", "A", "0", "a0", "example", UUID]
        .into_iter()
        .map(|s| fit_length(s, c.min_length, c.max_length));
    read_off
        .chain(stock)
        .find(|s| fits_length(s) && regex.is_match(s))
}

/// `text` padded with `x` or cut to the lengths.
fn fit_length(text: &str, min: Option<usize>, max: Option<usize>) -> String {
    let mut out: String = text.chars().take(max.unwrap_or(usize::MAX)).collect();
    while min.is_some_and(|min| out.chars().count() < min) {
        out.push('x');
    }
    out
}

/// A valid value of a JSON Schema or OpenAPI string format; `None` for formats that
/// constrain nothing (or that this does not know, which validators ignore as well).
fn format_example(format: Option<&str>) -> Option<&'static str> {
    Some(match format? {
        "date-time" => "2026-01-01T00:00:00Z",
        "date" => "2026-01-01",
        "time" => "00:00:00Z",
        "duration" => "P1D",
        "email" | "idn-email" => "user@example.com",
        "hostname" | "idn-hostname" => "example.com",
        "ipv4" => "192.0.2.1",
        "ipv6" => "2001:db8::1",
        "uri" | "iri" | "url" => "https://example.com/",
        "uri-reference" | "iri-reference" => "/example",
        "uri-template" => "https://example.com/{id}",
        "uuid" => UUID,
        "json-pointer" => "/example",
        "relative-json-pointer" => "0",
        "regex" => "^example$",
        // base64 of "string".
        "byte" => "c3RyaW5n",
        _ => return None,
    })
}

/// A number within the bounds, a multiple of `multipleOf`, an integer when `range` (the
/// Rust integer type's) is given: zero when it fits, else the nearest such value to a bound.
fn number(c: &Constraints, range: Option<(f64, f64)>) -> Option<Value> {
    let step = c.multiple_of.filter(|m| *m > 0.0);
    let fits = |x: f64| {
        c.minimum.is_none_or(|b| {
            if b.exclusive {
                x > b.value
            } else {
                x >= b.value
            }
        }) && c.maximum.is_none_or(|b| {
            if b.exclusive {
                x < b.value
            } else {
                x <= b.value
            }
        }) && step.is_none_or(|m| (x / m).fract() == 0.0)
            && range.is_none_or(|(lo, hi)| x.fract() == 0.0 && lo <= x && x <= hi)
    };
    // Nearest first: the bound, the integer at or past it, the one strictly past it.
    let mut candidates = vec![0.0];
    if let Some(Bound { value: b, .. }) = c.minimum {
        candidates.extend([b, b.ceil(), b.floor() + 1.0, b + 1.0]);
        if let Some(m) = step {
            candidates.extend([(b / m).ceil() * m, ((b / m).floor() + 1.0) * m]);
        }
    }
    if let Some(Bound { value: b, .. }) = c.maximum {
        candidates.extend([b, b.floor(), b.ceil() - 1.0, b - 1.0]);
        if let Some(m) = step {
            candidates.extend([(b / m).floor() * m, ((b / m).ceil() - 1.0) * m]);
        }
    }
    if let (Some(lo), Some(hi)) = (c.minimum, c.maximum) {
        candidates.push((lo.value + hi.value) / 2.0);
    }
    let x = candidates.into_iter().find(|x| fits(*x))?;
    match range {
        Some(_) => Some(Value::from(x as i64)),
        None => Number::from_f64(x).map(Value::Number),
    }
}

/// A string `pattern` likely matches, read off it: literals as written, a class's first
/// member, a quantifier's least count plus `extra` where more are allowed (to reach a
/// `minLength`), an alternation's first branch, anchors and word boundaries dropped.
/// `None` for syntax this reading does not know; the caller checks the result anyway.
fn from_pattern(pattern: &str, extra: usize) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut at = 0;
    let out = sequence(&chars, &mut at, extra)?;
    (at == chars.len()).then_some(out)
}

/// Reads alternatives up to an unmatched `)` or the end; the first alternative's string.
fn sequence(chars: &[char], at: &mut usize, extra: usize) -> Option<String> {
    let mut first: Option<String> = None;
    let mut out = String::new();
    while let Some(&c) = chars.get(*at) {
        match c {
            ')' => break,
            '|' => {
                *at += 1;
                first.get_or_insert(std::mem::take(&mut out));
                continue;
            }
            '^' | '$' => {
                *at += 1;
                continue;
            }
            _ => {}
        }
        let atom = atom(chars, at, extra)?;
        let (min, max) = quantifier(chars, at)?;
        let count = match max {
            Some(max) => min + extra.min(max - min),
            None => min + extra,
        };
        out.push_str(&atom.repeat(count));
    }
    Some(first.unwrap_or(out))
}

/// One atom: a literal, `.`, an escape, a class or a group.
fn atom(chars: &[char], at: &mut usize, extra: usize) -> Option<String> {
    let c = *chars.get(*at)?;
    *at += 1;
    Some(match c {
        '.' => "a".into(),
        '\\' => escape(chars, at)?.to_string(),
        '[' => class(chars, at)?.to_string(),
        '(' => {
            // `(?:`, `(?P<name>`, `(?<name>`: the group's text follows.
            if chars.get(*at) == Some(&'?') {
                *at += 1;
                match chars.get(*at)? {
                    ':' => *at += 1,
                    'P' | '<' => {
                        while chars.get(*at)? != &'>' {
                            *at += 1;
                        }
                        *at += 1;
                    }
                    _ => return None,
                }
            }
            let inner = sequence(chars, at, extra)?;
            if chars.get(*at) != Some(&')') {
                return None;
            }
            *at += 1;
            inner
        }
        '*' | '+' | '?' | '{' | ')' | '|' => return None,
        other => other.to_string(),
    })
}

/// `\d` and friends as one character that matches; `\b` and `\B` match no character.
fn escape(chars: &[char], at: &mut usize) -> Option<&'static str> {
    let c = *chars.get(*at)?;
    *at += 1;
    Some(match c {
        'd' => "0",
        'w' | 'D' | 'S' => "a",
        'W' => "-",
        's' => " ",
        'b' | 'B' | 'A' | 'z' => "",
        'n' => "\n",
        't' => "\t",
        'p' | 'P' | 'x' | 'u' => return None,
        c if c.is_ascii_punctuation() => {
            // Static text for the escaped punctuation itself.
            const PUNCT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
            let i = PUNCT.find(c)?;
            &PUNCT[i..i + 1]
        }
        _ => return None,
    })
}

/// A bracket class's first member (after `[`); a negated class gets the first of a few
/// ordinary characters it does not list.
fn class(chars: &[char], at: &mut usize) -> Option<char> {
    let negated = chars.get(*at) == Some(&'^');
    if negated {
        *at += 1;
    }
    let mut members: Vec<(char, char)> = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(*at)?;
        *at += 1;
        let low = match c {
            ']' if !first => break,
            '\\' => {
                let escaped = escape(chars, at)?;
                let mut it = escaped.chars();
                match (it.next(), it.next()) {
                    (Some(c), None) => c,
                    _ => return None,
                }
            }
            '[' if chars.get(*at) == Some(&':') => return None,
            other => other,
        };
        first = false;
        let high = if chars.get(*at) == Some(&'-') && chars.get(*at + 1).is_some_and(|c| *c != ']')
        {
            *at += 2;
            *chars.get(*at - 1)?
        } else {
            low
        };
        members.push((low, high));
    }
    if negated {
        "a0A-_ ."
            .chars()
            .find(|c| !members.iter().any(|(lo, hi)| lo <= c && c <= hi))
    } else {
        members.first().map(|(lo, _)| *lo)
    }
}

/// The quantifier after an atom as (least, most) counts; (1, Some(1)) when there is none.
fn quantifier(chars: &[char], at: &mut usize) -> Option<(usize, Option<usize>)> {
    let counts = match chars.get(*at) {
        Some('*') => (0, None),
        Some('+') => (1, None),
        Some('?') => (0, Some(1)),
        Some('{') => {
            let close = chars[*at..].iter().position(|c| *c == '}')? + *at;
            let inside: String = chars[*at + 1..close].iter().collect();
            let counts = match inside.split_once(',') {
                None => {
                    let n = inside.trim().parse().ok()?;
                    (n, Some(n))
                }
                Some((low, high)) => {
                    let low = low.trim().parse().ok()?;
                    let high = high.trim();
                    (low, (!high.is_empty()).then(|| high.parse().ok()).flatten())
                }
            };
            *at = close;
            counts
        }
        _ => return Some((1, Some(1))),
    };
    *at += 1;
    // Lazy and possessive suffixes do not change what matches.
    if matches!(chars.get(*at), Some('?') | Some('+')) {
        *at += 1;
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_for(pattern: &str, min: Option<usize>, max: Option<usize>) -> Option<String> {
        string(&Constraints {
            pattern: Some(pattern.into()),
            min_length: min,
            max_length: max,
            ..Constraints::default()
        })
    }

    #[test]
    fn patterns_are_read_off_and_checked() {
        for (pattern, min, max) in [
            ("^[a-z0-9-]+$", None, None),
            ("^chatcmpl-[A-Za-z0-9]{6,}$", None, None),
            (r"^\d{4}-\d{2}-\d{2}$", None, None),
            ("^(sk|pk)_(live|test)_[a-zA-Z0-9]{8}$", None, None),
            ("^[^@]+@[^@]+$", None, None),
            ("^[A-Z]{2,3}$", Some(3), None),
            ("abc", None, Some(3)),
            (r"^\w+(\.\w+)*$", Some(5), Some(10)),
            ("^(?:[a-z]+)?$", None, None),
        ] {
            let made = string_for(pattern, min, max)
                .unwrap_or_else(|| panic!("nothing made for {pattern}"));
            let n = made.chars().count();
            assert!(
                codegen_runtime::validate::Matcher::new(pattern)
                    .unwrap()
                    .is_match(&made),
                "{pattern}: {made}"
            );
            assert!(
                min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
                "{pattern}: {made}"
            );
        }
        assert_eq!(
            string_for("^x{3}$", None, Some(2)),
            None,
            "no string fits both"
        );
    }

    #[test]
    fn numbers_respect_bounds_and_steps() {
        let bound = |value, exclusive| Some(Bound { value, exclusive });
        let cases = [
            (Constraints::default(), true, 0.0),
            (
                Constraints {
                    minimum: bound(5.0, false),
                    ..Default::default()
                },
                true,
                5.0,
            ),
            (
                Constraints {
                    minimum: bound(5.0, true),
                    ..Default::default()
                },
                true,
                6.0,
            ),
            (
                Constraints {
                    maximum: bound(-3.5, false),
                    ..Default::default()
                },
                true,
                -4.0,
            ),
            (
                Constraints {
                    minimum: bound(7.0, false),
                    multiple_of: Some(5.0),
                    ..Default::default()
                },
                true,
                10.0,
            ),
            (
                Constraints {
                    minimum: bound(0.0, true),
                    maximum: bound(1.0, true),
                    ..Default::default()
                },
                false,
                0.5,
            ),
        ];
        for (c, integer, want) in cases {
            let range = integer.then_some((i64::MIN as f64, i64::MAX as f64));
            let got = number(&c, range).and_then(|v| v.as_f64());
            assert_eq!(got, Some(want), "{c:?}");
        }
        let impossible = Constraints {
            minimum: bound(1.0, true),
            maximum: bound(2.0, true),
            ..Default::default()
        };
        assert_eq!(number(&impossible, Some((0.0, 10.0))), None);
    }

    #[test]
    fn formats_and_lengths() {
        let c = |format: &str, min| Constraints {
            format: Some(format.into()),
            min_length: min,
            ..Default::default()
        };
        assert_eq!(
            string(&c("date-time", None)).unwrap(),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(string(&c("email", None)).unwrap(), "user@example.com");
        assert_eq!(string(&c("unknown", Some(8))).unwrap(), "stringxx");
        let short = Constraints {
            max_length: Some(3),
            ..Default::default()
        };
        assert_eq!(string(&short).unwrap(), "str");
    }
}
