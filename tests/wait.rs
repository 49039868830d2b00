//! `wait` in a run: exact virtual-time timelines for a wait satisfied at
//! once, by an earlier message, by a `parallel` sibling, and one that times
//! out; the same seed gives the same bytes, and real time the same events.

mod common;

use common::Test;
use serde_json::Value;

/// A blinds kind whose OPEN sets `position: 100`, a 1 s blinds device and a
/// 200 ms light, then `program`.
fn with_blinds(state: &str, program: &str) -> String {
    format!(
        "kinds:\n  blinds:\n    display: Blinds\n    accepts: [OPEN, CLOSE]\n    payloads: {{ OPEN: {{ position: 100 }}, CLOSE: {{ position: 0 }} }}\n\
         devices:\n  blinds: {{ kind: blinds, latency: 1s, state: {state} }}\n  light: {{ kind: hue_light, latency: 200ms }}\n\
         program:\n{program}"
    )
}

/// Every event as `t event device`, plus the state for `state` events and
/// the reason for failures: the timeline a user reads in `--format json`.
fn timeline(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).expect("a JSON line");
            let mut text = format!(
                "{:.3} {} {}",
                event["t"].as_f64().expect("t"),
                event["event"].as_str().expect("event"),
                event["device"].as_str().unwrap_or("-")
            );
            if let Some(state) = event.get("state") {
                text.push_str(&format!(" {state}"));
            }
            if let Some(reason) = event.get("reason") {
                text.push_str(&format!(" {}", reason.as_str().unwrap_or("")));
            }
            if let Some(status) = event.get("status") {
                text.push_str(&format!(" {}", status.as_str().unwrap_or("")));
            }
            text
        })
        .collect()
}

fn run_json(program: &str, status: i32) -> Vec<String> {
    let run = Test::new()
        .program(program)
        .args([
            "run",
            "--virtual-time",
            "--format",
            "json",
            "--seed",
            "1",
            "program.yaml",
        ])
        .status(status)
        .run();
    timeline(&run.stdout)
}

fn lines(expected: &str) -> Vec<String> {
    expected.lines().map(str::to_string).collect()
}

#[test]
fn a_wait_the_starting_state_satisfies_ends_at_once() {
    let program = with_blinds(
        "{ position: 100 }",
        "  - wait: { device: blinds, state: { position: 100 } }\n    timeout: 3s\n  - { device: light, message: SWITCH_ON }\n",
    );
    assert_eq!(
        run_json(&program, 0),
        lines(
            "\
0.000 connect_start blinds
0.000 connect_start light
0.200 connect_end light
1.000 connect_end blinds
1.000 wait_start blinds
1.000 wait_end blinds
1.000 message_start light
1.200 message_end light
1.200 disconnect_start blinds
1.200 disconnect_start light
1.400 disconnect_end light
2.200 disconnect_end blinds
2.200 run_end - ok"
        )
    );
}

#[test]
fn a_wait_after_the_message_that_sets_the_state_ends_at_once() {
    let program = with_blinds(
        "{ position: 0 }",
        "  - { device: blinds, message: OPEN }\n  - wait: { device: blinds, state: { position: 100 } }\n    timeout: 3s\n  - { device: light, message: SWITCH_ON }\n",
    );
    assert_eq!(
        run_json(&program, 0),
        lines(
            "\
0.000 connect_start blinds
0.000 connect_start light
0.200 connect_end light
1.000 connect_end blinds
1.000 message_start blinds
2.000 message_end blinds
2.000 state blinds {\"position\":100}
2.000 wait_start blinds
2.000 wait_end blinds
2.000 message_start light
2.200 message_end light
2.200 disconnect_start blinds
2.200 disconnect_start light
2.400 disconnect_end light
3.200 disconnect_end blinds
3.200 run_end - ok"
        )
    );
}

/// The wait starts first and ends at the exact instant its sibling's
/// message ends: `message_end`, then `state`, then `wait_end`.
#[test]
fn a_parallel_sibling_ends_the_wait_at_the_instant_its_message_ends() {
    let program = with_blinds(
        "{ position: 0 }",
        "  - parallel:\n      - { device: blinds, message: OPEN }\n      - wait: { device: blinds, state: { position: 100 } }\n        timeout: 3s\n  - { device: light, message: SWITCH_ON }\n",
    );
    assert_eq!(
        run_json(&program, 0),
        lines(
            "\
0.000 connect_start blinds
0.000 connect_start light
0.200 connect_end light
1.000 connect_end blinds
1.000 message_start blinds
1.000 wait_start blinds
2.000 message_end blinds
2.000 state blinds {\"position\":100}
2.000 wait_end blinds
2.000 message_start light
2.200 message_end light
2.200 disconnect_start blinds
2.200 disconnect_start light
2.400 disconnect_end light
3.200 disconnect_end blinds
3.200 run_end - ok"
        )
    );
    // `check` predicts the same 3.2 s.
    Test::new()
        .program(&program)
        .args(["check", "program.yaml"])
        .stdout("program.yaml: 2 devices, 2 messages, 3.2 s\n")
        .run();
}

/// CLOSE does not give `position: 100`: the wait fails at its timeout, the
/// run fails, and every device still disconnects.
#[test]
fn a_wait_nothing_satisfies_fails_at_its_timeout() {
    let program = with_blinds(
        "{ position: 0 }",
        "  - { device: blinds, message: CLOSE }\n  - wait: { device: blinds, state: { position: 100 } }\n    timeout: 1.5s\n  - { device: light, message: SWITCH_ON }\n",
    );
    assert_eq!(
        run_json(&program, 1),
        lines(
            "\
0.000 connect_start blinds
0.000 connect_start light
0.200 connect_end light
1.000 connect_end blinds
1.000 message_start blinds
2.000 message_end blinds
2.000 wait_start blinds
3.500 wait_failed blinds timeout
3.500 node_failed - timeout
3.500 node_failed - child_failed
3.500 disconnect_start blinds
3.500 disconnect_start light
3.700 disconnect_end light
4.500 disconnect_end blinds
4.500 run_end - failed"
        )
    );
}

/// The human lines of a wait, with the device column.
#[test]
fn a_wait_reads_as_waiting_then_done_in_human_output() {
    let program = with_blinds(
        "{ position: 0 }",
        "  parallel:\n    - { device: blinds, message: OPEN }\n    - wait: { device: blinds, state: { position: 100 } }\n      timeout: 3s\n",
    )
    .replace("  light: { kind: hue_light, latency: 200ms }\n", "");
    Test::new()
        .program(&program)
        .args(["run", "--virtual-time", "program.yaml"])
        .stdout(
            "\
[  0.000s] blinds  Connecting to Blinds.
[  1.000s] blinds  Blinds connected.
[  1.000s] blinds  Blinds handling message of type OPEN with data [].
[  1.000s] blinds  Waiting for blinds: {\"position\":100}.
[  2.000s] blinds  Blinds received message.
[  2.000s] blinds  State of blinds: {\"position\":100}.
[  2.000s] blinds  Done waiting for blinds.
[  2.000s] blinds  Disconnecting Blinds.
[  3.000s] blinds  Blinds disconnected.
done in 3.000 s, 1 message, 1 device.
  expected 3 s; attempts: 1 done, 0 failed, 0 cancelled; busiest: `blinds` (1 attempt).
",
        )
        .run();
}

#[test]
fn the_same_seed_gives_byte_identical_output_with_waits() {
    let program = with_blinds(
        "{ position: 0 }",
        "  - parallel:\n      - { device: blinds, message: OPEN }\n      - wait: { device: blinds, state: { position: 100 } }\n        timeout: 3s\n",
    )
    .replace("latency: 1s,", "latency: 1s, jitter: 300ms,");
    let run = || {
        Test::new()
            .program(&program)
            .args([
                "run",
                "--virtual-time",
                "--format",
                "json",
                "--seed",
                "5",
                "program.yaml",
            ])
            .run()
            .stdout
    };
    let first = run();
    assert_eq!(first, run());
    assert!(first.contains("\"event\":\"wait_end\""), "{first}");
}

/// Real time gives the same events in the same order as virtual time, and
/// the wait still ends with its sibling's message (within a few ms).
#[test]
fn real_time_gives_the_same_events_as_virtual_time() {
    let program = with_blinds(
        "{ position: 0 }",
        "  - parallel:\n      - { device: blinds, message: OPEN }\n      - wait: { device: blinds, state: { position: 100 } }\n        timeout: 3s\n",
    )
    .replace("latency: 1s,", "latency: 100ms,")
    .replace("latency: 200ms", "latency: 20ms");
    let events = |virtual_time: bool| {
        let mut args = vec!["run", "--format", "json", "--seed", "1", "program.yaml"];
        if virtual_time {
            args.insert(1, "--virtual-time");
        }
        let run = Test::new().program(&program).args(args).run();
        run.stdout
            .lines()
            .map(|line| {
                let event: Value = serde_json::from_str(line).expect("JSON");
                (
                    event["event"].as_str().unwrap_or("").to_string(),
                    event["device"].as_str().unwrap_or("").to_string(),
                    event["t"].as_f64().unwrap_or(0.0),
                )
            })
            .collect::<Vec<_>>()
    };
    let real = events(false);
    let simulated = events(true);
    let names = |events: &[(String, String, f64)]| {
        events
            .iter()
            .map(|(e, d, _)| format!("{e} {d}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&real), names(&simulated));
    let at = |events: &[(String, String, f64)], name: &str| {
        events
            .iter()
            .find(|(e, _, _)| e == name)
            .map(|(_, _, t)| *t)
            .expect(name)
    };
    // The wait ends in the same turn as the message: nothing but the
    // printing of two lines between them.
    let gap = at(&real, "wait_end") - at(&real, "message_end");
    assert!((0.0..0.005).contains(&gap), "the wait ended {gap} s after");
}

/// Under virtual time a wait without timeout that nothing satisfies would
/// leave the clock nothing to advance to: it fails once a year of virtual
/// time (longer than any program may take) has passed, and every device
/// still disconnects. The summary says the estimate is a lower bound.
#[test]
fn an_unbounded_wait_nothing_satisfies_fails_under_virtual_time() {
    let program = with_blinds(
        "{ position: 0 }",
        "  - wait: { device: blinds, state: { position: 100 } }\n  - { device: light, message: SWITCH_ON }\n",
    );
    let run = Test::new()
        .program(&program)
        .args(["run", "--virtual-time", "--seed", "1", "program.yaml"])
        .status(1)
        .run();
    assert!(
        run.stdout.ends_with(
            "\
[31536001.000s] blinds  Gave up waiting for blinds: timed out.
[31536001.000s]         The node at line 10 failed: timed out.
[31536001.000s]         The node at line 9 failed: a node inside it failed.
[31536001.000s] blinds  Disconnecting Blinds.
[31536001.000s] light   Disconnecting Hue Light.
[31536001.200s] light   Hue Light disconnected.
[31536002.000s] blinds  Blinds disconnected.
failed in 31536002.000 s, 0 messages, 2 devices (again with --seed 1).
  expected at least 2.2 s; attempts: 0 done, 0 failed, 0 cancelled.
"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "× the wait for `blinds` can never end: under virtual time its state did not come in"
        ),
        "{}",
        run.stderr
    );
}
