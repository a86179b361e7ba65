//! The xtask binary: exit codes and messages, and `generate` giving a crate that builds.

use std::path::{Path, PathBuf};
use std::process::Command;

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn generate(spec: &Path, out: &Path) -> std::process::Output {
    xtask(&[
        "generate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn a_bad_document_exits_1_with_the_place() {
    let out = scratch("bad");
    let run = generate(&fixture("errors/dangling_ref.yaml"), &out);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("error:") && stderr.contains("#/components/schemas/A/properties/b"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written for a bad document");
}

#[test]
fn usage_errors_exit_1() {
    for args in [
        &["frobnicate"][..],
        &["generate", "--spec"][..],
        &["generate", "--out", "x"][..],
        &[][..],
    ] {
        let run = xtask(args);
        assert_eq!(run.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn check_passes_on_the_checked_in_crate() {
    let run = xtask(&["check"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn generate_writes_a_standalone_crate_that_builds() {
    let out = scratch("operations");
    let run = generate(&fixture("operations.yaml"), &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for file in ["Cargo.toml", "src/lib.rs", "src/models.rs"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let toml = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
    assert!(toml.contains("name = \"operations-api\""), "{toml}");
    // Shares a target directory across runs so dependencies build once.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/generated-crate-check");
    let check = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--manifest-path"])
        .arg(out.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_crate_is_named_from_the_documents_title_and_paths_from_where_it_runs() {
    let dir = scratch("title");
    std::fs::create_dir_all(&dir).unwrap();
    // A file name that says nothing of the API: the title names the crate.
    std::fs::copy(fixture("error_schemas.yaml"), dir.join("generator.yaml")).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--spec", "generator.yaml", "--out", "out"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let toml = std::fs::read_to_string(dir.join("out/Cargo.toml")).unwrap();
    let title = std::fs::read_to_string(fixture("error_schemas.yaml")).unwrap();
    assert!(!toml.contains("name = \"generator-api\""), "{toml}");
    assert!(
        title.contains("title: Error Schemas"),
        "the fixture's title changed"
    );
    assert!(toml.contains("name = \"error-schemas-api\""), "{toml}");
}
