//! `cargo xtask regenerate | check | generate --spec FILE --out DIR [--name CRATE]`.

mod corpus;
mod features;
mod slice;

use codegen::{Generated, Options, Runtime};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage:
  cargo xtask regenerate                 write generated/ from spec/maniac.yaml
  cargo xtask check                      fail if generated/ differs from what the spec gives
  cargo xtask generate --spec FILE --out DIR [--name CRATE] [--member] [--vendor-runtime]
                                         write a standalone crate for any OpenAPI 3.0/3.1/3.2 document
                                         (the crate's name from the document's title by default)
                                         (--member: one for an enclosing workspace;
                                         --vendor-runtime: copy the runtime crate into DIR/runtime
                                         instead of depending on this checkout's codegen/runtime)
";

const SPEC: &str = "spec/maniac.yaml";
const CRATE_DIR: &str = "generated";
const CRATE_NAME: &str = "maniac-api";

/// Exit code for a generator bug (an internal error or a caught panic), apart from 1 for
/// a bad document or command, so that the corpus runner tells them apart without reading
/// messages.
const EXIT_INTERNAL: u8 = 2;

/// Why a command failed; `internal` when the generator is at fault, not its input.
struct Failure {
    message: String,
    internal: bool,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            message,
            internal: false,
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The generator is meant never to panic; should it, say so and exit 2, not 101.
    match std::panic::catch_unwind(|| run(&args)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(failure)) => {
            eprintln!("error: {}", failure.message);
            if failure.internal {
                ExitCode::from(EXIT_INTERNAL)
            } else {
                ExitCode::FAILURE
            }
        }
        Err(_) => {
            eprintln!("error: internal generator error (a bug): please report the document that caused it");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn run(args: &[String]) -> Result<(), Failure> {
    match args.first().map(String::as_str) {
        Some("regenerate") => regenerate(),
        Some("check") => check(),
        Some("generate") => generate(&args[1..]),
        Some("corpus") => Ok(corpus::run(&args[1..])?),
        Some("features") => features::features(&args[1..]),
        Some("bench-compile") => features::bench_compile(&args[1..]),
        Some("__measure") => features::measure(&args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}{}{}", corpus::USAGE, features::USAGE);
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n{USAGE}").into()),
        None => Err(USAGE.to_owned().into()),
    }
}

fn generate_from(spec: &Path, options: &Options) -> Result<Generated, Failure> {
    let api = load(spec)?;
    generate_api(spec, &api, options)
}

/// The document at `spec`, read and lowered; an error naming the file and the place.
fn load(spec: &Path) -> Result<codegen::ir::Api, Failure> {
    let text = std::fs::read_to_string(spec)
        .map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    codegen::load(&text).map_err(|e| Failure {
        message: format!("{}: {e}", spec.display()),
        internal: e.internal,
    })
}

/// The crate for a loaded document, its warnings printed.
fn generate_api(
    spec: &Path,
    api: &codegen::ir::Api,
    options: &Options,
) -> Result<Generated, Failure> {
    let generated = codegen::generate_from_api(api, options).map_err(|e| Failure {
        message: format!("{}: {e}", spec.display()),
        internal: e.internal,
    })?;
    for warning in &generated.warnings {
        eprintln!("{}: {warning}", spec.display());
    }
    Ok(generated)
}

/// A crate name from the document's title (`Stripe API` → `stripe-api`, `Operations` →
/// `operations-api`), else from the file's name.
fn default_crate_name(title: &str, spec: &Path) -> String {
    let from = if title.chars().any(|c| c.is_ascii_alphanumeric()) {
        title
    } else {
        spec.file_stem().and_then(|s| s.to_str()).unwrap_or("api")
    };
    let name = codegen::names::snake_name(from, "api").replace('_', "-");
    if name == "api" || name.ends_with("-api") {
        name
    } else {
        format!("{name}-api")
    }
}

fn maniac() -> Result<Generated, Failure> {
    generate_from(
        &root().join(SPEC),
        &Options {
            crate_name: CRATE_NAME.into(),
            source: SPEC.into(),
            standalone: false,

            feature_groups: true,
            runtime: Runtime::Path("../codegen/runtime".into()),
        },
    )
}

/// `.rs` files under `src/` that the generator no longer emits.
fn leftovers(generated: &Generated, out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(out.join("src")) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| Path::new("src").join(e.file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter(|p| !generated.files.iter().any(|f| &f.path == p))
        .collect();
    stale.sort();
    stale
}

fn regenerate() -> Result<(), Failure> {
    let started = Instant::now();
    let generated = maniac()?;
    let out = root().join(CRATE_DIR);
    generated.write(&out)?;
    for stale in leftovers(&generated, &out) {
        std::fs::remove_file(out.join(&stale))
            .map_err(|e| format!("cannot remove {}: {e}", stale.display()))?;
    }
    println!(
        "wrote {} files to {CRATE_DIR}/ from {SPEC} in {} ms",
        generated.files.len(),
        started.elapsed().as_millis()
    );
    Ok(())
}

fn check() -> Result<(), Failure> {
    let generated = maniac()?;
    let out = root().join(CRATE_DIR);
    let mut stale: Vec<String> = generated
        .files
        .iter()
        .filter(|f| std::fs::read_to_string(out.join(&f.path)).ok().as_deref() != Some(&f.contents))
        .map(|f| format!("{CRATE_DIR}/{}", f.path.display()))
        .collect();
    stale.extend(
        leftovers(&generated, &out)
            .iter()
            .map(|p| format!("{CRATE_DIR}/{} (no longer generated)", p.display())),
    );
    if stale.is_empty() {
        println!("{CRATE_DIR}/ is up to date with {SPEC}");
        Ok(())
    } else {
        Err(format!(
            "{CRATE_DIR}/ is stale:\n  {}\nrun `cargo xtask regenerate` and commit the result",
            stale.join("\n  ")
        )
        .into())
    }
}

fn generate(args: &[String]) -> Result<(), Failure> {
    let mut spec = None;
    let mut out = None;
    let mut name = None;
    let mut member = false;
    let mut vendor_runtime = false;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let slot = match flag.as_str() {
            "--member" => {
                member = true;
                continue;
            }
            "--vendor-runtime" => {
                vendor_runtime = true;
                continue;
            }
            "--spec" => &mut spec,
            "--out" => &mut out,
            "--name" => &mut name,
            other => return Err(format!("unknown option `{other}`\n{USAGE}").into()),
        };
        *slot = Some(
            rest.next()
                .ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))?
                .clone(),
        );
    }
    let spec = PathBuf::from(spec.ok_or_else(|| format!("`--spec FILE` is required\n{USAGE}"))?);
    let out = PathBuf::from(out.ok_or_else(|| format!("`--out DIR` is required\n{USAGE}"))?);
    let api = load(&spec)?;
    let name = name.unwrap_or_else(|| default_crate_name(&api.title, &spec));
    let runtime_dir = root().join("codegen/runtime");
    let generated = generate_api(
        &spec,
        &api,
        &Options {
            crate_name: name.clone(),
            source: spec.display().to_string(),
            standalone: !member,

            feature_groups: true,
            // An installed generator whose checkout is gone has only its own copy.
            runtime: if vendor_runtime || !runtime_dir.is_dir() {
                Runtime::Vendored
            } else {
                Runtime::Path(runtime_dir.display().to_string())
            },
        },
    )?;
    generated.write(&out)?;
    println!(
        "wrote crate `{name}` ({} files) to {}",
        generated.files.len(),
        out.display()
    );
    // The process ends next: freeing the lowered document (millions of small allocations
    // for Stripe's) would only delay it, as `codegen::generate` avoids by dropping it aside.
    std::mem::forget(api);
    Ok(())
}
