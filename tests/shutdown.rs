//! Shutdown is a future passed into the runner, so a test can stop a run
//! without sending a signal.

use std::time::Duration;

use iotrun::run::{Event, Observer, Options, Status};
use iotrun::source::Source;

/// Keeps `(t, event)` of every event.
#[derive(Default)]
struct Recorder(Vec<(Duration, String)>);

impl Observer for Recorder {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        if event.is_internal() {
            return;
        }
        let name = format!("{event:?}");
        let name = name.split([' ', '{']).next().unwrap_or("").to_string();
        self.0.push((t, name));
    }
}

#[test]
fn a_shutdown_future_cancels_in_flight_work_and_disconnects() {
    let source = Source::new(
        "program.yaml",
        "devices:\n  s: { kind: smart_speaker, latency: 1s }\nprogram:\n  - { device: s, message: SWITCH_ON }\n  - { device: s, message: PLAY_SONG, data: \"x\" }\n",
    );
    let plan = iotrun::load(&source).plan.expect("a valid program");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let mut recorder = Recorder::default();
    let outcome = runtime.block_on(iotrun::run::run(
        &plan,
        Options {
            seed: 1,
            virtual_time: true,
        },
        &mut recorder,
        async { tokio::time::sleep(Duration::from_millis(2500)).await },
    ));
    assert_eq!(outcome.status, Status::Interrupted);
    assert_eq!(outcome.messages, 1);
    let ms = |t: u64| Duration::from_millis(t);
    assert_eq!(
        recorder.0,
        vec![
            (ms(0), "ConnectStart".to_string()),
            (ms(1000), "ConnectEnd".to_string()),
            (ms(1000), "MessageStart".to_string()),
            (ms(2000), "MessageEnd".to_string()),
            (ms(2000), "MessageStart".to_string()),
            (ms(2500), "MessageCancelled".to_string()),
            (ms(2500), "DisconnectStart".to_string()),
            (ms(3500), "DisconnectEnd".to_string()),
            (ms(3500), "RunEnd".to_string()),
        ]
    );
}
