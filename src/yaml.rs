//! Source -> YAML tree. serde-saphyr parses the text into a small generic
//! tree in which every key and value keeps its byte span; `parse.rs` lowers
//! that tree to the AST by hand so it can report every structural error of a
//! file in one pass (serde's `deny_unknown_fields` would stop at the first).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{DuplicateKeyPolicy, Spanned};

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::source::Source;

mod events;

/// Deepest nesting of YAML collections a file may have. The parser descends
/// recursively, so this bounds the stack it needs; a deeper file is a clean
/// `iotrun::too_deep`, never a stack overflow.
pub const MAX_YAML_DEPTH: usize = 512;

/// Budgets against hostile input that still let a program of a few million
/// messages parse (each flow message `{device: d, message: M}` is 5 nodes and
/// about 7 events).
const MAX_NODES: usize = 25_000_000;
const MAX_EVENTS: usize = 40_000_000;
/// Aliases are replayed event by event; this bounds an alias bomb.
const MAX_REPLAYED_EVENTS: usize = 250_000;
/// All scalar text together: as much as the largest file iotrun reads, so
/// that a file within the documented size never trips a hidden, smaller limit.
const MAX_SCALAR_BYTES: usize = crate::source::MAX_FILE as usize;
/// Merge keys (`<<`), counted as expanded: a chain of merges counts each
/// link once per use. serde-saphyr's own default.
const MAX_MERGE_KEYS: usize = 10_000;
/// Distinct anchors and alias uses (serde-saphyr's defaults, named here so
/// the diagnostics and docs can say them).
const MAX_ALIASES: usize = 50_000;
const MAX_ANCHORS: usize = 50_000;
/// Bytes recorded for anchored values that aliases replay.
const MAX_ANCHOR_BYTES: usize = 64 << 20;

/// One YAML node with the bytes it came from. For an alias the span is the
/// alias itself, where the value is used.
#[derive(Debug, PartialEq)]
pub struct Yaml<'s> {
    pub span: Span,
    pub value: Value<'s>,
}

impl Yaml<'_> {
    fn owned(self) -> Yaml<'static> {
        Yaml {
            span: self.span,
            value: self.value.owned(),
        }
    }
}

/// Text is borrowed from the file where the reader can (a plain scalar
/// without escapes), so a big program's tree is not a copy of its text.
#[derive(Debug, PartialEq)]
pub enum Value<'s> {
    Null,
    Bool(bool),
    /// A number as YAML read it, spelled back as text.
    Number(String),
    Str(Cow<'s, str>),
    Seq(Vec<Yaml<'s>>),
    /// Entries in file order; duplicate keys are kept so the lowering can
    /// report them with both places.
    Map(Vec<(Yaml<'s>, Yaml<'s>)>),
}

impl Value<'_> {
    /// The same value owning all its text.
    fn owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(n),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Seq(items) => Value::Seq(items.into_iter().map(Yaml::owned).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.owned(), v.owned()))
                    .collect(),
            ),
        }
    }

    /// What a user would call this kind of value, for "expected X, found Y".
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::Str(_) => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses one YAML document. Syntax errors stop the file: there is no tree to
/// check after them.
pub fn parse(source: &Source) -> Result<Yaml<'_>, Diagnostic> {
    if let Some(at) = source.invalid_utf8_at {
        return Err(Diagnostic::new(
            Code::Yaml,
            format!("`{}` is not UTF-8 text (byte {at} is not)", source.name),
        )
        .at(Span::new(at, 0), "invalid UTF-8 starts here")
        .with_help("a program is a YAML text file; is this a binary file?"));
    }
    if let Some(tree) = events::tree(&source.text) {
        return Ok(tree);
    }
    read(source)
}

/// The file read through serde-saphyr: every YAML rule (anchors, aliases
/// and their budget, merge keys, tags, documents) and every syntax error.
/// [`events::tree`] takes the common case faster and leaves the rest here.
fn read(source: &Source) -> Result<Yaml<'_>, Diagnostic> {
    let result: Result<Option<Yaml<'_>>, serde_saphyr::Error> =
        serde_saphyr::from_str_with_options(&source.text, options());
    match result {
        Ok(Some(tree)) => Ok(tree),
        Ok(None) => Err(
            Diagnostic::new(Code::Yaml, "the file holds no YAML document")
                .at(Span::new(0, 0), "empty")
                .with_help("a program is a mapping with at least `devices` and `program`"),
        ),
        Err(err) => Err(syntax_error(source, &err)),
    }
}

/// The options every read goes through: strict booleans, duplicate keys
/// kept for the lowering to report, and the budgets.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        // `.nan` or `.inf` as a song title is text, not a reason to stop.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_YAML_DEPTH,
            flow_nesting_limit: MAX_YAML_DEPTH,
            max_nodes: MAX_NODES,
            max_events: MAX_EVENTS,
            max_documents: 1,
            max_recorded_anchor_events: MAX_REPLAYED_EVENTS,
            max_total_scalar_bytes: MAX_SCALAR_BYTES,
            max_merge_keys: MAX_MERGE_KEYS,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ANCHORS,
            max_recorded_anchor_bytes: MAX_ANCHOR_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
        },
    }
}

/// One plain scalar typed by serde-saphyr, for [`events::tree`]'s scalars
/// that may be numbers; `None` if it will not say.
fn plain_scalar(text: &str) -> Option<Value<'static>> {
    match serde_saphyr::from_str_with_options::<Option<Value<'_>>>(text, options()) {
        Ok(value) => Some(value.map_or(Value::Null, Value::owned)),
        Err(_) => None,
    }
}

fn thousands(n: usize) -> String {
    crate::diagnostic::thousands(n as u64)
}

fn syntax_error(source: &Source, err: &serde_saphyr::Error) -> Diagnostic {
    let err = err.without_snippet();
    // An error met while replaying an alias is wrapped; the location stays
    // the outer one (where the alias is used), the cause is the inner one.
    let cause = match err {
        serde_saphyr::Error::AliasError { error, .. } => error.without_snippet(),
        other => other,
    };
    let span = err
        .location()
        .map(|loc| {
            let span = loc.span();
            match span.byte_offset() {
                Some(offset) => Span::new(offset as usize, span.byte_len().unwrap_or(0) as usize),
                // Scanner errors carry only a line and a column.
                None => Span::new(source.offset_of(loc.line(), loc.column()), 0),
            }
        })
        .map(|span| Span::new(span.offset.min(source.text.len()), span.len))
        .unwrap_or_default();
    match cause {
        // Block nesting trips serde-saphyr's depth budget, flow nesting
        // (`[[[...]]]`) the parser's own recursion limit.
        serde_saphyr::Error::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => too_deep(span),
        other if other.to_string().contains("recursion limit exceeded") => too_deep(span),
        serde_saphyr::Error::Budget {
            breach: BudgetBreach::Documents { .. },
            ..
        }
        | serde_saphyr::Error::MultipleDocuments { .. } => {
            Diagnostic::new(Code::Yaml, "a program file holds one YAML document")
                .at(span, "a second document starts here")
                .with_help("put each program in a file of its own")
        }
        serde_saphyr::Error::Budget { breach, .. } => {
            // Each breach names its limit and number, so a user can tell
            // which one a file went past (and the docs list the same words).
            let what = match breach {
                BudgetBreach::Nodes { .. } => format!("more than {} YAML nodes", thousands(MAX_NODES)),
                BudgetBreach::Events { .. } => format!("more than {} YAML events", thousands(MAX_EVENTS)),
                BudgetBreach::Aliases { .. } => format!("more than {} aliases", thousands(MAX_ALIASES)),
                BudgetBreach::Anchors { .. } => format!("more than {} anchors", thousands(MAX_ANCHORS)),
                BudgetBreach::MergeKeys { .. } => format!(
                    "more than {} merge keys (`<<`), counting each merge of a merged value again",
                    thousands(MAX_MERGE_KEYS)
                ),
                BudgetBreach::ScalarBytes { .. } => format!(
                    "more than {} MiB of scalar text in all",
                    MAX_SCALAR_BYTES >> 20
                ),
                BudgetBreach::RecordedAnchorEvents { .. } => format!(
                    "anchored values of more than {} YAML events for aliases to replay",
                    thousands(MAX_REPLAYED_EVENTS)
                ),
                BudgetBreach::RecordedAnchorBytes { .. } => format!(
                    "anchored values of more than {} MiB for aliases to replay",
                    MAX_ANCHOR_BYTES >> 20
                ),
                BudgetBreach::AliasAnchorRatio { .. } => {
                    "far more aliases than anchors (more than 10 uses of each anchor on average)".to_string()
                }
                other => format!("{other:?}"),
            };
            Diagnostic::new(Code::Yaml, format!("the file goes past a parse limit: {what}"))
            .at(span, "limit reached here")
            .with_help("iotrun bounds YAML nodes, events and alias expansion so that no file can exhaust the machine; an alias that expands into a huge value is the usual cause")
        }
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => Diagnostic::new(
            Code::Yaml,
            "aliases in the file expand into too much",
        )
        .at(span, "limit reached here")
        .with_help("iotrun bounds alias expansion so that no file can exhaust the machine; use routines to reuse parts of a program"),
        // serde-saphyr words this for a Rust type's author; for a user it is
        // an alias inside the node its own anchor names (`&p {<<: *p}`).
        other if other.to_string().contains("recursive references require") => Diagnostic::new(
            Code::Yaml,
            "an alias is used inside the very node its anchor names",
        )
        .at(span, "alias of an enclosing anchor")
        .with_help("a value cannot contain itself: anchor a finished node and use its alias after it"),
        other => {
            let diagnostic = crate::syntax::translate(source, &first_line(&other.to_string()), span);
            if has_unquoted_colour(&source.text) {
                diagnostic.with_help(
                    "a value that starts with `#` is a comment in YAML, which can swallow a closing `}` or `]`: put colours in quotes, `data: \"#FF8800\"`",
                )
            } else {
                diagnostic
            }
        }
    }
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        format!("the file nests deeper than {MAX_YAML_DEPTH} levels"),
    )
    .at(span, "too deep here")
    .with_help("flatten the program, or move parts of it into routines")
}

/// serde-saphyr's messages may carry a location suffix or a snippet; the label
/// already shows where, so keep the first line.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("invalid YAML").trim();
    let line = match line.rfind(" at line ") {
        Some(at) if line[at..].contains("column") => &line[..at],
        _ => line,
    };
    crate::diagnostic::shown_up_to(line, 200)
}

impl<'de> Deserialize<'de> for Yaml<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value<'de>>::deserialize(deserializer)?;
        let span = spanned.referenced.span();
        Ok(Yaml {
            span: Span::new(
                span.byte_offset().unwrap_or(0) as usize,
                span.byte_len().unwrap_or(0) as usize,
            ),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value<'de>, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.to_string()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.to_string()))
    }

    fn visit_i128<E>(self, n: i128) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.to_string()))
    }

    fn visit_u128<E>(self, n: u128) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.to_string()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.to_string()))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(s)))
    }

    fn visit_bytes<E>(self, b: &[u8]) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(
            String::from_utf8_lossy(b).into_owned(),
        )))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}

/// Whether `text` has `data: #FF8800`, unquoted: YAML reads the colour as a
/// comment, which may swallow a closing `}` or `]`.
fn has_unquoted_colour(text: &str) -> bool {
    const KEY: &str = "data:";
    // Line by line, so that each byte is looked at a bounded number of times:
    // finding each match's line start and comment afresh was quadratic on one
    // long line with many keys.
    text.split('\n').any(|line| {
        // Anything after the first `#` of the line is a comment.
        let code = &line[..line.find('#').unwrap_or(line.len())];
        code.match_indices(KEY).any(|(at, _)| {
            // A key of its own (not `metadata:`).
            let own_key = code[..at]
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || c == '{' || c == ',');
            let after = &line[at + KEY.len()..];
            let rest = after.trim_start_matches([' ', '\t']);
            own_key
                && rest.len() < after.len()
                && rest
                    .strip_prefix('#')
                    .is_some_and(|hex| hex.bytes().take_while(u8::is_ascii_hexdigit).count() >= 3)
        })
    })
}

/// Whether the event-built tree of `source`, when there is one, is the one
/// serde-saphyr reads: for the tests and the fuzzer, which try it on every
/// input they have.
#[doc(hidden)]
pub fn readers_agree(source: &Source) -> bool {
    match events::tree(&source.text) {
        Some(fast) => read(source).is_ok_and(|slow| slow == fast),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agree(text: &str) {
        let source = Source::new("t.yaml", text);
        assert!(
            readers_agree(&source),
            "the readers differ on {text:?}:\nevents: {:#?}\nserde:  {:#?}",
            events::tree(text),
            read(&source).map_err(|d| d.message)
        );
    }

    #[test]
    fn both_readers_build_the_same_tree_for_every_program() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for folder in ["programs", "programs/mqtt", "tests/fixtures"] {
            for entry in std::fs::read_dir(root.join(folder)).expect("folder") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 10, "{files:?}");
        for path in files {
            let text = std::fs::read_to_string(&path).expect("read");
            assert!(
                events::tree(&text).is_some() || path.ends_with("broken.yaml"),
                "{} took the long way",
                path.display()
            );
            agree(&text);
        }
    }

    /// The fuzzers' findings and kept inputs, read both ways.
    #[test]
    fn both_readers_agree_on_the_fuzz_regressions() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions"),
            &mut files,
        );
        assert!(!files.is_empty());
        for path in files {
            let bytes = std::fs::read(&path).expect("read");
            agree(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn both_readers_type_scalars_alike() {
        let scalars = [
            "0",
            "42",
            "-7",
            "+3",
            "007",
            "0127",
            "-0127",
            "1_000",
            "0x1F",
            "0X1F",
            "0o17",
            "0O17",
            "0b101",
            "0B1",
            "1.5",
            "-1.5e3",
            ".5",
            "5.",
            "1e999",
            "-1e999",
            ".inf",
            "-.inf",
            "+.inf",
            ".Inf",
            ".nan",
            ".NaN",
            "-.nan",
            "1:30",
            "12:00:00",
            "2026-12-01",
            "1-2",
            "+",
            ".",
            "..",
            "0ms",
            "100ms",
            "1.5s",
            "e",
            "E5",
            "x1",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "null",
            "Null",
            "NULL",
            "~",
            "nul",
            "-",
            "--5",
            "+-5",
            "1+2",
            "0x",
            "0o",
            "0b",
            "1__0",
            "_1",
            "1_",
            "0xG",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999999999999999999999",
        ];
        for scalar in scalars {
            for text in [
                format!("k: {scalar}\n"),
                format!("k: '{scalar}'\n"),
                format!("k: \"{scalar}\"\n"),
                format!("- {scalar}\n"),
                format!("[{scalar}, x]\n"),
                format!("{{{scalar}: v}}\n"),
                format!("k: |\n  {scalar}\n"),
            ] {
                agree(&text);
            }
        }
    }

    #[test]
    fn both_readers_give_the_same_spans() {
        for text in [
            "devices:\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: SWITCH_ON }\n",
            "a:\n  b:\n    - c\n    - d: e\n      f: [1, {g: h}]\n",
            "k:\n  - x\n  -\n  - ''\n",
            "k: v # comment\n# another\nj: w\n",
            "\u{feff}k: v\n",
            "k: v\r\nj: w\r\n",
            "k: \"é ü 日本\"\nj: 日本語\n",
            "k: >\n  folded\n  text\nj: |-\n  kept\n",
            "k: a\n  continued plain\nj: x\n",
            "---\nk: v\n...\n",
            "? complex\n: value\n",
            "? [a, b]\n: value\n",
            "{a: 1, a: 2}\n",
            "[]\n",
            "{}\n",
            "k: {}\nj: []\n",
            "k:\nj:\n",
            "scalar\n",
            "\"quoted root\"\n",
            "- - - deep\n",
            "k: [a,\n  b,\n  c]\n",
            "k: 'it''s'\nj: \"tab\\there\"\n",
            "%YAML 1.2\n---\nk: v\n",
            // Found by the fuzzer: a root scalar that may be a number.
            ".failure_rate::",
        ] {
            agree(text);
        }
    }
}
