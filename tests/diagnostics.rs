//! One test per diagnostic code: a program in, the whole rendered diagnostic
//! (no colour) and the exit status out.

mod common;

use common::Test;

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
