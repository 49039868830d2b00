//! When things go wrong: timeouts, retries, the failure policy and seeded
//! faults, asserted as exact event times under `--virtual-time`.

mod common;

use common::Test;
use serde_json::Value;

/// Runs `program` under virtual time and returns its events as
/// `"t event who"` lines (`who`: the device, or the line for node events,
/// or the status) plus the exit status.
fn timeline(program: &str, seed: &str) -> (Vec<String>, Value, i32) {
    let run = Test::new()
        .program(program)
        .args([
            "run",
            "--virtual-time",
            "--format",
            "json",
            "--seed",
            seed,
            "program.yaml",
        ])
        .run_any_status();
    let events = run.json_lines();
    let lines = events
        .iter()
        .map(|e| {
            let who = match (&e["device"], &e["line"], &e["status"]) {
                (Value::String(d), _, _) => d.clone(),
                (_, Value::Number(l), _) => format!("line {l}"),
                (_, _, Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let mut text = format!("{} {} {who}", e["t"], e["event"].as_str().unwrap_or(""));
            for extra in ["attempt", "reason", "wait"] {
                if !e[extra].is_null() && e["event"] != "message_start" {
                    text.push_str(&format!(" {extra}={}", e[extra]));
                }
            }
            text
        })
        .collect();
    let end = events.last().cloned().unwrap_or(Value::Null);
    (lines, end, run.status)
}

fn lines(expected: &str) -> Vec<String> {
    expected
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn retries_exhausted_fail_the_run() {
    let (got, end, status) = timeline(
        "devices:\n  toilet: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\nprogram:\n  - { device: toilet, message: FLUSH, retry: { attempts: 3, backoff: 50ms } }\n  - { device: toilet, message: CLEAN }\n",
        "1",
    );
    assert_eq!(
        got,
        lines(
            "
            0.0 connect_start toilet
            0.1 connect_end toilet
            0.1 message_start toilet
            0.2 message_failed toilet attempt=1 reason=\"device_error\"
            0.2 message_retry toilet attempt=1 wait=0.05
            0.25 message_start toilet
            0.35 message_failed toilet attempt=2 reason=\"device_error\"
            0.35 message_retry toilet attempt=2 wait=0.1
            0.45 message_start toilet
            0.55 message_failed toilet attempt=3 reason=\"device_error\"
            0.55 node_failed line 3 reason=\"child_failed\"
            0.55 disconnect_start toilet
            0.65 disconnect_end toilet
            0.65 run_end failed
            "
        )
    );
    assert_eq!(
        end["error"],
        "FLUSH to `toilet` failed after 3 attempts: device error"
    );
    assert_eq!(status, 1);
}

#[test]
fn a_timeout_bounds_each_attempt_of_a_message() {
    let (got, _, status) = timeline(
        "devices:\n  speaker: { kind: smart_speaker, latency: 1s }\nprogram:\n  - { device: speaker, message: SWITCH_OFF, timeout: 200ms, retry: { attempts: 2, backoff: 100ms } }\n",
        "1",
    );
    assert_eq!(
        got,
        lines(
            "
            0.0 connect_start speaker
            1.0 connect_end speaker
            1.0 message_start speaker
            1.2 message_failed speaker attempt=1 reason=\"timeout\"
            1.2 message_retry speaker attempt=1 wait=0.1
            1.3 message_start speaker
            1.5 message_failed speaker attempt=2 reason=\"timeout\"
            1.5 node_failed line 3 reason=\"child_failed\"
            1.5 disconnect_start speaker
            2.5 disconnect_end speaker
            2.5 run_end failed
            "
        )
    );
    assert_eq!(status, 1);
}

#[test]
fn a_block_timeout_cancels_the_message_in_flight() {
    let (got, end, status) = timeline(
        "devices:\n  speaker: { kind: smart_speaker, latency: 1s }\nprogram:\n  sequence:\n    - { device: speaker, message: SWITCH_ON }\n    - { device: speaker, message: PLAY_SONG, data: \"x\" }\n    - { device: speaker, message: SWITCH_OFF }\n  timeout: 1500ms\n",
        "1",
    );
    assert_eq!(
        got,
        lines(
            "
            0.0 connect_start speaker
            1.0 connect_end speaker
            1.0 message_start speaker
            2.0 message_end speaker
            2.0 message_start speaker
            2.5 message_cancelled speaker
            2.5 node_failed line 4 reason=\"timeout\"
            2.5 disconnect_start speaker
            3.5 disconnect_end speaker
            3.5 run_end failed
            "
        )
    );
    assert_eq!(end["error"], "sequence timed out after 1.5s");
    assert_eq!(status, 1);
}

#[test]
fn a_failure_in_a_parallel_cancels_its_slow_sibling_at_once() {
    let (got, _, status) = timeline(
        "devices:\n  toilet: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  speaker: { kind: smart_speaker, latency: 1s }\nprogram:\n  - parallel:\n      - { device: toilet, message: FLUSH }\n      - { device: speaker, message: PLAY_SONG, data: \"x\" }\n  - { device: speaker, message: SWITCH_OFF }\n",
        "1",
    );
    assert_eq!(
        got,
        lines(
            "
            0.0 connect_start toilet
            0.0 connect_start speaker
            0.1 connect_end toilet
            1.0 connect_end speaker
            1.0 message_start toilet
            1.0 message_start speaker
            1.1 message_failed toilet attempt=1 reason=\"device_error\"
            1.1 message_cancelled speaker
            1.1 node_failed line 5 reason=\"child_failed\"
            1.1 node_failed line 4 reason=\"child_failed\"
            1.1 disconnect_start toilet
            1.1 disconnect_start speaker
            1.2 disconnect_end toilet
            2.1 disconnect_end speaker
            2.1 run_end failed
            "
        )
    );
    assert_eq!(status, 1);
}

#[test]
fn continue_on_error_on_a_message_carries_on() {
    let (got, end, status) = timeline(
        "devices:\n  toilet: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  light: { kind: hue_light, latency: 100ms }\nprogram:\n  - { device: toilet, message: FLUSH, continue_on_error: true }\n  - { device: light, message: SWITCH_ON }\n",
        "1",
    );
    assert_eq!(
        got,
        lines(
            "
            0.0 connect_start toilet
            0.0 connect_start light
            0.1 connect_end toilet
            0.1 connect_end light
            0.1 message_start toilet
            0.2 message_failed toilet attempt=1 reason=\"device_error\"
            0.2 message_start light
            0.3 message_end light
            0.3 disconnect_start toilet
            0.3 disconnect_start light
            0.4 disconnect_end toilet
            0.4 disconnect_end light
            0.4 run_end ok
            "
        )
    );
    assert!(end["error"].is_null());
    assert_eq!(status, 0);
}

#[test]
fn continue_on_error_on_a_parallel_carries_on_after_cancelling_inside_it() {
    let (got, _, status) = timeline(
        "devices:\n  toilet: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  light: { kind: hue_light, latency: 300ms }\nprogram:\n  - parallel:\n      - { device: toilet, message: FLUSH }\n      - { device: light, message: SWITCH_ON }\n    continue_on_error: true\n  - { device: light, message: SWITCH_OFF }\n",
        "1",
    );
    assert_eq!(
        got,
        lines(
            "
            0.0 connect_start toilet
            0.0 connect_start light
            0.1 connect_end toilet
            0.3 connect_end light
            0.3 message_start toilet
            0.3 message_start light
            0.4 message_failed toilet attempt=1 reason=\"device_error\"
            0.4 message_cancelled light
            0.4 node_failed line 5 reason=\"child_failed\"
            0.4 message_start light
            0.7 message_end light
            0.7 disconnect_start toilet
            0.7 disconnect_start light
            0.8 disconnect_end toilet
            1.0 disconnect_end light
            1.0 run_end ok
            "
        )
    );
    assert_eq!(status, 0);
}

/// A failed run renders a diagnostic on the failing node and exits 1.
#[test]
fn a_failed_run_is_a_diagnostic() {
    Test::new()
        .program(
            "devices:\n  toilet: { kind: smart_toilet, latency: 10ms, failure_rate: 1 }\nprogram:\n  - { device: toilet, message: FLUSH, retry: { attempts: 3, backoff: 10ms } }\n",
        )
        .args(["run", "--virtual-time", "--format", "json", "program.yaml"])
        .stderr(
            "{\"message\":\"FLUSH to `toilet` failed after 3 attempts: device error\",\"code\":\"iotrun::run_failed\",\"severity\":\"error\",\"causes\":[],\"help\":\"give it more `retry` attempts or a longer backoff, or `continue_on_error: true` to carry on without it\",\"filename\":\"program.yaml\",\"labels\":[{\"label\":\"failed here\",\"span\":{\"offset\":89,\"length\":6},\"line\":4,\"column\":7}],\"related\":[]}\n",
        )
        .status(1)
        .run();
    let run = Test::new()
        .program(
            "devices:\n  toilet: { kind: smart_toilet, latency: 10ms, failure_rate: 1 }\nprogram:\n  - { device: toilet, message: FLUSH, retry: { attempts: 3, backoff: 10ms } }\n",
        )
        .args(["run", "--virtual-time", "--seed", "1", "program.yaml"])
        .stderr(
            "\
iotrun::run_failed

  × FLUSH to `toilet` failed after 3 attempts: device error
   ╭─[program.yaml:4:7]
 3 │ program:
 4 │   - { device: toilet, message: FLUSH, retry: { attempts: 3, backoff: 10ms } }
   ·       ───┬──
   ·          ╰── failed here
   ╰────
  help: give it more `retry` attempts or a longer backoff, or `continue_on_error: true` to carry
        on without it

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
    assert!(
        run.stdout
            .contains("Smart Toilet failed message of type FLUSH: device error (attempt 3)."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("failed in 0.080 s, 0 messages, 1 device (again with --seed 1).\n  expected 0.03 s; attempts: 0 done, 3 failed, 0 cancelled; busiest: `toilet` (3 attempts).\n"),
        "{}",
        run.stdout
    );
}

const FLAKY: &str = "\
devices:
  a: { kind: hue_light, latency: 20ms, jitter: 30ms, failure_rate: 0.3 }
  b: { kind: hue_light, latency: 10ms, jitter: 20ms, failure_rate: 0.3 }
routines:
  blink:
    - { device: a, message: SWITCH_ON, retry: { attempts: 5, backoff: 5ms }, continue_on_error: true }
    - { device: b, message: SWITCH_OFF, retry: { attempts: 5, backoff: 5ms }, continue_on_error: true }
program:
  parallel:
    - run: blink
    - run: blink
    - [ { run: blink }, { run: blink } ]
    - { device: a, message: CHANGE_COLOR, data: \"#FF0000\", retry: { attempts: 4, backoff: 5ms }, continue_on_error: true }
";

fn flaky_run(args: &[&str]) -> String {
    Test::new()
        .program(FLAKY)
        .args(args.iter().copied())
        .args(["--format", "json", "program.yaml"])
        .run()
        .stdout
}

#[test]
fn the_same_seed_gives_the_same_faults_byte_for_byte() {
    let first = flaky_run(&["run", "--virtual-time", "--seed", "11"]);
    assert_eq!(first, flaky_run(&["run", "--virtual-time", "--seed", "11"]));
    assert!(
        first.contains("\"message_failed\""),
        "the seed should give some failures"
    );
    assert!(first.contains("\"message_retry\""));
    assert_ne!(first, flaky_run(&["run", "--virtual-time", "--seed", "12"]));
}

/// Real time gives the same events as virtual time, in the same order per
/// message; only the times differ.
#[test]
fn real_time_gives_the_events_of_virtual_time() {
    let shape = |out: String| -> Vec<String> {
        let mut events: Vec<String> = out
            .lines()
            .map(|l| {
                let mut e: Value = serde_json::from_str(l).expect("JSON");
                if let Some(map) = e.as_object_mut() {
                    map.remove("t");
                    map.remove("duration");
                }
                e.to_string()
            })
            .collect();
        // Concurrent events of one instant may interleave differently.
        events.sort();
        events
    };
    let virtual_time = shape(flaky_run(&["run", "--virtual-time", "--seed", "5"]));
    let real_time = shape(flaky_run(&["run", "--seed", "5"]));
    assert_eq!(virtual_time, real_time);
}

/// A device's faults hang on its own executions and attempts: making
/// another device slower changes nothing for it.
#[test]
fn faults_do_not_depend_on_what_else_runs() {
    let program = |b_latency: &str| {
        format!(
            "devices:\n  a: {{ kind: hue_light, latency: 20ms, jitter: 30ms, failure_rate: 0.4 }}\n  b: {{ kind: hue_light, latency: {b_latency} }}\nprogram:\n  parallel:\n    - - {{ device: a, message: SWITCH_ON, retry: {{ attempts: 4, backoff: 5ms }}, continue_on_error: true }}\n      - {{ device: a, message: SWITCH_OFF, retry: {{ attempts: 4, backoff: 5ms }}, continue_on_error: true }}\n      - {{ device: a, message: SWITCH_ON, retry: {{ attempts: 4, backoff: 5ms }}, continue_on_error: true }}\n    - - {{ device: b, message: SWITCH_ON }}\n      - {{ device: b, message: SWITCH_OFF }}\n"
        )
    };
    // Device a's events after connecting, which b's latency does shift.
    let of_a = |b_latency: &str| -> Vec<String> {
        let (events, _, _) = timeline(&program(b_latency), "21");
        let connected = events
            .iter()
            .position(|e| e.contains("message_start"))
            .unwrap_or(0);
        events[connected..]
            .iter()
            .filter(|e| e.ends_with(" a") || e.contains(" a "))
            .map(|e| {
                e.split_once(' ')
                    .map_or(e.clone(), |(_, rest)| rest.to_string())
            })
            .collect()
    };
    let fast = of_a("10ms");
    assert!(
        fast.iter().any(|e| e.contains("message_failed")),
        "{fast:#?}"
    );
    assert_eq!(fast, of_a("37ms"));
}

/// Work that ends at the very instant a sibling fails is done, whichever
/// is listed first.
#[test]
fn a_sibling_ending_at_the_failure_instant_is_done() {
    for order in [["toilet", "light"], ["light", "toilet"]] {
        let node = |device: &str| match device {
            "toilet" => "{ device: toilet, message: FLUSH }",
            _ => "{ device: light, message: SWITCH_ON }",
        };
        let (events, end, status) = timeline(
            &format!(
                "devices:\n  toilet: {{ kind: smart_toilet, latency: 100ms, failure_rate: 1 }}\n  light: {{ kind: hue_light, latency: 100ms }}\nprogram:\n  parallel:\n    - {}\n    - {}\n",
                node(order[0]),
                node(order[1])
            ),
            "1",
        );
        assert!(
            events.contains(&"0.2 message_end light".to_string()),
            "{events:#?}"
        );
        assert!(
            !events.iter().any(|e| e.contains("cancelled")),
            "{events:#?}"
        );
        assert_eq!(end["messages"], 1);
        assert_eq!(status, 1);
    }
}

/// A message waiting to retry is still in flight: cancelled by a block's
/// timeout, it reports so.
#[test]
fn a_message_waiting_to_retry_is_cancelled_by_a_timeout() {
    let (got, _, _) = timeline(
        "devices:\n  t: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\nprogram:\n  sequence:\n    - { device: t, message: FLUSH, retry: { attempts: 3, backoff: 1s } }\n  timeout: 500ms\n  continue_on_error: true\n",
        "1",
    );
    assert_eq!(
        got,
        lines(
            "
            0.0 connect_start t
            0.1 connect_end t
            0.1 message_start t
            0.2 message_failed t attempt=1 reason=\"device_error\"
            0.2 message_retry t attempt=1 wait=1.0
            0.6 message_cancelled t
            0.6 node_failed line 4 reason=\"timeout\"
            0.6 disconnect_start t
            0.7 disconnect_end t
            0.7 run_end ok
            "
        )
    );
}

/// Attempts are bounded, and so is each doubled wait.
#[test]
fn retries_are_bounded() {
    let run = Test::new()
        .program(
            "devices:\n  t: { kind: smart_toilet }\nprogram:\n  - { device: t, message: FLUSH, retry: { attempts: 4294967296 } }\n",
        )
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(
        run.stderr.contains("a message has at most 100 attempts"),
        "{}",
        run.stderr
    );
    // 60 attempts from a week's backoff: every wait is capped at a week, and
    // the virtual clock gets there.
    let (events, end, status) = timeline(
        "devices:\n  t: { kind: smart_toilet, latency: 10ms, failure_rate: 1 }\nprogram:\n  - { device: t, message: FLUSH, retry: { attempts: 60, backoff: 10080m } }\n",
        "1",
    );
    assert_eq!(status, 1);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.contains("message_failed"))
            .count(),
        60
    );
    assert!(
        events.iter().any(|e| e.ends_with("wait=604800.0")),
        "{events:#?}"
    );
    assert_eq!(end["status"], "failed");
}

/// Siblings cancelled by a failure report in the order the program lists
/// them.
#[test]
fn cancelled_siblings_report_in_program_order() {
    let (events, _, _) = timeline(
        "devices:\n  t: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  a: { kind: hue_light, latency: 1s }\nprogram:\n  parallel:\n    - { device: a, message: SWITCH_ON }\n    - { device: a, message: SWITCH_OFF }\n    - { device: t, message: FLUSH }\n    - { device: a, message: CHANGE_COLOR, data: \"#000000\" }\n",
        "1",
    );
    let run = Test::new()
        .program(
            "devices:\n  t: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  a: { kind: hue_light, latency: 1s }\nprogram:\n  parallel:\n    - { device: a, message: SWITCH_ON }\n    - { device: a, message: SWITCH_OFF }\n    - { device: t, message: FLUSH }\n    - { device: a, message: CHANGE_COLOR, data: \"#000000\" }\n",
        )
        .args(["run", "--virtual-time", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    let lines: Vec<u64> = run
        .json_lines()
        .iter()
        .filter(|e| e["event"] == "message_cancelled")
        .map(|e| e["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [6, 7, 9]);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.contains("message_cancelled"))
            .count(),
        3
    );
}

/// Messages inside a cancelled block report in program order too.
#[test]
fn nested_and_timed_out_blocks_cancel_in_program_order() {
    let cancelled = |program: &str| -> Vec<u64> {
        Test::new()
            .program(program)
            .args(["run", "--virtual-time", "--format", "json", "program.yaml"])
            .status(1)
            .run()
            .json_lines()
            .iter()
            .filter(|e| e["event"] == "message_cancelled")
            .map(|e| e["line"].as_u64().expect("line"))
            .collect()
    };
    assert_eq!(
        cancelled(
            "devices:\n  t: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  a: { kind: hue_light, latency: 1s }\nprogram:\n  parallel:\n    - parallel:\n        - { device: a, message: SWITCH_ON }\n        - { device: a, message: SWITCH_OFF }\n        - { device: a, message: CHANGE_COLOR, data: \"#000000\" }\n    - { device: t, message: FLUSH }\n"
        ),
        [7, 8, 9]
    );
    assert_eq!(
        cancelled(
            "devices:\n  a: { kind: hue_light, latency: 1s }\nprogram:\n  parallel:\n    - { device: a, message: SWITCH_ON }\n    - { device: a, message: SWITCH_OFF }\n    - { device: a, message: CHANGE_COLOR, data: \"#000000\" }\n  timeout: 500ms\n"
        ),
        [5, 6, 7]
    );
}
