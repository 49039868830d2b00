//! The interpreter. `parallel` is `join_all` of its children, `sequence`
//! awaits them one by one, `delay` and every device operation are a sleep.
//!
//! Every step is scheduled against a logical start instant and sleeps
//! *until* its deadline rather than *for* its latency: a sequence of a
//! thousand messages then ends at the sum of their latencies, not at that sum
//! plus a thousand timer wake-up delays. Under `--virtual-time` (tokio's
//! paused clock) the deadlines are hit exactly.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::Duration;

use futures::future::{LocalBoxFuture, join_all};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::time::{Instant, sleep_until};

use super::event::{Event, Observer, Status};
use crate::device::Kind;
use crate::plan::{Plan, Step};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub duration: Duration,
    pub messages: u64,
}

/// Runs a plan: connects every device at once, runs the program, and
/// disconnects every connected device at once — also when `shutdown`
/// resolves first, in which case the program is dropped where it stands.
///
/// Shutdown is a future so that `main` can pass Ctrl-C and tests can pass
/// anything they control.
pub async fn run(
    plan: &Plan,
    seed: u64,
    observer: &mut dyn Observer,
    shutdown: impl Future<Output = ()>,
) -> Outcome {
    let runner = Runner {
        plan,
        ids: device_ids(plan.devices.len(), seed),
        start: Instant::now(),
        observer: RefCell::new(observer),
        connected: RefCell::new(vec![false; plan.devices.len()]),
        messages: Cell::new(0),
    };
    let work = async {
        let at = runner.connect_all(runner.start).await;
        runner.step(&plan.root, at).await
    };
    let (status, at) = tokio::select! {
        // Polled in order: a program that is done wins over a shutdown
        // that arrives in the same instant.
        biased;
        end = work => (Status::Ok, end),
        () = shutdown => (Status::Interrupted, Instant::now()),
    };
    let end = runner.disconnect_all(at).await;
    let outcome = Outcome {
        status,
        duration: end.max(Instant::now()) - runner.start,
        messages: runner.messages.get(),
    };
    runner.emit(&Event::RunEnd {
        status,
        duration: outcome.duration,
        messages: outcome.messages,
    });
    outcome
}

/// Ids of 8 random uppercase letters, as the seed's `generate_id`, unique in
/// the run and drawn in declaration order so a seed always gives the same.
fn device_ids(count: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ids: Vec<String> = Vec::with_capacity(count);
    while ids.len() < count {
        let id: String = (0..8)
            .map(|_| char::from(rng.random_range(b'A'..=b'Z')))
            .collect();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

struct Runner<'p, 'o> {
    plan: &'p Plan,
    ids: Vec<String>,
    start: Instant,
    // A `RefCell` and not a lock: the whole run is one task on one thread;
    // concurrent steps are futures polled in turn, never at the same time.
    observer: RefCell<&'o mut dyn Observer>,
    connected: RefCell<Vec<bool>>,
    messages: Cell<u64>,
}

impl Runner<'_, '_> {
    fn emit(&self, event: &Event<'_>) {
        let t = Instant::now() - self.start;
        self.observer.borrow_mut().event(t, event);
    }

    /// Connects every device at once; ends when the slowest has.
    async fn connect_all(&self, at: Instant) -> Instant {
        self.link_all(Link::Connect, at).await
    }

    /// Disconnects every connected device at once.
    async fn disconnect_all(&self, at: Instant) -> Instant {
        self.link_all(Link::Disconnect, at).await
    }

    async fn link_all(&self, link: Link, at: Instant) -> Instant {
        let connect = link == Link::Connect;
        let devices: Vec<usize> = {
            let connected = self.connected.borrow();
            (0..self.plan.devices.len())
                .filter(|&i| connect || connected[i])
                .collect()
        };
        let links = devices.into_iter().map(|i| async move {
            let device = &self.plan.devices[i];
            let (started, done) = link.events(&device.name, device.kind, &self.ids[i]);
            self.emit(&started);
            let end = later(at, device.latency);
            sleep_until(end).await;
            self.connected.borrow_mut()[i] = connect;
            self.emit(&done);
            end
        });
        join_all(links).await.into_iter().max().unwrap_or(at)
    }

    /// Runs one step that logically starts at `at`; returns when it logically
    /// ends. Boxed because steps nest (the checker bounds how deep).
    fn step<'s>(&'s self, step: &'s Step, at: Instant) -> LocalBoxFuture<'s, Instant> {
        Box::pin(async move {
            match step {
                Step::Message {
                    device,
                    message,
                    data,
                    line,
                } => {
                    let spec = &self.plan.devices[*device];
                    self.emit(&Event::MessageStart {
                        device: &spec.name,
                        kind: spec.kind,
                        message: *message,
                        data: data.as_deref(),
                        line: *line,
                    });
                    let end = later(at, spec.latency);
                    sleep_until(end).await;
                    self.messages.set(self.messages.get() + 1);
                    self.emit(&Event::MessageEnd {
                        device: &spec.name,
                        kind: spec.kind,
                        message: *message,
                        line: *line,
                    });
                    end
                }
                Step::Sequence(steps) => {
                    let mut at = at;
                    for step in steps {
                        at = self.step(step, at).await;
                    }
                    at
                }
                Step::Parallel(steps) => join_all(steps.iter().map(|s| self.step(s, at)))
                    .await
                    .into_iter()
                    .max()
                    .unwrap_or(at),
                Step::Delay(duration) => {
                    let end = later(at, *duration);
                    sleep_until(end).await;
                    end
                }
                Step::Run(routine) => self.step(&self.plan.routines[*routine], at).await,
            }
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    Connect,
    Disconnect,
}

impl Link {
    /// The events that start and end this operation on one device.
    fn events<'a>(self, device: &'a str, kind: Kind, id: &'a str) -> (Event<'a>, Event<'a>) {
        match self {
            Link::Connect => (
                Event::ConnectStart { device, kind, id },
                Event::ConnectEnd { device, kind, id },
            ),
            Link::Disconnect => (
                Event::DisconnectStart { device, kind, id },
                Event::DisconnectEnd { device, kind, id },
            ),
        }
    }
}

/// `at + d`, for deadlines a program computes from its own durations: a
/// program of absurd length waits (practically) forever instead of panicking.
fn later(at: Instant, d: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    at.checked_add(d)
        .or_else(|| at.checked_add(CENTURY))
        .unwrap_or(at)
}
