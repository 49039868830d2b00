//! One test per diagnostic code: a program in, the whole rendered diagnostic
//! (no colour) and the exit status out.

mod common;

use common::Test;

/// A file that is not there is an I/O error: exit status 2, no snippet.
#[test]
fn io() {
    Test::new()
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::io

  × cannot read `program.yaml`: no such file

program.yaml: 1 error, 0 warnings
",
        )
        .stdout("")
        .status(2)
        .run();
}

/// A YAML syntax error stops the file; the label is on the quote that never closes.
#[test]
fn yaml() {
    Test::new()
        .program(
            "\
devices:
  speaker: { kind: smart_speaker }
program:
  - { device: speaker, message: PLAY_SONG, data: \"Miles Davis - So What }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::yaml

  × this quote is never closed
   ╭─[program.yaml:4:50]
 3 │ program:
 4 │   - { device: speaker, message: PLAY_SONG, data: \"Miles Davis - So What }
   ·                                                  ▲
   ·                                                  ╰── opened here
   ╰────
  help: end the text with the same quote; text that holds a `\"` can be quoted with `'` instead

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A second `---` document is a YAML error, labelled where it starts.
#[test]
fn yaml_second_document() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
---
devices: {}
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::yaml

  × a program file holds one YAML document
   ╭─[program.yaml:5:1]
 4 │   - { device: lamp, message: SWITCH_ON }
 5 │ ---
   · ─┬─
   ·  ╰── a second document starts here
 6 │ devices: {}
   ╰────
  help: put each program in a file of its own

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A misspelled key: the label is on the key, with the closest valid key.
#[test]
fn unknown_key() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light, latncy: 200ms }
program:
  - { device: lamp, message: SWITCH_ON }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unknown_key

  × device `lamp` has no key `latncy`
   ╭─[program.yaml:2:28]
 1 │ devices:
 2 │   lamp: { kind: hue_light, latncy: 200ms }
   ·                            ───┬──
   ·                               ╰── unknown key
 3 │ program:
   ╰────
  help: did you mean `latency`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A device without `kind`: the label is on the device's name.
#[test]
fn missing_key() {
    Test::new()
        .program(
            "\
devices:
  lamp: { latency: 200ms }
program:
  - { device: lamp, message: SWITCH_ON }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::missing_key

  × device `lamp` has no `kind`
   ╭─[program.yaml:2:3]
 1 │ devices:
 2 │   lamp: { latency: 200ms }
   ·   ──┬─
   ·     ╰── this device needs a `kind`
 3 │ program:
   ╰────
  help: add `kind:` with one of `hue_light`, `smart_speaker` or `smart_toilet`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// The same device twice: both places are shown.
#[test]
fn duplicate_key() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
  speaker: { kind: smart_speaker }
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
  - { device: speaker, message: SWITCH_ON }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::duplicate_key

  × `lamp` is defined twice in `devices`
   ╭─[program.yaml:4:3]
 1 │ devices:
 2 │   lamp: { kind: hue_light }
   ·   ──┬─
   ·     ╰── first defined here
 3 │   speaker: { kind: smart_speaker }
 4 │   lamp: { kind: hue_light }
   ·   ──┬─
   ·     ╰── defined again here
 5 │ program:
   ╰────
  help: keep one of them

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A bare message type where a node belongs.
#[test]
fn wrong_type() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
  - SWITCH_OFF
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::wrong_type

  × expected a node, found text
   ╭─[program.yaml:5:5]
 4 │   - { device: lamp, message: SWITCH_ON }
 5 │   - SWITCH_OFF
   ·     ─────┬────
   ·          ╰── expected a node
   ╰────
  help: a node is one of `{device, message}`, `{sequence: [...]}`, `{parallel: [...]}`,
        `{delay: ...}`, `{run: ...}`, `{wait: {device, state}}` or a list

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// An empty mapping is no node form.
#[test]
fn invalid_node() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
  - {}
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::invalid_node

  × this mapping is no node
   ╭─[program.yaml:5:5]
 4 │   - { device: lamp, message: SWITCH_ON }
 5 │   - {}
   ·     ┬
   ·     ╰── not a node
   ╰────
  help: a node is one of `{device, message}`, `{sequence: [...]}`, `{parallel: [...]}`,
        `{delay: ...}`, `{run: ...}`, `{wait: {device, state}}` or a list

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A device name must start with a letter.
#[test]
fn invalid_name() {
    Test::new()
        .program(
            "\
devices:
  2nd_lamp: { kind: hue_light }
program:
  - { device: 2nd_lamp, message: SWITCH_ON }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::invalid_name

  × `2nd_lamp` is not a valid device name
   ╭─[program.yaml:2:3]
 1 │ devices:
 2 │   2nd_lamp: { kind: hue_light }
   ·   ────┬───
   ·       ╰── invalid name
 3 │ program:
   ╰────
  help: a device name is a letter, then letters, digits, `_` or `-`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

#[test]
fn unknown_kind() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_lite }
program:
  - { device: lamp, message: SWITCH_ON }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unknown_kind

  × there is no device kind `hue_lite`
   ╭─[program.yaml:2:17]
 1 │ devices:
 2 │   lamp: { kind: hue_lite }
   ·                 ────┬───
   ·                     ╰── unknown kind
 3 │ program:
   ╰────
  help: did you mean `hue_light`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A typo in a device name suggests the declared one.
#[test]
fn unknown_device() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
  speaker: { kind: smart_speaker }
program:
  - { device: lamp, message: SWITCH_ON }
  - { device: speker, message: SWITCH_ON }
  - { device: speaker, message: SWITCH_OFF }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unknown_device

  × there is no device `speker`
   ╭─[program.yaml:6:15]
 5 │   - { device: lamp, message: SWITCH_ON }
 6 │   - { device: speker, message: SWITCH_ON }
   ·               ───┬──
   ·                  ╰── not declared under `devices`
 7 │   - { device: speaker, message: SWITCH_OFF }
   ╰────
  help: did you mean `speaker`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A typo in a message type suggests the closest of the eight.
#[test]
fn unknown_message() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
  - { device: lamp, message: SWITCH_OF }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unknown_message

  × there is no message type `SWITCH_OF`
   ╭─[program.yaml:5:30]
 4 │   - { device: lamp, message: SWITCH_ON }
 5 │   - { device: lamp, message: SWITCH_OF }
   ·                              ────┬────
   ·                                  ╰── unknown message type
   ╰────
  help: did you mean `SWITCH_OFF`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A light cannot play a song: the label is on the message, and the kind is shown.
#[test]
fn unsupported_message() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: PLAY_SONG, data: \"Miles Davis - So What\" }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unsupported_message

  × `lamp` is a hue_light, which does not accept PLAY_SONG
   ╭─[program.yaml:4:30]
 1 │ devices:
 2 │   lamp: { kind: hue_light }
   ·                 ────┬────
   ·                     ╰── `lamp` declared here
 3 │ program:
 4 │   - { device: lamp, message: PLAY_SONG, data: \"Miles Davis - So What\" }
   ·                              ────┬────
   ·                                  ╰── not accepted by this device
   ╰────
  help: a hue_light accepts `SWITCH_ON`, `SWITCH_OFF` and `CHANGE_COLOR`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// CHANGE_COLOR without data, with a help that shows the quoting.
#[test]
fn missing_data() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: CHANGE_COLOR }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::missing_data

  × CHANGE_COLOR needs a colour in `data`
   ╭─[program.yaml:4:30]
 3 │ program:
 4 │   - { device: lamp, message: CHANGE_COLOR }
   ·                              ──────┬─────
   ·                                    ╰── no `data`
   ╰────
  help: add `data: \"#RRGGBB\"`, e.g. `data: \"#FF8800\"` (in quotes: YAML reads `#` as a comment)

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A colour that is not `#RRGGBB`.
#[test]
fn invalid_data() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: CHANGE_COLOR, data: \"red\" }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::invalid_data

  × `red` is not a colour
   ╭─[program.yaml:4:50]
 3 │ program:
 4 │   - { device: lamp, message: CHANGE_COLOR, data: \"red\" }
   ·                                                  ──┬──
   ·                                                    ╰── expected `#RRGGBB`
   ╰────
  help: did you mean `\"#FF0000\"`? a colour is `#` and six hexadecimal digits

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A space between number and unit; the help shows the likely meant value.
#[test]
fn invalid_duration() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
  - delay: 10 ms
  - { device: lamp, message: SWITCH_OFF }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::invalid_duration

  × `10 ms` is not a duration
   ╭─[program.yaml:5:12]
 4 │   - { device: lamp, message: SWITCH_ON }
 5 │   - delay: 10 ms
   ·            ──┬──
   ·              ╰── invalid duration
 6 │   - { device: lamp, message: SWITCH_OFF }
   ╰────
  help: did you mean `10ms`? a duration is a number and a unit (`ms`, `s` or `m`) with nothing
        between, such as `250ms`, `1.5s` or `2m`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A typo in `run:`; the routine it meant is, rightly, never run.
#[test]
fn unknown_routine() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
routines:
  wake_up:
    - { device: lamp, message: SWITCH_ON }
program:
  - run: wakeup
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unknown_routine

  × there is no routine `wakeup`
   ╭─[program.yaml:7:10]
 6 │ program:
 7 │   - run: wakeup
   ·          ───┬──
   ·             ╰── unknown routine
   ╰────
  help: did you mean `wake_up`?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A routine that runs itself.
#[test]
fn routine_cycle_self() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
routines:
  blink:
    - { device: lamp, message: SWITCH_ON }
    - { device: lamp, message: SWITCH_OFF }
    - run: blink
program:
  - run: blink
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::routine_cycle

  × routine `blink` runs itself
   ╭─[program.yaml:7:12]
 6 │     - { device: lamp, message: SWITCH_OFF }
 7 │     - run: blink
   ·            ──┬──
   ·              ╰── runs `blink`, closing the cycle
 8 │ program:
   ╰────
  help: a routine cannot run itself, directly or through others; break the cycle

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// Three routines in a cycle: the message names the whole cycle and every
/// `run` in it is labelled.
#[test]
fn routine_cycle_through_three_routines() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
  speaker: { kind: smart_speaker }
routines:
  morning:
    - { device: lamp, message: SWITCH_ON }
    - run: music
  music:
    - { device: speaker, message: PLAY_SONG, data: \"Miles Davis - So What\" }
    - run: evening
  evening:
    - { device: lamp, message: SWITCH_OFF }
    - run: morning
program:
  - run: morning
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::routine_cycle

  × routines run each other in a cycle: `morning` -> `music` -> `evening` -> `morning`
    ╭─[program.yaml:13:12]
  6 │     - { device: lamp, message: SWITCH_ON }
  7 │     - run: music
    ·            ──┬──
    ·              ╰── runs `music`
  8 │   music:
  9 │     - { device: speaker, message: PLAY_SONG, data: \"Miles Davis - So What\" }
 10 │     - run: evening
    ·            ───┬───
    ·               ╰── runs `evening`
 11 │   evening:
 12 │     - { device: lamp, message: SWITCH_OFF }
 13 │     - run: morning
    ·            ───┬───
    ·               ╰── runs `morning`, closing the cycle
 14 │ program:
    ╰────
  help: a routine cannot run itself, directly or through others; break the cycle

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// The nesting limit counts the levels a `run` adds: two routines that are
/// each deep but within the limit go past it together, and the label is on
/// the `run` that does it.
#[test]
fn too_deep() {
    let deep = format!(
        "{}{{ device: lamp, message: SWITCH_ON }}{}",
        "[".repeat(120),
        "]".repeat(120)
    );
    let deeper = format!("{}{{ run: deep }}{}", "[".repeat(120), "]".repeat(120));
    Test::new()
        .program(&format!(
            "\
devices:
  lamp: {{ kind: hue_light }}
routines:
  deep: {deep}
  deeper: {deeper}
program:
  - run: deeper
"
        ))
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::too_deep

  × the program nests deeper than 200 levels
   ╭─[program.yaml:7:10]
 6 │ program:
 7 │   - run: deeper
   ·          ───┬──
   ·             ╰── too deep here
   ╰────
  help: flatten the program; a `run` counts the levels of its routine

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// Data on a message that ignores it is a warning: the check passes.
#[test]
fn unused_data() {
    Test::new()
        .program(
            "\
devices:
  toilet: { kind: smart_toilet }
program:
  - { device: toilet, message: OPEN }
  - { device: toilet, message: FLUSH, data: \"twice\" }
  - { device: toilet, message: CLOSE }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unused_data

  ⚠ FLUSH ignores `data`
   ╭─[program.yaml:5:45]
 4 │   - { device: toilet, message: OPEN }
 5 │   - { device: toilet, message: FLUSH, data: \"twice\" }
   ·                                             ───┬───
   ·                                                ╰── ignored
 6 │   - { device: toilet, message: CLOSE }
   ╰────
  help: remove `data`

program.yaml: 0 errors, 1 warning
",
        )
        .stdout(
            "\
program.yaml: 1 device, 3 messages, 2.5 s
",
        )
        .status(0)
        .run();
}

/// A declared device that gets no message is a warning.
#[test]
fn unused_device() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
  speaker: { kind: smart_speaker }
program:
  - { device: lamp, message: SWITCH_ON }
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unused_device

  ⚠ device `speaker` gets no message
   ╭─[program.yaml:3:3]
 2 │   lamp: { kind: hue_light }
 3 │   speaker: { kind: smart_speaker }
   ·   ───┬───
   ·      ╰── declared here, never used
 4 │ program:
   ╰────
  help: remove it, or send it a message; it is still connected and disconnected

program.yaml: 0 errors, 1 warning
",
        )
        .stdout(
            "\
program.yaml: 2 devices, 1 message, 1.5 s
",
        )
        .status(0)
        .run();
}

/// A routine nothing runs is a warning.
#[test]
fn unused_routine() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
routines:
  lights_on:
    - { device: lamp, message: SWITCH_ON }
  lights_off:
    - { device: lamp, message: SWITCH_OFF }
program:
  - run: lights_on
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unused_routine

  ⚠ routine `lights_off` is never run
   ╭─[program.yaml:6:3]
 5 │     - { device: lamp, message: SWITCH_ON }
 6 │   lights_off:
   ·   ─────┬────
   ·        ╰── declared here, never run
 7 │     - { device: lamp, message: SWITCH_OFF }
   ╰────
  help: run it with `run: lights_off`, or remove it

program.yaml: 0 errors, 1 warning
",
        )
        .stdout(
            "\
program.yaml: 1 device, 1 message, 1.5 s
",
        )
        .status(0)
        .run();
}

/// An empty list, `parallel` or `sequence` is a warning on the empty value.
#[test]
fn empty_block() {
    Test::new()
        .program(
            "\
devices:
  lamp: { kind: hue_light }
program:
  - { device: lamp, message: SWITCH_ON }
  - []
  - parallel: []
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::empty_block

  ⚠ this list is empty
   ╭─[program.yaml:5:5]
 4 │   - { device: lamp, message: SWITCH_ON }
 5 │   - []
   ·     ┬
   ·     ╰── does nothing
 6 │   - parallel: []
   ╰────
  help: add nodes to it, or remove it

iotrun::empty_block

  ⚠ this `parallel` is empty
   ╭─[program.yaml:6:15]
 5 │   - []
 6 │   - parallel: []
   ·               ┬
   ·               ╰── does nothing
   ╰────
  help: add nodes to it, or remove it

program.yaml: 0 errors, 2 warnings
",
        )
        .stdout(
            "\
program.yaml: 1 device, 1 message, 1.5 s
",
        )
        .status(0)
        .run();
}

/// One file with several different mistakes: all of them in one run, in file
/// order, then the tally.
#[test]
fn reports_every_error_of_a_file_in_file_order() {
    Test::new()
        .program(
            "\
name: Evening
devices:
  lamp: { kind: hue_lite }
  speaker: { kind: smart_speaker, latency: 5 seconds }
routines:
  dim:
    - { device: lamp, message: CHANGE_COLOR, data: \"#FF880\" }
program:
  - run: dim
  - { device: speaker, message: SWITCH_ON, data: loud }
  - { device: speaker, message: PLAY_SONG }
  - { device: toilet, message: FLUSH }
  - delay: 500
",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unknown_kind

  × there is no device kind `hue_lite`
   ╭─[program.yaml:3:17]
 2 │ devices:
 3 │   lamp: { kind: hue_lite }
   ·                 ────┬───
   ·                     ╰── unknown kind
 4 │   speaker: { kind: smart_speaker, latency: 5 seconds }
   ╰────
  help: did you mean `hue_light`?

iotrun::invalid_duration

  × `5 seconds` is not a duration
   ╭─[program.yaml:4:44]
 3 │   lamp: { kind: hue_lite }
 4 │   speaker: { kind: smart_speaker, latency: 5 seconds }
   ·                                            ────┬────
   ·                                                ╰── invalid duration
 5 │ routines:
   ╰────
  help: did you mean `5s`? a duration is a number and a unit (`ms`, `s` or `m`) with nothing
        between, such as `250ms`, `1.5s` or `2m`

iotrun::invalid_data

  × `#FF880` is not a colour
   ╭─[program.yaml:7:52]
 6 │   dim:
 7 │     - { device: lamp, message: CHANGE_COLOR, data: \"#FF880\" }
   ·                                                    ────┬───
   ·                                                        ╰── expected `#RRGGBB`
 8 │ program:
   ╰────
  help: a colour is `#` and six hexadecimal digits, e.g. `\"#FF8800\"`

iotrun::unused_data

  ⚠ SWITCH_ON ignores `data`
    ╭─[program.yaml:10:50]
  9 │   - run: dim
 10 │   - { device: speaker, message: SWITCH_ON, data: loud }
    ·                                                  ──┬─
    ·                                                    ╰── ignored
 11 │   - { device: speaker, message: PLAY_SONG }
    ╰────
  help: remove `data`

iotrun::missing_data

  × PLAY_SONG needs a song in `data`
    ╭─[program.yaml:11:33]
 10 │   - { device: speaker, message: SWITCH_ON, data: loud }
 11 │   - { device: speaker, message: PLAY_SONG }
    ·                                 ────┬────
    ·                                     ╰── no `data`
 12 │   - { device: toilet, message: FLUSH }
    ╰────
  help: add the song, e.g. `data: \"Miles Davis - Kind of Blue\"`

iotrun::unknown_device

  × there is no device `toilet`
    ╭─[program.yaml:12:15]
 11 │   - { device: speaker, message: PLAY_SONG }
 12 │   - { device: toilet, message: FLUSH }
    ·               ───┬──
    ·                  ╰── not declared under `devices`
 13 │   - delay: 500
    ╰────
  help: the devices are `lamp` and `speaker`

iotrun::invalid_duration

  × `500` has no unit
    ╭─[program.yaml:13:12]
 12 │   - { device: toilet, message: FLUSH }
 13 │   - delay: 500
    ·            ─┬─
    ·             ╰── invalid duration
    ╰────
  help: add a unit: `500ms` or `500s`

program.yaml: 6 errors, 1 warning
",
        )
        .status(1)
        .run();
}

/// Each near-miss of the spec gets `invalid_duration` on the value, with a
/// help that shows the accepted form or the value likely meant.
#[test]
fn invalid_duration_near_misses() {
    let cases = [
        (
            "10 ms",
            "× `10 ms` is not a duration",
            "help: did you mean `10ms`? a duration is a number and a unit",
        ),
        (
            "5 seconds",
            "× `5 seconds` is not a duration",
            "help: did you mean `5s`? a duration is a number and a unit",
        ),
        (
            "-3ms",
            "× `-3ms` is negative; a duration cannot be",
            "help: a duration is a number and a unit (`ms`, `s` or `m`) with nothing between",
        ),
        (
            "500",
            "× `500` has no unit",
            "help: add a unit: `500ms` or `500s`\n",
        ),
    ];
    for (duration, message, help) in cases {
        let run = Test::new()
            .program(&format!(
                "\
devices:
  lamp: {{ kind: hue_light }}
program:
  - {{ device: lamp, message: SWITCH_ON }}
  - delay: {duration}
  - {{ device: lamp, message: SWITCH_OFF }}
"
            ))
            .args(["check", "program.yaml"])
            .stdout("")
            .status(1)
            .run();
        let stderr = &run.stderr;
        // The underline starts under the value and is exactly as wide.
        let underline = stderr
            .lines()
            .skip_while(|line| !line.starts_with(" 5 │"))
            .nth(1)
            .unwrap_or_default();
        let underline = underline
            .strip_prefix("   ·            ")
            .unwrap_or_default();
        assert!(
            stderr.starts_with("iotrun::invalid_duration\n"),
            "{duration}: {stderr}"
        );
        assert!(stderr.contains(message), "{duration}: {stderr}");
        assert!(
            stderr.contains(&format!(" 5 │   - delay: {duration}\n")),
            "{duration}: {stderr}"
        );
        assert!(
            underline.chars().all(|c| c == '─' || c == '┬')
                && underline.chars().count() == duration.len(),
            "{duration}: {stderr}"
        );
        assert!(
            stderr.contains("╰── invalid duration"),
            "{duration}: {stderr}"
        );
        assert!(stderr.contains(help), "{duration}: {stderr}");
        assert!(
            stderr.ends_with("\nprogram.yaml: 1 error, 0 warnings\n"),
            "{duration}: {stderr}"
        );
    }
}

/// A colour written without quotes: YAML reads `#FF0000` as a comment, so
/// `data` is empty, and the diagnostic says why.
#[test]
fn unquoted_colour_is_a_comment() {
    let program = "\
devices:
  lamp: { kind: hue_light }
program:
  - device: lamp
    message: CHANGE_COLOR
    data: #FF0000
";
    let human = Test::new()
        .program(program)
        .args(["check", "program.yaml"])
        .stdout("")
        .status(1)
        .run();
    assert!(
        human.stderr.starts_with(
            "\
iotrun::invalid_data

  × CHANGE_COLOR needs a colour, but `data` is empty
   ╭─[program.yaml:6:"
        ),
        "{}",
        human.stderr
    );
    assert!(
        human
            .stderr
            .ends_with("\nprogram.yaml: 1 error, 0 warnings\n"),
        "{}",
        human.stderr
    );

    let json = Test::new()
        .program(program)
        .args(["check", "--format", "json", "program.yaml"])
        .stderr("")
        .status(1)
        .run();
    let reports = json.json_lines();
    assert_eq!(reports.len(), 1, "{}", json.stdout);
    let report = &reports[0];
    assert_eq!(report["code"], "iotrun::invalid_data");
    assert_eq!(
        report["message"],
        "CHANGE_COLOR needs a colour, but `data` is empty"
    );
    assert_eq!(
        report["help"],
        "put the colour in quotes, `data: \"#FF8800\"`: YAML reads an unquoted `#` as the start of a comment"
    );
    // The label is on the `data:` line (line 6).
    let offset = report["labels"][0]["span"]["offset"].as_u64().unwrap() as usize;
    let line_start = program.find("    data:").unwrap();
    assert!(
        (line_start..line_start + "    data: #FF0000".len()).contains(&offset),
        "label at {offset}: {}",
        json.stdout
    );
}

/// `--format json`: one miette-shaped object per diagnostic per line on
/// stdout, in file order, and each label's span is the offending token's
/// bytes in the file.
#[test]
fn json_format() {
    let program = "\
devices:
  lamp: { kind: hue_light, latncy: 200ms }
  speaker: { kind: smart_speaker }
program:
  - { device: lamp, message: CHANGE_COLOR, data: \"orange\" }
  - delay: 10 ms
  - { device: lamp, message: SWITCH_OFF, data: now }
";
    let run = Test::new()
        .program(program)
        .args(["check", "--format", "json", "program.yaml"])
        .stderr("")
        .status(1)
        .run();
    let expected = [
        (
            "iotrun::unknown_key",
            "error",
            "device `lamp` has no key `latncy`",
            "did you mean `latency`?",
            "unknown key",
            "latncy",
        ),
        (
            "iotrun::invalid_data",
            "error",
            "`orange` is not a colour",
            "did you mean `\"#FFA500\"`? a colour is `#` and six hexadecimal digits",
            "expected `#RRGGBB`",
            "\"orange\"",
        ),
        (
            "iotrun::invalid_duration",
            "error",
            "`10 ms` is not a duration",
            "did you mean `10ms`? a duration is a number and a unit (`ms`, `s` or `m`) with nothing between, such as `250ms`, `1.5s` or `2m`",
            "invalid duration",
            "10 ms",
        ),
        (
            "iotrun::unused_data",
            "warning",
            "SWITCH_OFF ignores `data`",
            "remove `data`",
            "ignored",
            "now",
        ),
    ];
    let reports = run.json_lines();
    assert_eq!(reports.len(), expected.len(), "{}", run.stdout);
    for (report, (code, severity, message, help, label, token)) in reports.iter().zip(expected) {
        assert_eq!(report["code"], code, "{report}");
        assert_eq!(report["severity"], severity, "{report}");
        assert_eq!(report["message"], message, "{report}");
        assert_eq!(report["help"], help, "{report}");
        assert_eq!(report["filename"], "program.yaml", "{report}");
        let labels = report["labels"].as_array().expect("labels");
        assert_eq!(labels.len(), 1, "{report}");
        assert_eq!(labels[0]["label"], label, "{report}");
        let offset = labels[0]["span"]["offset"].as_u64().expect("offset") as usize;
        let length = labels[0]["span"]["length"].as_u64().expect("length") as usize;
        assert_eq!(&program[offset..offset + length], token, "{report}");
    }

    // The filename is the path exactly as given on the command line.
    let run = Test::new()
        .file("rooms/kitchen.yaml", program)
        .args(["check", "--format", "json", "./rooms/kitchen.yaml"])
        .stderr("")
        .status(1)
        .run();
    for report in run.json_lines() {
        assert_eq!(report["filename"], "./rooms/kitchen.yaml", "{report}");
    }
}

/// A misspelled `parallel` is reported, and so are the mistakes inside it.
#[test]
fn mistakes_inside_a_misspelled_block_are_reported_too() {
    let run = Test::new()
        .program(
            "\
devices:
  light: { kind: hue_light }
program:
  paralel:
    - { device: lihgt, message: SWITCH_ON }
    - { device: light, message: SWICH_OFF }
",
        )
        .args(["check", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    let codes: Vec<String> = run
        .json_lines()
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "iotrun::unknown_key",
            "iotrun::unknown_device",
            "iotrun::unknown_message"
        ]
    );
}

/// Broken `data` is one error, not also "needs a song".
#[test]
fn data_of_the_wrong_type_is_one_error() {
    let run = Test::new()
        .program(
            "devices:\n  s: { kind: smart_speaker }\nprogram:\n  - { device: s, message: PLAY_SONG, data: [a] }\n",
        )
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(run.stderr.contains("iotrun::wrong_type"), "{}", run.stderr);
    assert!(
        run.stderr.ends_with("program.yaml: 1 error, 0 warnings\n"),
        "{}",
        run.stderr
    );
}

/// `mqtt` keys, once reserved for the format's next version, are the
/// format's own now: the file is valid.
#[test]
fn mqtt_keys_are_part_of_the_format() {
    Test::new()
        .program(
            "mqtt: { broker: \"mqtt://127.0.0.1\" }\ndevices:\n  l: { kind: hue_light, mqtt: { topic: x } }\nprogram:\n  - { device: l, message: SWITCH_ON }\n",
        )
        .args(["check", "program.yaml"])
        .stdout("program.yaml: 1 device, 1 message, 1.5 s\n")
        .run();
}

/// Numbers in `data` and `name` are kept as the file spells them.
#[test]
fn numbers_are_text_as_spelled() {
    Test::new()
        .program(
            "name: 1984\ndevices:\n  s: { kind: smart_speaker, latency: 0ms }\nprogram:\n  - { device: s, message: PLAY_SONG, data: 007 }\n  - { device: s, message: PLAY_SONG, data: .nan }\n",
        )
        .args(["run", "--virtual-time", "program.yaml"])
        .stdout(
            "\
[  0.000s] s  Connecting to Smart Speaker.
[  0.000s] s  Smart Speaker connected.
[  0.000s] s  Smart Speaker handling message of type PLAY_SONG with data [007].
[  0.000s] s  Smart Speaker received message.
[  0.000s] s  Smart Speaker handling message of type PLAY_SONG with data [.nan].
[  0.000s] s  Smart Speaker received message.
[  0.000s] s  Disconnecting Smart Speaker.
[  0.000s] s  Smart Speaker disconnected.
1984: done in 0.000 s, 2 messages, 1 device.
  expected 0 s; attempts: 2 done, 0 failed, 0 cancelled; busiest: `s` (2 attempts).
",
        )
        .run();
}

/// Broken `data` does not hide the message's other mistakes.
#[test]
fn broken_data_does_not_hide_other_mistakes() {
    let run = Test::new()
        .program(
            "devices:\n  s: { kind: smart_speaker }\nprogram:\n  - { device: s, message: FLUSH, data: { a: 1 } }\n",
        )
        .args(["check", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    let codes: Vec<String> = run
        .json_lines()
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_string())
        .collect();
    assert_eq!(codes, ["iotrun::unsupported_message", "iotrun::wrong_type"]);
}

/// An unquoted colour in a flow mapping swallows its `}`; the syntax error
/// says why. A comment after a key does not get that help.
#[test]
fn an_unquoted_colour_in_flow_style_is_explained() {
    let run = Test::new()
        .program(
            "devices: # the devices\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: CHANGE_COLOR, data:  #FF0000 }\n",
        )
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(run.stderr.contains("iotrun::yaml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("put colours in quotes"),
        "{}",
        run.stderr
    );
    let run = Test::new()
        .program("devices: # the devices\n\tl: { kind: hue_light }\nprogram: []\n")
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(run.stderr.contains("iotrun::yaml"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("put colours in quotes"),
        "{}",
        run.stderr
    );
}

/// Fault and retry options: values out of range, `retry` off a message, a
/// flag that is not a boolean; all in one report.
#[test]
fn invalid_fault_and_retry_options() {
    Test::new()
        .program("devices:\n  toilet: { kind: smart_toilet, latency: 500ms, failure_rate: 1.5 }\nprogram:\n  - { device: toilet, message: FLUSH, retry: { attempts: 0 } }\n  - sequence: [ { device: toilet, message: CLEAN } ]\n    retry: { attempts: 2 }\n    continue_on_error: yes\n")
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::invalid_value

  × a failure rate is a probability, but `1.5` is not in [0, 1]
   ╭─[program.yaml:2:63]
 1 │ devices:
 2 │   toilet: { kind: smart_toilet, latency: 500ms, failure_rate: 1.5 }
   ·                                                               ─┬─
   ·                                                                ╰── out of range
 3 │ program:
   ╰────
  help: write a number from 0 (never fails) to 1 (always fails), e.g. `0.1`

iotrun::invalid_value

  × a message needs at least 1 attempt
   ╭─[program.yaml:4:58]
 3 │ program:
 4 │   - { device: toilet, message: FLUSH, retry: { attempts: 0 } }
   ·                                                          ┬
   ·                                                          ╰── 0 attempts
 5 │   - sequence: [ { device: toilet, message: CLEAN } ]
   ╰────
  help: `attempts` counts every attempt, the first included: `attempts: 1` is no retry

iotrun::unknown_key

  × only a message can be retried
   ╭─[program.yaml:6:5]
 5 │   - sequence: [ { device: toilet, message: CLEAN } ]
 6 │     retry: { attempts: 2 }
   ·     ──┬──
   ·       ╰── `retry` on a block
 7 │     continue_on_error: yes
   ╰────
  help: put `retry` on the messages inside, or give the block a `timeout`

iotrun::wrong_type

  × expected `true` or `false`, found text
   ╭─[program.yaml:7:24]
 6 │     retry: { attempts: 2 }
 7 │     continue_on_error: yes
   ·                        ─┬─
   ·                         ╰── expected `true` or `false`
   ╰────
  help: write `continue_on_error: true`

program.yaml: 4 errors, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A message timeout below its device's latency is a warning.
#[test]
fn short_timeout() {
    Test::new()
        .program("devices:\n  toilet: { kind: smart_toilet }\nprogram:\n  - { device: toilet, message: FLUSH, timeout: 100ms }\n")
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::short_timeout

  ⚠ this timeout (100ms) is shorter than `toilet`'s latency (500ms)
   ╭─[program.yaml:4:48]
 1 │ devices:
 2 │   toilet: { kind: smart_toilet }
   ·   ───┬──
   ·      ╰── device declared here
 3 │ program:
 4 │   - { device: toilet, message: FLUSH, timeout: 100ms }
   ·                                                ──┬──
   ·                                                  ╰── every attempt will time out
   ╰────
  help: make the timeout longer than the device's latency (and jitter)

program.yaml: 0 errors, 1 warning
",
        )
        .stdout("program.yaml: 1 device, 1 message, 1.1 s\n")
        .status(0)
        .run();
}
