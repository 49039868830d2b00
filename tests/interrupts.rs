//! Signals are always heard, and output that cannot be written never makes
//! iotrun deaf or lets it claim success: programs whose steps take no time,
//! a stdout nobody reads, SIGHUP, a full disk. These run in real time and
//! send real signals, as a user's terminal would.

#![cfg(unix)]

mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, TempDir, Test};

/// Routines `r0` .. `r{levels}`, each running the next twice (in a
/// `sequence` or `parallel`), the last sending `message`: 2^levels messages.
fn bomb(levels: usize, block: &str, device: &str, message: &str) -> String {
    let mut text = format!("devices:\n{device}\nroutines:\n");
    for i in 0..levels {
        let _ = writeln!(
            text,
            "  r{i}: {{ {block}: [ {{ run: r{n} }}, {{ run: r{n} }} ] }}",
            n = i + 1
        );
    }
    let _ = writeln!(text, "  r{levels}: {message}\nprogram: {{ run: r0 }}");
    text
}

fn spawn(dir: &TempDir, program: &str, args: &[&str], stdout: Stdio) -> Child {
    let path = dir.path().join("program.yaml");
    std::fs::write(&path, program).expect("write program");
    Command::new(BIN)
        .args(args)
        .arg(&path)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start iotrun")
}

fn kill(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

/// Waits for the child at most `limit`; kills it and fails past that.
fn wait_at_most(child: &mut Child, limit: Duration) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("iotrun did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every device that began to connect disconnected, and the run ended
/// interrupted: what the JSON events of an interrupted run must show.
#[track_caller]
fn disconnected_and_interrupted(lines: &[String]) {
    let events: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let count = |name: &str| events.iter().filter(|e| e["event"] == name).count();
    assert!(count("connect_start") > 0);
    assert_eq!(count("connect_start"), count("disconnect_end"));
    let end = events.last().expect("events");
    assert_eq!(end["event"], "run_end");
    assert_eq!(end["status"], "interrupted");
}

/// 2^21 messages to a device that takes no time: the run never waits, yet
/// Ctrl-C (and SIGTERM) cancel it at once, the device disconnects, and
/// `run_end` says it was interrupted.
#[test]
fn steps_that_take_no_time_still_hear_ctrl_c() {
    for signal in ["-INT", "-TERM"] {
        let dir = TempDir::new();
        let program = bomb(
            21,
            "sequence",
            "  l: { kind: hue_light, latency: 0ms }",
            "{ device: l, message: SWITCH_ON }",
        );
        let mut child = spawn(&dir, &program, &["run", "--format", "json"], Stdio::piped());
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut seen: Vec<String> = Vec::new();
        for line in lines.by_ref() {
            seen.push(line.expect("a line"));
            if seen.len() == 1000 {
                break;
            }
        }
        kill(&child, signal);
        let sent = Instant::now();
        seen.extend(lines.map(|l| l.expect("a line")));
        let status = wait_at_most(&mut child, Duration::from_secs(10));
        let took = sent.elapsed();
        assert_eq!(status, 130, "{signal}");
        disconnected_and_interrupted(&seen);
        // Far fewer than the 4 million lines of a run to the end.
        assert!(seen.len() < 1_000_000, "{signal}: {} lines", seen.len());
        // Generous for a loaded machine and a debug build; the run itself
        // is cancelled within a millisecond or so.
        assert!(took < Duration::from_secs(5), "{signal}: took {took:?}");
    }
}

/// The same with a `parallel` bomb: 2^18 messages all at once.
#[test]
fn a_parallel_of_steps_that_take_no_time_hears_ctrl_c() {
    let dir = TempDir::new();
    let program = bomb(
        18,
        "parallel",
        "  l: { kind: hue_light, latency: 0ms }",
        "{ device: l, message: SWITCH_ON }",
    );
    let mut child = spawn(&dir, &program, &["run", "--format", "json"], Stdio::piped());
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen: Vec<String> = Vec::new();
    for line in lines.by_ref() {
        seen.push(line.expect("a line"));
        if seen.len() == 1000 {
            break;
        }
    }
    kill(&child, "-INT");
    seen.extend(lines.map(|l| l.expect("a line")));
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(20)), 130);
    disconnected_and_interrupted(&seen);
}

/// A program whose output fills a pipe nobody reads: 4,096 messages of
/// 10 KB of data each, to a device that takes no time.
fn flood() -> String {
    bomb(
        12,
        "sequence",
        "  s: { kind: smart_speaker, latency: 0ms }",
        &format!(
            "{{ device: s, message: PLAY_SONG, data: \"{}\" }}",
            "la".repeat(5000)
        ),
    )
}

/// With stdout a full pipe nobody reads, SIGTERM and SIGINT still cancel
/// the run, every device still disconnects (the trace shows it) and iotrun
/// exits 130 in bounded time, dropping the output it could not write.
#[test]
fn a_stalled_stdout_does_not_make_iotrun_deaf() {
    for (signal, format) in [("-TERM", "json"), ("-INT", "human")] {
        let dir = TempDir::new();
        let mut child = spawn(
            &dir,
            &flood(),
            &["run", "--format", format, "--trace", "trace.json"],
            Stdio::piped(),
        );
        // Nobody reads stdout: the pipe fills, then iotrun's own backlog.
        let stdout = child.stdout.take().expect("stdout");
        std::thread::sleep(Duration::from_millis(1500));
        assert!(child.try_wait().expect("wait").is_none(), "ended early");
        kill(&child, signal);
        let status = wait_at_most(&mut child, Duration::from_secs(5));
        drop(stdout);
        let mut stderr = String::new();
        let _ = child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr);
        assert_eq!(status, 130, "{signal} {format}: {stderr}");
        let trace = std::fs::read_to_string(dir.path().join("trace.json")).expect("a trace");
        let trace: serde_json::Value = serde_json::from_str(&trace).expect("JSON");
        let names: Vec<&str> = trace["traceEvents"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["name"].as_str())
            .collect();
        assert!(names.contains(&"connect"), "{names:?}");
        assert!(names.contains(&"disconnect"), "{signal}: no disconnect");
        let messages = names.iter().filter(|n| **n == "PLAY_SONG").count();
        assert!(messages < 4096, "{signal}: the run was not cut short");
    }
}

/// SIGHUP (a closed terminal, a dropped ssh session) is an interruption
/// like SIGTERM: devices disconnect, exit 130.
#[test]
fn sighup_disconnects_then_exits_130() {
    let dir = TempDir::new();
    let mut child = spawn(
        &dir,
        "devices:\n  l: { kind: hue_light, latency: 100ms }\nprogram:\n  - { device: l, message: SWITCH_ON }\n  - delay: 1m\n",
        &["run", "--format", "json"],
        Stdio::piped(),
    );
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen: Vec<String> = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let done = line.contains("\"message_end\"");
        seen.push(line);
        if done {
            break;
        }
    }
    kill(&child, "-HUP");
    seen.extend(lines.map(|l| l.expect("a line")));
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(5)), 130);
    disconnected_and_interrupted(&seen);
}

/// A second Ctrl-C exits at once and says which devices it left connected.
#[test]
fn a_second_ctrl_c_names_the_devices_left_connected() {
    let dir = TempDir::new();
    let mut child = spawn(
        &dir,
        "devices:\n  hall: { kind: hue_light, latency: 5s }\n  bath: { kind: smart_toilet, latency: 5s }\nprogram: [ { device: hall, message: SWITCH_ON }, { device: bath, message: FLUSH } ]\n",
        &["run", "--format", "json"],
        Stdio::piped(),
    );
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref() {
        if line.expect("a line").contains("\"bath\"") {
            break;
        }
    }
    kill(&child, "-INT");
    for line in lines.by_ref() {
        if line.expect("a line").contains("\"disconnect_start\"") {
            break;
        }
    }
    kill(&child, "-INT");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(3)), 130);
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    assert_eq!(
        stderr,
        "iotrun: interrupted again, exiting at once: `bath` and `hall` not disconnected\n"
    );
}

/// Output that cannot be written to a full disk is an error, exit 2, after
/// the run has ended and every device disconnected; a closed pipe stays
/// quiet.
#[test]
fn output_to_a_full_disk_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this machine");
        return;
    }
    let full = || std::fs::File::create("/dev/full").expect("open /dev/full");
    for format in ["json", "human"] {
        let dir = TempDir::new();
        let path = dir.path().join("program.yaml");
        std::fs::write(
            &path,
            "devices:\n  l: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON } ]\n",
        )
        .expect("write");
        let output = Command::new(BIN)
            .args(["run", "--virtual-time", "--format", format])
            .arg(&path)
            .env("NO_COLOR", "1")
            .stdout(full())
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("cannot write the run's output: No space left on device"),
            "{format}: {stderr}"
        );
    }
    // Every other command too.
    for args in [
        vec!["devices"],
        vec!["schema"],
        vec!["check", "program.yaml"],
        vec!["check", "--format", "json", "program.yaml"],
    ] {
        // Valid, with a warning: a summary (human) or a diagnostic (JSON) on stdout.
        let test = Test::new().program(
            "devices:\n  l: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON, data: x } ]\n",
        );
        let output = Command::new(BIN)
            .args(&args)
            .current_dir(test.path())
            .stdout(full())
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

/// When several statuses apply, the highest of 130, 2 and 1 wins: a failed
/// run to a full disk exits 2, an interrupted one 130.
#[test]
fn the_exit_status_is_the_highest_that_applies() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this machine");
        return;
    }
    let full = || std::fs::File::create("/dev/full").expect("open /dev/full");
    let dir = TempDir::new();
    let failing = "devices:\n  l: { kind: hue_light, failure_rate: 1 }\nprogram: [ { device: l, message: SWITCH_ON } ]\n";
    let mut child = spawn(&dir, failing, &["run", "--virtual-time"], full().into());
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(10)), 2);

    let waiting = "devices:\n  l: { kind: hue_light, latency: 10ms }\nprogram: [ { delay: 1m } ]\n";
    let mut child = spawn(&dir, waiting, &["run"], full().into());
    std::thread::sleep(Duration::from_millis(500));
    kill(&child, "-INT");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(5)), 130);
}

/// A closed pipe (`| head -1`) is the reader's choice: the run goes on to
/// the end, disconnects, and exits 0.
#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = TempDir::new();
    let mut child = spawn(
        &dir,
        "devices:\n  l: { kind: hue_light, latency: 0ms }\nprogram: [ { device: l, message: SWITCH_ON }, { device: l, message: SWITCH_OFF } ]\n",
        &["run", "--virtual-time", "--format", "json"],
        Stdio::piped(),
    );
    drop(child.stdout.take());
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(10)), 0);
}

/// On a terminal (a pseudo-terminal made by `script`), Ctrl-C clears the
/// live progress bar: the summary is the last thing on the screen, with no
/// bar left in the scrollback.
#[test]
fn ctrl_c_on_a_terminal_clears_the_progress_bar() {
    if Command::new("script").arg("--version").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("`script` is needed to make a pseudo-terminal in CI");
        }
        eprintln!("skipped: no `script` to make a pseudo-terminal");
        return;
    }
    let dir = TempDir::new();
    let path = dir.path().join("program.yaml");
    std::fs::write(
        &path,
        "devices:\n  l: { kind: hue_light, latency: 100ms }\nprogram:\n  - { device: l, message: SWITCH_ON }\n  - delay: 1m\n",
    )
    .expect("write program");
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("exec {BIN} run {}", path.display()),
            "/dev/null",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut screen = Vec::new();
        let _ = stdout.read_to_end(&mut screen);
        String::from_utf8_lossy(&screen).into_owned()
    });
    // The bar shows after a second; let it be drawn, then interrupt.
    std::thread::sleep(Duration::from_millis(2000));
    // `exec` made iotrun the child of `script`: signal it, not `script`.
    let pids = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .expect("pgrep");
    let pid = String::from_utf8_lossy(&pids.stdout).trim().to_string();
    if pid.is_empty() {
        // `script` ran the command itself (no child): signal it directly.
        kill(&child, "-INT");
    } else {
        let sent = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
    }
    wait_at_most(&mut child, Duration::from_secs(10));
    let screen = reader.join().expect("the screen");
    let bar = screen
        .rfind("messages, ")
        .expect("a progress bar was drawn");
    let summary = screen.rfind("interrupted in ").expect("the summary");
    assert!(bar < summary, "a bar drawn after the summary:\n{screen:?}");
    assert!(
        screen[bar..summary].contains("\u{1b}[2K"),
        "the bar was not cleared:\n{screen:?}"
    );
    assert!(
        screen.trim_end().ends_with("busiest: `l` (1 attempt)."),
        "{screen:?}"
    );
}
