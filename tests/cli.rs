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
        // `programs/mqtt/` holds real-device programs, run with `--simulate`.
        .filter(|p| p.is_file())
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

/// Runs `program` in real time, sends `signal` once a line of its output
/// satisfies `when`, and returns the exit status and every line.
#[cfg(unix)]
fn interrupt(
    program: &str,
    args: &[&str],
    signal: &str,
    when: impl Fn(&str) -> bool,
) -> (Option<i32>, Vec<String>) {
    let dir = common::TempDir::new();
    let path = dir.path().join("program.yaml");
    std::fs::write(&path, program).expect("write program");
    let mut child = Command::new(BIN)
        .args(args)
        .arg(&path)
        .stdout(Stdio::piped())
        // Captured, not shown: the programs here have warnings.
        .stderr(Stdio::piped())
        .spawn()
        .expect("start iotrun");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let now = when(&line);
        seen.push(line);
        if now {
            break;
        }
    }
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    seen.extend(lines.map(|l| l.expect("a line")));
    (child.wait().expect("wait").code(), seen)
}

/// The events of JSON lines, as `event device` strings.
fn events(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).expect("JSON");
            format!(
                "{} {}",
                e["event"].as_str().unwrap_or(""),
                e["device"]
                    .as_str()
                    .unwrap_or(e["status"].as_str().unwrap_or(""))
            )
        })
        .collect()
}

/// A real SIGINT: the run stops, every connected device disconnects, the
/// summary says so, and the status is 130.
#[cfg(unix)]
#[test]
fn ctrl_c_disconnects_then_exits_130() {
    let (status, seen) = interrupt(
        "devices:\n  l: { kind: hue_light, latency: 100ms }\n  t: { kind: smart_toilet, latency: 100ms }\nprogram:\n  - { device: l, message: SWITCH_ON }\n  - delay: 1m\n",
        &[],
        "-INT",
        |line| line.ends_with("Hue Light received message."),
    );
    assert_eq!(status, Some(130), "{seen:#?}");
    let text: Vec<&str> = seen
        .iter()
        // After the time and the device column (`l` or `t`, then two spaces).
        .map(|l| {
            l.split_once("] ")
                .map_or(l.as_str(), |(_, rest)| &rest[3..])
        })
        .collect();
    // The last line is the summary's details (expected time, outcomes).
    assert!(
        text.last().is_some_and(|l| l.starts_with("  expected ")),
        "{text:#?}"
    );
    let text = &text[..text.len() - 1];
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

/// SIGTERM in the middle of connecting: the devices that began to connect
/// are disconnected all the same.
#[cfg(unix)]
#[test]
fn sigterm_while_connecting_still_disconnects() {
    let (status, seen) = interrupt(
        "devices:\n  l: { kind: hue_light, latency: 1s }\n  t: { kind: smart_toilet, latency: 1s }\nprogram: [ { device: l, message: SWITCH_ON } ]\n",
        &["--format", "json"],
        "-TERM",
        |line| line.contains("\"connect_start\"") && line.contains("\"t\""),
    );
    assert_eq!(status, Some(130), "{seen:#?}");
    let mut got = events(&seen);
    got[2..6].sort();
    assert_eq!(
        got,
        [
            "connect_start l",
            "connect_start t",
            "disconnect_end l",
            "disconnect_end t",
            "disconnect_start l",
            "disconnect_start t",
            "run_end interrupted",
        ]
    );
}

/// Ctrl-C while the devices disconnect at the end: they finish
/// disconnecting, and the run says it was interrupted.
#[cfg(unix)]
#[test]
fn ctrl_c_during_the_final_disconnect_is_an_interruption() {
    let (status, seen) = interrupt(
        "devices:\n  l: { kind: hue_light, latency: 300ms }\nprogram: [ { device: l, message: SWITCH_ON } ]\n",
        &["--format", "json"],
        "-INT",
        |line| line.contains("\"disconnect_start\""),
    );
    assert_eq!(status, Some(130), "{seen:#?}");
    assert_eq!(
        events(&seen),
        [
            "connect_start l",
            "connect_end l",
            "message_start l",
            "message_end l",
            "disconnect_start l",
            "disconnect_end l",
            "run_end interrupted",
        ]
    );
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

/// Paths are checked in the order given; `.YAML` counts as a program.
#[test]
fn paths_are_checked_in_order() {
    let run = Test::new()
        .file("a.yaml", VALID)
        .file("empty/notes.txt", "nothing")
        .file("upper/B.YAML", VALID)
        .args(["check", "a.yaml", "empty", "upper"])
        .stdout("a.yaml: 1 device, 1 message, 0.3 s\nupper/B.YAML: 1 device, 1 message, 0.3 s\n")
        .status(2)
        .run();
    assert!(run.stderr.contains("`empty` holds no"), "{}", run.stderr);
}

/// Ctrl-C with a message in flight: it is reported cancelled, never ended.
#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_message_in_flight() {
    let (status, seen) = interrupt(
        "devices:\n  s: { kind: smart_speaker, latency: 700ms }\nprogram: [ { device: s, message: PLAY_SONG, data: \"x\" } ]\n",
        &["--format", "json"],
        "-INT",
        |line| line.contains("\"message_start\""),
    );
    assert_eq!(status, Some(130), "{seen:#?}");
    assert_eq!(
        events(&seen),
        [
            "connect_start s",
            "connect_end s",
            "message_start s",
            "message_cancelled s",
            "disconnect_start s",
            "disconnect_end s",
            "run_end interrupted",
        ]
    );
}

/// A second Ctrl-C exits at once, without waiting for the disconnect.
#[cfg(unix)]
#[test]
fn a_second_ctrl_c_exits_at_once() {
    let dir = common::TempDir::new();
    let path = dir.path().join("program.yaml");
    std::fs::write(
        &path,
        "devices:\n  s: { kind: smart_speaker, latency: 5s }\nprogram: [ { device: s, message: SWITCH_ON } ]\n",
    )
    .expect("write program");
    let started = std::time::Instant::now();
    let mut child = Command::new(BIN)
        .args(["run", "--format", "json"])
        .arg(&path)
        .stdout(Stdio::piped())
        // Captured, not shown: the programs here have warnings.
        .stderr(Stdio::piped())
        .spawn()
        .expect("start iotrun");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let pid = child.id().to_string();
    let kill = || {
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill")
    };
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let event = line.contains("\"connect_start\"") || line.contains("\"disconnect_start\"");
        seen.push(line);
        if event {
            // First at connect, to start the disconnect; then during it.
            assert!(kill().success());
        }
    }
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{seen:#?}");
    assert!(
        !seen.iter().any(|l| l.contains("disconnect_end")),
        "{seen:#?}"
    );
    assert!(
        started.elapsed().as_secs_f64() < 4.0,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn devices_lists_kinds_messages_and_data() {
    Test::new()
        .args(["devices"])
        .stdout(
            "\
hue_light (Hue Light)
  SWITCH_ON
  SWITCH_OFF
  CHANGE_COLOR  data: a colour, \"#RRGGBB\"
smart_speaker (Smart Speaker)
  SWITCH_ON
  SWITCH_OFF
  PLAY_SONG     data: a song title
smart_toilet (Smart Toilet)
  OPEN
  CLOSE
  FLUSH
  CLEAN
",
        )
        .run();
    let run = Test::new().args(["devices", "--format", "json"]).run();
    let kinds: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(kinds[1]["kind"], "smart_speaker");
    assert_eq!(kinds[1]["display"], "Smart Speaker");
    assert_eq!(kinds[1]["messages"][2]["message"], "PLAY_SONG");
    assert_eq!(kinds[1]["messages"][2]["data"], "song");
    assert_eq!(kinds[0]["messages"][2]["data"], "colour");
    assert_eq!(kinds[2]["messages"][0]["data"], "none");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _iotrun"),
        ("zsh", "#compdef iotrun"),
        ("fish", "complete -c iotrun"),
    ] {
        let run = Test::new().args(["completions", shell]).run();
        assert!(
            run.stdout.contains(marker),
            "{shell}: {}",
            &run.stdout[..run.stdout.len().min(300)]
        );
        for word in ["check", "run", "devices", "virtual-time"] {
            assert!(run.stdout.contains(word), "{shell} completes {word}");
        }
    }
    Test::new().args(["completions", "tcsh"]).status(2).run();
}

#[test]
fn man_page_is_roff() {
    let run = Test::new().args(["man"]).run();
    assert!(run.stdout.contains(".TH iotrun 1"), "{}", run.stdout);
    assert!(run.stdout.contains("check"), "{}", run.stdout);
}

/// `--deny-warnings` makes warnings fail a check, for CI pipelines.
#[test]
fn deny_warnings_fails_a_check_on_warnings() {
    let program = "devices:\n  l: { kind: hue_light }\n  spare: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON } ]\n";
    Test::new()
        .program(program)
        .args(["check", "program.yaml"])
        .run();
    let run = Test::new()
        .program(program)
        .args(["check", "--deny-warnings", "program.yaml"])
        .status(1)
        .run();
    assert!(
        run.stderr.contains("iotrun::unused_device"),
        "{}",
        run.stderr
    );
    Test::new()
        .program(
            "devices:\n  l: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON } ]\n",
        )
        .args(["check", "--deny-warnings", "program.yaml"])
        .run();
}

/// Every shipped program names the schema for yaml-language-server.
#[test]
fn every_program_names_the_schema() {
    for entry in std::fs::read_dir(root().join("programs")).expect("programs/") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue; // `programs/mqtt/`, tested on its own
        }
        let text = std::fs::read_to_string(&path).expect("program");
        assert_eq!(
            text.lines().next(),
            Some("# yaml-language-server: $schema=../schema/program.schema.json"),
            "{}",
            path.display()
        );
    }
}

/// Live progress on a terminal (a pseudo-terminal made by `script`): a bar
/// with messages done of the total, in flight, elapsed and expected time.
/// It never shows on a pipe (every other test reads a pipe and sees none).
#[cfg(unix)]
#[test]
fn live_progress_shows_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` to make a pseudo-terminal");
        return;
    }
    let dir = common::TempDir::new();
    let path = dir.path().join("program.yaml");
    std::fs::write(
        &path,
        "devices:\n  l: { kind: hue_light, latency: 300ms }\nprogram:\n  - { device: l, message: SWITCH_ON }\n  - { device: l, message: SWITCH_OFF }\n  - { device: l, message: SWITCH_ON }\n  - { device: l, message: SWITCH_OFF }\n  - { device: l, message: SWITCH_ON }\n",
    )
    .expect("write program");
    let output = Command::new("script")
        .args([
            "-qec",
            &format!("{BIN} run {}", path.display()),
            "/dev/null",
        ])
        .output()
        .expect("script");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("/5 messages, "), "{screen}");
    assert!(screen.contains(" in flight, "), "{screen}");
    assert!(screen.contains(" s of 2.1 s"), "{screen}");
    assert!(screen.contains("done in 2.1"), "{screen}");
    // Piped, the same run has no bar.
    let piped = Command::new(BIN)
        .arg("run")
        .arg(&path)
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&piped.stdout).contains("/5 messages"));
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("/5 messages"));
}
