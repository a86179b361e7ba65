//! `cargo bench -p codegen`: time of each pipeline stage on the Maniac document, and the
//! process's peak memory. Prints numbers; asserts nothing.

use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml");
    let text = std::fs::read_to_string(path).expect("spec/maniac.yaml");
    let runs = 30;
    let doc = codegen::load::parse(&text).expect("spec parses");
    let api = codegen::lower::lower(&doc).expect("spec lowers");
    let options = codegen::Options {
        crate_name: "maniac-api".into(),
        source: "spec/maniac.yaml".into(),
        standalone: false,
    };
    let parse = time(runs, || codegen::load::parse(&text).unwrap());
    let lower = time(runs, || codegen::lower::lower(&doc).unwrap());
    let emit = time(runs, || codegen::emit::models::models(&api));
    let emit_format = time(runs, || codegen::generate_from_api(&api, &options).unwrap());
    let total = time(runs, || codegen::generate(&text, &options).unwrap());
    let bytes: usize = codegen::generate(&text, &options)
        .unwrap()
        .files
        .iter()
        .map(|f| f.contents.len())
        .sum();
    println!(
        "maniac.yaml: {} bytes in, {bytes} bytes out, {} types, {} operations",
        text.len(),
        api.types.len(),
        api.operations.len()
    );
    println!("median of {runs} runs:");
    println!(
        "  parse (YAML -> openapiv3)      {:>8.2} ms",
        parse.as_secs_f64() * 1e3
    );
    println!(
        "  lower (-> IR)                  {:>8.2} ms",
        lower.as_secs_f64() * 1e3
    );
    println!(
        "  emit models (-> tokens)        {:>8.2} ms",
        emit.as_secs_f64() * 1e3
    );
    println!(
        "  emit + format all files        {:>8.2} ms",
        emit_format.as_secs_f64() * 1e3
    );
    println!(
        "  whole pipeline                 {:>8.2} ms",
        total.as_secs_f64() * 1e3
    );
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak resident memory            {:>8.1} MiB",
            kib as f64 / 1024.0
        );
    }
}
