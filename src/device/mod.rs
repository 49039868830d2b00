//! Devices: the one interface the interpreter drives them through, the
//! kinds table, payloads and state, and the simulated device.
//!
//! The interpreter (`run/`) walks the program and owns retries, timeouts,
//! fail-fast, cancellation and events; a device only connects, carries out
//! one command, and disconnects. Every future it returns is cancel-safe:
//! dropping it (a timeout, a failing sibling, Ctrl-C) leaves the device as
//! if the command had not been sent, so a timeout is a race and not a
//! prediction.

mod kind;
mod payload;
mod simulated;
mod state;

use futures::future::LocalBoxFuture;
use tokio::time::Instant;

pub use kind::{BUILTIN, Kind};
pub use payload::Payload;
pub use simulated::Simulated;
pub use state::{State, contains, merge};

use crate::message::MessageType;
use crate::run::Reason;

/// One device as the interpreter sees it.
pub trait Device {
    /// Connects, starting at the logical instant `at`; resolves at the
    /// instant it is connected.
    fn connect(&self, at: Instant) -> LocalBoxFuture<'_, Instant>;

    /// Carries out one attempt of a message.
    fn send<'a>(&'a self, command: Command<'a>) -> LocalBoxFuture<'a, Reply>;

    /// Disconnects, starting at `at`; resolves at the instant it is done.
    fn disconnect(&self, at: Instant) -> LocalBoxFuture<'_, Instant>;

    /// What the device is now, as far as iotrun knows.
    fn state(&self) -> &State;
    /// For a device whose state changes by itself (a real device's
    /// reports), notified at each change, so the interpreter can publish it.
    fn reports(&self) -> Option<&tokio::sync::Notify> {
        None
    }
}

/// One attempt of a message.
pub struct Command<'a> {
    pub message: MessageType,
    /// The command, its `{data}` already filled in.
    pub payload: &'a Payload,
    /// The message's data, for a device with payloads of its own.
    pub data: Option<&'a str>,
    /// When the attempt logically starts.
    pub at: Instant,
    /// Which execution of which step this is (its path through the
    /// program), and which attempt: a simulated device seeds its draws
    /// with them, so that a seed repeats a run whatever order concurrent
    /// work finishes in.
    pub execution: u64,
    pub attempt: u32,
}

/// How an attempt ended: when it was done, or why and when it failed.
pub type Reply = Result<Instant, Fault>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub reason: Reason,
    pub at: Instant,
}

/// Mixes two words into one (splitmix64 of their combination): identities
/// of executions and seeds of draws. Stable across platforms and versions.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `at + d`. Each duration is bounded (see `duration::MAX`), but a routine
/// run a billion times may add up past what an `Instant` holds: such a run
/// waits (practically) forever instead of panicking.
pub fn later(at: Instant, d: std::time::Duration) -> Instant {
    const CENTURY: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);
    at.checked_add(d)
        .or_else(|| at.checked_add(CENTURY))
        .unwrap_or(at)
}
