//! Hover, go to definition, find references and rename, for the names a
//! program defines (devices, routines, kinds) and the message types.

use std::collections::HashMap;

use lsp_types::{
    Hover, HoverContents, Location, MarkupContent, MarkupKind, Position, TextEdit, Uri,
    WorkspaceEdit,
};

use super::document::{Document, is_word, run_start};
use crate::diagnostic::Span;
use crate::message::MessageType;

/// What a name at the cursor is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Name {
    Device,
    Routine,
    Kind,
}

/// The word at `at` and where it is.
fn word(document: &Document, at: Position) -> Option<(String, Span)> {
    let offset = document.offset(at);
    let text = &document.text;
    let start = run_start(&text[..offset], is_word);
    let end = text[offset..]
        .find(|c: char| !is_word(c))
        .map_or(text.len(), |at| offset + at);
    (start < end).then(|| (text[start..end].to_string(), Span::new(start, end - start)))
}

/// The key a value at `offset` belongs to on its line (`device` for
/// `device: hall`), if any.
fn key_before(document: &Document, offset: usize) -> Option<&str> {
    let line_start = document.text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let line = &document.text[line_start..offset];
    // Not in a comment, nor inside a quoted string.
    if line.trim_start().starts_with('#')
        || line.contains(" #")
        || line.matches('"').count() % 2 == 1
    {
        return None;
    }
    let head = line.trim_end().strip_suffix(':')?;
    Some(&head[run_start(head, |c| c.is_alphanumeric() || c == '_')..])
}

/// Where `name` of this sort is defined: only from a parse of the text as
/// it stands, whose spans are its own.
fn definition(document: &Document, sort: Name, name: &str) -> Option<Span> {
    let program = document.program.as_ref().filter(|_| document.fresh)?;
    match sort {
        Name::Device => program
            .devices
            .iter()
            .find(|d| d.name.value == name)
            .map(|d| d.name.span),
        Name::Routine => program
            .routines
            .iter()
            .find(|r| r.name.value == name)
            .map(|r| r.name.span),
        Name::Kind => program
            .kinds
            .iter()
            .find(|k| k.name.value == name)
            .map(|k| k.name.span),
    }
}

/// What the word at `at` names, and the name.
fn named(document: &Document, at: Position) -> Option<(Name, String, Span)> {
    let (word, span) = word(document, at)?;
    let sort = match key_before(document, span.offset) {
        Some("device") => Name::Device,
        Some("run") => Name::Routine,
        Some("kind") => Name::Kind,
        _ => [Name::Device, Name::Routine, Name::Kind]
            .into_iter()
            .find(|&sort| definition(document, sort, &word) == Some(span))?,
    };
    Some((sort, word, span))
}

/// The definition and every use of the name at `at`.
fn occurrences(document: &Document, at: Position) -> Vec<Span> {
    let Some((sort, name, _)) = named(document, at) else {
        return Vec::new();
    };
    let key = match sort {
        Name::Device => "device",
        Name::Routine => "run",
        Name::Kind => "kind",
    };
    let mut spans: Vec<Span> = definition(document, sort, &name).into_iter().collect();
    for (offset, _) in document.text.match_indices(name.as_str()) {
        let end = offset + name.len();
        let whole = !document.text[..offset].ends_with(is_word)
            && !document.text[end..].starts_with(is_word);
        if whole && key_before(document, offset) == Some(key) {
            spans.push(Span::new(offset, name.len()));
        }
    }
    spans.sort_by_key(|s| s.offset);
    spans.dedup_by_key(|s| s.offset);
    spans
}

pub fn definition_at(document: &Document, uri: &Uri, at: Position) -> Option<Location> {
    let (sort, name, _) = named(document, at)?;
    let span = definition(document, sort, &name)?;
    Some(Location::new(uri.clone(), document.range(span)))
}

pub fn references(document: &Document, uri: &Uri, at: Position) -> Vec<Location> {
    occurrences(document, at)
        .into_iter()
        .map(|span| Location::new(uri.clone(), document.range(span)))
        .collect()
}

/// The rename's edits; `Err` with the reason when `to` cannot be the name.
pub fn rename(
    document: &Document,
    uri: &Uri,
    at: Position,
    to: &str,
) -> Result<Option<WorkspaceEdit>, String> {
    if let Some((sort, _, _)) = named(document, at) {
        let starts_well = to
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_');
        if !starts_well || !to.chars().all(is_word) {
            return Err(format!(
                "`{to}` is not a valid name: a letter or `_` first, then letters, digits, `_` or `-`"
            ));
        }
        if definition(document, sort, to).is_some() {
            return Err(format!("`{to}` is already defined"));
        }
    }
    let edits: Vec<TextEdit> = occurrences(document, at)
        .into_iter()
        .map(|span| TextEdit::new(document.range(span), to.to_string()))
        .collect();
    Ok((!edits.is_empty()).then(|| WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }))
}

pub fn hover(document: &Document, at: Position) -> Option<Hover> {
    let (word, span) = word(document, at)?;
    let kinds = document.kinds();
    let text = if let Some(message) = MessageType::from_name(&word) {
        let accepting: Vec<String> = kinds
            .iter()
            .filter(|k| k.accepts(message))
            .map(|k| format!("`{}`", k.name))
            .collect();
        let data = match message.data_rule() {
            crate::message::DataRule::Colour => "\n\n`data`: a colour, `\"#RRGGBB\"`",
            crate::message::DataRule::Song => "\n\n`data`: a song title",
            crate::message::DataRule::Ignored => "",
        };
        format!(
            "**{}**: a message type, accepted by {}{data}",
            message.name(),
            if accepting.is_empty() {
                "no kind here".to_string()
            } else {
                accepting.join(", ")
            }
        )
    } else if key_before(document, span.offset) == Some("run") {
        let plan = document.plan.as_ref()?;
        let index = plan.routine_names.iter().position(|n| *n == word)?;
        let cost = plan.cost().routines.get(index).copied()?;
        format!(
            "**routine `{word}`**: {} messages, about {} when run",
            crate::diagnostic::thousands(cost.messages),
            crate::duration::display(cost.duration)
        )
    } else if let Some(kind) = kinds.iter().find(|k| k.name == word) {
        format!(
            "```\n{}```",
            crate::catalogue::render(
                std::slice::from_ref(kind),
                None,
                crate::report::Format::Human
            )
        )
    } else {
        return None;
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(document.range(span)),
    })
}
