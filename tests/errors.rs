//! Bad documents give an error that says where and what; the generator never panics.

fn load_fixture(name: &str) -> codegen::Error {
    let path = format!("{}/fixtures/errors/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let error = codegen::load(&text).expect_err("the document is bad");
    assert!(
        !error.internal,
        "{name}.yaml: internal generator error {error}"
    );
    error
}

#[track_caller]
fn assert_error(name: &str, pointer: &str, line: Option<usize>, message: &str) {
    let error = load_fixture(name);
    assert_eq!(error.pointer, pointer, "{error}");
    assert_eq!(error.line, line, "{error}");
    assert!(error.message.contains(message), "{error}");
}

#[test]
fn broken_yaml_reports_the_line() {
    assert_error(
        "broken_yaml",
        "#",
        Some(6),
        "did not find expected ',' or ']'",
    );
}

#[test]
fn a_wrongly_shaped_document_reports_the_place() {
    assert_error(
        "wrong_shape",
        "#/paths",
        Some(4),
        "invalid type: sequence, expected a string",
    );
}

#[test]
fn dangling_ref() {
    assert_error(
        "dangling_ref",
        "#/components/schemas/A/properties/b",
        None,
        "dangling $ref `#/components/schemas/Missing`",
    );
}

#[test]
fn external_ref() {
    assert_error(
        "external_ref",
        "#/components/schemas/A/properties/b",
        None,
        "bundle the document into one file",
    );
}

#[test]
fn unsupported_versions() {
    assert_error(
        "swagger2",
        "#/swagger",
        None,
        "Swagger 2.0 is not supported",
    );
}

#[test]
fn a_ref_cycle_with_no_structure() {
    assert_error("ref_loop", "#/components/schemas/Loop", None, "circular");
}

#[test]
fn an_implicit_tag_mapped_to_another_branch() {
    assert_error(
        "discriminator_clash",
        "#/components/schemas/Pet/oneOf/0",
        None,
        "implicit value `Cat` is mapped to another branch",
    );
}

#[test]
fn undeclared_path_parameter() {
    assert_error(
        "path_param_missing",
        "#/paths/~1things~1{thing_id}/get",
        None,
        "no path parameter `thing_id` is declared",
    );
}

#[test]
fn display_names_the_place_first() {
    let error = load_fixture("broken_yaml");
    assert!(error.to_string().starts_with("at # (line 6): "), "{error}");
}

#[test]
fn documented_fallbacks_warn_instead_of_failing() {
    let text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    NotString:\n      not: {type: string}\n";
    let api = codegen::load(text).unwrap();
    assert_eq!(api.warnings.len(), 1);
    assert_eq!(api.warnings[0].pointer, "#/components/schemas/NotString");
    assert!(api.warnings[0].message.contains("serde_json::Value"));
}

#[test]
fn garbage_never_panics() {
    // Truncations and mutations of a real document: each must give Ok or an Err, never a panic.
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"))
        .unwrap();
    let lines: Vec<&str> = spec.lines().collect();
    let mut errors = 0;
    for cut in (1..lines.len()).step_by(97) {
        let truncated = lines[..cut].join("\n");
        let mutated = spec.replacen(
            lines[cut],
            &lines[cut].replace(':', ": [").replace("$ref", "$ref_"),
            1,
        );
        for text in [truncated, mutated] {
            let outcome = std::panic::catch_unwind(|| {
                codegen::generate(
                    &text,
                    &codegen::Options {
                        crate_name: "x".into(),
                        source: "x".into(),
                        standalone: true,

                        feature_groups: true,
                        runtime: codegen::Runtime::Path("../codegen/runtime".into()),
                    },
                )
                .map(|_| ())
            });
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    assert!(!e.internal, "internal generator error (line {cut}): {e}");
                    assert!(e.pointer.starts_with('#'), "{e}");
                    errors += 1;
                }
                Err(_) => panic!("the generator panicked on a mutated document (line {cut})"),
            }
        }
    }
    assert!(errors > 0);
}

fn warnings_of(fixture: &str) -> Vec<(String, String)> {
    let path = format!("{}/fixtures/{fixture}.yaml", env!("CARGO_MANIFEST_DIR"));
    let api = codegen::load(&std::fs::read_to_string(path).unwrap()).unwrap();
    api.warnings
        .into_iter()
        .map(|w| (w.pointer, w.message))
        .collect()
}

#[track_caller]
fn assert_warns(warnings: &[(String, String)], pointer: &str, message: &str) {
    assert!(
        warnings
            .iter()
            .any(|(p, m)| p == pointer && m.contains(message)),
        "no warning at {pointer} saying {message:?}: {warnings:#?}"
    );
}

#[test]
fn valid_constructs_without_a_faithful_type_warn_where_and_what() {
    let unions = warnings_of("loose_unions");
    assert_warns(
        &unions,
        "#/components/schemas/Content/oneOf/0",
        "discriminator ignored",
    );
    assert_warns(
        &unions,
        "#/components/schemas/Both/anyOf",
        "typed by the oneOf alone",
    );
    assert_warns(
        &unions,
        "#/components/schemas/Mixed/allOf",
        "serde_json::Value",
    );
    assert_warns(
        &unions,
        "#/components/schemas/MixedEnum/enum",
        "allowed values are not checked",
    );
    assert_warns(
        &unions,
        "#/components/schemas/BadDefault/default",
        "not one of the enum's values",
    );
    assert_eq!(unions.len(), 5, "{unions:#?}");
    let content = warnings_of("content_params");
    assert_warns(
        &content,
        "#/paths/~1search/get/parameters/0/content",
        "encoded text (String)",
    );
    assert_warns(
        &content,
        "#/paths/~1upload/post/requestBody/content/multipart~1form-data/schema",
        "no typed parts",
    );
    let modern = warnings_of("json_schema_2020");
    assert_warns(
        &modern,
        "#/components/schemas/Record/properties/point/prefixItems",
        "element types are lost",
    );
    assert_warns(
        &modern,
        "#/components/schemas/Record/properties/choice/if",
        "conditional branches",
    );
    let form = warnings_of("form_encoding");
    let encoding =
        "#/paths/~1loose/post/requestBody/content/application~1x-www-form-urlencoded/encoding";
    for (at, message) in [
        ("missing", "no property `missing`"),
        ("name/headers", "ignored for a form body"),
        (
            "picture/contentType",
            "`contentType: image/png` is not applied",
        ),
        ("point", "exploded form object"),
        ("rows", "objects or arrays"),
    ] {
        assert_warns(&form, &format!("{encoding}/{at}"), message);
    }
    let elsewhere = "#/paths/~1elsewhere/put";
    assert_warns(
        &form,
        &format!("{elsewhere}/requestBody/content/application~1json/encoding"),
        "applies to multipart and form bodies only",
    );
    assert_warns(
        &form,
        &format!("{elsewhere}/responses/200/content/application~1x-www-form-urlencoded/encoding"),
        "ignored in a response",
    );
    assert_eq!(form.len(), 8, "{form:#?}");
    let multipart = warnings_of("requests");
    let encoding = "#/paths/~1things/post/requestBody/content/multipart~1form-data/encoding";
    for (at, message) in [
        ("extra/contentType", "names no one media type"),
        (
            "note/contentType",
            "`contentType: application/xml` is not applied",
        ),
        ("count/headers", "not sent or read"),
        ("missing", "no property `missing`"),
    ] {
        assert_warns(&multipart, &format!("{encoding}/{at}"), message);
    }
    assert_eq!(multipart.len(), 4, "{multipart:#?}");
    assert!(warnings_of("pointer_refs").is_empty());
    assert!(warnings_of("loose_30").is_empty());
}

fn load_text(text: &str) -> codegen::Result<codegen::ir::Api> {
    let loaded = codegen::load(text);
    if let Err(e) = &loaded {
        assert!(!e.internal, "internal generator error: {e}");
    }
    loaded
}

const HEAD: &str =
    "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n";

#[test]
fn a_ref_to_something_that_is_not_a_schema_is_a_located_error() {
    let error = load_text(&format!(
        "{HEAD}    A:\n      properties:\n        b: {{$ref: '#/info'}}\n"
    ))
    .unwrap_err();
    assert_eq!(error.pointer, "#/components/schemas/A/properties/b");
    assert!(error.message.contains("not a schema"), "{error}");
    let error = load_text(&format!(
        "{HEAD}    A:\n      properties:\n        b: {{$ref: '#/components/schemas/A/nope'}}\n"
    ))
    .unwrap_err();
    assert!(error.message.contains("dangling"), "{error}");
}

#[test]
fn a_discriminator_mapping_to_nothing_is_a_warning_not_an_error() {
    // digitalocean.com's mapping names files left over from bundling: the union's branches
    // are still listed, so only the tags are lost.
    let api = load_text(&format!(
        "{HEAD}    A: {{type: object, properties: {{kind: {{type: string}}}}}}
    B: {{type: object, properties: {{size: {{type: integer}}}}}}
    U:
      oneOf: [{{$ref: '#/components/schemas/A'}}, {{$ref: '#/components/schemas/B'}}]
      discriminator:
        propertyName: kind
        mapping: {{a: 'models/a.yml#/A'}}
"
    ))
    .unwrap();
    let warning = api
        .warnings
        .iter()
        .find(|w| w.pointer == "#/components/schemas/U/discriminator/mapping/a")
        .unwrap_or_else(|| panic!("{:?}", api.warnings));
    assert!(warning.message.contains("cannot be followed"), "{warning}");
}

#[test]
fn a_pointer_cycle_with_no_structure_is_an_error_not_a_crash() {
    let error = load_text(&format!(
        "{HEAD}    A:\n      properties:\n        b: {{$ref: '#/components/schemas/A/properties/c'}}\n        c: {{$ref: '#/components/schemas/A/properties/b'}}\n"
    ))
    .unwrap_err();
    assert!(error.message.contains("circular"), "{error}");
    // A path item that names itself.
    let error = load_text("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a: {$ref: '#/paths/~1b'}\n  /b: {$ref: '#/paths/~1a'}\n").unwrap_err();
    assert_eq!(error.pointer, "#/paths/~1a");
    assert!(error.message.contains("circular"), "{error}");
}

#[test]
fn refs_outside_schemas_may_name_any_pointer() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pointer_refs.yaml");
    let api = codegen::load(&std::fs::read_to_string(path).unwrap()).unwrap();
    let create = api
        .operations
        .iter()
        .find(|o| o.id == "createItem")
        .unwrap();
    assert_eq!(create.params[0].wire, "limit");
    assert_eq!(create.params[0].ty, codegen::ir::Ty::I64);
    let body = &create.body.as_ref().unwrap().content[0];
    let Some(codegen::ir::Ty::Named(id)) = body.ty else {
        panic!("{body:?}")
    };
    assert_eq!(api.ty(id).name, "ItemParent", "the pointer's one type");
}

#[test]
fn a_pattern_the_generated_crate_cannot_check_is_dropped_with_a_warning() {
    let api = load_text(&format!(
        "{HEAD}    A:\n      properties:\n        behind: {{type: string, pattern: '^.+(?<!x)$'}}\n        strong: {{type: string, pattern: '^(?=.*[A-Z]).+$'}}\n        code: {{type: string, pattern: '^[a-z]+$'}}\n"
    ))
    .unwrap();
    assert_eq!(api.warnings.len(), 1, "{:#?}", api.warnings);
    assert_eq!(
        api.warnings[0].pointer,
        "#/components/schemas/A/properties/behind"
    );
    assert!(api.warnings[0]
        .message
        .contains("pattern `^.+(?<!x)$` is not checked"));
    let codegen::ir::TypeKind::Struct(s) = &api.types[0].kind else {
        panic!("A is a struct");
    };
    let pattern_of = |wire: &str| {
        let field = s.fields.iter().find(|f| f.wire == wire).unwrap();
        field.constraints.pattern.clone()
    };
    assert_eq!(pattern_of("behind"), None);
    // A leading look-ahead is run as a pattern of its own (runtime `validate::Matcher`).
    assert_eq!(pattern_of("strong").as_deref(), Some("^(?=.*[A-Z]).+$"));
    assert_eq!(pattern_of("code").as_deref(), Some("^[a-z]+$"));
}

#[test]
fn server_variables_take_their_defaults_and_an_undeclared_one_warns() {
    let text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nservers:\n  - url: 'https://{region}.example.com:{port}/{base}/v1'\n    variables:\n      region: {default: eu, enum: [eu, us]}\n      port: {default: '8443'}\n  - url: https://plain.example.com\n";
    let api = codegen::load(text).unwrap();
    assert_eq!(
        api.servers[0].url,
        "https://{region}.example.com:{port}/{base}/v1"
    );
    assert_eq!(
        api.servers[0].default_url,
        "https://eu.example.com:8443/{base}/v1"
    );
    assert_eq!(api.servers[1].default_url, "https://plain.example.com");
    assert_eq!(api.warnings.len(), 1, "{:#?}", api.warnings);
    assert_eq!(api.warnings[0].pointer, "#/servers/0/url");
    assert!(api.warnings[0].message.contains("`base`"));
}

#[test]
fn openapi_3_2_loads_and_what_it_cannot_read_is_said() {
    // A 3.2 document loads as 3.1 does; `query` operations have no place and warn.
    let api = load_text(
        "openapi: 3.2.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    query:\n      responses: {'200': {description: ok}}\n    get:\n      responses: {'200': {description: ok}}\n",
    )
    .unwrap();
    assert_eq!(api.operations.len(), 1);
    let warnings: Vec<(&str, &str)> = api
        .warnings
        .iter()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [(
            "#/paths/~1a/query",
            "`query` (OpenAPI 3.2) is not read: its operations are left out"
        )]
    );
    // A later version is refused by name.
    let error =
        load_text("openapi: 3.3.0\ninfo: {title: t, version: '1'}\npaths: {}\n").unwrap_err();
    assert!(error.message.contains("3.0.x, 3.1.x and 3.2.x"), "{error}");
}
