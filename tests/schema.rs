//! The JSON Schema (`schema/program.schema.json`) against the parser: a
//! change to one without the other fails here.
//!
//! - every program in `programs/` validates;
//! - structurally broken programs are rejected by the schema and by
//!   `iotrun check` (with the diagnostic code the case is about), and valid
//!   edge programs are accepted by both;
//! - what the schema spells out again (kinds, message types, names,
//!   durations, colours, the attempts bound) matches the crate's own;
//! - where the schema must stay looser than the parser (what needs the
//!   whole file to judge, or how YAML spelled a number), that is listed, so
//!   tightening either side shows;
//! - `iotrun schema` prints the file.
//!
//! YAML is read into JSON with the parser's options (YAML 1.2 booleans, as
//! editors read them too: `yes` is text; `.nan` and `.inf` as text).

mod common;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use serde_json::{Value, json};

use common::{Test, root};

static SCHEMA_TEXT: LazyLock<String> = LazyLock::new(|| {
    std::fs::read_to_string(root().join("schema/program.schema.json")).expect("read the schema")
});

static SCHEMA: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(&SCHEMA_TEXT).expect("the schema is JSON"));

static VALIDATOR: LazyLock<jsonschema::Validator> =
    LazyLock::new(|| jsonschema::validator_for(&SCHEMA).expect("the schema compiles"));

/// A program's YAML as the JSON document an editor validates.
fn to_json(yaml: &str) -> Value {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        budget: serde_saphyr::budget! { max_depth: 512, flow_nesting_limit: 512 },
    };
    serde_saphyr::from_str_with_options(yaml, options)
        .unwrap_or_else(|err| panic!("not YAML: {err}\n{yaml}"))
}

/// What the schema finds wrong with `instance`, one line per error.
fn schema_errors(instance: &Value) -> Vec<String> {
    VALIDATOR
        .iter_errors(instance)
        .map(|err| format!("at `{}`: {err}", err.instance_path()))
        .collect()
}

/// `iotrun check --format json` on `yaml`: the exit status and the codes of
/// the errors it reported (warnings left out).
fn check(yaml: &str) -> (i32, BTreeSet<String>) {
    let run = Test::new()
        .program(yaml)
        .args(["check", "--format", "json", "program.yaml"])
        .run_any_status();
    let codes = run
        .json_lines()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect();
    (run.status, codes)
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    assert_eq!(
        SCHEMA["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(err) = jsonschema::meta::validate(&SCHEMA) {
        panic!("the schema breaks its meta-schema: {err}");
    }
}

#[test]
fn every_program_in_programs_validates() {
    let mut seen = 0;
    let folders = [root().join("programs"), root().join("programs/mqtt")];
    let entries = folders
        .iter()
        .flat_map(|folder| std::fs::read_dir(folder).expect("read programs/"));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).expect("read a program");
        let errors = schema_errors(&to_json(&text));
        assert!(
            errors.is_empty(),
            "{} does not validate:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
    assert!(seen > 0, "no programs in programs/");
}

/// Programs broken in one way each, with the one error code `iotrun check`
/// gives for it.
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "unknown top-level key",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON }\nversion: 1\n",
    ),
    (
        "`mqtt` at the top level (next version)",
        "iotrun::unknown_key",
        "mqtt: { host: localhost }\ndevices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON }\n",
    ),
    (
        "unknown device key",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light, colour: red } }\nprogram: { device: l, message: SWITCH_ON }\n",
    ),
    (
        "unknown node key beside a form",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, priority: 1 }\n",
    ),
    (
        "misspelled form (`paralel`)",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { paralel: [ { device: l, message: SWITCH_ON } ] }\n",
    ),
    (
        "unknown `retry` key",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: 2, backof: 1s } }\n",
    ),
    (
        "`retry` on a sequence",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { sequence: [ { device: l, message: SWITCH_ON } ], retry: { attempts: 2 } }\n",
    ),
    (
        "`retry` on a delay",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: 1s, retry: { attempts: 2 } }\n",
    ),
    (
        "`retry` on a run",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nroutines: { r: { device: l, message: SWITCH_ON } }\nprogram: { run: r, retry: { attempts: 2 } }\n",
    ),
    (
        "missing `kind`",
        "iotrun::missing_key",
        "devices: { l: { latency: 1s } }\nprogram: { delay: 1s }\n",
    ),
    (
        "missing `devices`",
        "iotrun::missing_key",
        "program: { delay: 1s }\n",
    ),
    (
        "missing `program`",
        "iotrun::missing_key",
        "devices: { l: { kind: hue_light } }\n",
    ),
    (
        "message without `message`",
        "iotrun::missing_key",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l }\n",
    ),
    (
        "message without `device`",
        "iotrun::missing_key",
        "devices: { l: { kind: hue_light } }\nprogram: { message: SWITCH_ON }\n",
    ),
    (
        "`data` alone",
        "iotrun::missing_key",
        "devices: { l: { kind: hue_light } }\nprogram: { data: x }\n",
    ),
    (
        "`retry` without `attempts`",
        "iotrun::missing_key",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { backoff: 1s } }\n",
    ),
    (
        "bad kind",
        "iotrun::unknown_kind",
        "devices: { l: { kind: hue_lite } }\nprogram: { delay: 1s }\n",
    ),
    (
        "kind in the wrong case",
        "iotrun::unknown_kind",
        "devices: { l: { kind: Hue_Light } }\nprogram: { delay: 1s }\n",
    ),
    (
        "bad message type",
        "iotrun::unknown_message",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: switch_on }\n",
    ),
    (
        "two forms: delay and run",
        "iotrun::invalid_node",
        "devices: { l: { kind: hue_light } }\nroutines: { r: { delay: 1s } }\nprogram: { delay: 1s, run: r }\n",
    ),
    (
        "two forms: message and delay",
        "iotrun::invalid_node",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, delay: 1s }\n",
    ),
    (
        "two forms: sequence and parallel",
        "iotrun::invalid_node",
        "devices: { l: { kind: hue_light } }\nprogram: { sequence: [], parallel: [] }\n",
    ),
    (
        "empty mapping node",
        "iotrun::invalid_node",
        "devices: { l: { kind: hue_light } }\nprogram: [ {} ]\n",
    ),
    (
        "options only",
        "iotrun::invalid_node",
        "devices: { l: { kind: hue_light } }\nprogram: { timeout: 1s, continue_on_error: true }\n",
    ),
    (
        "`attempts: 0`",
        "iotrun::invalid_value",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: 0 } }\n",
    ),
    (
        "`attempts: 101`",
        "iotrun::invalid_value",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: 101 } }\n",
    ),
    (
        "`attempts: 1.5`",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: 1.5 } }\n",
    ),
    (
        "`attempts` as text",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: \"3\" } }\n",
    ),
    (
        "`retry: 3`",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: 3 }\n",
    ),
    (
        "`failure_rate: 2`",
        "iotrun::invalid_value",
        "devices: { l: { kind: hue_light, failure_rate: 2 } }\nprogram: { delay: 1s }\n",
    ),
    (
        "negative `failure_rate`",
        "iotrun::invalid_value",
        "devices: { l: { kind: hue_light, failure_rate: -0.1 } }\nprogram: { delay: 1s }\n",
    ),
    (
        "`failure_rate` as text",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light, failure_rate: \"0.5\" } }\nprogram: { delay: 1s }\n",
    ),
    (
        "duration `10 ms`",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: 10 ms }\n",
    ),
    (
        "duration as a bare number",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: 500 }\n",
    ),
    (
        "latency as a bare number",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light, latency: 0.5 } }\nprogram: { delay: 1s }\n",
    ),
    (
        "timeout of a message as a bare number",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, timeout: 2 }\n",
    ),
    (
        "timeout of a sequence as a bare number",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { sequence: [ { delay: 1s } ], timeout: 2 }\n",
    ),
    (
        "timeout `2min`",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, timeout: 2min }\n",
    ),
    (
        "backoff `1S`",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: 2, backoff: 1S } }\n",
    ),
    (
        "jitter `.5s`",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light, jitter: .5s } }\nprogram: { delay: 1s }\n",
    ),
    (
        "negative duration",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: -3ms }\n",
    ),
    (
        "duration finer than a millisecond",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: 0.5ms }\n",
    ),
    (
        "duration as a mapping",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: { seconds: 1 } }\n",
    ),
    (
        "`sequence` given a mapping",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { sequence: { device: l, message: SWITCH_ON } }\n",
    ),
    (
        "`parallel` given a mapping",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { parallel: {} }\n",
    ),
    (
        "a number where a node belongs",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: [ 42 ]\n",
    ),
    (
        "nothing where a node belongs",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram:\n",
    ),
    (
        "`devices:` with nothing after it",
        "iotrun::wrong_type",
        "devices:\nprogram: { delay: 1s }\n",
    ),
    (
        "`routines:` with nothing after it",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nroutines:\nprogram: { delay: 1s }\n",
    ),
    (
        "a device given as text",
        "iotrun::wrong_type",
        "devices: { l: hue_light }\nprogram: { delay: 1s }\n",
    ),
    (
        "a name that is a list",
        "iotrun::wrong_type",
        "name: [ a, b ]\ndevices: { l: { kind: hue_light } }\nprogram: { delay: 1s }\n",
    ),
    (
        "`name:` with nothing after it",
        "iotrun::wrong_type",
        "name:\ndevices: { l: { kind: hue_light } }\nprogram: { delay: 1s }\n",
    ),
    (
        "a program that is a list",
        "iotrun::wrong_type",
        "- devices: { l: { kind: hue_light } }\n  program: { delay: 1s }\n",
    ),
    (
        "`data` that is a list",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, data: [ a ] }\n",
    ),
    (
        "`run` given a number",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { run: 5 }\n",
    ),
    (
        "bad device name `9lamp`",
        "iotrun::invalid_name",
        "devices: { 9lamp: { kind: hue_light } }\nprogram: { delay: 1s }\n",
    ),
    (
        "bad routine name `bad.name`",
        "iotrun::invalid_name",
        "devices: { l: { kind: hue_light } }\nroutines: { bad.name: { delay: 1s } }\nprogram: { delay: 1s }\n",
    ),
    (
        "`continue_on_error: \"yes\"`",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: 1s, continue_on_error: \"yes\" }\n",
    ),
    (
        "`continue_on_error: yes` (text in YAML 1.2)",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: 1s, continue_on_error: yes }\n",
    ),
    (
        "CHANGE_COLOR without data",
        "iotrun::missing_data",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: CHANGE_COLOR }\n",
    ),
    (
        "CHANGE_COLOR with a colour name",
        "iotrun::invalid_data",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: CHANGE_COLOR, data: red }\n",
    ),
    (
        "CHANGE_COLOR with an unquoted colour (a comment, so empty)",
        "iotrun::invalid_data",
        "devices: { l: { kind: hue_light } }\nprogram:\n  device: l\n  message: CHANGE_COLOR\n  data: #FF8800\n",
    ),
    (
        "CHANGE_COLOR with a number",
        "iotrun::invalid_data",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: CHANGE_COLOR, data: 123456 }\n",
    ),
    (
        "PLAY_SONG without data",
        "iotrun::missing_data",
        "devices: { s: { kind: smart_speaker } }\nprogram: { device: s, message: PLAY_SONG }\n",
    ),
    (
        "PLAY_SONG with only spaces",
        "iotrun::invalid_data",
        "devices: { s: { kind: smart_speaker } }\nprogram: { device: s, message: PLAY_SONG, data: \"   \" }\n",
    ),
    (
        "PLAY_SONG with empty data",
        "iotrun::invalid_data",
        "devices: { s: { kind: smart_speaker } }\nprogram: { device: s, message: PLAY_SONG, data: }\n",
    ),
    (
        "a kind named like a built-in one",
        "iotrun::duplicate_key",
        "kinds: { hue_light: { display: Lamp, accepts: [SWITCH_ON] } }\ndevices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON }\n",
    ),
    (
        "a kind without `display`",
        "iotrun::missing_key",
        "kinds: { blinds: { accepts: [OPEN] } }\ndevices: { b: { kind: blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "a kind without `accepts`",
        "iotrun::missing_key",
        "kinds: { blinds: { display: Blinds } }\ndevices: { b: { kind: blinds } }\nprogram: { delay: 1s }\n",
    ),
    (
        "a kind that accepts nothing",
        "iotrun::invalid_value",
        "kinds: { blinds: { display: Blinds, accepts: [] } }\ndevices: { b: { kind: blinds } }\nprogram: { delay: 1s }\n",
    ),
    (
        "a kind that accepts a type twice",
        "iotrun::duplicate_key",
        "kinds: { blinds: { display: Blinds, accepts: [OPEN, OPEN] } }\ndevices: { b: { kind: blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "an unknown type in `accepts`",
        "iotrun::unknown_message",
        "kinds: { blinds: { display: Blinds, accepts: [OPEN, RAISE] } }\ndevices: { b: { kind: blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "a payload keyed by an unknown type",
        "iotrun::unknown_message",
        "kinds: { blinds: { display: Blinds, accepts: [OPEN], payloads: { RAISE: { position: 100 } } } }\ndevices: { b: { kind: blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "an empty payload",
        "iotrun::wrong_type",
        "kinds: { blinds: { display: Blinds, accepts: [OPEN], payloads: { OPEN: } } }\ndevices: { b: { kind: blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "an unknown kind key",
        "iotrun::unknown_key",
        "kinds: { blinds: { display: Blinds, accepts: [OPEN], colour: red } }\ndevices: { b: { kind: blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "`kinds` as a list",
        "iotrun::wrong_type",
        "kinds: [ blinds ]\ndevices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON }\n",
    ),
    (
        "a bad kind name",
        "iotrun::invalid_name",
        "kinds: { 9blinds: { display: Blinds, accepts: [OPEN] } }\ndevices: { b: { kind: 9blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "a device state that is a list",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light, state: [ on ] } }\nprogram: { device: l, message: SWITCH_ON }\n",
    ),
    (
        "a wait with an empty state",
        "iotrun::invalid_data",
        "devices: { l: { kind: hue_light } }\nprogram: { wait: { device: l, state: {} }, timeout: 1s }\n",
    ),
    (
        "a wait for a state that is text",
        "iotrun::invalid_data",
        "devices: { l: { kind: hue_light } }\nprogram: { wait: { device: l, state: \"ON\" }, timeout: 1s }\n",
    ),
    (
        "a wait without `state`",
        "iotrun::missing_key",
        "devices: { l: { kind: hue_light } }\nprogram: { wait: { device: l }, timeout: 1s }\n",
    ),
    (
        "a wait with an unknown key",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { wait: { device: l, state: { state: \"ON\" }, for: 1s }, timeout: 1s }\n",
    ),
    (
        "`retry` on a wait",
        "iotrun::unknown_key",
        "devices: { l: { kind: hue_light } }\nprogram: { wait: { device: l, state: { state: \"ON\" } }, timeout: 1s, retry: { attempts: 2 } }\n",
    ),
    (
        "a wait and a delay in one node",
        "iotrun::invalid_node",
        "devices: { l: { kind: hue_light } }\nprogram: { wait: { device: l, state: { state: \"ON\" } }, delay: 1s }\n",
    ),
];

#[test]
fn broken_programs_are_rejected_by_the_schema_and_by_check() {
    let mut failures = Vec::new();
    for (what, code, yaml) in BROKEN {
        if schema_errors(&to_json(yaml)).is_empty() {
            failures.push(format!("{what}: the schema accepts it\n{yaml}"));
        }
        let (status, codes) = check(yaml);
        let expected = BTreeSet::from([code.to_string()]);
        if status != 1 || codes != expected {
            failures.push(format!(
                "{what}: `iotrun check` exits {status} with errors {codes:?}, expected 1 with {expected:?}\n{yaml}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Valid programs at the edges of the format.
const VALID: &[(&str, &str)] = &[
    (
        "list shorthand",
        "devices: { l: { kind: hue_light } }\nprogram: [ { device: l, message: SWITCH_ON }, { device: l, message: SWITCH_OFF } ]\n",
    ),
    (
        "lists nested in lists and blocks",
        "devices: { l: { kind: hue_light } }\nprogram:\n  parallel:\n    - [ { device: l, message: SWITCH_ON }, [ { delay: 1ms } ] ]\n    - sequence: [ [ { device: l, message: SWITCH_OFF } ] ]\n",
    ),
    (
        "nested routines",
        "devices: { l: { kind: hue_light } }\nroutines:\n  on: { device: l, message: SWITCH_ON }\n  off: [ { device: l, message: SWITCH_OFF } ]\n  blink: { sequence: [ { run: on }, { delay: 100ms }, { run: off } ] }\n  twice: { parallel: [ { run: blink } ] }\nprogram: [ { run: twice }, { run: blink } ]\n",
    ),
    (
        "a routine named like a device",
        "devices: { light: { kind: hue_light } }\nroutines: { light: { device: light, message: SWITCH_ON } }\nprogram: { run: light }\n",
    ),
    (
        "names with digits, `_` and `-`",
        "devices: { hall-light_2: { kind: hue_light }, Kids_Speaker: { kind: smart_speaker } }\nroutines: { R-1: { device: hall-light_2, message: SWITCH_ON } }\nprogram: [ { run: R-1 }, { device: Kids_Speaker, message: SWITCH_ON } ]\n",
    ),
    (
        "delays in every unit",
        "devices: { l: { kind: hue_light } }\nprogram: [ { delay: 0ms }, { delay: 250ms }, { delay: 1.5s }, { delay: 0.001s }, { delay: 0.5m }, { delay: 1.500000s }, { delay: 0.00005m }, { delay: 10080m } ]\n",
    ),
    (
        "timeouts and continue_on_error on every form",
        "devices: { l: { kind: hue_light } }\nroutines: { r: { delay: 1ms } }\nprogram:\n  sequence:\n    - { device: l, message: SWITCH_ON, timeout: 1s, continue_on_error: true }\n    - { parallel: [ { delay: 1ms } ], timeout: 2s, continue_on_error: false }\n    - { delay: 1ms, timeout: 1m }\n    - { run: r, timeout: 1s, continue_on_error: true }\n  timeout: 10s\n",
    ),
    (
        "retry with only attempts, and at the bounds",
        "devices: { l: { kind: hue_light } }\nprogram:\n  - { device: l, message: SWITCH_ON, retry: { attempts: 1 } }\n  - { device: l, message: SWITCH_OFF, retry: { attempts: 100, backoff: 0ms } }\n  - { device: l, message: SWITCH_ON, retry: { attempts: 3, backoff: 100ms }, timeout: 1s }\n",
    ),
    (
        "data on PLAY_SONG, numbers and booleans as data",
        "devices: { s: { kind: smart_speaker } }\nprogram:\n  - { device: s, message: PLAY_SONG, data: \"Miles Davis - Kind of Blue\" }\n  - { device: s, message: PLAY_SONG, data: 007 }\n  - { device: s, message: PLAY_SONG, data: 1.10 }\n  - { device: s, message: PLAY_SONG, data: true }\n  - { device: s, message: PLAY_SONG, data: .nan }\n  - { device: s, message: PLAY_SONG, data: \" x \" }\n",
    ),
    (
        "colours in either case",
        "devices: { l: { kind: hue_light } }\nprogram: [ { device: l, message: CHANGE_COLOR, data: \"#FF8800\" }, { device: l, message: CHANGE_COLOR, data: \"#ab12cd\" } ]\n",
    ),
    (
        "data where it is ignored (a warning)",
        "devices: { l: { kind: hue_light } }\nprogram:\n  - { device: l, message: SWITCH_ON, data: 1 }\n  - { device: l, message: SWITCH_OFF, data: }\n",
    ),
    (
        "a number and a boolean as name and description",
        "name: 1984\ndescription: true\ndevices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON }\n",
    ),
    (
        "every device key, at the edges",
        "devices:\n  a: { kind: hue_light, latency: 0ms, jitter: 0ms, failure_rate: 0 }\n  b: { kind: smart_speaker, latency: 1.2s, jitter: 1500ms, failure_rate: 1 }\n  c: { kind: smart_toilet, failure_rate: 0.25 }\nprogram: [ { device: a, message: SWITCH_ON }, { device: b, message: SWITCH_ON }, { device: c, message: FLUSH, retry: { attempts: 2 } } ]\n",
    ),
    (
        "no devices, empty blocks (warnings)",
        "devices: {}\nprogram: { parallel: [ [], { sequence: [] } ] }\n",
    ),
    (
        "a declared kind with payloads of every shape, and a device state",
        "kinds:\n  blinds:\n    display: Living Room Blinds\n    accepts: [OPEN, CLOSE, SWITCH_ON]\n    payloads: { OPEN: { position: 100 }, CLOSE: 0, SWITCH_ON: \"ON {data}\" }\ndevices:\n  b: { kind: blinds, state: { position: 0, tilt: { angle: 1.5 }, tags: [a, 1], on: false, note: null } }\n  l: { kind: hue_light }\nprogram: [ { device: b, message: OPEN }, { device: b, message: CLOSE }, { device: b, message: SWITCH_ON, data: 1 }, { device: l, message: SWITCH_ON } ]\n",
    ),
    (
        "waits with and without timeout, beside and after their message",
        "devices: { l: { kind: hue_light } }\nprogram:\n  - parallel:\n      - wait: { device: l, state: { state: \"ON\" } }\n        timeout: 5s\n        continue_on_error: true\n      - { device: l, message: SWITCH_ON }\n  - wait: { device: l, state: { state: \"ON\" } }\n",
    ),
    (
        "block style with anchors and a merge key",
        "devices:\n  a: &slow\n    kind: hue_light\n    latency: 1s\n  b:\n    <<: *slow\n    latency: 200ms\nprogram:\n  - device: a\n    message: SWITCH_ON\n  - device: b\n    message: SWITCH_ON\n",
    ),
];

#[test]
fn valid_edge_programs_are_accepted_by_the_schema_and_by_check() {
    let mut failures = Vec::new();
    for (what, yaml) in VALID {
        let errors = schema_errors(&to_json(yaml));
        if !errors.is_empty() {
            failures.push(format!(
                "{what}: the schema rejects it:\n  {}\n{yaml}",
                errors.join("\n  ")
            ));
        }
        let (status, codes) = check(yaml);
        if status != 0 {
            failures.push(format!(
                "{what}: `iotrun check` exits {status} with errors {codes:?}\n{yaml}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// What a JSON Schema cannot judge, because it needs the rest of the file
/// (or YAML's spelling of a number): the schema accepts these and
/// `iotrun check` rejects them. If the schema learns one, move it to
/// `BROKEN`.
const BEYOND_THE_SCHEMA: &[(&str, &str, &str)] = &[
    (
        "a device that is not declared",
        "iotrun::unknown_device",
        "devices: { l: { kind: hue_light } }\nprogram: { device: lamp, message: SWITCH_ON }\n",
    ),
    (
        "a message the device's kind does not accept",
        "iotrun::unsupported_message",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: FLUSH }\n",
    ),
    (
        "a routine that is not declared",
        "iotrun::unknown_routine",
        "devices: { l: { kind: hue_light } }\nprogram: { run: nothing }\n",
    ),
    (
        "routines that run each other",
        "iotrun::routine_cycle",
        "devices: { l: { kind: hue_light } }\nroutines: { a: { run: b }, b: { run: a } }\nprogram: { run: a }\n",
    ),
    (
        "a duration longer than a week",
        "iotrun::invalid_duration",
        "devices: { l: { kind: hue_light } }\nprogram: { delay: 10081m }\n",
    ),
    (
        "a whole number of attempts written with a point",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: 3.0 } }\n",
    ),
    (
        "a whole number of attempts written with an exponent",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light } }\nprogram: { device: l, message: SWITCH_ON, retry: { attempts: 1e1 } }\n",
    ),
    (
        "a device of a kind the file does not declare, where it declares some",
        "iotrun::unknown_kind",
        "kinds: { blinds: { display: Blinds, accepts: [OPEN] } }\ndevices: { b: { kind: blinds }, l: { kind: hue_lite } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "a payload for a type the kind does not accept",
        "iotrun::unsupported_message",
        "kinds: { blinds: { display: Blinds, accepts: [OPEN], payloads: { CLOSE: { position: 0 } } } }\ndevices: { b: { kind: blinds } }\nprogram: { device: b, message: OPEN }\n",
    ),
    (
        "a wait on a device that is not declared",
        "iotrun::unknown_device",
        "devices: { l: { kind: hue_light } }\nprogram: [ { device: l, message: SWITCH_ON }, { wait: { device: lamp, state: { state: \"ON\" } }, timeout: 1s } ]\n",
    ),
    (
        "a failure rate written in hexadecimal",
        "iotrun::wrong_type",
        "devices: { l: { kind: hue_light, failure_rate: 0x1 } }\nprogram: { device: l, message: SWITCH_ON }\n",
    ),
];

#[test]
fn the_schema_is_looser_than_the_parser_only_where_it_must_be() {
    let mut failures = Vec::new();
    let mut cases: Vec<(String, &str, String)> = BEYOND_THE_SCHEMA
        .iter()
        .map(|(what, code, yaml)| (what.to_string(), *code, yaml.to_string()))
        .collect();
    // Nesting deeper than the parser's limit.
    let depth = iotrun::parse::MAX_NODE_DEPTH;
    cases.push((
        format!("nodes nested {} deep", depth + 1),
        "iotrun::too_deep",
        format!(
            "devices: {{}}\nprogram: {}{{ delay: 1ms }}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    ));
    for (what, code, yaml) in &cases {
        // Reading and validating 200 levels recurse deeper than a test
        // thread's stack allows in a debug build.
        let text = yaml.clone();
        let errors = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || schema_errors(&to_json(&text)))
            .expect("spawn a thread")
            .join()
            .expect("validate");
        if !errors.is_empty() {
            failures.push(format!(
                "{what}: the schema now rejects it (move it to BROKEN):\n  {}",
                errors.join("\n  ")
            ));
        }
        let (status, codes) = check(yaml);
        let expected = BTreeSet::from([code.to_string()]);
        if status != 1 || codes != expected {
            failures.push(format!(
                "{what}: `iotrun check` exits {status} with errors {codes:?}, expected 1 with {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The value at `pointer` in the schema, which must exist.
fn schema_at(pointer: &str) -> &'static Value {
    SCHEMA
        .pointer(pointer)
        .unwrap_or_else(|| panic!("the schema has nothing at {pointer}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("text"))
        .collect()
}

#[test]
fn kinds_and_message_types_are_the_crates() {
    assert_eq!(
        strings(schema_at("/$defs/builtin_kind/enum")),
        iotrun::device::Kind::names()
    );
    // Without `kinds:`, a device's kind is one of those; with it, a name
    // (which `iotrun check` resolves).
    assert_eq!(
        schema_at("/then/properties/devices/additionalProperties/properties/kind/$ref"),
        "#/$defs/builtin_kind"
    );
    assert_eq!(
        schema_at("/$defs/device/properties/kind/$ref"),
        "#/$defs/name"
    );
    assert_eq!(
        strings(schema_at("/$defs/message_type/enum")),
        iotrun::message::MessageType::names()
    );
    assert_eq!(
        strings(schema_at("/$defs/message/properties/message/enum")),
        iotrun::message::MessageType::names()
    );
}

#[test]
fn the_attempts_bound_is_the_parsers() {
    let attempts = schema_at("/$defs/message/properties/retry/properties/attempts");
    assert_eq!(attempts["minimum"], 1);
    assert_eq!(attempts["maximum"], iotrun::parse::MAX_ATTEMPTS);
}

#[test]
fn names_are_the_parsers() {
    let names = [
        "a",
        "Z",
        "light",
        "light2",
        "hall-light",
        "kids_speaker",
        "a-_-9",
        "A1",
        "",
        "1toilet",
        "_a",
        "-a",
        "bad.name",
        "lümière",
        "a b",
        "a\n",
        "ab\t",
        "é",
        "light!",
        "a/b",
        "a:b",
    ];
    for name in names {
        let program = json!({ "devices": { name: { "kind": "hue_light" } }, "program": [] });
        assert_eq!(
            VALIDATOR.is_valid(&program),
            iotrun::parse::is_valid_name(name),
            "schema and parser disagree on the name {name:?}"
        );
    }
}

/// A declared kind's name follows the rule of device names, and is none of
/// the built-in ones.
#[test]
fn kind_names_are_the_parsers() {
    let names = [
        "blinds",
        "Fan2",
        "ceiling-fan_1",
        "",
        "9fan",
        "_fan",
        "fan.x",
        "fän",
        "hue_light",
        "smart_toilet",
        "Hue_Light",
    ];
    for name in names {
        let program = json!({
            "kinds": { name: { "display": "X", "accepts": ["OPEN"] } },
            "devices": { "d": { "kind": name } },
            "program": { "device": "d", "message": "OPEN" },
        });
        let parser = iotrun::parse::is_valid_name(name) && !iotrun::device::BUILTIN.contains(&name);
        assert_eq!(
            VALIDATOR.is_valid(&program),
            parser,
            "schema and parser disagree on the kind name {name:?}"
        );
    }
}

#[test]
fn colours_are_the_parsers() {
    let colours = [
        "#FF8800",
        "#ff8800",
        "#aBcDeF",
        "#000000",
        "#FF880",
        "#FF88000",
        "FF8800",
        "#GG8800",
        "#FF8800\n",
        " #FF8800",
        "#FF 800",
        "#",
        "",
        "red",
        "#FF８800",
    ];
    for colour in colours {
        let program = json!({
            "devices": { "l": { "kind": "hue_light" } },
            "program": { "device": "l", "message": "CHANGE_COLOR", "data": colour },
        });
        assert_eq!(
            VALIDATOR.is_valid(&program),
            iotrun::message::is_colour(colour),
            "schema and parser disagree on the colour {colour:?}"
        );
    }
}

#[test]
fn durations_are_the_parsers_up_to_a_week() {
    let wholes = ["0", "1", "007", "59", "10080", "604800", "604800000", ""];
    let fractions = [
        "",
        ".",
        ".0",
        ".000",
        ".5",
        ".25",
        ".125",
        ".1250",
        ".0625",
        ".05",
        ".005",
        ".0005",
        ".00005",
        ".00015",
        ".000005",
        ".00025",
        ".1234",
        ".12345",
        ".123450",
        ".0000000000",
        ".0000000001",
        ".5.5",
    ];
    let units = ["ms", "s", "m", "", "S", "MS", "h", " ms", "min", "sec"];
    let mut texts: Vec<String> = Vec::new();
    for whole in wholes {
        for fraction in fractions {
            for unit in units {
                texts.push(format!("{whole}{fraction}{unit}"));
            }
        }
    }
    texts.extend(
        [
            "-3ms", "+3ms", " 1s", "1s ", "1,5s", "1e3ms", "1_000ms", "１s", "1sms", "0x10ms",
        ]
        .map(String::from),
    );
    let mut compared = 0;
    for text in &texts {
        let parsed = iotrun::duration::parse(text);
        if parsed
            .as_ref()
            .is_err_and(|err| err.message.contains("longer than a week"))
        {
            continue; // The schema leaves the week to `iotrun check`.
        }
        compared += 1;
        let program = json!({ "devices": {}, "program": { "delay": text } });
        assert_eq!(
            VALIDATOR.is_valid(&program),
            parsed.is_ok(),
            "schema and parser disagree on the duration {text:?} (parser: {parsed:?})"
        );
    }
    assert!(compared > 1000, "only {compared} durations compared");
}

/// Every property a user can write has a description, on itself or on the
/// definition it refers to, so that editors show one on hover.
#[test]
fn every_property_has_a_description() {
    fn has_description(schema: &Value) -> bool {
        if schema.get("description").is_some() {
            return true;
        }
        schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| SCHEMA.pointer(pointer))
            .is_some_and(has_description)
    }
    fn walk(schema: &Value, at: &str, missing: &mut Vec<String>) {
        let Value::Object(map) = schema else {
            if let Value::Array(items) = schema {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}/{i}"), missing);
                }
            }
            return;
        };
        for (key, value) in map {
            // An `if` only tests a value; nothing in it is shown.
            if key == "if" {
                continue;
            }
            if key == "properties"
                && let Value::Object(properties) = value
            {
                for (name, property) in properties {
                    if !has_description(property) {
                        missing.push(format!("{at}/properties/{name}"));
                    }
                }
            }
            walk(value, &format!("{at}/{key}"), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&SCHEMA, "", &mut missing);
    assert!(
        missing.is_empty(),
        "properties without a description: {missing:?}"
    );
    assert!(SCHEMA["title"].is_string() && SCHEMA["description"].is_string());
}

#[test]
fn iotrun_schema_prints_the_schema_file() {
    Test::new()
        .args(["schema"])
        .stdout(&SCHEMA_TEXT)
        .stderr("")
        .run();
}
