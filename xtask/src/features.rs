//! `cargo xtask features`: every operation group's cargo feature compiles alone, without
//! warnings, in the Maniac crate and in crates generated from other documents; and
//! `cargo xtask bench-compile`: how long a large generated crate takes to check, whole
//! and one group alone, against a fixed reference build in the same run.

use crate::{load, root, Failure, CRATE_NAME};
use codegen::{Options, Runtime};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub const USAGE: &str = "
  cargo xtask features [--spec FILE]... [--sample N]
                                         check the Maniac crate, and a crate for each FILE,
                                         with no group, each group's feature alone
                                         (N of them, evenly spread, with --sample) and all:
                                         no error, no warning
  cargo xtask bench-compile --spec FILE --group NAME [--runs N]
                                         time `cargo check` of FILE's crate (deps warm, no
                                         incremental cache): every feature, and client with
                                         one group, against a reference build (syn, full)
";

/// One crate whose feature combinations are checked.
struct Target {
    /// The crate's directory (`cargo check` runs there).
    dir: PathBuf,
    /// `-p NAME` inside the workspace; `None` for a standalone crate.
    package: Option<String>,
    groups: Vec<String>,
    /// Where a standalone crate builds (shared between them: dependencies once).
    target_dir: Option<PathBuf>,
}

pub fn features(args: &[String]) -> Result<(), Failure> {
    let mut specs = Vec::new();
    let mut sample = None;
    for (flag, value) in flag_values(args)? {
        match flag {
            "--spec" => specs.push(PathBuf::from(value)),
            "--sample" => {
                sample = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("`--sample` takes a number, not `{value}`"))?,
                )
            }
            other => return Err(format!("unknown option `{other}`{USAGE}").into()),
        }
    }
    let maniac = load(&root().join(crate::SPEC))?;
    let mut targets = vec![Target {
        dir: root(),
        package: Some(CRATE_NAME.to_owned()),
        groups: maniac.features.iter().map(|f| f.name.clone()).collect(),
        target_dir: None,
    }];
    let work = root().join("target/feature-check");
    for spec in &specs {
        let (dir, groups) = generate_standalone(spec, &work)?;
        targets.push(Target {
            dir,
            package: None,
            groups,
            target_dir: Some(work.join("target")),
        });
    }
    let mut failures = Vec::new();
    for target in &targets {
        let groups = sampled(&target.groups, sample);
        let mut combinations = vec![vec!["client".to_owned(), "server".to_owned()]];
        combinations.extend(
            groups
                .iter()
                .map(|group| vec!["client".to_owned(), "server".to_owned(), group.clone()]),
        );
        // A group alone, without client or server: its models and params.
        combinations.extend(groups.first().map(|group| vec![group.clone()]));
        let mut runs: Vec<Vec<String>> = combinations
            .into_iter()
            .map(|features| {
                vec![
                    "--no-default-features".to_owned(),
                    "--features".to_owned(),
                    features.join(","),
                ]
            })
            .collect();
        runs.push(vec!["--all-features".to_owned()]);
        for run in runs {
            let started = Instant::now();
            let outcome = cargo_check(target, &run, false)?;
            let label = format!("{} {}", target.dir.display(), run.join(" "));
            println!(
                "{label}: {} in {:.1} s",
                if outcome.is_ok() { "ok" } else { "FAILED" },
                started.elapsed().as_secs_f64()
            );
            if let Err(output) = outcome {
                failures.push(format!("{label}\n{output}"));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("feature combinations fail:\n{}", failures.join("\n")).into())
    }
}

/// `--flag value` pairs: every option of these commands takes a value.
fn flag_values(args: &[String]) -> Result<Vec<(&str, &String)>, Failure> {
    args.chunks(2)
        .map(|pair| match (&pair[0], pair.get(1)) {
            (flag, Some(value)) => Ok((flag.as_str(), value)),
            (flag, None) => Err(format!("`{flag}` needs a value{USAGE}").into()),
        })
        .collect()
}

/// `n` groups spread evenly over `groups` (all without a sample).
fn sampled(groups: &[String], n: Option<usize>) -> Vec<String> {
    match n {
        Some(n) if n < groups.len() => (0..n)
            .map(|i| groups[i * groups.len() / n].clone())
            .collect(),
        _ => groups.to_vec(),
    }
}

/// Writes the document's crate under `work` (depending on this checkout's runtime): its
/// directory and its groups.
fn generate_standalone(spec: &Path, work: &Path) -> Result<(PathBuf, Vec<String>), Failure> {
    let api = load(spec)?;
    let name = crate::default_crate_name(&api.title, spec);
    let dir = work.join(&name);
    let generated = crate::generate_api(
        spec,
        &api,
        &Options {
            crate_name: name,
            source: spec.display().to_string(),
            standalone: true,
            feature_groups: true,
            runtime: Runtime::Path(root().join("codegen/runtime").display().to_string()),
        },
    )?;
    // A fresh directory: files of an earlier generation would linger otherwise.
    let _ = std::fs::remove_dir_all(dir.join("src"));
    generated.write(&dir)?;
    Ok((dir, api.features.iter().map(|f| f.name.clone()).collect()))
}

/// `cargo check` of the target with `args`: `Err` with what cargo printed when it fails or
/// the crate has warnings. `fresh`: the crate is compiled whole, without incremental cache.
fn cargo_check(
    target: &Target,
    args: &[String],
    fresh: bool,
) -> Result<Result<(), String>, Failure> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.current_dir(&target.dir).arg("check").args(args);
    if let Some(package) = &target.package {
        command.args(["-p", package]);
    }
    if let Some(dir) = &target.target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    if fresh {
        command.env("CARGO_INCREMENTAL", "0");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // Warnings of the checked crate only (cargo's summary line names it).
    let warned = stderr
        .lines()
        .any(|line| line.starts_with("warning: `") && line.contains("generated"));
    Ok(if output.status.success() && !warned {
        Ok(())
    } else {
        Err(stderr)
    })
}

pub fn bench_compile(args: &[String]) -> Result<(), Failure> {
    let mut spec = None;
    let mut group = None;
    let mut runs = 1usize;
    for (flag, value) in flag_values(args)? {
        match flag {
            "--spec" => spec = Some(PathBuf::from(value)),
            "--group" => group = Some(value.clone()),
            "--runs" => {
                runs = value
                    .parse()
                    .map_err(|_| format!("`--runs` takes a number, not `{value}`"))?
            }
            other => return Err(format!("unknown option `{other}`{USAGE}").into()),
        }
    }
    let spec = spec.ok_or_else(|| format!("`--spec FILE` is required{USAGE}"))?;
    let group = group.ok_or_else(|| format!("`--group NAME` is required{USAGE}"))?;
    let work = root().join("target/bench-compile");
    let (dir, groups) = generate_standalone(&spec, &work)?;
    if !groups.contains(&group) {
        return Err(format!(
            "{} has no group `{group}`; its groups: {}",
            spec.display(),
            groups.join(", ")
        )
        .into());
    }
    let reference = reference_crate(&work)?;
    let generated = Target {
        dir: dir.clone(),
        package: None,
        groups,
        target_dir: Some(work.join("target")),
    };
    // Its own target directory: cleaning syn there must not touch the generated crate's
    // dependencies (serde's derive is built on syn).
    let reference = Target {
        dir: reference,
        package: None,
        groups: Vec::new(),
        target_dir: Some(work.join("reference-target")),
    };
    let cases: Vec<(&str, &Target, Vec<String>)> = vec![
        ("reference: syn 2 (full)", &reference, Vec::new()),
        (
            "every feature",
            &generated,
            vec!["--all-features".to_owned()],
        ),
        (
            "client + one group",
            &generated,
            vec![
                "--no-default-features".to_owned(),
                "--features".to_owned(),
                format!("client,{group}"),
            ],
        ),
        (
            "client, no group",
            &generated,
            vec![
                "--no-default-features".to_owned(),
                "--features".to_owned(),
                "client".to_owned(),
            ],
        ),
    ];
    // Dependencies built once for each feature set, outside the timings.
    for (_, target, args) in &cases {
        if let Err(output) = cargo_check(target, args, true)? {
            return Err(format!("cargo check failed:\n{output}").into());
        }
    }
    println!(
        "| check of `{}` ({group}) | wall (median of {runs}) | × reference | peak RSS |",
        spec.display()
    );
    println!("|---|---|---|---|");
    let mut reference_secs = None;
    for (label, target, args) in &cases {
        let mut walls = Vec::new();
        let mut peak = 0u64;
        for _ in 0..runs {
            let (wall, rss) = timed_check(target, args)?;
            walls.push(wall);
            peak = peak.max(rss);
        }
        walls.sort_by(f64::total_cmp);
        let median = walls[walls.len() / 2];
        let reference = *reference_secs.get_or_insert(median);
        println!(
            "| {label} | {median:.1} s | {:.2} | {} MiB |",
            median / reference,
            peak / 1024
        );
    }
    Ok(())
}

/// A crate that checks `syn` with every feature: a build that stays the same while the
/// generator changes, so that a ratio to it is comparable across machines and runs.
fn reference_crate(work: &Path) -> Result<PathBuf, Failure> {
    let dir = work.join("reference");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"compile-reference\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nsyn = { version = \"=2.0.119\", features = [\"full\", \"extra-traits\", \"visit\", \"visit-mut\", \"fold\"] }\n\n\
             [workspace]\n",
        ),
        ("src/lib.rs", "pub use syn;\n"),
    ];
    for (path, text) in files {
        std::fs::write(dir.join(path), text).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(dir)
}

/// One `cargo check` compiling the crate whole (syn itself, for the reference): wall
/// seconds and the peak RSS (KiB) of the biggest process, read in a child xtask.
fn timed_check(target: &Target, args: &[String]) -> Result<(f64, u64), Failure> {
    let reference = target.groups.is_empty() && target.package.is_none();
    if reference {
        // The reference's only heavy unit is syn: rebuilt each time.
        let mut clean = Command::new("cargo");
        clean
            .current_dir(&target.dir)
            .args(["clean", "-q", "-p", "syn"]);
        if let Some(dir) = &target.target_dir {
            clean.env("CARGO_TARGET_DIR", dir);
        }
        clean
            .status()
            .map_err(|e| format!("cannot run cargo clean: {e}"))?;
    } else {
        touch(&target.dir.join("src/lib.rs"))?;
    }
    let me = std::env::current_exe().map_err(|e| format!("{e}"))?;
    let mut command = Command::new(me);
    command
        .current_dir(&target.dir)
        .args(["__measure", "cargo", "check", "-q"])
        .args(args)
        .env("CARGO_INCREMENTAL", "0");
    if let Some(dir) = &target.target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run the measuring xtask: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let measured = text
        .lines()
        .find_map(|line| line.strip_prefix("measured "))
        .ok_or_else(|| {
            format!(
                "the measured check failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let mut parts = measured.split(' ');
    let wall = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let rss = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok((wall, rss))
}

/// Bumps a file's modification time, so that cargo compiles its crate again.
fn touch(path: &Path) -> Result<(), Failure> {
    let file = std::fs::File::options()
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.set_modified(std::time::SystemTime::now())
        .map_err(|e| format!("{}: {e}", path.display()).into())
}

/// `xtask __measure COMMAND...`: runs the command, then prints `measured WALL RSS`: its
/// wall seconds and the largest peak RSS (KiB) among the processes it waited for.
pub fn measure(args: &[String]) -> Result<(), Failure> {
    let (program, rest) = args
        .split_first()
        .ok_or_else(|| "`__measure` needs a command".to_owned())?;
    let started = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let wall = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("{program} failed: {status}").into());
    }
    // SAFETY: getrusage fills the struct it is given; RUSAGE_CHILDREN covers every
    // descendant waited for (rustc, by cargo), and ru_maxrss is the largest of them.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    println!("measured {wall:.3} {}", usage.ru_maxrss);
    Ok(())
}
