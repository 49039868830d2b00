//! What iotrun tells a user about a program: a stable code, a message, labels
//! on the offending tokens and a help. Every stage reports through this type;
//! `report.rs` is the one place that renders it.

use std::fmt;

use miette::{LabeledSpan, Severity, SourceSpan};

/// A byte range of the program file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub fn new(offset: usize, len: usize) -> Self {
        Span { offset, len }
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> Self {
        SourceSpan::new(span.offset.into(), span.len)
    }
}

/// The stable diagnostic codes of the format's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Io,
    Yaml,
    UnknownKey,
    MissingKey,
    DuplicateKey,
    WrongType,
    InvalidNode,
    InvalidName,
    UnknownKind,
    UnknownDevice,
    UnknownMessage,
    UnsupportedMessage,
    MissingData,
    InvalidData,
    InvalidDuration,
    UnknownRoutine,
    RoutineCycle,
    TooDeep,
    TooLarge,
    InvalidValue,
    ShortTimeout,
    RunFailed,
    Broker,
    UnusedData,
    UnusedDevice,
    UnusedRoutine,
    UnusedKind,
    EmptyBlock,
    UnboundedWait,
    UnreachableState,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "iotrun::io",
            Code::Yaml => "iotrun::yaml",
            Code::UnknownKey => "iotrun::unknown_key",
            Code::MissingKey => "iotrun::missing_key",
            Code::DuplicateKey => "iotrun::duplicate_key",
            Code::WrongType => "iotrun::wrong_type",
            Code::InvalidNode => "iotrun::invalid_node",
            Code::InvalidName => "iotrun::invalid_name",
            Code::UnknownKind => "iotrun::unknown_kind",
            Code::UnknownDevice => "iotrun::unknown_device",
            Code::UnknownMessage => "iotrun::unknown_message",
            Code::UnsupportedMessage => "iotrun::unsupported_message",
            Code::MissingData => "iotrun::missing_data",
            Code::InvalidData => "iotrun::invalid_data",
            Code::InvalidDuration => "iotrun::invalid_duration",
            Code::UnknownRoutine => "iotrun::unknown_routine",
            Code::RoutineCycle => "iotrun::routine_cycle",
            Code::TooDeep => "iotrun::too_deep",
            Code::TooLarge => "iotrun::too_large",
            Code::InvalidValue => "iotrun::invalid_value",
            Code::ShortTimeout => "iotrun::short_timeout",
            Code::RunFailed => "iotrun::run_failed",
            Code::Broker => "iotrun::broker",
            Code::UnusedData => "iotrun::unused_data",
            Code::UnusedDevice => "iotrun::unused_device",
            Code::UnusedRoutine => "iotrun::unused_routine",
            Code::UnusedKind => "iotrun::unused_kind",
            Code::EmptyBlock => "iotrun::empty_block",
            Code::UnboundedWait => "iotrun::unbounded_wait",
            Code::UnreachableState => "iotrun::unreachable_state",
        }
    }

    /// Every code, in the order of the format's table.
    pub const ALL: &[Code] = &[
        Code::Io,
        Code::Yaml,
        Code::UnknownKey,
        Code::MissingKey,
        Code::DuplicateKey,
        Code::WrongType,
        Code::InvalidNode,
        Code::InvalidName,
        Code::UnknownKind,
        Code::UnknownDevice,
        Code::UnknownMessage,
        Code::UnsupportedMessage,
        Code::MissingData,
        Code::InvalidData,
        Code::InvalidDuration,
        Code::UnknownRoutine,
        Code::RoutineCycle,
        Code::TooDeep,
        Code::TooLarge,
        Code::InvalidValue,
        Code::ShortTimeout,
        Code::RunFailed,
        Code::Broker,
        Code::UnusedData,
        Code::UnusedDevice,
        Code::UnusedRoutine,
        Code::UnusedKind,
        Code::EmptyBlock,
        Code::UnboundedWait,
        Code::UnreachableState,
    ];

    /// When the code is given, as the format's table says.
    pub fn describe(self) -> &'static str {
        match self {
            Code::Io => "the file cannot be read",
            Code::Yaml => "YAML syntax, or more than one document",
            Code::UnknownKey => "a key the format does not know",
            Code::MissingKey => "a required key is absent",
            Code::DuplicateKey => "the same key twice in one mapping",
            Code::WrongType => "a value of the wrong type, e.g. a list where a mapping belongs",
            Code::InvalidNode => "a mapping that is no node form, or several",
            Code::InvalidName => "a device or routine name out of the allowed form",
            Code::UnknownKind => "a device kind that does not exist",
            Code::UnknownDevice => "a message to an undeclared device",
            Code::UnknownMessage => "not one of the eight message types",
            Code::UnsupportedMessage => "the device's kind does not accept that type",
            Code::MissingData => "CHANGE_COLOR or PLAY_SONG without data",
            Code::InvalidData => "data out of its form, e.g. a colour that is not #RRGGBB",
            Code::InvalidDuration => "a duration out of the form: a number and ms, s or m",
            Code::UnknownRoutine => "`run:` names no routine",
            Code::RoutineCycle => "routines that run themselves, directly or not",
            Code::TooDeep => "nesting beyond the documented limit",
            Code::TooLarge => "a program past a documented size or work limit",
            Code::InvalidValue => "a number out of its range (attempts, failure rate)",
            Code::ShortTimeout => "a message timeout below its device's latency",
            Code::RunFailed => "a run failed: labelled on the failing node",
            Code::Broker => "the MQTT broker cannot be reached or refuses the login",
            Code::UnusedData => "data on a type that ignores it",
            Code::UnusedDevice => "a device no message uses",
            Code::UnusedRoutine => "a routine nothing runs",
            Code::UnusedKind => "a declared kind no device uses",
            Code::EmptyBlock => "an empty sequence or parallel",
            Code::UnboundedWait => "a `wait` with no `timeout`",
            Code::UnreachableState => "a `wait` for a field no command payload of that device sets",
        }
    }

    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Code::UnusedData
                | Code::UnusedDevice
                | Code::UnusedRoutine
                | Code::EmptyBlock
                | Code::ShortTimeout
                | Code::UnusedKind
                | Code::UnboundedWait
                | Code::UnreachableState
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
    pub primary: bool,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// The primary label, on the offending token.
    pub fn at(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: true,
        });
        self
    }

    /// A second label that helps, such as "first defined here".
    pub fn also(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: false,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        !self.code.is_warning()
    }

    /// The label on the offending token: the primary one, or the first.
    pub fn primary(&self) -> Option<&Label> {
        self.labels
            .iter()
            .find(|label| label.primary)
            .or(self.labels.first())
    }

    /// Where the diagnostic points first, for sorting a file's report.
    pub fn offset(&self) -> usize {
        self.labels.first().map_or(0, |label| label.span.offset)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn severity(&self) -> Option<Severity> {
        Some(if self.code.is_warning() {
            Severity::Warning
        } else {
            Severity::Error
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().map(|label| {
            let text = (!label.text.is_empty()).then(|| label.text.clone());
            if label.primary {
                LabeledSpan::new_primary_with_span(text, label.span)
            } else {
                LabeledSpan::new_with_span(text, label.span)
            }
        })))
    }
}

/// Shows a name from the user's file inside a message: control and
/// invisible characters are escaped so that a hostile file cannot garble a
/// terminal, reorder what it shows, or break a JSON line.
pub fn shown(text: &str) -> String {
    shown_up_to(text, 60)
}

/// [`shown`], cut after `max` characters.
pub fn shown_up_to(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        crate::text::push_escaped(&mut out, c);
    }
    out
}

/// The closest of `choices` to `wrong`, if it is close enough to be a likely
/// typo ("did you mean `parallel`?").
pub fn closest<'a>(wrong: &str, choices: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    let wrong_chars = wrong_lower.chars().count();
    choices
        .into_iter()
        // A score of 0.6 needs lengths within 40% of each other; most
        // choices are ruled out without computing a distance.
        .filter(|choice| {
            let chars = choice.chars().count();
            wrong_chars.abs_diff(chars) * 5 <= wrong_chars.max(chars) * 2
        })
        .map(|choice| {
            let score =
                strsim::normalized_damerau_levenshtein(&wrong_lower, &choice.to_lowercase());
            (score, choice)
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, choice)| choice)
}

/// "did you mean `x`?" when a choice is close, otherwise all the choices
/// ("the kinds are `a`, `b` and `c`").
pub fn suggest(wrong: &str, what: &str, choices: &[&str]) -> String {
    match (closest(wrong, choices.iter().copied()), choices) {
        (Some(best), _) | (None, &[best]) => format!("did you mean `{}`?", shown(best)),
        (None, _) => format!("{what} {}", all(choices)),
    }
}

/// `a`, `b` and `c`
pub fn all(choices: &[&str]) -> String {
    join(choices, "and")
}

/// 25000000 -> "25,000,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `a`, `b` or `c`
pub fn list(choices: &[&str]) -> String {
    join(choices, "or")
}

fn join(choices: &[&str], last_word: &str) -> String {
    /// Past this many, a list names the first few and counts the rest.
    const LISTED: usize = 10;
    if choices.len() > LISTED {
        let first: Vec<String> = choices[..LISTED - 2]
            .iter()
            .map(|c| format!("`{}`", shown(c)))
            .collect();
        return format!(
            "{}, … {last_word} {} more",
            first.join(", "),
            choices.len() - (LISTED - 2)
        );
    }
    let quoted: Vec<String> = choices.iter().map(|c| format!("`{}`", shown(c))).collect();
    match quoted.split_last() {
        None => "nothing".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {last_word} {last}", rest.join(", ")),
    }
}
