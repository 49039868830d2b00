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
    /// The critical path: connect, program, disconnect.
    pub duration: Duration,
}

impl Plan {
    /// The same model the runner follows: all devices connect at once, the
    /// program runs, all devices disconnect at once. It is the run with no
    /// jitter, failure or retry.
    pub fn estimate(&self) -> Estimate {
        // Routines may run routines many times over; each is folded once,
        // callees first.
        let mut routines: Vec<Option<(u64, Duration)>> = vec![None; self.routines.len()];
        for &index in &self.routine_order {
            routines[index] = Some(fold(&self.routines[index], &routines, &self.devices));
        }
        let (messages, program) = fold(&self.root, &routines, &self.devices);
        let slowest = self
            .devices
            .iter()
            .map(|d| d.latency)
            .max()
            .unwrap_or_default();
        Estimate {
            messages,
            duration: slowest.saturating_add(program).saturating_add(slowest),
        }
    }
}

/// Messages sent and time taken by a step in a run without jitter or faults:
/// every message takes its latency, and a timeout cuts what outlasts it
/// (a message that outlasts its timeout fails every attempt).
fn fold(
    step: &Step,
    routines: &[Option<(u64, Duration)>],
    devices: &[PlanDevice],
) -> (u64, Duration) {
    let (messages, duration): (u64, Duration) = match &step.kind {
        StepKind::Message { device, retry, .. } => {
            let latency = devices[*device].latency;
            match step.timeout {
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
                    return (1, total);
                }
                _ => (1, latency),
            }
        }
        StepKind::Delay(duration) => (0, *duration),
        StepKind::Wait { .. } => (0, Duration::ZERO),
        StepKind::Run(index) => routines[*index].unwrap_or_default(),
        StepKind::Sequence(steps) => steps.iter().fold((0u64, Duration::ZERO), |(m, d), step| {
            let (sm, sd) = fold(step, routines, devices);
            (m.saturating_add(sm), d.saturating_add(sd))
        }),
        StepKind::Parallel(steps) => steps.iter().fold((0u64, Duration::ZERO), |(m, d), step| {
            let (sm, sd) = fold(step, routines, devices);
            (m.saturating_add(sm), d.max(sd))
        }),
    };
    match step.timeout {
        Some(timeout) => (messages, duration.min(timeout)),
        None => (messages, duration),
    }
}
