//! Runs under `--virtual-time`: events at exactly the critical path's times.
//! One test proves real-time fidelity.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::{Test, root};
use serde_json::Value;

fn wake_up() -> String {
    std::fs::read_to_string(root().join("programs/wake_up.yaml")).expect("wake_up.yaml")
}

/// `(t, event, device)` of every line, for comparing timelines.
fn timeline(events: &[Value]) -> Vec<(f64, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["t"].as_f64().expect("t"),
                e["event"].as_str().expect("event").to_string(),
                e["device"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn wake_up_events_follow_the_critical_path() {
    let run = Test::new()
        .program(&wake_up())
        .args([
            "run",
            "--virtual-time",
            "--format",
            "json",
            "--seed",
            "7",
            "program.yaml",
        ])
        .stderr("")
        .run();
    let events = run.json_lines();
    let timeline = timeline(&events);
    let got: Vec<(f64, &str, &str)> = timeline
        .iter()
        .map(|(t, e, d)| (*t, e.as_str(), d.as_str()))
        .collect();
    let expected = vec![
        (0.0, "connect_start", "hue_light"),
        (0.0, "connect_start", "speaker"),
        (0.0, "connect_start", "toilet"),
        (0.5, "connect_end", "hue_light"),
        (0.5, "connect_end", "speaker"),
        (0.5, "connect_end", "toilet"),
        (0.5, "message_start", "hue_light"),
        (0.5, "message_start", "speaker"),
        (0.5, "message_start", "speaker"),
        (1.0, "message_end", "hue_light"),
        (1.0, "message_end", "speaker"),
        (1.0, "message_end", "speaker"),
        (1.0, "message_start", "hue_light"),
        (1.0, "message_start", "speaker"),
        (1.0, "message_start", "toilet"),
        (1.5, "message_end", "hue_light"),
        (1.5, "message_end", "speaker"),
        (1.5, "message_end", "toilet"),
        (1.5, "message_start", "toilet"),
        (2.0, "message_end", "toilet"),
        (2.0, "disconnect_start", "hue_light"),
        (2.0, "disconnect_start", "speaker"),
        (2.0, "disconnect_start", "toilet"),
        (2.5, "disconnect_end", "hue_light"),
        (2.5, "disconnect_end", "speaker"),
        (2.5, "disconnect_end", "toilet"),
        (2.5, "run_end", ""),
    ];
    assert_eq!(got, expected);
    let end = events.last().expect("run_end");
    assert_eq!(end["status"], "ok");
    assert_eq!(end["duration"], 2.5);
    assert_eq!(end["messages"], 7);
}

#[test]
fn message_events_carry_type_data_and_line() {
    let run = Test::new()
        .program(&wake_up())
        .args([
            "run",
            "--virtual-time",
            "--format",
            "json",
            "--seed",
            "7",
            "program.yaml",
        ])
        .run();
    let song = run
        .json_lines()
        .into_iter()
        .find(|e| e["event"] == "message_start" && e["message"] == "PLAY_SONG")
        .expect("PLAY_SONG starts");
    assert_eq!(song["device"], "speaker");
    assert_eq!(song["data"], "Miles Davis - Kind of Blue");
    let line = song["line"].as_u64().expect("line") as usize;
    let source_line = wake_up()
        .lines()
        .nth(line - 1)
        .expect("line in file")
        .to_string();
    assert!(
        source_line.contains("PLAY_SONG"),
        "line {line} is {source_line:?}"
    );
}

#[test]
fn ids_are_eight_uppercase_letters_unique_and_seeded() {
    let ids = |seed: &str| -> Vec<String> {
        Test::new()
            .program(&wake_up())
            .args([
                "run",
                "--virtual-time",
                "--format",
                "json",
                "--seed",
                seed,
                "program.yaml",
            ])
            .run()
            .json_lines()
            .iter()
            .filter(|e| e["event"] == "connect_start")
            .map(|e| e["id"].as_str().expect("id").to_string())
            .collect()
    };
    let first = ids("42");
    assert_eq!(first.len(), 3);
    for id in &first {
        assert_eq!(id.len(), 8);
        assert!(id.bytes().all(|b| b.is_ascii_uppercase()), "{id}");
    }
    let unique: std::collections::BTreeSet<_> = first.iter().collect();
    assert_eq!(unique.len(), 3);
    assert_eq!(ids("42"), first, "the same seed gives the same ids");
    assert_ne!(ids("43"), first, "another seed gives other ids");
}

#[test]
fn same_seed_gives_byte_identical_output() {
    let run = || {
        Test::new()
            .program(&wake_up())
            .args([
                "run",
                "--virtual-time",
                "--format",
                "json",
                "--seed",
                "9",
                "program.yaml",
            ])
            .run()
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn human_output_has_the_seeds_lines_in_the_seeds_order_per_device() {
    let run = Test::new()
        .program(&wake_up())
        .args(["run", "--virtual-time", "program.yaml"])
        .stderr("")
        .run();
    // The seed's main.py, device by device.
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        (
            "Hue Light",
            vec![
                "Connecting Hue Light.",
                "Hue Light connected.",
                "Hue Light handling message of type SWITCH_ON with data [].",
                "Hue Light received message.",
                "Hue Light handling message of type SWITCH_OFF with data [].",
                "Hue Light received message.",
                "Disconnecting Hue Light.",
                "Hue Light disconnected.",
            ],
        ),
        (
            "Smart Speaker",
            vec![
                "Connecting to Smart Speaker.",
                "Smart Speaker connected.",
                "Smart Speaker handling message of type SWITCH_ON with data [].",
                "Smart Speaker handling message of type PLAY_SONG with data [Miles Davis - Kind of Blue].",
                "Smart Speaker received message.",
                "Smart Speaker received message.",
                "Smart Speaker handling message of type SWITCH_OFF with data [].",
                "Smart Speaker received message.",
                "Disconnecting Smart Speaker.",
                "Smart Speaker disconnected.",
            ],
        ),
        (
            "Smart Toilet",
            vec![
                "Connecting to Smart Toilet.",
                "Smart Toilet connected.",
                "Smart Toilet handling message of type FLUSH with data [].",
                "Smart Toilet received message.",
                "Smart Toilet handling message of type CLEAN with data [].",
                "Smart Toilet received message.",
                "Disconnecting Smart Toilet.",
                "Smart Toilet disconnected.",
            ],
        ),
    ]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let (details, lines) = lines.split_last().expect("output");
    assert_eq!(
        *details,
        "  expected 2.5 s; attempts: 7 done, 0 failed, 0 cancelled; busiest: `speaker` (3 attempts)."
    );
    let (summary, device_lines) = lines.split_last().expect("output");
    assert_eq!(*summary, "Wake up: done in 2.500 s, 7 messages, 3 devices.");
    for (device, want) in expected {
        let got: Vec<&str> = device_lines
            .iter()
            .map(|l| l.split_once("] ").expect("time prefix").1)
            // The device column: the name, padded to `hue_light`'s 9, and two spaces.
            .map(|l| &l[11..])
            .filter(|l| l.contains(device))
            .collect();
        assert_eq!(got, want, "lines of {device}");
    }
    assert_eq!(
        device_lines.first(),
        Some(&"[  0.000s] hue_light  Connecting Hue Light.")
    );
    assert_eq!(
        device_lines.last(),
        Some(&"[  2.500s] toilet     Smart Toilet disconnected.")
    );
}

#[test]
fn iotrun_file_is_iotrun_run_file() {
    let args = |a: &[&str]| {
        Test::new()
            .program(&wake_up())
            .args(a.iter().copied())
            .run()
            .stdout
    };
    assert_eq!(
        args(&[
            "--virtual-time",
            "--seed",
            "1",
            "--format",
            "json",
            "program.yaml"
        ]),
        args(&[
            "run",
            "--virtual-time",
            "--seed",
            "1",
            "--format",
            "json",
            "program.yaml"
        ]),
    );
}

/// The critical path of a program with per-device latency, delays, routines
/// and nesting: connect takes the slowest device (0.3 s); the program is
/// max(0.1 + 0.2 delay + 0.1, 0.3 + run(two) = 0.3 + 0.1 + 0.3) = 0.7 s;
/// disconnect 0.3 s. 1.3 s in all.
#[test]
fn nested_timings_equal_the_critical_path() {
    let run = Test::new()
        .program(
            "\
devices:
  fast: { kind: hue_light, latency: 100ms }
  slow: { kind: smart_toilet, latency: 0.3s }
routines:
  one: { device: fast, message: SWITCH_ON }
  two:
    - run: one
    - { device: slow, message: FLUSH }
program:
  parallel:
    - - { device: fast, message: SWITCH_ON }
      - delay: 200ms
      - { device: fast, message: SWITCH_OFF }
    - - { device: slow, message: OPEN }
      - run: two
",
        )
        .args(["run", "--virtual-time", "--format", "json", "program.yaml"])
        .stderr("")
        .run();
    // Events of one instant may come in any order; compare them as sets.
    let mut got: Vec<(f64, String, String)> = timeline(&run.json_lines())
        .into_iter()
        .filter(|(_, e, _)| e.starts_with("message") || e == "run_end")
        .collect();
    got.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let want: Vec<(f64, &str, &str)> = vec![
        (0.3, "message_start", "fast"),
        (0.3, "message_start", "slow"),
        (0.4, "message_end", "fast"),
        (0.6, "message_end", "slow"),
        (0.6, "message_start", "fast"),
        (0.6, "message_start", "fast"),
        (0.7, "message_end", "fast"),
        (0.7, "message_end", "fast"),
        (0.7, "message_start", "slow"),
        (1.0, "message_end", "slow"),
        (1.3, "run_end", ""),
    ];
    let mut want: Vec<(f64, String, String)> = want
        .into_iter()
        .map(|(t, e, d)| (t, e.to_string(), d.to_string()))
        .collect();
    want.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    assert_eq!(got, want);
}

#[test]
fn a_thousand_sequential_messages_take_exactly_their_sum() {
    let mut program = String::from("devices:\n  l: { kind: hue_light, latency: 7ms }\nprogram:\n");
    for i in 0..1000 {
        let m = if i % 2 == 0 {
            "SWITCH_ON"
        } else {
            "SWITCH_OFF"
        };
        program.push_str(&format!("  - {{ device: l, message: {m} }}\n"));
    }
    let run = Test::new()
        .program(&program)
        .args(["run", "--virtual-time", "--format", "json", "program.yaml"])
        .run();
    let end = run.json_lines().pop().expect("run_end");
    assert_eq!(end["event"], "run_end");
    // 7 ms connect + 1000 * 7 ms + 7 ms disconnect.
    assert_eq!(end["duration"], 7.014);
    assert_eq!(end["messages"], 1000);
}

#[test]
fn check_reports_the_same_duration_the_run_takes() {
    Test::new()
        .program(&wake_up())
        .args(["check", "program.yaml"])
        .stdout("program.yaml: 3 devices, 7 messages, 2.5 s\n")
        .stderr("")
        .run();
}

#[test]
fn an_invalid_program_does_not_run() {
    Test::new()
        .program("devices: {}\nprogram: [ { device: ghost, message: OPEN } ]\n")
        .args(["run", "--virtual-time", "program.yaml"])
        .stdout("")
        .status(1)
        .run();
}

#[test]
fn warnings_are_shown_and_the_program_runs() {
    let run = Test::new()
        .program(
            "devices:\n  l: { kind: hue_light, latency: 1s }\n  unused: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON } ]\n",
        )
        .args(["run", "--virtual-time", "program.yaml"])
        .run();
    assert!(
        run.stderr.contains("iotrun::unused_device"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .ends_with("done in 3.000 s, 1 message, 2 devices.\n  expected 3 s; attempts: 1 done, 0 failed, 0 cancelled; busiest: `l` (1 attempt).\n"),
        "{}",
        run.stdout
    );
}

/// The one real-time test: the seed's 2.5 s, and not noticeably more.
#[test]
fn wake_up_takes_two_and_a_half_seconds_in_real_time() {
    let started = Instant::now();
    let run = Test::new()
        .program(&wake_up())
        .args(["run", "--format", "json", "program.yaml"])
        .run();
    let elapsed = started.elapsed().as_secs_f64();
    let end = run.json_lines().pop().expect("run_end");
    let duration = end["duration"].as_f64().expect("duration");
    assert!((2.5..2.6).contains(&duration), "reported {duration}");
    assert!((2.5..2.8).contains(&elapsed), "took {elapsed}");
}

/// Durations are whole milliseconds, the clock's own unit: finer instants
/// could not be kept apart, so they are rejected with the rounded value.
#[test]
fn durations_finer_than_a_millisecond_are_rejected() {
    let run = Test::new()
        .program(
            "devices:\n  l: { kind: hue_light, latency: 0.5ms }\nprogram:\n  - { device: l, message: SWITCH_ON }\n",
        )
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(
        run.stderr.contains("`0.5ms` is finer than a millisecond"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("help: iotrun's clock counts whole milliseconds: did you mean `1ms`?"),
        "{}",
        run.stderr
    );
}

/// Control characters in the file's text are escaped in the run's output.
#[test]
fn control_characters_from_the_file_are_not_sent_to_the_terminal() {
    let run = Test::new()
        .program(
            "name: \"\\e]0;pwned\\a\"\ndevices:\n  s: { kind: smart_speaker, latency: 0ms }\nprogram: [ { device: s, message: PLAY_SONG, data: \"\\e[2Jred\" } ]\n",
        )
        .args(["run", "--virtual-time", "program.yaml"])
        .run();
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    assert!(
        run.stdout.contains("with data [\\u{1b}[2Jred]."),
        "{}",
        run.stdout
    );
}

/// `--timeline` draws a row per device after the run, fitted to the width.
#[test]
fn timeline_draws_each_devices_operations() {
    let run = Test::new()
        .program(&wake_up())
        .env("COLUMNS", "70")
        .args(["run", "--virtual-time", "--timeline", "program.yaml"])
        .run();
    let chart: Vec<&str> = run
        .stdout
        .lines()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(
        chart.join("\n"),
        "\
hue_light │===========███████████████████████            ============
speaker   │===========███████████████████████            ============
toilet    │===========            ███████████████████████============
          └─────────────────────────────────────────────────────────┘
           0s                                                  2.500s
           = connect/disconnect  █ message  x failed  ~ cancelled"
    );
    // Failures and cancellations are marked.
    let run = Test::new()
        .program(
            "devices:\n  t: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\n  s: { kind: smart_speaker, latency: 1s }\nprogram:\n  parallel:\n    - { device: t, message: FLUSH }\n    - { device: s, message: PLAY_SONG, data: \"x\" }\n",
        )
        .env("COLUMNS", "40")
        .args(["run", "--virtual-time", "--timeline", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    assert!(run.stderr.contains("t │"), "{}", run.stderr);
    let toilet = run
        .stderr
        .lines()
        .find(|l| l.starts_with("t │"))
        .expect("toilet row");
    let speaker = run
        .stderr
        .lines()
        .find(|l| l.starts_with("s │"))
        .expect("speaker row");
    assert!(toilet.contains('x'), "{toilet}");
    assert!(speaker.contains('~'), "{speaker}");
}

/// Two lights of one kind say the same words; the device column tells them
/// apart, padded to the longest device name.
#[test]
fn two_devices_of_one_kind_are_told_apart() {
    Test::new()
        .program(
            "devices:\n  hall: { kind: hue_light, latency: 100ms }\n  kitchen: { kind: hue_light, latency: 200ms }\nprogram:\n  parallel:\n    - { device: hall, message: SWITCH_ON }\n    - { device: kitchen, message: SWITCH_ON }\n",
        )
        .args(["run", "--virtual-time", "program.yaml"])
        .stdout(
            "\
[  0.000s] hall     Connecting Hue Light.
[  0.000s] kitchen  Connecting Hue Light.
[  0.100s] hall     Hue Light connected.
[  0.200s] kitchen  Hue Light connected.
[  0.200s] hall     Hue Light handling message of type SWITCH_ON with data [].
[  0.200s] kitchen  Hue Light handling message of type SWITCH_ON with data [].
[  0.300s] hall     Hue Light received message.
[  0.400s] kitchen  Hue Light received message.
[  0.400s] hall     Disconnecting Hue Light.
[  0.400s] kitchen  Disconnecting Hue Light.
[  0.500s] hall     Hue Light disconnected.
[  0.600s] kitchen  Hue Light disconnected.
done in 0.600 s, 2 messages, 2 devices.
  expected 0.6 s; attempts: 2 done, 0 failed, 0 cancelled; busiest: `hall` (1 attempt).
",
        )
        .run();
}
