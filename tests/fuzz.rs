//! Structure-aware mutation fuzz: mutants of the Maniac document and the fixtures (keys
//! deleted, values of another JSON type, `$ref`s to arbitrary pointers including the node's
//! own ancestors, hostile names) either generate a crate or fail with a located error,
//! never a panic. A sample of the generated crates is compiled, as modules of one crate in
//! a single `cargo check`.
//!
//! Seeded and bounded: `FUZZ_SEED` (default fixed), `FUZZ_MUTANTS` (default 500),
//! `FUZZ_SECONDS` (default 20, for generation), `FUZZ_COMPILE` (modules compiled, default 8);
//! a short run by default, so that `cargo test --workspace` stays quick. CI runs the full
//! budget (`.ci/run`: 3000 mutants, 90 s, 24 modules).
//! `FUZZ_DUMP=FILE` writes each mutant there first (to catch one that aborts the process);
//! `FUZZ_REPORT=1` prints the errors grouped by their message's start.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The seed documents as JSON, with their names.
fn seeds() -> Vec<(String, Value)> {
    let mut paths = vec![root().join("spec/maniac.yaml")];
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    fixtures.sort();
    paths.extend(fixtures);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value = codegen::load::to_json(&text).unwrap();
            (p.file_stem().unwrap().to_string_lossy().into_owned(), value)
        })
        .collect()
}

/// RFC 6901 pointer tokens of every node, parents before children.
fn nodes(value: &Value) -> Vec<Vec<String>> {
    fn walk(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    path.push(k.clone());
                    walk(v, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn pointer(tokens: &[String]) -> String {
    let mut out = String::from("#");
    for t in tokens {
        out.push('/');
        out.push_str(&t.replace('~', "~0").replace('/', "~1"));
    }
    out
}

fn get_mut<'v>(value: &'v mut Value, tokens: &[String]) -> Option<&'v mut Value> {
    tokens.iter().try_fold(value, |node, t| match node {
        Value::Object(map) => map.get_mut(t),
        Value::Array(items) => items.get_mut(t.parse::<usize>().ok()?),
        _ => None,
    })
}

const HOSTILE: &[&str] = &[
    "",
    "type",
    "self",
    "Self",
    "super",
    "r#type",
    "1st",
    "日本語",
    "a/b~c",
    "Result",
    "Option",
    "__",
    "-",
    "+1",
    "-1",
    "evil\u{202E}txt",
    "bell\u{7}",
    "\"quoted\" \\ back",
    "*/ /* x",
    "fn main() {}",
    "Default",
    "mod",
    "_",
    "Other",
    "additional_properties",
    "deserialize_some",
];

fn other_type(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(0..10) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(false),
        3 => json!(-9223372036854775808i64),
        4 => json!(1.5e300),
        5 => json!(HOSTILE[rng.usize(0..HOSTILE.len())]),
        6 => json!([]),
        7 => json!({}),
        8 => json!(["x", 1, null]),
        _ => json!(0),
    }
}

/// One structure-aware mutation of `doc`.
fn mutate(doc: &mut Value, rng: &mut fastrand::Rng) {
    let all = nodes(doc);
    let target = all[rng.usize(0..all.len())].clone();
    let Some((last, parent_path)) = target.split_last() else {
        return;
    };
    match rng.u8(0..10) {
        // Delete a key (or an array item).
        0 | 1 => match get_mut(doc, parent_path) {
            Some(Value::Object(map)) => {
                map.remove(last);
            }
            Some(Value::Array(items)) => {
                if let Ok(i) = last.parse::<usize>() {
                    if i < items.len() {
                        items.remove(i);
                    }
                }
            }
            _ => {}
        },
        // A value of another JSON type.
        2 | 3 => {
            if let Some(node) = get_mut(doc, &target) {
                *node = other_type(rng);
            }
        }
        // A `$ref` to an arbitrary pointer: the node itself, an ancestor, any node, or none.
        4..=6 => {
            let to = match rng.u8(0..5) {
                0 => pointer(&target),
                1 => pointer(&target[..rng.usize(0..=target.len())]),
                2 => "#/nowhere/at/all".to_owned(),
                3 => "other.yaml#/x".to_owned(),
                _ => pointer(&all[rng.usize(0..all.len())]),
            };
            if let Some(node) = get_mut(doc, &target) {
                *node = json!({ "$ref": to });
            }
        }
        // A hostile name: a key renamed, or a string value replaced.
        7 | 8 => {
            let hostile = HOSTILE[rng.usize(0..HOSTILE.len())].to_owned();
            match get_mut(doc, parent_path) {
                Some(Value::Object(map)) => {
                    if let Some(value) = map.remove(last) {
                        map.insert(hostile, value);
                    }
                }
                Some(Value::Array(items)) => {
                    if let Some(item) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                        *item = Value::String(hostile);
                    }
                }
                _ => {}
            }
        }
        // A subtree copied somewhere else.
        _ => {
            let source = &all[rng.usize(0..all.len())];
            let copy = source.iter().try_fold(&*doc, |node, t| match node {
                Value::Object(map) => map.get(t),
                Value::Array(items) => items.get(t.parse::<usize>().ok()?),
                _ => None,
            });
            if let Some(copy) = copy.cloned() {
                if let Some(node) = get_mut(doc, &target) {
                    *node = copy;
                }
            }
        }
    }
}

fn options() -> codegen::Options {
    codegen::Options {
        crate_name: "fuzz-mutant".into(),
        source: "mutant".into(),
        standalone: true,

        feature_groups: true,
        // The mutants' crates are checked outside the workspace.
        runtime: codegen::Runtime::Path(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../codegen/runtime").into(),
        ),
    }
}

#[test]
fn mutants_generate_code_or_fail_with_a_located_error() {
    let seed: u64 = env_or("FUZZ_SEED", 0x5eed_0009);
    let mutants: usize = env_or("FUZZ_MUTANTS", 500);
    let budget = Duration::from_secs(env_or("FUZZ_SECONDS", 20));
    let compile: usize = env_or("FUZZ_COMPILE", 8);
    println!("fuzz seed {seed:#x} (FUZZ_SEED to replay), up to {mutants} mutants");
    let seeds = seeds();
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    let (mut generated, mut failed) = (0usize, 0usize);
    let mut sample: Vec<(String, codegen::Generated)> = Vec::new();
    let mut tried = 0;
    let mut causes = std::collections::BTreeMap::new();
    while tried < mutants && started.elapsed() < budget {
        tried += 1;
        let (name, original) = &seeds[rng.usize(0..seeds.len())];
        let mut doc = original.clone();
        for _ in 0..rng.usize(1..=3) {
            mutate(&mut doc, &mut rng);
        }
        // Mostly JSON (the fast path); some YAML, so both parsers meet hostile input.
        let text = if rng.u8(0..4) == 0 {
            serde_yaml::to_string(&doc).unwrap()
        } else {
            serde_json::to_string(&doc).unwrap()
        };
        let label = format!("mutant {tried} of {name} (seed {seed:#x})");
        if let Ok(path) = std::env::var("FUZZ_DUMP") {
            // A stack overflow aborts before any report: keep the mutant on disk.
            std::fs::write(path, &text).unwrap();
        }
        let outcome = std::panic::catch_unwind(|| codegen::generate(&text, &options()));
        match outcome {
            Err(_) => panic!("{label}: the generator panicked on:\n{text}"),
            Ok(Err(e)) => {
                assert!(
                    !e.internal,
                    "{label}: internal generator error {e} on:\n{text}"
                );
                assert!(
                    e.pointer.starts_with('#') && !e.message.is_empty(),
                    "{label}: unlocated error {e:?}"
                );
                failed += 1;
                let cause: String = e.message.chars().take(48).collect();
                *causes.entry(cause).or_insert(0usize) += 1;
            }
            Ok(Ok(crate_files)) => {
                for w in &crate_files.warnings {
                    assert!(w.pointer.starts_with('#'), "{label}: unlocated warning {w}");
                }
                generated += 1;
                // Every k-th success joins the compiled sample, spread over the run.
                if sample.len() < compile && generated % 7 == 1 {
                    sample.push((label, crate_files));
                }
            }
        }
    }
    println!(
        "{tried} mutants in {:.1}s: {generated} generated, {failed} located errors; compiling {}",
        started.elapsed().as_secs_f64(),
        sample.len()
    );
    if std::env::var_os("FUZZ_REPORT").is_some() {
        let mut causes: Vec<_> = causes.into_iter().collect();
        causes.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        for (cause, n) in causes {
            println!("{n:>6}  {cause}");
        }
    }
    assert!(
        generated > 0 && failed > 0,
        "the mutations should hit both outcomes"
    );
    compile_sample(&sample);
}

/// The quoted names in a dependency line's `features = [...]`.
fn features(line: &str) -> Vec<&str> {
    let Some((_, list)) = line.split_once("features = [") else {
        return Vec::new();
    };
    let list = list.split(']').next().unwrap_or_default();
    list.split(',')
        .map(|f| f.trim().trim_matches('"'))
        .filter(|f| !f.is_empty())
        .collect()
}

/// `kept` with `other`'s features added (a dependency line `name = { ... }`).
fn with_features_of(kept: &str, other: &str) -> String {
    let mut all = features(kept);
    for feature in features(other) {
        if !all.contains(&feature) {
            all.push(feature);
        }
    }
    if all.is_empty() || !kept.ends_with('}') {
        return kept.to_owned();
    }
    let list = all
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let head = kept
        .split_once(", features = [")
        .map_or_else(|| kept.trim_end_matches('}').trim_end(), |(head, _)| head);
    format!("{head}, features = [{list}] }}")
}

/// `[dependencies]` and `[features]` entries of every sampled crate, first spelling wins
/// (a dependency's features are merged).
fn merged_manifest(sample: &[(String, codegen::Generated)]) -> String {
    let mut sections: Vec<(String, Vec<(String, String)>)> = vec![
        ("dependencies".into(), Vec::new()),
        ("features".into(), Vec::new()),
    ];
    for (_, generated) in sample {
        let manifest = &generated
            .files
            .iter()
            .find(|f| f.path == Path::new("Cargo.toml"));
        let mut section = String::new();
        for line in manifest.map(|f| f.contents.as_str()).unwrap_or("").lines() {
            let line = line.trim();
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = header.to_owned();
            } else if let Some((key, _)) = line.split_once('=') {
                if let Some((_, entries)) = sections.iter_mut().find(|(s, _)| *s == section) {
                    let key = key.trim().to_owned();
                    match entries.iter_mut().find(|(k, _)| *k == key) {
                        None => entries.push((key, line.to_owned())),
                        // A dependency's features differ by crate (the runtime's `pattern`
                        // only where a pattern is checked): the sample needs all of them.
                        Some((_, kept)) => *kept = with_features_of(kept, line),
                    }
                }
            }
        }
    }
    let mut out = String::from(
        "[package]\nname = \"fuzz-sample\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [lib]\npath = \"lib.rs\"\ndoctest = false\n\n[workspace]\n",
    );
    for (name, entries) in sections {
        out.push_str(&format!("\n[{name}]\n"));
        for (_, line) in entries {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Writes each sampled crate as a module (its `src/lib.rs` as the module root) of one
/// crate that denies warnings, and checks it once.
fn compile_sample(sample: &[(String, codegen::Generated)]) {
    if sample.is_empty() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-sample");
    let _ = std::fs::remove_dir_all(&dir);
    let mut lib = String::from("#![deny(warnings)]\n#![recursion_limit = \"512\"]\n");
    for (i, (label, generated)) in sample.iter().enumerate() {
        let module = dir.join(format!("m{i}"));
        for file in &generated.files {
            let Ok(relative) = file.path.strip_prefix("src") else {
                continue;
            };
            let relative = if relative == Path::new("lib.rs") {
                PathBuf::from("mod.rs")
            } else {
                relative.to_path_buf()
            };
            let path = module.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, &file.contents).unwrap();
        }
        // Each crate root's crate-level attributes (`recursion_limit`) are a module's here;
        // the sample crate sets the limit itself.
        lib.push_str(&format!(
            "/// {}\n#[allow(unused_attributes)]\npub mod m{i};\n",
            label.replace('\n', " ")
        ));
    }
    std::fs::write(dir.join("lib.rs"), lib).unwrap();
    std::fs::write(dir.join("Cargo.toml"), merged_manifest(sample)).unwrap();
    // The workspace's lock, so the sample builds offline with versions already fetched.
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["check", "--offline", "--all-features", "--quiet"])
        .current_dir(&dir)
        // Its own target dir: the workspace's is locked by the running `cargo test`.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-target"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "sampled mutants do not compile cleanly ({}):\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
