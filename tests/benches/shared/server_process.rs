//! A bench's server in a process of its own (the bench's binary run again with
//! `SERVE_IN_CHILD` set), so that its memory is read apart from the clients'.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Set in the child: it serves instead of benchmarking.
pub const SERVE_IN_CHILD: &str = "SERVE_IN_CHILD";

/// Whether this process is the child that serves.
pub fn is_child() -> bool {
    std::env::var_os(SERVE_IN_CHILD).is_some()
}

/// Starts the child and returns it with the first line it prints (where it listens).
pub fn start() -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(SERVE_IN_CHILD, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

/// A `/proc/<pid>/status` figure in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{key} in /proc/{pid}/status"))
}
