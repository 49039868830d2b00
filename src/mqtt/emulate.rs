//! `iotrun emulate`: a file's MQTT devices served over the broker as
//! simulated devices, so a program can be tried end to end before any
//! hardware is touched. Each device is a client of its own, with a retained
//! last will of `offline`; it answers each command after its latency by
//! applying the payload to its state and reporting the whole state. The
//! latency, jitter and failure draws are the simulated device's own.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::Broker;
use super::connection::CONNECT_TIMEOUT;
use crate::device::{Command, Device, Payload, Simulated};
use crate::message::MessageType;
use crate::plan::{Plan, PlanDevice};

/// What the emulator reports: each becomes a JSON line or a human one.
pub enum Report<'a> {
    Start { devices: usize, broker: &'a Broker },
    Command { device: &'a str, payload: &'a str },
    State { device: &'a str, state: &'a Value },
    End,
}

impl Report<'_> {
    pub fn json(&self) -> Value {
        match self {
            Report::Start { devices, broker } => {
                json!({"event": "emulate_start", "devices": devices, "broker": broker.to_string()})
            }
            Report::Command { device, payload } => {
                json!({"event": "command", "device": device, "payload": payload})
            }
            Report::State { device, state } => {
                json!({"event": "state", "device": device, "state": state})
            }
            Report::End => json!({"event": "emulate_end"}),
        }
    }

    pub fn human(&self) -> String {
        match self {
            Report::Start { devices, broker } => format!(
                "emulating {} on {broker}; Ctrl-C to stop",
                crate::report::count(*devices as u64, "device")
            ),
            Report::Command { device, payload } => format!("{device}  command {payload}"),
            Report::State { device, state } => format!("{device}  state {state}"),
            Report::End => "stopped: every device said offline".to_string(),
        }
    }
}

struct Emulated<'p> {
    spec: &'p PlanDevice,
    topics: &'p crate::ast::DeviceMqtt,
    device: Simulated,
    client: AsyncClient,
    events: EventLoop,
    /// Commands received so far: with the seed and the device, they seed
    /// its draws, so the same commands in the same order meet the same
    /// failures.
    received: u64,
}

impl Emulated<'_> {
    /// Subscribes to the command topic and says `online` (retained): at the
    /// start, and again after each reconnect (a clean session).
    fn listen(&self) {
        let _ = self
            .client
            .try_subscribe(self.topics.command_topic.clone(), QoS::AtLeastOnce);
        let _ = self.client.try_publish(
            self.topics.availability_topic.clone(),
            QoS::AtLeastOnce,
            true,
            "online",
        );
    }
}

/// Room for one connection per emulated device: the soft limit on open
/// files (often 1,024) is raised as far as the hard one allows. `Err`,
/// worded for a user, when even that is too few.
pub fn open_files(devices: usize) -> Result<(), String> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    // Beside the devices' sockets: stdio, the runtime, the program.
    let needed = devices as u64 + 64;
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|current| current >= needed) {
        return Ok(());
    }
    // No hard limit: as many as needed (an unlimited soft one is refused).
    let raised = rustix::process::Rlimit {
        current: Some(limit.maximum.unwrap_or(needed)),
        maximum: limit.maximum,
    };
    if limit.maximum.is_none_or(|maximum| maximum >= needed)
        && setrlimit(Resource::Nofile, raised).is_ok()
    {
        return Ok(());
    }
    Err(format!(
        "emulating {} devices needs about {} open files, but this process may open at most {} (`ulimit -n`)",
        crate::diagnostic::thousands(devices as u64),
        crate::diagnostic::thousands(needed),
        crate::diagnostic::thousands(limit.maximum.or(limit.current).unwrap_or(0)),
    ))
}

/// Serves every device of `plan` that has an `mqtt` key until `stop`
/// resolves; then each says `offline` (retained) and disconnects. `Err`
/// when the broker cannot be reached at the start.
pub async fn serve(
    plan: &Plan,
    broker: &Broker,
    tls: &super::Tls,
    seed: u64,
    report: &mut dyn FnMut(Report<'_>),
    stop: impl Future<Output = ()>,
) -> Result<(), String> {
    let suffix = super::random_suffix(6);
    let mut devices = Vec::new();
    for (index, spec) in plan.devices.iter().enumerate() {
        let Some(topics) = &spec.mqtt else {
            continue;
        };
        let mut options = MqttOptions::new(
            format!("iotrun-emulate-{}-{suffix}", spec.name),
            broker.host.clone(),
            broker.port,
        );
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true)
            .set_max_packet_size(4 << 20, 4 << 20)
            .set_last_will(LastWill::new(
                topics.availability_topic.clone(),
                "offline",
                QoS::AtLeastOnce,
                true,
            ));
        options.set_transport(super::connection::transport(broker, tls));
        let (client, mut events) = AsyncClient::new(options, 256);
        // Nagle's algorithm would hold each small report back ~40 ms.
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        network.set_connection_timeout(CONNECT_TIMEOUT.as_secs());
        events.set_network_options(network);
        devices.push(Emulated {
            spec,
            topics,
            device: Simulated::new(
                index,
                seed,
                spec.latency,
                spec.jitter,
                spec.failure_rate,
                spec.state.clone(),
            ),
            client,
            events,
            received: 0,
        });
    }
    // Every device connected before any says it is online.
    let connected: FuturesUnordered<_> = devices
        .iter_mut()
        .map(|device| async move {
            tokio::time::timeout(CONNECT_TIMEOUT, async {
                loop {
                    match device.events.poll().await {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                        Ok(_) => {}
                        Err(err) => return Err(err.to_string()),
                    }
                }
            })
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "it did not answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            })
        })
        .collect();
    let results: Vec<Result<(), String>> = connected.collect().await;
    if let Some(Err(why)) = results.into_iter().find(Result::is_err) {
        return Err(why);
    }
    for device in &devices {
        device.listen();
    }
    report(Report::Start {
        devices: devices.len(),
        broker,
    });
    let (reports, mut reported) = tokio::sync::mpsc::unbounded_channel();
    {
        let served: FuturesUnordered<_> = devices
            .iter_mut()
            .map(|device| serve_one(device, reports.clone()))
            .collect();
        let mut served = served.collect::<Vec<()>>();
        let mut stop = std::pin::pin!(stop);
        loop {
            tokio::select! {
                biased;
                () = &mut stop => break,
                Some((name, what)) = reported.recv() => match what {
                    Said::Command(payload) => report(Report::Command { device: &name, payload: &payload }),
                    Said::State(state) => report(Report::State { device: &name, state: &state }),
                },
                _ = &mut served => break,
            }
        }
    }
    // Offline, retained, then goodbye; each flushed within a second.
    let goodbyes: FuturesUnordered<_> = devices
        .iter_mut()
        .map(|device| async move {
            let _ = device.client.try_publish(
                device.topics.availability_topic.clone(),
                QoS::AtLeastOnce,
                true,
                "offline",
            );
            let _ = device.client.try_disconnect();
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Ok(event) = device.events.poll().await {
                    if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                        break;
                    }
                }
            })
            .await;
        })
        .collect();
    goodbyes.collect::<Vec<()>>().await;
    report(Report::End);
    Ok(())
}

enum Said {
    Command(String),
    State(Value),
}

/// One device: polls its client, and answers each command after its
/// latency, several at once if they overlap.
async fn serve_one(
    device: &mut Emulated<'_>,
    reports: tokio::sync::mpsc::UnboundedSender<(String, Said)>,
) {
    let mut answering = FuturesUnordered::new();
    loop {
        tokio::select! {
            event = device.events.poll() => match event {
                Ok(Event::Incoming(Packet::Publish(publish)))
                    if publish.topic == device.topics.command_topic =>
                {
                    device.received += 1;
                    let text = String::from_utf8_lossy(&publish.payload).into_owned();
                    let _ = reports.send((device.spec.name.clone(), Said::Command(text.clone())));
                    let payload = match serde_json::from_str::<Value>(&text) {
                        Ok(json) => Payload::Json(json),
                        Err(_) => Payload::Text(text),
                    };
                    let execution = device.received;
                    let simulated = &device.device;
                    answering.push(async move {
                        let command = Command {
                            // The simulated device looks at the payload and
                            // the draws' seeds, not at the type.
                            message: MessageType::SwitchOn,
                            payload: &payload,
                            data: None,
                            at: Instant::now(),
                            execution,
                            attempt: 1,
                        };
                        // A failed attempt reports nothing.
                        simulated.send(command).await.is_ok()
                    });
                }
                // A reconnect, after a lost broker: a clean session, so
                // subscribe again and say online again.
                Ok(Event::Incoming(Packet::ConnAck(_))) => device.listen(),
                Ok(_) => {}
                // rumqttc reconnects on the next poll; pause a little.
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            },
            Some(answered) = answering.next(), if !answering.is_empty() => {
                if answered {
                    let state = device.device.state().snapshot();
                    let _ = device.client.try_publish(
                        device.topics.state_topic.clone(),
                        QoS::AtLeastOnce,
                        false,
                        serde_json::to_vec(&state).unwrap_or_default(),
                    );
                    let _ = reports.send((device.spec.name.clone(), Said::State(Value::Object(state))));
                }
            }
        }
    }
}
