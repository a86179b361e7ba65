//! What the generated mock answers with: statuses, examples and the caller's preferences.

use super::*;

/// A status as the document lists it, for the mock's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockStatus {
    Code(u16),
    /// `4XX` and friends: the leading digit.
    Range(u16),
    Default,
}

/// One documented answer the mock can give: a status with one of its media types, and
/// the bodies it can send.
#[derive(Debug)]
pub struct MockAnswer {
    pub status: MockStatus,
    /// Empty for an answer without a body.
    pub media_type: &'static str,
    /// The document's examples (else the schema's), then one made from the schema; the
    /// first is sent unless `Prefer: example=name` names another, and when it does not fit
    /// the type, the next that does. Empty for an answer without a body, and for one no
    /// example could be made for (the mock answers it 501).
    pub examples: &'static [MockExample],
}

impl MockAnswer {
    pub const fn new(
        status: MockStatus,
        media_type: &'static str,
        examples: &'static [MockExample],
    ) -> Self {
        MockAnswer {
            status,
            media_type,
            examples,
        }
    }
}

#[derive(Debug)]
pub struct MockExample {
    /// The key in the media type's `examples`; empty for its `example` or a made one.
    pub name: &'static str,
    /// The body: a JSON text, a text, or for `text/event-stream` one JSON text per event.
    pub parts: &'static [&'static str],
}

impl MockExample {
    pub const fn new(name: &'static str, parts: &'static [&'static str]) -> Self {
        MockExample { name, parts }
    }
}

/// Which documented answer the mock gives a request, with the status and example to send.
///
/// The request chooses as Prism's clients do: `Prefer: code=404` picks that documented
/// status (else a documented range such as `4XX`, else `default`); `Prefer: example=name`
/// picks a named example of the answer (`Prefer: code=404, example=missing` both). Without
/// `code` the answer is the first documented 2xx (a `2XX` range as 200; with no 2xx
/// documented, the first documented answer, `default` as 200). A code that is not
/// documented, or an example name that is not, is ignored: the mock answers as if it was
/// not asked, since an undocumented answer would break the contract the mock stands for.
/// Among the media types of the status, `stream` (the body's `"stream": true`) picks
/// `text/event-stream`; otherwise `Accept` ranks them, ties and no `Accept` going to the
/// first that is not an event stream.
#[derive(Debug)]
pub struct MockChoice {
    /// Index into the answers.
    pub index: usize,
    /// The status to send: for a range or `default`, the code asked for.
    pub status: StatusCode,
    pub example: Option<&'static MockExample>,
    /// All of the answer's examples, tried in order when `example` does not fit the type.
    pub examples: &'static [MockExample],
}

impl MockChoice {
    /// `None` only when `answers` is empty.
    pub fn new(answers: &'static [MockAnswer], headers: &HeaderMap, stream: bool) -> Option<Self> {
        let preferences = Preferences::from_headers(headers);
        let status_of = |index: usize| answers[index].status;
        let indices = |wanted: MockStatus| -> Vec<usize> {
            (0..answers.len())
                .filter(|i| status_of(*i) == wanted)
                .collect()
        };
        let asked = preferences.code.and_then(|code| {
            let status = StatusCode::from_u16(code).ok()?;
            [
                MockStatus::Code(code),
                MockStatus::Range(code / 100),
                MockStatus::Default,
            ]
            .into_iter()
            .map(indices)
            .find(|found| !found.is_empty())
            .map(|found| (status, found))
        });
        let (status, candidates) = match asked {
            Some(asked) => asked,
            None => {
                let first_2xx = (0..answers.len())
                    .find(|i| matches!(status_of(*i), MockStatus::Code(200..=299)))
                    .or_else(|| (0..answers.len()).find(|i| status_of(*i) == MockStatus::Range(2)))
                    .or_else(|| (!answers.is_empty()).then_some(0))?;
                let documented = status_of(first_2xx);
                let code = match documented {
                    MockStatus::Code(code) => code,
                    MockStatus::Range(digit) => digit * 100,
                    MockStatus::Default => 200,
                };
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
                (status, indices(documented))
            }
        };
        let index = choose_media(answers, &candidates, headers, stream)?;
        let examples = answers[index].examples;
        let example = preferences
            .example
            .as_deref()
            .and_then(|name| examples.iter().find(|e| e.name == name))
            .or(examples.first());
        Some(MockChoice {
            index,
            status,
            example,
            examples,
        })
    }

    /// The chosen example, then the others in order.
    fn candidates(&self) -> impl Iterator<Item = &'static MockExample> + '_ {
        self.example.into_iter().chain(self.examples.iter())
    }

    /// The example as a JSON body: the chosen one, else the first that fits `T`; `None`
    /// when none does.
    pub fn json<T: DeserializeOwned>(&self) -> Option<T> {
        self.candidates()
            .find_map(|example| serde_json::from_str(example.parts.first()?).ok())
    }

    /// The example as text (a text or binary body).
    pub fn text(&self) -> Option<&'static str> {
        self.example?.parts.first().copied()
    }

    /// The example's events, then `data: [DONE]`.
    pub fn events<T: DeserializeOwned + Serialize + Send + 'static>(
        &self,
    ) -> Option<EventStream<T>> {
        let events: Vec<Result<T, Problem>> = self.candidates().find_map(|example| {
            example
                .parts
                .iter()
                .map(|part| serde_json::from_str(part).ok().map(Ok))
                .collect::<Option<_>>()
        })?;
        Some(EventStream::new(futures_util::stream::iter(events)))
    }
}

/// A value the mock sends outside the body (a required header), from its JSON text.
pub fn mock_value<T: DeserializeOwned>(json: &str) -> Option<T> {
    serde_json::from_str(json).ok()
}

/// Among the answers at `candidates` (one status, several media types), the one to send.
fn choose_media(
    answers: &[MockAnswer],
    candidates: &[usize],
    headers: &HeaderMap,
    stream: bool,
) -> Option<usize> {
    let is_stream =
        |i: &usize| essence(answers[*i].media_type).eq_ignore_ascii_case("text/event-stream");
    if stream {
        if let Some(index) = candidates.iter().copied().find(is_stream) {
            return Some(index);
        }
    }
    let accept: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let quality = |i: usize| {
        if accept.is_empty() {
            1.0
        } else {
            accept_quality(&accept, answers[i].media_type)
        }
    };
    // Best quality; among equals, not a stream first, then document order.
    let best = candidates.iter().copied().max_by(|a, b| {
        let key = |i: usize| (quality(i), !is_stream(&i));
        let (ka, kb) = (key(*a), key(*b));
        ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1)).then(b.cmp(a))
    })?;
    // Nothing acceptable: answer as if no `Accept` was sent (406 is not documented).
    if quality(best) > 0.0 {
        return Some(best);
    }
    candidates
        .iter()
        .copied()
        .find(|i| !is_stream(i))
        .or(candidates.first().copied())
}

/// The quality `Accept` gives `media_type`: that of the most specific range matching it
/// (`type/subtype` over `type/*` over `*/*`), 0 when none does.
pub(crate) fn accept_quality(accept: &[&str], media_type: &str) -> f32 {
    let media_type = essence(media_type);
    let (kind, subtype) = media_type.split_once('/').unwrap_or((media_type, ""));
    let mut best: Option<(u8, f32)> = None;
    for range in accept.iter().flat_map(|value| value.split(',')) {
        let mut pieces = range.split(';');
        let range = essence(pieces.next().unwrap_or_default());
        let Some((range_kind, range_subtype)) = range.split_once('/') else {
            continue;
        };
        let same_kind = range_kind.eq_ignore_ascii_case(kind);
        let specificity = if same_kind && range_subtype.eq_ignore_ascii_case(subtype) {
            2
        } else if same_kind && range_subtype == "*" {
            1
        } else if range_kind == "*" && range_subtype == "*" {
            0
        } else {
            continue;
        };
        let quality = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match best {
            Some((known, _)) if known >= specificity => {}
            _ => best = Some((specificity, quality)),
        }
    }
    best.map_or(0.0, |(_, quality)| quality)
}

/// The RFC 7240 preferences the mock honours (Prism's): `code=404`, `example=name`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    pub code: Option<u16>,
    pub example: Option<String>,
}

impl Preferences {
    /// Every `Prefer` header, each a comma-separated list of `name[=value][; params]`
    /// (values may be quoted); names are case-insensitive, the first of a name counts.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut out = Preferences::default();
        let values = headers.get_all("prefer").into_iter();
        for preference in values
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let preference = preference.split(';').next().unwrap_or_default();
            let (name, value) = preference.split_once('=').unwrap_or((preference, ""));
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "code" if out.code.is_none() => out.code = value.parse().ok(),
                "example" if out.example.is_none() && !value.is_empty() => {
                    out.example = Some(value.to_owned())
                }
                _ => {}
            }
        }
        out
    }
}
