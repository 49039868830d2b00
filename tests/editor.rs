//! `iotrun lsp` in a real editor: Neovim's built-in LSP client, headless,
//! driven by `tests/editor/neovim.lua`. Without Neovim this says so and
//! passes on a developer's machine; with `CI` set it fails (`.ci/run`
//! installs Debian's neovim, 0.7.2).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{BIN, TempDir, root};
use serde_json::Value;

fn neovim() -> bool {
    if Command::new("nvim").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Neovim is needed for the editor test in CI (.ci/run installs it)"
    );
    eprintln!("skipped: no Neovim (apt-get install neovim)");
    false
}

#[test]
fn neovim_shows_checks_diagnostics_completes_and_fixes() {
    if !neovim() {
        return;
    }
    // Neovim reads files as text: the UTF-8 ones.
    let files: Vec<PathBuf> = common::program_files()
        .into_iter()
        .filter(|path| std::fs::read(path).is_ok_and(|b| String::from_utf8(b).is_ok()))
        .collect();
    let dir = TempDir::new();
    let typed = dir.path().join("typed.yaml");
    std::fs::write(
        &typed,
        "devices:\n  hall: { kind: hue_light }\n  loo: { kind: smart_toilet }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n  - { device: loo, message: FLUSH }\n",
    )
    .expect("write");
    let out = dir.path().join("out.json");
    let list: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let status = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-c"])
        .arg(format!(
            "luafile {}",
            root().join("tests/editor/neovim.lua").display()
        ))
        .env("IOTRUN", BIN)
        .env("OUT", &out)
        .env("FILES", list.join("\n"))
        .env("TYPED", &typed)
        .current_dir(dir.path())
        .output()
        .expect("nvim");
    let report = std::fs::read_to_string(&out).unwrap_or_else(|_| {
        panic!(
            "Neovim wrote no report: {}{}",
            String::from_utf8_lossy(&status.stdout),
            String::from_utf8_lossy(&status.stderr)
        )
    });
    let report: Value = serde_json::from_str(&report).expect("JSON");

    // Typing `message: FLUSH` on a light, before saving.
    let typed = &report["typed"];
    assert_eq!(typed.as_array().map(Vec::len), Some(1), "{typed}");
    assert_eq!(typed[0]["code"], "iotrun::unsupported_message");
    assert_eq!(
        typed[0]["message"],
        "`hall` is a hue_light, which does not accept FLUSH"
    );
    assert_eq!(
        (&typed[0]["lnum"], &typed[0]["col"], &typed[0]["end_col"]),
        (&Value::from(4), &Value::from(29), &Value::from(34))
    );
    // Only what a light accepts after `message:`.
    assert_eq!(
        report["completion"],
        serde_json::json!(["SWITCH_ON", "SWITCH_OFF", "CHANGE_COLOR"])
    );
    // The quick fix, applied by Neovim.
    assert_eq!(report["action"], "Change to `SWITCH_ON`");
    assert_eq!(
        report["fixed_line"],
        "  - { device: hall, message: SWITCH_ON }"
    );

    // Every program and hostile file: check's diagnostics, as Neovim got them.
    let mut compared = 0;
    for entry in report["files"].as_array().expect("files") {
        let path = entry["file"].as_str().expect("file");
        let text = std::fs::read_to_string(path).expect("read");
        let served = entry["published"] == true;
        if path.contains("/programs/") {
            assert!(served, "{path} got no diagnostics");
        }
        if !served {
            continue;
        }
        let got: Vec<String> = entry["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| {
                let (line, units) = (&d["line"], &d["character"]);
                let (line, units) = (line.as_u64().unwrap_or(0), units.as_u64().unwrap_or(0));
                common::lsp_shown(&text, &d["code"], &d["message"], line, units)
            })
            .collect();
        assert_eq!(got, common::checked(&text), "{path}");
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} files compared");
}
