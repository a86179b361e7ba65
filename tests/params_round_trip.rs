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
