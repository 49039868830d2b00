//! A program's expanded size and duration are bounded: `check` rejects a
//! program past a limit with `iotrun::too_large`, naming the routine chain
//! and the count, before `run` connects anything.

mod common;

use std::fmt::Write;

use common::Test;

/// `levels` routines, each running the next `times` times inside `block`
/// (`sequence` or `parallel`); the last sends one message.
fn chain(levels: usize, times: usize, block: &str, leaf: &str) -> String {
    let mut text = String::from("devices:\n  l: { kind: hue_light, latency: 0ms }\nroutines:\n");
    for i in 0..levels {
        let _ = writeln!(text, "  r{i}:\n    {block}:");
        for _ in 0..times {
            let _ = writeln!(text, "      - run: r{}", i + 1);
        }
    }
    let _ = writeln!(text, "  r{levels}: {leaf}");
    text
}

fn bomb(block: &str) -> String {
    chain(40, 2, block, "{ device: l, message: SWITCH_ON }") + "program: { run: r0 }\n"
}

const BOMB_DIAGNOSTIC: &str = "\
iotrun::too_large

  × the program expands to 1,099,511,627,776 messages (the limit is 10,000,000), most of them
  │ through `r0` -> `r1` -> `r2` -> `r3` -> `r4` -> `r5` -> … (34 more) -> `r40`
     ╭─[program.yaml:165:12]
 164 │   r40: { device: l, message: SWITCH_ON }
 165 │ program: { run: r0 }
     ·            ─┬─
     ·             ╰── runs `r0`: 1,099,511,627,776 messages
     ╰────
  help: every `run` repeats the whole routine, so routines that run others several times multiply;
        run them fewer times

  ☞ runs `r1`: 549,755,813,888 messages
   ╭─[program.yaml:6:9]
 5 │     sequence:
 6 │       - run: r1
   ·         ───
 7 │       - run: r1
   ╰────

  ☞ runs `r2`: 274,877,906,944 messages
    ╭─[program.yaml:10:9]
  9 │     sequence:
 10 │       - run: r2
    ·         ───
 11 │       - run: r2
    ╰────

program.yaml: 1 error, 0 warnings
";

/// The repro: 40 routines that each run the next twice once
/// passed `check` as "1099511627776 messages" and then ran for ever.
#[test]
fn a_sequence_bomb_is_too_large_for_check() {
    Test::new()
        .program(&bomb("sequence"))
        .args(["check", "program.yaml"])
        .status(1)
        .stderr(BOMB_DIAGNOSTIC)
        .run();
}

/// A `parallel` bomb once grew to 3.9 GB and aborted; `run` now refuses it
/// before connecting anything.
#[test]
fn a_parallel_bomb_is_refused_by_run_before_connecting() {
    Test::new()
        .program(&bomb("parallel"))
        .args(["run", "--virtual-time", "program.yaml"])
        .status(1)
        .stdout("")
        .stderr(&BOMB_DIAGNOSTIC.replace("    sequence:", "    parallel:"))
        .run();
}

/// Ten million messages, the documented floor, pass; one more does not.
#[test]
fn ten_million_messages_pass_and_one_more_does_not() {
    let seven = chain(7, 10, "parallel", "{ device: l, message: SWITCH_ON }");
    Test::new()
        .program(&(seven.clone() + "program: { run: r0 }\n"))
        .args(["check", "program.yaml"])
        .stdout("program.yaml: 1 device, 10000000 messages, 0 s\n")
        .run();
    let one_more = seven + "program:\n  - run: r0\n  - { device: l, message: SWITCH_OFF }\n";
    let run = Test::new()
        .program(&one_more)
        .args(["check", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert_eq!(lines[0]["code"], "iotrun::too_large");
    assert_eq!(
        lines[0]["message"],
        "the program expands to 10,000,001 messages (the limit is 10,000,000), \
         most of them through `r0` -> `r1` -> `r2` -> `r3` -> `r4` -> `r5` -> `r6` -> `r7`"
    );
}

/// Few messages but a hundred million delays: the node limit.
#[test]
fn many_nodes_without_messages_are_too_large() {
    let text = chain(8, 10, "sequence", "{ delay: 0ms }")
        + "program:\n  - { device: l, message: SWITCH_ON }\n  - run: r0\n";
    let run = Test::new()
        .program(&text)
        .args(["check", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    let lines = run.json_lines();
    assert_eq!(lines[0]["code"], "iotrun::too_large", "{}", run.stderr);
    assert_eq!(
        lines[0]["message"],
        "the program expands to 222,222,224 nodes (the limit is 50,000,000), \
         most of them through `r0` -> `r1` -> `r2` -> `r3` -> `r4` -> `r5` -> … (2 more) -> `r8`"
    );
}

/// A run estimated at more than a year is a mistake, not a plan; the
/// estimate is in days, never in a 20-digit number of seconds.
#[test]
fn a_program_longer_than_a_year_is_too_large() {
    let text = chain(6, 10, "sequence", "{ delay: 1m }")
        + "program:\n  - { device: l, message: SWITCH_ON }\n  - run: r0\n";
    Test::new()
        .program(&text)
        .args(["check", "program.yaml"])
        .status(1)
        .stderr(
            "\
iotrun::too_large

  × the program takes more than 694 days (the limit is 365 days), most of it through `r0` -> `r1`
  │ -> `r2` -> `r3` -> `r4` -> `r5` -> `r6`
    ╭─[program.yaml:79:5]
 78 │   - { device: l, message: SWITCH_ON }
 79 │   - run: r0
    ·     ─┬─
    ·      ╰── runs `r0`: more than 694 days
    ╰────
  help: a run is estimated with every `run` expanded and no fault; shorten the delays or run the
        routines fewer times

  ☞ runs `r1`: more than 69 days
   ╭─[program.yaml:6:9]
 5 │     sequence:
 6 │       - run: r1
   ·         ───
 7 │       - run: r1
   ╰────

  ☞ runs `r2`: more than 6 days
    ╭─[program.yaml:18:9]
 17 │     sequence:
 18 │       - run: r2
    ·         ───
 19 │       - run: r2
    ╰────

program.yaml: 1 error, 0 warnings
",
        )
        .run();
}
