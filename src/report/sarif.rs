//! `iotrun check --format sarif`: one SARIF 2.1.0 log of every file's
//! diagnostics, built from the typed structures of `serde-sarif` (generated
//! from the SARIF schema), which code scanning tools read.

use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Source;

/// The results gathered so far.
#[derive(Default)]
pub struct Log {
    results: Vec<SarifResult>,
}

impl Log {
    pub fn add(&mut self, diagnostic: &Diagnostic, file: &str, source: Option<&Source>) {
        let artifact = ArtifactLocation::builder().uri(file.to_string()).build();
        let mut locations = Vec::new();
        for label in diagnostic.labels.iter().filter(|l| l.primary) {
            let mut physical = PhysicalLocation::builder()
                .artifact_location(artifact.clone())
                .build();
            if let Some(source) = source {
                let (line, column) = source.position(label.span.offset);
                let end = label.span.offset + label.span.len;
                let (end_line, end_column) = source.position(end);
                physical.region = Some(
                    Region::builder()
                        .start_line(i64::from(line))
                        .start_column(column as i64)
                        .end_line(i64::from(end_line))
                        .end_column(end_column as i64)
                        .byte_offset(label.span.offset as i64)
                        .byte_length(label.span.len as i64)
                        .build(),
                );
            }
            locations.push(Location::builder().physical_location(physical).build());
        }
        if locations.is_empty() {
            // No token to point at (a file that cannot be read): the file.
            let physical = PhysicalLocation::builder()
                .artifact_location(artifact)
                .build();
            locations.push(Location::builder().physical_location(physical).build());
        }
        let mut text = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            text.push_str("\nhelp: ");
            text.push_str(help);
        }
        self.results.push(
            SarifResult::builder()
                .rule_id(diagnostic.code.as_str().to_string())
                .level(if diagnostic.is_error() {
                    ResultLevel::Error
                } else {
                    ResultLevel::Warning
                })
                .message(Message::builder().text(text).build())
                .locations(locations)
                .build(),
        );
    }

    /// The whole log: iotrun's rules (every diagnostic code) and the results.
    pub fn into_json(self) -> String {
        let rules: Vec<ReportingDescriptor> = Code::ALL
            .iter()
            .map(|code| {
                let text = |t: &str| {
                    MultiformatMessageString::builder()
                        .text(t.to_string())
                        .build()
                };
                ReportingDescriptor::builder()
                    .id(code.as_str().to_string())
                    .short_description(text(code.describe()))
                    .help(text(code.describe()))
                    .build()
            })
            .collect();
        let driver = ToolComponent::builder()
            .name("iotrun".to_string())
            .version(env!("CARGO_PKG_VERSION").to_string())
            .rules(rules)
            .build();
        let run = Run::builder()
            .tool(Tool::builder().driver(driver).build())
            .results(self.results)
            // Columns count Unicode characters, as `line`/`column` in the
            // JSON format do.
            .column_kind(serde_json::json!("unicodeCodePoints"))
            .build();
        let log = Sarif::builder()
            .schema(serde_sarif::sarif::SCHEMA_URL.to_string())
            .version(serde_json::json!("2.1.0"))
            .runs(vec![run])
            .build();
        serde_json::to_string_pretty(&log).unwrap_or_default()
    }
}
