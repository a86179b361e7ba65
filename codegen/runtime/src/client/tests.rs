//! The client runtime's pure parts, without a server.

use super::*;
use reqwest::header::HeaderValue;
use serde_json::json;

// The builder a generated crate defines, so the tests also check the macro expands.
// Not every method is called here.
#[allow(dead_code)]
mod builder {
    crate::client_builder!();
}
use builder::ClientBuilder;
use std::time::{Duration, SystemTime};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

#[test]
fn backoff_doubles_from_half_a_second_caps_at_eight_with_jitter() {
    let none = HeaderMap::new();
    let now = SystemTime::now();
    for (retry, full_ms) in [
        (0, 500),
        (1, 1000),
        (2, 2000),
        (3, 4000),
        (4, 8000),
        (5, 8000),
        (30, 8000),
    ] {
        for _ in 0..200 {
            let delay = retry_delay(&none, retry, now);
            let full = Duration::from_millis(full_ms);
            assert!(delay <= full, "retry {retry}: {delay:?}");
            assert!(delay >= full.mul_f64(0.75), "retry {retry}: {delay:?}");
        }
    }
    // Jitter: not always the same value.
    let delays: std::collections::BTreeSet<Duration> =
        (0..50).map(|_| retry_delay(&none, 1, now)).collect();
    assert!(delays.len() > 1);
}

#[test]
fn retry_after_headers_are_honoured_up_to_sixty_seconds() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let delay = |pairs: &[(&'static str, &str)]| retry_delay(&headers(pairs), 0, now);
    assert_eq!(
        delay(&[("retry-after-ms", "1500")]),
        Duration::from_millis(1500)
    );
    assert_eq!(delay(&[("retry-after", "3")]), Duration::from_secs(3));
    assert_eq!(
        delay(&[("retry-after", "0.25")]),
        Duration::from_millis(250)
    );
    // retry-after-ms wins over retry-after.
    assert_eq!(
        delay(&[("retry-after-ms", "10"), ("retry-after", "30")]),
        Duration::from_millis(10)
    );
    // An HTTP date, 7 s after `now`.
    let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
    assert_eq!(delay(&[("retry-after", &date)]), Duration::from_secs(7));
    // A date in the past: retry now.
    let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
    assert_eq!(delay(&[("retry-after", &past)]), Duration::ZERO);
    // Above 60 s, negative or unparsable: the backoff (≤ 0.5 s for the first retry).
    for pairs in [
        &[("retry-after", "61")][..],
        &[("retry-after-ms", "60001")],
        &[("retry-after", "-1")],
        &[("retry-after", "soon")],
    ] {
        let d = delay(pairs);
        assert!(
            d <= Duration::from_millis(500) && d >= Duration::from_millis(375),
            "{pairs:?}: {d:?}"
        );
    }
    assert_eq!(delay(&[("retry-after", "60")]), Duration::from_secs(60));
}

#[test]
fn error_kinds_and_retryability_follow_the_status() {
    use reqwest::StatusCode;
    let cases = [
        (400, ErrorKind::BadRequest),
        (401, ErrorKind::Unauthorized),
        (402, ErrorKind::PaymentRequired),
        (403, ErrorKind::Forbidden),
        (404, ErrorKind::NotFound),
        (409, ErrorKind::Conflict),
        (422, ErrorKind::UnprocessableEntity),
        (429, ErrorKind::RateLimited),
        (500, ErrorKind::InternalServer),
        (501, ErrorKind::NotImplemented),
        (503, ErrorKind::ServiceUnavailable),
        (418, ErrorKind::Other),
        (504, ErrorKind::Other),
    ];
    for (code, kind) in cases {
        assert_eq!(
            ErrorKind::from_status(StatusCode::from_u16(code).unwrap()),
            kind
        );
    }
    let api = |code: u16| {
        Error::<()>::Api(Box::new(ApiError {
            status: StatusCode::from_u16(code).unwrap(),
            kind: ErrorKind::from_status(StatusCode::from_u16(code).unwrap()),
            envelope: None,
            body: String::new(),
            request_id: None,
            headers: HeaderMap::new(),
        }))
    };
    for code in [408, 409, 429, 500, 502, 503, 504] {
        assert!(api(code).is_retryable(), "{code}");
    }
    for code in [400, 401, 402, 403, 404, 405, 410, 413, 422] {
        assert!(!api(code).is_retryable(), "{code}");
    }
    assert!(Error::<()>::Timeout.is_retryable());
    assert!(!Error::<()>::InvalidRequest("x".into()).is_retryable());
    // The server's `x-should-retry` overrides the status both ways; another value does not.
    let with = |code: u16, value: &str| {
        let mut error = api(code);
        if let Error::Api(api) = &mut error {
            api.headers = headers(&[("x-should-retry", value)]);
        }
        error
    };
    assert!(!with(503, "false").is_retryable());
    assert!(with(400, "true").is_retryable());
    assert!(with(503, "maybe").is_retryable());
    assert!(!with(404, "maybe").is_retryable());
}

fn pairs(value: serde_json::Value, style: QueryStyle, explode: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    query_pairs(&mut out, "p", &value, style, explode);
    out
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn query_parameters_follow_style_and_explode() {
    use QueryStyle::*;
    assert_eq!(pairs(json!(null), Form, true), owned(&[]));
    assert_eq!(pairs(json!("a b"), Form, true), owned(&[("p", "a b")]));
    assert_eq!(pairs(json!(5), Form, true), owned(&[("p", "5")]));
    assert_eq!(pairs(json!(true), Form, false), owned(&[("p", "true")]));
    let list = json!(["x", 2, null, "z"]);
    assert_eq!(
        pairs(list.clone(), Form, true),
        owned(&[("p", "x"), ("p", "2"), ("p", "z")])
    );
    assert_eq!(pairs(list.clone(), Form, false), owned(&[("p", "x,2,z")]));
    assert_eq!(
        pairs(list.clone(), SpaceDelimited, false),
        owned(&[("p", "x 2 z")])
    );
    assert_eq!(pairs(list, PipeDelimited, false), owned(&[("p", "x|2|z")]));
    assert_eq!(pairs(json!([]), Form, false), owned(&[]));
    // Object members in name order, whatever order the map keeps (null members dropped).
    let object = json!({"role": "admin", "age": 3, "gone": null});
    assert_eq!(
        pairs(object.clone(), Form, true),
        owned(&[("age", "3"), ("role", "admin")])
    );
    assert_eq!(
        pairs(object.clone(), Form, false),
        owned(&[("p", "age,3,role,admin")])
    );
    assert_eq!(
        pairs(object, DeepObject, true),
        owned(&[("p[age]", "3"), ("p[role]", "admin")])
    );
}

#[test]
fn path_parameters_are_encoded_per_style() {
    use PathStyle::*;
    assert_eq!(
        path_param("id", "a b/c", Simple, false).unwrap(),
        "a%20b%2Fc"
    );
    assert_eq!(
        path_param("id", "ünï-._~", Simple, false).unwrap(),
        "%C3%BCn%C3%AF-._~"
    );
    assert_eq!(path_param("id", &7, Simple, false).unwrap(), "7");
    assert_eq!(path_param("id", &["a", "b"], Simple, false).unwrap(), "a,b");
    assert_eq!(path_param("id", &["a", "b"], Label, false).unwrap(), ".a,b");
    assert_eq!(path_param("id", &["a", "b"], Label, true).unwrap(), ".a.b");
    assert_eq!(path_param("id", "x", Matrix, false).unwrap(), ";id=x");
    assert_eq!(
        path_param("id", &["a", "b"], Matrix, true).unwrap(),
        ";id=a;id=b"
    );
    assert_eq!(
        path_param("id", &json!({"k": "v w"}), Simple, true).unwrap(),
        "k=v%20w"
    );
    assert_eq!(
        path_param("id", &json!({"a": 1, "b": 2}), Matrix, true).unwrap(),
        ";a=1;b=2"
    );
    let error = path_param("id", &None::<String>, Simple, false).unwrap_err();
    assert!(error.contains("`id`"), "{error}");
}

#[test]
fn secrets_never_show() {
    let secret = Secret::new("sk-very-secret");
    assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    let credential = Credential::Basic {
        username: "me".into(),
        password: Secret::new("hunter2"),
    };
    assert!(!format!("{credential:?}").contains("hunter2"));
    let builder = ClientBuilder::new("http://127.0.0.1:1", &[])
        .credential("k", Credential::Token("sk-very-secret".into()))
        .default_header("authorization", "Bearer sk-very-secret");
    let shown = format!("{builder:?}");
    assert!(!shown.contains("sk-very-secret"), "{shown}");
}

#[test]
fn invalid_settings_fail_the_build_with_a_message() {
    let error = ClientBuilder::new("ftp//nope", &[])
        .build_transport()
        .unwrap_err();
    assert!(error.contains("invalid base URL"), "{error}");
    let error = ClientBuilder::new("http://127.0.0.1:1", &[])
        .default_header("x", "line\nbreak")
        .build_transport()
        .unwrap_err();
    assert!(error.contains("`x`"), "{error}");
    // A trailing slash on the base URL is dropped, so paths join with one slash.
    let transport = ClientBuilder::new("http://127.0.0.1:1/api/", &[])
        .build_transport()
        .unwrap();
    assert_eq!(transport.base_url(), "http://127.0.0.1:1/api");
}

#[test]
fn an_api_error_reads_as_a_sentence() {
    let error = |body: &str, id: Option<&str>| {
        Error::<serde_json::Value>::Api(Box::new(ApiError {
            status: StatusCode::NOT_FOUND,
            kind: ErrorKind::NotFound,
            envelope: None,
            body: body.to_owned(),
            request_id: id.map(str::to_owned),
            headers: HeaderMap::new(),
        }))
        .to_string()
    };
    assert_eq!(
        error(
            r#"{"error":{"code":"not_found","message":"No such file"}}"#,
            Some("req_1")
        ),
        "404 Not Found: No such file (code not_found, request id req_1)"
    );
    assert_eq!(
        error(r#"{"detail":"Gone","type":"about:blank"}"#, None),
        "404 Not Found: Gone (code about:blank)"
    );
    assert_eq!(error("plain text", None), "404 Not Found: plain text");
    assert_eq!(error("", Some("r")), "404 Not Found (request id r)");
}
