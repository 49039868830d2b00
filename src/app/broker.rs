//! A run's devices: simulated ones, and real ones over the run's one MQTT
//! connection, reached before any device connects and closed after every
//! device has disconnected.

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use crate::cli::RunOptions;
use crate::device::Device;
use crate::diagnostic::{Code, Diagnostic, shown};
use crate::mqtt::{Broker, Connection, MqttDevice};
use crate::plan::Plan;

/// The broker: `--broker`, else `IOTRUN_MQTT_BROKER`, else the file's
/// `mqtt.broker` (with its span, for a diagnostic to point at).
pub fn broker(
    plan: &Plan,
    flag: Option<&str>,
) -> Result<(Broker, Option<crate::diagnostic::Span>), super::run::NotStarted> {
    let from_file = plan.mqtt.as_ref().and_then(|c| c.broker.as_ref());
    let (url, span) = match (flag, std::env::var("IOTRUN_MQTT_BROKER").ok()) {
        (Some(url), _) => (url.to_string(), None),
        (None, Some(url)) if !url.is_empty() => (url, None),
        _ => match from_file {
            Some(url) => (url.value.clone(), Some(url.span)),
            None => {
                return Err(super::run::NotStarted::Diagnostic(
                    Diagnostic::new(Code::Broker, "the program's MQTT devices have no broker")
                        .with_help("give one: `mqtt: { broker: \"mqtt://127.0.0.1:1883\" }` in the file, `IOTRUN_MQTT_BROKER`, or `--broker URL`"),
                ));
            }
        },
    };
    let broker = Broker::parse(&url).map_err(|why| {
        super::run::NotStarted::Io(format!("`{}` is no broker URL: {why}", shown(&url)))
    })?;
    Ok((broker, span))
}

/// The `iotrun::broker` diagnostic for a broker that cannot be reached.
pub fn unreachable(
    broker: &Broker,
    why: &str,
    span: Option<crate::diagnostic::Span>,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        Code::Broker,
        format!("cannot reach the MQTT broker at {broker}: {why}"),
    )
    .with_help("start the broker, or point `--broker`, `IOTRUN_MQTT_BROKER` or `mqtt.broker` at one; nothing was connected");
    if let Some(span) = span {
        diagnostic = diagnostic.at(span, "this broker");
    }
    diagnostic
}

/// Connects to the broker. Not reachable, or refusing the login, is an
/// `iotrun::broker` diagnostic naming it.
pub async fn connect(
    plan: &Plan,
    args: &RunOptions,
) -> Result<Rc<Connection>, super::run::NotStarted> {
    let config = plan.mqtt.clone().unwrap_or_default();
    let (broker, span) = broker(plan, args.broker.as_deref())?;
    let client_id = config
        .client_id
        .clone()
        .unwrap_or_else(|| format!("iotrun-{}", crate::mqtt::random_suffix(8)));
    let login = config.username.clone().map(|user| {
        let password = config
            .password_env
            .as_ref()
            .and_then(|var| std::env::var(var).ok())
            .unwrap_or_default();
        (user, password)
    });
    let tls = tls(plan, &config)?;
    crate::mqtt::connect(&broker, &tls, &client_id, login)
        .await
        .map_err(|why| super::run::NotStarted::Diagnostic(unreachable(&broker, &why, span)))
}

/// The TLS files of `mqtt:`, read; relative to the program file's folder.
pub fn tls(
    plan: &Plan,
    config: &crate::ast::MqttConfig,
) -> Result<crate::mqtt::Tls, super::run::NotStarted> {
    let read = |file: &Option<String>| -> Result<Option<Vec<u8>>, super::run::NotStarted> {
        let Some(file) = file else {
            return Ok(None);
        };
        let path = plan.folder.join(file);
        std::fs::read(&path).map(Some).map_err(|err| {
            super::run::NotStarted::Io(format!(
                "cannot read `{}`: {err}",
                crate::text::escaped(&path.display().to_string())
            ))
        })
    };
    let ca = read(&config.ca_file)?;
    let client = match (read(&config.cert_file)?, read(&config.key_file)?) {
        (Some(cert), Some(key)) => Some((cert, key)),
        _ => None,
    };
    Ok(crate::mqtt::Tls { ca, client })
}

/// One device for each of the plan's: over MQTT when it has `mqtt` and
/// there is a connection, else simulated.
pub fn devices(
    plan: &Plan,
    seed: u64,
    connection: Option<&Rc<Connection>>,
) -> Vec<Box<dyn Device>> {
    let mut devices = crate::run::simulated(plan, seed);
    if let Some(connection) = connection {
        for (index, spec) in plan.devices.iter().enumerate() {
            if let Some(topics) = &spec.mqtt {
                devices[index] = Box::new(MqttDevice::new(
                    connection.clone(),
                    topics.clone(),
                    spec.state.clone(),
                ));
            }
        }
    }
    devices
}

/// Runs `run` with the connection's event loop polled beside it all the
/// while; then says goodbye to the broker (at most a second).
pub async fn beside<T>(connection: Option<&Connection>, run: impl Future<Output = T>) -> T {
    let Some(connection) = connection else {
        return run.await;
    };
    let drive = connection.drive();
    let mut drive = std::pin::pin!(drive);
    let mut run = std::pin::pin!(run);
    let outcome = tokio::select! {
        biased;
        outcome = &mut run => outcome,
        // `drive` never ends; were it to, the run goes on without it.
        () = &mut drive => run.await,
    };
    connection.close();
    let _ = tokio::time::timeout(Duration::from_secs(1), &mut drive).await;
    outcome
}
