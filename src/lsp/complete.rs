//! Completion that knows the file: device names after `device:`, only the
//! message types the device's kind accepts after `message:`, routine names
//! after `run:`, kinds (built-in and declared) after `kind:`, and node keys
//! where a node goes.

use lsp_types::{CompletionItem, CompletionItemKind, Position};

use super::document::{Document, is_word, run_start};
use crate::message::MessageType;

/// The keys a node may have.
const NODE_KEYS: [&str; 11] = [
    "device",
    "message",
    "data",
    "delay",
    "wait",
    "sequence",
    "parallel",
    "run",
    "timeout",
    "retry",
    "continue_on_error",
];

pub fn complete(document: &Document, at: Position) -> Vec<CompletionItem> {
    let line = document.line(at.line as usize);
    let cursor = document.offset(at) - document.line_start(at.line as usize);
    let before = &line[..cursor.min(line.len())];
    // The word being typed, and what comes before it.
    let word_start = run_start(before, is_word);
    let head = before[..word_start].trim_end();
    let Some(program) = &document.program else {
        return Vec::new();
    };
    let item = |label: &str, kind: CompletionItemKind, detail: Option<String>| CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    };
    let kinds = || document.kinds();
    match value_of(head) {
        Some("device") => program
            .devices
            .iter()
            .map(|d| {
                let kind = d.kind.as_ref().map(|k| k.value.clone());
                item(&d.name.value, CompletionItemKind::VARIABLE, kind)
            })
            .collect(),
        Some("run") => program
            .routines
            .iter()
            .map(|r| item(&r.name.value, CompletionItemKind::FUNCTION, None))
            .collect(),
        Some("kind") => kinds()
            .iter()
            .map(|k| item(&k.name, CompletionItemKind::CLASS, Some(k.display.clone())))
            .collect(),
        Some("message") => {
            let device = device_near(document, at.line as usize);
            let kind = device.and_then(|name| {
                let device = program.devices.iter().find(|d| d.name.value == name)?;
                let kind = device.kind.as_ref()?;
                kinds().into_iter().find(|k| k.name == kind.value)
            });
            let accepted: Vec<MessageType> = match &kind {
                Some(kind) => kind.accepts.clone(),
                None => MessageType::ALL.to_vec(),
            };
            accepted
                .iter()
                .map(|m| {
                    let detail = kind.as_ref().map(|k| format!("accepted by {}", k.name));
                    item(m.name(), CompletionItemKind::ENUM_MEMBER, detail)
                })
                .collect()
        }
        Some(_) => Vec::new(),
        // Where a key goes: a node's keys.
        None if head.is_empty()
            || head.ends_with('-')
            || head.ends_with('{')
            || head.ends_with(',') =>
        {
            NODE_KEYS
                .iter()
                .map(|key| item(key, CompletionItemKind::PROPERTY, None))
                .collect()
        }
        None => Vec::new(),
    }
}

/// The key whose value is being typed: `device` for `- { device: `.
fn value_of(head: &str) -> Option<&str> {
    let key = head.strip_suffix(':')?;
    Some(&key[run_start(key, |c| c.is_alphanumeric() || c == '_')..])
}

/// The device named by the node on `line`: on the line itself (a flow
/// mapping, or a block key), or on the lines of the same block mapping.
fn device_near(document: &Document, line: usize) -> Option<String> {
    let on = |text: &str| -> Option<String> {
        let at = text.find("device:")?;
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let rest = text[at + "device:".len()..].trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        (!name.is_empty()).then_some(name)
    };
    if let Some(name) = on(document.line(line)) {
        return Some(name);
    }
    let indent = |text: &str| text.len() - text.trim_start_matches([' ', '-']).len();
    let own = indent(document.line(line));
    let same = |text: &str| !text.trim().is_empty() && indent(text) == own;
    // Up to the item's start (`- `), then down to its end.
    let mut up = line;
    while up > 0 {
        up -= 1;
        let text = document.line(up);
        if !same(text) {
            break;
        }
        if let Some(name) = on(text) {
            return Some(name);
        }
        if text.trim_start().starts_with('-') {
            break;
        }
    }
    for down in line + 1..document.lines() {
        let text = document.line(down);
        if !same(text) || text.trim_start().starts_with('-') {
            break;
        }
        if let Some(name) = on(text) {
            return Some(name);
        }
    }
    None
}
