//! Device kinds as data, device state and `wait`, from the front: each
//! new diagnostic with its whole rendered output, a declared kind running,
//! `iotrun devices FILE`, and what `check` predicts for waits.

mod common;

use common::Test;

/// A misspelled type in a kind's `accepts` suggests the type.
#[test]
fn unknown_message_in_accepts() {
    Test::new()
        .program(
            "\
kinds:
  blinds: { display: Living Room Blinds, accepts: [OPEN, CLOZE] }
devices:
  blinds: { kind: blinds }
program:
  - { device: blinds, message: OPEN }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::unknown_message

  × there is no message type `CLOZE`
   ╭─[program.yaml:2:58]
 1 │ kinds:
 2 │   blinds: { display: Living Room Blinds, accepts: [OPEN, CLOZE] }
   ·                                                          ──┬──
   ·                                                            ╰── unknown message type
 3 │ devices:
   ╰────
  help: did you mean `CLOSE`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A kind cannot take a built-in kind's name; the message says where the first one is.
#[test]
fn kind_named_like_a_built_in_one() {
    Test::new()
        .program(
            "\
kinds:
  hue_light: { display: My Light, accepts: [SWITCH_ON] }
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::duplicate_key

  × kind `hue_light` is defined twice: it is a built-in kind
   ╭─[program.yaml:2:3]
 1 │ kinds:
 2 │   hue_light: { display: My Light, accepts: [SWITCH_ON] }
   ·   ────┬────
   ·       ╰── defined again here
 3 │ devices:
   ╰────
  help: a built-in kind cannot be redefined; give this one another name, e.g. `my_hue_light`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A kind needs the name its lines print.
#[test]
fn kind_without_display() {
    Test::new()
        .program(
            "\
kinds:
  blinds: { accepts: [OPEN, CLOSE] }
devices:
  blinds: { kind: blinds }
program:
  - { device: blinds, message: OPEN }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::missing_key

  × kind `blinds` has no `display`
   ╭─[program.yaml:2:3]
 1 │ kinds:
 2 │   blinds: { accepts: [OPEN, CLOSE] }
   ·   ───┬──
   ·      ╰── this kind needs a `display`
 3 │ devices:
   ╰────
  help: add the name its lines print, e.g. `display: Living Room Blinds`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// An empty `accepts` is labelled on the list.
#[test]
fn kind_that_accepts_nothing() {
    Test::new()
        .program(
            "\
kinds:
  blinds: { display: Living Room Blinds, accepts: [] }
devices:
  blinds: { kind: blinds }
program:
  - delay: 1s
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::invalid_value

  × kind `blinds` accepts no message type
   ╭─[program.yaml:2:51]
 1 │ kinds:
 2 │   blinds: { display: Living Room Blinds, accepts: [] }
   ·                                                   ┬
   ·                                                   ╰── empty
 3 │ devices:
   ╰────
  help: a device that accepts nothing cannot be sent anything; list the types, e.g. `accepts:
        [OPEN, CLOSE]`; the types are `SWITCH_ON`, `SWITCH_OFF`, `CHANGE_COLOR`, `PLAY_SONG`,
        `OPEN`, `CLOSE`, `FLUSH` and `CLEAN`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A payload for a type the kind does not accept points at `accepts` too.
#[test]
fn payload_for_a_type_not_accepted() {
    Test::new()
        .program(
            "\
kinds:
  blinds:
    display: Living Room Blinds
    accepts: [OPEN]
    payloads: { OPEN: { position: 100 }, CLOSE: { position: 0 } }
devices:
  blinds: { kind: blinds }
program:
  - { device: blinds, message: OPEN }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::unsupported_message

  × kind `blinds` does not accept CLOSE, so it has no payload for it
   ╭─[program.yaml:5:42]
 3 │     display: Living Room Blinds
 4 │     accepts: [OPEN]
   ·     ───┬───
   ·        ╰── the types it accepts
 5 │     payloads: { OPEN: { position: 100 }, CLOSE: { position: 0 } }
   ·                                          ──┬──
   ·                                            ╰── not in `accepts`
 6 │ devices:
   ╰────
  help: add CLOSE to `accepts`, or remove its payload

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A declared kind no device is of is a warning; the file still checks.
#[test]
fn unused_kind() {
    Test::new()
        .program(
            "\
kinds:
  blinds: { display: Living Room Blinds, accepts: [OPEN, CLOSE] }
  fan: { display: Ceiling Fan, accepts: [SWITCH_ON, SWITCH_OFF] }
devices:
  blinds: { kind: blinds, latency: 1s }
program:
  - { device: blinds, message: OPEN }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 1 message, 3 s
",
        )
        .stderr(
            "\
iotrun::unused_kind

  ⚠ kind `fan` is never used
   ╭─[program.yaml:3:3]
 2 │   blinds: { display: Living Room Blinds, accepts: [OPEN, CLOSE] }
 3 │   fan: { display: Ceiling Fan, accepts: [SWITCH_ON, SWITCH_OFF] }
   ·   ─┬─
   ·    ╰── declared here, no device is of it
 4 │ devices:
   ╰────
  help: declare a device of it, `kind: fan`, or remove it

program.yaml: 0 errors, 1 warning
",
        )
        .run();
}

/// An unknown kind suggests among the declared kinds too.
#[test]
fn unknown_kind_among_declared_ones() {
    Test::new()
        .program(
            "\
kinds:
  blinds: { display: Living Room Blinds, accepts: [OPEN, CLOSE] }
devices:
  blinds: { kind: blind }
program:
  - { device: blinds, message: OPEN }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::unknown_kind

  × there is no device kind `blind`
   ╭─[program.yaml:4:19]
 3 │ devices:
 4 │   blinds: { kind: blind }
   ·                   ──┬──
   ·                     ╰── unknown kind
 5 │ program:
   ╰────
  help: did you mean `blinds`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A wait names a declared device, with a "did you mean".
#[test]
fn wait_on_an_unknown_device() {
    Test::new()
        .program(
            "\
devices:
  blinds: { kind: smart_toilet }
program:
  - { device: blinds, message: OPEN }
  - wait: { device: blind, state: { state: OPEN } }
    timeout: 5s
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::unknown_device

  × there is no device `blind`
   ╭─[program.yaml:5:21]
 4 │   - { device: blinds, message: OPEN }
 5 │   - wait: { device: blind, state: { state: OPEN } }
   ·                     ──┬──
   ·                       ╰── not declared under `devices`
 6 │     timeout: 5s
   ╰────
  help: did you mean `blinds`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A wait's state needs fields; `{}` is there at once.
#[test]
fn wait_for_an_empty_state() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet }
program:
  - { device: toilet, message: OPEN }
  - wait: { device: toilet, state: {} }
    timeout: 5s
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::invalid_data

  × this `wait` waits for an empty state
   ╭─[program.yaml:5:36]
 4 │   - { device: toilet, message: OPEN }
 5 │   - wait: { device: toilet, state: {} }
   ·                                    ┬
   ·                                    ╰── no fields
 6 │     timeout: 5s
   ╰────
  help: name the fields to wait for, e.g. `state: { position: 100 }`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A wait's state is a mapping of fields, not text.
#[test]
fn wait_for_a_state_that_is_no_mapping() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet }
program:
  - { device: toilet, message: OPEN }
  - wait: { device: toilet, state: OPEN }
    timeout: 5s
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::invalid_data

  × a `wait`'s `state` is a mapping of fields, not text
   ╭─[program.yaml:5:36]
 4 │   - { device: toilet, message: OPEN }
 5 │   - wait: { device: toilet, state: OPEN }
   ·                                    ──┬─
   ·                                      ╰── expected a mapping
 6 │     timeout: 5s
   ╰────
  help: name the fields to wait for, e.g. `state: { position: 100 }`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A wait without `timeout` may never end: a warning on the `wait`.
#[test]
fn unbounded_wait() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet }
program:
  - { device: toilet, message: OPEN }
  - wait: { device: toilet, state: { state: OPEN } }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 1 message, 1.5 s
",
        )
        .stderr(
            "\
iotrun::unbounded_wait

  ⚠ this `wait` has no `timeout`, so it may never end
   ╭─[program.yaml:5:5]
 4 │   - { device: toilet, message: OPEN }
 5 │   - wait: { device: toilet, state: { state: OPEN } }
   ·     ──┬─
   ·       ╰── no `timeout`
   ╰────
  help: give it one, e.g. `timeout: 30s`: a state that never comes then fails the node instead of
        holding the run forever

program.yaml: 0 errors, 1 warning
",
        )
        .run();
}

/// A field no payload of the kind sets, nor the starting state, is labelled on its key.
#[test]
fn unreachable_state() {
    Test::new()
        .program(
            "\
kinds:
  blinds:
    display: Living Room Blinds
    accepts: [OPEN, CLOSE]
    payloads: { OPEN: { position: 100 }, CLOSE: { position: 0 } }
devices:
  blinds: { kind: blinds, state: { tilt: 0 } }
program:
  - { device: blinds, message: OPEN }
  - wait: { device: blinds, state: { position: 100, speed: 0 } }
    timeout: 5s
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 1 message, 6.5 s
",
        )
        .stderr(
            "\
iotrun::unreachable_state

  ⚠ no message to `blinds` sets `speed`, nor does its starting `state`
    ╭─[program.yaml:10:53]
  6 │ devices:
  7 │   blinds: { kind: blinds, state: { tilt: 0 } }
    ·   ───┬──
    ·      ╰── `blinds` declared here
  8 │ program:
  9 │   - { device: blinds, message: OPEN }
 10 │   - wait: { device: blinds, state: { position: 100, speed: 0 } }
    ·                                                     ──┬──
    ·                                                       ╰── never set
 11 │     timeout: 5s
    ╰────
  help: the fields `blinds` can have are `position` and `tilt`; set `speed` in a payload of its
        kind (`payloads:`) or in the device's `state:`

program.yaml: 0 errors, 1 warning
",
        )
        .run();
}

/// A device's starting state is a mapping.
#[test]
fn device_state_that_is_no_mapping() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet, state: closed }
program:
  - { device: toilet, message: OPEN }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::wrong_type

  × expected a state (a mapping), found text
   ╭─[program.yaml:2:40]
 1 │ devices:
 2 │   toilet: { kind: smart_toilet, state: closed }
   ·                                        ───┬──
   ·                                           ╰── expected a state (a mapping)
 3 │ program:
   ╰────
  help: write the fields it starts with, e.g. `state: { position: 0 }`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A device of a declared kind prints the built-in lines with its display name, and its payloads make its state, which a wait sees.
#[test]
fn a_declared_kind_runs_with_its_display_name() {
    Test::new()
        .program(
            "\
kinds:
  blinds:
    display: Living Room Blinds
    accepts: [OPEN, CLOSE]
    payloads: { OPEN: { position: 100 }, CLOSE: { position: 0 } }
devices:
  blinds: { kind: blinds }
program:
  - parallel:
      - { device: blinds, message: OPEN }
      - wait: { device: blinds, state: { position: 100 } }
        timeout: 5s
  - { device: blinds, message: CLOSE }
",
        )
        .args(["run", "--virtual-time", "--seed", "7", "program.yaml"])
        .stdout(
            "\
[  0.000s] blinds  Connecting to Living Room Blinds.
[  0.500s] blinds  Living Room Blinds connected.
[  0.500s] blinds  Living Room Blinds handling message of type OPEN with data [].
[  0.500s] blinds  Waiting for blinds: {\"position\":100}.
[  1.000s] blinds  Living Room Blinds received message.
[  1.000s] blinds  State of blinds: {\"position\":100}.
[  1.000s] blinds  Done waiting for blinds.
[  1.000s] blinds  Living Room Blinds handling message of type CLOSE with data [].
[  1.500s] blinds  Living Room Blinds received message.
[  1.500s] blinds  State of blinds: {\"position\":0}.
[  1.500s] blinds  Disconnecting Living Room Blinds.
[  2.000s] blinds  Living Room Blinds disconnected.
done in 2.000 s, 2 messages, 1 device.
  expected 2 s; attempts: 2 done, 0 failed, 0 cancelled; busiest: `blinds` (2 attempts).
",
        )
        .stderr(
            "\
",
        )
        .run();
}

/// `iotrun devices FILE` lists the file's kinds after the built-in ones, with their own payloads.
#[test]
fn devices_lists_a_files_kinds() {
    Test::new()
        .program(
            "\
kinds:
  blinds:
    display: Living Room Blinds
    accepts: [OPEN, CLOSE, SWITCH_ON]
    payloads: { OPEN: { position: 100 }, CLOSE: { position: 0 }, SWITCH_ON: { position: \"{data}\" } }
  plug: { display: Plug, accepts: [SWITCH_ON, SWITCH_OFF], payloads: { SWITCH_ON: \"ON\" } }
devices:
  blinds: { kind: blinds }
  plug: { kind: plug }
program:
  - { device: blinds, message: SWITCH_ON, data: 40 }
  - { device: plug, message: SWITCH_ON }
",
        )
        .args(["devices", "program.yaml"])
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
blinds (Living Room Blinds, declared in program.yaml)
  OPEN          payload: {\"position\":100}
  CLOSE         payload: {\"position\":0}
  SWITCH_ON     data: any, sent in the payload; payload: {\"position\":\"{data}\"}
plug (Plug, declared in program.yaml)
  SWITCH_ON     payload: \"ON\"
  SWITCH_OFF
",
        )
        .stderr(
            "\
",
        )
        .run();
}

/// `iotrun devices FILE` on an invalid file prints its errors and lists nothing.
#[test]
fn devices_of_an_invalid_file() {
    Test::new()
        .program(
            "\
kinds:
  blinds: { display: Living Room Blinds, accepts: [OPEN, CLOZE] }
devices:
  blinds: { kind: blinds }
program:
  - { device: blinds, message: OPEN }
",
        )
        .args(["devices", "program.yaml"])
        .stdout(
            "\
",
        )
        .stderr(
            "\
iotrun::unknown_message

  × there is no message type `CLOZE`
   ╭─[program.yaml:2:58]
 1 │ kinds:
 2 │   blinds: { display: Living Room Blinds, accepts: [OPEN, CLOZE] }
   ·                                                          ──┬──
   ·                                                            ╰── unknown message type
 3 │ devices:
   ╰────
  help: did you mean `CLOSE`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// Data on a type whose payload uses `{data}` is used: no `unused_data`.
#[test]
fn data_used_by_a_payload_is_no_unused_data() {
    Test::new()
        .program(
            "\
kinds:
  dimmer:
    display: Dimmer
    accepts: [SWITCH_ON, SWITCH_OFF]
    payloads: { SWITCH_ON: { brightness: \"{data}\" } }
devices:
  dimmer: { kind: dimmer }
program:
  - { device: dimmer, message: SWITCH_ON, data: 80 }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 1 message, 1.5 s
",
        )
        .stderr(
            "\
",
        )
        .run();
}

/// A wait after the message that produces its state takes no time.
#[test]
fn check_times_a_wait_after_its_message() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet }
program:
  - { device: toilet, message: OPEN }
  - wait: { device: toilet, state: { state: OPEN } }
    timeout: 10s
  - { device: toilet, message: FLUSH }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 2 messages, 2 s
",
        )
        .stderr(
            "\
",
        )
        .run();
}

/// A wait beside its message in a `parallel` ends when the message does.
#[test]
fn check_times_a_wait_beside_its_message() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet, latency: 1s }
program:
  - parallel:
      - sequence:
          - wait: { device: toilet, state: { state: OPEN } }
            timeout: 10s
          - { device: toilet, message: FLUSH }
      - [ { delay: 500ms }, { device: toilet, message: OPEN } ]
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 2 messages, 4.5 s
",
        )
        .stderr(
            "\
",
        )
        .run();
}

/// A wait no message ends lasts its timeout.
#[test]
fn check_times_a_wait_with_only_a_timeout() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet }
program:
  - { device: toilet, message: FLUSH }
  - wait: { device: toilet, state: { state: OPEN } }
    timeout: 3s
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 1 message, 4.5 s
",
        )
        .stderr(
            "\
",
        )
        .run();
}

/// A wait with neither a message nor a timeout makes the estimate a least, and says why.
#[test]
fn check_says_an_unbounded_wait_may_never_end() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet }
program:
  - { device: toilet, message: FLUSH }
  - wait: { device: toilet, state: { state: OPEN } }
",
        )
        .args(["check", "program.yaml"])
        .stdout(
            "\
program.yaml: 1 device, 1 message, at least 1.5 s (a wait without timeout may never end)
",
        )
        .stderr(
            "\
iotrun::unbounded_wait

  ⚠ this `wait` has no `timeout`, so it may never end
   ╭─[program.yaml:5:5]
 4 │   - { device: toilet, message: FLUSH }
 5 │   - wait: { device: toilet, state: { state: OPEN } }
   ·     ──┬─
   ·       ╰── no `timeout`
   ╰────
  help: give it one, e.g. `timeout: 30s`: a state that never comes then fails the node instead of
        holding the run forever

program.yaml: 0 errors, 1 warning
",
        )
        .run();
}

/// `iotrun devices FILE --format json`: the file's kinds after the built-in
/// ones, each message with its payload and what data it takes.
#[test]
fn devices_lists_a_files_kinds_as_json() {
    let run = Test::new()
        .program(
            "kinds:\n  dimmer:\n    display: Dimmer\n    accepts: [SWITCH_ON, SWITCH_OFF]\n    payloads: { SWITCH_ON: { brightness: \"{data}\" }, SWITCH_OFF: \"OFF\" }\ndevices:\n  d: { kind: dimmer }\nprogram:\n  - { device: d, message: SWITCH_ON, data: 80 }\n  - { device: d, message: SWITCH_OFF }\n",
        )
        .args(["devices", "--format", "json", "program.yaml"])
        .run();
    let kinds: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(kinds.as_array().map(Vec::len), Some(4));
    assert_eq!(kinds[0]["kind"], "hue_light");
    assert!(kinds[0].get("declared_in").is_none());
    assert_eq!(
        kinds[0]["messages"][0]["payload"],
        serde_json::json!({"state": "ON"})
    );
    assert_eq!(
        kinds[3],
        serde_json::json!({
            "kind": "dimmer",
            "display": "Dimmer",
            "declared_in": "program.yaml",
            "messages": [
                { "message": "SWITCH_ON", "data": "any", "payload": { "brightness": "{data}" } },
                { "message": "SWITCH_OFF", "data": "none", "payload": "OFF" },
            ],
        })
    );
}

/// Waits in routines are timed where the routine runs: the wait in `ready`
/// ends when the `open` beside it ends, and one the starting state already
/// satisfies takes no time.
#[test]
fn check_times_waits_in_routines_and_satisfied_ones() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet, latency: 1s, state: { state: CLOSE } }
routines:
  open: [ { delay: 2s }, { device: toilet, message: OPEN } ]
  ready:
    wait: { device: toilet, state: { state: OPEN } }
    timeout: 10s
program:
  - wait: { device: toilet, state: { state: CLOSE } }
    timeout: 10s
  - parallel: [ { run: ready }, { run: open } ]
  - { device: toilet, message: FLUSH }
",
        )
        .args(["check", "program.yaml"])
        .stdout("program.yaml: 1 device, 2 messages, 6 s\n")
        .stderr("")
        .run();
}
