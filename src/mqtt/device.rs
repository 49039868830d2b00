//! A real device, reached over the run's MQTT connection: the second
//! implementation of the device interface, beside the simulated one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use serde_json::{Map, Value};
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use super::Connection;
use crate::ast::DeviceMqtt;
use crate::device::{Command, Device, Fault, Payload, Reply, State, contains};
use crate::message::MessageType;
use crate::run::Reason;

/// What the device's reports feed: its state, its availability, and the
/// confirmations that wait for a matching report.
#[derive(Default)]
struct Reports {
    state: State,
    offline: Cell<bool>,
    /// Each waits for a report that contains its state.
    confirms: RefCell<Vec<(Value, oneshot::Sender<()>)>>,
    /// Sends in flight, each told when the device goes offline.
    offline_waiters: RefCell<Vec<oneshot::Sender<()>>>,
    reported: Notify,
}

pub struct MqttDevice {
    connection: Rc<Connection>,
    topics: DeviceMqtt,
    reports: Rc<Reports>,
}

impl MqttDevice {
    pub fn new(connection: Rc<Connection>, topics: DeviceMqtt, start: Map<String, Value>) -> Self {
        MqttDevice {
            connection,
            topics,
            reports: Rc::new(Reports {
                state: State::new(start),
                ..Reports::default()
            }),
        }
    }

    /// The payload a message sends: the device's own, else the kind's
    /// (already in `command`).
    fn payload<'a>(&'a self, command: &'a Command<'a>) -> std::borrow::Cow<'a, Payload> {
        match self
            .topics
            .payloads
            .iter()
            .find(|(message, _)| *message == command.message)
        {
            Some((_, own)) => std::borrow::Cow::Owned(own.with_data(command.data)),
            None => std::borrow::Cow::Borrowed(command.payload),
        }
    }

    /// What confirms a message: its `expect` entry, else its payload (as
    /// JSON), else nothing (a text payload confirms on any report).
    fn expected(&self, message: MessageType, payload: &Payload) -> Value {
        match self.topics.expect.iter().find(|(m, _)| *m == message) {
            Some((_, state)) => state.clone(),
            None => match payload {
                Payload::Json(json) => json.clone(),
                Payload::Text(_) => Value::Object(Map::new()),
            },
        }
    }
}

fn bytes(payload: &Payload) -> Vec<u8> {
    match payload {
        Payload::Json(json) => serde_json::to_vec(json).unwrap_or_default(),
        Payload::Text(text) => text.clone().into_bytes(),
    }
}

impl Reports {
    fn state_report(&self, payload: &[u8]) {
        let Ok(Value::Object(report)) = serde_json::from_slice::<Value>(payload) else {
            return;
        };
        let report = Value::Object(report);
        {
            let mut confirms = self.confirms.borrow_mut();
            let mut i = 0;
            while i < confirms.len() {
                if contains(&report, &confirms[i].0) {
                    let (_, confirmed) = confirms.swap_remove(i);
                    let _ = confirmed.send(());
                } else if confirms[i].1.is_closed() {
                    // Its send was dropped (a timeout, a cancel).
                    confirms.swap_remove(i);
                } else {
                    i += 1;
                }
            }
        }
        if let Value::Object(map) = report {
            self.state.replace(map);
        }
        self.reported.notify_waiters();
    }

    fn availability_report(&self, payload: &[u8]) {
        let text = String::from_utf8_lossy(payload);
        let text = text.trim();
        let offline = text.eq_ignore_ascii_case("offline")
            || serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("state").and_then(Value::as_str).map(str::to_string))
                .is_some_and(|s| s.eq_ignore_ascii_case("offline"));
        self.offline.set(offline);
        if offline {
            for waiter in self.offline_waiters.borrow_mut().drain(..) {
                let _ = waiter.send(());
            }
        }
    }
}

impl Device for MqttDevice {
    /// Subscribes to the state and availability topics, before anything is
    /// published to the device.
    fn connect(&self, _at: Instant) -> LocalBoxFuture<'_, Instant> {
        async move {
            let reports = self.reports.clone();
            let on_state = Rc::new(move |payload: &[u8]| reports.state_report(payload));
            let reports = self.reports.clone();
            let on_availability =
                Rc::new(move |payload: &[u8]| reports.availability_report(payload));
            self.connection
                .subscribe(&self.topics.state_topic, on_state)
                .await;
            self.connection
                .subscribe(&self.topics.availability_topic, on_availability)
                .await;
            Instant::now()
        }
        .boxed_local()
    }

    fn send<'a>(&'a self, command: Command<'a>) -> LocalBoxFuture<'a, Reply> {
        async move {
            let fault = |reason| Fault {
                reason,
                at: Instant::now(),
            };
            if self.reports.offline.get() {
                return Err(fault(Reason::Offline));
            }
            let payload = self.payload(&command);
            let (offline_tx, offline_rx) = oneshot::channel();
            {
                let mut waiters = self.reports.offline_waiters.borrow_mut();
                waiters.retain(|waiter| !waiter.is_closed());
                waiters.push(offline_tx);
            }
            // Registered before the publish: only a report after it counts.
            let confirmed = self.topics.confirm.then(|| {
                let (tx, rx) = oneshot::channel();
                self.reports
                    .confirms
                    .borrow_mut()
                    .push((self.expected(command.message, &payload), tx));
                rx
            });
            let published = self
                .connection
                .publish(&self.topics.command_topic, bytes(&payload));
            let done = async {
                if !published.await {
                    return Err(fault(Reason::BrokerLost));
                }
                match confirmed {
                    Some(confirmed) => match confirmed.await {
                        Ok(()) => Ok(Instant::now()),
                        Err(_) => Err(fault(Reason::BrokerLost)),
                    },
                    None => Ok(Instant::now()),
                }
            };
            tokio::select! {
                biased;
                done = done => done,
                Ok(()) = offline_rx => Err(fault(Reason::Offline)),
            }
        }
        .boxed_local()
    }

    fn disconnect(&self, _at: Instant) -> LocalBoxFuture<'_, Instant> {
        async move {
            self.connection.unsubscribe(&self.topics.state_topic);
            self.connection.unsubscribe(&self.topics.availability_topic);
            Instant::now()
        }
        .boxed_local()
    }

    fn state(&self) -> &State {
        &self.reports.state
    }

    fn reports(&self) -> Option<&Notify> {
        Some(&self.reports.reported)
    }
}
