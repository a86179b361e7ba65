//! Behaviour of generated models, on the fixture documents' types (compiled by build.rs).

use codegen_tests::fixtures::{
    composition, enums, error_schemas, fields, json_schema_2020, loose_30, loose_unions, names,
    openapi31, pointer_refs, recursion, references, unions,
};
use serde_json::json;

fn from<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn to(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

#[test]
fn defaults_are_filled_in_on_deserialize_and_by_default() {
    let record: fields::Record = from(json!({"name": "a", "maybe_required": null}));
    assert_eq!(record.count, 3);
    assert_eq!(record.ratio, 0.5);
    assert!(record.enabled);
    assert_eq!(record.label, "none yet");
    assert_eq!(record.nullable_with_default, Some(7));
    assert!(record.tags.is_empty());
    let built = fields::Record::default();
    assert_eq!(built.count, 3);
    assert_eq!(built.nullable_with_default, Some(7));
}

#[test]
fn null_and_absent_stay_distinct_where_the_schema_makes_them_differ() {
    // No default: absent is None, null is Some(None), and each serializes back as it came.
    let absent: fields::Record = from(json!({"name": "a", "maybe_required": null}));
    let null: fields::Record =
        from(json!({"name": "a", "maybe_required": null, "cleared_by_null": null}));
    let set: fields::Record =
        from(json!({"name": "a", "maybe_required": null, "cleared_by_null": "x"}));
    assert_eq!(absent.cleared_by_null, None);
    assert_eq!(null.cleared_by_null, Some(None));
    assert_eq!(set.cleared_by_null, Some(Some("x".into())));
    assert!(to(&absent).get("cleared_by_null").is_none());
    assert_eq!(to(&null)["cleared_by_null"], json!(null));
    // A non-null default: absent takes the default, null stays null.
    let explicit_null: fields::Record =
        from(json!({"name": "a", "maybe_required": null, "nullable_with_default": null}));
    assert_eq!(explicit_null.nullable_with_default, None);
    assert_eq!(to(&explicit_null)["nullable_with_default"], json!(null));
    // `default: null`: absent and null mean the same, so both are None and nothing is sent.
    let defaulted_null: fields::Record =
        from(json!({"name": "a", "maybe_required": null, "null_by_default": null}));
    assert_eq!(defaulted_null.null_by_default, None);
    assert!(to(&defaulted_null).get("null_by_default").is_none());
    // Required and nullable: `null` is written, not skipped.
    assert_eq!(to(&absent)["maybe_required"], json!(null));
}

#[test]
fn formats_map_to_rust_types() {
    let record: fields::Record = from(json!({
        "id": "67e55044-10b1-426f-9247-bb680e5fe0c8",
        "name": "a", "maybe_required": "b", "total": 9007199254740993i64,
    }));
    assert_eq!(
        record.id.unwrap().to_string(),
        "67e55044-10b1-426f-9247-bb680e5fe0c8"
    );
    assert_eq!(record.total, Some(9007199254740993));
    let bad_uuid = serde_json::from_value::<fields::Record>(
        json!({"id": "nope", "name": "a", "maybe_required": null}),
    );
    assert!(bad_uuid.is_err());
    let missing =
        serde_json::from_value::<fields::Record>(json!({"maybe_required": null})).unwrap_err();
    assert!(
        missing.to_string().contains("missing field `name`"),
        "{missing}"
    );
}

#[test]
fn server_enums_are_open_and_request_enums_closed() {
    assert_eq!(
        from::<enums::State>(json!("running")),
        enums::State::Running
    );
    assert_eq!(
        from::<enums::State>(json!("paused")),
        enums::State::Other("paused".into())
    );
    assert_eq!(to(&enums::State::Other("paused".into())), json!("paused"));
    assert_eq!(enums::State::Done.to_string(), "done");
    assert!(serde_json::from_value::<enums::Order>(json!("sideways")).is_err());
    assert_eq!(enums::Order::default(), enums::Order::Desc);
    assert_eq!(from::<enums::Level>(json!(2)), enums::Level::V2);
    assert_eq!(from::<enums::Level>(json!(9)), enums::Level::Other(9));
    assert_eq!(to(&enums::Level::V3), json!(3));
    assert_eq!(from::<enums::Priority>(json!(-1)), enums::Priority::Minus1);
    let closed = serde_json::from_value::<enums::Priority>(json!(5)).unwrap_err();
    assert!(closed.to_string().contains("one of -1, 0, 1"), "{closed}");
    // A constant is a one-value enum that fills itself in.
    assert_eq!(to(&enums::Query::default().kind), json!(null));
    assert_eq!(to(&enums::Kind::default()), json!("fixed"));
}

#[test]
fn awkward_enum_values_keep_their_wire_form() {
    let values = json!([
        "",
        "+1",
        "-1",
        "a b",
        "type",
        "Self",
        "Other",
        "日本",
        "with \"quote\"",
        "back\\slash",
        "*/ end",
        "UPPER_CASE",
        "upperCase"
    ]);
    let parsed: Vec<enums::Awkward> = from(values.clone());
    assert_eq!(to(&parsed), values);
    let distinct: std::collections::HashSet<_> = parsed.iter().collect();
    assert_eq!(
        distinct.len(),
        parsed.len(),
        "every value has its own variant"
    );
}

#[test]
fn discriminated_unions_dispatch_on_the_tag() {
    let shapes: Vec<unions::Shape> = from(json!([
        {"kind": "circle", "radius": 1.5},
        {"kind": "square", "side": 2.0},
        {"kind": "box", "side": 3.0},
        {"kind": "hexagon", "sides": 6}
    ]));
    assert!(matches!(&shapes[0], unions::Shape::Circle(c) if c.radius == 1.5));
    assert!(matches!(&shapes[1], unions::Shape::Square(s) if s.side == 2.0));
    assert!(matches!(&shapes[2], unions::Shape::Square(s) if s.kind == unions::SquareKind::Box));
    // The server may add shapes: an unknown tag is kept, not an error.
    assert!(matches!(&shapes[3], unions::Shape::Other(v) if v["sides"] == 6));
    assert_eq!(to(&shapes)[3], json!({"kind": "hexagon", "sides": 6}));
    let missing_tag = serde_json::from_value::<unions::Shape>(json!({"radius": 1})).unwrap_err();
    assert!(
        missing_tag.to_string().contains("missing field `kind`"),
        "{missing_tag}"
    );
    let bad_branch =
        serde_json::from_value::<unions::Shape>(json!({"kind": "circle"})).unwrap_err();
    assert!(bad_branch.to_string().contains("radius"), "{bad_branch}");
}

#[test]
fn constant_tags_make_a_closed_tagged_union() {
    let part: unions::Part = from(json!({"type": "image", "url": "u"}));
    assert!(matches!(part, unions::Part::ImagePart(ref p) if p.url == "u"));
    assert_eq!(to(&part), json!({"type": "image", "url": "u"}));
    let unknown = serde_json::from_value::<unions::Part>(json!({"type": "audio"})).unwrap_err();
    assert!(
        unknown.to_string().contains("unknown variant `audio`"),
        "{unknown}"
    );
    // Building one needs no tag: the one-value enum defaults to it.
    let text = unions::TextPart {
        text: "hi".into(),
        ..Default::default()
    };
    assert_eq!(to(&text), json!({"type": "text", "text": "hi"}));
}

#[test]
fn untagged_unions_take_the_first_shape_that_fits() {
    let message: unions::Message =
        from(json!({"content": "plain", "stop": ["a", "b"], "choice": "auto"}));
    assert_eq!(message.content, unions::Content::String("plain".into()));
    assert_eq!(
        message.stop,
        Some(Some(unions::Stop::StringList(vec!["a".into(), "b".into()])))
    );
    assert!(matches!(
        message.choice,
        Some(unions::MessageChoice::Mode(unions::MessageChoiceMode::Auto))
    ));
    let parts: unions::Message =
        from(json!({"content": [{"type": "text", "text": "t"}], "choice": {"name": "f"}}));
    assert!(matches!(parts.content, unions::Content::List(ref p) if p.len() == 1));
    assert!(matches!(parts.choice, Some(unions::MessageChoice::Named(ref n)) if n.name == "f"));
    let error = serde_json::from_value::<unions::Message>(json!({"content": 5})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "data did not match any variant of untagged enum Content"
    );
    // Written as the branch it holds.
    assert_eq!(to(&message.content), json!("plain"));
}

#[test]
fn all_of_merges_properties_and_required() {
    let pet: composition::Pet =
        from(json!({"id": "1", "name": "rex", "species": "dog", "created": 5}));
    assert_eq!(
        (pet.id.as_str(), pet.name.as_str(), pet.species.as_deref()),
        ("1", "rex", Some("dog"))
    );
    let missing = serde_json::from_value::<composition::Pet>(json!({"id": "1"})).unwrap_err();
    assert!(
        missing.to_string().contains("missing field `name`"),
        "{missing}"
    );
    let owner: composition::Owner =
        from(json!({"pet": {"id": "1", "name": "rex"}, "previous": null}));
    assert_eq!(owner.pet.unwrap().name, "rex");
}

#[test]
fn maps_and_free_form_values() {
    let maps: composition::Maps = from(json!({
        "labels": {"a": "x"}, "counts": {"n": 1}, "anything": {"k": [1, {"z": null}]},
        "free": [1, "two"], "free_object": {"o": 1}, "grid": [[1.0, 2.5], []],
        "nested_maps": {"k": [{"id": "b"}]}
    }));
    assert_eq!(maps.labels.as_ref().unwrap()["a"], "x");
    assert_eq!(maps.grid.as_ref().unwrap()[0][1], 2.5);
    assert_eq!(maps.nested_maps.as_ref().unwrap()["k"][0].id, "b");
    assert_eq!(maps.free, Some(json!([1, "two"])));
    let extensible: composition::Extensible = from(json!({"kind": "k", "extra": 4, "more": 5}));
    assert_eq!(extensible.additional_properties.len(), 2);
    assert_eq!(to(&extensible), json!({"kind": "k", "extra": 4, "more": 5}));
    assert!(
        serde_json::from_value::<composition::Extensible>(json!({"kind": "k", "bad": "x"}))
            .is_err()
    );
}

/// The field at fault and the message of a request body a server refuses.
fn refused<T>(body: &str) -> (String, String)
where
    T: serde::de::DeserializeOwned + codegen_runtime::validate::Validate + std::fmt::Debug,
{
    let rejection = codegen_runtime::server::parse_json::<T>(body.as_bytes()).unwrap_err();
    let problem = rejection.problem();
    (
        problem.field.clone().unwrap_or_default(),
        problem.message.clone(),
    )
}

#[test]
fn servers_refuse_what_the_schema_does_not_allow_naming_the_member() {
    use error_schemas::{CacheUpdate, ErrorResp, PingRequest};
    let cases = [
        // `null` for an optional member that is not nullable.
        (
            refused::<CacheUpdate>(r#"{"ttl": 1, "description": null}"#),
            "body/description",
            "invalid type: null, expected a value (the member is optional, not nullable)",
        ),
        (
            refused::<CacheUpdate>(r#"{"ttl": 1, "ttl": 2}"#),
            "body",
            "duplicate field `ttl`",
        ),
        (
            refused::<CacheUpdate>(r#"{"description": "d"}"#),
            "body",
            "missing field `ttl`",
        ),
        // `type: object`: an array of the members' values is no object, at any depth.
        (
            refused::<CacheUpdate>("[1]"),
            "body",
            "invalid type: sequence, expected struct CacheUpdate",
        ),
        (
            refused::<ErrorResp>(r#"{"statusCode": 400, "error": ["i", 1, 0, "m"]}"#),
            "body/error",
            "invalid type: sequence, expected struct Error",
        ),
        // Closed and written by clients only.
        (
            refused::<PingRequest>(r#"{"count": 1, "extra": 2}"#),
            "body/extra",
            "unknown field `extra`, expected `count` or `stream`",
        ),
    ];
    for ((field, message), expected_field, expected) in cases {
        assert_eq!(field, expected_field, "{message}");
        assert!(message.contains(expected), "{field}: {message}");
    }
    // A client forgives a server the `null` a server refuses, and the closed type a server
    // sends takes members it does not know.
    let update: CacheUpdate = from(json!({"ttl": 1, "description": null}));
    assert_eq!(update.description, None);
    // Nor does a client take an array for an object.
    let array = serde_json::from_value::<CacheUpdate>(json!([1])).unwrap_err();
    assert!(
        array.to_string().contains("expected struct CacheUpdate"),
        "{array}"
    );
    let success: error_schemas::Success = from(json!({"deleted": true, "later": 1}));
    assert!(success.deleted);
}

#[test]
fn structs_write_the_members_they_hold() {
    // Optional members left out when `None`, numbers whole where they are, other members
    // after the declared ones; what is written reads back the same.
    let update: error_schemas::CacheUpdate = from(json!({"ttl": 1, "weights": [2, null]}));
    assert_eq!(to(&update), json!({"ttl": 1, "weights": [2, null]}));
    let empty = serde_json::to_string(&error_schemas::CacheDeleteRequest {}).unwrap();
    assert_eq!(empty, "{}");
    let extensible: composition::Extensible = from(json!({"kind": "k", "b": 2, "a": 1}));
    assert_eq!(
        serde_json::to_string(&extensible).unwrap(),
        r#"{"kind":"k","a":1,"b":2}"#
    );
    // A member beyond the declared ones of the wrong type: refused where it is.
    let (field, message) = refused::<composition::Extensible>(r#"{"kind": "k", "bad": "x"}"#);
    assert_eq!(field, "body/bad", "{message}");
}

#[test]
fn debug_shows_a_struct_as_it_is_written() {
    let update: error_schemas::CacheUpdate = from(json!({"ttl": 1, "weights": [2, null]}));
    // `description` and `labels`, absent, are left out, as they are when written.
    assert_eq!(
        format!("{update:?}"),
        "CacheUpdate { ttl: 1, weights: Some([Some(2), None]) }"
    );
    let extensible: composition::Extensible = from(json!({"kind": "k", "b": 2}));
    // Members beyond the declared ones inline, as they are written.
    assert_eq!(
        format!("{extensible:?}"),
        r#"Extensible { kind: "k", b: 2 }"#
    );
}

#[test]
fn recursive_types_nest() {
    let node: recursion::Node = from(
        json!({"value": 1, "next": {"value": 2, "next": {"value": 3}}, "children": [{"value": 4}]}),
    );
    assert_eq!(node.next.as_ref().unwrap().next.as_ref().unwrap().value, 3);
    let expr: recursion::Expr =
        from(json!({"left": {"value": 1}, "right": {"left": {"value": 2}, "right": {"value": 3}}}));
    assert!(
        matches!(expr, recursion::Expr::Sum(ref s) if matches!(*s.right, recursion::Expr::Sum(_)))
    );
    let forest: recursion::Forest = from(json!([[], [[]]]));
    assert_eq!(forest.0.len(), 2);
    let b: recursion::B = from(json!({"a": {"b": {"a": {}}}}));
    assert!(b.a.b.is_some());
}

#[test]
fn hostile_names_round_trip_under_their_wire_names() {
    let value = json!({"": "e", "type": "t", "match": "m", "crate": "c", "fooBar": "1", "foo_bar": "2", "FooBar": "3", "café": "k", "日本語": "j", "_": "u"});
    let weird: names::WeirdName = from(value.clone());
    assert_eq!(
        (
            weird.foo_bar.as_deref(),
            weird.foo_bar_2.as_deref(),
            weird.foo_bar_3.as_deref()
        ),
        (Some("1"), Some("2"), Some("3"))
    );
    assert_eq!(weird.r#type.as_deref(), Some("t"));
    assert_eq!(to(&weird), value);
    let result: names::ResultModel = from(json!({"ok": true}));
    assert_eq!(result.ok, Some(true));
}

#[test]
fn openapi_31_constructs_are_lowered() {
    let item: openapi31::Item = from(
        json!({"id": 1, "kind": "item", "note": null, "either": 5, "parent": {"id": 2, "kind": "item"}}),
    );
    assert_eq!(item.note, Some(None));
    assert_eq!(item.either, Some(openapi31::ItemEither::Integer(5)));
    assert_eq!(item.parent.unwrap().unwrap().id, 2);
    assert!(serde_json::from_value::<openapi31::Item>(json!({"id": 1, "kind": "other"})).is_err());
    let value =
        json!({"type": "t", "examples": ["e"], "contains": "c", "const": [1], "default": null});
    let filter: openapi31::Filter = from(value.clone());
    assert_eq!(filter.examples, Some(vec!["e".to_owned()]));
    assert_eq!(to(&filter), value);
}

#[test]
fn references_carry_nullability_and_direction() {
    // `shape` is required, but its target admits null; `id` is read-only through its $ref.
    let holder: references::Holder = from(json!({"shape": null, "name": "n"}));
    assert_eq!(holder.shape, None);
    assert_eq!(holder.id, None);
    let with_cat: references::Holder =
        from(json!({"shape": {"kind": "cat", "meow": true}, "name": "n"}));
    assert!(matches!(with_cat.shape, Some(references::MaybeShape::Cat(ref c)) if c.meow));
}

#[test]
fn discriminator_branches_through_aliases_and_wrappers() {
    let cat: references::Pet = from(json!({"kind": "cat", "meow": false}));
    assert!(matches!(cat, references::Pet::Kitty(_)));
    let dog: references::Pet = from(json!({"kind": "dog"}));
    assert!(matches!(dog, references::Pet::Dog(_)));
}

#[test]
fn integers_are_tried_before_numbers() {
    let holder: references::Holder = from(json!({"shape": null, "name": "n", "number": 5}));
    assert_eq!(to(&holder)["number"], json!(5));
    let holder: references::Holder = from(json!({"shape": null, "name": "n", "number": 5.5}));
    assert_eq!(to(&holder)["number"], json!(5.5));
}

#[test]
fn all_of_parts_may_only_tighten_required() {
    let missing =
        serde_json::from_value::<references::Tightened>(json!({"kind": "dog"})).unwrap_err();
    assert!(
        missing.to_string().contains("missing field `name`"),
        "{missing}"
    );
    // The merged `kind` is Dog's own type, not a copy.
    let tightened: references::Tightened = from(json!({"kind": "dog", "name": "n"}));
    let _: references::DogKind = tightened.kind;
}

#[test]
fn a_pointer_that_reaches_itself_is_a_recursive_type() {
    let value = json!({"name": "a", "parent": {"name": "b", "parent": {"name": "c"}}});
    let parent: pointer_refs::ItemParent = from(value.clone());
    assert_eq!(parent.parent.as_ref().unwrap().name.as_deref(), Some("b"));
    assert_eq!(to(&parent), value);
    // The cycle through #/paths, and definitions nested in a component.
    let page: pointer_refs::ListItemsResponse =
        from(json!({"next": {"items": [{"id": "1", "kind": "book", "tags": [{"label": "x"}]}]}}));
    let item = &page.next.unwrap().items.unwrap()[0];
    assert_eq!(item.kind, Some(pointer_refs::CatalogKind::Book));
    assert_eq!(item.tags.as_ref().unwrap()[0].label, "x");
}

#[test]
fn loose_unions_keep_what_can_be_typed() {
    // The discriminator over a non-object branch is ignored: branches tried in order.
    let listing: loose_unions::Content = from(json!([{"type": "file", "name": "a"}]));
    assert!(matches!(listing, loose_unions::Content::List(ref files) if files.len() == 1));
    let one: loose_unions::Content = from(json!({"type": "file", "name": "a"}));
    assert!(matches!(one, loose_unions::Content::File(_)));
    // allOf wrappers of objects stay a tagged union.
    let dir: loose_unions::Wrapped = from(json!({"type": "dir", "entries": ["x"]}));
    assert!(matches!(dir, loose_unions::Wrapped::Dir(_)));
    let both: loose_unions::Both = from(json!(5));
    assert_eq!(both, loose_unions::Both::Integer(5));
    let id: loose_unions::Id = from(json!("67e55044-10b1-426f-9247-bb680e5fe0c8"));
    assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
    assert_eq!(
        to(&loose_unions::QuotedNumbers::V1),
        json!("1"),
        "unquoted YAML numbers under `type: string` are strings on the wire"
    );
    let patch = loose_unions::PatchRequest {
        name: Some("x".into()),
        state: None,
    };
    assert_eq!(to(&patch), json!({"name": "x"}));
    let mixed: loose_unions::MixedEnum = from(json!(true));
    assert_eq!(mixed, json!(true));
}

#[test]
fn invalid_but_common_30_spellings_are_typed() {
    let loose: loose_30::Loose = from(json!({"count": 9, "maybe": null, "either": 3}));
    assert_eq!(loose.count, 9);
    assert_eq!(loose.maybe, None);
    assert_eq!(loose.either, Some(loose_30::LooseEither::Integer(3)));
}

#[test]
fn json_schema_2020_keywords_are_typed_as_closely_as_rust_allows() {
    let record: json_schema_2020::Record = from(json!({
        "point": [1.5, 2],
        "extra": {"any": ["thing"]},
        "labels": {"a": "b"},
        "nested": {"depth": 2}
    }));
    assert_eq!(record.point, vec![json!(1.5), json!(2)]);
    assert_eq!(record.labels.as_ref().unwrap()["a"], "b");
    assert_eq!(record.nested.unwrap().unwrap().depth, Some(2));
}

#[test]
fn identical_inline_schemas_share_one_type_and_components_stay_apart() {
    use codegen_tests::fixtures::identical_inline::*;
    use std::any::TypeId;
    assert_eq!(
        TypeId::of::<CreateOrderRequestOrderShipping>(),
        TypeId::of::<CustomerAddress>()
    );
    assert_eq!(
        TypeId::of::<CreateOrderRequestOrderLabels>(),
        TypeId::of::<Label>()
    );
    assert_eq!(TypeId::of::<CustomerForest>(), TypeId::of::<CustomerTree>());
    // A differing constraint, and a component with the same shape, keep their own types.
    assert_ne!(
        TypeId::of::<CustomerOtherAddress>(),
        TypeId::of::<CustomerAddress>()
    );
    assert_ne!(TypeId::of::<Tag>(), TypeId::of::<Label>());

    // The shared type keeps its checks, reported at the place of the alias's use.
    use codegen_tests::fixtures::identical_inline::validate::Validate;
    let long = "x".repeat(201);
    let order: CreateOrderRequest = from(json!({"order": {"shipping": {"line1": long}}}));
    assert_eq!(
        order.validate().unwrap_err().pointer,
        "/order/shipping/line1"
    );
    let forest: CustomerForest = from(json!({"name": "a", "children": [{"name": "b"}]}));
    assert_eq!(
        to(&forest),
        json!({"name": "a", "children": [{"name": "b"}]})
    );
}

/// A type too large to hold inline (Stripe's `PaymentIntent`, 965 KB, inside its error
/// type) is boxed where it is held, so generated values stay small on a worker's stack;
/// small types stay inline.
#[test]
fn large_types_are_boxed_where_they_are_held() {
    use codegen::ir::{Ty, TypeKind};
    let fields: String = (0..120)
        .map(|i| format!("        f{i}: {{type: string}}\n"))
        .collect();
    let doc = format!(
        "openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    \
         Holder:\n      type: object\n      required: [big]\n      properties:\n        \
         big: {{$ref: '#/components/schemas/Big'}}\n        \
         maybe: {{$ref: '#/components/schemas/Big'}}\n        \
         small: {{$ref: '#/components/schemas/Small'}}\n    \
         Small:\n      type: object\n      properties:\n        a: {{type: string}}\n    \
         Big:\n      type: object\n      properties:\n{fields}"
    );
    let api = codegen::load(&doc).unwrap();
    let holder = api.types.iter().find(|t| t.name == "Holder").unwrap();
    let TypeKind::Struct(s) = &holder.kind else {
        panic!("a struct")
    };
    let ty = |name: &str| &s.fields.iter().find(|f| f.name == name).unwrap().ty;
    assert!(matches!(ty("big"), Ty::Box(_)), "{:?}", ty("big"));
    assert!(
        matches!(ty("maybe"), Ty::Option(inner) if matches!(**inner, Ty::Box(_))),
        "{:?}",
        ty("maybe")
    );
    assert!(
        matches!(ty("small"), Ty::Option(inner) if matches!(**inner, Ty::Named(_))),
        "{:?}",
        ty("small")
    );
}
