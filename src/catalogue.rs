//! What iotrun knows, for people and tools: the device kinds with their
//! messages (`iotrun devices`) and the JSON Schema of the format
//! (`iotrun schema`).

use serde::Serialize;

use crate::device::Kind;
use crate::message::DataRule;
use crate::report::Format;

/// The JSON Schema of the program format, as shipped in `schema/`.
pub const SCHEMA: &str = include_str!("../schema/program.schema.json");

#[derive(Serialize)]
struct KindEntry {
    kind: String,
    display: String,
    messages: Vec<MessageEntry>,
}

#[derive(Serialize)]
struct MessageEntry {
    message: &'static str,
    /// `colour`, `song` or `none`.
    data: &'static str,
}

fn entries() -> Vec<KindEntry> {
    Kind::builtins()
        .into_iter()
        .map(|kind| KindEntry {
            messages: kind
                .accepts
                .iter()
                .map(|message| MessageEntry {
                    message: message.name(),
                    data: match message.data_rule() {
                        DataRule::Colour => "colour",
                        DataRule::Song => "song",
                        DataRule::Ignored => "none",
                    },
                })
                .collect(),
            kind: kind.name,
            display: kind.display,
        })
        .collect()
}

/// The device catalogue, for `iotrun devices`.
pub fn render(format: Format) -> String {
    let entries = entries();
    match format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&entries).unwrap_or_default();
            json.push('\n');
            json
        }
        Format::Human => {
            let mut text = String::new();
            for entry in &entries {
                text.push_str(&format!("{} ({})\n", entry.kind, entry.display));
                for message in &entry.messages {
                    let data = match message.data {
                        "colour" => "data: a colour, \"#RRGGBB\"",
                        "song" => "data: a song title",
                        _ => "",
                    };
                    let line = format!("  {:<14}{data}", message.message);
                    text.push_str(line.trim_end());
                    text.push('\n');
                }
            }
            text
        }
    }
}
