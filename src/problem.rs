//! What `check` finds wrong with a sound-looking file, as data: each kind
//! of problem carries its code and, in its one `Display`, its wording, so a
//! code and its words cannot drift apart and a new problem is a new
//! variant, not a `format!` at a call site. (Run failures are data the same
//! way: `run::FailureKind`.) A call site adds the labels and the help,
//! which depend on where the problem is.

use std::fmt;
use std::time::Duration;

use crate::diagnostic::{Code, Diagnostic, shown};
use crate::duration::display;
use crate::message::MessageType;

pub enum Problem<'a> {
    UnknownKind {
        kind: &'a str,
    },
    UnknownRoutine {
        routine: &'a str,
    },
    UnknownDevice {
        device: &'a str,
    },
    EmptyWaitState,
    /// `what` says what the state is instead ("text", "a list", ...).
    WaitStateNotMapping {
        what: &'a str,
    },
    UnboundedWait,
    /// A message to a device that confirms, with no `timeout`.
    UnboundedConfirm {
        device: &'a str,
    },
    /// `fields` is the listed fields, e.g. "`speed`" or "`a` and `b`".
    UnreachableState {
        device: &'a str,
        fields: &'a str,
    },
    ShortTimeout {
        timeout: Duration,
        device: &'a str,
        latency: Duration,
    },
    UnsupportedMessage {
        device: &'a str,
        kind: &'a str,
        message: MessageType,
    },
    UnusedData {
        message: MessageType,
    },
    MissingColour,
    EmptyColour,
    NotAColour {
        data: &'a str,
    },
    MissingSong,
    EmptySong,
    UnusedDevice {
        device: &'a str,
    },
    UnusedKind {
        kind: &'a str,
    },
    UnusedRoutine {
        routine: &'a str,
    },
    RunsItself {
        routine: &'a str,
    },
    /// `path` is the cycle, e.g. "`a` -> `b` -> `a`".
    RoutineCycle {
        path: String,
    },
}

impl Problem<'_> {
    pub fn code(&self) -> Code {
        match self {
            Problem::UnknownKind { .. } => Code::UnknownKind,
            Problem::UnknownRoutine { .. } => Code::UnknownRoutine,
            Problem::UnknownDevice { .. } => Code::UnknownDevice,
            Problem::EmptyWaitState
            | Problem::WaitStateNotMapping { .. }
            | Problem::EmptyColour
            | Problem::NotAColour { .. }
            | Problem::EmptySong => Code::InvalidData,
            Problem::UnboundedWait | Problem::UnboundedConfirm { .. } => Code::UnboundedWait,
            Problem::UnreachableState { .. } => Code::UnreachableState,
            Problem::ShortTimeout { .. } => Code::ShortTimeout,
            Problem::UnsupportedMessage { .. } => Code::UnsupportedMessage,
            Problem::UnusedData { .. } => Code::UnusedData,
            Problem::MissingColour | Problem::MissingSong => Code::MissingData,
            Problem::UnusedDevice { .. } => Code::UnusedDevice,
            Problem::UnusedKind { .. } => Code::UnusedKind,
            Problem::UnusedRoutine { .. } => Code::UnusedRoutine,
            Problem::RunsItself { .. } | Problem::RoutineCycle { .. } => Code::RoutineCycle,
        }
    }
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::UnknownKind { kind } => {
                write!(f, "there is no device kind `{}`", shown(kind))
            }
            Problem::UnknownRoutine { routine } => {
                write!(f, "there is no routine `{}`", shown(routine))
            }
            Problem::UnknownDevice { device } => {
                write!(f, "there is no device `{}`", shown(device))
            }
            Problem::EmptyWaitState => write!(f, "this `wait` waits for an empty state"),
            Problem::WaitStateNotMapping { what } => {
                write!(f, "a `wait`'s `state` is a mapping of fields, not {what}")
            }
            Problem::UnboundedWait => {
                write!(f, "this `wait` has no `timeout`, so it may never end")
            }
            Problem::UnboundedConfirm { device } => write!(
                f,
                "this message waits for `{}` to confirm it and has no `timeout`, so it may never end",
                shown(device)
            ),
            Problem::UnreachableState { device, fields } => write!(
                f,
                "no message to `{device}` sets {fields}, nor does its starting `state`"
            ),
            Problem::ShortTimeout {
                timeout,
                device,
                latency,
            } => write!(
                f,
                "this timeout ({}) is shorter than `{}`'s latency ({})",
                display(*timeout),
                shown(device),
                display(*latency)
            ),
            Problem::UnsupportedMessage {
                device,
                kind,
                message,
            } => write!(
                f,
                "`{}` is a {kind}, which does not accept {message}",
                shown(device)
            ),
            Problem::UnusedData { message } => write!(f, "{message} ignores `data`"),
            Problem::MissingColour => write!(f, "CHANGE_COLOR needs a colour in `data`"),
            Problem::EmptyColour => write!(f, "CHANGE_COLOR needs a colour, but `data` is empty"),
            Problem::NotAColour { data } => write!(f, "`{}` is not a colour", shown(data)),
            Problem::MissingSong => write!(f, "PLAY_SONG needs a song in `data`"),
            Problem::EmptySong => write!(f, "PLAY_SONG needs a song, but `data` is empty"),
            Problem::UnusedDevice { device } => {
                write!(f, "device `{}` gets no message", shown(device))
            }
            Problem::UnusedKind { kind } => write!(f, "kind `{}` is never used", shown(kind)),
            Problem::UnusedRoutine { routine } => {
                write!(f, "routine `{}` is never run", shown(routine))
            }
            Problem::RunsItself { routine } => {
                write!(f, "routine `{}` runs itself", shown(routine))
            }
            Problem::RoutineCycle { path } => {
                write!(f, "routines run each other in a cycle: {path}")
            }
        }
    }
}

impl From<Problem<'_>> for Diagnostic {
    fn from(problem: Problem<'_>) -> Self {
        Diagnostic::new(problem.code(), problem.to_string())
    }
}
