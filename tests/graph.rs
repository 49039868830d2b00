//! `iotrun graph`: the program tree as Mermaid and Graphviz DOT.

mod common;

use common::{Test, root};

fn wake_up() -> String {
    std::fs::read_to_string(root().join("programs/wake_up.yaml")).expect("wake_up.yaml")
}

#[test]
fn mermaid_draws_sequence_parallel_and_routines() {
    Test::new()
        .program(&wake_up())
        .args(["graph", "program.yaml"])
        .stdout(include_str!("fixtures/wake_up.mmd"))
        .stderr("")
        .run();
}

/// Mermaid flowchart syntax, line by line: a header, then node
/// definitions, edges between defined nodes, and balanced subgraphs.
#[test]
fn mermaid_follows_flowchart_syntax_for_every_program() {
    for entry in std::fs::read_dir(root().join("programs")).expect("programs/") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue; // `programs/mqtt/`, tested on its own
        }
        let run = Test::new()
            .args(["graph", &path.display().to_string()])
            .run();
        let mut lines = run.stdout.lines();
        assert_eq!(lines.next(), Some("flowchart TD"), "{}", path.display());
        let mut defined = std::collections::HashSet::new();
        let mut open = 0i32;
        for line in lines {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("subgraph ") {
                let (id, title) = rest.split_once(' ').expect("subgraph id and title");
                assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{line}");
                assert!(title.starts_with("[\"") && title.ends_with("\"]"), "{line}");
                open += 1;
            } else if line == "end" {
                open -= 1;
                assert!(open >= 0, "unbalanced end in {}", path.display());
            } else if let Some((from, to)) = line.split_once(" --> ") {
                assert!(
                    defined.contains(from) && defined.contains(to),
                    "edge {line}"
                );
            } else {
                let id: String = line
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                let shape = &line[id.len()..];
                assert!(
                    // `[/"` is a wait's parallelogram.
                    ["[\"", "((\"", "{{\"", "([\"", "[/\""]
                        .iter()
                        .any(|open| shape.starts_with(open)),
                    "node {line}"
                );
                let (first, last) = (shape.find('"'), shape.rfind('"'));
                if let (Some(first), Some(last)) = (first, last) {
                    assert!(
                        !shape[first + 1..last].contains('"'),
                        "a quote inside {line}"
                    );
                }
                assert_ne!(id, "end", "`end` is a Mermaid keyword");
                defined.insert(id);
            }
        }
        assert_eq!(open, 0, "unbalanced subgraphs in {}", path.display());
    }
}

/// Graphviz renders the DOT output of every program. `.ci/run` installs
/// Graphviz; where `dot` is missing, the test says so and passes.
#[test]
fn graphviz_renders_every_program() {
    if std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("skipped: Graphviz's `dot` is not installed");
        return;
    }
    for entry in std::fs::read_dir(root().join("programs")).expect("programs/") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue; // `programs/mqtt/`, tested on its own
        }
        let run = Test::new()
            .args(["graph", "--format", "dot", &path.display().to_string()])
            .run();
        let mut dot = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start dot");
        use std::io::Write;
        dot.stdin
            .take()
            .expect("stdin")
            .write_all(run.stdout.as_bytes())
            .expect("write DOT");
        let output = dot.wait_with_output().expect("dot");
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
    }
}

#[test]
fn an_invalid_program_is_not_drawn() {
    let run = Test::new()
        .program("devices: {}\nprogram: [ { device: ghost, message: OPEN } ]\n")
        .args(["graph", "program.yaml"])
        .stdout("")
        .status(1)
        .run();
    assert!(
        run.stderr.contains("iotrun::unknown_device"),
        "{}",
        run.stderr
    );
}
