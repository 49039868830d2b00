//! The interpreter talks to devices only through `iotrun::device::Device`:
//! fake devices here answer late, never, or at the very deadline, and the
//! run's events show that timeouts are raced against them and that a
//! cancelled `send` is dropped, not awaited.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use iotrun::device::{Command, Device, Fault, Reply, State};
use iotrun::run::{Event, Observer, Options, Reason, Status};
use iotrun::source::Source;
use tokio::time::{Instant, sleep_until};

/// How a fake device answers a command.
#[derive(Clone, Copy)]
enum Answer {
    /// Never.
    Never,
    /// Done after this long.
    After(Duration),
    /// Fails after this long.
    FailAfter(Duration),
}

/// A device that connects and disconnects at once and answers as told,
/// keeping count of the sends it was given, finished and dropped.
struct Fake {
    answer: Answer,
    state: State,
    sent: Rc<Cell<u32>>,
    finished: Rc<Cell<u32>>,
    dropped: Rc<Cell<u32>>,
}

impl Fake {
    fn new(answer: Answer) -> Self {
        Fake {
            answer,
            state: State::default(),
            sent: Rc::default(),
            finished: Rc::default(),
            dropped: Rc::default(),
        }
    }
}

/// Counts a send dropped before it finished.
struct DropCount(Rc<Cell<u32>>, bool);

impl Drop for DropCount {
    fn drop(&mut self) {
        if !self.1 {
            self.0.set(self.0.get() + 1);
        }
    }
}

impl Device for Fake {
    fn connect(&self, at: Instant) -> LocalBoxFuture<'_, Instant> {
        async move { at }.boxed_local()
    }

    fn send<'a>(&'a self, command: Command<'a>) -> LocalBoxFuture<'a, Reply> {
        self.sent.set(self.sent.get() + 1);
        let guard = DropCount(self.dropped.clone(), false);
        async move {
            // The whole guard lives in the future: dropping the future
            // before it finishes counts as a drop.
            let mut guard = guard;
            let reply = match self.answer {
                Answer::Never => std::future::pending().await,
                Answer::After(d) => {
                    sleep_until(command.at + d).await;
                    Ok(command.at + d)
                }
                Answer::FailAfter(d) => {
                    sleep_until(command.at + d).await;
                    Err(Fault {
                        reason: Reason::DeviceError,
                        at: command.at + d,
                    })
                }
            };
            guard.1 = true;
            self.finished.set(self.finished.get() + 1);
            reply
        }
        .boxed_local()
    }

    fn disconnect(&self, at: Instant) -> LocalBoxFuture<'_, Instant> {
        async move { at }.boxed_local()
    }

    fn state(&self) -> &State {
        &self.state
    }
}

/// `(t in ms, event name, device)` of every event.
#[derive(Default)]
struct Recorder(Vec<(u128, String, String)>);

impl Observer for Recorder {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        if event.is_internal() {
            return;
        }
        let json = serde_json::to_value(event).expect("an event serializes");
        self.0.push((
            t.as_millis(),
            json["event"].as_str().unwrap_or("").to_string(),
            json["device"].as_str().unwrap_or("").to_string(),
        ));
    }
}

/// Runs `program` on the fakes, under virtual time.
fn run(program: &str, devices: Vec<Box<dyn Device>>) -> (Status, Vec<(u128, String, String)>) {
    let source = Source::new("program.yaml", program);
    let plan = iotrun::load(&source).plan.expect("a valid program");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let mut recorder = Recorder::default();
    let outcome = runtime.block_on(iotrun::run::run_on(
        &plan,
        &devices,
        Options {
            seed: 1,
            virtual_time: true,
        },
        &mut recorder,
        std::future::pending(),
    ));
    (outcome.status, recorder.0)
}

fn events(list: &[(u128, &str, &str)]) -> Vec<(u128, String, String)> {
    list.iter()
        .map(|(t, e, d)| (*t, e.to_string(), d.to_string()))
        .collect()
}

#[test]
fn a_device_that_never_answers_is_ended_by_its_timeout() {
    let (status, got) = run(
        "devices:\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: SWITCH_ON, timeout: 300ms, retry: { attempts: 2, backoff: 100ms } }\n",
        vec![Box::new(Fake::new(Answer::Never))],
    );
    assert_eq!(status, Status::Failed);
    assert_eq!(
        got,
        events(&[
            (0, "connect_start", "l"),
            (0, "connect_end", "l"),
            (0, "message_start", "l"),
            (300, "message_failed", "l"),
            (300, "message_retry", "l"),
            (400, "message_start", "l"),
            (700, "message_failed", "l"),
            (700, "node_failed", ""),
            (700, "disconnect_start", "l"),
            (700, "disconnect_end", "l"),
            (700, "run_end", ""),
        ])
    );
}

#[test]
fn a_reply_at_the_deadline_counts_as_done() {
    let (status, got) = run(
        "devices:\n  l: { kind: hue_light }\nprogram:\n  - { device: l, message: SWITCH_ON, timeout: 250ms }\n  - { device: l, message: SWITCH_OFF, timeout: 249ms }\n",
        vec![Box::new(Fake::new(Answer::After(Duration::from_millis(
            250,
        ))))],
    );
    assert_eq!(status, Status::Failed);
    assert_eq!(
        got,
        events(&[
            (0, "connect_start", "l"),
            (0, "connect_end", "l"),
            (0, "message_start", "l"),
            (250, "message_end", "l"),
            (250, "message_start", "l"),
            (499, "message_failed", "l"),
            (499, "node_failed", ""),
            (499, "disconnect_start", "l"),
            (499, "disconnect_end", "l"),
            (499, "run_end", ""),
        ])
    );
}

#[test]
fn a_cancelled_send_is_dropped_not_awaited() {
    let slow = Fake::new(Answer::After(Duration::from_secs(10)));
    let (sent, finished, dropped) = (
        slow.sent.clone(),
        slow.finished.clone(),
        slow.dropped.clone(),
    );
    let (status, got) = run(
        "devices:\n  slow: { kind: smart_speaker }\n  bad: { kind: smart_toilet }\nprogram:\n  parallel:\n    - { device: slow, message: PLAY_SONG, data: x }\n    - { device: bad, message: FLUSH }\n",
        vec![
            Box::new(slow),
            Box::new(Fake::new(Answer::FailAfter(Duration::from_secs(1)))),
        ],
    );
    assert_eq!(status, Status::Failed);
    assert_eq!((sent.get(), finished.get(), dropped.get()), (1, 0, 1));
    // The run ends at the failure, not when the slow send would have.
    assert_eq!(
        got,
        events(&[
            // These fakes connect at once, within their own poll.
            (0, "connect_start", "slow"),
            (0, "connect_end", "slow"),
            (0, "connect_start", "bad"),
            (0, "connect_end", "bad"),
            (0, "message_start", "slow"),
            (0, "message_start", "bad"),
            (1000, "message_failed", "bad"),
            (1000, "message_cancelled", "slow"),
            (1000, "node_failed", ""),
            (1000, "disconnect_start", "slow"),
            (1000, "disconnect_end", "slow"),
            (1000, "disconnect_start", "bad"),
            (1000, "disconnect_end", "bad"),
            (1000, "run_end", ""),
        ])
    );
}
