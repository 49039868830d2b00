//! Bad input gets a clear diagnostic and a non-zero exit: never a panic, a
//! hang or a stack overflow.

mod common;

use std::fmt::Write;

use common::{Test, root};

/// Checks `text` and returns stderr, asserting exit 1 and the code.
#[track_caller]
fn rejected(text: impl AsRef<[u8]>, code: &str) -> String {
    let run = Test::new()
        .file("program.yaml", text)
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(
        run.stderr.contains(code),
        "expected {code}:\n{}",
        run.stderr
    );
    run.stderr
}

/// `n` block-style sequences, one inside the other, around one message.
fn nested_blocks(n: usize) -> String {
    let mut text = String::from("devices:\n  l: { kind: hue_light }\nprogram:\n  sequence:\n");
    for i in 0..n {
        let _ = writeln!(text, "{}- sequence:", " ".repeat(4 + 4 * i));
    }
    let _ = writeln!(
        text,
        "{}- {{ device: l, message: SWITCH_ON }}",
        " ".repeat(4 + 4 * n)
    );
    text
}

#[test]
fn flow_nesting_a_thousand_deep_is_too_deep() {
    let text = format!(
        "devices:\n  l: {{ kind: hue_light }}\nprogram: {}{{ device: l, message: SWITCH_ON }}{}\n",
        "[".repeat(1000),
        "]".repeat(1000)
    );
    let stderr = rejected(text, "iotrun::too_deep");
    assert!(
        stderr.contains("the file nests deeper than 512 levels"),
        "{stderr}"
    );
}

#[test]
fn block_nesting_past_the_yaml_limit_is_too_deep() {
    let stderr = rejected(nested_blocks(300), "iotrun::too_deep");
    assert!(
        stderr.contains("the file nests deeper than 512 levels"),
        "{stderr}"
    );
}

#[test]
fn nodes_past_the_node_limit_are_too_deep() {
    let stderr = rejected(nested_blocks(205), "iotrun::too_deep");
    assert!(
        stderr.contains("the program nests deeper than 200 levels"),
        "{stderr}"
    );
}

#[test]
fn nesting_within_the_limit_runs() {
    Test::new()
        .program(&nested_blocks(195))
        .args(["run", "--virtual-time", "program.yaml"])
        .run();
}

#[test]
fn a_long_chain_of_routines_is_too_deep_not_a_stack_overflow() {
    let mut text = String::from("devices:\n  l: { kind: hue_light }\nroutines:\n");
    for i in 0..10_000 {
        let _ = writeln!(text, "  r{i}: {{ run: r{} }}", i + 1);
    }
    text.push_str("  r10000: { device: l, message: SWITCH_ON }\nprogram: { run: r0 }\n");
    let stderr = rejected(text, "iotrun::too_deep");
    assert!(
        stderr.contains("program: { run: r0 }"),
        "points at the run: {stderr}"
    );
}

#[test]
fn a_long_cycle_of_routines_is_reported_once() {
    let mut text = String::from("devices:\n  l: { kind: hue_light }\nroutines:\n");
    for i in 0..5_000 {
        let _ = writeln!(text, "  r{i}: {{ run: r{} }}", (i + 1) % 5_000);
    }
    text.push_str("program: [ { run: r0 }, { device: l, message: SWITCH_ON } ]\n");
    let stderr = rejected(text, "iotrun::routine_cycle");
    assert_eq!(stderr.matches("iotrun::routine_cycle").count(), 1);
    assert!(
        stderr.contains("… (4991 more) -> `r4999` -> `r0`"),
        "{stderr}"
    );
}

#[test]
fn an_alias_bomb_is_stopped() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (prev, name) in ('a'..='i').zip('b'..='j') {
        let aliases = vec![format!("*{prev}"); 10].join(", ");
        let _ = writeln!(text, "{name}: &{name} [{aliases}]");
    }
    text.push_str("devices: {}\nprogram: []\n");
    let stderr = rejected(text, "iotrun::yaml");
    assert!(
        stderr.contains("the file goes past a parse limit"),
        "{stderr}"
    );
}

#[test]
fn a_binary_file_is_not_yaml() {
    let mut bytes = b"\x7fELF\x02\x01\x01\x00\xff".to_vec();
    bytes.extend((0..=255u8).cycle().take(4096));
    Test::new()
        .file("program.yaml", bytes)
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::yaml

  × `program.yaml` is not UTF-8 text (byte 8 is not)
   ╭─[program.yaml:1:9]
 1 │ ?ELF????
   ╰────
  help: a program is a YAML text file; is this a binary file?

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

#[test]
fn an_empty_file_is_no_program() {
    Test::new()
        .program("")
        .args(["check", "program.yaml"])
        .stderr(
            "\
iotrun::yaml

  × the file holds no YAML document
   ╭─[program.yaml:1:1]
   ╰────
  help: a program is a mapping with at least `devices` and `program`

program.yaml: 1 error, 0 warnings
",
        )
        .status(1)
        .run();
}

#[test]
fn a_file_of_comments_is_no_program() {
    rejected(
        "# nothing here\n\n# at all\n",
        "the file holds no YAML document",
    );
}

#[test]
fn a_missing_file_is_an_io_error() {
    Test::new()
        .args(["check", "missing.yaml"])
        .stderr(
            "\
iotrun::io

  × cannot read `missing.yaml`: no such file

missing.yaml: 1 error, 0 warnings
",
        )
        .status(2)
        .run();
    Test::new()
        .args(["run", "missing.yaml"])
        .stdout("")
        .status(2)
        .run();
}

#[test]
fn a_folder_given_to_run_is_an_io_error() {
    let run = Test::new()
        .file("folder/a.yaml", "x: 1\n")
        .args(["run", "folder"])
        .status(2)
        .run();
    assert!(
        run.stderr.contains("cannot read `folder`: it is a folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_second_document_is_an_error() {
    let stderr = rejected(
        "devices: {}\nprogram: []\n---\ndevices: {}\nprogram: []\n",
        "iotrun::yaml",
    );
    assert!(
        stderr.contains("a program file holds one YAML document"),
        "{stderr}"
    );
}

#[test]
fn a_scalar_or_list_at_the_top_is_the_wrong_type() {
    rejected("just text\n", "iotrun::wrong_type");
    rejected("- a\n- b\n", "iotrun::wrong_type");
}

#[test]
fn control_characters_in_names_are_escaped_in_json() {
    let run = Test::new()
        .program("devices:\n  \"a\\u0001b\": { kind: hue_light }\nprogram: []\n")
        .args(["check", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    for line in run.stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        assert!(
            !value["message"]
                .as_str()
                .expect("message")
                .contains('\u{1}')
        );
    }
}

/// Every input of the YAML test suite, none of which is an iotrun program,
/// ends in a diagnostic and exit 1. The corpus sits beside the checkout; where
/// it is absent this test says so and passes.
#[test]
fn every_yaml_test_suite_input_is_rejected_cleanly() {
    let corpus = root().join("../shared/corpus/yaml-test-suite");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        eprintln!("skipped: no YAML test suite at {}", corpus.display());
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() > 300, "only {} corpus files", files.len());
    // One process checks them all; the per-file tally tells each apart.
    let output = std::process::Command::new(common::BIN)
        .arg("check")
        .args(&files)
        .env("NO_COLOR", "1")
        .output()
        .expect("run iotrun");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for file in &files {
        let tally = format!("{}: ", file.display());
        let line = stderr
            .lines()
            .find(|l| {
                l.starts_with(&tally) && l.ends_with("warnings")
                    || l.starts_with(&tally) && l.ends_with("warning")
            })
            .unwrap_or_else(|| panic!("no diagnostics for {}", file.display()));
        assert!(!line.contains(": 0 errors"), "{line}");
    }
}

/// Twenty thousand mistakes are all reported, and quickly: rendering
/// each one must not rescan the file.
#[test]
fn twenty_thousand_errors_are_all_reported() {
    let mut text = String::from("devices:\n  l: { kind: hue_light }\nprogram:\n  parallel:\n");
    for _ in 0..20_000 {
        text.push_str("    - { device: ghost, message: SWITCH_ON }\n");
    }
    let run = Test::new()
        .program(&text)
        .args(["check", "program.yaml"])
        .status(1)
        .run();
    assert!(
        run.stderr
            .ends_with("program.yaml: 20000 errors, 0 warnings\n")
    );
    assert!(run.stderr.contains("╭─[program.yaml:20004:17]"));
}

/// A program on one 140 KB line (minified, generated): diagnostics show the
/// part of the line around each token, and nothing panics.
#[test]
fn a_very_long_line_is_shown_around_the_token() {
    let text = format!(
        "devices: {{l: {{kind: hue_light}}}}\nprogram: [{}{{device: ghost, message: SWITCH_ON}}, {{device: l, message: PLAY_SONG, data: \"{}\"}}]\n",
        " ".repeat(70_000),
        "x".repeat(70_000)
    );
    let stderr = rejected(text, "iotrun::unknown_device");
    assert!(stderr.contains("╭─[program.yaml:2:70020]"), "{stderr}");
    assert!(stderr.contains("╭─[program.yaml:2:70069]"), "{stderr}");
    assert!(stderr.contains("iotrun::unsupported_message"), "{stderr}");
    assert!(
        stderr.len() < 5_000,
        "{} bytes of diagnostics",
        stderr.len()
    );
}

/// A duration past a week is rejected, not run (a huge one once spun the
/// virtual clock for ever).
#[test]
fn durations_past_a_week_are_rejected() {
    for delay in ["9223372036000000000s", "18446744073709551615s", "10081m"] {
        let stderr = rejected(
            format!(
                "devices:\n  l: {{ kind: hue_light }}\nprogram: [ {{ delay: {delay} }}, {{ device: l, message: SWITCH_OFF }} ]\n"
            ),
            "iotrun::invalid_duration",
        );
        assert!(stderr.contains("is longer than a week"), "{stderr}");
        assert!(
            stderr.contains("help: the longest duration is `10080m` (7 days)"),
            "{stderr}"
        );
    }
}

/// Thousands of interlocking cycles: one diagnostic per knot, quickly.
#[test]
fn interlocking_cycles_are_one_diagnostic() {
    let mut text = String::from("devices:\n  l: { kind: hue_light }\nroutines:\n");
    for i in 0..8_000 {
        let _ = writeln!(text, "  r{i}: [ {{ run: r{} }}, {{ run: r0 }} ]", i + 1);
    }
    text.push_str("  r8000: { device: l, message: SWITCH_ON }\nprogram: { run: r0 }\n");
    let stderr = rejected(text, "iotrun::routine_cycle");
    assert!(
        stderr.ends_with("program.yaml: 1 error, 0 warnings\n"),
        "{stderr}"
    );
}

/// Thousands of unknown names among thousands of declared ones: suggestions
/// stop at a budget instead of taking minutes, and lists are cut short.
#[test]
fn many_unknown_names_among_many_devices_stay_fast() {
    let mut text = String::from("devices:\n");
    for i in 0..5_000 {
        let _ = writeln!(text, "  lamp{i}: {{ kind: hue_light }}");
    }
    text.push_str("program:\n  parallel:\n");
    for i in 0..5_000 {
        let _ = writeln!(text, "    - {{ device: lamb{i}, message: SWITCH_ON }}");
    }
    let stderr = rejected(text, "iotrun::unknown_device");
    assert!(
        stderr.ends_with("program.yaml: 5000 errors, 0 warnings\n"),
        "{}",
        &stderr[stderr.len() - 200..]
    );
    assert!(
        stderr.contains("help: did you mean `lamp0`?"),
        "early names get a suggestion"
    );
    assert!(
        stderr.contains(
            "help: the devices are `lamp0`, `lamp1`, `lamp2`, `lamp3`, `lamp4`, `lamp5`, `lamp6`, `lamp7`, …\n        and 4992 more"
        ),
        "late names get a short list"
    );
}

/// Labels on short lines next to a very long one: the long line is not
/// printed as context.
#[test]
fn a_long_line_is_not_printed_as_context() {
    let text = format!(
        "devices:\n  light: {{ kind: hue_light }}\n  light: {{ kind: hue_light }}\nprogram: [{}{{ device: light, message: SWITCH_ON }}]\n",
        " ".repeat(100_000)
    );
    let stderr = rejected(text, "iotrun::duplicate_key");
    assert!(
        stderr.len() < 3_000,
        "{} bytes of diagnostics",
        stderr.len()
    );
}

/// A comma then a multi-byte character once panicked while looking for a
/// likely meaning (a `&str` cut inside `€`).
#[test]
fn a_duration_with_a_comma_and_multi_byte_text_is_invalid_not_a_panic() {
    Test::new()
        .program("devices:\n  l: { kind: hue_light }\nprogram:\n  - delay: \"1,a€\"\n  - delay: \"2,ab€x\"\n")
        .args(["check", "program.yaml"])
        .status(1)
        .stderr(
            "iotrun::invalid_duration

  × `1,a€` is not a duration
   ╭─[program.yaml:4:12]
 3 │ program:
 4 │   - delay: \"1,a€\"
   ·            ───┬──
   ·               ╰── invalid duration
 5 │   - delay: \"2,ab€x\"
   ╰────
  help: a duration is a number and a unit (`ms`, `s` or `m`) with nothing between, such as
        `250ms`, `1.5s` or `2m`

iotrun::invalid_duration

  × `2,ab€x` is not a duration
   ╭─[program.yaml:5:12]
 4 │   - delay: \"1,a€\"
 5 │   - delay: \"2,ab€x\"
   ·            ────┬───
   ·                ╰── invalid duration
   ╰────
  help: a duration is a number and a unit (`ms`, `s` or `m`) with nothing between, such as
        `250ms`, `1.5s` or `2m`

program.yaml: 2 errors, 0 warnings
",
        )
        .run();
}

/// `COLUMNS` is clamped to 20..=1000: a huge value once overflowed a format
/// width (a panic), a tiny one would leave no room for a bar.
#[test]
fn a_huge_or_tiny_columns_is_clamped_for_the_timeline() {
    let program =
        "devices:\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: SWITCH_ON }\n";
    for (columns, cells) in [("70000", 1000 - 4), ("3", 20 - 4)] {
        let run = Test::new()
            .program(program)
            .env("COLUMNS", columns)
            .args(["run", "--virtual-time", "--timeline", "program.yaml"])
            .run();
        let axis = run
            .stdout
            .lines()
            .find(|line| line.contains('└'))
            .unwrap_or_default();
        assert_eq!(
            axis.chars().filter(|&c| c == '─').count(),
            cells - 1,
            "COLUMNS={columns}:\n{}",
            run.stdout
        );
    }
}

/// A chain of merges counts each link once per use; past the limit the
/// diagnostic names the merge-key limit and its number.
#[test]
fn a_long_chain_of_merge_keys_names_the_merge_key_limit() {
    let mut text = String::from("devices:\n  l: { kind: hue_light }\na0: &a0 {x: 1}\n");
    for i in 1..2000 {
        let _ = writeln!(text, "a{i}: &a{i} {{<<: *a{}, y{i}: 1}}", i - 1);
    }
    text.push_str("program:\n  - { device: l, message: SWITCH_ON }\n");
    Test::new()
        .program(&text)
        .args(["check", "program.yaml"])
        .status(1)
        .stderr(
            "iotrun::yaml

  × the file goes past a parse limit: more than 10,000 merge keys (`<<`), counting each merge of a
  │ merged value again
     ╭─[program.yaml:144:18]
 143 │ a140: &a140 {<<: *a139, y140: 1}
 144 │ a141: &a141 {<<: *a140, y141: 1}
     ·                  ──┬──
     ·                    ╰── limit reached here
 145 │ a142: &a142 {<<: *a141, y142: 1}
     ╰────
  help: iotrun bounds YAML nodes, events and alias expansion so that no file can exhaust the
        machine; an alias that expands into a huge value is the usual cause

program.yaml: 1 error, 0 warnings
",
        )
        .run();
}

#[test]
fn an_alias_inside_its_own_anchor_is_worded_for_a_user() {
    Test::new()
        .program("devices:\n  l: { kind: hue_light }\np: &p {<<: *p}\nprogram:\n  - { device: l, message: SWITCH_ON }\n")
        .args(["check", "program.yaml"])
        .status(1)
        .stderr(
            "iotrun::yaml

  × an alias is used inside the very node its anchor names
   ╭─[program.yaml:3:12]
 2 │   l: { kind: hue_light }
 3 │ p: &p {<<: *p}
   ·            ─┬
   ·             ╰── alias of an enclosing anchor
 4 │ program:
   ╰────
  help: a value cannot contain itself: anchor a finished node and use its alias after it

program.yaml: 1 error, 0 warnings
",
        )
        .run();
}

/// 66 MiB of scalar text once met an undocumented 64 MiB limit ("the file is
/// too large"); the limit is now the file limit, 512 MiB.
#[test]
fn more_than_64_mib_of_scalar_text_is_within_the_limits() {
    let text = format!(
        "devices:\n  l: {{ kind: hue_light }}\nnote: {}\nprogram:\n  - {{ device: l, message: SWITCH_ON }}\n",
        "x".repeat(66 << 20)
    );
    let stderr = rejected(text, "iotrun::unknown_key");
    assert!(!stderr.contains("parse limit"), "{stderr}");
    assert!(stderr.contains("a program has no key `note`"), "{stderr}");
}

/// True when `text` holds a character that could drive a terminal or
/// reorder what it shows.
fn has_unsafe(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200b}' | '\u{2028}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// The repro: a file named to retitle and clear the terminal, in a
/// checked folder. Its name is escaped in the header and in the tally.
#[test]
fn a_hostile_file_name_cannot_drive_the_terminal() {
    let name = "x\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31m.yaml";
    let run = Test::new()
        .file(
            name,
            "devices:\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: SWITCH_ON, data: x }\n",
        )
        .args(["check", "."])
        .run();
    assert!(!has_unsafe(&run.stderr), "{:?}", run.stderr);
    assert!(
        run.stderr
            .contains("╭─[./x\\u{1b}]0;PWNED\\u{7}\\u{1b}[2J\\u{1b}[31m.yaml:4:44]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("./x\\u{1b}]0;PWNED\\u{7}\\u{1b}[2J\\u{1b}[31m.yaml: 0 errors, 1 warning\n"),
        "{}",
        run.stderr
    );
}

/// A missing file with a hostile name: the `io` message escapes it too.
#[test]
fn a_hostile_missing_file_name_is_escaped() {
    Test::new()
        .args(["check", "gone\u{1b}[2J\u{202e}.yaml"])
        .status(2)
        .stderr(
            "iotrun::io

  × cannot read `gone\\u{1b}[2J\\u{202e}.yaml`: no such file

gone\\u{1b}[2J\\u{202e}.yaml: 1 error, 0 warnings
",
        )
        .run();
}

/// Bidi overrides and invisible characters in a diagnostic's snippet are
/// shown as `?`, byte for byte, so the underline still points right.
#[test]
fn bidi_overrides_in_a_snippet_are_not_shown_raw() {
    Test::new()
        .program("devices:\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: \"SWITCH\u{202e}_ON\u{200b}\" }\n")
        .args(["check", "program.yaml"])
        .status(1)
        .stderr(
            "iotrun::unknown_message

  × there is no message type `SWITCH\\u{202e}_ON\\u{200b}`
   ╭─[program.yaml:4:27]
 3 │ program:
 4 │   - { device: l, message: \"SWITCH???_ON???\" }
   ·                           ────────┬────────
   ·                                   ╰── unknown message type
   ╰────
  help: did you mean `SWITCH_ON`?

program.yaml: 1 error, 0 warnings
",
        )
        .run();
}

/// In run lines, a kind's display name and a message's data are the file's
/// text: control and invisible characters are escaped there as well.
#[test]
fn run_lines_escape_a_files_hostile_text() {
    let run = Test::new()
        .program(
            "kinds:\n  blinds:\n    display: \"Blinds\\e[2J\\u202e\"\n    accepts: [OPEN]\n\
             devices:\n  b: { kind: blinds, latency: 0ms }\n  s: { kind: smart_speaker, latency: 0ms }\n\
             program:\n  - { device: b, message: OPEN }\n  - { device: s, message: PLAY_SONG, data: \"a\\u2066b\\u2028c\" }\n",
        )
        .args(["run", "--virtual-time", "program.yaml"])
        .run();
    assert!(!has_unsafe(&run.stdout), "{:?}", run.stdout);
    assert!(
        run.stdout
            .contains("b  Blinds\\u{1b}[2J\\u{202e} handling message of type OPEN"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("with data [a\\u{2066}b\\u{2028}c]"),
        "{}",
        run.stdout
    );
}

/// A file of nothing but newlines once cost an 8-byte index entry per line
/// (4.7 GB for 512 MiB); the sparse index keeps it near the file's size.
/// The diagnostic still points at line 1 and counts the lines right.
#[test]
fn a_file_of_newlines_is_checked_with_a_sparse_index() {
    let run = Test::new()
        .file("newlines.yaml", "\n".repeat(8 << 20))
        .args(["check", "--format", "json", "newlines.yaml"])
        .status(1)
        .run();
    let lines = run.json_lines();
    assert_eq!(lines[0]["message"], "the file holds no YAML document");
    assert_eq!(lines[0]["labels"][0]["line"], 1, "{}", run.stderr);
}

/// The repro: one 4 MB line of many `data:` keys with a YAML
/// syntax error took 35 s to check (the colour hint rescanned the line for
/// each key). It is one pass now; the diagnostic is the syntax error.
#[test]
fn a_four_megabyte_line_with_a_syntax_error_is_checked_in_one_pass() {
    let mut text = String::from("devices: { l: { kind: hue_light } }\nprogram: [");
    while text.len() < 4 << 20 {
        text.push_str("{device: l, message: PLAY_SONG, data: x}, ");
    }
    text.push_str("{device: l, message: PLAY_SONG, data: x}}\n");
    let stderr = rejected(text, "iotrun::yaml");
    assert!(
        stderr.contains("program.yaml: 1 error, 0 warnings"),
        "{stderr}"
    );
}

/// 30,000 devices: the timeline and the per-device counts of human output
/// find each device's row by name, not by a scan of all the others.
#[test]
fn thirty_thousand_devices_run_with_a_timeline() {
    let mut text = String::from("devices:\n");
    for i in 0..30_000 {
        let _ = writeln!(text, "  l{i}: {{ kind: hue_light, latency: 0ms }}");
    }
    text.push_str("program:\n  parallel:\n");
    for i in 0..30_000 {
        let _ = writeln!(text, "    - {{ device: l{i}, message: SWITCH_ON }}");
    }
    let run = Test::new()
        .program(&text)
        .args(["run", "--virtual-time", "--timeline", "program.yaml"])
        .env("COLUMNS", "100")
        .run();
    let rows = run.stdout.lines().filter(|l| l.contains(" │")).count();
    assert!(rows >= 30_000, "{rows} timeline rows");
    assert!(
        run.stdout
            .contains("done in 0.000 s, 30000 messages, 30000 devices."),
        "{}",
        &run.stdout[run.stdout.len().saturating_sub(500)..]
    );
}

/// `iotrun devices FILE` prints a declared kind's display name and the
/// file's name: escaped there too.
#[test]
fn devices_escapes_a_files_hostile_text() {
    let name = "k\u{1b}]0;PWNED\u{7}\u{202e}.yaml";
    let run = Test::new()
        .file(
            name,
            "kinds:\n  blinds: { display: \"Blinds\\e[31m\\u202e\", accepts: [OPEN] }\n\
             devices: { b: { kind: blinds } }\nprogram: [ { device: b, message: OPEN } ]\n",
        )
        .args(["devices", name])
        .run();
    assert!(!has_unsafe(&run.stdout), "{:?}", run.stdout);
    assert!(
        run.stdout.contains(
            "blinds (Blinds\\u{1b}[31m\\u{202e}, declared in k\\u{1b}]0;PWNED\\u{7}\\u{202e}.yaml)\n  OPEN\n"
        ),
        "{}",
        run.stdout
    );
}
