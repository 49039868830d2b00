//! `iotrun lsp` driven over its stdin and stdout by a small JSON-RPC client
//! written here: the protocol's details (framing, UTF-16 positions,
//! multi-byte text, documents closed while open), diagnostics that are
//! those of `iotrun check --format json`, completion, quick fixes, hover
//! and navigation. A real editor drives it in `tests/editor.rs`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::BIN;
use serde_json::{Value, json};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    /// Notifications that arrived while waiting for a response.
    held: std::collections::VecDeque<Value>,
    next_id: u64,
}

fn read_message(out: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok();
        }
    }
    let mut body = vec![0; length?];
    out.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(BIN)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("iotrun lsp");
        let stdin = child.stdin.take().expect("stdin");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(message) = read_message(&mut out) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            held: std::collections::VecDeque::new(),
            next_id: 1,
        };
        let init = client.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        assert_eq!(init["capabilities"]["textDocumentSync"], 1, "{init}");
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message from the server, within a bound.
    fn next(&mut self) -> Value {
        if let Some(held) = self.held.pop_front() {
            return held;
        }
        self.messages
            .recv_timeout(Duration::from_secs(20))
            .expect("a message from iotrun lsp")
    }

    /// Sends a request and returns its result; notifications that arrive
    /// first are kept for later.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .expect("a response from iotrun lsp");
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{message}");
                return message["result"].clone();
            }
            self.held.push_back(message);
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: u32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let message = self.next();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }

    fn stop(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("exit status");
        assert!(status.success(), "{status:?}");
    }
}

const LIGHT: &str = "devices:\n  hall: { kind: hue_light }\n  speaker: { kind: smart_speaker }\nprogram:\n  - { device: hall, message: FLUSH }\n  - { device: speaker, message: PLAY_SONG, data: \"Blue\" }\n";

/// Typing `message: FLUSH` on a light: `iotrun::unsupported_message` on
/// the token, before anything is saved.
#[test]
fn a_message_the_light_does_not_accept_is_flagged_on_the_token() {
    let mut client = Client::start();
    let uri = "file:///tmp/home.yaml";
    client.open(uri, &LIGHT.replace("FLUSH", "SWITCH_ON"));
    assert_eq!(client.diagnostics(uri), Vec::<Value>::new());
    client.change(uri, 2, LIGHT);
    let diagnostics = client.diagnostics(uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "iotrun::unsupported_message");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "iotrun");
    assert_eq!(
        d["message"],
        "`hall` is a hue_light, which does not accept FLUSH"
    );
    assert_eq!(
        d["range"],
        json!({"start": {"line": 4, "character": 29}, "end": {"line": 4, "character": 34}})
    );
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .is_some_and(|href| href.ends_with("docs/format.md#codes")),
        "{d}"
    );
    client.stop();
}

#[test]
fn completion_after_message_offers_only_what_the_kind_accepts() {
    let mut client = Client::start();
    let uri = "file:///tmp/c.yaml";
    let text = "devices:\n  hall: { kind: hue_light }\n  loo: { kind: smart_toilet }\nroutines:\n  morning:\n    - device: loo\n      message: FLUSH\nprogram:\n  - { device: hall, message:  }\n  - device: loo\n    message: \n  - run: \n";
    client.open(uri, text);
    let labels = |result: Value| -> Vec<String> {
        result
            .as_array()
            .expect("a list")
            .iter()
            .map(|i| i["label"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let at = |line: u32, character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    assert_eq!(
        labels(client.request("textDocument/completion", at(8, 29))),
        ["SWITCH_ON", "SWITCH_OFF", "CHANGE_COLOR"]
    );
    assert_eq!(
        labels(client.request("textDocument/completion", at(10, 13))),
        ["OPEN", "CLOSE", "FLUSH", "CLEAN"]
    );
    assert_eq!(
        labels(client.request("textDocument/completion", at(11, 9))),
        ["morning"]
    );
    assert_eq!(
        labels(client.request("textDocument/completion", at(8, 14))),
        ["hall", "loo"]
    );
    // After `kind:`, the built-in kinds and the declared ones.
    client.change(
        uri,
        2,
        &format!("kinds:\n  blinds:\n    display: Blinds\n    accepts: [OPEN, CLOSE]\n{text}")
            .replace("loo: { kind: smart_toilet }", "loo: { kind:  }"),
    );
    assert_eq!(
        labels(client.request("textDocument/completion", at(6, 15))),
        ["hue_light", "smart_speaker", "smart_toilet", "blinds"]
    );
    // Where a node goes, the node keys.
    let keys = labels(client.request("textDocument/completion", at(12, 6)));
    assert!(
        [
            "device", "message", "delay", "wait", "parallel", "run", "retry"
        ]
        .iter()
        .all(|k| keys.contains(&k.to_string())),
        "{keys:?}"
    );
    client.stop();
}

#[test]
fn did_you_mean_is_a_quick_fix_and_unused_definitions_can_go() {
    let mut client = Client::start();
    let uri = "file:///tmp/q.yaml";
    let text = "devices:\n  hall: { kind: hue_light }\n  spare:\n    kind: hue_light\nprogram:\n  - { device: hall, message: SWITCH_OM }\n";
    client.open(uri, text);
    let diagnostics = client.diagnostics(uri);
    assert_eq!(diagnostics[0]["code"], "iotrun::unknown_message");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 5, "character": 30}, "end": {"line": 5, "character": 30}}, "context": {"diagnostics": []}}),
    );
    assert_eq!(actions[0]["title"], "Change to `SWITCH_ON`");
    assert_eq!(
        actions[0]["edit"]["changes"][uri],
        json!([{"range": {"start": {"line": 5, "character": 29}, "end": {"line": 5, "character": 38}}, "newText": "SWITCH_ON"}])
    );
    // Fixed, the spare light is a warning that offers to remove it.
    client.change(uri, 2, &text.replace("SWITCH_OM", "SWITCH_ON"));
    let diagnostics = client.diagnostics(uri);
    assert_eq!(diagnostics[0]["code"], "iotrun::unused_device");
    assert_eq!(diagnostics[0]["severity"], 2);
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 2, "character": 3}, "end": {"line": 2, "character": 3}}, "context": {"diagnostics": []}}),
    );
    assert_eq!(actions[0]["title"], "Remove the unused device `spare`");
    assert_eq!(
        actions[0]["edit"]["changes"][uri],
        json!([{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 4, "character": 0}}, "newText": ""}])
    );
    client.stop();
}

/// Positions count UTF-16 code units: a line with `日本` (one unit each) and
/// `🎵` (two) before the token.
#[test]
fn positions_are_utf16_after_multibyte_text() {
    let mut client = Client::start();
    let uri = "file:///tmp/u.yaml";
    let text = "devices:\n  hall: { kind: hue_light }\nprogram:\n  - { device: hall, message: PLAY_SONG, data: \"日本🎵\", retry: { attempts: 0 } }\n";
    client.open(uri, text);
    let diagnostics = client.diagnostics(uri);
    let expected = common::check_json(text);
    assert_eq!(diagnostics.len(), expected.len(), "{diagnostics:?}");
    let attempts = diagnostics
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.contains("attempt")))
        .expect("the attempts diagnostic");
    // `data: "日本🎵", retry: { attempts: 0 }`: the 0 is at byte 88, but at
    // UTF-16 unit 81.
    let line = text.lines().nth(3).expect("line 4");
    let byte = line.find("attempts: 0").expect("attempts") + "attempts: ".len();
    let units = line[..byte].encode_utf16().count() as u64;
    assert_ne!(byte as u64, units);
    assert_eq!(
        attempts["range"]["start"],
        json!({"line": 3, "character": units})
    );
    client.stop();
}

/// Other YAML is left alone; a document closed (or deleted) while open has
/// its diagnostics cleared.
#[test]
fn other_yaml_is_left_alone_and_closing_clears_diagnostics() {
    let mut client = Client::start();
    client.open(
        "file:///tmp/compose.yaml",
        "services:\n  web: { image: nginx }\n",
    );
    let uri = "file:///tmp/p.yaml";
    client.open(uri, "devices:\n  hall: { kind: hue_lite }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n");
    // The first diagnostics to arrive are the program's, not compose's.
    let mut first = client.next();
    while first["method"] != "textDocument/publishDiagnostics" {
        first = client.next();
    }
    assert_eq!(first["params"]["uri"], uri);
    assert_eq!(
        first["params"]["diagnostics"][0]["code"],
        "iotrun::unknown_kind"
    );
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(client.diagnostics(uri), Vec::<Value>::new());
    client.stop();
}

#[test]
fn hover_definition_references_and_rename_know_the_names() {
    let mut client = Client::start();
    let uri = "file:///tmp/n.yaml";
    let text = "devices:\n  hall: { kind: hue_light }\nroutines:\n  morning:\n    - { device: hall, message: SWITCH_ON }\n    - delay: 2s\nprogram:\n  - run: morning\n  - { device: hall, message: SWITCH_OFF }\n";
    client.open(uri, text);
    let at = |line: u32, character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    let hover = client.request("textDocument/hover", at(7, 10));
    let shown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(
        shown.contains("routine `morning`")
            && shown.contains("1 messages")
            && shown.contains("about 2.5s"),
        "{hover}"
    );
    let hover = client.request("textDocument/hover", at(8, 32));
    let shown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(
        shown.starts_with("**SWITCH_OFF**") && shown.contains("`hue_light`"),
        "{hover}"
    );
    let definition = client.request("textDocument/definition", at(8, 15));
    assert_eq!(
        definition["range"]["start"],
        json!({"line": 1, "character": 2})
    );
    let mut references = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 3}, "context": {"includeDeclaration": true}}),
    );
    let lines: Vec<u64> = references
        .as_array_mut()
        .expect("locations")
        .iter()
        .map(|l| l["range"]["start"]["line"].as_u64().unwrap_or(99))
        .collect();
    assert_eq!(lines, [1, 4, 8]);
    let edit = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": {"line": 7, "character": 10}, "newName": "wake"}),
    );
    let edits = edit["changes"][uri].as_array().expect("edits");
    assert_eq!(edits.len(), 2);
    assert!(edits.iter().all(|e| e["newText"] == "wake"));
    client.stop();
}

/// Every program and every fuzz regression: the diagnostics of `iotrun
/// check --format json`, code, message, severity and where.
#[test]
fn diagnostics_are_those_of_check_on_every_program_and_hostile_file() {
    let files = common::program_files();
    let mut client = Client::start();
    for (n, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path).expect("read");
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let uri = format!("file:///tmp/regression-{n}.yaml");
        client.open(&uri, &text);
        // Files that are no program get no diagnostics at all: a request
        // answered with none published before it.
        let _ = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
        );
        let published = client
            .held
            .iter()
            .any(|m| m["params"]["uri"] == uri.as_str());
        let served = text.lines().any(|l| l.starts_with("devices:"))
            && text.lines().any(|l| l.starts_with("program:"));
        assert_eq!(published, served, "{}", path.display());
        if !served {
            continue;
        }
        let got: Vec<String> = client
            .diagnostics(&uri)
            .iter()
            .map(|d| {
                let start = &d["range"]["start"];
                let line = start["line"].as_u64().unwrap_or(0);
                let units = start["character"].as_u64().unwrap_or(0);
                common::lsp_shown(&text, &d["code"], &d["message"], line, units)
            })
            .collect();
        let want = common::checked(&text);
        assert_eq!(got, want, "{}", path.display());
    }
    client.stop();
}

/// `exit` without `shutdown` is exit status 1, as the protocol asks.
#[test]
fn exit_without_shutdown_is_status_1() {
    let mut client = Client::start();
    client.notify("exit", Value::Null);
    let status = client.child.wait().expect("exit status");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn lsp_help_names_the_command() {
    let out = Command::new(BIN)
        .args(["lsp", "--help"])
        .output()
        .expect("help");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Language Server Protocol"));
}

/// Found by a review: a word after a multi-byte character (an emoji in a
/// comment, `«`, a no-break space) once killed the server.
#[test]
fn words_after_multibyte_characters_are_answered() {
    let mut client = Client::start();
    let uri = "file:///tmp/m.yaml";
    let text = "# 🎉x\ndevices:\n  hall: { kind: hue_light }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n  - { «device: hall }\n  -\u{a0}x\n";
    client.open(uri, text);
    for (line, character) in [(0, 4), (0, 3), (5, 14), (5, 6), (6, 4)] {
        let at = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        for method in [
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/definition",
        ] {
            let _ = client.request(method, at.clone());
        }
        let _ = client.request(
            "textDocument/references",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}, "context": {"includeDeclaration": true}}),
        );
    }
    client.stop();
}

/// A document that stops being a program loses iotrun's diagnostics; a
/// program behind a byte-order mark is still served.
#[test]
fn diagnostics_go_when_a_file_stops_being_a_program_and_a_bom_is_no_obstacle() {
    let mut client = Client::start();
    let uri = "file:///tmp/b.yaml";
    let text = "\u{feff}devices:\n  hall: { kind: hue_light }\nprogram:\n  - { device: hal, message: SWITCH_ON }\n";
    client.open(uri, text);
    let diagnostics = client.diagnostics(uri);
    assert_eq!(diagnostics[0]["code"], "iotrun::unknown_device");
    client.change(uri, 2, "");
    assert_eq!(client.diagnostics(uri), Vec::<Value>::new());
    client.stop();
}

/// Rename and references see only real `device:` values, never a comment
/// or a string; a rename to a name that cannot be one is refused, and so is
/// navigation by the spans of an older text while the file does not parse.
#[test]
fn rename_is_careful() {
    let mut client = Client::start();
    let uri = "file:///tmp/r.yaml";
    let text = "devices:\n  hall: { kind: hue_light }\n  hallway: { kind: hue_light }\nprogram:\n  # device: hall is the comment\n  - { device: hall, message: PLAY_SONG, data: \"device: hall\" }\n  - { device: hallway, message: SWITCH_ON }\n";
    client.open(uri, text);
    let rename = |to: &str| json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 3}, "newName": to});
    let edit = client.request("textDocument/rename", rename("lobby"));
    let lines: Vec<u64> = edit["changes"][uri]
        .as_array()
        .expect("edits")
        .iter()
        .map(|e| e["range"]["start"]["line"].as_u64().unwrap_or(99))
        .collect();
    assert_eq!(lines, [1, 5]);
    for bad in ["", "two words", "a:b", "hallway"] {
        let id = client.next_id;
        client.next_id += 1;
        client.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/rename", "params": rename(bad)}));
        let answer = loop {
            let message = client
                .messages
                .recv_timeout(Duration::from_secs(20))
                .expect("an answer");
            if message["id"] == id {
                break message;
            }
        };
        assert!(answer.get("error").is_some(), "{bad:?}: {answer}");
    }
    // Mid-edit, the file does not parse: no definition from the old spans.
    client.change(uri, 2, &format!("# one\n# two\n{text}  - {{ device: [\n"));
    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 7, "character": 15}}),
    );
    assert_eq!(definition, Value::Null);
    client.stop();
}
