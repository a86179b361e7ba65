use super::*;
use crate::validate;

fn parts(headers: &[(&str, &str)], uri: &str) -> Parts {
    let mut builder = axum::http::Request::builder().uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

const BEARER: &[SecurityScheme] = &[SecurityScheme {
    name: "bearer",
    kind: SchemeKind::Bearer,
}];
const KEY: &[SecurityScheme] = &[SecurityScheme {
    name: "key",
    kind: SchemeKind::Query("api_key"),
}];

fn found(
    headers: &[(&str, &str)],
    uri: &str,
    requirement: Requirement,
) -> Result<Option<(String, String)>, StatusCode> {
    let parts = parts(headers, uri);
    credential(&parts, requirement)
        .map(|c| c.map(|c| (c.scheme.to_owned(), c.value.to_owned())))
        .map_err(|r| r.status())
}

#[test]
fn credentials_by_scheme() {
    let bearer = found(&[("authorization", "bearer abc")], "/", &[BEARER]);
    assert_eq!(bearer, Ok(Some(("bearer".into(), "abc".into()))));
    let missing = found(&[("authorization", "Basic abc")], "/", &[BEARER]);
    assert_eq!(missing, Err(StatusCode::UNAUTHORIZED));
    let empty = found(&[("authorization", "Bearer ")], "/", &[BEARER]);
    assert_eq!(empty, Err(StatusCode::UNAUTHORIZED));
    let second = found(&[], "/?api_key=k", &[BEARER, KEY]);
    assert_eq!(second, Ok(Some(("key".into(), "k".into()))));
    let optional = found(&[], "/", &[BEARER, &[]]);
    assert_eq!(optional, Ok(None));
}

#[test]
fn request_ids_echo_sane_values_and_make_unique_ones() {
    let given = parts(&[("x-request-id", "abc-1")], "/");
    assert_eq!(RequestId::from_headers(&given.headers).as_str(), "abc-1");
    let none = parts(&[], "/");
    let a = RequestId::from_headers(&none.headers);
    let b = RequestId::from_headers(&none.headers);
    assert_ne!(a, b);
    assert!(a.as_str().starts_with("req_"));
}

#[test]
fn json_errors_are_400_or_422_with_the_field() {
    #[derive(Debug, Deserialize)]
    struct Item {
        count: i64,
    }
    impl Validate for Item {
        fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
            validate::minimum(at.field("count"), self.count as f64, 1.0, false)
        }
    }
    let status = |text: &str| parse_json::<Vec<Item>>(text.as_bytes()).unwrap_err();
    assert_eq!(status("[{").status(), StatusCode::BAD_REQUEST);
    assert_eq!(status("[] x").status(), StatusCode::BAD_REQUEST);
    let wrong = status(r#"[{"count": 1}, {"count": "x"}]"#);
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.problem().field.as_deref(), Some("body/1/count"));
    let missing = status(r#"[{}]"#);
    let array_for_object = status(r#"[[1]]"#);
    assert_eq!(array_for_object.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(array_for_object.problem().field.as_deref(), Some("body/0"));
    assert!(
        missing.problem().message.contains("missing field `count`"),
        "{missing:?}"
    );
    let whole = parse_json::<Vec<Item>>(br#"[{"count": 2.0}]"#).unwrap();
    assert_eq!(whole[0].count, 2);
    // Exact only with serde_json's float_roundtrip (the `server` feature turns it on).
    let long = parse_json::<Vec<Item>>(br#"[{"count": 2251799813685247.0}]"#).unwrap();
    assert_eq!(long[0].count, 2_251_799_813_685_247);
    let fraction = status(r#"[{"count": 2.5}]"#);
    assert_eq!(fraction.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let small = status(r#"[{"count": 0}]"#);
    assert_eq!(small.problem().field.as_deref(), Some("body/0/count"));
    assert_eq!(small.problem().message, "body/0/count: must be at least 1");
}

#[tokio::test]
async fn bodies_are_read_by_kind_and_media_type() {
    let limits = Limits::default();
    let request = |content_type: Option<&str>, body: &'static str| {
        let mut builder = axum::http::Request::builder()
            .uri("/")
            .header("content-length", body.len());
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        builder.body(Body::from(body)).unwrap().into_parts()
    };
    let json = JsonBody::<serde_json::Value>::new;

    let (parts, body) = request(Some("application/json"), "hi");
    let wrong = TextBody(Some("text/plain")).read_parsed(&parts, body, limits);
    let wrong = wrong.await.unwrap_err();
    assert_eq!(wrong.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (parts, body) = request(Some("text/plain"), "hi");
    let text = TextBody(Some("text/plain")).read_parsed(&parts, body, limits);
    let (text, overflow) = text.await.unwrap();
    assert_eq!((text.as_str(), overflow.is_none()), ("hi", true));

    let (parts, body) = request(None, "");
    let absent = OptionalBody(json()).read_parsed(&parts, body, limits);
    assert!(absent.await.unwrap().0.is_none());
    let (parts, body) = request(Some("application/json"), r#"{"a":1}"#);
    let present = OptionalBody(json()).read_parsed(&parts, body, limits);
    assert_eq!(present.await.unwrap().0.unwrap()["a"], 1);
    let (parts, body) = request(Some("application/json"), r#"{"a":1}"#);
    let small = Limits {
        body: 3,
        upload: 3,
        ..Limits::default()
    };
    let large = json().read_parsed(&parts, body, small).await.unwrap_err();
    assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (parts, body) = request(Some("application/json"), "{");
    let malformed = json().read_parsed(&parts, body, limits).await.unwrap_err();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    let (parts, body) = request(Some("application/octet-stream"), "bytes");
    let stream = StreamBody(Some("application/octet-stream")).read_parsed(&parts, body, limits);
    let (stream, overflow) = stream.await.unwrap();
    assert!(overflow.is_some_and(|o| !o.happened()));
    assert_eq!(&stream.bytes().await.unwrap()[..], b"bytes");
    let (parts, body) = request(Some("image/png"), "bytes");
    let any = StreamBody(None).read_parsed(&parts, body, limits).await;
    assert!(any.is_ok());
}

#[test]
fn media_types_match_by_essence() {
    let json = parts(&[("content-type", "Application/JSON; charset=utf-8")], "/");
    assert!(media_type_is(&json, "application/json"));
    let problem = parts(&[("content-type", "application/problem+json")], "/");
    assert!(media_type_is(&problem, "application/json"));
    assert!(!media_type_is(&problem, "multipart/form-data"));
    let text = parts(&[("content-type", "text/plain")], "/");
    assert!(!media_type_is(&text, "application/json"));
    assert!(media_type_is(&text, "TEXT/plain"));
}

#[test]
fn parameters_parse_by_type() {
    assert_eq!(parse_from_str::<i32>("12"), Ok(12));
    assert_eq!(
        parse_from_str::<i32>("x"),
        Err("`x` is not a valid integer".to_owned())
    );
    #[derive(Debug, PartialEq, Deserialize)]
    enum Order {
        #[serde(rename = "asc")]
        Asc,
    }
    assert_eq!(parse_serde::<Order>("asc"), Ok(Order::Asc));
    assert!(parse_serde::<Order>("up").is_err());
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    parts(pairs, "/").headers
}

#[test]
fn preferences_as_prism_reads_them() {
    let read = |pairs: &[(&str, &str)]| Preferences::from_headers(&headers(pairs));
    assert_eq!(read(&[]), Preferences::default());
    let both = read(&[("prefer", "code=404, example=\"missing one\"")]);
    assert_eq!(both.code, Some(404));
    assert_eq!(both.example.as_deref(), Some("missing one"));
    let split = read(&[
        ("Prefer", "Code=201; x=y"),
        ("prefer", "example=a, code=500"),
    ]);
    assert_eq!(
        (split.code, split.example.as_deref()),
        (Some(201), Some("a"))
    );
    assert_eq!(
        read(&[("prefer", "return=minimal, code=abc")]),
        Preferences::default()
    );
}

#[test]
fn accept_ranks_by_the_most_specific_range() {
    let q = |accept: &str, media: &str| accept_quality(&[accept], media);
    assert_eq!(q("text/event-stream", "text/event-stream"), 1.0);
    assert_eq!(q("text/event-stream", "application/json"), 0.0);
    assert_eq!(
        q("*/*;q=0.1, application/json;q=0.5", "application/json"),
        0.5
    );
    assert_eq!(
        q("*/*;q=0.1, application/json;q=0.5", "text/event-stream"),
        0.1
    );
    assert_eq!(
        q("text/*;q=0.3, */*", "text/event-stream; charset=utf-8"),
        0.3
    );
}

const ONE: &[MockExample] = &[MockExample::new("", &["1"])];
const TWO: &[MockExample] = &[MockExample::new("", &["2"]), MockExample::new("b", &["3"])];
const ANSWERS: &[MockAnswer] = &[
    MockAnswer::new(MockStatus::Code(404), "application/json", ONE),
    MockAnswer::new(MockStatus::Code(201), "application/json", TWO),
    MockAnswer::new(MockStatus::Code(201), "text/event-stream", ONE),
    MockAnswer::new(MockStatus::Range(4), "application/json", ONE),
    MockAnswer::new(MockStatus::Default, "application/json", ONE),
];

fn chosen(pairs: &[(&str, &str)], stream: bool) -> (usize, u16, &'static str) {
    let choice = MockChoice::new(ANSWERS, &headers(pairs), stream).unwrap();
    let part = choice.example.map_or("", |e| e.parts[0]);
    (choice.index, choice.status.as_u16(), part)
}

#[test]
fn the_mock_answers_what_is_asked_for() {
    // The first 2xx, not the first answer; JSON unless a stream is asked for.
    assert_eq!(chosen(&[], false), (1, 201, "2"));
    assert_eq!(chosen(&[], true), (2, 201, "1"));
    assert_eq!(
        chosen(&[("accept", "text/event-stream")], false),
        (2, 201, "1")
    );
    assert_eq!(
        chosen(
            &[("accept", "application/json, text/event-stream;q=0.5")],
            false
        ),
        (1, 201, "2")
    );
    assert_eq!(chosen(&[("accept", "*/*")], false), (1, 201, "2"));
    assert_eq!(chosen(&[("accept", "text/html")], false), (1, 201, "2"));
    // A named example; an unknown name gets the first.
    assert_eq!(chosen(&[("prefer", "example=b")], false), (1, 201, "3"));
    assert_eq!(chosen(&[("prefer", "example=zz")], false), (1, 201, "2"));
    // A documented code, then a range, then `default`, each with the code asked for.
    assert_eq!(chosen(&[("prefer", "code=404")], false), (0, 404, "1"));
    assert_eq!(chosen(&[("prefer", "code=418")], false), (3, 418, "1"));
    assert_eq!(chosen(&[("prefer", "code=503")], false), (4, 503, "1"));
    assert_eq!(
        chosen(&[("prefer", "code=201, example=b")], false),
        (1, 201, "3")
    );
    // Not a status at all: answered as if not asked.
    assert_eq!(chosen(&[("prefer", "code=1000")], false), (1, 201, "2"));
    assert!(MockChoice::new(&[], &HeaderMap::new(), false).is_none());
}

#[test]
fn without_2xx_the_first_documented_answer() {
    const ERRORS: &[MockAnswer] = &[
        MockAnswer::new(MockStatus::Range(2), "", &[]),
        MockAnswer::new(MockStatus::Default, "application/json", ONE),
    ];
    let range = MockChoice::new(ERRORS, &HeaderMap::new(), false).unwrap();
    assert_eq!(
        (range.index, range.status, range.example.is_none()),
        (0, StatusCode::OK, true)
    );
    let only_default = MockChoice::new(&ERRORS[1..], &HeaderMap::new(), false).unwrap();
    assert_eq!(
        (only_default.index, only_default.status),
        (0, StatusCode::OK)
    );
}

#[tokio::test]
async fn mock_examples_become_bodies_and_events() {
    let choice = MockChoice::new(ANSWERS, &HeaderMap::new(), true).unwrap();
    assert_eq!(choice.json::<i64>(), Some(1));
    assert_eq!(
        choice.json::<String>(),
        None,
        "an example that does not fit its type"
    );
    let events = choice.events::<i64>().unwrap();
    let response = events.into_response_with::<DefaultErrorEnvelope>(StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(body, "data: 1\n\ndata: [DONE]\n\n");
    assert_eq!(mock_value::<i32>("60"), Some(60));
}

#[test]
fn json_nesting_is_bounded_before_parsing() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(!nests_too_deep(nested(MAX_DEPTH).as_bytes()));
    assert!(nests_too_deep(nested(MAX_DEPTH + 1).as_bytes()));
    // Brackets in strings, escaped quotes among them, are text.
    let quoted = format!(r#"["\"{}\\", "{}"]"#, "[".repeat(100), "{".repeat(100));
    assert!(!nests_too_deep(quoted.as_bytes()));
    let objects = format!(
        "{}1{}",
        r#"{"a":"}","b":["#.repeat(MAX_DEPTH / 2 + 1),
        "]}".repeat(MAX_DEPTH / 2 + 1)
    );
    assert!(nests_too_deep(objects.as_bytes()));

    #[derive(Debug, Deserialize)]
    struct Tree(Vec<Tree>);
    impl Validate for Tree {}
    let deepest = parse_json::<Tree>(nested(MAX_DEPTH).as_bytes()).unwrap();
    assert_eq!(deepest.0.len(), 1);
    // Far past serde_json's own limit: refused by the count, naming the limit.
    let hostile = parse_json::<Tree>(nested(100_000).as_bytes()).unwrap_err();
    assert_eq!(hostile.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        hostile.problem().message,
        format!("the body nests deeper than the limit of {MAX_DEPTH} levels of arrays and objects")
    );
    assert!(parse_serde::<Tree>(&nested(MAX_DEPTH)).is_ok());
    assert!(parse_serde::<Tree>(&nested(100_000))
        .unwrap_err()
        .contains("deeper than the limit"));
}

#[test]
fn secrets_compare_equal_only_when_equal() {
    assert!(constant_time_eq(b"sk-1234", b"sk-1234"));
    assert!(!constant_time_eq(b"sk-1234", b"sk-1235"));
    assert!(!constant_time_eq(b"xk-1234", b"sk-1234"));
    assert!(!constant_time_eq(b"sk-123", b"sk-1234"));
    assert!(constant_time_eq(b"", b""));
}

/// A multipart body of `(name, file name, contents)` parts, `closed` with the last boundary.
fn multipart(parts: &[(&str, Option<&str>, &[u8])], closed: bool) -> (Parts, Body) {
    let mut body = Vec::new();
    for (name, file_name, contents) in parts {
        let file_name = file_name.map_or(String::new(), |f| format!("; filename=\"{f}\""));
        body.extend_from_slice(
            format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"{file_name}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(contents);
        body.extend_from_slice(b"\r\n");
    }
    if closed {
        body.extend_from_slice(b"--B--\r\n");
    }
    let request = axum::http::Request::builder()
        .header("content-type", "multipart/form-data; boundary=B")
        .body(Body::from(body))
        .unwrap();
    request.into_parts()
}

#[tokio::test]
async fn file_parts_past_the_memory_limit_are_read_back_from_a_temporary_file() {
    let limits = Limits {
        file_memory: 1000,
        ..Limits::default()
    };
    let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let small = vec![7u8; 600];
    let (parts, body) = multipart(
        &[
            ("a", Some("small.bin"), &small),
            ("b", Some("big.bin"), &big),
            // 600 + 600 is past the limit: the form's files share it.
            ("c", Some("small2.bin"), &small),
            ("t", None, b"text"),
        ],
        true,
    );
    let (mut form, _) = Multipart::new(&parts, body, limits).unwrap();
    let mut files = Vec::new();
    while let Some(part) = form.next_part().await.unwrap() {
        if part.name() == "t" {
            let text = part.value(parse_string, 100).await.unwrap();
            assert_eq!(text, "text");
        } else {
            files.push(part.file().await.unwrap());
        }
    }
    let on_disk: Vec<bool> = files.iter().map(FilePart::is_on_disk).collect();
    assert_eq!(on_disk, [false, true, true]);
    assert_eq!(files[1].size(), 5000);
    assert_eq!(files[1].file_name.as_deref(), Some("big.bin"));
    let mut contents = Vec::new();
    for file in files {
        contents.push(file.bytes().await.unwrap());
    }
    assert_eq!(contents, [&small[..], &big[..], &small[..]]);
}

#[tokio::test]
async fn a_multipart_body_without_its_closing_boundary_is_malformed() {
    let (parts, body) = multipart(&[("f", Some("f.bin"), b"data")], false);
    let (mut form, _) = Multipart::new(&parts, body, Limits::default()).unwrap();
    let mut error = None;
    loop {
        match form.next_part().await {
            Ok(Some(part)) => {
                if let Err(e) = part.file().await {
                    error = Some(e);
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let error = error.expect("an unterminated body is an error");
    assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{error:?}");
}

#[tokio::test]
async fn a_form_holds_at_most_a_hundred_temporary_files() {
    let limits = Limits {
        file_memory: 0,
        ..Limits::default()
    };
    let parts: Vec<(&str, Option<&str>, &[u8])> = vec![("f", Some("f"), b"x"); 101];
    let (parts, body) = multipart(&parts, true);
    let (mut form, _) = Multipart::new(&parts, body, limits).unwrap();
    let mut files = Vec::new();
    let error = loop {
        match form.next_part().await.unwrap() {
            Some(part) => match part.file().await {
                Ok(file) => files.push(file),
                Err(e) => break e,
            },
            None => panic!("the 101st file is refused"),
        }
    };
    assert_eq!(files.len(), 100);
    assert!(files.iter().all(FilePart::is_on_disk));
    assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn opening_brackets_are_counted_eight_bytes_at_a_time() {
    let text = r#"{"a":[1,{"b":"[{x"}],"c":{}} [{[ ; { K"#;
    let expected = text.bytes().filter(|&b| b == b'[' || b == b'{').count();
    for start in 0..8 {
        let slice = &text.as_bytes()[start..];
        let want = slice.iter().filter(|&&b| b == b'[' || b == b'{').count();
        assert_eq!(super::json::opening_brackets(slice), want, "from {start}");
    }
    assert_eq!(super::json::opening_brackets(text.as_bytes()), expected);
    assert_eq!(super::json::opening_brackets(&[0x5b; 100]), 100);
    assert_eq!(
        super::json::opening_brackets(&[0xdb, 0xfb, 0x5a, 0x7c, 0x1b, 0x3b, 0x4b, 0x6b, 0x7b]),
        1
    );
}
