//! `cargo bench -p codegen`: time of each pipeline stage, and the process's peak memory.
//! Prints numbers; asserts nothing.
//!
//! The Maniac document always; more documents (GitHub's and Stripe's descriptions, say)
//! from `CODEGEN_BENCH_DOCS`, paths separated by `:`. Peak memory is per process, so run
//! one document per process (`CODEGEN_BENCH_DOCS=... cargo bench -p codegen -- --only`)
//! to read a document's own peak.

use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// CPU time of the whole process, all threads (Linux, 10 ms ticks): other processes on a
/// shared machine disturb it far less than wall time.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesized command name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Median wall time and median on-CPU time of `runs` runs.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (start, start_cpu) = (Instant::now(), cpu_time());
        std::hint::black_box(f());
        wall.push(start.elapsed());
        cpu.push(
            cpu_time()
                .zip(start_cpu)
                .map_or(Duration::ZERO, |(b, a)| b - a),
        );
    }
    (median(wall), median(cpu))
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ms((wall, cpu): (Duration, Duration)) -> String {
    format!(
        "{:>9.2} ms wall {:>9.2} ms cpu",
        wall.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3
    )
}

fn minus((a, b): (Duration, Duration), (c, d): (Duration, Duration)) -> (Duration, Duration) {
    (a.saturating_sub(c), b.saturating_sub(d))
}

fn bench(path: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let name = std::path::Path::new(path)
        .file_name()
        .map_or(path.into(), |n| n.to_string_lossy().into_owned());
    // Fewer runs for the big documents; the median still steadies within a few.
    let runs = if text.len() > 1_000_000 { 5 } else { 30 };
    let options = codegen::Options {
        crate_name: "bench-api".into(),
        source: name.clone(),
        standalone: false,

        feature_groups: true,
        runtime: codegen::Runtime::Path("../codegen/runtime".into()),
    };
    let doc = codegen::load::parse(&text).expect("document parses");
    let api = codegen::lower::lower(&doc).expect("document lowers");
    let read = time(runs, || codegen::load::to_json(&text).unwrap());
    let parse = time(runs, || codegen::load::parse(&text).unwrap());
    let lower = time(runs, || codegen::lower::lower(&doc).unwrap());
    // The stages of formatting, one thread, all files: the pipeline itself runs them on
    // every core, so they sum to more than its wall time. The models, the client and the
    // server are built as syntax trees (their rarer items through tokens, parsed within
    // this stage); the mock as tokens, parsed in the next.
    let emit_all = || {
        let mock = codegen::emit::server::mock(&api);
        let trees = (
            codegen::emit::client::client_rs(&api).unwrap(),
            codegen::emit::models::models(&api).unwrap(),
            codegen::emit::server::server(&api).unwrap(),
        );
        (mock, trees)
    };
    let parse_all = || {
        let (mock, (mut client, models, server)) = emit_all();
        let mock = syn::parse2::<syn::File>(mock).unwrap();
        client.items.extend(models);
        let server = syn::File {
            shebang: None,
            attrs: Vec::new(),
            items: server,
        };
        [client, server, mock]
    };
    let emit = time(runs, emit_all);
    let syn_parse = time(runs, parse_all);
    let files = parse_all();
    let print = time(runs, || files.each_ref().map(codegen::print));
    let total = time(runs, || codegen::generate(&text, &options).unwrap());
    let bytes: usize = codegen::generate(&text, &options)
        .unwrap()
        .files
        .iter()
        .map(|f| f.contents.len())
        .sum();
    println!(
        "{name}: {} bytes in, {bytes} bytes out, {} types, {} operations; median of {runs} runs:",
        text.len(),
        api.types.len(),
        api.operations.len()
    );
    println!("  read text (-> JSON value)           {}", ms(read));
    println!(
        "  rewrite + type (-> openapiv3)       {}",
        ms(minus(parse, read))
    );
    println!("  lower (-> IR)                       {}", ms(lower));
    println!("  emit, one thread (-> trees, tokens) {}", ms(emit));
    println!(
        "  syn parse, one thread (-> AST)      {}",
        ms(minus(syn_parse, emit))
    );
    println!("  print, one thread (-> text)         {}", ms(print));
    println!("  whole pipeline, all cores           {}", ms(total));
}

fn main() {
    let only = std::env::args().any(|a| a == "--only");
    let extra = std::env::var("CODEGEN_BENCH_DOCS").unwrap_or_default();
    let mut paths: Vec<String> = extra
        .split(':')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if !only || paths.is_empty() {
        paths.insert(
            0,
            concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml").to_owned(),
        );
    }
    for path in &paths {
        bench(path);
    }
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak resident memory of this process  {:>7.1} MiB",
            kib as f64 / 1024.0
        );
    }
}
