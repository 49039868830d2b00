//! `iotrun lsp` in a real editor: Neovim's built-in LSP client, headless,
//! driven by `tests/editor/neovim.lua`. Without Neovim this says so and
//! passes on a developer's machine; with `CI` set it fails (`.ci/run`
//! installs Debian's neovim, 0.7.2).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{BIN, TempDir, Test, root};
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

/// `check --format json`'s diagnostics of `text`, as `code message
/// line:column` (1-based, columns in characters).
fn checked(text: &str) -> Vec<String> {
    let run = Test::new()
        .file("program.yaml", text)
        .args(["check", "--format", "json", "program.yaml"])
        .run_any_status();
    run.stdout
        .lines()
        .chain(run.stderr.lines())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|d| d.get("code").is_some())
        .map(|d| {
            let label = &d["labels"][0];
            format!(
                "{} {} {}:{}",
                d["code"],
                d["message"],
                label["line"].as_u64().unwrap_or(1),
                label["column"].as_u64().unwrap_or(1)
            )
        })
        .collect()
}

#[test]
fn neovim_shows_checks_diagnostics_completes_and_fixes() {
    if !neovim() {
        return;
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in [
        "programs",
        "programs/mqtt",
        "tests/fixtures",
        "fuzz/regressions/check",
    ] {
        for entry in std::fs::read_dir(root().join(folder))
            .expect("folder")
            .flatten()
        {
            let path = entry.path();
            let utf8 = std::fs::read(&path).is_ok_and(|b| String::from_utf8(b).is_ok());
            if path.is_file() && utf8 {
                files.push(path);
            }
        }
    }
    files.sort();
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
                let line = d["line"].as_u64().unwrap_or(0) as usize;
                let units = d["character"].as_u64().unwrap_or(0) as usize;
                let line_text = text.lines().nth(line).unwrap_or("");
                let mut seen = 0;
                let chars = line_text
                    .chars()
                    .take_while(|c| {
                        seen += c.len_utf16();
                        seen <= units
                    })
                    .count();
                format!("{} {} {}:{}", d["code"], d["message"], line + 1, chars + 1)
            })
            .collect();
        assert_eq!(got, checked(&text), "{path}");
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} files compared");
}
