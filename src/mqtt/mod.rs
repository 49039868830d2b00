//! MQTT: the broker a program's real devices are reached through, the one
//! connection a run holds to it (`connection.rs`), and the devices that
//! speak over it (`device.rs`).

mod connection;
mod device;
pub mod emulate;

pub use connection::{Connection, connect};
pub use device::MqttDevice;

/// Where the broker is: `mqtt://host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    pub host: String,
    pub port: u16,
}

impl Broker {
    /// The broker of a URL, or what is wrong with it.
    pub fn parse(url: &str) -> Result<Broker, String> {
        if url.starts_with("mqtts://") {
            return Err("TLS (`mqtts://`) is not supported by this iotrun yet".to_string());
        }
        let Some(rest) = url.strip_prefix("mqtt://") else {
            return Err("a broker URL starts with `mqtt://`".to_string());
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(port) if port > 0 => (host, port),
                _ => return Err(format!("`{port}` is no port (1 to 65535)")),
            },
            None => (rest, 1883),
        };
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err("expected `mqtt://host:port`".to_string());
        }
        Ok(Broker {
            host: host.to_string(),
            port,
        })
    }
}

impl std::fmt::Display for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mqtt://{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        let broker = |host: &str, port| {
            Ok(Broker {
                host: host.into(),
                port,
            })
        };
        assert_eq!(
            Broker::parse("mqtt://127.0.0.1:1883"),
            broker("127.0.0.1", 1883)
        );
        assert_eq!(
            Broker::parse("mqtt://broker.local"),
            broker("broker.local", 1883)
        );
        assert!(Broker::parse("mqtts://h:8883").is_err());
        assert!(Broker::parse("http://h").is_err());
        assert!(Broker::parse("mqtt://h:99999").is_err());
        assert!(Broker::parse("mqtt://").is_err());
    }
}
