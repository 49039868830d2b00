//! `--format json`: one JSON object per event per line.

use std::io::Write;
use std::time::Duration;

use serde::Serialize;

use crate::run::{Event, Observer, seconds};

/// One JSON object per event per line, each written whole as it happens.
pub struct JsonOutput<W: Write> {
    out: W,
    /// The line being made: one write a line, whatever serde does.
    line: Vec<u8>,
}

impl<W: Write> JsonOutput<W> {
    pub fn new(out: W) -> Self {
        JsonOutput {
            out,
            line: Vec::with_capacity(256),
        }
    }
}

#[derive(Serialize)]
struct JsonLine<'a, 'e> {
    t: f64,
    #[serde(flatten)]
    event: &'a Event<'e>,
}

impl<W: Write> Observer for JsonOutput<W> {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        if event.is_internal() {
            return;
        }
        let line = JsonLine {
            t: seconds(t),
            event,
        };
        self.line.clear();
        if serde_json::to_writer(&mut self.line, &line).is_ok() {
            self.line.push(b'\n');
            let _ = self.out.write_all(&self.line);
            let _ = self.out.flush();
        }
    }
}
