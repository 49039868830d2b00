//! The program as written, every part with the span it came from. Names are
//! still names here; `check.rs` resolves them.

use std::time::Duration;

use crate::diagnostic::Span;
use crate::message::MessageType;

/// A value together with the bytes of the file it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

#[derive(Debug, Default)]
pub struct Program {
    pub name: Option<String>,
    pub devices: Vec<Device>,
    /// False when `devices` is missing or no mapping: names of devices then
    /// cannot be checked, and are not.
    pub devices_declared: bool,
    pub routines: Vec<Routine>,
    /// The kinds the file declares under `kinds:`, in file order.
    pub kinds: Vec<KindDecl>,
    pub program: Option<Node>,
    /// The broker, when the file has `mqtt:`.
    pub mqtt: Option<MqttConfig>,
}

/// A kind declared under `kinds:`. Its shape is checked while lowering;
/// `kind` is there only when nothing about it was wrong.
#[derive(Debug)]
pub struct KindDecl {
    pub name: Spanned<String>,
    pub kind: Option<crate::device::Kind>,
}

#[derive(Debug)]
pub struct Device {
    pub name: Spanned<String>,
    /// The kind's name as written; `check.rs` resolves it against the
    /// built-in and the declared kinds. `None` when it was missing or not
    /// text, which is reported already.
    pub kind: Option<Spanned<String>>,
    /// The state it starts from (`state:`), a JSON object; empty if not given.
    pub state: serde_json::Map<String, serde_json::Value>,
    pub latency: Duration,
    /// The file's `latency` was no duration (reported already): nothing
    /// may be judged against the default that stands in for it.
    pub latency_rejected: bool,
    /// Extra latency, uniform in [0, jitter], per operation.
    pub jitter: Duration,
    /// Probability that one message attempt fails.
    pub failure_rate: f64,
    /// Set for a real device, reached over MQTT.
    pub mqtt: Option<DeviceMqtt>,
}

#[derive(Debug)]
pub struct Routine {
    pub name: Spanned<String>,
    pub body: Node,
}

#[derive(Debug)]
pub struct Node {
    /// Where the node starts: its first key, or the list for the `[...]` form.
    pub span: Span,
    pub kind: NodeKind,
    pub options: Options,
}

/// What every node may carry besides its form.
#[derive(Debug, Default)]
pub struct Options {
    /// On a message, bounds each attempt; elsewhere the whole node.
    pub timeout: Option<Spanned<Duration>>,
    /// Messages only.
    pub retry: Option<Retry>,
    pub continue_on_error: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct Retry {
    /// Attempts in all, at least 1.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each next one.
    pub backoff: Duration,
}

#[derive(Debug)]
pub enum NodeKind {
    Message {
        device: Spanned<String>,
        message: Spanned<MessageType>,
        data: Data,
    },
    Sequence(Vec<Node>),
    Parallel(Vec<Node>),
    Delay(Duration),
    Run(Spanned<String>),
    /// `wait: { device, state }`: done once the device's state holds
    /// `state`. The state is any JSON value here: that it is a non-empty
    /// object is `check.rs`'s to say, at its span.
    Wait {
        device: Spanned<String>,
        state: Spanned<serde_json::Value>,
        /// The top-level keys of `state` where it is a mapping, each with
        /// its span, for diagnostics about one field.
        fields: Vec<Spanned<String>>,
    },
    /// A node that could not be read; its diagnostics are reported and the
    /// program will not run, but its siblings are still checked.
    Invalid,
    /// A mapping whose keys are no node form (say `paralel:`), reported
    /// already; the nodes in its lists are kept so their mistakes are
    /// reported too.
    Misspelled(Vec<Node>),
}

/// The `data` of a message node.
#[derive(Debug)]
pub enum Data {
    Absent,
    Text(Spanned<String>),
    /// Present but not text (a list, say); reported already, so the data
    /// rules say nothing more about it.
    Broken,
}

impl Data {
    pub fn text(&self) -> Option<&Spanned<String>> {
        match self {
            Data::Text(text) => Some(text),
            Data::Absent | Data::Broken => None,
        }
    }
}

/// The program's MQTT broker and login (`mqtt:` at the top).
#[derive(Clone, Debug, Default)]
pub struct MqttConfig {
    /// `mqtt://host:port`, as written; `IOTRUN_MQTT_BROKER` and `--broker`
    /// override it when the run starts.
    pub broker: Option<Spanned<String>>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    /// The environment variable that holds the password.
    pub password_env: Option<String>,
    /// For `mqtts://`: a CA to trust (PEM), and a client certificate and
    /// its key; relative to the program file's folder.
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
}

/// How a real device is reached over MQTT (a device's `mqtt:`).
#[derive(Clone, Debug)]
pub struct DeviceMqtt {
    pub command_topic: String,
    pub state_topic: String,
    pub availability_topic: String,
    /// Done on the first matching state report, not on the broker's PUBACK.
    pub confirm: bool,
    /// The device's own payloads, before its kind's.
    pub payloads: Vec<(crate::message::MessageType, crate::device::Payload)>,
    /// The state that confirms a message type, instead of its payload.
    pub expect: Vec<(crate::message::MessageType, serde_json::Value)>,
}
