//! What happens during a run, as the spec's run events, and the two ways of
//! showing them: the seed's device lines for people, JSON lines for programs.

use std::io::Write;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::device::Kind;
use crate::message::MessageType;
use crate::report::count;

#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event<'a> {
    ConnectStart {
        device: &'a str,
        #[serde(serialize_with = "as_name")]
        kind: &'a Kind,
        id: &'a str,
    },
    ConnectEnd {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        id: &'a str,
    },
    MessageStart {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        message: MessageType,
        data: Option<&'a str>,
        line: u32,
        /// 1 for the first attempt, 2 for the first retry, ...
        attempt: u32,
    },
    MessageEnd {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        message: MessageType,
        line: u32,
    },
    MessageFailed {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        message: MessageType,
        line: u32,
        attempt: u32,
        reason: Reason,
    },
    MessageRetry {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        message: MessageType,
        line: u32,
        /// The attempt that failed.
        attempt: u32,
        #[serde(serialize_with = "as_seconds")]
        wait: Duration,
    },
    MessageCancelled {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        message: MessageType,
        line: u32,
        /// False when it was waiting for its retry: no attempt was cut short.
        #[serde(skip)]
        in_flight: bool,
    },
    DelayStart {
        line: u32,
    },
    DelayEnd {
        line: u32,
    },
    /// A delay cut short: a sibling failed, a timeout, Ctrl-C.
    DelayCancelled {
        line: u32,
    },
    /// A device's state changed (only for devices some `wait` names, and
    /// for real devices).
    State {
        device: &'a str,
        state: &'a Map<String, Value>,
    },
    WaitStart {
        device: &'a str,
        line: u32,
        /// The fields waited for; for the human line.
        #[serde(skip)]
        state: &'a Map<String, Value>,
    },
    WaitEnd {
        device: &'a str,
        line: u32,
    },
    WaitFailed {
        device: &'a str,
        line: u32,
        reason: Reason,
    },
    WaitCancelled {
        device: &'a str,
        line: u32,
    },
    NodeFailed {
        line: u32,
        reason: Reason,
    },
    /// A `sequence`, `parallel` or `run` starts. Internal: for `--trace`,
    /// not part of the JSON event stream.
    BlockStart {
        line: u32,
        block: &'static str,
        /// The routine, for a `run`.
        name: Option<&'a str>,
    },
    /// The block that started on `line` ends (done or failed). Internal.
    BlockEnd {
        line: u32,
        block: &'static str,
    },
    DisconnectStart {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        id: &'a str,
    },
    DisconnectEnd {
        device: &'a str,
        #[serde(skip)]
        kind: &'a Kind,
        id: &'a str,
    },
    RunEnd {
        status: Status,
        #[serde(serialize_with = "as_seconds")]
        duration: Duration,
        messages: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a str>,
        /// The seed of the run: `--seed` repeats it exactly.
        seed: u64,
    },
}

impl Event<'_> {
    /// Events for iotrun's own views (the trace), not for the JSON stream
    /// or the device lines.
    pub fn is_internal(&self) -> bool {
        matches!(self, Event::BlockStart { .. } | Event::BlockEnd { .. })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    Interrupted,
}

/// Why a message attempt or a node failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The device reported an error (see `failure_rate`).
    DeviceError,
    /// It ran past its `timeout`.
    Timeout,
    /// A node inside it failed.
    ChildFailed,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::DeviceError => "device error",
            Reason::Timeout => "timed out",
            Reason::ChildFailed => "a node inside it failed",
        }
    }
}

impl Serialize for MessageType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

fn as_name<S: serde::Serializer>(kind: &&Kind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&kind.name)
}

fn as_seconds<S: serde::Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(seconds(*d))
}

/// Seconds, to the microsecond: enough for any device, and free of the float
/// noise that would make `0.5` print as `0.500000001`.
pub fn seconds(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e6
}

/// Receives the events of a run as they happen.
pub trait Observer {
    fn event(&mut self, t: Duration, event: &Event<'_>);
}

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
            device_index: std::collections::HashMap::new(),
        }
    }

    /// Puts each device line's device name in a column this wide, after
    /// the time: two lights of one kind say the same words.
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
            "expected {} s; attempts: {} done, {} failed, {} cancelled{busiest}.",
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

/// A state as compact JSON, for a line.
fn json_text(state: &Map<String, Value>) -> String {
    serde_json::to_string(state).unwrap_or_default()
}

/// Hands every event to several observers: the output and, say, a trace.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Observer>);

impl Observer for Fanout<'_> {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        for observer in &mut self.0 {
            observer.event(t, event);
        }
    }
}
