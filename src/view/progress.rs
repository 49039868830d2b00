//! Live progress on a terminal, for runs that take longer than a moment:
//! messages done of the expected total, messages in flight, elapsed and
//! expected time.
//!
//! Two halves: [`Progress`] is an observer of the run that only counts
//! (the runtime never touches the terminal, so a terminal that stops
//! reading cannot stop the run), and [`Bar`] draws those counts from the
//! output's writer thread, below the device lines it writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::{Event, Observer, seconds};

/// How long a run goes before the bar appears.
const A_MOMENT: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Counts {
    done: AtomicU64,
    in_flight: AtomicU64,
    /// The run's time of its latest event, in microseconds.
    elapsed: AtomicU64,
    /// The run has ended: its summary must not get a bar drawn below it.
    over: std::sync::atomic::AtomicBool,
}

impl Counts {
    /// A message is no longer in flight.
    fn landed(&self) {
        let _ = self
            .in_flight
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }
}

/// Counts a run's messages for its [`Bar`].
pub struct Progress(Arc<Counts>);

/// Draws a [`Progress`] on stderr.
pub struct Bar {
    bar: ProgressBar,
    counts: Arc<Counts>,
    started: Instant,
    expected: Duration,
    shown: bool,
}

impl Progress {
    /// `messages` and `expected` come from the plan's estimate.
    pub fn new(messages: u64, expected: Duration) -> (Progress, Bar) {
        let bar = ProgressBar::with_draw_target(Some(messages), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} messages, {msg}") {
            bar.set_style(style);
        }
        let counts = Arc::new(Counts::default());
        (
            Progress(counts.clone()),
            Bar {
                bar,
                counts,
                started: Instant::now(),
                expected,
                shown: false,
            },
        )
    }
}

impl Observer for Progress {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        let counts = &self.0;
        match event {
            Event::MessageStart { .. } => {
                counts.in_flight.fetch_add(1, Ordering::Relaxed);
            }
            Event::MessageEnd { .. } => {
                counts.landed();
                counts.done.fetch_add(1, Ordering::Relaxed);
            }
            Event::MessageFailed { .. }
            | Event::MessageCancelled {
                in_flight: true, ..
            } => counts.landed(),
            Event::RunEnd { .. } => counts.over.store(true, Ordering::Relaxed),
            _ => {}
        }
        counts
            .elapsed
            .store(t.as_micros().min(u64::MAX.into()) as u64, Ordering::Relaxed);
    }
}

impl Bar {
    /// Redraws the bar with the latest counts, once the run has gone on for
    /// a moment.
    pub fn refresh(&mut self) {
        if !self.shown {
            if self.started.elapsed() < A_MOMENT {
                return;
            }
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let counts = &self.counts;
        // The run's own clock, or the wall clock while nothing happens (a
        // long delay): time goes on either way.
        let elapsed = Duration::from_micros(counts.elapsed.load(Ordering::Relaxed))
            .max(self.started.elapsed());
        let message = format!(
            "{} in flight, {:.1} s of {:.1} s",
            counts.in_flight.load(Ordering::Relaxed),
            seconds(elapsed),
            seconds(self.expected)
        );
        let position = counts.done.load(Ordering::Relaxed);
        // Redrawn only when it changed.
        if position != self.bar.position() || message != *self.bar.message() {
            self.bar.set_position(position);
            self.bar.set_message(message);
        }
    }

    /// Whether the run has ended: the bar is then cleared for good before
    /// the summary is written.
    pub fn over(&self) -> bool {
        self.counts.over.load(Ordering::Relaxed)
    }

    /// Runs `f` (which writes device lines) with the bar out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Takes the bar off the screen for good.
    pub fn clear(self) {
        self.bar.finish_and_clear();
    }
}
