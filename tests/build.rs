//! Generates the fixture documents' models into OUT_DIR so the test suite compiles them
//! (not only snapshots them), and a dispatcher that round-trips the Maniac document's
//! examples through the generated types, by type.

use quote::{format_ident, quote};
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let fixtures = root.join("fixtures");
    println!("cargo:rerun-if-changed={}", fixtures.display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("../spec/maniac.yaml").display()
    );

    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let allows = codegen::emit::lint_allows();
    let mut modules = Vec::new();
    let mut clients = Vec::new();
    let runtime = root.join("../codegen/src/runtime/client.rs");
    println!("cargo:rerun-if-changed={}", runtime.display());
    let runtime = runtime.display().to_string();
    for name in &names {
        let path = fixtures.join(format!("{name}.yaml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("fixture readable");
        let api = codegen::load(&text).unwrap_or_else(|e| panic!("{name}.yaml: {e}"));
        // The fixture's crate, laid out as the generator lays it out, compiled as a module.
        let source = format!("tests/fixtures/{name}.yaml");
        let dir = out.join(format!("fixture_{name}"));
        std::fs::create_dir_all(dir.join("server")).expect("OUT_DIR writable");
        let rust = |tokens| codegen::format_rust(tokens, &source).unwrap_or_else(|e| panic!("{e}"));
        let files = [
            (
                "models.rs",
                codegen::format_items(
                    codegen::emit::models::models(&api).unwrap_or_else(|e| panic!("{e}")),
                    &source,
                ),
            ),
            (
                "validate.rs",
                codegen::verbatim(codegen::emit::validate::RUNTIME, &source, "validate.rs"),
            ),
            (
                "server.rs",
                codegen::format_items(
                    codegen::emit::server::server(&api).unwrap_or_else(|e| panic!("{e}")),
                    &source,
                ),
            ),
            (
                "server/runtime.rs",
                codegen::verbatim(codegen::emit::server::RUNTIME, &source, "server.rs"),
            ),
            ("server/mock.rs", rust(codegen::emit::server::mock(&api))),
        ];
        for (file, code) in files {
            std::fs::write(dir.join(file), code).expect("OUT_DIR writable");
        }
        let path = |file: &str| dir.join(file).display().to_string();
        let (models, validate, server) =
            (path("models.rs"), path("validate.rs"), path("server.rs"));
        let module = format_ident!("{}", name);
        // The fixture's client, compiled by tests/client.rs against its models, with its
        // own copy of the runtime (the generated crate's layout: `client::runtime`).
        let client = codegen::emit::client::client_items(&api).unwrap_or_else(|e| panic!("{e}"));
        let client_file = format!("fixture_{name}_client.rs");
        let code = codegen::format_items(client, &source);
        std::fs::write(out.join(&client_file), code).expect("OUT_DIR writable");
        clients.push(quote! {
            #[doc = #source]
            #[allow(#allows)]
            pub mod #module {
                pub use codegen_tests::fixtures::#module as models;
                /// The generated client.
                pub mod client {
                    #[path = #runtime]
                    pub mod runtime;
                    include!(concat!(env!("OUT_DIR"), "/", #client_file));
                }
            }
        });
        modules.push(quote! {
            #[doc = #source]
            #[allow(#allows)]
            pub mod #module {
                #[path = #models]
                pub mod models;
                pub use self::models::*;
                #[path = #validate]
                pub mod validate;
                #[path = #server]
                pub mod server;
            }
        });
    }
    let fixtures_rs = quote!(#(#modules)*);
    std::fs::write(out.join("fixtures.rs"), fixtures_rs.to_string()).expect("OUT_DIR writable");
    let clients_rs = quote!(#(#clients)*);
    std::fs::write(out.join("fixture_clients.rs"), clients_rs.to_string())
        .expect("OUT_DIR writable");

    // One arm per type an example is given for: JSON → Rust → JSON.
    let spec = std::fs::read_to_string(root.join("../spec/maniac.yaml")).expect("spec readable");
    let api = codegen::load(&spec).unwrap_or_else(|e| panic!("spec/maniac.yaml: {e}"));
    let mut keys: Vec<String> = api.types.iter().map(|t| t.name.clone()).collect();
    for op in &api.operations {
        let contents = op
            .body
            .iter()
            .flat_map(|b| &b.content)
            .chain(op.responses.iter().flat_map(|r| &r.content));
        for content in contents {
            if let Some(ty) = &content.ty {
                keys.push(codegen::emit::ty_tokens(&api, ty).to_string());
            }
        }
    }
    keys.sort();
    keys.dedup();
    let arms = keys.iter().map(|key| {
        let ty: syn::Type = syn::parse_str(key).expect("type tokens parse");
        quote!(#key => round_trip::<#ty>(value),)
    });
    let dispatcher = quote! {
        #[allow(unused_imports)]
        use maniac_api::models::*;
        /// Deserializes `value` as the type spelled `key` and serializes it back.
        pub fn round_trip_as(key: &str, value: serde_json::Value) -> Option<Result<serde_json::Value, String>> {
            Some(match key {
                #(#arms)*
                _ => return None,
            })
        }
    };
    std::fs::write(out.join("round_trip.rs"), dispatcher.to_string()).expect("OUT_DIR writable");
}
