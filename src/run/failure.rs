//! Why a run failed, as data: each kind of failure holds what its words
//! need, and its one `Display` holds the wording (as `just`'s
//! `CompileErrorKind` does), so that a new failure is a new variant, not a
//! `format!` at a call site.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::event::Reason;
use crate::diagnostic::Span;
use crate::duration::display;
use crate::message::MessageType;

/// A failed step: where it is in the file, what happened, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub span: Span,
    pub line: u32,
    pub kind: FailureKind,
    /// When it failed (logically).
    pub(crate) at: Instant,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// A message's last attempt failed.
    Message {
        message: MessageType,
        device: String,
        attempts: u32,
        reason: Reason,
    },
    /// A block (`sequence`, `parallel`, `run`, `delay`) ran past its
    /// `timeout`.
    TimedOut { node: &'static str, after: Duration },
    /// A wait's device did not reach the state within its `timeout`.
    Wait { device: String, after: Duration },
    /// A wait without timeout, under virtual time, that nothing satisfied
    /// before the longest run a program may be.
    NeverEnds { device: String },
}

impl FailureKind {
    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            FailureKind::Message {
                reason: Reason::Timeout,
                ..
            } => {
                "give it a longer `timeout`, more `retry` attempts, or `continue_on_error: true` to carry on without it"
            }
            FailureKind::Message { attempts: 1, .. } => {
                "give it `retry: { attempts: N, backoff: D }`, or `continue_on_error: true` to carry on without it"
            }
            FailureKind::Message { .. } => {
                "give it more `retry` attempts or a longer backoff, or `continue_on_error: true` to carry on without it"
            }
            FailureKind::TimedOut { .. } => {
                "give it a longer `timeout`, or `continue_on_error: true` to carry on without it"
            }
            FailureKind::NeverEnds { .. } => {
                "nothing in the program gives that state (`iotrun check` warns of such a wait): send the message that sets it, or give the wait a `timeout`"
            }
            FailureKind::Wait { .. } => {
                "check that a message before it or beside it sets that state, give it a longer `timeout`, or `continue_on_error: true` to carry on without it"
            }
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Message {
                message,
                device,
                attempts,
                reason,
            } => {
                write!(f, "{message} to `{device}` failed")?;
                if *attempts > 1 {
                    write!(f, " after {attempts} attempts")?;
                }
                write!(f, ": {}", reason.describe())
            }
            FailureKind::TimedOut { node, after } => {
                write!(f, "{node} timed out after {}", display(*after))
            }
            FailureKind::NeverEnds { device } => write!(
                f,
                "the wait for `{device}` can never end: under virtual time its state did not come in 365 days, longer than any run may take"
            ),
            FailureKind::Wait { device, after } => {
                write!(
                    f,
                    "the wait for `{device}` timed out after {}",
                    display(*after)
                )
            }
        }
    }
}
