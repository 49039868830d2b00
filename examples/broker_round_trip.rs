//! The broker's own round trip, the floor under iotrun's command-to-state
//! time: `bench/mqtt.py` runs it beside iotrun on the same broker.
//!
//!     cargo run --release --example broker_round_trip -- mqtt://127.0.0.1:1883 200
//!
//! Two bare rumqttc clients, TCP_NODELAY on both, QoS 1 both ways, the same
//! two hops as a confirmed message: the commander publishes a command, the
//! echo answers each one with a state report, and the commander times each
//! command from its publish to the report's arrival. Prints
//! `p50 MS p99 MS` on one line.

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

fn client(id: &str, host: &str, port: u16) -> (AsyncClient, rumqttc::EventLoop) {
    let mut options = MqttOptions::new(id, host, port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 64);
    let mut network = rumqttc::NetworkOptions::new();
    network.set_tcp_nodelay(true);
    events.set_network_options(network);
    (client, events)
}

/// Polls `events` for ever, handing each incoming publish's topic on, and
/// each SUBACK as an empty topic.
fn drive(mut events: rumqttc::EventLoop, to: mpsc::UnboundedSender<String>) {
    tokio::task::spawn_local(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    let _ = to.send(publish.topic);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = to.send(String::new());
                }
                Ok(_) => {}
                Err(err) => {
                    eprintln!("broker_round_trip: {err}");
                    std::process::exit(1);
                }
            }
        }
    });
}

async fn main_local(host: String, port: u16, n: usize) {
    let (echo, echo_events) = client("round-trip-echo", &host, port);
    let (commander, commander_events) = client("round-trip-commander", &host, port);
    let (echo_tx, mut echo_rx) = mpsc::unbounded_channel();
    let (tx, mut rx) = mpsc::unbounded_channel();
    drive(echo_events, echo_tx);
    drive(commander_events, tx);
    let subscribed = async {
        echo.subscribe("round-trip/cmd", QoS::AtLeastOnce)
            .await
            .ok();
        echo_rx.recv().await;
        commander
            .subscribe("round-trip/state", QoS::AtLeastOnce)
            .await
            .ok();
        rx.recv().await;
    };
    subscribed.await;
    // The echo answers every command it hears.
    tokio::task::spawn_local(async move {
        while echo_rx.recv().await.is_some() {
            let _ = echo
                .publish(
                    "round-trip/state",
                    QoS::AtLeastOnce,
                    false,
                    "{\"state\":\"ON\"}",
                )
                .await;
        }
    });
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let _ = commander
            .publish(
                "round-trip/cmd",
                QoS::AtLeastOnce,
                false,
                "{\"state\":\"ON\"}",
            )
            .await;
        if rx.recv().await.is_none() {
            break;
        }
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        eprintln!("broker_round_trip: no round trip completed");
        std::process::exit(1);
    }
    let at = |p: f64| ms[((p / 100.0) * (ms.len() - 1) as f64).round() as usize];
    println!("p50 {:.3} p99 {:.3}", at(50.0), at(99.0));
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "mqtt://127.0.0.1:1883".to_string());
    let n = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let Some((host, port)) = url
        .strip_prefix("mqtt://")
        .and_then(|rest| rest.rsplit_once(':'))
        .and_then(|(host, port)| Some((host.to_string(), port.parse().ok()?)))
    else {
        eprintln!("broker_round_trip: give a broker as mqtt://HOST:PORT");
        std::process::exit(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("broker_round_trip: {err}");
            std::process::exit(1);
        }
    };
    tokio::task::LocalSet::new().block_on(&runtime, main_local(host, port, n));
}
