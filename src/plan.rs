//! The checked program, ready to run: names resolved to indices, every
//! message known to be valid for its device.

use std::time::Duration;

pub use crate::ast::Retry;
use crate::device::Kind;
use crate::diagnostic::Span;
use crate::message::MessageType;
use serde_json::{Map, Value};

#[derive(Debug)]
pub struct Plan {
    pub name: Option<String>,
    /// The kinds devices are of: the built-in ones, then the file's own.
    pub kinds: Vec<Kind>,
    pub devices: Vec<PlanDevice>,
    /// Routine bodies, indexed by `Step::Run`.
    pub routines: Vec<Step>,
    /// Every routine after the routines it runs.
    pub routine_order: Vec<usize>,
    /// Routine names, indexed like `routines`.
    pub routine_names: Vec<String>,
    pub root: Step,
    /// The broker, when the file has `mqtt:`.
    pub mqtt: Option<crate::ast::MqttConfig>,
    /// The program file's folder: the TLS files are found from it.
    pub folder: std::path::PathBuf,
}

#[derive(Debug)]
pub struct PlanDevice {
    pub name: String,
    /// Its kind, in `Plan::kinds`.
    pub kind: usize,
    pub latency: Duration,
    pub jitter: Duration,
    pub failure_rate: f64,
    /// Its state when the run starts.
    pub state: Map<String, Value>,
    /// Whether some `wait` names it: its state changes are then events.
    pub watched: bool,
    /// Set for a real device, reached over MQTT (unless the run is
    /// `--simulate`d).
    pub mqtt: Option<crate::ast::DeviceMqtt>,
}

/// One node of the program.
#[derive(Debug)]
pub struct Step {
    pub kind: StepKind,
    /// Where the node is in the file, for a failure's diagnostic.
    pub span: Span,
    /// 1-based line of the node in the program file.
    pub line: u32,
    /// On a message, bounds each attempt; elsewhere the whole node.
    pub timeout: Option<Duration>,
    /// A failure is reported and the parent carries on.
    pub continue_on_error: bool,
}

#[derive(Debug)]
pub enum StepKind {
    Message {
        device: usize,
        message: MessageType,
        data: Option<String>,
        retry: Retry,
    },
    Sequence(Vec<Step>),
    Parallel(Vec<Step>),
    Delay(Duration),
    Run(usize),
    /// Done once the device's state holds every field of `state`; its
    /// `timeout` fails it.
    Wait {
        device: usize,
        state: Map<String, Value>,
    },
}

/// What a plan will do, computed without running it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Messages sent, with routines counted each time they run.
    pub messages: u64,
    /// The critical path: connect, program, disconnect. With `unbounded`,
    /// the least it takes: waits that may never end counted as ending at once.
    pub duration: Duration,
    /// Some `wait` has no `timeout` and no message the estimate finds
    /// ends it: the run may never end.
    pub unbounded: bool,
}

impl Plan {
    /// The same model the runner follows: all devices connect at once, the
    /// program runs, all devices disconnect at once. It is the run with no
    /// jitter, failure or retry.
    pub fn estimate(&self) -> Estimate {
        let Cost {
            messages,
            duration: mut program,
            ..
        } = self.cost().root;
        let mut unbounded = false;
        // Waits end when some message ends, so a program with waits is
        // timed step by step; one without keeps the cheap fold.
        if self.has_waits() {
            match Schedule::time(self) {
                Some((end, open)) => (program, unbounded) = (end, open),
                // Too much to time step by step: each wait is taken to end
                // at its timeout, or at once when it has none.
                None => unbounded = self.has_unbounded_waits(),
            }
        }
        let slowest = self
            .devices
            .iter()
            .map(|d| d.latency)
            .max()
            .unwrap_or_default();
        Estimate {
            messages,
            duration: slowest.saturating_add(program).saturating_add(slowest),
            unbounded,
        }
    }

    /// What each routine and the whole program cost with every `run`
    /// expanded, computed without expanding anything: each routine is
    /// folded once, callees first.
    pub fn cost(&self) -> Costs {
        let mut routines: Vec<Option<Cost>> = vec![None; self.routines.len()];
        for &index in &self.routine_order {
            routines[index] = Some(fold(&self.routines[index], &routines, &self.devices));
        }
        let root = fold(&self.root, &routines, &self.devices);
        Costs {
            routines: routines
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
            root,
        }
    }

    fn steps(&self) -> impl Iterator<Item = &Step> {
        let mut stack: Vec<&Step> = self.routines.iter().chain([&self.root]).collect();
        std::iter::from_fn(move || {
            let step = stack.pop()?;
            if let StepKind::Sequence(children) | StepKind::Parallel(children) = &step.kind {
                stack.extend(children);
            }
            Some(step)
        })
    }

    fn has_waits(&self) -> bool {
        self.steps()
            .any(|step| matches!(step.kind, StepKind::Wait { .. }))
    }

    fn has_unbounded_waits(&self) -> bool {
        self.steps()
            .any(|step| matches!(step.kind, StepKind::Wait { .. }) && step.timeout.is_none())
    }
}

/// What a step costs once every `run` in it is expanded. Every sum
/// saturates: a chain of routines may claim more than a `u64` holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Messages sent (a retried message counts once).
    pub messages: u64,
    /// Nodes run: messages, delays, waits, `run`s, sequences and parallels.
    pub nodes: u64,
    /// The time taken with no jitter or fault; `Duration::MAX` when the
    /// sum overflowed.
    pub duration: Duration,
}

/// The cost of each routine (indexed like `Plan::routines`) and of the
/// program.
pub struct Costs {
    pub routines: Vec<Cost>,
    pub root: Cost,
}

/// A message as the schedule saw it: where it ends and the device's state
/// it leads to (the device's starting state merged with its payload).
struct Sent {
    device: usize,
    /// A JSON object.
    state: Value,
    end: Duration,
    /// The `parallel`s it is inside, each with the branch it is in.
    branches: Vec<(u32, u32)>,
}

/// Times a program with waits, step by step from its start, routines
/// expanded where they run. A wait ends at the end of the earliest message
/// to its device whose state contains the wanted one and that runs before
/// the wait (in the order the program is written) or beside it (in another
/// branch of a `parallel` both are in); at once if the device's starting
/// state has it already; else at its timeout; else never (`open`). That
/// needs the times of messages later in the file, so the program is timed
/// again with the previous pass's messages until nothing changes (a few
/// passes). Messages that only an earlier message's effect would let
/// satisfy the wait (fields merged over several messages) are not seen.
struct Schedule<'p> {
    plan: &'p Plan,
    /// This pass's messages so far, in the order the program is written.
    sent: Vec<Sent>,
    /// The whole previous pass's messages.
    previous: Vec<Sent>,
    branches: Vec<(u32, u32)>,
    next_parallel: u32,
    /// Steps left to visit; a program with routines run many times over
    /// could otherwise take forever.
    budget: usize,
}

/// The steps timed, and messages a wait looked at, in all passes before
/// the estimate gives up on timing waits step by step.
const SCHEDULE_BUDGET: usize = 1_000_000;
/// Passes after which the waits' times are taken as they are.
const SCHEDULE_PASSES: usize = 4;

impl<'p> Schedule<'p> {
    /// When the program ends after it starts, and whether some wait in it
    /// may never end; `None` when it is too large to time so.
    fn time(plan: &'p Plan) -> Option<(Duration, bool)> {
        let mut schedule = Schedule {
            plan,
            sent: Vec::new(),
            previous: Vec::new(),
            branches: Vec::new(),
            next_parallel: 0,
            budget: SCHEDULE_BUDGET,
        };
        let mut last = None;
        for _ in 0..SCHEDULE_PASSES {
            schedule.previous = std::mem::take(&mut schedule.sent);
            schedule.next_parallel = 0;
            let timed = schedule.step(&plan.root, Duration::ZERO)?;
            if last == Some(timed) {
                break;
            }
            last = Some(timed);
        }
        last
    }

    /// When `step`, started at `start`, ends, and whether it may never end.
    fn step(&mut self, step: &Step, start: Duration) -> Option<(Duration, bool)> {
        self.budget = self.budget.checked_sub(1)?;
        let (end, open) = match &step.kind {
            StepKind::Message {
                device,
                message,
                data,
                ..
            } => {
                // The message's own timeout and retries are in the fold.
                let took = fold(step, &[], &self.plan.devices).duration;
                let end = start.saturating_add(took);
                let spec = &self.plan.devices[*device];
                let fails = step.timeout.is_some_and(|t| t < spec.latency);
                if !fails {
                    let payload = self.plan.kinds[spec.kind]
                        .payload(*message)
                        .with_data(data.as_deref());
                    let mut state = spec.state.clone();
                    if let Some(patch) = payload.as_state() {
                        crate::device::merge(&mut state, patch);
                    }
                    self.sent.push(Sent {
                        device: *device,
                        state: Value::Object(state),
                        end,
                        branches: self.branches.clone(),
                    });
                }
                return Some((end, false));
            }
            StepKind::Delay(duration) => (start.saturating_add(*duration), false),
            StepKind::Run(index) => {
                let plan = self.plan;
                self.step(&plan.routines[*index], start)?
            }
            StepKind::Sequence(steps) => {
                let mut at = (start, false);
                for child in steps {
                    let (end, open) = self.step(child, at.0)?;
                    at = (end, at.1 || open);
                }
                at
            }
            StepKind::Parallel(steps) => {
                let id = self.next_parallel;
                self.next_parallel = self.next_parallel.wrapping_add(1);
                let mut at = (start, false);
                for (branch, child) in steps.iter().enumerate() {
                    self.branches.push((id, branch as u32));
                    let timed = self.step(child, start);
                    self.branches.pop();
                    let (end, open) = timed?;
                    at = (at.0.max(end), at.1 || open);
                }
                at
            }
            StepKind::Wait { device, state } => {
                let wanted = Value::Object(state.clone());
                let start_state = Value::Object(self.plan.devices[*device].state.clone());
                let earliest = if crate::device::contains(&start_state, &wanted) {
                    Some(start)
                } else {
                    // Every message looked at is paid for from the budget:
                    // many waits among many messages would be quadratic.
                    let looked = self.sent.len().saturating_add(self.previous.len());
                    self.budget = self.budget.checked_sub(looked)?;
                    let satisfies = |sent: &Sent| {
                        sent.device == *device && crate::device::contains(&sent.state, &wanted)
                    };
                    let before = self.sent.iter().filter(|s| satisfies(s));
                    let beside = self
                        .previous
                        .iter()
                        .filter(|s| beside(&s.branches, &self.branches) && satisfies(s));
                    before.chain(beside).map(|s| s.end).min()
                };
                match earliest {
                    Some(end) => (end.max(start), false),
                    // Nothing ends it: its timeout does, below, or nothing.
                    None => (start, true),
                }
            }
        };
        Some(match step.timeout {
            Some(timeout) => {
                let limit = start.saturating_add(timeout);
                if open {
                    (limit, false)
                } else {
                    (end.min(limit), false)
                }
            }
            None => (end, open),
        })
    }
}

/// Whether two steps are in different branches of a `parallel` both are in.
fn beside(a: &[(u32, u32)], b: &[(u32, u32)]) -> bool {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .is_some_and(|((pa, ba), (pb, bb))| pa == pb && ba != bb)
}

/// Messages sent, nodes run and time taken by a step in a run without
/// jitter or faults: every message takes its latency, and a timeout cuts
/// what outlasts it (a message that outlasts its timeout fails every
/// attempt).
fn fold(step: &Step, routines: &[Option<Cost>], devices: &[PlanDevice]) -> Cost {
    let one = |duration| Cost {
        messages: 0,
        nodes: 1,
        duration,
    };
    let cost = match &step.kind {
        StepKind::Message { device, retry, .. } => {
            let latency = devices[*device].latency;
            let duration = match step.timeout {
                Some(timeout) if timeout < latency => {
                    let mut total = Duration::ZERO;
                    let mut backoff = retry.backoff;
                    for attempt in 1..=retry.attempts {
                        total = total.saturating_add(timeout);
                        if attempt < retry.attempts {
                            total = total.saturating_add(backoff);
                            backoff = backoff.saturating_mul(2).min(crate::duration::MAX);
                        }
                    }
                    return Cost {
                        messages: 1,
                        nodes: 1,
                        duration: total,
                    };
                }
                _ => latency,
            };
            Cost {
                messages: 1,
                nodes: 1,
                duration,
            }
        }
        StepKind::Delay(duration) => one(*duration),
        // Where waits are not timed step by step (see `Schedule`), each is
        // taken to end at its timeout, or at once.
        StepKind::Wait { .. } => return one(step.timeout.unwrap_or_default()),
        StepKind::Run(index) => {
            let routine = routines[*index].unwrap_or_default();
            Cost {
                nodes: routine.nodes.saturating_add(1),
                ..routine
            }
        }
        StepKind::Sequence(steps) => steps.iter().fold(one(Duration::ZERO), |sum, step| {
            let cost = fold(step, routines, devices);
            Cost {
                messages: sum.messages.saturating_add(cost.messages),
                nodes: sum.nodes.saturating_add(cost.nodes),
                duration: sum.duration.saturating_add(cost.duration),
            }
        }),
        StepKind::Parallel(steps) => steps.iter().fold(one(Duration::ZERO), |sum, step| {
            let cost = fold(step, routines, devices);
            Cost {
                messages: sum.messages.saturating_add(cost.messages),
                nodes: sum.nodes.saturating_add(cost.nodes),
                duration: sum.duration.max(cost.duration),
            }
        }),
    };
    match step.timeout {
        Some(timeout) => Cost {
            duration: cost.duration.min(timeout),
            ..cost
        },
        None => cost,
    }
}
