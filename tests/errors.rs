//! Bad documents give an error that says where and what; the generator never panics.

fn load_fixture(name: &str) -> codegen::Error {
    let path = format!("{}/fixtures/errors/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    codegen::load(&text).expect_err("the document is bad")
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
fn unsupported_constructs() {
    assert_error(
        "mixed_enum",
        "#/components/schemas/Mixed/enum",
        None,
        "only strings or only integers",
    );
    assert_error(
        "allof_non_object",
        "#/components/schemas/A/allOf/0",
        None,
        "allOf can only merge object schemas",
    );
    assert_error(
        "prefix_items",
        "#/components/schemas/Pair/prefixItems",
        None,
        "cannot be lowered to OpenAPI 3.0",
    );
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
                    },
                )
                .map(|_| ())
            });
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    assert!(e.pointer.starts_with('#'), "{e}");
                    errors += 1;
                }
                Err(_) => panic!("the generator panicked on a mutated document (line {cut})"),
            }
        }
    }
    assert!(errors > 0);
}
