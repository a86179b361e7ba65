//! Every parameter layout the generated client writes, the generated server reads back to
//! the same value: path (simple, label, matrix; scalars, arrays, objects, exploded or not),
//! query (form, spaceDelimited, pipeDelimited, deepObject; exploded form objects), headers
//! and cookies (arrays and objects). Real HTTP over 127.0.0.1, the fixtures' own client and
//! server.

use codegen_tests::fixtures::{constructs, requests};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// What the server's handlers received, `Debug`-printed in call order.
#[derive(Default)]
struct Received(Mutex<Vec<String>>);

impl Received {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

mod constructs_server {
    use super::Received;
    use codegen_tests::fixtures::constructs::{models, server::*};

    impl ConstructsApi for Received {
        type Claims = ();

        async fn authenticate(&self, _: Credential<'_>) -> Result<(), Rejection> {
            Ok(())
        }

        async fn bounded_search(
            &self,
            _: RequestContext<()>,
            params: BoundedSearchParams,
        ) -> BoundedSearchResponse {
            self.push(format!("{params:?}"));
            BoundedSearchResponse::Ok(Vec::new())
        }

        async fn simple_path(
            &self,
            _: RequestContext<()>,
            id: i64,
            ids: Vec<String>,
            idx: Vec<String>,
            r#box: models::Filter,
            boxx: models::Filter,
        ) -> SimplePathResponse {
            self.push(format!("{id:?} {ids:?} {idx:?} {box:?} {boxx:?}"));
            SimplePathResponse::NoContent
        }

        async fn label_path(
            &self,
            _: RequestContext<()>,
            one: String,
            many: Vec<String>,
            manyx: Vec<String>,
            obj: models::Filter,
            objx: models::Filter,
        ) -> LabelPathResponse {
            self.push(format!("{one:?} {many:?} {manyx:?} {obj:?} {objx:?}"));
            LabelPathResponse::NoContent
        }

        async fn matrix_path(
            &self,
            _: RequestContext<()>,
            one: String,
            many: Vec<String>,
            manyx: Vec<String>,
            obj: models::Filter,
            objx: models::Filter,
        ) -> MatrixPathResponse {
            self.push(format!("{one:?} {many:?} {manyx:?} {obj:?} {objx:?}"));
            MatrixPathResponse::NoContent
        }
    }
}

mod requests_server {
    use super::Received;
    use codegen_tests::fixtures::requests::server::*;

    impl ClientApi for Received {
        type Claims = ();

        async fn authenticate(&self, _: Credential<'_>) -> Result<(), Rejection> {
            Ok(())
        }

        async fn search(
            &self,
            _: RequestContext<()>,
            kind: String,
            params: SearchParams,
        ) -> SearchResponse {
            self.push(format!("{kind:?} {params:?}"));
            SearchResponse::Ok(String::new())
        }
    }
}

fn filter(kind: &str, limit: i64) -> constructs::models::Filter {
    constructs::models::Filter {
        kind: Some(kind.into()),
        limit: Some(limit),
    }
}

#[tokio::test]
async fn every_path_style_reads_back_what_the_client_wrote() {
    let received = Arc::new(Received::default());
    let base = serve(constructs::server::router(received.clone())).await;
    let client = constructs::client::Client::builder()
        .base_url(format!("http://{base}"))
        .oauth("token")
        .build()
        .unwrap();
    let items: Vec<String> = vec!["a".into(), "b-c".into(), "d".into()];
    let (one, two) = (filter("k", 7), filter("x y", -2));
    client
        .simple_path(42, &items, &items, &one, &two)
        .await
        .unwrap();
    client
        .label_path("label me", &items, &items, &one, &two)
        .await
        .unwrap();
    client
        .matrix_path("m", &items, &items, &one, &two)
        .await
        .unwrap();
    let shown = |first: &str| format!("{first} {items:?} {items:?} {one:?} {two:?}");
    assert_eq!(
        received.take(),
        [shown("42"), shown("\"label me\""), shown("\"m\"")]
    );
}

#[tokio::test]
async fn every_query_header_and_cookie_layout_reads_back_what_the_client_wrote() {
    let received = Arc::new(Received::default());
    let base = serve(constructs::server::router(received.clone())).await;
    let client = constructs::client::Client::builder()
        .base_url(format!("http://{base}"))
        .oauth("token")
        .build()
        .unwrap();
    let full = constructs::params::BoundedSearchParams {
        code: "ABC".into(),
        small: Some(3),
        open_small: Some(9),
        large: Some(-4_000_000_000),
        open_large: Some(1),
        ratio: Some(1.5),
        open_ratio: Some(0.5),
        exact: Some(true),
        since: Some("2026-12-05T10:00:00Z".into()),
        step: Some(0.75),
        page_size: Some(30),
        offset: Some(200),
        legacy: Some("old & new".into()),
        filter: Some(filter("exploded", 3)),
        window: Some(filter("flat", 4)),
        x_tags: vec!["t1".into(), "t2".into()],
        x_ids: Some(vec![1, 2, 3]),
        x_filter: Some(filter("h", 5)),
        x_filter_exploded: Some(filter("hx", 6)),
        session: "s-1".into(),
        flavours: Some(vec!["vanilla".into(), "mint".into()]),
        sizes: Some(vec!["s".into(), "m".into()]),
        prefs: Some(filter("p", 8)),
        prefs_flat: Some(filter("pf", 9)),
    };
    // Everything set, then only what is required: absent optional values stay absent.
    let bare = constructs::params::BoundedSearchParams {
        code: "AB".into(),
        x_tags: vec!["only".into()],
        session: "s-2".into(),
        ..Default::default()
    };
    for params in [&full, &bare] {
        // The fixture marks the operation deprecated (to reach `#[deprecated]`).
        #[allow(deprecated)]
        client.bounded_search(params).await.unwrap();
    }
    assert_eq!(received.take(), [format!("{full:?}"), format!("{bare:?}")]);

    let received = Arc::new(Received::default());
    let base = serve(requests::server::router(received.clone())).await;
    let client = requests::client::Client::builder()
        .base_url(format!("http://{base}"))
        .key_header("k")
        .key_query("k")
        .key_cookie("k")
        .build()
        .unwrap();
    let params = requests::params::SearchParams {
        tags: Some(vec!["a".into(), "b c".into()]),
        ids: Some(vec![1, 2, 3]),
        words: Some(vec!["x".into(), "y".into()]),
        filter: Some(
            serde_json::from_value(serde_json::json!({"color": "red", "size": 2})).unwrap(),
        ),
        session: Some("s1".into()),
        page: 2,
    };
    client.search("kind", &params).await.unwrap();
    assert_eq!(received.take(), [format!("\"kind\" {params:?}")]);
}

mod real_documents_server {
    use super::Received;
    use codegen_tests::fixtures::real_documents::{models, server::*};

    impl WhatApi for Received {
        async fn charges_create(
            &self,
            _: RequestContext<()>,
            body: models::Charge,
        ) -> ChargesCreateResponse {
            self.push(format!("{body:?}"));
            ChargesCreateResponse::Ok(body)
        }

        async fn charges_list(
            &self,
            _: RequestContext<()>,
            params: ChargesListParams,
        ) -> ChargesListResponse {
            self.push(format!("{params:?}"));
            ChargesListResponse::Ok(String::new())
        }
    }
}

/// Stripe's bodies: form-encoded, nested objects and arrays in brackets.
#[tokio::test]
async fn form_bodies_with_nested_values_read_back_what_the_client_wrote() {
    use codegen_tests::fixtures::real_documents::{client, models};
    let received = Arc::new(Received::default());
    let base = serve(codegen_tests::fixtures::real_documents::server::router(
        received.clone(),
    ))
    .await;
    let client = client::Client::new(format!("http://{base}")).unwrap();
    let charge = models::Charge {
        amount: 2000,
        currency: Some("eur & more".into()),
        capture: Some(false),
        statement_descriptor: None,
        metadata: Some([("order".to_owned(), "7".to_owned())].into()),
        items: Some(vec![
            models::ChargeItemsItem {
                price: Some("price_1".into()),
                quantity: Some(2),
            },
            models::ChargeItemsItem {
                price: Some("price_2".into()),
                quantity: None,
            },
        ]),
    };
    let echoed = client.charges_create(&charge).await.unwrap().into_inner();
    assert_eq!(echoed, charge);
    assert_eq!(received.take(), [format!("{charge:?}")]);

    // What Stripe's own clients send, by hand; and a value that breaks the schema.
    let http = reqwest::Client::new();
    let post = |body: &'static str| {
        http.post(format!("http://{base}/charges"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let response = post("amount=5&metadata[a]=b&items[0][price]=p&items[0][quantity]=3")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = post("amount=0").await.unwrap();
    assert_eq!(response.status(), 400, "minimum 1, in the operation's 400");
    let response = post("amount=many").await.unwrap();
    assert_eq!(response.status(), 400);
    // A union's branch keeps its own constraints: `maxLength: 10` of the string branch.
    let response = post("amount=5&statement_descriptor=").await.unwrap();
    assert_eq!(response.status(), 200);
    let response = post("amount=5&statement_descriptor=0123456789")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = post("amount=5&statement_descriptor=0123456789x")
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

/// Stripe's list filters: deepObject unions of a range and a time, nested a level deeper.
#[tokio::test]
async fn deep_object_unions_and_nesting_read_back_what_the_client_wrote() {
    use codegen_tests::fixtures::real_documents::{client, models, params::ChargesListParams};
    let received = Arc::new(Received::default());
    let base = serve(codegen_tests::fixtures::real_documents::server::router(
        received.clone(),
    ))
    .await;
    let client = client::Client::new(format!("http://{base}")).unwrap();
    let range = |gt, lte| {
        models::RangeOrTime::RangeQuerySpecs(models::RangeOrTimeRangeQuerySpecs {
            gt: Some(gt),
            lte,
            ..Default::default()
        })
    };
    let sent = [
        ChargesListParams {
            created: Some(range(1, Some(9))),
            status_transitions: Some(models::ChargesListStatusTransitions {
                posted_at: Some(range(2, None)),
            }),
        },
        ChargesListParams {
            created: Some(models::RangeOrTime::Integer(1_700_000_000)),
            status_transitions: Some(models::ChargesListStatusTransitions {
                posted_at: Some(models::RangeOrTime::Integer(0)),
            }),
        },
        ChargesListParams::default(),
    ];
    for params in &sent {
        client.charges_list(params).await.unwrap();
    }
    let expected: Vec<String> = sent.iter().map(|p| format!("{p:?}")).collect();
    assert_eq!(received.take(), expected);

    // As Stripe's own clients and schemathesis spell them, and values that break the type.
    let http = reqwest::Client::new();
    for (query, status) in [
        ("created[gte]=3&status_transitions[posted_at]=0", 200),
        ("created=5&status_transitions[posted_at][lt]=7", 200),
        ("created[gte]=soon", 422),
        ("status_transitions[posted_at][gt]=x", 422),
        ("created=yesterday", 422),
    ] {
        let response = http
            .get(format!("http://{base}/charges?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{query}");
    }
    assert_eq!(received.take().len(), 2);
}

mod form_encoding_server {
    use super::Received;
    use codegen_tests::fixtures::form_encoding::{models, server::*};

    impl FormApi for Received {
        async fn create_thing(
            &self,
            _: RequestContext<()>,
            body: models::Thing,
        ) -> CreateThingResponse {
            self.push(format!("{body:?}"));
            CreateThingResponse::Ok(body)
        }

        async fn loose_encoding(
            &self,
            _: RequestContext<()>,
            body: Option<models::LooseEncodingRequest>,
        ) -> LooseEncodingResponse {
            self.push(format!("{body:?}"));
            LooseEncodingResponse::NoContent
        }
    }
}

/// A form body laid out by the document's `encoding`, one property per style (and JSON
/// text, reserved characters, brackets where there is no entry): what the client writes,
/// the server reads back.
#[tokio::test]
async fn form_bodies_laid_out_by_their_encoding_read_back_what_the_client_wrote() {
    use codegen_tests::fixtures::form_encoding::{client, models, server};
    let received = Arc::new(Received::default());
    let base = serve(server::router(received.clone())).await;
    let client = client::Client::new(format!("http://{base}")).unwrap();
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let full = models::Thing {
        tags: strings(&["a&b", "c=d", "e+f", "ü", "g h"]),
        words: Some(strings(&["one", "two|2", "3,three"])),
        ids: Some(vec![1, -2, 3]),
        repeated: Some(strings(&["x,y", "z"])),
        color: Some([("R".to_owned(), 100), ("G".to_owned(), 200)].into()),
        size: Some(models::ThingSize {
            w: Some(1),
            h: Some(2),
        }),
        filter: Some(models::ThingFilter {
            kind: Some("k|1,2".into()),
            limit: Some(3),
        }),
        meta: Some(models::ThingMeta {
            note: Some("a, b & \"c\"".into()),
            level: Some(7),
            marks: Some(vec![models::ThingMetaMarksItem { on: Some(true) }]),
        }),
        link: Some("https://x.test/a?b=c&d=e+f#g".into()),
        plain: Some(strings(&["p,1", "q"])),
    };
    // Only the required array, empty: `tags=` is an array of none.
    let bare = models::Thing {
        tags: Vec::new(),
        size: Some(models::ThingSize::default()),
        ..Default::default()
    };
    for thing in [&full, &bare] {
        let echoed = client.create_thing(thing).await.unwrap().into_inner();
        assert_eq!(&echoed, thing);
    }
    assert_eq!(received.take(), [format!("{full:?}"), format!("{bare:?}")]);
    let loose = models::LooseEncodingRequest {
        name: Some("n".into()),
        labels: Some(strings(&["l,1", "l 2"])),
        point: Some(models::LooseEncodingRequestPoint { x: Some(4) }),
        ..Default::default()
    };
    client.loose_encoding(Some(&loose)).await.unwrap();
    client.loose_encoding(None).await.unwrap();
    assert_eq!(
        received.take(),
        [format!("{:?}", Some(&loose)), "None".into()]
    );

    // On the wire, each property as its entry says.
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let capture = axum::Router::new().route(
        "/things",
        axum::routing::post(move |body: String| async move {
            seen.lock().unwrap().push(body);
            axum::Json(serde_json::json!({"tags": []}))
        }),
    );
    let raw = client::Client::new(format!("http://{}", serve(capture).await)).unwrap();
    raw.create_thing(&full).await.unwrap();
    let body = bodies.lock().unwrap().pop().unwrap();
    let pairs: Vec<&str> = body.split('&').collect();
    for pair in [
        "tags=a%26b,c%3Dd,e%2Bf,%C3%BC,g%20h",
        "words=one%20two%7C2%203%2Cthree",
        "ids=1|-2|3",
        "repeated=x%2Cy",
        "repeated=z",
        "color=G,200,R,100",
        "size=h|2|w|1",
        "meta=%7B%22note%22%3A%22a%2C%20b%20%26%20%5C%22c%5C%22%22%2C%22level%22%3A7%2C%22marks%22%3A%5B%7B%22on%22%3Atrue%7D%5D%7D",
        "link=https://x.test/a?b=c%26d=e%2Bf#g",
    ] {
        assert!(pairs.contains(&pair), "{pair} in {body}");
    }
    // Without an entry (and deepObject): brackets, as without `encoding`.
    for pair in ["plain[0]=p%2C1", "plain[1]=q", "filter[limit]=3"] {
        assert!(pairs.contains(&pair), "{pair} in {body}");
    }
}

/// Bodies written by hand as the document's `encoding` says, and the bracket and
/// repeated-key spellings the server also reads; malformed ones are 422 naming the member.
#[tokio::test]
async fn form_bodies_by_hand_are_read_as_their_encoding_says() {
    use codegen_tests::fixtures::form_encoding::server;
    let received = Arc::new(Received::default());
    let base = serve(server::router(received.clone())).await;
    let http = reqwest::Client::new();
    let post = |body: &'static str| {
        let request = http
            .post(format!("http://{base}/things"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let json: serde_json::Value = response.json().await.unwrap();
            (status, json)
        }
    };
    let read = [
        ("tags=a,b,c", serde_json::json!({"tags": ["a", "b", "c"]})),
        ("tags=a&tags=b", serde_json::json!({"tags": ["a", "b"]})),
        ("tags[]=a&tags[]=b", serde_json::json!({"tags": ["a", "b"]})),
        (
            "tags[1]=b&tags[0]=a",
            serde_json::json!({"tags": ["a", "b"]}),
        ),
        (
            "tags=&words=a%20b",
            serde_json::json!({"tags": [], "words": ["a", "b"]}),
        ),
        (
            "tags=&words=a+b",
            serde_json::json!({"tags": [], "words": ["a", "b"]}),
        ),
        (
            "tags=&ids=1|2|3",
            serde_json::json!({"tags": [], "ids": [1, 2, 3]}),
        ),
        (
            "tags=&ids=1%7C2",
            serde_json::json!({"tags": [], "ids": [1, 2]}),
        ),
        (
            "tags=&repeated=a,b&repeated=c",
            serde_json::json!({"tags": [], "repeated": ["a,b", "c"]}),
        ),
        (
            "tags=&color=R,100,G,200",
            serde_json::json!({"tags": [], "color": {"G": 200, "R": 100}}),
        ),
        (
            "tags=&color[R]=1",
            serde_json::json!({"tags": [], "color": {"R": 1}}),
        ),
        (
            "tags=&size=w|1|h|2",
            serde_json::json!({"tags": [], "size": {"w": 1, "h": 2}}),
        ),
        (
            "tags=&filter[kind]=k&filter[limit]=3",
            serde_json::json!({"tags": [], "filter": {"kind": "k", "limit": 3}}),
        ),
        (
            "tags=&meta=%7B%22level%22%3A2%2C%22marks%22%3A%5B%7B%22on%22%3Afalse%7D%5D%7D",
            serde_json::json!({"tags": [], "meta": {"level": 2, "marks": [{"on": false}]}}),
        ),
        (
            "tags=&link=https://x.test/?a=b",
            serde_json::json!({"tags": [], "link": "https://x.test/?a=b"}),
        ),
        (
            "tags=&plain=a,b",
            serde_json::json!({"tags": [], "plain": ["a,b"]}),
        ),
        // A required array left out, as a form sends it empty.
        ("words=a", serde_json::json!({"tags": [], "words": ["a"]})),
    ];
    let count = read.len();
    for (body, expected) in read {
        assert_eq!(post(body).await, (200, expected), "{body}");
    }
    let refused = [
        ("tags=&ids=1|x", "body/ids/1"),
        ("tags=&ids=1|2|3|4", "body/ids"),
        ("tags=&color=R,100,G", "body/color"),
        ("tags=&color=R,red", "body/color/R"),
        ("tags=&size=w|1|h|tall", "body/size/h"),
        ("tags=&meta={", "body/meta"),
        (
            "tags=&meta=%7B%22level%22%3A%22high%22%7D",
            "body/meta/level",
        ),
        ("tags=&filter[limit]=11", "body/filter/limit"),
    ];
    for (body, field) in refused {
        let (status, json) = post(body).await;
        assert_eq!(status, 422, "{body}: {json}");
        assert_eq!(json["error"]["field"], field, "{body}: {json}");
    }
    assert_eq!(received.take().len(), count);
}

mod empty_values_server {
    use super::Received;
    use codegen_tests::fixtures::empty_values::{models, server::*};

    impl EmptyApi for Received {
        async fn list_transactions(
            &self,
            _: RequestContext<()>,
            params: ListTransactionsParams,
        ) -> ListTransactionsResponse {
            self.push(format!("{params:?}"));
            ListTransactionsResponse::Ok(params.status_transitions.unwrap_or_default())
        }

        async fn filter_transactions(
            &self,
            _: RequestContext<()>,
            body: models::Filter,
        ) -> FilterTransactionsResponse {
            self.push(format!("{body:?}"));
            FilterTransactionsResponse::Ok(body)
        }

        async fn filter_transactions_json(
            &self,
            _: RequestContext<()>,
            body: models::Filter,
        ) -> FilterTransactionsJsonResponse {
            self.push(format!("{body:?}"));
            FilterTransactionsJsonResponse::Ok(body)
        }
    }
}

/// An empty value (`key=`) is the empty string where a branch takes one (Stripe clears
/// `shipping=` so), else the empty object, which a form sends that way (its members, all
/// absent, send nothing): in form bodies and deepObject queries; JSON's `""` is no object.
#[tokio::test]
async fn empty_form_values_are_empty_objects_where_no_string_is_taken() {
    use codegen_tests::fixtures::empty_values::{models, server};
    use serde_json::json;
    let received = Arc::new(Received::default());
    let base = serve(server::router(received.clone())).await;
    let http = reqwest::Client::new();
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let json: serde_json::Value = response.json().await.unwrap();
        (status, json)
    };
    let form = |body: &'static str| {
        http.post(format!("http://{base}/transactions"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let read = [
        // No string branch: a range or an integer.
        ("posted_at=", json!({"posted_at": {}})),
        ("posted_at=5", json!({"posted_at": 5})),
        ("posted_at[gt]=1", json!({"posted_at": {"gt": 1}})),
        // A string branch takes it first, though the object branch would take `{}`.
        ("name=", json!({"name": ""})),
        ("name[first]=Ann", json!({"name": {"first": "Ann"}})),
        ("shipping=", json!({"shipping": ""})),
        // An object within a union's value, and where no union is.
        (
            "shipping[address]=&shipping[name]=Ann",
            json!({"shipping": {"address": {}, "name": "Ann"}}),
        ),
        ("address=", json!({"address": {}})),
        // The empty object beside the empty string, and numbers' spelling as strings.
        (
            "shipping[address]=&shipping[name]=",
            json!({"shipping": {"address": {}, "name": ""}}),
        ),
        (
            "shipping[address][line1]=1&shipping[name]=42",
            json!({"shipping": {"address": {"line1": "1"}, "name": "42"}}),
        ),
        ("name=7", json!({"name": "7"})),
        // A discriminated union's branch reads the form as it asks.
        (
            "payment[type]=card&payment[number]=4242",
            json!({"payment": {"type": "card", "number": "4242"}}),
        ),
        (
            "payment[type]=bank&payment[account]=&payment[routes]=",
            json!({"payment": {"type": "bank", "account": {}, "routes": []}}),
        ),
        // Left out, as a form sends them empty: the empty object and array.
        (
            "payment[type]=bank",
            json!({"payment": {"type": "bank", "account": {}, "routes": []}}),
        ),
        (
            "shipping[name]=Ann",
            json!({"shipping": {"address": {}, "name": "Ann"}}),
        ),
    ];
    for (body, expected) in read {
        assert_eq!(send(form(body)).await, (200, expected), "{body}");
    }
    let posted = received.take();
    let range = models::PostedAt::Range(models::Range::default());
    assert_eq!(
        posted[0],
        format!(
            "{:?}",
            models::Filter {
                posted_at: Some(range.clone()),
                ..Default::default()
            }
        )
    );
    let name = models::Name::String(String::new());
    assert_eq!(
        posted[3],
        format!(
            "{:?}",
            models::Filter {
                name: Some(name),
                ..Default::default()
            }
        )
    );
    for (body, field) in [
        ("posted_at=soon", "body/posted_at"),
        ("posted_at[gt]=soon", "body/posted_at"),
        ("payment[type]=cash", "body/payment"),
        ("payment[number]=4242", "body/payment"),
        ("payment[type]=card", "body/payment"),
    ] {
        let (status, json) = send(form(body)).await;
        assert_eq!(status, 422, "{body}: {json}");
        assert_eq!(json["error"]["field"], field, "{body}: {json}");
    }

    // A deepObject query (Stripe's `status_transitions[posted_at]=`).
    let query = |query: &str| http.get(format!("http://{base}/transactions?{query}"));
    let (status, json) = send(query("status_transitions[posted_at]=")).await;
    assert_eq!((status, json), (200, json!({"posted_at": {}})));
    let (status, json) = send(query("status_transitions[posted_at]=soon")).await;
    assert_eq!(status, 422, "{json}");
    assert_eq!(received.take().len(), 1);

    // JSON says which it is: `""` is a string, which the range or integer is not.
    let json_body = |body: serde_json::Value| {
        http.post(format!("http://{base}/transactions/json"))
            .json(&body)
    };
    let (status, json) = send(json_body(json!({"posted_at": ""}))).await;
    assert_eq!(status, 422, "{json}");
    assert_eq!(json["error"]["field"], "body/posted_at", "{json}");
    // JSON can send them empty, so left out they are missing.
    for body in [
        json!({"payment": {"type": "bank", "account": {}}}),
        json!({"payment": {"type": "bank", "routes": []}}),
        json!({"shipping": {"name": "Ann"}}),
    ] {
        let (status, json) = send(json_body(body.clone())).await;
        assert_eq!(status, 422, "{body}: {json}");
    }
    for body in [json!({"posted_at": {}}), json!({"name": ""})] {
        assert_eq!(send(json_body(body.clone())).await, (200, body));
    }
    assert_eq!(
        received.take(),
        [
            format!(
                "{:?}",
                models::Filter {
                    posted_at: Some(range),
                    ..Default::default()
                }
            ),
            format!(
                "{:?}",
                models::Filter {
                    name: Some(models::Name::String(String::new())),
                    ..Default::default()
                }
            ),
        ]
    );
}
