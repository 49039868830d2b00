//! What a new user trips over: misspelled subcommands, `run` without a
//! file, a trace that cannot be written, `graph` and `--deny-warnings`
//! reporting like `check`, attempts counted right.

mod common;

use common::Test;

#[test]
fn a_misspelled_subcommand_gets_a_suggestion() {
    let usage = "\n\nUsage: iotrun [OPTIONS] [FILE]\n       iotrun <COMMAND>\n\nFor more information, try '--help'.\n";
    Test::new()
        .args(["chek", "programs/wake_up.yaml"])
        .stderr(&format!(
            "error: no subcommand `chek`; did you mean `check`?{usage}"
        ))
        .status(2)
        .run();
    Test::new()
        .args(["devics"])
        .stderr(&format!(
            "error: no subcommand `devics`; did you mean `devices`?{usage}"
        ))
        .status(2)
        .run();
    // A file of that name is run, whatever it is called.
    Test::new()
        .file("chek", "devices: {}\nprogram: []\n")
        .args(["chek"])
        .status(0)
        .run();
    // A missing file that looks like no subcommand stays a missing file.
    let run = Test::new().args(["wake_up.yaml"]).status(2).run();
    assert!(
        run.stderr
            .contains("cannot read `wake_up.yaml`: no such file")
    );
}

#[test]
fn run_without_a_file_shows_runs_usage() {
    Test::new()
        .args(["run"])
        .stderr(
            "error: the following required arguments were not provided:\n  <FILE>\n\nUsage: iotrun run <FILE>\n\nFor more information, try '--help'.\n",
        )
        .status(2)
        .run();
    let help = Test::new().args(["run", "--help"]).run();
    assert!(
        help.stdout.contains("Usage: iotrun run [OPTIONS] <FILE>"),
        "{}",
        help.stdout
    );
}

/// A trace that cannot be written fails before the first device connects.
#[test]
fn an_unwritable_trace_fails_before_anything_connects() {
    Test::new()
        .program("devices:\n  l: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON } ]\n")
        .args([
            "run",
            "--virtual-time",
            "--format",
            "json",
            "--trace",
            "no/such/dir/t.json",
            "program.yaml",
        ])
        .stdout("")
        .stderr("{\"message\":\"cannot write the trace to `no/such/dir/t.json`: No such file or directory (os error 2)\",\"code\":\"iotrun::io\",\"severity\":\"error\",\"causes\":[],\"filename\":\"program.yaml\",\"labels\":[],\"related\":[]}\n")
        .status(2)
        .run();
}

/// `graph` reports an invalid file's warnings too, as `check` does.
#[test]
fn graph_reports_warnings_like_check() {
    let program = "devices:\n  l: { kind: hue_light }\n  spare: { kind: hue_light }\nprogram: [ { device: l, message: FLUSH } ]\n";
    let check = Test::new()
        .program(program)
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    Test::new()
        .program(program)
        .args(["graph", "program.yaml"])
        .stderr(&check.stderr)
        .status(1)
        .run();
    assert!(
        check
            .stderr
            .ends_with("program.yaml: 1 error, 0 warnings\n"),
        "{}",
        check.stderr
    );
    // A valid file with a warning: the warning, then the drawing.
    let run = Test::new()
        .program("devices:\n  l: { kind: hue_light }\n  spare: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON } ]\n")
        .args(["graph", "program.yaml"])
        .run();
    assert!(
        run.stderr.contains("iotrun::unused_device"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.starts_with("flowchart TD\n"));
}

/// `--deny-warnings` does not print a success summary for a file it fails.
#[test]
fn deny_warnings_says_the_file_failed() {
    let run = Test::new()
        .program("devices:\n  l: { kind: hue_light }\n  spare: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON, data: x } ]\n")
        .args(["check", "--deny-warnings", "program.yaml"])
        .stdout("program.yaml: failed: 2 warnings denied by --deny-warnings\n")
        .status(1)
        .run();
    assert!(run.stderr.ends_with("program.yaml: 0 errors, 2 warnings\n"));
}

/// A message cancelled while it waits for its retry had its attempt fail
/// already: it adds no cancelled attempt.
#[test]
fn a_message_cancelled_during_its_backoff_adds_no_cancelled_attempt() {
    let run = Test::new()
        .program("devices:\n  t: { kind: smart_toilet, latency: 100ms, failure_rate: 1 }\nprogram:\n  parallel:\n    - { device: t, message: FLUSH, retry: { attempts: 3, backoff: 1s } }\n  timeout: 500ms\n")
        .args(["run", "--virtual-time", "--seed", "1", "program.yaml"])
        .status(1)
        .run();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "[  0.000s] t  Connecting to Smart Toilet.",
            "[  0.100s] t  Smart Toilet connected.",
            "[  0.100s] t  Smart Toilet handling message of type FLUSH with data [].",
            "[  0.200s] t  Smart Toilet failed message of type FLUSH: device error (attempt 1).",
            "[  0.200s] t  Retrying message of type FLUSH to Smart Toilet in 1s.",
            "[  0.600s] t  Smart Toilet message of type FLUSH cancelled.",
            "[  0.600s]    The node at line 4 failed: timed out.",
            "[  0.600s] t  Disconnecting Smart Toilet.",
            "[  0.700s] t  Smart Toilet disconnected.",
            "failed in 0.700 s, 0 messages, 1 device (again with --seed 1).",
            "  expected 0.3 s; attempts: 0 done, 1 failed, 0 cancelled; busiest: `t` (1 attempt).",
        ]
    );
}

/// A near-miss of a required key is that key misspelled: one error, and
/// what is under it is still checked.
#[test]
fn a_misspelled_required_key_is_reported_once_and_checked() {
    Test::new()
        .program(
            "Devices:\n  l: { kind: hue_lite }\nprogram: [ { device: l, message: SWITCH_ON } ]\n",
        )
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unknown_key

  × a program has no key `Devices`
   ╭─[program.yaml:1:1]
 1 │ Devices:
   · ───┬───
   ·    ╰── unknown key
 2 │   l: { kind: hue_lite }
   ╰────
  help: did you mean `devices`?

iotrun::unknown_kind

  × there is no device kind `hue_lite`
   ╭─[program.yaml:2:14]
 1 │ Devices:
 2 │   l: { kind: hue_lite }
   ·              ────┬───
   ·                  ╰── unknown kind
 3 │ program: [ { device: l, message: SWITCH_ON } ]
   ╰────
  help: did you mean `hue_light`?

program.yaml: 2 errors, 0 warnings
",
        )
        .status(1)
        .run();
}

/// Hex, octal and binary numbers say what is wrong with their spelling.
#[test]
fn a_hexadecimal_number_says_so() {
    Test::new()
        .program("devices:\n  l: { kind: hue_light, failure_rate: 0x1 }\nprogram: [ { device: l, message: SWITCH_ON, retry: { attempts: 0o3 } } ]\n")
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::wrong_type

  × expected a probability, found the hexadecimal number `0x1`
   ╭─[program.yaml:2:39]
 1 │ devices:
 2 │   l: { kind: hue_light, failure_rate: 0x1 }
   ·                                       ─┬─
   ·                                        ╰── not decimal
 3 │ program: [ { device: l, message: SWITCH_ON, retry: { attempts: 0o3 } } ]
   ╰────
  help: write numbers in decimal: `1`

iotrun::wrong_type

  × expected a whole number of attempts, found the octal number `0o3`
   ╭─[program.yaml:3:64]
 2 │   l: { kind: hue_light, failure_rate: 0x1 }
 3 │ program: [ { device: l, message: SWITCH_ON, retry: { attempts: 0o3 } } ]
   ·                                                                ─┬─
   ·                                                                 ╰── not decimal
   ╰────
  help: write numbers in decimal: `3`

program.yaml: 2 errors, 0 warnings
",
        )
        .status(1)
        .run();
}

/// A colour without its `#`, in the short form, or by CSS name gets the
/// `#RRGGBB` it means.
#[test]
fn a_colour_that_is_nearly_right_gets_a_suggestion() {
    for (data, meant) in [
        ("FF8800", "#FF8800"),
        ("\"#F80\"", "#FF8800"),
        ("orange", "#FFA500"),
        ("Tomato", "#FF6347"),
    ] {
        let run = Test::new()
            .program(&format!(
                "devices:\n  l: {{ kind: hue_light }}\nprogram: [ {{ device: l, message: CHANGE_COLOR, data: {data} }} ]\n"
            ))
            .args(["check", "program.yaml"])
            .status(1)
            .run();
        assert!(
            run.stderr.contains(&format!(
                "help: did you mean `\"{meant}\"`? a colour is `#` and six hexadecimal digits\n"
            )),
            "{data}: {}",
            run.stderr
        );
    }
}

/// A `latency` that was rejected draws no `short_timeout` from the
/// default standing in for it.
#[test]
fn no_short_timeout_from_a_rejected_latency() {
    let run = Test::new()
        .program("devices:\n  l: { kind: hue_light, latency: 1.5 sec }\nprogram: [ { device: l, message: SWITCH_ON, timeout: 100ms } ]\n")
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(
        run.stderr.contains("iotrun::invalid_duration"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("short_timeout"), "{}", run.stderr);
    assert!(
        run.stderr.ends_with("program.yaml: 1 error, 0 warnings\n"),
        "{}",
        run.stderr
    );
}

/// Labels far apart: the header points at the primary token, and the
/// declaration far above it is drawn after, on its own.
#[test]
fn the_header_points_at_the_primary_token() {
    Test::new()
        .program("devices:\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: SWITCH_ON }\n  - { device: l, message: SWITCH_ON }\n  - { device: l, message: SWITCH_ON }\n  - { device: l, message: SWITCH_ON }\n  - { device: l, message: FLUSH }\n")
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::unsupported_message

  × `l` is a hue_light, which does not accept FLUSH
   ╭─[program.yaml:8:27]
 7 │   - { device: l, message: SWITCH_ON }
 8 │   - { device: l, message: FLUSH }
   ·                           ──┬──
   ·                             ╰── not accepted by this device
   ╰────
  help: a hue_light accepts `SWITCH_ON`, `SWITCH_OFF` and `CHANGE_COLOR`

  ☞ `l` declared here
   ╭─[program.yaml:2:14]
 1 │ devices:
 2 │   l: { kind: hue_light }
   ·              ─────────
 3 │ program:
   ╰────

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

/// With `COLUMNS` unset, the timeline asks the terminal its width: on a
/// 60-column pseudo-terminal (made by `script`, sized by `stty`) every row
/// fits in 60 columns, where the default would be 80.
#[test]
fn the_timeline_fits_the_terminal_when_columns_is_unset() {
    use std::process::Command;
    if Command::new("script").arg("--version").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("`script` is needed to make a pseudo-terminal in CI");
        }
        eprintln!("skipped: no `script` to make a pseudo-terminal");
        return;
    }
    let dir = common::TempDir::new();
    let path = dir.path().join("program.yaml");
    std::fs::write(
        &path,
        "devices:\n  a_long_light_name: { kind: hue_light }\nprogram:\n  - { device: a_long_light_name, message: SWITCH_ON }\n",
    )
    .expect("write program");
    let out = Command::new("script")
        .args([
            "-qec",
            &format!(
                "stty cols 60 rows 40; exec {} run --virtual-time --timeline {}",
                env!("CARGO_BIN_EXE_iotrun"),
                path.display()
            ),
            "/dev/null",
        ])
        .env_remove("COLUMNS")
        .output()
        .expect("script");
    let screen = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains(" │")).collect();
    assert!(!rows.is_empty(), "no timeline in {screen:?}");
    let widest = rows
        .iter()
        .map(|r| r.trim_end().chars().count())
        .max()
        .unwrap_or(0);
    assert!(
        (50..=60).contains(&widest),
        "rows {widest} wide on a 60-column terminal:\n{screen}"
    );
}

/// YAML syntax errors in a person's words, each labelled where the cause is
/// and with a help that says what to do (issue: the first hour, item 2).
fn syntax(text: &str, expected: &str) {
    Test::new()
        .program(text)
        .args(["check", "program.yaml"])
        .status(1)
        .stderr(expected)
        .run();
}

/// A key indented deeper than the key before it.
#[test]
fn syntax_error_indent() {
    syntax(
        "devices:
  light: { kind: hue_light }
program:
  - device: light
     message: SWITCH_ON
",
        "\
iotrun::yaml

  × this line is indented deeper than the key before it
   ╭─[program.yaml:5:1]
 4 │   - device: light
 5 │      message: SWITCH_ON
   · ──┬──
   ·   ╰── indented 5 spaces
   ╰────
  help: YAML reads structure from indentation, with spaces: start `message` in the column of the
        key it belongs beside — `device` on line 4 starts in column 5 — or, for a top-level key,
        in column 1

program.yaml: 1 error, 0 warnings
",
    );
}

/// A top-level key indented by one space.
#[test]
fn syntax_error_indent_top_level() {
    syntax(
        "devices:
  light: { kind: hue_light }
 program:
  - { device: light, message: SWITCH_ON }
",
        "\
iotrun::yaml

  × this line's indentation lines it up with no key or item above it
   ╭─[program.yaml:3:1]
 2 │   light: { kind: hue_light }
 3 │  program:
   · ┬
   · ╰── indented 1 space
 4 │   - { device: light, message: SWITCH_ON }
   ╰────
  help: YAML reads structure from indentation, with spaces: start `program` in the column of the
        key it belongs beside — `light` on line 2 starts in column 3 — or, for a top-level key, in
        column 1

program.yaml: 1 error, 0 warnings
",
    );
}

/// A list item indented off its list.
#[test]
fn syntax_error_seq() {
    syntax(
        "devices:
  s: { kind: smart_speaker }
program:
  - device: s
    message: SWITCH_ON
   - device: s
",
        "\
iotrun::yaml

  × this line's indentation lines it up with no key or item above it
   ╭─[program.yaml:6:1]
 5 │     message: SWITCH_ON
 6 │    - device: s
   · ─┬─
   ·  ╰── indented 3 spaces
   ╰────
  help: YAML reads structure from indentation, with spaces: start this item's `-` in the column of
        the other items of its list — the `-` on line 4 is in column 3

program.yaml: 1 error, 0 warnings
",
    );
}

/// A tab in the indentation.
#[test]
fn syntax_error_tab() {
    syntax(
        "devices:
  light: { kind: hue_light }
program:
\t- { device: light, message: SWITCH_ON }
",
        "\
iotrun::yaml

  × this line is indented with a tab
   ╭─[program.yaml:4:1]
 3 │ program:
 4 │     - { device: light, message: SWITCH_ON }
   · ──┬─
   ·   ╰── a tab
   ╰────
  help: YAML indents with spaces only: replace the tab with spaces, lined up with the lines above

program.yaml: 1 error, 0 warnings
",
    );
}

/// An unquoted `: ` in a value.
#[test]
fn syntax_error_colon() {
    syntax(
        "devices:
  s: { kind: smart_speaker }
program:
  - device: s
    message: PLAY_SONG
    data: Queen: Bohemian Rhapsody
",
        "\
iotrun::yaml

  × this value holds `: `, which YAML reads as the start of another key
   ╭─[program.yaml:6:11]
 5 │     message: PLAY_SONG
 6 │     data: Queen: Bohemian Rhapsody
   ·           ────────────┬───────────
   ·                       ╰── a value with `: ` in it
   ╰────
  help: quote the value: `data: \"Queen: Bohemian Rhapsody\"`

program.yaml: 1 error, 0 warnings
",
    );
}

/// An unclosed `[`.
#[test]
fn syntax_error_bracket() {
    syntax(
        "devices:
  s: { kind: smart_speaker }
program: [
  { device: s, message: SWITCH_ON },
  { device: s, message: SWITCH_OFF }
",
        "\
iotrun::yaml

  × this `[` is never closed
   ╭─[program.yaml:3:10]
 2 │   s: { kind: smart_speaker }
 3 │ program: [
   ·          ▲
   ·          ╰── opened here
 4 │   { device: s, message: SWITCH_ON },
   ╰────
  help: close it with `]`

program.yaml: 1 error, 0 warnings
",
    );
}

/// A missing `,` in a flow mapping.
#[test]
fn syntax_error_comma() {
    syntax(
        "devices:
  s: { kind: smart_speaker }
program:
  - { device: s message: SWITCH_ON }
",
        "\
iotrun::yaml

  × a `,` or a `}` is missing here
   ╭─[program.yaml:4:16]
 3 │ program:
 4 │   - { device: s message: SWITCH_ON }
   ·                ▲
   ·                ╰── expected `,` or `}`
   ╰────
  help: separate the entries of a `{ ... }` mapping with `,` and close it with `}`

program.yaml: 1 error, 0 warnings
",
    );
}

/// A ` #` comment that hides a closing `}`.
#[test]
fn syntax_error_hash() {
    syntax(
        "devices:
  s: { kind: smart_speaker }
program:
  - { device: s, message: PLAY_SONG, data: Song #1 }
  - { device: s, message: SWITCH_OFF }
",
        "\
iotrun::yaml

  × \"-\" is only valid inside a block
   ╭─[program.yaml:5:3]
 3 │ program:
 4 │   - { device: s, message: PLAY_SONG, data: Song #1 }
   ·                                                 ┬
   ·                                                 ╰── a comment starts here
 5 │   - { device: s, message: SWITCH_OFF }
   ·   ▲
   ·   ╰── here
   ╰────
  help: ` #` starts a comment, which hides the rest of its line (a closing `}` or `]` too): quote
        a value that holds `#`, e.g. `data: \"Song #1\"`

program.yaml: 1 error, 0 warnings
",
    );
}

/// A ` #` on the last line that hides the closing `}` of the `{` it is in.
#[test]
fn syntax_error_last_hash() {
    syntax(
        "devices:
  speaker: { kind: smart_speaker }
program:
  - { device: speaker, message: PLAY_SONG, data: Song #1 }
",
        "\
iotrun::yaml

  × this `{` is never closed
   ╭─[program.yaml:4:5]
 3 │ program:
 4 │   - { device: speaker, message: PLAY_SONG, data: Song #1 }
   ·     ▲                                                 ┬
   ·     │                                                 ╰── a comment starts here
   ·     ╰── opened here
   ╰────
  help: ` #` starts a comment, which hides the rest of its line (a closing `}` or `]` too): quote
        a value that holds `#`, e.g. `data: \"Song #1\"`

program.yaml: 1 error, 0 warnings
",
    );
}

/// A tab after spaces, where the reader stops at the line before.
#[test]
fn syntax_error_tab2() {
    syntax(
        "devices:
  speaker: { kind: smart_speaker }
program:
  - device: speaker
  \tmessage: SWITCH_ON
",
        "\
iotrun::yaml

  × this line is indented with a tab
   ╭─[program.yaml:5:3]
 4 │   - device: speaker
 5 │     message: SWITCH_ON
   ·   ─┬
   ·    ╰── a tab
   ╰────
  help: YAML indents with spaces only: replace the tab with spaces, lined up with the lines above

program.yaml: 1 error, 0 warnings
",
    );
}

/// An indented first key.
#[test]
fn syntax_error_l1_indent() {
    syntax(
        "  name: x
devices:
  speaker: { kind: smart_speaker }
program:
  - { device: speaker, message: SWITCH_ON }
",
        "\
iotrun::yaml

  × the file's first key is indented
   ╭─[program.yaml:1:1]
 1 │   name: x
   · ─┬
   ·  ╰── indented 2 spaces
 2 │ devices:
   ╰────
  help: YAML reads structure from indentation: start top-level keys in column 1

program.yaml: 1 error, 0 warnings
",
    );
}

/// A missing `,` between the items of a `[ ... ]` list.
#[test]
fn syntax_error_comma3() {
    syntax(
        "devices:
  speaker: { kind: smart_speaker }
program:
  - [ { device: speaker, message: SWITCH_ON } { device: speaker, message: SWITCH_OFF } ]
",
        "\
iotrun::yaml

  × a `,` or a `]` is missing here
   ╭─[program.yaml:4:47]
 3 │ program:
 4 │   - [ { device: speaker, message: SWITCH_ON } { device: speaker, message: SWITCH_OFF } ]
   ·                                               ▲
   ·                                               ╰── expected `,` or `]`
   ╰────
  help: separate the items of a `[ ... ]` list with `,` and close it with `]`

program.yaml: 1 error, 0 warnings
",
    );
}
