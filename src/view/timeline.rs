//! `iotrun run --timeline`: after the run, a text Gantt chart — a row per
//! device, a bar per operation, a time axis — fitted to the terminal width.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::run::{Event, Observer, seconds};

/// Collects each device's operations as the run goes.
#[derive(Default)]
pub struct Timeline {
    /// Devices in order of appearance, each with its operations.
    rows: Vec<(String, Vec<Operation>)>,
    /// Starts of operations not yet ended, per device.
    /// Oldest first: an end closes the earliest open start (a queue, so
    /// closing is O(1) however many are open).
    open: Vec<VecDeque<Duration>>,
    /// Row of each device by name, so a run with many devices stays linear.
    index: HashMap<String, usize>,
    end: Duration,
}

struct Operation {
    start: Duration,
    end: Duration,
    mark: char,
}

/// Connecting and disconnecting.
const LINK: char = '=';
const DONE: char = '█';
const FAILED: char = 'x';
const CANCELLED: char = '~';

impl Timeline {
    fn row(&mut self, device: &str) -> usize {
        if let Some(&row) = self.index.get(device) {
            return row;
        }
        self.rows.push((device.to_string(), Vec::new()));
        self.open.push(VecDeque::new());
        self.index.insert(device.to_string(), self.rows.len() - 1);
        self.rows.len() - 1
    }

    fn begin(&mut self, device: &str, t: Duration) {
        let row = self.row(device);
        self.open[row].push_back(t);
    }

    fn finish(&mut self, device: &str, t: Duration, mark: char) {
        let row = self.row(device);
        let Some(start) = self.open[row].pop_front() else {
            return;
        };
        self.rows[row].1.push(Operation {
            start,
            end: t,
            mark,
        });
    }

    /// The chart, `width` characters wide at most.
    pub fn render(&self, width: usize) -> String {
        // `COLUMNS` is the user's: a huge value would overflow the format
        // width (a panic) or allocate without bound, a tiny one leaves no bar.
        let width = width.clamp(crate::report::MIN_WIDTH, crate::report::MAX_WIDTH);
        let label = self
            .rows
            .iter()
            .map(|(name, _)| name.chars().count())
            .max()
            .unwrap_or(0)
            .min(20);
        let cells = width.saturating_sub(label + 3).max(10);
        let total = self.end.as_secs_f64();
        let cell = |t: Duration| -> usize {
            if total == 0.0 {
                0
            } else {
                ((t.as_secs_f64() / total) * cells as f64).floor() as usize
            }
        };
        let mut out = String::new();
        for (name, operations) in &self.rows {
            let mut bar = vec![' '; cells];
            for operation in operations {
                let from = cell(operation.start).min(cells - 1);
                let to = cell(operation.end).clamp(from + 1, cells);
                for slot in &mut bar[from..to] {
                    // A failure or a cancellation stays visible over a success.
                    if *slot == ' ' || *slot == LINK || *slot == DONE {
                        *slot = operation.mark;
                    }
                }
            }
            let name: String = name.chars().take(label).collect();
            let bar: String = bar.into_iter().collect();
            out.push_str(&format!("{name:<label$} │{}\n", bar.trim_end()));
        }
        let end = format!("{:.3}s", seconds(self.end));
        out.push_str(&format!(
            "{:<label$} └{}┘\n",
            "",
            "─".repeat(cells.saturating_sub(1))
        ));
        out.push_str(&format!(
            "{:<label$}  0s{end:>width$}\n",
            "",
            width = cells.saturating_sub(2)
        ));
        out.push_str(&format!(
            "{:<label$}  {LINK} connect/disconnect  {DONE} message  {FAILED} failed  {CANCELLED} cancelled\n",
            ""
        ));
        out
    }
}

impl Observer for Timeline {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        self.end = self.end.max(t);
        match *event {
            Event::ConnectStart { device, .. }
            | Event::DisconnectStart { device, .. }
            | Event::MessageStart { device, .. } => self.begin(device, t),
            Event::ConnectEnd { device, .. } | Event::DisconnectEnd { device, .. } => {
                self.finish(device, t, LINK)
            }
            Event::MessageEnd { device, .. } => self.finish(device, t, DONE),
            Event::MessageFailed { device, .. } => self.finish(device, t, FAILED),
            Event::MessageCancelled { device, .. } => self.finish(device, t, CANCELLED),
            _ => {}
        }
    }
}
