//! Parse + check: any bytes, as a program file, must give a plan or
//! diagnostics, never a panic, a stack overflow or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The binary reads files as UTF-8 and reports anything else; lossy
    // conversion keeps the fuzzer's invalid bytes useful as text.
    let text = String::from_utf8_lossy(data);
    let source = iotrun::source::Source::new("program.yaml", text.as_ref());
    // The fast reader's tree, when it builds one, is serde-saphyr's.
    assert!(iotrun::yaml::readers_agree(&source), "the readers differ");
    let loaded = iotrun::load(&source);
    if let Some(plan) = &loaded.plan {
        // The estimate is what `check` prints; it must not overflow.
        let _ = plan.estimate();
    }
});
