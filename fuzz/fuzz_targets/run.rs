//! Parse + check + a virtual-time run with a budget: a valid program must run
//! to an outcome without panicking, and must let a shutdown future stop it.
#![no_main]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use iotrun::run::{Event, Observer, Options};
use libfuzzer_sys::fuzz_target;

/// Plans that would send more messages than this are skipped: a routine
/// "bomb" is a known open bug, not something to rediscover every second.
const MAX_MESSAGES: u64 = 10_000;
/// Polls of the shutdown future before it asks the run to stop.
const MAX_POLLS: u32 = 20_000;
/// Virtual time after which the shutdown future asks the run to stop.
const MAX_VIRTUAL: Duration = Duration::from_secs(24 * 3600);

/// Renders every event, as the binary's observers would.
struct Sink(usize);

impl Observer for Sink {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        self.0 += format!("{t:?} {event:?}").len();
    }
}

/// Resolves after a bounded number of polls or a bounded virtual time.
struct Budget {
    polls: u32,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Future for Budget {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls += 1;
        if self.polls >= MAX_POLLS {
            return Poll::Ready(());
        }
        self.sleep.as_mut().poll(cx)
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = iotrun::source::Source::new("program.yaml", text);
    let Some(plan) = iotrun::load(&source).plan else {
        return;
    };
    if plan.estimate().messages > MAX_MESSAGES {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let mut sink = Sink(0);
    let seed = data
        .iter()
        .fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let _outcome = runtime.block_on(async {
        let budget = Budget {
            polls: 0,
            sleep: Box::pin(tokio::time::sleep(MAX_VIRTUAL)),
        };
        iotrun::run::run(
            &plan,
            Options {
                seed,
                virtual_time: true,
            },
            &mut sink,
            budget,
        )
        .await
    });
});
