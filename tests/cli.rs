//! The command line: subcommands, help, version, exit statuses, interruption.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{BIN, Test, root};

const VALID: &str = "devices:\n  l: { kind: hue_light, latency: 100ms }\nprogram: [ { device: l, message: SWITCH_ON } ]\n";
const INVALID: &str =
    "devices:\n  l: { kind: lamp }\nprogram: [ { device: l, message: SWITCH_ON } ]\n";

#[test]
fn help_shows_commands_and_examples() {
    let run = Test::new().args(["--help"]).run();
    for text in [
        "run",
        "check",
        "--virtual-time",
        "--seed",
        "--format",
        "Examples:",
        "Exit status:",
    ] {
        assert!(
            run.stdout.contains(text),
            "help lacks {text}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn version_is_the_crates() {
    Test::new()
        .args(["--version"])
        .stdout(&format!("iotrun {}\n", env!("CARGO_PKG_VERSION")))
        .run();
}

#[test]
fn misuse_is_exit_two() {
    let run = Test::new().status(2).run();
    assert!(
        run.stderr.contains("a program FILE to run is required"),
        "{}",
        run.stderr
    );
    Test::new().args(["check"]).status(2).run();
    Test::new()
        .args(["run", "--nope", "x.yaml"])
        .status(2)
        .run();
    Test::new()
        .args(["run", "--format", "xml", "x.yaml"])
        .status(2)
        .run();
}

#[test]
fn check_takes_files_and_folders() {
    Test::new()
        .file("a.yaml", VALID)
        .file("dir/b.yml", VALID)
        .file("dir/c.yaml", VALID)
        .file("dir/notes.txt", "not a program")
        .args(["check", "a.yaml", "dir"])
        .stdout(
            "a.yaml: 1 device, 1 message, 0.3 s\ndir/b.yml: 1 device, 1 message, 0.3 s\ndir/c.yaml: 1 device, 1 message, 0.3 s\n",
        )
        .stderr("")
        .run();
}

#[test]
fn one_invalid_file_fails_the_check_and_the_rest_are_still_checked() {
    let run = Test::new()
        .file("good.yaml", VALID)
        .file("bad.yaml", INVALID)
        .args(["check", "bad.yaml", "good.yaml"])
        .stdout("good.yaml: 1 device, 1 message, 0.3 s\n")
        .status(1)
        .run();
    assert!(
        run.stderr.ends_with("bad.yaml: 1 error, 0 warnings\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreadable_file_outranks_an_invalid_one() {
    Test::new()
        .file("bad.yaml", INVALID)
        .args(["check", "bad.yaml", "missing.yaml"])
        .status(2)
        .run();
}

#[test]
fn a_folder_without_programs_is_an_io_error() {
    Test::new()
        .file("empty/readme.txt", "nothing")
        .args(["check", "empty"])
        .stderr(
            "iotrun::io\n\n  × `empty` holds no `*.yaml` or `*.yml` files\n\nempty: 1 error, 0 warnings\n",
        )
        .status(2)
        .run();
}

#[test]
fn every_shipped_program_checks_clean() {
    let run = Test::new()
        .args(["check", &root().join("programs").display().to_string()])
        .stderr("")
        .run();
    assert!(run.stdout.lines().count() >= 5, "{}", run.stdout);
}

#[test]
fn every_shipped_program_runs_under_virtual_time() {
    let mut programs: Vec<_> = std::fs::read_dir(root().join("programs"))
        .expect("programs/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    programs.sort();
    for program in programs {
        let run = Test::new()
            .args(["run", "--virtual-time", "--seed", "1"])
            .args([program.display().to_string()])
            .stderr("")
            .run();
        assert!(
            run.stdout.contains(" done in "),
            "{}: {}",
            program.display(),
            run.stdout
        );
    }
}

/// A real SIGINT: the run stops, every connected device disconnects, the
/// summary says so, and the status is 130.
#[cfg(unix)]
#[test]
fn ctrl_c_disconnects_then_exits_130() {
    let dir = common::TempDir::new();
    let program = dir.path().join("program.yaml");
    std::fs::write(
        &program,
        "devices:\n  l: { kind: hue_light, latency: 100ms }\n  t: { kind: smart_toilet, latency: 100ms }\nprogram:\n  - { device: l, message: SWITCH_ON }\n  - delay: 1m\n",
    )
    .expect("write program");
    let mut child = Command::new(BIN)
        .arg(&program)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start iotrun");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let done = line.ends_with("Hue Light received message.");
        seen.push(line);
        if done {
            break;
        }
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    seen.extend(lines.map(|l| l.expect("a line")));
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{seen:#?}");
    let text: Vec<&str> = seen
        .iter()
        .map(|l| l.split_once("] ").map_or(l.as_str(), |(_, rest)| rest))
        .collect();
    let tail = &text[text.len() - 5..];
    let mut disconnects = tail[..4].to_vec();
    disconnects.sort();
    assert_eq!(
        disconnects,
        [
            "Disconnecting Hue Light.",
            "Disconnecting Smart Toilet.",
            "Hue Light disconnected.",
            "Smart Toilet disconnected.",
        ]
    );
    let seconds: f64 = tail[4]
        .strip_prefix("interrupted in ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {:?}", tail[4]));
    // Interrupted in the minute-long delay, after 0.2 s; 0.1 s to disconnect.
    assert!((0.3..5.0).contains(&seconds), "{}", tail[4]);
    assert!(tail[4].ends_with(", 1 message, 2 devices."), "{}", tail[4]);
}

/// The README shows a real rendered diagnostic; it must stay what iotrun
/// prints for `tests/fixtures/broken.yaml`.
#[test]
fn the_readme_diagnostic_is_real() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let shown = readme
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a text block in the README");
    let broken =
        std::fs::read_to_string(root().join("tests/fixtures/broken.yaml")).expect("fixture");
    Test::new()
        .file("broken.yaml", broken)
        .args(["check", "broken.yaml"])
        .stderr(shown)
        .status(1)
        .run();
}
