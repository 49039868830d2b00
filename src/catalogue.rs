//! What iotrun knows, for people and tools: the device kinds with their
//! messages (`iotrun devices`) and the JSON Schema of the format
//! (`iotrun schema`).

use serde::Serialize;

use crate::device::{Kind, Payload};
use crate::message::DataRule;
use crate::report::Format;

/// The JSON Schema of the program format, as shipped in `schema/`.
pub const SCHEMA: &str = include_str!("../schema/program.schema.json");

#[derive(Serialize)]
struct KindEntry {
    kind: String,
    display: String,
    /// The program file that declares it; absent for a built-in kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    declared_in: Option<String>,
    messages: Vec<MessageEntry>,
}

#[derive(Serialize)]
struct MessageEntry {
    message: &'static str,
    /// `colour`, `song`, `any` (the payload uses it) or `none`.
    data: &'static str,
    /// The command payload: a JSON value, or text sent as it is.
    payload: serde_json::Value,
    /// The kind sets it, rather than the format's table.
    #[serde(skip)]
    own_payload: bool,
}

fn entries(kinds: &[Kind], file: Option<&str>) -> Vec<KindEntry> {
    let builtins = Kind::builtins();
    kinds
        .iter()
        .map(|kind| KindEntry {
            messages: kind
                .accepts
                .iter()
                .map(|&message| {
                    let payload = kind.payload(message);
                    MessageEntry {
                        message: message.name(),
                        data: match message.data_rule() {
                            DataRule::Colour => "colour",
                            DataRule::Song => "song",
                            DataRule::Ignored if payload.uses_data() => "any",
                            DataRule::Ignored => "none",
                        },
                        own_payload: kind.payloads.iter().any(|(m, _)| *m == message),
                        payload: match payload {
                            Payload::Json(value) => value,
                            Payload::Text(text) => serde_json::Value::String(text),
                        },
                    }
                })
                .collect(),
            declared_in: (!builtins.contains(kind))
                .then(|| file.map(str::to_string))
                .flatten(),
            kind: kind.name.clone(),
            display: kind.display.clone(),
        })
        .collect()
}

/// The device catalogue, for `iotrun devices [FILE]`: the built-in kinds,
/// then those `file` declares.
pub fn render(kinds: &[Kind], file: Option<&str>, format: Format) -> String {
    let entries = entries(kinds, file);
    match format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&entries).unwrap_or_default();
            json.push('\n');
            json
        }
        Format::Human => {
            let mut text = String::new();
            for entry in &entries {
                match &entry.declared_in {
                    Some(file) => text.push_str(&format!(
                        "{} ({}, declared in {file})\n",
                        entry.kind, entry.display
                    )),
                    None => text.push_str(&format!("{} ({})\n", entry.kind, entry.display)),
                }
                for message in &entry.messages {
                    let mut parts: Vec<String> = Vec::new();
                    match message.data {
                        "colour" => parts.push("data: a colour, \"#RRGGBB\"".to_string()),
                        "song" => parts.push("data: a song title".to_string()),
                        "any" => parts.push("data: any, sent in the payload".to_string()),
                        _ => {}
                    }
                    // Built-in kinds send the format's table; only a
                    // declared kind's own payloads are worth a line.
                    if message.own_payload {
                        parts.push(format!("payload: {}", message.payload));
                    }
                    let line = format!("  {:<14}{}", message.message, parts.join("; "));
                    text.push_str(line.trim_end());
                    text.push('\n');
                }
            }
            // Display names, payloads and the file's name are the file's
            // text: nothing raw reaches the terminal.
            text.lines()
                .map(|line| crate::text::escaped(line) + "\n")
                .collect()
        }
    }
}
