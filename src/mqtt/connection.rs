//! The run's one connection to the broker. rumqttc's event loop must be
//! polled all the time: [`Connection::drive`] polls it for as long as the
//! run lasts (the app races it beside the run), and hands what arrives to
//! those waiting for it: the broker's acknowledgements to the publishes and
//! subscriptions that wait for them, state and availability reports to the
//! devices that subscribed to their topics.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS};
use tokio::sync::oneshot;

use super::Broker;

/// How long the broker may take to accept the connection at the start.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A bridge's messages (Zigbee2MQTT's device list) are far larger than
/// rumqttc's 10 KiB default.
const MAX_PACKET: usize = 4 << 20;

/// Requests (publishes, subscriptions) queued for the event loop at most.
const REQUESTS: usize = 1 << 20;

/// A topic's subscriber: called with each payload that arrives on it.
pub type Listener = Rc<dyn Fn(&[u8])>;

#[derive(Default)]
struct Shared {
    /// Publishes and subscriptions sent but not yet given a packet id, in
    /// the order they were sent (rumqttc keeps that order). `None` holds
    /// the place of one nobody waits for (a resubscription), so the ids
    /// still pair up in order.
    unassigned_publishes: VecDeque<Option<oneshot::Sender<()>>>,
    unassigned_subscribes: VecDeque<Option<oneshot::Sender<()>>>,
    /// False from a lost broker to the next CONNACK: nothing new is queued
    /// then, so nothing stale is sent once it is back.
    connected: bool,
    /// By packet id, waiting for the broker's PUBACK or SUBACK.
    publishes: HashMap<u16, oneshot::Sender<()>>,
    subscribes: HashMap<u16, oneshot::Sender<()>>,
    listeners: HashMap<String, Vec<Listener>>,
    /// Every topic subscribed to, for a reconnect to subscribe again.
    topics: Vec<String>,
}

/// The run's connection: a client to send with, the event loop to drive.
pub struct Connection {
    client: AsyncClient,
    events: RefCell<Option<EventLoop>>,
    shared: RefCell<Shared>,
    /// Set by `close`: the event loop then ends instead of reconnecting.
    closing: std::cell::Cell<bool>,
    pub broker: Broker,
}

/// What TLS trusts and shows: a CA to trust instead of the system's roots,
/// and a client certificate with its key, each as PEM.
#[derive(Clone, Debug, Default)]
pub struct Tls {
    pub ca: Option<Vec<u8>>,
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

/// The transport of a broker URL: TCP, or TLS through rustls (ring).
pub fn transport(broker: &Broker, tls: &Tls) -> rumqttc::Transport {
    if !broker.tls {
        return rumqttc::Transport::tcp();
    }
    // rustls needs a process-wide crypto provider; installed once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match &tls.ca {
        Some(ca) => rumqttc::Transport::tls(ca.clone(), tls.client.clone(), None),
        None => {
            // The system's roots; one that cannot be read is skipped (the
            // broker's certificate is then not trusted, and that says so).
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            match rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            {
                Ok(builder) => rumqttc::Transport::tls_with_config(
                    rumqttc::TlsConfiguration::Rustls(std::sync::Arc::new(
                        builder.with_root_certificates(roots).with_no_client_auth(),
                    )),
                ),
                // No protocol version in common cannot happen with ring's
                // defaults; plain TLS config errors surface at connect.
                Err(_) => rumqttc::Transport::tls(Vec::new(), None, None),
            }
        }
    }
}

/// Connects to the broker, waiting at most [`CONNECT_TIMEOUT`] for it to
/// accept: a broker that is not there or refuses the login is an error,
/// worded for a user, before any device connects.
pub async fn connect(
    broker: &Broker,
    tls: &Tls,
    client_id: &str,
    login: Option<(String, String)>,
) -> Result<Rc<Connection>, String> {
    let mut options = MqttOptions::new(client_id, broker.host.clone(), broker.port);
    options.set_transport(transport(broker, tls));
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(true)
        .set_max_packet_size(MAX_PACKET, MAX_PACKET)
        .set_inflight(u16::MAX);
    if let Some((user, password)) = login {
        options.set_credentials(user, password);
    }
    // Requests are queued without waiting (see `publish`): room for every
    // message a `parallel` may send at once.
    let (client, mut events) = AsyncClient::new(options, REQUESTS);
    let mut network = rumqttc::NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(CONNECT_TIMEOUT.as_secs());
    events.set_network_options(network);
    let accepted = tokio::time::timeout(CONNECT_TIMEOUT, async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(err) => return Err(refused(&err)),
            }
        }
    })
    .await;
    match accepted {
        Ok(Ok(())) => Ok(Rc::new(Connection {
            client,
            events: RefCell::new(Some(events)),
            shared: RefCell::new(Shared {
                connected: true,
                ..Shared::default()
            }),
            closing: std::cell::Cell::new(false),
            broker: broker.clone(),
        })),
        Ok(Err(why)) => Err(why),
        Err(_) => Err(format!(
            "it did not answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// Why the broker could not be reached, for a person.
fn refused(err: &ConnectionError) -> String {
    match err {
        ConnectionError::ConnectionRefused(code) => {
            format!("it refused the connection ({code:?}); check the username and password")
        }
        ConnectionError::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

impl Connection {
    /// Polls the event loop for ever (until dropped), reconnecting with a
    /// growing pause when the broker goes away. After a reconnect, what was
    /// pending is dropped, not resent (a command is sent again only by a
    /// retry), nothing new was queued meanwhile, and every topic is
    /// subscribed to again.
    pub async fn drive(&self) {
        let Some(mut events) = self.events.borrow_mut().take() else {
            return;
        };
        let mut pause = Duration::from_millis(100);
        loop {
            match events.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) if self.closing.get() => return,
                Ok(event) => {
                    pause = Duration::from_millis(100);
                    self.handle(event);
                }
                Err(_) if self.closing.get() => return,
                Err(_) => {
                    // Everything sent or queued is lost: dropping the
                    // waiters tells theirs, and nothing of it is sent once
                    // the broker is back (a command is sent again only by
                    // a retry). rumqttc would resend the unacknowledged
                    // publishes and the requests still in its channel
                    // (`clean` moved both to `pending`), and still report
                    // the publishes it had begun to write: all dropped, so
                    // the ids that follow pair with requests made after.
                    {
                        let mut shared = self.shared.borrow_mut();
                        shared.connected = false;
                        shared.publishes.clear();
                        shared.subscribes.clear();
                        shared.unassigned_publishes.clear();
                        shared.unassigned_subscribes.clear();
                    }
                    events.pending.clear();
                    events.state.collision = None;
                    events
                        .state
                        .events
                        .retain(|event| matches!(event, Event::Incoming(_)));
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    fn handle(&self, event: Event) {
        let mut shared = self.shared.borrow_mut();
        match event {
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                if let Some(Some(waiter)) = shared.unassigned_publishes.pop_front() {
                    shared.publishes.insert(pkid, waiter);
                }
            }
            Event::Outgoing(Outgoing::Subscribe(pkid)) => {
                if let Some(Some(waiter)) = shared.unassigned_subscribes.pop_front() {
                    shared.subscribes.insert(pkid, waiter);
                }
            }
            Event::Incoming(Packet::PubAck(ack)) => {
                if let Some(waiter) = shared.publishes.remove(&ack.pkid) {
                    let _ = waiter.send(());
                }
            }
            Event::Incoming(Packet::SubAck(ack)) => {
                if let Some(waiter) = shared.subscribes.remove(&ack.pkid) {
                    let _ = waiter.send(());
                }
            }
            Event::Incoming(Packet::ConnAck(_)) => {
                // A reconnect: clean session, so subscribe again, before
                // anything new is published.
                shared.connected = true;
                for topic in shared.topics.clone() {
                    if self.client.try_subscribe(topic, QoS::AtLeastOnce).is_ok() {
                        shared.unassigned_subscribes.push_back(None);
                    }
                }
            }
            Event::Incoming(Packet::Publish(publish)) => {
                let listeners = shared.listeners.get(&publish.topic).cloned();
                drop(shared);
                for listener in listeners.into_iter().flatten() {
                    listener(&publish.payload);
                }
            }
            _ => {}
        }
    }

    /// Subscribes `listener` to `topic`; resolves once the broker has
    /// acknowledged it, `false` if the broker went away first.
    pub async fn subscribe(&self, topic: &str, listener: Listener) -> bool {
        let (done, acked) = oneshot::channel();
        {
            let mut shared = self.shared.borrow_mut();
            if !shared.connected {
                return false;
            }
            shared
                .listeners
                .entry(topic.to_string())
                .or_default()
                .push(listener);
            shared.topics.push(topic.to_string());
            shared.unassigned_subscribes.push_back(Some(done));
        }
        // `try_`: queued at once, so that the waiter and the request stay in
        // the same order even when this future is dropped.
        if self.client.try_subscribe(topic, QoS::AtLeastOnce).is_err() {
            self.shared.borrow_mut().unassigned_subscribes.pop_back();
            return false;
        }
        acked.await.is_ok()
    }

    /// Stops listening on `topic` and unsubscribes.
    pub fn unsubscribe(&self, topic: &str) {
        {
            let mut shared = self.shared.borrow_mut();
            shared.listeners.remove(topic);
            shared.topics.retain(|t| t != topic);
        }
        let _ = self.client.try_unsubscribe(topic);
    }

    /// Publishes with QoS 1, not retained; resolves once the broker has
    /// acknowledged it, `false` if the broker went away first. Dropping the
    /// future drops the wait, not the publish.
    pub async fn publish(&self, topic: &str, payload: Vec<u8>) -> bool {
        let (done, acked) = oneshot::channel();
        {
            let mut shared = self.shared.borrow_mut();
            // While the broker is away a command is not queued: it would be
            // sent once the broker is back, beside its own retry.
            if !shared.connected {
                return false;
            }
            shared.unassigned_publishes.push_back(Some(done));
        }
        if self
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, payload)
            .is_err()
        {
            self.shared.borrow_mut().unassigned_publishes.pop_back();
            return false;
        }
        acked.await.is_ok()
    }

    /// Says goodbye to the broker: a DISCONNECT, sent while [`drive`] still
    /// runs.
    pub fn close(&self) {
        self.closing.set(true);
        let _ = self.client.try_disconnect();
    }
}
