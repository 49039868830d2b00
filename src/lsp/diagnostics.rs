//! `iotrun check`'s diagnostics as LSP diagnostics: the same code, message
//! and severity, the primary label's token as the range, the other labels as
//! related information.

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Uri,
};

use super::document::Document;
use crate::diagnostic::Diagnostic;

/// Where the codes are described: the format's table of codes.
pub fn docs() -> Option<Uri> {
    format!("file://{}/docs/format.md#codes", env!("CARGO_MANIFEST_DIR"))
        .parse()
        .ok()
}

pub fn convert(document: &Document, uri: &Uri, diagnostic: &Diagnostic) -> lsp_types::Diagnostic {
    let primary = diagnostic.primary();
    let range = primary.map_or_else(Default::default, |label| document.range(label.span));
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .filter(|&label| !primary.is_some_and(|p| std::ptr::eq(p, label)))
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), document.range(label.span)),
            message: label.text.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(if diagnostic.is_error() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_string())),
        code_description: docs().map(|href| CodeDescription { href }),
        source: Some("iotrun".to_string()),
        message: diagnostic.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        // The help, for the quick fixes and for clients that show it.
        data: diagnostic
            .help
            .as_ref()
            .map(|help| serde_json::json!({ "help": help })),
    }
}

/// The replacement a diagnostic's help offers: "did you mean `X`?".
pub fn meant(help: &str) -> Option<&str> {
    let rest = &help[help.find("did you mean `")? + "did you mean `".len()..];
    let end = rest.find("`?")?;
    Some(&rest[..end])
}
