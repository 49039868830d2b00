//! A program file as read from disk: its name as the user gave it, its text,
//! and a sparse line index so spans can be turned into line numbers.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};

/// The largest program file iotrun reads (a program of several million
/// messages fits).
pub const MAX_FILE: u64 = 512 << 20;

/// The text of one program file.
#[derive(Debug)]
pub struct Source {
    /// The path exactly as the user gave it; diagnostics print it unchanged.
    pub name: String,
    pub text: String,
    /// Where the file stops being UTF-8, if it does; `text` then holds only
    /// the valid prefix, and parsing reports the file as no YAML.
    pub invalid_utf8_at: Option<usize>,
    /// `text` with control and invisible characters replaced byte for byte
    /// (by `?`), for showing in a terminal: a hostile file must not send
    /// escape sequences through a diagnostic, nor reorder its snippet. `None` when `text` has none (the usual case).
    display: Option<String>,
    lines: crate::lines::Lines,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let lines = crate::lines::Lines::new(&text);
        // Byte by byte for ASCII text (nearly every file), char by char
        // only when there is more.
        let has_control = text
            .bytes()
            .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
            || (!text.is_ascii() && text.chars().any(is_control));
        let display = has_control.then(|| {
            let mut shown = String::with_capacity(text.len());
            for c in text.chars() {
                if is_control(c) {
                    // As many `?` as the character has bytes: offsets stay.
                    shown.extend(std::iter::repeat_n('?', c.len_utf8()));
                } else {
                    shown.push(c);
                }
            }
            shown
        });
        Source {
            name: name.into(),
            text,
            invalid_utf8_at: None,
            display,
            lines,
        }
    }

    /// Reads a file. A file that cannot be read is an `iotrun::io` error
    /// (exit 2). A file that is not UTF-8 text is read all the same: it is
    /// no YAML, and the parser says so, pointing at the first bad byte.
    pub fn read(path: &Path) -> Result<Self, Diagnostic> {
        let name = path.display().to_string();
        let cannot = |what: String| {
            Diagnostic::new(
                Code::Io,
                format!("cannot read `{}`: {what}", crate::text::escaped(&name)),
            )
        };
        if path.is_dir() {
            return Err(cannot("it is a folder".to_string()));
        }
        // Read at most one byte past the limit, so that `/dev/zero` or a
        // runaway generator ends in a diagnostic, not in exhausted memory.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_FILE + 1).read_to_end(&mut bytes))
            .map_err(|err| cannot(io_reason(&err)))?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(cannot(format!("it is larger than {} MiB", MAX_FILE >> 20)));
        }
        Ok(match String::from_utf8(bytes) {
            Ok(text) => Source::new(name, text),
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let mut bytes = err.into_bytes();
                bytes.truncate(at);
                let text = String::from_utf8(bytes).unwrap_or_default();
                let mut source = Source::new(name, text);
                source.invalid_utf8_at = Some(at);
                source
            }
        })
    }

    /// The text as it may be shown on a terminal, at the same byte offsets.
    pub fn display_text(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.text)
    }

    /// The byte offset of a 1-based line and character column, clamped to
    /// the text.
    pub fn offset_of(&self, line: u64, column: u64) -> usize {
        let line = usize::try_from(line.max(1) - 1).unwrap_or(usize::MAX);
        let Some(start) = self.line_start(line) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let end = rest.find('\n').unwrap_or(rest.len());
        let column = (column.max(1) - 1) as usize;
        start
            + rest[..end]
                .char_indices()
                .nth(column)
                .map_or(end, |(i, _)| i)
    }

    /// Where 0-based line `line` starts, if the text has it.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.lines.line_start(&self.text, line)
    }

    /// The 1-based line and 1-based column, in Unicode characters, of byte
    /// `offset`.
    pub fn position(&self, offset: usize) -> (u32, usize) {
        let line = self.line_of(offset);
        let start = self.line_start(line as usize - 1).unwrap_or(0);
        let column = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(0, |before| before.chars().count());
        (line, column + 1)
    }

    /// The 1-based line that holds byte `offset`.
    pub fn line_of(&self, offset: usize) -> u32 {
        u32::try_from(self.lines.line_of(&self.text, offset)).unwrap_or(u32::MAX)
    }
}

/// Characters a snippet must not show raw: control characters (C0, DEL and
/// C1) other than line breaks and tabs, and invisible ones (bidi overrides,
/// zero-width characters) that would reorder or hide what the user reads.
fn is_control(c: char) -> bool {
    crate::text::is_unsafe(c) && !matches!(c, '\t' | '\n' | '\r')
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => err.to_string(),
    }
}

/// Expands the paths given to `iotrun check`, in order: a folder stands for
/// every `*.yaml` / `*.yml` file in it (not recursive), in name order. A
/// folder that cannot be listed, or holds no program, is an `iotrun::io`
/// error in its place.
pub fn expand_paths(paths: &[PathBuf]) -> Vec<Result<PathBuf, (String, Diagnostic)>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(Ok(path.clone()));
            continue;
        }
        let name = path.display().to_string();
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(err) => {
                let message = format!(
                    "cannot read `{}`: {}",
                    crate::text::escaped(&name),
                    io_reason(&err)
                );
                files.push(Err((name, Diagnostic::new(Code::Io, message))));
                continue;
            }
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|p| p.is_file() && is_program_name(p))
            .collect();
        if found.is_empty() {
            let message = format!(
                "`{}` holds no `*.yaml` or `*.yml` files",
                crate::text::escaped(&name)
            );
            files.push(Err((name, Diagnostic::new(Code::Io, message))));
        }
        found.sort();
        files.extend(found.into_iter().map(Ok));
    }
    files
}

fn is_program_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_not_shown() {
        let source = Source::new("x", "\u{7f}E\u{1b}[31m\tb\u{9b}2J\n");
        assert_eq!(source.display_text(), "?E?[31m\tb??2J\n");
        assert_eq!(source.text, "\u{7f}E\u{1b}[31m\tb\u{9b}2J\n");
    }
}
