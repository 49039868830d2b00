//! What happens during a run, as the spec's run events, and the `Observer`
//! every view of a run (see `view/`) receives them through.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::device::Kind;
use crate::message::MessageType;

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
    /// A real device said it is offline (its availability topic).
    Offline,
    /// The connection to the MQTT broker was lost.
    BrokerLost,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::DeviceError => "device error",
            Reason::Timeout => "timed out",
            Reason::ChildFailed => "a node inside it failed",
            Reason::Offline => "the device is offline",
            Reason::BrokerLost => "the MQTT broker was lost",
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

/// Hands every event to several observers: the output and, say, a trace.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Observer>);

impl Observer for Fanout<'_> {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        for observer in &mut self.0 {
            observer.event(t, event);
        }
    }
}
