//! An open document: its text, where its lines start, and what its last
//! parse said, with LSP positions (lines, and UTF-16 code units within a
//! line, as the protocol counts) turned into byte offsets and back.

use lsp_types::{Position, Range};

use crate::ast::Program;
use crate::diagnostic::{Diagnostic, Span};
use crate::source::Source;

pub struct Document {
    pub text: String,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
    /// Whether the file is an iotrun program at all: other YAML is left
    /// alone.
    pub served: bool,
    /// The diagnostics of `iotrun check` for this text.
    pub diagnostics: Vec<Diagnostic>,
    /// The file's devices, routines and kinds as far as they parse; kept
    /// from the last text that parsed while the user is mid-edit.
    pub program: Option<Program>,
    /// Whether `program` was parsed from this very text (its spans are this
    /// text's), not kept from an earlier one.
    pub fresh: bool,
    /// The checked plan, when the text is a valid program.
    pub plan: Option<crate::plan::Plan>,
}

impl Document {
    pub fn new(text: String, previous: Option<Program>) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        let served = is_program(&text);
        let (diagnostics, program, fresh, plan) = if served {
            let source = Source::new("program.yaml", text.as_str());
            let (loaded, program) = crate::analyse(&source);
            let fresh = program.is_some();
            (loaded.diagnostics, program.or(previous), fresh, loaded.plan)
        } else {
            (Vec::new(), None, false, None)
        };
        Document {
            text,
            starts,
            served,
            diagnostics,
            program,
            fresh,
            plan,
        }
    }

    /// The built-in kinds and those the file declares.
    pub fn kinds(&self) -> Vec<crate::device::Kind> {
        let mut kinds = crate::device::Kind::builtins();
        if let Some(program) = &self.program {
            kinds.extend(program.kinds.iter().filter_map(|k| k.kind.clone()));
        }
        kinds
    }

    /// The byte offset of an LSP position, clamped to its line.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line = &self.text[start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let mut units = 0;
        for (at, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + at;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }

    /// The LSP position of a byte offset (inside a character: its start).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let character = self.text[self.starts[line]..offset].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(
            self.position(span.offset),
            self.position(span.offset + span.len),
        )
    }

    /// The text of line `line` (0-based), without its line break.
    pub fn line(&self, line: usize) -> &str {
        let Some(&start) = self.starts.get(line) else {
            return "";
        };
        let rest = &self.text[start..];
        let text = &rest[..rest.find('\n').unwrap_or(rest.len())];
        text.strip_suffix('\r').unwrap_or(text)
    }

    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.text.len())
    }
}

/// Where the run of characters that `keep` holds at the end of `text`
/// starts: just past the last character it does not hold (a byte offset on
/// a character boundary, whatever that character's width).
pub fn run_start(text: &str, keep: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .rev()
        .find(|&(_, c)| !keep(c))
        .map_or(0, |(at, c)| at + c.len_utf8())
}

/// The characters of a name (a device's, a routine's, a message type's).
pub fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// A YAML file is a program when its first comment names the program
/// schema, or its top level has both `devices` and `program`.
pub fn is_program(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_comment = text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with('#'));
    if first_comment.is_some_and(|c| c.contains("$schema") && c.contains("program.schema.json")) {
        return true;
    }
    let top = |key: &str| {
        text.lines().any(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        })
    };
    top("devices") && top("program")
}
