//! The simulated device: a pure, seeded model of a device (its latency,
//! jitter, failure rate and state) plus the clock. Every operation sleeps
//! *until* its logical end rather than *for* its latency, so that a
//! sequence of a thousand messages ends at the sum of their latencies and
//! not at that sum plus a thousand timer wake-ups.

use std::time::Duration;

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value};
use tokio::time::{Instant, sleep_until};

use super::{Command, Device, Fault, Reply, State, later, mix};
use crate::run::Reason;

pub struct Simulated {
    /// Its place among the program's devices: the identity of its connect
    /// and disconnect draws.
    index: usize,
    seed: u64,
    latency: Duration,
    jitter: Duration,
    failure_rate: f64,
    state: State,
}

// Salts that keep the identities of different kinds of draws apart.
const CONNECT: u64 = 3;
const DISCONNECT: u64 = 4;
const LATENCY: u64 = 5;
const FAILURE: u64 = 6;

impl Simulated {
    pub fn new(
        index: usize,
        seed: u64,
        latency: Duration,
        jitter: Duration,
        failure_rate: f64,
        state: Map<String, Value>,
    ) -> Self {
        Simulated {
            index,
            seed,
            latency,
            jitter,
            failure_rate,
            state: State::new(state),
        }
    }

    /// A generator for one draw of one execution of a step.
    fn draw(&self, execution: u64, attempt: u32, purpose: u64) -> StdRng {
        StdRng::seed_from_u64(mix(mix(mix(self.seed, execution), attempt.into()), purpose))
    }

    /// The latency of one operation: `latency` plus a draw of `jitter`,
    /// in whole milliseconds like every duration of the program, so that
    /// distinct instants fall in distinct timer ticks.
    fn latency(&self, execution: u64, attempt: u32) -> Duration {
        if self.jitter.is_zero() {
            return self.latency;
        }
        let jitter = self
            .draw(execution, attempt, LATENCY)
            .random_range(0..=self.jitter.as_millis().min(u64::MAX.into()) as u64);
        self.latency.saturating_add(Duration::from_millis(jitter))
    }

    async fn link(&self, salt: u64, at: Instant) -> Instant {
        let end = later(at, self.latency(mix(salt, self.index as u64), 1));
        until(end).await;
        end
    }
}

/// Sleeps until `end`. An instant already reached (no latency) only yields:
/// tokio's timer rounds a deadline up to its next millisecond tick, which
/// would add up to a millisecond to every answer of a device with none.
async fn until(end: Instant) {
    if end > Instant::now() {
        sleep_until(end).await;
    } else {
        tokio::task::yield_now().await;
    }
}

impl Device for Simulated {
    fn connect(&self, at: Instant) -> LocalBoxFuture<'_, Instant> {
        self.link(CONNECT, at).boxed_local()
    }

    fn send<'a>(&'a self, command: Command<'a>) -> LocalBoxFuture<'a, Reply> {
        async move {
            let end = later(command.at, self.latency(command.execution, command.attempt));
            let fails = self.failure_rate > 0.0
                && self
                    .draw(command.execution, command.attempt, FAILURE)
                    .random::<f64>()
                    < self.failure_rate;
            until(end).await;
            if fails {
                return Err(Fault {
                    reason: Reason::DeviceError,
                    at: end,
                });
            }
            // Applied only once the attempt succeeded: a failed or
            // cancelled attempt changes nothing.
            if let Some(patch) = command.payload.as_state() {
                self.state.merge(patch);
            }
            Ok(end)
        }
        .boxed_local()
    }

    fn disconnect(&self, at: Instant) -> LocalBoxFuture<'_, Instant> {
        self.link(DISCONNECT, at).boxed_local()
    }

    fn state(&self) -> &State {
        &self.state
    }
}
