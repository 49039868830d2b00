//! Quick fixes: every "did you mean `X`?" replaces the token with `X`;
//! an unused device or routine can be removed.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, Range, TextEdit, Uri, WorkspaceEdit};

use super::diagnostics::{convert, meant};
use super::document::Document;
use crate::diagnostic::Code;

pub fn actions(document: &Document, uri: &Uri, range: Range) -> Vec<CodeAction> {
    let start = document.offset(range.start);
    let end = document.offset(range.end);
    let mut actions = Vec::new();
    for diagnostic in &document.diagnostics {
        let Some(label) = diagnostic.primary() else {
            continue;
        };
        let span = label.span;
        // Diagnostics that touch the range asked about.
        if span.offset > end || span.offset + span.len < start {
            continue;
        }
        let edit = |title: String, range: Range, new_text: String| CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![convert(document, uri, diagnostic)]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(
                    uri.clone(),
                    vec![TextEdit { range, new_text }],
                )])),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        };
        if let Some(meant) = diagnostic.help.as_deref().and_then(meant) {
            actions.push(edit(
                format!("Change to `{meant}`"),
                document.range(span),
                meant.to_string(),
            ));
        }
        if matches!(diagnostic.code, Code::UnusedDevice | Code::UnusedRoutine)
            && let Some(lines) = definition_lines(document, span.offset)
        {
            let what = if diagnostic.code == Code::UnusedDevice {
                "device"
            } else {
                "routine"
            };
            let name = document
                .text
                .get(span.offset..span.offset + span.len)
                .unwrap_or("");
            actions.push(edit(
                format!("Remove the unused {what} `{name}`"),
                lines,
                String::new(),
            ));
        }
    }
    actions
}

/// The lines of the definition whose name starts at `offset`: its own line
/// and the more indented ones after it. `None` when the name does not start
/// its line (a flow mapping), where lines cannot simply be removed.
fn definition_lines(document: &Document, offset: usize) -> Option<Range> {
    let first = document.position(offset).line as usize;
    let text = document.line(first);
    let indent = text.len() - text.trim_start().len();
    if document.line_start(first) + indent != offset {
        return None;
    }
    let mut last = first + 1;
    while last < document.lines() {
        let line = document.line(last);
        let deeper = line.trim().is_empty() || line.len() - line.trim_start().len() > indent;
        if !deeper || (line.trim().is_empty() && last + 1 == document.lines()) {
            break;
        }
        last += 1;
    }
    Some(Range::new(
        lsp_types::Position::new(first as u32, 0),
        lsp_types::Position::new(last as u32, 0),
    ))
}
