//! A small builder that runs the real `iotrun` binary in a temporary folder
//! and compares what a user sees: stdout, stderr and the exit status.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const BIN: &str = env!("CARGO_BIN_EXE_iotrun");

/// The repository root, for tests that use `programs/`.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[must_use]
pub struct Test {
    dir: TempDir,
    args: Vec<String>,
    stdout: Option<String>,
    stderr: Option<String>,
    status: i32,
    env: Vec<(String, String)>,
}

impl Test {
    pub fn new() -> Self {
        Test {
            dir: TempDir::new(),
            args: Vec::new(),
            stdout: None,
            stderr: None,
            status: 0,
            env: Vec::new(),
        }
    }

    /// Writes `program.yaml` in the test's folder.
    pub fn program(self, text: &str) -> Self {
        self.file("program.yaml", text)
    }

    pub fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create test folder");
        }
        std::fs::write(path, contents).expect("write test file");
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    pub fn stdout(mut self, expected: &str) -> Self {
        self.stdout = Some(expected.to_string());
        self
    }

    pub fn stderr(mut self, expected: &str) -> Self {
        self.stderr = Some(expected.to_string());
        self
    }

    pub fn status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the binary without checking anything, for tests that look at
    /// the status themselves.
    pub fn run_any_status(self) -> Run {
        let output = Command::new(BIN)
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("run iotrun");
        Run::from(output)
    }

    /// Runs the binary and checks everything that was set; returns what it
    /// printed for further checks.
    #[track_caller]
    pub fn run(self) -> Run {
        let stdout = self.stdout.clone();
        let stderr = self.stderr.clone();
        let status = self.status;
        let run = self.run_any_status();
        if let Some(expected) = &stderr {
            assert_eq!(
                run.stderr, *expected,
                "stderr differs; stdout was:\n{}",
                run.stdout
            );
        }
        if let Some(expected) = &stdout {
            assert_eq!(
                run.stdout, *expected,
                "stdout differs; stderr was:\n{}",
                run.stderr
            );
        }
        assert_eq!(
            run.status, status,
            "exit status differs; stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        run
    }
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            status: output.status.code().unwrap_or(-1),
        }
    }
}

impl Run {
    /// stdout parsed as JSON lines.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }
}

/// A folder under the system's temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "iotrun-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The files an editor test opens: every program, the fixtures and the
/// fuzzers' hostile regressions, sorted.
pub fn program_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in [
        "programs",
        "programs/mqtt",
        "tests/fixtures",
        "fuzz/regressions/check",
    ] {
        for entry in std::fs::read_dir(root().join(folder))
            .expect("folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The diagnostics `iotrun check --format json` gives `text`.
pub fn check_json(text: &str) -> Vec<serde_json::Value> {
    let run = Test::new()
        .file("program.yaml", text)
        .args(["check", "--format", "json", "program.yaml"])
        .run_any_status();
    run.stdout
        .lines()
        .chain(run.stderr.lines())
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|d| d.get("code").is_some())
        .collect()
}

/// `check --format json`'s diagnostics of `text` as `code message
/// line:column` (1-based, the column in characters).
pub fn checked(text: &str) -> Vec<String> {
    check_json(text)
        .iter()
        .map(|d| {
            let label = &d["labels"][0];
            format!(
                "{} {} {}:{}",
                d["code"],
                d["message"],
                label["line"].as_u64().unwrap_or(1),
                label["column"].as_u64().unwrap_or(1)
            )
        })
        .collect()
}

/// An LSP diagnostic of `text` the way [`checked`] writes one: LSP counts
/// 0-based lines and UTF-16 units, JSON 1-based lines and characters.
pub fn lsp_shown(
    text: &str,
    code: &serde_json::Value,
    message: &serde_json::Value,
    line: u64,
    units: u64,
) -> String {
    let line_text = text.lines().nth(line as usize).unwrap_or("");
    let mut seen = 0;
    let chars = line_text
        .chars()
        .take_while(|c| {
            seen += c.len_utf16();
            seen <= units as usize
        })
        .count();
    format!("{code} {message} {}:{}", line + 1, chars + 1)
}
