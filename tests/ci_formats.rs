//! Diagnostics CI can show inline: line and column in JSON, GitHub Actions
//! workflow commands, and a SARIF 2.1.0 log.

mod common;

use common::{Test, root};

fn broken() -> String {
    std::fs::read_to_string(root().join("tests/fixtures/broken.yaml")).expect("fixture")
}

/// After two `€` (three bytes each), a column counts characters.
const MULTIBYTE: &str = "devices:\n  s: { kind: smart_speaker }\nprogram:\n  - { device: s, message: PLAY_SONG, data: \"€€\", typo: 1 }\n";

#[test]
fn json_labels_carry_line_and_column_in_characters() {
    let run = Test::new()
        .program(MULTIBYTE)
        .args(["check", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    let reports = run.json_lines();
    assert_eq!(reports.len(), 1, "{}", run.stdout);
    let label = &reports[0]["labels"][0];
    assert_eq!(label["line"], 4);
    // `  - { device: s, message: PLAY_SONG, data: "€€", ` is 49 characters
    // (and 53 bytes).
    assert_eq!(label["column"], 50);
    assert_eq!(
        label["span"]["offset"],
        MULTIBYTE.find("typo").expect("typo")
    );
}

#[test]
fn github_format_prints_workflow_commands() {
    Test::new()
        .file("broken.yaml", broken())
        .file(
            "warn.yaml",
            "devices:\n  l: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON, data: \"50%, then: more\" } ]\n",
        )
        .args(["check", "--format", "github", "broken.yaml", "warn.yaml"])
        .stdout(
            "\
::error file=broken.yaml,line=6,col=5,endLine=6,endColumn=11,title=iotrun%3A%3Aunknown_key::a node has no key `paralel`%0Ahelp: did you mean `parallel`?
::error file=broken.yaml,line=8,col=16,endLine=8,endColumn=20,title=iotrun%3A%3Ainvalid_duration::`10 ms` is not a duration%0Ahelp: did you mean `10ms`? a duration is a number and a unit (`ms`, `s` or `m`) with nothing between, such as `250ms`, `1.5s` or `2m`
::warning file=warn.yaml,line=3,col=51,endLine=3,endColumn=67,title=iotrun%3A%3Aunused_data::SWITCH_ON ignores `data`%0Ahelp: remove `data`
",
        )
        .stderr("")
        .status(1)
        .run();
}

#[test]
fn sarif_format_writes_one_log() {
    let run = Test::new()
        .file("broken.yaml", broken())
        .file("multi.yaml", MULTIBYTE)
        .file(
            "good.yaml",
            "devices:\n  l: { kind: hue_light }\nprogram: [ { device: l, message: SWITCH_ON } ]\n",
        )
        .args([
            "check",
            "--format",
            "sarif",
            "broken.yaml",
            "multi.yaml",
            "good.yaml",
            "missing.yaml",
        ])
        .stderr("")
        .status(2)
        .run();
    let log: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    assert_eq!(run0["tool"]["driver"]["name"], "iotrun");
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    for code in [
        "iotrun::unknown_key",
        "iotrun::invalid_duration",
        "iotrun::io",
        "iotrun::unused_data",
    ] {
        assert!(ids.contains(&code), "{code} is a rule");
    }
    assert!(
        rules
            .iter()
            .all(|r| r["shortDescription"]["text"].is_string())
    );
    let results = run0["results"].as_array().expect("results");
    let summary: Vec<(String, String, String, i64, i64, i64, i64)> = results
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            let region = &location["region"];
            (
                r["ruleId"].as_str().unwrap_or("").to_string(),
                r["level"].as_str().unwrap_or("").to_string(),
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                region["startLine"].as_i64().unwrap_or(0),
                region["startColumn"].as_i64().unwrap_or(0),
                region["endLine"].as_i64().unwrap_or(0),
                region["endColumn"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let row = |code: &str, level: &str, file: &str, l, c, el, ec| {
        (
            code.to_string(),
            level.to_string(),
            file.to_string(),
            l,
            c,
            el,
            ec,
        )
    };
    assert_eq!(
        summary,
        [
            row("iotrun::unknown_key", "error", "broken.yaml", 6, 5, 6, 12),
            row(
                "iotrun::invalid_duration",
                "error",
                "broken.yaml",
                8,
                16,
                8,
                21
            ),
            row("iotrun::unknown_key", "error", "multi.yaml", 4, 50, 4, 54),
            // A file that cannot be read has no region.
            row("iotrun::io", "error", "missing.yaml", 0, 0, 0, 0),
        ]
    );
    assert_eq!(
        results[0]["message"]["text"],
        "a node has no key `paralel`\nhelp: did you mean `parallel`?"
    );
}
