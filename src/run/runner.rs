//! The interpreter. `parallel` runs its children at once and is done when
//! all are, `sequence` runs them one by one, `delay` is a sleep, `wait`
//! watches a device's state, and a message is sent to its device through
//! the one device interface ([`crate::device::Device`]); the interpreter
//! owns retries, timeouts (raced against the device), fail-fast,
//! cancellation and events, and knows nothing of how a device works.
//!
//! Every step is scheduled against a logical start instant, and devices
//! answer with the logical instant they are done: a sequence of a thousand
//! messages then ends at the sum of their latencies, not at that sum plus a
//! thousand timer wake-up delays. In real time, events carry the instant
//! they really happened; under `--virtual-time` (tokio's paused clock, which
//! works in whole milliseconds) they carry the logical instant, which is
//! exact.
//!
//! Failure and cancellation. A step returns `Err(Failure)` when it fails;
//! a `sequence` starts nothing after a failure, and a `parallel` drops its
//! other children at once (fail-fast). Dropping a future is the cancellation:
//! a message in flight holds an [`InFlight`] guard whose `Drop` reports it
//! cancelled, so every path out — a sibling's failure, a timeout, Ctrl-C —
//! reports the same way without any step having to know why it stopped.
//!
//! Identity. Each execution of a step is identified by its path from the
//! root, through every `run`; a device gets that identity and the attempt
//! with each command, and a simulated device seeds its draws with them.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::future::{LocalBoxFuture, join_all};
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value};
use tokio::time::{Instant, sleep_until};

use super::event::{Event, Observer, Reason, Status};
use super::failure::{Failure, FailureKind};
use crate::device::{Command, Device, Fault, Kind, Simulated, later, mix};
use crate::message::MessageType;
use crate::plan::{Plan, Step, StepKind};

/// How a run is made.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Seeds device ids, jitter and failures, so that a run can be repeated
    /// exactly.
    pub seed: u64,
    /// Whether the clock is tokio's paused one; events then report logical
    /// times.
    pub virtual_time: bool,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub duration: Duration,
    pub messages: u64,
    /// Why the run failed, when it did.
    pub failure: Option<Failure>,
}

type Stepped = Result<Instant, Failure>;

/// Runs a plan: connects every device at once, runs the program, and
/// disconnects every device at once — also when the program fails, and when
/// `shutdown` resolves first, in which case the program is dropped where it
/// stands. A shutdown during the final disconnect lets it finish and marks
/// the run interrupted.
///
/// Shutdown is a future so that `main` can pass Ctrl-C and tests can pass
/// anything they control.
pub async fn run(
    plan: &Plan,
    options: Options,
    observer: &mut dyn Observer,
    shutdown: impl Future<Output = ()>,
) -> Outcome {
    let devices = simulated(plan, options.seed);
    run_on(plan, &devices, options, observer, shutdown).await
}

/// Every device of the plan, simulated.
pub fn simulated(plan: &Plan, seed: u64) -> Vec<Box<dyn Device>> {
    plan.devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Box::new(Simulated::new(
                i,
                seed,
                d.latency,
                d.jitter,
                d.failure_rate,
                d.state.clone(),
            )) as Box<dyn Device>
        })
        .collect()
}

/// [`run`] on the given devices, one for each of the plan's, in order.
pub async fn run_on(
    plan: &Plan,
    devices: &[Box<dyn Device + '_>],
    options: Options,
    observer: &mut dyn Observer,
    shutdown: impl Future<Output = ()>,
) -> Outcome {
    let runner = Runner {
        plan,
        devices,
        ids: device_ids(plan.devices.len(), options.seed),
        start: Instant::now(),
        virtual_time: options.virtual_time,
        observer: RefCell::new(observer),
        linked: RefCell::new(vec![false; plan.devices.len()]),
        messages: Cell::new(0),
        changed_at: RefCell::new(vec![Instant::now(); plan.devices.len()]),
        unyielded: Cell::new(0),
        cancelled_at: Cell::new(Instant::now()),
    };
    let mut shutdown = pin!(shutdown);
    let mut work = Box::pin(async {
        let program = async {
            let at = runner.connect_all(runner.start).await;
            runner.step(&plan.root, mix(options.seed, ROOT), at).await
        };
        // A real device's reports change its state by themselves: each is
        // published (a `state` event, waits woken) as it arrives. The
        // program is polled first, so that a message confirmed by a report
        // still reports `message_end` before the `state`.
        tokio::select! {
            biased;
            result = program => result,
            () = runner.publish_reports() => Ok(runner.start),
        }
    });
    let (mut status, at, failure) = tokio::select! {
        // Polled in order: a program that is done wins over a shutdown
        // that arrives in the same instant.
        biased;
        result = &mut work => match result {
            Ok(end) => (Status::Ok, end, None),
            Err(failure) => (Status::Failed, failure.at, Some(failure)),
        },
        () = &mut shutdown => {
            let now = Instant::now();
            runner.cancelled_at.set(now);
            (Status::Interrupted, now, None)
        }
    };
    // Whatever is still in flight reports itself cancelled here.
    drop(work);
    let mut disconnect = pin!(runner.disconnect_all(at));
    let end = if status == Status::Interrupted {
        disconnect.await
    } else {
        tokio::select! {
            biased;
            end = &mut disconnect => end,
            () = &mut shutdown => {
                status = Status::Interrupted;
                disconnect.await
            }
        }
    };
    let duration = runner.time(end);
    let error = failure.as_ref().map(|f| f.kind.to_string());
    // At the duration it reports: one clock reading for both.
    runner.observer.borrow_mut().event(
        duration,
        &Event::RunEnd {
            status,
            duration,
            messages: runner.messages.get(),
            error: error.as_deref(),
            seed: options.seed,
        },
    );
    Outcome {
        status,
        duration,
        messages: runner.messages.get(),
        failure,
    }
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

/// Steps between two turns given to the runtime: a turn costs about a
/// microsecond, and a few hundred steps take well under a millisecond.
const STEPS_PER_TURN: u32 = 256;

// Salts that keep the identities of executions apart.
const ROOT: u64 = 1;
const ROUTINE: u64 = 2;

struct Runner<'p, 'o> {
    plan: &'p Plan,
    devices: &'p [Box<dyn Device + 'p>],
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
    /// When each device's state last changed: a wait it satisfies ends then.
    changed_at: RefCell<Vec<Instant>>,
    /// Steps started since the run last gave the runtime a turn.
    unyielded: Cell<u32>,
    /// When the work being dropped was cancelled: whoever cancels sets it
    /// before dropping, and the dropped messages report that instant.
    cancelled_at: Cell<Instant>,
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

    /// Gives the runtime a turn every [`STEPS_PER_TURN`] steps. The run task
    /// has no cooperative budget (see `app.rs`), and steps that take no
    /// time never wait: without this, a million of them would never let the
    /// shutdown future be polled, and Ctrl-C would go unheard until the end.
    async fn take_turns(&self) {
        let steps = self.unyielded.get() + 1;
        if steps < STEPS_PER_TURN {
            self.unyielded.set(steps);
            return;
        }
        self.unyielded.set(0);
        tokio::task::yield_now().await;
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
            let spec = &self.plan.devices[i];
            let kind = &self.plan.kinds[spec.kind];
            let (started, done) = link.events(&spec.name, kind, &self.ids[i]);
            self.linked.borrow_mut()[i] = true;
            self.emit(at, &started);
            let end = match link {
                Link::Connect => self.devices[i].connect(at).await,
                Link::Disconnect => self.devices[i].disconnect(at).await,
            };
            self.linked.borrow_mut()[i] = link == Link::Connect;
            self.emit(end, &done);
            end
        });
        join_all(links).await.into_iter().max().unwrap_or(at)
    }

    /// Runs one step that logically starts at `at`; returns when it logically
    /// ends, or why it failed. `execution` identifies this run of the step.
    /// Boxed because steps nest (the checker bounds how deep).
    fn step<'s>(
        &'s self,
        step: &'s Step,
        execution: u64,
        at: Instant,
    ) -> LocalBoxFuture<'s, Stepped> {
        Box::pin(async move {
            self.take_turns().await;
            let is_message = matches!(step.kind, StepKind::Message { .. });
            // A message's timeout bounds each attempt (see `message`), and a
            // wait's its wait (see `wait`): they report their own failure.
            let own_timeout = is_message || matches!(step.kind, StepKind::Wait { .. });
            let mut timed_out = false;
            let result = match step.timeout {
                Some(timeout) if !own_timeout => {
                    let deadline = later(at, timeout);
                    let mut body = self.body(step, execution, at);
                    tokio::select! {
                        biased;
                        result = &mut body => result,
                        () = sleep_until(deadline) => {
                            timed_out = true;
                            self.cancelled_at.set(deadline);
                            drop(body);
                            Err(Failure {
                                span: step.span,
                                line: step.line,
                                kind: FailureKind::TimedOut {
                                    node: describe(&step.kind),
                                    after: timeout,
                                },
                                at: deadline,
                            })
                        }
                    }
                }
                _ => self.body(step, execution, at).await,
            };
            let Err(failure) = result else {
                return result;
            };
            if !is_message {
                // A wait fails only by its own timeout.
                let reason = if timed_out || matches!(step.kind, StepKind::Wait { .. }) {
                    Reason::Timeout
                } else {
                    Reason::ChildFailed
                };
                self.emit(
                    failure.at,
                    &Event::NodeFailed {
                        line: step.line,
                        reason,
                    },
                );
            }
            if step.continue_on_error {
                Ok(failure.at)
            } else {
                Err(failure)
            }
        })
    }

    /// The step's own work, without its options; a block reports where it
    /// starts and ends, for the trace.
    fn body<'s>(
        &'s self,
        step: &'s Step,
        execution: u64,
        at: Instant,
    ) -> LocalBoxFuture<'s, Stepped> {
        Box::pin(async move {
            let block = match &step.kind {
                StepKind::Sequence(_) => Some(("sequence", None)),
                StepKind::Parallel(_) => Some(("parallel", None)),
                StepKind::Run(routine) => {
                    Some(("run", Some(self.plan.routine_names[*routine].as_str())))
                }
                StepKind::Message { .. } | StepKind::Delay(_) | StepKind::Wait { .. } => None,
            };
            let Some((block, name)) = block else {
                return self.work(step, execution, at).await;
            };
            let line = step.line;
            self.emit(at, &Event::BlockStart { line, block, name });
            let result = self.work(step, execution, at).await;
            let end = match &result {
                Ok(end) => *end,
                Err(failure) => failure.at,
            };
            self.emit(end, &Event::BlockEnd { line, block });
            result
        })
    }

    fn work<'s>(
        &'s self,
        step: &'s Step,
        execution: u64,
        at: Instant,
    ) -> LocalBoxFuture<'s, Stepped> {
        Box::pin(async move {
            match &step.kind {
                StepKind::Message { .. } => self.message(step, execution, at).await,
                StepKind::Sequence(steps) => {
                    let mut at = at;
                    for (i, child) in steps.iter().enumerate() {
                        at = self.step(child, mix(execution, i as u64), at).await?;
                    }
                    Ok(at)
                }
                StepKind::Parallel(steps) => {
                    let mut running = Siblings(
                        steps
                            .iter()
                            .enumerate()
                            .map(|(i, child)| Listed {
                                index: i,
                                step: self.step(child, mix(execution, i as u64), at),
                            })
                            .collect(),
                    );
                    let mut end = at;
                    while let Some(result) = running.0.next().await {
                        match result {
                            Ok(child_end) => end = end.max(child_end),
                            Err(failure) => {
                                // Siblings whose work ends at the very instant
                                // of the failure are done, not cancelled:
                                // their timers are due in this same turn.
                                while let Some(Some(_)) = running.0.next().now_or_never() {}
                                // Fail fast: the siblings still running are
                                // cancelled at the instant of the failure.
                                self.cancelled_at.set(failure.at);
                                drop(running);
                                return Err(failure);
                            }
                        }
                    }
                    Ok(end)
                }
                StepKind::Delay(duration) => {
                    self.emit(at, &Event::DelayStart { line: step.line });
                    let mut pending = Pending::new(self, Guarded::Delay, step.line);
                    let end = later(at, *duration);
                    sleep_until(end).await;
                    pending.disarm();
                    self.emit(end, &Event::DelayEnd { line: step.line });
                    Ok(end)
                }
                StepKind::Wait { device, state } => self.wait(step, *device, state, at).await,
                StepKind::Run(routine) => {
                    let body = &self.plan.routines[*routine];
                    self.step(body, mix(execution, ROUTINE), at).await
                }
            }
        })
    }

    /// A message, attempt by attempt: each is sent to the device and raced
    /// against the message's timeout; a failed attempt is retried after the
    /// backoff, doubled each time, while attempts remain.
    async fn message(&self, step: &Step, execution: u64, at: Instant) -> Stepped {
        let StepKind::Message {
            device,
            message,
            data,
            retry,
        } = &step.kind
        else {
            return Ok(at);
        };
        let spec = &self.plan.devices[*device];
        let kind = &self.plan.kinds[spec.kind];
        let payload = kind.payload(*message).with_data(data.as_deref());
        let mut at = at;
        let mut backoff = retry.backoff;
        for attempt in 1..=retry.attempts {
            let command = Command {
                message: *message,
                payload: &payload,
                data: data.as_deref(),
                at,
                execution,
                attempt,
            };
            let Fault { reason, at: end } = match self.attempt(step, *device, command).await {
                Ok(end) => return Ok(end),
                Err(fault) => fault,
            };
            if attempt == retry.attempts {
                return Err(Failure {
                    span: step.span,
                    line: step.line,
                    kind: FailureKind::Message {
                        message: *message,
                        device: spec.name.clone(),
                        attempts: attempt,
                        reason,
                    },
                    at: end,
                });
            }
            self.emit(
                end,
                &Event::MessageRetry {
                    device: &spec.name,
                    kind,
                    message: *message,
                    line: step.line,
                    attempt,
                    wait: backoff,
                },
            );
            // Waiting to retry, the message is still in flight.
            let mut waiting = Pending::new(
                self,
                Guarded::Message {
                    device: *device,
                    message: *message,
                    in_flight: false,
                },
                step.line,
            );
            at = later(end, backoff);
            sleep_until(at).await;
            // A retry loop with no latency and no backoff never waits; give
            // the runtime a turn so that Ctrl-C is still heard.
            tokio::task::yield_now().await;
            waiting.disarm();
            backoff = backoff.saturating_mul(2).min(crate::duration::MAX);
        }
        Ok(at)
    }

    /// One attempt of a message: sent to the device, raced against the
    /// step's timeout, and reported; the instant it ended, or its fault.
    async fn attempt(
        &self,
        step: &Step,
        device: usize,
        command: Command<'_>,
    ) -> Result<Instant, Fault> {
        let spec = &self.plan.devices[device];
        let kind = &self.plan.kinds[spec.kind];
        let (message, at, attempt) = (command.message, command.at, command.attempt);
        let data = match &step.kind {
            StepKind::Message { data, .. } => data.as_deref(),
            _ => None,
        };
        self.emit(
            at,
            &Event::MessageStart {
                device: &spec.name,
                kind,
                message,
                data,
                line: step.line,
                attempt,
            },
        );
        let mut in_flight = Pending::new(
            self,
            Guarded::Message {
                device,
                message,
                in_flight: true,
            },
            step.line,
        );
        let send = self.devices[device].send(command);
        let reply = match step.timeout {
            Some(timeout) => {
                let deadline = later(at, timeout);
                tokio::select! {
                    // A reply at the very deadline counts as done.
                    biased;
                    reply = send => reply,
                    () = sleep_until(deadline) => Err(Fault { reason: Reason::Timeout, at: deadline }),
                }
            }
            None => send.await,
        };
        in_flight.disarm();
        match reply {
            Ok(end) => {
                self.messages.set(self.messages.get() + 1);
                self.emit(
                    end,
                    &Event::MessageEnd {
                        device: &spec.name,
                        kind,
                        message,
                        line: step.line,
                    },
                );
                self.publish_state(device, end);
                Ok(end)
            }
            Err(fault) => {
                self.emit(
                    fault.at,
                    &Event::MessageFailed {
                        device: &spec.name,
                        kind,
                        message,
                        line: step.line,
                        attempt,
                        reason: fault.reason,
                    },
                );
                Err(fault)
            }
        }
    }

    /// A device's state changed (or not) at `at`: the change becomes a
    /// `state` event, for the devices some wait names, and wakes the waits.
    /// Publishes the state of every device that reports by itself, at each
    /// report; never ends (without such devices, at once pending).
    async fn publish_reports(&self) {
        let watchers = self
            .devices
            .iter()
            .enumerate()
            .filter_map(|(index, device)| {
                let reports = device.reports()?;
                Some(async move {
                    loop {
                        reports.notified().await;
                        self.publish_state(index, Instant::now());
                    }
                })
            });
        let watchers: Vec<_> = watchers.collect();
        if watchers.is_empty() {
            return std::future::pending().await;
        }
        futures::future::join_all(watchers).await;
    }

    fn publish_state(&self, device: usize, at: Instant) {
        let Some(state) = self.devices[device].state().publish() else {
            return;
        };
        self.changed_at.borrow_mut()[device] = at;
        let spec = &self.plan.devices[device];
        // A real device's changes are always events; a simulated one's only
        // when some wait names it (so programs without waits print what
        // they always did).
        if spec.watched || self.devices[device].reports().is_some() {
            self.emit(
                at,
                &Event::State {
                    device: &spec.name,
                    state: &state,
                },
            );
        }
    }

    /// Waits until the device's state holds every field of `wanted`: at
    /// once if it already does, else at the instant of the change that
    /// makes it so; the step's `timeout` fails it.
    async fn wait(
        &self,
        step: &Step,
        device: usize,
        wanted: &Map<String, Value>,
        at: Instant,
    ) -> Stepped {
        let name = &self.plan.devices[device].name;
        self.emit(
            at,
            &Event::WaitStart {
                device: name,
                line: step.line,
                state: wanted,
            },
        );
        let mut pending = Pending::new(self, Guarded::Wait { device }, step.line);
        let state = self.devices[device].state();
        // Under virtual time a wait without timeout that nothing satisfies
        // would leave the clock nothing to advance to and the run stuck for
        // ever: it ends when no run could have gone on any longer.
        let deadline = step.timeout.map(|timeout| later(at, timeout)).or_else(|| {
            self.virtual_time
                .then(|| later(at, crate::limits::MAX_DURATION))
        });
        let mut when = at;
        let mut last_look = false;
        loop {
            // Made before the look, so that no change slips between them.
            let changed = state.changed();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if state.contains(wanted) {
                pending.disarm();
                self.emit(
                    when,
                    &Event::WaitEnd {
                        device: name,
                        line: step.line,
                    },
                );
                return Ok(when);
            }
            let Some(deadline) = deadline else {
                changed.await;
                when = self.changed_at.borrow()[device];
                continue;
            };
            if last_look {
                pending.disarm();
                self.emit(
                    deadline,
                    &Event::WaitFailed {
                        device: name,
                        line: step.line,
                        reason: Reason::Timeout,
                    },
                );
                return Err(Failure {
                    span: step.span,
                    line: step.line,
                    kind: match step.timeout {
                        Some(after) => FailureKind::Wait {
                            device: name.clone(),
                            after,
                        },
                        None => FailureKind::NeverEnds {
                            device: name.clone(),
                        },
                    },
                    at: deadline,
                });
            }
            tokio::select! {
                biased;
                () = &mut changed => when = self.changed_at.borrow()[device],
                () = sleep_until(deadline) => {
                    // A change at the very deadline counts: let the work
                    // due in this same instant run, then look once more.
                    tokio::task::yield_now().await;
                    when = self.changed_at.borrow()[device];
                    last_look = true;
                }
            }
        }
    }
}

/// The running children of a `parallel`. However they are cancelled — a
/// sibling's failure, an enclosing timeout, Ctrl-C — they are dropped, and so
/// report, in the order the program lists them (a `FuturesUnordered` alone
/// drops the last first).
struct Siblings<'s>(FuturesUnordered<Listed<'s>>);

impl Drop for Siblings<'_> {
    fn drop(&mut self) {
        let mut cancelled: Vec<Listed<'_>> = std::mem::take(&mut self.0).into_iter().collect();
        cancelled.sort_by_key(|listed| listed.index);
        for listed in cancelled {
            drop(listed);
        }
    }
}

/// A child of a `parallel` with its place in the list.
struct Listed<'s> {
    index: usize,
    step: LocalBoxFuture<'s, Stepped>,
}

impl Future for Listed<'_> {
    type Output = Stepped;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Stepped> {
        self.step.as_mut().poll(cx)
    }
}

/// What a [`Pending`] guard reports when it is dropped armed.
enum Guarded {
    Message {
        device: usize,
        message: MessageType,
        /// False while it waits for its retry.
        in_flight: bool,
    },
    Delay,
    Wait {
        device: usize,
    },
}

/// A message in flight (or waiting for its retry), a delay or a wait that
/// has started and not yet ended. Dropped armed — its future cancelled —
/// it reports itself cancelled, at the instant of the cancellation.
struct Pending<'r, 'p, 'o> {
    runner: &'r Runner<'p, 'o>,
    what: Guarded,
    line: u32,
    armed: bool,
}

impl<'r, 'p, 'o> Pending<'r, 'p, 'o> {
    fn new(runner: &'r Runner<'p, 'o>, what: Guarded, line: u32) -> Self {
        Pending {
            runner,
            what,
            line,
            armed: true,
        }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for Pending<'_, '_, '_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let runner = self.runner;
        let at = runner.cancelled_at.get();
        let line = self.line;
        match self.what {
            Guarded::Message {
                device,
                message,
                in_flight,
            } => {
                let spec = &runner.plan.devices[device];
                runner.emit(
                    at,
                    &Event::MessageCancelled {
                        device: &spec.name,
                        kind: &runner.plan.kinds[spec.kind],
                        message,
                        line,
                        in_flight,
                    },
                );
            }
            Guarded::Delay => runner.emit(at, &Event::DelayCancelled { line }),
            Guarded::Wait { device } => runner.emit(
                at,
                &Event::WaitCancelled {
                    device: &runner.plan.devices[device].name,
                    line,
                },
            ),
        }
    }
}

/// What a node is, for a failure's message.
fn describe(kind: &StepKind) -> &'static str {
    match kind {
        StepKind::Message { .. } => "message",
        StepKind::Sequence(_) => "sequence",
        StepKind::Parallel(_) => "parallel",
        StepKind::Delay(_) => "delay",
        StepKind::Run(_) => "run",
        StepKind::Wait { .. } => "wait",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    Connect,
    Disconnect,
}

impl Link {
    /// The events that start and end this operation on one device.
    fn events<'a>(self, device: &'a str, kind: &'a Kind, id: &'a str) -> (Event<'a>, Event<'a>) {
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
