//! The generator as a downstream crate's `build.rs` runs it: the document's code written
//! into `OUT_DIR` as a module tree, and a file declaring it to `include!`.
//!
//! ```ignore
//! // build.rs (build-dependency: codegen)
//! fn main() {
//!     codegen::build::module("openapi.yaml", "api").unwrap_or_else(|e| panic!("{e}"));
//! }
//! // src/lib.rs
//! include!(concat!(env!("OUT_DIR"), "/api.rs")); // `pub mod api`
//! ```
//!
//! The crate then needs what a generated crate depends on: `serde` (with `derive`),
//! `serde_json` and `codegen-runtime`, and the features the code is gated on: `client =
//! ["codegen-runtime/client"]` and `server = ["codegen-runtime/server"]` for those
//! modules. The module has no per-group features (those are the generated crate's, see
//! `cargo xtask generate`): every operation compiles.

use crate::{generate, Options, Runtime};
use std::path::{Path, PathBuf};

/// Generates the document at `spec` into `$OUT_DIR/{module}/` and writes
/// `$OUT_DIR/{module}.rs`, which declares it as `pub mod {module}`; tells cargo to run
/// again when the document changes. The declaration's path, or what went wrong (a broken
/// document: the place and the reason).
pub fn module(spec: impl AsRef<Path>, module: &str) -> Result<PathBuf, String> {
    let out = std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set: call this from build.rs")?;
    module_in(spec.as_ref(), module, Path::new(&out))
}

/// [`module`], writing under `out` instead of `OUT_DIR`.
pub fn module_in(spec: &Path, module: &str, out: &Path) -> Result<PathBuf, String> {
    let is_ident = module.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && module
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let reserved = ["crate", "self", "super", "_"].contains(&module);
    if !is_ident || reserved || crate::names::ident(module) != module {
        return Err(format!(
            "`{module}` is not a module name (a Rust identifier, not a keyword)"
        ));
    }
    println!("cargo:rerun-if-changed={}", spec.display());
    let text = std::fs::read_to_string(spec)
        .map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    let options = Options {
        crate_name: module.replace('_', "-"),
        source: spec.display().to_string(),
        standalone: false,
        feature_groups: false,
        // Unused: no Cargo.toml of its own is written.
        runtime: Runtime::Vendored,
    };
    let mut generated =
        generate(&text, &options).map_err(|e| format!("{}: {e}", spec.display()))?;
    for warning in &generated.warnings {
        println!("cargo:warning={}: {warning}", spec.display());
    }
    // The sources only: the including crate is the package.
    generated.files.retain(|f| f.path.starts_with("src"));
    let dir = out.join(module);
    generated.write(&dir)?;
    let lib = dir.join("src/lib.rs");
    let declaration = format!(
        "/// Generated from `{}`.\n\
         // The generated crate root's crate-level attributes do nothing in a module.\n\
         #[allow(unused_attributes)]\n#[path = {:?}]\npub mod {module};\n",
        spec.display(),
        lib.display().to_string(),
    );
    let declared = out.join(format!("{module}.rs"));
    std::fs::write(&declared, declaration)
        .map_err(|e| format!("cannot write {}: {e}", declared.display()))?;
    Ok(declared)
}

#[cfg(test)]
mod tests {
    use super::module_in;
    use std::path::Path;

    #[test]
    fn writes_the_module_tree_and_its_declaration() {
        let out = std::env::temp_dir().join(format!("codegen-build-{}", std::process::id()));
        let spec = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"));
        let declared = module_in(spec, "maniac", &out).unwrap();
        let declaration = std::fs::read_to_string(&declared).unwrap();
        assert!(declaration.contains("pub mod maniac;"), "{declaration}");
        for file in [
            "src/lib.rs",
            "src/models.rs",
            "src/client.rs",
            "src/server.rs",
        ] {
            assert!(out.join("maniac").join(file).is_file(), "{file}");
        }
        // No Cargo.toml: the including crate is the package.
        assert!(!out.join("maniac/Cargo.toml").exists());
        // Per-group features are a generated crate's, not the including crate's.
        let models = std::fs::read_to_string(out.join("maniac/src/models.rs")).unwrap();
        assert!(!models.contains("#[cfg(feature"));
        assert!(module_in(spec, "not a name", &out).is_err());
        assert!(module_in(spec, "type", &out).is_err());
        assert!(module_in(Path::new("missing.yaml"), "m", &out)
            .unwrap_err()
            .contains("missing.yaml"));
        std::fs::remove_dir_all(&out).unwrap();
    }
}
