//! `iotrun check --format github`: GitHub Actions workflow commands, one per
//! diagnostic, so that each appears on the pull request's line.

use crate::diagnostic::Diagnostic;
use crate::source::Source;

/// `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::MESSAGE`
/// (`::warning` for warnings), ending in a newline.
pub fn command(diagnostic: &Diagnostic, file: &str, source: Option<&Source>) -> String {
    let level = if diagnostic.is_error() {
        "error"
    } else {
        "warning"
    };
    let mut properties = vec![format!("file={}", property(file))];
    let primary = diagnostic.labels.iter().find(|l| l.primary);
    if let (Some(label), Some(source)) = (primary, source) {
        let (line, col) = source.position(label.span.offset);
        // The last character of the token, not the one after it.
        let last = label.span.offset + label.span.len.saturating_sub(1);
        let (end_line, end_column) = source.position(last.max(label.span.offset));
        properties.push(format!("line={line}"));
        properties.push(format!("col={col}"));
        properties.push(format!("endLine={end_line}"));
        properties.push(format!("endColumn={end_column}"));
    }
    properties.push(format!("title={}", property(diagnostic.code.as_str())));
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{level} {}::{}\n", properties.join(","), data(&message))
}

/// A command's message: `%`, CR and LF escaped, as the runner reads them.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property's value: also `:` and `,`, which end it.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
