//! Snapshots of every fixture's emitted crate, made by the pipeline users run. The Maniac
//! crate's snapshot is `generated/` itself (checked below and by `cargo xtask check`), so a
//! spec change shows as one diff. Review changes with `cargo insta review` (or
//! `INSTA_UPDATE=always` then `git diff`).

use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn maniac_options() -> codegen::Options {
    codegen::Options {
        crate_name: "maniac-api".into(),
        source: "spec/maniac.yaml".into(),
        standalone: false,

        feature_groups: true,
        runtime: codegen::Runtime::Path("../codegen/runtime".into()),
    }
}

fn maniac() -> codegen::Generated {
    let text = std::fs::read_to_string(root().join("spec/maniac.yaml")).unwrap();
    codegen::generate(&text, &maniac_options()).unwrap()
}

#[test]
fn maniac_crate_files() {
    let generated = maniac();
    let names: Vec<String> = generated
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "Cargo.toml",
            "src/lib.rs",
            "src/models.rs",
            "src/params.rs",
            "src/client.rs",
            "src/server.rs",
            "src/server/mock.rs",
            "examples/mock.rs"
        ]
    );
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
}

#[test]
fn checked_in_crate_matches_the_generator() {
    for file in maniac().files {
        let on_disk = std::fs::read_to_string(root().join("generated").join(&file.path)).unwrap();
        assert!(
            on_disk == file.contents,
            "generated/{} is stale: run `cargo xtask regenerate`",
            file.path.display()
        );
    }
}

#[test]
fn output_is_deterministic() {
    let first = maniac();
    for _ in 0..3 {
        assert_eq!(maniac().files, first.files);
    }
}

/// A fixture document's IR and its path for the `@generated` header.
fn fixture(name: &str) -> (codegen::ir::Api, String) {
    let source = format!("tests/fixtures/{name}.yaml");
    let text = std::fs::read_to_string(root().join(&source)).unwrap();
    (codegen::load(&text).unwrap(), source)
}

/// A fixture's crate, as `cargo xtask generate` writes it.
struct FixtureCrate(codegen::Generated);

impl FixtureCrate {
    fn new(name: &str) -> Self {
        let (api, source) = fixture(name);
        let options = codegen::Options {
            crate_name: name.replace('_', "-"),
            source,
            standalone: false,

            feature_groups: true,
            runtime: codegen::Runtime::Path("../codegen/runtime".into()),
        };
        FixtureCrate(codegen::generate_from_api(&api, &options).unwrap())
    }

    /// `models.rs`, where there is one `params.rs`, and the cargo features of operation
    /// groups: one snapshot.
    fn models(&self) -> String {
        let mut text = self.file("src/models.rs").to_owned();
        let manifest = self.file("Cargo.toml");
        if let Some(start) = manifest.find("# Every group of operations") {
            let end = manifest[start..]
                .find("\n[")
                .map_or(manifest.len(), |end| start + end);
            text.push_str("\n// ---- Cargo.toml, operation groups\n");
            text.push_str(&manifest[start..end]);
        }
        if let Some(params) = self
            .0
            .files
            .iter()
            .find(|f| f.path == Path::new("src/params.rs"))
        {
            text.push_str("\n// ---- params.rs\n");
            text.push_str(&params.contents);
        }
        text
    }

    fn file(&self, path: &str) -> &str {
        let file = self.0.files.iter().find(|f| f.path == Path::new(path));
        &file.unwrap_or_else(|| panic!("no {path}")).contents
    }

    /// `server.rs` and `server/mock.rs`, one snapshot.
    fn server(&self) -> String {
        format!(
            "{}\n// ---- server/mock.rs\n{}",
            self.file("src/server.rs"),
            self.file("src/server/mock.rs")
        )
    }
}

macro_rules! fixture_snapshots {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let generated = FixtureCrate::new(stringify!($name));
                insta::assert_snapshot!(concat!("fixture__", stringify!($name)), generated.models());
                insta::assert_snapshot!(concat!("fixture_client__", stringify!($name)), generated.file("src/client.rs"));
                insta::assert_snapshot!(concat!("fixture_server__", stringify!($name)), generated.server());
            }
        )*

        #[test]
        fn every_fixture_has_a_snapshot_test() {
            let listed = [$(stringify!($name)),*];
            let mut on_disk: Vec<String> = std::fs::read_dir(root().join("tests/fixtures"))
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            assert_eq!(on_disk, listed);
        }
    };
}

fixture_snapshots!(
    composition,
    constructs,
    content_params,
    empty_values,
    enums,
    error_schemas,
    fields,
    form_encoding,
    identical_inline,
    item_schema,
    json_schema_2020,
    loose_30,
    loose_unions,
    mock_answers,
    names,
    openapi31,
    operations,
    pointer_refs,
    real_documents,
    recursion,
    references,
    requests,
    routes,
    tag_groups,
    unions
);

#[test]
fn fixture_lib_rs_escapes_hostile_info() {
    let text = std::fs::read_to_string(root().join("tests/fixtures/names.yaml")).unwrap();
    let generated = codegen::generate(
        &text,
        &codegen::Options {
            crate_name: "names".into(),
            source: "names.yaml".into(),
            standalone: true,

            feature_groups: true,
            runtime: codegen::Runtime::Path("../codegen/runtime".into()),
        },
    )
    .unwrap();
    let lib = &generated.files[1].contents;
    let cargo = &generated.files[0].contents;
    insta::assert_snapshot!("fixture__names_lib_rs", lib);
    insta::assert_snapshot!("fixture__names_cargo_toml", cargo);
    // The hostile text stays inside doc comments; no code was injected.
    let parsed = syn::parse_file(lib).unwrap();
    let items: Vec<String> = parsed
        .items
        .iter()
        .map(|item| match item {
            syn::Item::Mod(m) => m.ident.to_string(),
            syn::Item::Use(syn::ItemUse {
                tree: syn::UseTree::Path(path),
                ..
            }) => format!("use {}", path.ident),
            _ => panic!("only module declarations and re-exports: {lib}"),
        })
        .collect();
    assert_eq!(
        items,
        [
            "models",
            "use codegen_runtime",
            "client",
            "use client",
            "server"
        ],
        "{lib}"
    );
    assert!(lib
        .lines()
        .filter(|l| l.contains("evil"))
        .all(|l| l.starts_with("//!")));
    assert!(!lib.contains('\u{202E}') && !lib.contains('\u{7}'));
    assert!(
        cargo.contains("version = \"0.1.0\""),
        "non-semver info.version falls back"
    );
}

#[test]
fn item_schema_types_each_event_of_a_stream() {
    use codegen::ir::MediaKind;
    let (api, _) = fixture("item_schema");
    let content = |id: &str| {
        let op = api.operations.iter().find(|op| op.id == id).unwrap();
        op.responses[0].content[0].clone()
    };
    let ty = |c: &codegen::ir::Content| {
        codegen::emit::ty_tokens(&api, c.ty.as_ref().unwrap()).to_string()
    };
    // itemSchema, not the stream's `{type: string}`, is each event's type.
    let events = content("events_create");
    assert_eq!(
        (events.kind, ty(&events).as_str()),
        (MediaKind::EventStream, "Event")
    );
    // The example, the stream's text, is each event's data; `[DONE]` is no event.
    let values: Vec<_> = events.examples.iter().map(|e| e.value.clone()).collect();
    assert_eq!(
        values,
        [
            serde_json::json!({"id": 1, "text": "a"}),
            serde_json::json!({"id": 2, "text": null})
        ]
    );
    // An inline item schema is named as an inline `schema` would be; a `$ref` into it
    // resolves.
    assert_eq!(ty(&content("ticks_list")), "TicksListResponse");
    assert!(api.types.iter().any(|t| t.name == "TickAt"));
    // Without itemSchema an event stream's schema types its events, as before 3.2.
    assert_eq!(ty(&content("legacy_list")), "Event");
    // Elsewhere itemSchema is not read, and a warning says so.
    let lines = content("lines_list");
    assert_eq!(lines.kind, MediaKind::Binary);
    let warned: Vec<&str> = api.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        warned,
        ["#/paths/~1lines/get/responses/200/content/application~1jsonl/itemSchema"]
    );
}
