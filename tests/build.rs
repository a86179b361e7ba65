//! Generates the fixture documents' crates into OUT_DIR so the test suite compiles them
//! (models, client, server and mock; not only snapshots them), and a dispatcher that round-trips the Maniac document's
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
    for name in &names {
        let path = fixtures.join(format!("{name}.yaml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("fixture readable");
        // The fixture's crate as the generator's one pipeline lays it out (what
        // `cargo xtask generate` writes), its `src/lib.rs` compiled as a module.
        let options = codegen::Options {
            crate_name: name.replace('_', "-"),
            source: format!("tests/fixtures/{name}.yaml"),
            standalone: false,

            feature_groups: false,
            runtime: codegen::Runtime::Path("../../codegen/runtime".into()),
        };
        let generated =
            codegen::generate(&text, &options).unwrap_or_else(|e| panic!("{name}.yaml: {e}"));
        let dir = out.join(format!("fixture_{name}"));
        for file in &generated.files {
            let path = dir.join(&file.path);
            std::fs::create_dir_all(path.parent().expect("a file has a folder"))
                .expect("OUT_DIR writable");
            std::fs::write(&path, &file.contents).expect("OUT_DIR writable");
        }
        let lib = dir.join("src/lib.rs").display().to_string();
        let module = format_ident!("{}", name);
        let source = &options.source;
        modules.push(quote! {
            #[doc = #source]
            #[allow(#allows)]
            pub mod #module {
                // A crate root for users (crate-level attributes such as
                // `recursion_limit`), a module here.
                #[allow(unused_attributes)]
                #[path = #lib]
                mod generated;
                pub use self::generated::*;
                pub use self::generated::models::*;
            }
        });
    }
    let fixtures_rs = quote!(#(#modules)*);
    std::fs::write(out.join("fixtures.rs"), fixtures_rs.to_string()).expect("OUT_DIR writable");

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
