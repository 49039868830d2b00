//! Live progress on a terminal, for runs that take longer than a moment:
//! messages done of the expected total, messages in flight, elapsed and
//! expected time. It wraps the device lines, so that the bar is redrawn
//! below them rather than through them.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::event::{Event, Observer, seconds};

/// How long a run goes before the bar appears.
const A_MOMENT: Duration = Duration::from_secs(1);

pub struct Progress<O: Observer> {
    inner: O,
    bar: ProgressBar,
    shown: bool,
    started: Instant,
    expected: Duration,
    in_flight: u64,
    done: u64,
}

impl<O: Observer> Progress<O> {
    /// `messages` and `expected` come from the plan's estimate.
    pub fn new(inner: O, messages: u64, expected: Duration) -> Self {
        let bar = ProgressBar::with_draw_target(Some(messages), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} messages, {msg}") {
            bar.set_style(style);
        }
        Progress {
            inner,
            bar,
            shown: false,
            started: Instant::now(),
            expected,
            in_flight: 0,
            done: 0,
        }
    }
}

impl<O: Observer> Observer for Progress<O> {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        let inner = &mut self.inner;
        self.bar.suspend(|| inner.event(t, event));
        match event {
            Event::MessageStart { .. } => self.in_flight += 1,
            Event::MessageEnd { .. } => {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.done += 1;
            }
            Event::MessageFailed { .. } | Event::MessageCancelled { .. } => {
                self.in_flight = self.in_flight.saturating_sub(1);
            }
            Event::RunEnd { .. } => {
                self.bar.finish_and_clear();
                return;
            }
            _ => {}
        }
        if !self.shown && self.started.elapsed() >= A_MOMENT {
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_position(self.done);
        self.bar.set_message(format!(
            "{} in flight, {:.1} s of {:.1} s",
            self.in_flight,
            seconds(t),
            seconds(self.expected)
        ));
    }
}
