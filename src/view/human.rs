//! The human run output: the seed's own lines, each behind the time it
//! happened and the device it is about, then a summary.

use std::io::Write;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::report::count;
use crate::run::{Event, Observer, Status, seconds};

/// The seed's own lines, each behind the time it happened.
pub struct HumanOutput<W: Write> {
    out: W,
    name: Option<String>,
    devices: usize,
    /// The critical path the plan expects, for the closing summary.
    expected: Duration,
    done: u64,
    failed: u64,
    cancelled: u64,
    /// Messages sent to each device (attempts included), by name.
    per_device: Vec<(String, u64)>,
    /// The width of the device column: the longest device name.
    width: usize,
    /// The expected duration is a lower bound.
    at_least: bool,
    /// Where each device's entry is in `per_device`.
    device_index: std::collections::HashMap<String, usize>,
}

impl<W: Write> HumanOutput<W> {
    pub fn new(out: W, name: Option<String>, devices: usize, expected: Duration) -> Self {
        HumanOutput {
            out,
            name,
            devices,
            expected,
            done: 0,
            failed: 0,
            cancelled: 0,
            per_device: Vec::new(),
            width: 0,
            at_least: false,
            device_index: std::collections::HashMap::new(),
        }
    }

    /// Puts each device line's device name in a column this wide, after
    /// the time: two lights of one kind say the same words.
    /// Says the expected duration is the least the run takes: some wait
    /// has no timeout and may never end.
    pub fn at_least(mut self, unbounded: bool) -> Self {
        self.at_least = unbounded;
        self
    }

    pub fn device_column(mut self, width: usize) -> Self {
        self.width = width;
        self
    }

    fn count_message(&mut self, device: &str) {
        // A map from name to place keeps this O(1) with many devices; the
        // list keeps the order of appearance that `details` breaks ties by.
        match self.device_index.get(device) {
            Some(&at) => self.per_device[at].1 += 1,
            None => {
                self.device_index
                    .insert(device.to_string(), self.per_device.len());
                self.per_device.push((device.to_string(), 1));
            }
        }
    }

    /// "wake_up: done in 2.500 s, 7 messages, 3 devices.", then the details.
    fn summary(&mut self, status: Status, duration: Duration, messages: u64, seed: u64) {
        let title = self
            .name
            .as_deref()
            .map(|name| format!("{}: ", crate::text::escaped(name)))
            .unwrap_or_default();
        let verb = match status {
            Status::Ok => "done",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        };
        // A failure may hang on the seed's draws: say how to see it again.
        let repeat = if status == Status::Failed {
            format!(" (again with --seed {seed})")
        } else {
            String::new()
        };
        let summary = format!(
            "{title}{verb} in {:.3} s, {}, {}{repeat}.\n  {}\n",
            seconds(duration),
            count(messages, "message"),
            count(self.devices as u64, "device"),
            self.details(),
        );
        let _ = self.out.write_all(summary.as_bytes());
        let _ = self.out.flush();
    }

    /// "expected 2.5 s; attempts: 7 done, 0 failed, 0 cancelled; busiest:
    /// `speaker` (3 attempts)": how the run compares with the critical
    /// path, what became of each message attempt, and the device that had
    /// the most.
    fn details(&self) -> String {
        let busiest = self
            .per_device
            .iter()
            .rev()
            .max_by_key(|(_, attempts)| *attempts)
            .map(|(name, attempts)| {
                format!(
                    "; busiest: `{}` ({})",
                    crate::text::escaped(name),
                    count(*attempts, "attempt")
                )
            })
            .unwrap_or_default();
        format!(
            "expected {}{} s; attempts: {} done, {} failed, {} cancelled{busiest}.",
            if self.at_least { "at least " } else { "" },
            self.expected.as_secs_f64(),
            self.done,
            self.failed,
            self.cancelled,
        )
    }
}

impl<W: Write> Observer for HumanOutput<W> {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        let mut on = None;
        let line = match *event {
            Event::ConnectStart { kind, device, .. } => {
                on = Some(device);
                kind.connecting_line()
            }
            Event::ConnectEnd { kind, device, .. } => {
                on = Some(device);
                kind.connected_line()
            }
            Event::MessageStart {
                kind,
                message,
                data,
                device,
                ..
            } => {
                on = Some(device);
                self.count_message(device);
                kind.handling_line(message, data.unwrap_or(""))
            }
            Event::MessageEnd { kind, device, .. } => {
                on = Some(device);
                self.done += 1;
                kind.received_line()
            }
            Event::MessageFailed {
                kind,
                message,
                attempt,
                reason,
                device,
                ..
            } => {
                on = Some(device);
                self.failed += 1;
                format!(
                    "{} failed message of type {message}: {} (attempt {attempt}).",
                    kind.display,
                    reason.describe()
                )
            }
            Event::MessageRetry {
                kind,
                message,
                wait,
                device,
                ..
            } => {
                on = Some(device);
                format!(
                    "Retrying message of type {message} to {} in {}.",
                    kind.display,
                    crate::duration::display(wait)
                )
            }
            Event::MessageCancelled {
                kind,
                message,
                device,
                in_flight,
                ..
            } => {
                on = Some(device);
                // Attempts by outcome: one waiting for its retry had none.
                if in_flight {
                    self.cancelled += 1;
                }
                format!("{} message of type {message} cancelled.", kind.display)
            }
            Event::NodeFailed { line, reason } => {
                format!("The node at line {line} failed: {}.", reason.describe())
            }
            Event::State { device, state } => {
                on = Some(device);
                format!("State of {device}: {}.", json_text(state))
            }
            Event::WaitStart { device, state, .. } => {
                on = Some(device);
                format!("Waiting for {device}: {}.", json_text(state))
            }
            Event::WaitEnd { device, .. } => {
                on = Some(device);
                format!("Done waiting for {device}.")
            }
            Event::WaitFailed { device, reason, .. } => {
                on = Some(device);
                format!("Gave up waiting for {device}: {}.", reason.describe())
            }
            Event::WaitCancelled { device, .. } => {
                on = Some(device);
                format!("Waiting for {device} cancelled.")
            }
            Event::DelayStart { .. }
            | Event::DelayEnd { .. }
            | Event::DelayCancelled { .. }
            | Event::BlockStart { .. }
            | Event::BlockEnd { .. } => return,
            Event::DisconnectStart { kind, device, .. } => {
                on = Some(device);
                kind.disconnecting_line()
            }
            Event::DisconnectEnd { kind, device, .. } => {
                on = Some(device);
                kind.disconnected_line()
            }
            Event::RunEnd {
                status,
                duration,
                messages,
                seed,
                ..
            } => {
                self.summary(status, duration, messages, seed);
                return;
            }
        };
        // One write a line. A closed stdout (say, `| head`) must not stop
        // the run halfway and leave devices connected; the run goes on
        // without its output (see `output.rs` for what is reported).
        // Kinds' display names, data and states are the file's text: no
        // control or invisible character reaches the terminal raw.
        let line = crate::text::escaped(&line);
        let text = if self.width == 0 {
            format!("[{:>7.3}s] {line}\n", seconds(t))
        } else {
            format!(
                "[{:>7.3}s] {:<width$}  {line}\n",
                seconds(t),
                on.unwrap_or(""),
                width = self.width
            )
        };
        let _ = self.out.write_all(text.as_bytes());
    }
}

/// A state as compact JSON, for a line.
fn json_text(state: &Map<String, Value>) -> String {
    serde_json::to_string(state).unwrap_or_default()
}
