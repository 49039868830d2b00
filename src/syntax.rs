//! YAML syntax errors in words a person understands. The YAML reader says
//! what it could not do ("mapping values are not allowed in this context");
//! for the common causes (indentation, a tab, an unquoted `: ` or ` #` in a
//! value, an unclosed quote or bracket) this says what is wrong, labelled
//! where the cause is, and what to do about it. Other errors keep the
//! reader's words.

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::source::Source;

/// The diagnostic for the reader's `message` at `span`.
pub fn translate(source: &Source, message: &str, span: Span) -> Diagnostic {
    let at = Line::at(source, span.offset);
    // Causes found on the line itself: a tab, a `: ` in a value, indentation.
    if message.contains("tabs disallowed") || message.contains("found a tab") {
        return tab(source, &at, span);
    }
    if message.contains("<document start>")
        && let Some(first) = (1..=at.number)
            .filter_map(|number| Line::number(source, number))
            .find(|line| !line.is_blank_or_comment())
        && first.indent() > 0
    {
        return if first.text.starts_with('\t') {
            tab(source, &first, span)
        } else {
            indentation(source, &first, "the file's first key is indented")
        };
    }
    if message.contains("mapping values are not allowed") {
        return match at.second_colon(span.offset) {
            Some(value) => colon_in_value(&at, value),
            None => indentation(
                source,
                &at,
                "this line is indented deeper than the key before it",
            ),
        };
    }
    if message.contains("did not find expected key")
        || message.contains("did not find expected '-' indicator")
    {
        return indentation(
            source,
            &at,
            "this line's indentation lines it up with no key or item above it",
        );
    }
    let diagnostic = if message.contains("unclosed quote") {
        Diagnostic::new(Code::Yaml, "this quote is never closed")
            .at(span, "opened here")
            .with_help(
                "end the text with the same quote; text that holds a `\"` can be quoted with `'` instead",
            )
    } else if let Some(bracket) = message
        .strip_prefix("unclosed bracket '")
        .and_then(|rest| rest.chars().next())
    {
        let close = if bracket == '[' { ']' } else { '}' };
        Diagnostic::new(Code::Yaml, format!("this `{bracket}` is never closed"))
            .at(span, "opened here")
            .with_help(format!("close it with `{close}`"))
    } else if message.contains("expected ',' or '}'") {
        Diagnostic::new(Code::Yaml, "a `,` or a `}` is missing here")
            .at(comma_point(source, span), "expected `,` or `}`")
            .with_help("separate the entries of a `{ ... }` mapping with `,` and close it with `}`")
    } else if message.contains("expected ',' or ']'") {
        Diagnostic::new(Code::Yaml, "a `,` or a `]` is missing here")
            .at(comma_point(source, span), "expected `,` or `]`")
            .with_help("separate the items of a `[ ... ]` list with `,` and close it with `]`")
    } else {
        Diagnostic::new(Code::Yaml, message).at(span, "here")
    };
    // A ` #` starts a comment even inside `{ ... }`: the rest of the line,
    // its closing bracket included, is gone, and the reader fails later.
    match comment_in_flow(source, span.offset) {
        Some(hash) => diagnostic.also(hash, "a comment starts here").with_help(
            "` #` starts a comment, which hides the rest of its line (a closing `}` or `]` too): quote a value that holds `#`, e.g. `data: \"Song #1\"`",
        ),
        None => diagnostic,
    }
}

/// One line of the file, without its line break.
struct Line<'a> {
    /// 1-based.
    number: u32,
    start: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    fn at(source: &'a Source, offset: usize) -> Self {
        let number = source.line_of(offset);
        Line::number(source, number).unwrap_or(Line {
            number,
            start: offset,
            text: "",
        })
    }

    fn number(source: &'a Source, number: u32) -> Option<Self> {
        let start = source.line_start(number.checked_sub(1)? as usize)?;
        let rest = source.text.get(start..)?;
        let text = &rest[..rest.find('\n').unwrap_or(rest.len())];
        Some(Line {
            number,
            start,
            text: text.strip_suffix('\r').unwrap_or(text),
        })
    }

    /// Spaces (and tabs) before the line's first character.
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches([' ', '\t']).len()
    }

    /// Where the line's first key starts, after its indentation and any
    /// `- ` item markers, and the key itself.
    fn key(&self) -> (usize, &'a str) {
        let mut at = self.indent();
        while let Some(rest) = self.text[at..].strip_prefix('-') {
            let spaces = rest.len() - rest.trim_start_matches(' ').len();
            if spaces == 0 {
                break;
            }
            at += 1 + spaces;
        }
        let rest = &self.text[at..];
        let end = rest.find(':').unwrap_or(rest.len());
        (at, rest[..end].trim_end())
    }

    /// Whether the line is a list item (`- ...`).
    fn is_item(&self) -> bool {
        let code = self.text.trim_start_matches([' ', '\t']);
        code == "-" || code.starts_with("- ")
    }

    fn is_blank_or_comment(&self) -> bool {
        let code = self.text.trim_start();
        code.is_empty() || code.starts_with('#')
    }

    /// With an error at `offset` on this line: the span of the value after
    /// the line's first `key: `, when that value holds another `: ` before
    /// `offset` (YAML's reading of `data: Queen: Bohemian Rhapsody`).
    fn second_colon(&self, offset: usize) -> Option<Span> {
        let (key_at, _) = self.key();
        let first = self.text[key_at..].find(": ")? + key_at;
        let value =
            first + 2 + self.text[first + 2..].len() - self.text[first + 2..].trim_start().len();
        let error = offset.checked_sub(self.start)?;
        let rest = self.text.get(value..)?.trim_end();
        (error >= value && (rest.contains(": ") || rest.ends_with(':')))
            .then(|| Span::new(self.start + value, rest.len()))
    }
}

fn tab(source: &Source, line: &Line, span: Span) -> Diagnostic {
    // The reader may stop at the end of the line before the tab's.
    let leading_tab = |line: &Line| {
        let indent = &line.text[..line.indent()];
        indent.find('\t').map(|at| Span::new(line.start + at, 1))
    };
    let tab = leading_tab(line)
        .or_else(|| Line::number(source, line.number + 1).and_then(|next| leading_tab(&next)))
        .or_else(|| line.text.find('\t').map(|at| Span::new(line.start + at, 1)))
        .unwrap_or(span);
    Diagnostic::new(Code::Yaml, "this line is indented with a tab")
        .at(tab, "a tab")
        .with_help("YAML indents with spaces only: replace the tab with spaces, lined up with the lines above")
}

fn colon_in_value(line: &Line, value: Span) -> Diagnostic {
    let (_, key) = line.key();
    let text = &line.text[value.offset - line.start..value.offset - line.start + value.len];
    let quoted = if text.contains('"') {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        format!("\"{text}\"")
    };
    Diagnostic::new(
        Code::Yaml,
        "this value holds `: `, which YAML reads as the start of another key",
    )
    .at(value, "a value with `: ` in it")
    .with_help(format!(
        "quote the value: `{}: {}`",
        crate::text::escaped(key.trim_start_matches('\u{feff}')),
        crate::text::escaped(&quoted)
    ))
}

/// A line indented so that it belongs to no mapping or list above it:
/// labelled on its indentation, with the key before it to line up with.
fn indentation(source: &Source, line: &Line, message: &str) -> Diagnostic {
    let indent = line.indent();
    let label = match indent {
        0 => "not indented".to_string(),
        1 => "indented 1 space".to_string(),
        n => format!("indented {n} spaces"),
    };
    let span = Span::new(line.start, indent.max(1).min(line.text.len().max(1)));
    let (_, key) = line.key();
    let lines_above = || {
        (1..line.number)
            .rev()
            .filter_map(|number| Line::number(source, number))
            .filter(|line| !line.is_blank_or_comment())
    };
    let help = if line.is_item() {
        // An item: its `-` lines up with the other items of its list.
        match lines_above().find(Line::is_item) {
            Some(item) => format!(
                "YAML reads structure from indentation, with spaces: start this item's `-` in the column of the other items of its list — the `-` on line {} is in column {}",
                item.number,
                item.indent() + 1
            ),
            None => "YAML reads structure from indentation: indent a list's items under the key that holds it, each `-` in the same column".to_string(),
        }
    } else {
        match lines_above().next() {
            Some(previous) => {
                let (column, above) = previous.key();
                format!(
                    "YAML reads structure from indentation, with spaces: start `{key}` in the column of the key it belongs beside — `{above}` on line {} starts in column {} — or, for a top-level key, in column 1",
                    previous.number,
                    column + 1
                )
            }
            None => "YAML reads structure from indentation: start top-level keys in column 1"
                .to_string(),
        }
    };
    Diagnostic::new(Code::Yaml, message)
        .at(span, label)
        .with_help(help)
}

/// Where a missing `,` belongs: the reader stops at the `:` of the key
/// after it (`{ device: s message: X }`), so before that key.
fn comma_point(source: &Source, span: Span) -> Span {
    let Some(before) = source.text.get(..span.offset) else {
        return span;
    };
    if !source.text[span.offset..].starts_with(':') {
        return span;
    }
    let word =
        before.trim_end_matches(|c: char| !c.is_whitespace() && !matches!(c, ',' | '{' | '['));
    let gap = word.trim_end_matches([' ', '\t']);
    if gap.len() == word.len() || gap.ends_with([',', '{', '[']) {
        return span;
    }
    Span::new(gap.len(), 0)
}

/// A ` #` outside quotes inside a `{` or `[`, in the text before `offset`
/// and on its line: the comment that hid a closing bracket.
fn comment_in_flow(source: &Source, offset: usize) -> Option<Span> {
    // Up to the end of the error's line: an unclosed `{` is reported where
    // it opens, before the comment that hid its `}`.
    let rest = source.text.get(offset..)?;
    let end = offset + rest.find('\n').unwrap_or(rest.len());
    let text = source.text.get(..end)?;
    // Look back a bounded way: a flow mapping is rarely long.
    let from = text.len().saturating_sub(4096);
    let from = (from..=text.len()).find(|&i| text.is_char_boundary(i))?;
    let window = &text[from..];
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut found = None;
    let mut previous = '\n';
    let mut in_comment = false;
    for (i, c) in window.char_indices() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
            }
            previous = c;
            continue;
        }
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth = depth.saturating_sub(1),
            (None, '#') if previous == ' ' || previous == '\t' => {
                in_comment = true;
                if depth > 0 {
                    found = Some(from + i);
                }
            }
            (None, '\n') => quote = None,
            _ => {}
        }
        previous = c;
    }
    found.map(|at| Span::new(at, 1))
}
