//! The interpreter. `parallel` is `join_all` of its children, `sequence`
//! awaits them one by one, `delay` and every device operation are a sleep.
//!
//! Every step is scheduled against a logical start instant and sleeps
//! *until* its deadline rather than *for* its latency: a sequence of a
//! thousand messages then ends at the sum of their latencies, not at that sum
//! plus a thousand timer wake-up delays. In real time, events carry the
//! instant they really happened; under `--virtual-time` (tokio's paused
//! clock, which works in whole milliseconds) they carry the logical instant,
//! which is exact.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::future::{LocalBoxFuture, join_all};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::time::{Instant, sleep_until};

use super::event::{Event, Observer, Status};
use crate::device::Kind;
use crate::plan::{Plan, Step};

/// How a run is made.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Seeds device ids, so that a run can be repeated exactly.
    pub seed: u64,
    /// Whether the clock is tokio's paused one; events then report logical
    /// times.
    pub virtual_time: bool,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub duration: Duration,
    pub messages: u64,
}

/// Runs a plan: connects every device at once, runs the program, and
/// disconnects every device at once — also when `shutdown` resolves first, in
/// which case the program is dropped where it stands. A shutdown during the
/// final disconnect lets it finish and marks the run interrupted.
///
/// Shutdown is a future so that `main` can pass Ctrl-C and tests can pass
/// anything they control.
pub async fn run(
    plan: &Plan,
    options: Options,
    observer: &mut dyn Observer,
    shutdown: impl Future<Output = ()>,
) -> Outcome {
    let runner = Runner {
        plan,
        ids: device_ids(plan.devices.len(), options.seed),
        start: Instant::now(),
        virtual_time: options.virtual_time,
        observer: RefCell::new(observer),
        linked: RefCell::new(vec![false; plan.devices.len()]),
        messages: Cell::new(0),
    };
    let mut shutdown = pin!(shutdown);
    let work = async {
        let at = runner.connect_all(runner.start).await;
        runner.step(&plan.root, at).await
    };
    let (mut status, at) = tokio::select! {
        // Polled in order: a program that is done wins over a shutdown
        // that arrives in the same instant.
        biased;
        end = work => (Status::Ok, end),
        () = &mut shutdown => (Status::Interrupted, Instant::now()),
    };
    let mut disconnect = pin!(runner.disconnect_all(at));
    let end = if status == Status::Ok {
        tokio::select! {
            biased;
            end = &mut disconnect => end,
            () = &mut shutdown => {
                status = Status::Interrupted;
                disconnect.await
            }
        }
    } else {
        disconnect.await
    };
    let duration = runner.time(end);
    let outcome = Outcome {
        status,
        duration,
        messages: runner.messages.get(),
    };
    // At the duration it reports: one clock reading for both.
    runner.observer.borrow_mut().event(
        duration,
        &Event::RunEnd {
            status,
            duration,
            messages: outcome.messages,
        },
    );
    outcome
}

/// Ids of 8 random uppercase letters, as the seed's `generate_id`, unique in
/// the run and drawn in declaration order so a seed always gives the same.
fn device_ids(count: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen = HashSet::with_capacity(count);
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        let id: String = (0..8)
            .map(|_| char::from(rng.random_range(b'A'..=b'Z')))
            .collect();
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    ids
}

struct Runner<'p, 'o> {
    plan: &'p Plan,
    ids: Vec<String>,
    start: Instant,
    virtual_time: bool,
    // A `RefCell` and not a lock: the whole run is one task on one thread;
    // concurrent steps are futures polled in turn, never at the same time.
    observer: RefCell<&'o mut dyn Observer>,
    /// Devices that have started to connect and not yet disconnected: an
    /// interrupt in the middle of connecting still disconnects them.
    linked: RefCell<Vec<bool>>,
    messages: Cell<u64>,
}

impl Runner<'_, '_> {
    /// The time since the start of the run of an event that logically
    /// happens at `at`.
    fn time(&self, at: Instant) -> Duration {
        let now = if self.virtual_time {
            at
        } else {
            Instant::now()
        };
        now.saturating_duration_since(self.start)
    }

    fn emit(&self, at: Instant, event: &Event<'_>) {
        let t = self.time(at);
        self.observer.borrow_mut().event(t, event);
    }

    /// Connects every device at once; ends when the slowest has.
    async fn connect_all(&self, at: Instant) -> Instant {
        let all: Vec<usize> = (0..self.plan.devices.len()).collect();
        self.link_all(Link::Connect, all, at).await
    }

    /// Disconnects every device that connected, or began to, at once.
    async fn disconnect_all(&self, at: Instant) -> Instant {
        let linked: Vec<usize> = {
            let linked = self.linked.borrow();
            (0..linked.len()).filter(|&i| linked[i]).collect()
        };
        self.link_all(Link::Disconnect, linked, at).await
    }

    async fn link_all(&self, link: Link, devices: Vec<usize>, at: Instant) -> Instant {
        let links = devices.into_iter().map(|i| async move {
            let device = &self.plan.devices[i];
            let (started, done) = link.events(&device.name, device.kind, &self.ids[i]);
            self.linked.borrow_mut()[i] = true;
            self.emit(at, &started);
            let end = later(at, device.latency);
            sleep_until(end).await;
            self.linked.borrow_mut()[i] = link == Link::Connect;
            self.emit(end, &done);
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
                    self.emit(
                        at,
                        &Event::MessageStart {
                            device: &spec.name,
                            kind: spec.kind,
                            message: *message,
                            data: data.as_deref(),
                            line: *line,
                        },
                    );
                    let end = later(at, spec.latency);
                    sleep_until(end).await;
                    self.messages.set(self.messages.get() + 1);
                    self.emit(
                        end,
                        &Event::MessageEnd {
                            device: &spec.name,
                            kind: spec.kind,
                            message: *message,
                            line: *line,
                        },
                    );
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

/// `at + d`. Each duration is bounded (see `duration::MAX`), but a routine
/// run a billion times may add up past what an `Instant` holds: such a run
/// waits (practically) forever instead of panicking.
fn later(at: Instant, d: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    at.checked_add(d)
        .or_else(|| at.checked_add(CENTURY))
        .unwrap_or(at)
}
