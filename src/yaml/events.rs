//! The common case, built straight from the parser's events: a program with
//! no anchors, aliases, merge keys or tags, one document, within the parse
//! limits. Going through serde builds the same tree several times slower
//! (every node wrapped in a `Spanned`, every mapping buffered for merges
//! and duplicate keys), so this is the path nearly every file takes.
//!
//! Anything else (a YAML syntax error included) is `None`, and
//! [`super::parse`] leaves the file to serde-saphyr, which gives the tree
//! or the diagnostic: so no rule and no message of the YAML reader is
//! written twice. The tree is the same either way, spans included (the
//! tests compare the two on every program and fixture).

use granit_parser::{Event, Parser, ScalarStyle};

use super::{MAX_EVENTS, MAX_NODES, MAX_YAML_DEPTH, Value, Yaml};
use crate::diagnostic::Span;

/// A collection still open: its start's span, and what it holds so far.
enum Open<'s> {
    Seq(Span, Vec<Yaml<'s>>),
    /// The entries, and a key waiting for its value.
    Map(Span, Vec<(Yaml<'s>, Yaml<'s>)>, Option<Yaml<'s>>),
}

/// Room left under serde-saphyr's budgets, so that a file near one of them
/// is counted by the reader that reports it.
const MARGIN: usize = 1024;

/// The tree of `text`, or `None` when serde-saphyr must read it.
pub fn tree(text: &str) -> Option<Yaml<'_>> {
    // The reader's options as serde-saphyr sets them from the budget.
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_YAML_DEPTH,
        block_nesting_limit: granit_parser::Options::default()
            .block_nesting_limit
            .max(MAX_YAML_DEPTH + 1),
        emit_comments: false,
    };
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    let mut documents = 0;
    let (mut events, mut nodes) = (0usize, 0usize);
    while let Some(next) = parser.next_event() {
        let (event, at) = next.ok()?;
        events += 1;
        let start = at.start.byte_offset()?;
        let span = Span::new(start, at.end.byte_offset()?.checked_sub(start)?);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {
                continue;
            }
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                nodes += 1;
                Yaml {
                    span,
                    value: scalar(text, style)?,
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                // Deep files go the long way, where the depth is counted.
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_YAML_DEPTH / 2 {
                    return None;
                }
                nodes += 1;
                stack.push(match event {
                    Event::SequenceStart(..) => Open::Seq(span, Vec::new()),
                    _ => Open::Map(span, Vec::new(), None),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                Open::Seq(span, items) => Yaml {
                    span,
                    value: Value::Seq(items),
                },
                // A mapping's entries are few and large; room for the four
                // a first push makes would be half of a big program's tree.
                Open::Map(span, mut entries, None) => Yaml {
                    span,
                    value: Value::Map({
                        entries.shrink_to_fit();
                        entries
                    }),
                },
                Open::Map(_, _, Some(_)) => return None,
            },
            // Aliases, and whatever else the reader may say.
            _ => return None,
        };
        if events > MAX_EVENTS - MARGIN || nodes > MAX_NODES - MARGIN {
            return None;
        }
        match stack.last_mut() {
            None if root.is_none() => root = Some(node),
            None => return None,
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, key)) => match key.take() {
                Some(key) => entries.push((key, node)),
                None => *key = Some(node),
            },
        }
    }
    // A document that is only a null is serde-saphyr's to word.
    root.filter(|root| !matches!(root.value, Value::Null) && stack.is_empty())
}

/// A scalar typed as serde-saphyr types it (YAML 1.2 core schema, strict
/// booleans, `.nan` and `.inf` as text). Quoted and block scalars are text;
/// a plain one is null, a boolean, text, or, when it may be a number, typed
/// by serde-saphyr itself. `None` for a merge key (`<<`).
fn scalar(text: std::borrow::Cow<'_, str>, style: ScalarStyle) -> Option<Value<'_>> {
    if !matches!(style, ScalarStyle::Plain) {
        return Some(Value::Str(text));
    }
    Some(match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "<<" => return None,
        number if may_be_number(number) => super::plain_scalar(number)?,
        _ => Value::Str(text),
    })
}

/// Whether a plain scalar could be read as a number: a sign, a digit or a
/// point first, then nothing but digits of some radix, points, signs and
/// underscores (`0ms` is text; `42`, `-1.5e3`, `0x1F` and `1_000` may not
/// be), or letters too after a point (`.inf`, `+.inf` and `.nan` are text,
/// as serde-saphyr spells them). Such a text read alone as YAML is that
/// one scalar again (no `:`, no space, and not the document end `...`),
/// which is how [`super::plain_scalar`] types it.
fn may_be_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    match unsigned.bytes().next() {
        Some(b'.') => {
            text != "..."
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b))
        }
        Some(first) if first.is_ascii_digit() => text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b"xXoO_.+-".contains(&b)),
        _ => false,
    }
}
