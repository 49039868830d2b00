//! Replays every input under `fuzz/regressions/` (findings of the fuzz
//! targets in `fuzz/`, minimized, plus a few interesting corpus entries)
//! through the real binary: never a panic, never a hang, never a stray exit
//! status, and `--format json` writes JSON lines.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, root};

/// A hang is a finding too: each command gets this long.
const TIME_BOUND: Duration = Duration::from_secs(20);

/// Every file under `fuzz/regressions/`, sorted.
fn inputs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("fuzz/regressions"), &mut out);
    out.sort();
    out
}

struct Ran {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary, killing it after [`TIME_BOUND`]; `Err` says it hung.
fn run_bounded(args: &[&str], file: &Path) -> Result<Ran, String> {
    let mut child = Command::new(BIN)
        .args(args)
        .arg(file)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run iotrun");
    // Drain the pipes on threads so a chatty child cannot block on them.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for iotrun") {
            break status;
        }
        if start.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {TIME_BOUND:?}; killed"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Ok(Ran {
        status: status.code(),
        stdout: text(out.join().expect("stdout reader")),
        stderr: text(err.join().expect("stderr reader")),
    })
}

/// The problems with one command on one input, if any.
fn problems(args: &[&str], file: &Path, json: bool) -> Vec<String> {
    let ran = match run_bounded(args, file) {
        Ok(ran) => ran,
        Err(hang) => return vec![hang],
    };
    let mut found = Vec::new();
    match ran.status {
        Some(0..=2) => {}
        Some(101) => found.push("exit status 101 (a panic)".to_string()),
        Some(other) => found.push(format!("exit status {other}, not 0, 1 or 2")),
        None => found.push("killed by a signal (a crash or a stack overflow)".to_string()),
    }
    if ran.stderr.contains("panicked") {
        found.push("\"panicked\" in stderr".to_string());
    }
    if json {
        for (name, text) in [("stderr", &ran.stderr), ("stdout", &ran.stdout)] {
            if let Some(line) = text
                .lines()
                .find(|line| serde_json::from_str::<serde_json::Value>(line).is_err())
            {
                let line: String = line.chars().take(200).collect();
                found.push(format!("{name} is not JSON lines: {line:?}"));
            }
        }
    }
    if !found.is_empty() {
        let stderr: String = ran.stderr.chars().take(600).collect();
        found.push(format!("stderr began: {stderr}"));
    }
    found
}

#[test]
fn every_fuzz_regression_is_handled_cleanly() {
    let inputs = inputs();
    assert!(!inputs.is_empty(), "no inputs under fuzz/regressions/");
    let commands: [(&[&str], bool); 3] = [
        (&["check"], false),
        (&["check", "--format", "json"], true),
        (&["run", "--virtual-time", "--format", "json"], true),
    ];
    let mut failures = Vec::new();
    for input in &inputs {
        for (args, json) in commands {
            for problem in problems(args, input, json) {
                let name = input.strip_prefix(root()).unwrap_or(input);
                failures.push(format!(
                    "iotrun {} {}: {problem}",
                    args.join(" "),
                    name.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}
