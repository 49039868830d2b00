//! `iotrun run --trace FILE`: the Chrome trace of a run, checked against the
//! run's own events.

mod common;

use std::collections::HashMap;

use common::{Test, root};
use serde_json::Value;

/// Runs `program` under virtual time with a trace; returns the JSON events
/// and the trace.
fn traced(program: &str, status: i32) -> (Vec<Value>, Value) {
    // The trace goes to a folder of its own: the test's is gone after the run.
    let out = common::TempDir::new();
    let trace_path = out.path().join("trace.json");
    let run = Test::new()
        .program(program)
        .args([
            "run",
            "--virtual-time",
            "--seed",
            "4",
            "--format",
            "json",
            "--trace",
        ])
        .args([trace_path.display().to_string(), "program.yaml".to_string()])
        .status(status)
        .run();
    let trace = std::fs::read_to_string(&trace_path).expect("the trace file");
    (
        run.json_lines(),
        serde_json::from_str(&trace).expect("trace JSON"),
    )
}

fn micros(event: &Value) -> u64 {
    (event["t"].as_f64().expect("t") * 1e6).round() as u64
}

#[test]
fn every_operation_is_a_complete_event_on_its_devices_thread() {
    let program = std::fs::read_to_string(root().join("programs/wake_up.yaml")).expect("wake_up");
    let (events, trace) = traced(&program, 0);
    let trace_events = trace["traceEvents"].as_array().expect("traceEvents");
    let threads: HashMap<u64, String> = trace_events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().expect("tid"),
                e["args"]["name"].as_str().expect("name").to_string(),
            )
        })
        .collect();
    assert_eq!(threads.get(&0).map(String::as_str), Some("program"));
    let complete: Vec<&Value> = trace_events.iter().filter(|e| e["ph"] == "X").collect();
    // Every device operation of the run is one X event, at its times.
    let mut checked = 0;
    for (start, end, name) in [
        ("connect_start", "connect_end", None),
        ("message_start", "message_end", Some("message")),
        ("disconnect_start", "disconnect_end", None),
    ] {
        for begin in events.iter().filter(|e| e["event"] == start) {
            let device = begin["device"].as_str().expect("device");
            let finish = events
                .iter()
                .find(|e| {
                    e["event"] == end
                        && e["device"] == begin["device"]
                        && e["line"] == begin["line"]
                        && micros(e) >= micros(begin)
                })
                .expect("the operation ends");
            let label = match name {
                Some(_) => begin["message"].as_str().expect("message").to_string(),
                None => start.trim_end_matches("_start").to_string(),
            };
            let found = complete.iter().any(|x| {
                threads
                    .get(&x["tid"].as_u64().unwrap_or(u64::MAX))
                    .map(String::as_str)
                    == Some(device)
                    && x["name"] == label.as_str()
                    && x["ts"].as_u64() == Some(micros(begin))
                    && x["dur"].as_u64() == Some(micros(finish) - micros(begin))
            });
            assert!(found, "no trace event for {begin} .. {finish}");
            checked += 1;
        }
    }
    assert_eq!(checked, 3 + 7 + 3);
    // Messages carry their type, data, attempt, outcome and source line.
    let song = complete
        .iter()
        .find(|x| x["name"] == "PLAY_SONG")
        .expect("PLAY_SONG");
    assert_eq!(song["args"]["data"], "Miles Davis - Kind of Blue");
    assert_eq!(song["args"]["attempt"], 1);
    assert_eq!(song["args"]["outcome"], "ok");
    assert_eq!(song["args"]["line"], 15);
    // The structure is on the program thread, the routine enclosing its body.
    let run = complete
        .iter()
        .find(|x| x["name"] == "run wake_up")
        .expect("the routine");
    assert_eq!(run["tid"], 0);
    assert_eq!(
        (run["ts"].as_u64(), run["dur"].as_u64()),
        (Some(500_000), Some(500_000))
    );
    assert!(
        complete
            .iter()
            .any(|x| x["tid"] == 0 && x["name"] == "parallel")
    );
}

#[test]
fn failed_and_cancelled_attempts_are_marked() {
    let (_, trace) = traced(
        "devices:\n  t: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  s: { kind: smart_speaker, latency: 1s }\nprogram:\n  parallel:\n    - { device: t, message: FLUSH, retry: { attempts: 2, backoff: 100ms } }\n    - { device: s, message: PLAY_SONG, data: \"x\" }\n    - delay: 2s\n",
        1,
    );
    let complete: Vec<&Value> = trace["traceEvents"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["ph"] == "X")
        .collect();
    let outcomes = |name: &str| -> Vec<(String, u64)> {
        complete
            .iter()
            .filter(|x| x["name"] == name)
            .map(|x| {
                (
                    x["args"]["outcome"].as_str().unwrap_or("").to_string(),
                    x["args"]["attempt"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    assert_eq!(
        outcomes("FLUSH"),
        [("failed".to_string(), 1), ("failed".to_string(), 2)]
    );
    assert_eq!(outcomes("PLAY_SONG"), [("cancelled".to_string(), 1)]);
    let delay = complete
        .iter()
        .find(|x| x["name"] == "delay")
        .expect("the delay");
    assert_eq!(delay["args"]["outcome"], "cancelled");
}
