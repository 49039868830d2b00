//! What happens during a run, as the spec's run events, and the two ways of
//! showing them: the seed's device lines for people, JSON lines for programs.

use std::borrow::Cow;
use std::io::Write;
use std::time::Duration;

use serde::Serialize;

use crate::device::Kind;
use crate::message::MessageType;
use crate::report::count;

#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event<'a> {
    ConnectStart {
        device: &'a str,
        #[serde(serialize_with = "as_name")]
        kind: Kind,
        id: &'a str,
    },
    ConnectEnd {
        device: &'a str,
        #[serde(skip)]
        kind: Kind,
        id: &'a str,
    },
    MessageStart {
        device: &'a str,
        #[serde(skip)]
        kind: Kind,
        message: MessageType,
        data: Option<&'a str>,
        line: u32,
        /// 1 for the first attempt, 2 for the first retry, ...
        attempt: u32,
    },
    MessageEnd {
        device: &'a str,
        #[serde(skip)]
        kind: Kind,
        message: MessageType,
        line: u32,
    },
    MessageFailed {
        device: &'a str,
        #[serde(skip)]
        kind: Kind,
        message: MessageType,
        line: u32,
        attempt: u32,
        reason: Reason,
    },
    MessageRetry {
        device: &'a str,
        #[serde(skip)]
        kind: Kind,
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
        kind: Kind,
        message: MessageType,
        line: u32,
    },
    DelayStart {
        line: u32,
    },
    DelayEnd {
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
        kind: Kind,
        id: &'a str,
    },
    DisconnectEnd {
        device: &'a str,
        #[serde(skip)]
        kind: Kind,
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

fn as_name<S: serde::Serializer>(kind: &Kind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.name())
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
            device_index: std::collections::HashMap::new(),
        }
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
                    printable(name),
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
        let line = match *event {
            Event::ConnectStart { kind, .. } => kind.connecting_line(),
            Event::ConnectEnd { kind, .. } => kind.connected_line(),
            Event::MessageStart {
                kind,
                message,
                data,
                device,
                ..
            } => {
                self.count_message(device);
                kind.handling_line(message, &printable(data.unwrap_or("")))
            }
            Event::MessageEnd { kind, .. } => {
                self.done += 1;
                kind.received_line()
            }
            Event::MessageFailed {
                kind,
                message,
                attempt,
                reason,
                ..
            } => {
                self.failed += 1;
                format!(
                    "{} failed message of type {message}: {} (attempt {attempt}).",
                    kind.display(),
                    reason.describe()
                )
            }
            Event::MessageRetry {
                kind,
                message,
                wait,
                ..
            } => format!(
                "Retrying message of type {message} to {} in {}.",
                kind.display(),
                crate::duration::display(wait)
            ),
            Event::MessageCancelled { kind, message, .. } => {
                self.cancelled += 1;
                format!("{} message of type {message} cancelled.", kind.display())
            }
            Event::NodeFailed { line, reason } => {
                format!("The node at line {line} failed: {}.", reason.describe())
            }
            Event::DelayStart { .. }
            | Event::DelayEnd { .. }
            | Event::BlockStart { .. }
            | Event::BlockEnd { .. } => return,
            Event::DisconnectStart { kind, .. } => kind.disconnecting_line(),
            Event::DisconnectEnd { kind, .. } => kind.disconnected_line(),
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
                    .map(|name| format!("{}: ", printable(name)))
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
                let _ = writeln!(
                    self.out,
                    "{title}{verb} in {:.3} s, {}, {}{repeat}.",
                    seconds(duration),
                    count(messages, "message"),
                    count(self.devices as u64, "device"),
                );
                let details = self.details();
                let _ = writeln!(self.out, "  {details}");
                return;
            }
        };
        // A closed stdout (say, `| head`) must not stop the run halfway and
        // leave devices connected; the run goes on without its output.
        let _ = writeln!(self.out, "[{:>7.3}s] {line}", seconds(t));
    }
}

/// One JSON object per event per line, flushed as it happens.
pub struct JsonOutput<W: Write> {
    out: W,
}

impl<W: Write> JsonOutput<W> {
    pub fn new(out: W) -> Self {
        JsonOutput { out }
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
        if serde_json::to_writer(&mut self.out, &line).is_ok() {
            let _ = self.out.write_all(b"\n");
            let _ = self.out.flush();
        }
    }
}

/// Text from the program file, safe to print: a song title must not be able
/// to clear the screen or retitle the terminal.
fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
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
