//! How much a checked program may make a run do. Routines can multiply a
//! small file into more work than any machine has: 40 routines that each
//! run the next twice are 2^40 messages. `check` measures the program with
//! every `run` expanded, from one fold per routine (see `Plan::cost`), and
//! rejects it past these limits with `iotrun::too_large`.

use std::time::Duration;

use crate::diagnostic::{Code, Diagnostic, Span, shown, thousands};
use crate::plan::{Cost, Plan, Step, StepKind};

/// Messages in a run, every `run` expanded. Ten million to 0 ms devices in
/// one `parallel` take about 40 s and 400 MB.
pub const MAX_MESSAGES: u64 = 10_000_000;
/// Nodes in a run, every `run` expanded: what a `parallel` of routines
/// holds in memory at once.
pub const MAX_NODES: u64 = 50_000_000;
/// The estimated duration of a run (with no jitter or fault).
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Links of a routine chain named in full; a longer chain shows its first
/// ones and its last.
const SHOWN: usize = 6;
/// Links that get a label of their own.
const LABELLED: usize = 3;

/// What a program went past.
#[derive(Clone, Copy)]
enum Measure {
    Messages,
    Nodes,
    Duration,
}

impl Measure {
    fn of(self, cost: &Cost) -> u128 {
        match self {
            Measure::Messages => cost.messages.into(),
            Measure::Nodes => cost.nodes.into(),
            Measure::Duration => cost.duration.as_millis(),
        }
    }

    fn over(self, cost: &Cost) -> bool {
        match self {
            Measure::Messages => cost.messages > MAX_MESSAGES,
            Measure::Nodes => cost.nodes > MAX_NODES,
            Measure::Duration => cost.duration > MAX_DURATION,
        }
    }

    /// "1,099,511,627,776 messages", "400 days".
    fn amount(self, cost: &Cost) -> String {
        match self {
            Measure::Messages => count(cost.messages, "message"),
            Measure::Nodes => count(cost.nodes, "node"),
            Measure::Duration => long_duration(cost.duration),
        }
    }

    fn limit(self) -> String {
        match self {
            Measure::Messages => thousands(MAX_MESSAGES),
            Measure::Nodes => thousands(MAX_NODES),
            Measure::Duration => long_duration(MAX_DURATION),
        }
    }
}

/// The `too_large` diagnostic for a program past a limit, if it is.
pub fn too_large(plan: &Plan) -> Option<Diagnostic> {
    let costs = plan.cost();
    let measure = [Measure::Messages, Measure::Nodes, Measure::Duration]
        .into_iter()
        .find(|measure| measure.over(&costs.root))?;
    let chain = chain(plan, &costs.routines, measure);
    let name = |index: usize| format!("`{}`", shown(&plan.routine_names[index]));
    let (verb, most) = match measure {
        Measure::Duration => ("takes", "most of it"),
        _ => ("expands to", "most of them"),
    };
    let mut message = format!(
        "the program {verb} {} (the limit is {})",
        measure.amount(&costs.root),
        measure.limit()
    );
    if !chain.is_empty() {
        let mut path = Vec::new();
        for (i, (routine, _)) in chain.iter().enumerate() {
            // Naming one routine takes less room than "… (1 more)".
            if chain.len() <= SHOWN + 2 || i < SHOWN || i == chain.len() - 1 {
                path.push(name(*routine));
            } else if i == SHOWN {
                path.push(format!("… ({} more)", chain.len() - SHOWN - 1));
            }
        }
        message.push_str(&format!(", {most} through {}", path.join(" -> ")));
    }
    let mut diagnostic = Diagnostic::new(Code::TooLarge, message);
    match chain.first() {
        None => diagnostic = diagnostic.at(plan.root.span, "the program"),
        Some(_) => {
            for (i, (routine, span)) in chain.iter().take(LABELLED).enumerate() {
                let text = format!(
                    "runs {}: {}",
                    name(*routine),
                    measure.amount(&costs.routines[*routine])
                );
                diagnostic = if i == 0 {
                    diagnostic.at(*span, text)
                } else {
                    diagnostic.also(*span, text)
                };
            }
        }
    }
    let help = match measure {
        Measure::Duration => {
            "a run is estimated with every `run` expanded and no fault; shorten the delays or run the routines fewer times"
        }
        _ => {
            "every `run` repeats the whole routine, so routines that run others several times multiply; run them fewer times"
        }
    };
    Some(diagnostic.with_help(help))
}

/// The `run`s that bring the most of `measure`: from the program, the
/// `run` of the largest routine, then the largest that routine runs, and so
/// on to a routine that runs none. Each link is the routine and the span
/// of the `run` that starts it.
fn chain(plan: &Plan, costs: &[Cost], measure: Measure) -> Vec<(usize, Span)> {
    let mut chain: Vec<(usize, Span)> = Vec::new();
    let mut body = &plan.root;
    // Routines are acyclic, so the chain is at most as long as their count.
    while let Some((routine, span)) = largest_run(body, costs, measure) {
        if chain.len() > plan.routines.len() {
            break;
        }
        chain.push((routine, span));
        body = &plan.routines[routine];
    }
    chain
}

/// The `run` in `step` (not inside the routines it runs) of the routine
/// with the most of `measure`; the first such when several tie.
fn largest_run(step: &Step, costs: &[Cost], measure: Measure) -> Option<(usize, Span)> {
    let mut best: Option<(usize, Span)> = None;
    let mut stack = vec![step];
    while let Some(step) = stack.pop() {
        match &step.kind {
            StepKind::Run(routine) => {
                let better =
                    best.is_none_or(|(b, _)| measure.of(&costs[*routine]) > measure.of(&costs[b]));
                if better {
                    best = Some((*routine, step.span));
                }
            }
            // Children in reverse, so the first in the file is seen first.
            StepKind::Sequence(children) | StepKind::Parallel(children) => {
                stack.extend(children.iter().rev());
            }
            _ => {}
        }
    }
    best
}

/// "1 message", "1,099,511,627,776 messages"; a count that saturated says
/// so.
fn count(n: u64, what: &str) -> String {
    match n {
        u64::MAX => format!("more {what}s than iotrun can count"),
        1 => format!("1 {what}"),
        n => format!("{} {what}s", thousands(n)),
    }
}

/// A long estimate in days (or hours, below two days); one past what a
/// `Duration` holds says it overflowed rather than print a meaningless
/// number of seconds.
pub fn long_duration(duration: Duration) -> String {
    const DAY: u64 = 24 * 3600;
    if duration == Duration::MAX {
        return "longer than iotrun can count (the sum of its durations overflows)".to_string();
    }
    let secs = duration.as_secs();
    if secs >= 2 * DAY {
        let days = secs / DAY;
        let rest = if duration == Duration::from_secs(days * DAY) {
            ""
        } else {
            "more than "
        };
        format!("{rest}{} days", thousands(days))
    } else {
        format!("{:.1} hours", duration.as_secs_f64() / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overflowing_estimate_says_so() {
        assert_eq!(
            long_duration(Duration::MAX),
            "longer than iotrun can count (the sum of its durations overflows)"
        );
        assert_eq!(
            count(u64::MAX, "message"),
            "more messages than iotrun can count"
        );
        assert_eq!(
            long_duration(Duration::from_secs(400 * 24 * 3600)),
            "400 days"
        );
        assert_eq!(long_duration(Duration::from_secs(5400)), "1.5 hours");
        // A millisecond past whole days is more than them, not them.
        let past = Duration::from_secs(365 * 24 * 3600) + Duration::from_millis(1);
        assert_eq!(long_duration(past), "more than 365 days");
    }
}
