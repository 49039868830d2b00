//! The one place that renders diagnostics and picks the exit status.

use std::io::{IsTerminal, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};
use serde::Serialize;

mod github;
mod sarif;

use crate::diagnostic::Diagnostic;
use crate::plan::Plan;
use crate::source::Source;

/// Exit statuses of the command line, as the spec fixes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Success,
    /// A program is invalid, or a run failed.
    Invalid,
    /// Usage or I/O error: missing or unreadable file.
    Usage,
    Interrupted,
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Success => 0,
            Exit::Invalid => 1,
            Exit::Usage => 2,
            Exit::Interrupted => 130,
        }
    }

    /// The status for a set of diagnostics: an I/O error is a usage error,
    /// any other error makes the program invalid, warnings pass.
    pub fn for_diagnostics<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Exit {
        diagnostics
            .into_iter()
            .map(|d| match d.code {
                crate::diagnostic::Code::Io => Exit::Usage,
                _ if d.is_error() => Exit::Invalid,
                _ => Exit::Success,
            })
            .max()
            .unwrap_or(Exit::Success)
    }

    /// The status of `check` for one file: with `--deny-warnings`, a
    /// warning fails it as an error does.
    pub fn for_check(diagnostics: &[Diagnostic], deny_warnings: bool) -> Exit {
        let exit = Exit::for_diagnostics(diagnostics);
        if deny_warnings && !diagnostics.is_empty() {
            exit.max(Exit::Invalid)
        } else {
            exit
        }
    }

    /// The status a run earns by how it ended. (Several statuses combine
    /// with `max`: the spec's order 130, then 2, then 1 is this type's.)
    pub fn for_run(status: crate::run::Status) -> Exit {
        match status {
            crate::run::Status::Ok => Exit::Success,
            crate::run::Status::Failed => Exit::Invalid,
            crate::run::Status::Interrupted => Exit::Interrupted,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// How `check` reports: as [`Format`], or for CI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    /// GitHub Actions workflow commands: errors on the pull request's lines.
    Github,
    /// One SARIF 2.1.0 log, for code scanning tools.
    Sarif,
}

impl From<Format> for CheckFormat {
    fn from(format: Format) -> Self {
        match format {
            Format::Human => CheckFormat::Human,
            Format::Json => CheckFormat::Json,
        }
    }
}

/// Renders diagnostics: miette's graphical report for people (colour only on
/// a terminal, and never with `NO_COLOR`), or miette's JSON report shape, one
/// object per line.
pub struct Reporter {
    format: CheckFormat,
    handler: GraphicalReportHandler,
    out: Box<dyn Write>,
    /// The first failure to write, other than a closed pipe.
    failed: Option<std::io::Error>,
    /// SARIF results, written as one log by [`Reporter::finish`].
    sarif: sarif::Log,
}

impl Reporter {
    /// `terminal` says whether `out` is a terminal.
    pub fn new(format: impl Into<CheckFormat>, out: Box<dyn Write>, terminal: bool) -> Self {
        let format = format.into();
        let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let theme = if colour {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let width = if terminal {
            terminal_width().unwrap_or(100)
        } else {
            100
        };
        Reporter {
            format,
            handler: GraphicalReportHandler::new_themed(theme)
                .with_links(false)
                .with_width(width),
            out,
            failed: None,
            sarif: sarif::Log::default(),
        }
    }

    /// A reporter for standard error.
    pub fn stderr(format: impl Into<CheckFormat>) -> Self {
        Reporter::new(
            format,
            Box::new(std::io::stderr()),
            std::io::stderr().is_terminal(),
        )
    }

    /// A reporter for standard output.
    pub fn stdout(format: impl Into<CheckFormat>) -> Self {
        Reporter::new(
            format,
            Box::new(std::io::stdout()),
            std::io::stdout().is_terminal(),
        )
    }

    /// Renders one diagnostic about `file`; `source` is its text, when it
    /// could be read.
    pub fn render(&self, diagnostic: &Diagnostic, file: &str, source: Option<&Source>) -> String {
        match self.format {
            CheckFormat::Human => {
                let mut out = String::new();
                // A second label far before the primary one would be drawn
                // first, and miette's header would point at it: it is drawn
                // after the diagnostic instead, as an aside of its own.
                let (main, asides) = match source {
                    Some(source) => split_far_labels(diagnostic, source),
                    None => (diagnostic.clone(), Vec::new()),
                };
                let asides: Vec<Located> = asides
                    .iter()
                    .map(|aside| Located {
                        diagnostic: aside,
                        source,
                        aside: true,
                        related: Vec::new(),
                    })
                    .collect();
                let located = Located {
                    diagnostic: &main,
                    source,
                    aside: false,
                    related: asides,
                };
                if self.handler.render_report(&mut out, &located).is_err() {
                    // Rendering a snippet can only fail on a span outside the
                    // text; the message alone is still worth showing.
                    out = format!(
                        "{}: {}: {}\n",
                        diagnostic.code.as_str(),
                        crate::text::escaped(file),
                        crate::text::escaped(&diagnostic.message)
                    );
                }
                // miette puts each aside under a line of its own that says
                // only "Advice:"; the aside's mark says as much.
                let mut out = out.replace("\nAdvice: \n", "\n");
                out.push('\n');
                out
            }
            CheckFormat::Json => {
                let mut line = serde_json::to_string(&JsonReport::new(diagnostic, file, source))
                    .unwrap_or_default();
                line.push('\n');
                line
            }
            CheckFormat::Github => github::command(diagnostic, file, source),
            // Gathered, and written whole at the end.
            CheckFormat::Sarif => String::new(),
        }
    }

    /// Writes a file's diagnostics, in the order they appear in the file.
    pub fn write(&mut self, diagnostics: &[Diagnostic], file: &str, source: Option<&Source>) {
        let mut text = String::new();
        for diagnostic in diagnostics {
            text.push_str(&self.render(diagnostic, file, source));
            if self.format == CheckFormat::Sarif {
                self.sarif.add(diagnostic, file, source);
            }
        }
        if self.format == CheckFormat::Human && !diagnostics.is_empty() {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = diagnostics.len() - errors;
            text.push_str(&format!(
                "{}: {}, {}\n",
                crate::text::escaped(file),
                count(errors as u64, "error"),
                count(warnings as u64, "warning")
            ));
        }
        // Diagnostics that cannot be written to a closed pipe are lost, but
        // the exit status still says what happened; any other failure is
        // an I/O error of its own (see `Reporter::exit`).
        if let Err(err) = write_whole(&mut self.out, text.as_bytes())
            && self.failed.is_none()
        {
            self.failed = Some(err);
        }
    }

    /// Writes what is gathered to be written whole: the SARIF log.
    pub fn finish(&mut self) {
        if self.format != CheckFormat::Sarif {
            return;
        }
        let mut log = std::mem::take(&mut self.sarif).into_json();
        log.push('\n');
        if let Err(err) = write_whole(&mut self.out, log.as_bytes())
            && self.failed.is_none()
        {
            self.failed = Some(err);
        }
    }

    /// `Exit::Usage` when some diagnostic could not be written.
    pub fn exit(&self) -> Exit {
        if self.failed.is_some() {
            Exit::Usage
        } else {
            Exit::Success
        }
    }
}

/// Writes `bytes` whole and flushes. A closed pipe (`| head`) is the
/// reader's choice and not an error; any other failure is.
pub fn write_whole(out: &mut dyn Write, bytes: &[u8]) -> std::io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err),
        _ => Ok(()),
    }
}

/// What `iotrun check` says of a valid file: "wake_up.yaml: 3 devices,
/// 7 messages, 2.5 s".
pub fn summary(file: &str, plan: &Plan) -> String {
    let estimate = plan.estimate();
    // A wait with neither a timeout nor a message that ends it may hold
    // the run forever: the duration is then the least it takes.
    let (at_least, open) = if estimate.unbounded {
        ("at least ", " (a wait without timeout may never end)")
    } else {
        ("", "")
    };
    format!(
        "{}: {}, {}, {at_least}{} s{open}",
        crate::text::escaped(file),
        count(plan.devices.len() as u64, "device"),
        count(estimate.messages, "message"),
        estimate.duration.as_secs_f64(),
    )
}

/// "1 device", "2 devices".
pub fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The narrowest and widest output iotrun lays out, whatever `COLUMNS`
/// says: beyond these a layout is useless, and a huge width would overflow
/// a format width (a panic) or allocate without bound.
pub const MIN_WIDTH: usize = 20;
pub const MAX_WIDTH: usize = 1000;

/// The width to lay out for: `COLUMNS` when it is set (a script may fix
/// the width), else the terminal's own, asked of stderr then stdout;
/// clamped either way.
fn terminal_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .or_else(|| {
            let (width, _) = terminal_size::terminal_size_of(std::io::stderr())
                .or_else(terminal_size::terminal_size)?;
            Some(usize::from(width.0))
        })?;
    Some(columns.clamp(MIN_WIDTH, MAX_WIDTH))
}

/// The width of what iotrun draws for people (the timeline): the
/// terminal's, or 80 columns when there is none.
pub fn width() -> usize {
    terminal_width().unwrap_or(80)
}

/// A diagnostic together with the text it points into.
struct Located<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<&'a Source>,
    /// A second label shown on its own: no code, advice, its text as the
    /// message.
    aside: bool,
    related: Vec<Located<'a>>,
}

/// Lines between a second label and the primary one past which they are
/// drawn apart.
const FAR: u32 = 3;

/// The diagnostic without its second labels that miette would draw in a
/// snippet of their own before the primary label's, and those labels as
/// asides.
fn split_far_labels(diagnostic: &Diagnostic, source: &Source) -> (Diagnostic, Vec<Diagnostic>) {
    let Some(primary) = diagnostic.labels.iter().find(|l| l.primary) else {
        return (diagnostic.clone(), Vec::new());
    };
    // miette draws labels a few lines apart in one snippet: the primary
    // label's snippet reaches back through labels each within `FAR` lines
    // of the next.
    let mut lines: Vec<u32> = diagnostic
        .labels
        .iter()
        .map(|l| source.line_of(l.span.offset))
        .collect();
    lines.sort_unstable();
    let mut reach = source.line_of(primary.span.offset);
    for &line in lines.iter().rev() {
        if line <= reach && line + FAR >= reach {
            reach = line;
        }
    }
    let (far, near): (Vec<_>, Vec<_>) = diagnostic
        .labels
        .iter()
        .cloned()
        .partition(|label| !label.primary && source.line_of(label.span.offset) < reach);
    let asides = far
        .into_iter()
        .map(|label| {
            Diagnostic::new(diagnostic.code, label.text.clone()).at(label.span, String::new())
        })
        .collect();
    let mut main = diagnostic.clone();
    main.labels = near;
    (main, asides)
}

impl std::fmt::Debug for Located<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.diagnostic.fmt(f)
    }
}

impl std::fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.diagnostic, f)
    }
}

impl std::error::Error for Located<'_> {}

impl miette::Diagnostic for Located<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        if self.aside {
            return None;
        }
        self.diagnostic.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        if self.aside {
            return Some(miette::Severity::Advice);
        }
        self.diagnostic.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        miette::Diagnostic::help(self.diagnostic)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let text = self.source?.display_text();
        Some(Box::new(self.diagnostic.labels()?.map(move |mut label| {
            // A huge token (a 70 KB string, say) is underlined at its start.
            if label.len() > LONGEST_LABEL {
                let end = text.floor_char_boundary(label.offset() + LONGEST_LABEL);
                let text = label.label().map(String::from);
                let span = SourceSpan::new(label.offset().into(), end - label.offset());
                label = if label.primary() {
                    miette::LabeledSpan::new_primary_with_span(text, span)
                } else {
                    miette::LabeledSpan::new_with_span(text, span)
                };
            }
            label
        })))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|s| s as &dyn SourceCode)
    }
}

impl SourceCode for Source {
    /// miette's own `str` implementation scans from the start of the text for
    /// every label, which makes a file with 100,000 diagnostics take hours. It
    /// is run here on a window of a few lines around the span, found through
    /// the line index, and its answer moved back to file offsets.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.display_text();
        let end = span.offset() + span.len();
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let line = self.line_of(span.offset()) as usize - 1;
        let last = self.line_of(end) as usize - 1;
        let around = line.saturating_sub(context_lines_before)..=last + context_lines_after;
        if around.into_iter().any(|l| self.line_len(l) > LONG_LINE) {
            if last != line {
                // miette asks whether labels on several lines fit one
                // snippet; near a long line they do not, each gets its own.
                return Err(MietteError::OutOfBounds);
            }
            return Ok(Box::new(self.clipped(
                span,
                line,
                context_lines_before == 0,
            )));
        }
        let first_line =
            (self.line_of(span.offset()) as usize - 1).saturating_sub(context_lines_before + 1);
        let last_line = self.line_of(end) as usize - 1 + context_lines_after + 2;
        let window_start = self.line_start(first_line).unwrap_or(0);
        let window_end = self.line_start(last_line).unwrap_or(text.len());
        let window = &text[window_start..window_end];
        let local = SourceSpan::new((span.offset() - window_start).into(), span.len());
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let start = contents.span().offset() + window_start;
        // miette counts the header's column in bytes; a person (and the
        // JSON, GitHub and SARIF output) counts characters.
        let line_start = self
            .line_start(self.line_of(start) as usize - 1)
            .unwrap_or(0);
        let column = text
            .get(line_start..start)
            .map_or(contents.column(), |before| before.chars().count());
        Ok(Box::new(MietteSpanContents::new_named(
            crate::text::escaped(&self.name).into_owned(),
            contents.data(),
            SourceSpan::new(start.into(), contents.span().len()),
            contents.line() + first_line,
            column,
            contents.line_count() + first_line,
        )))
    }
}

/// A line longer than this (a minified or generated program) is shown only
/// around the span, without context lines: whole, it would flood the
/// terminal, and miette cannot underline past column 65,535.
const LONG_LINE: usize = 240;
/// Bytes shown on each side of a span on a long line.
const CLIP: usize = 80;
/// Labels are underlined for at most this many bytes.
const LONGEST_LABEL: usize = 160;

impl Source {
    /// The bytes of 0-based line `line`, without its line break.
    fn line_len(&self, line: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return 0;
        };
        let end = self
            .line_start(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        end.saturating_sub(start)
    }

    /// The part of a long line around `span`.
    fn clipped(&self, span: &SourceSpan, line: usize, from_span: bool) -> MietteSpanContents<'_> {
        let text = self.display_text();
        let line_start = self.line_start(line).unwrap_or(0);
        let line_end = line_start + self.line_len(line);
        // Every cut lands on a char boundary, whatever the span says: the
        // text is the user's and may be multi-byte anywhere.
        let start = if from_span {
            text.floor_char_boundary(span.offset().min(line_end))
        } else {
            text.floor_char_boundary(span.offset().saturating_sub(CLIP).max(line_start))
        };
        let stop = text.ceil_char_boundary(
            (span.offset() + span.len().min(LONGEST_LABEL) + CLIP)
                .min(line_end)
                .max(start),
        );
        MietteSpanContents::new_named(
            crate::text::escaped(&self.name).into_owned(),
            &text.as_bytes()[start..stop],
            SourceSpan::new(start.into(), stop - start),
            line,
            text[line_start..start].chars().count(),
            line + 1,
        )
    }
}

/// miette's JSON report shape, written with serde so that every string is
/// escaped properly (miette's own writer leaves control characters raw).
#[derive(Serialize)]
struct JsonReport<'a> {
    message: &'a str,
    code: &'static str,
    severity: &'static str,
    causes: [&'a str; 0],
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    filename: &'a str,
    labels: Vec<JsonLabel<'a>>,
    related: [&'a str; 0],
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    label: &'a str,
    span: JsonSpan,
    /// Where the span starts: 1-based line, and 1-based column counted in
    /// Unicode characters (what code review tools place comments by).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

#[derive(Serialize)]
struct JsonSpan {
    offset: usize,
    length: usize,
}

impl<'a> JsonReport<'a> {
    fn new(diagnostic: &'a Diagnostic, file: &'a str, source: Option<&Source>) -> Self {
        JsonReport {
            message: &diagnostic.message,
            code: diagnostic.code.as_str(),
            severity: if diagnostic.is_error() {
                "error"
            } else {
                "warning"
            },
            causes: [],
            help: diagnostic.help.as_deref(),
            filename: file,
            labels: diagnostic
                .labels
                .iter()
                .map(|label| {
                    let at = source.map(|s| s.position(label.span.offset));
                    JsonLabel {
                        label: &label.text,
                        span: JsonSpan {
                            offset: label.span.offset,
                            length: label.span.len,
                        },
                        line: at.map(|(line, _)| line),
                        column: at.map(|(_, column)| column),
                    }
                })
                .collect(),
            related: [],
        }
    }
}
