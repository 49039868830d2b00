//! MQTT: the broker a program's real devices are reached through, the one
//! connection a run holds to it (`connection.rs`), and the devices that
//! speak over it (`device.rs`).

mod connection;
mod device;
pub mod emulate;

pub use connection::{Connection, Tls, connect};
pub use device::MqttDevice;

/// `n` random lowercase letters: the suffix that keeps two runs' client
/// ids apart on one broker.
pub fn random_suffix(n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
        .collect()
}

/// Where the broker is: `mqtt://host[:port]`, or `mqtts://` for TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    pub host: String,
    pub port: u16,
    /// `mqtts://`: TLS (rustls), trusting the system's roots or `ca_file`.
    pub tls: bool,
}

impl Broker {
    /// The broker of a URL, or what is wrong with it.
    pub fn parse(url: &str) -> Result<Broker, String> {
        let (rest, tls, default_port) =
            match (url.strip_prefix("mqtt://"), url.strip_prefix("mqtts://")) {
                (Some(rest), _) => (rest, false, 1883),
                (_, Some(rest)) => (rest, true, 8883),
                _ => {
                    return Err(
                        "a broker URL starts with `mqtt://` (or `mqtts://` for TLS)".to_string()
                    );
                }
            };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(port) if port > 0 => (host, port),
                _ => return Err(format!("`{port}` is no port (1 to 65535)")),
            },
            None => (rest, default_port),
        };
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err("expected `mqtt://host:port`".to_string());
        }
        Ok(Broker {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

impl std::fmt::Display for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        let broker = |host: &str, port, tls| {
            Ok(Broker {
                host: host.into(),
                port,
                tls,
            })
        };
        assert_eq!(
            Broker::parse("mqtt://127.0.0.1:1883"),
            broker("127.0.0.1", 1883, false)
        );
        assert_eq!(
            Broker::parse("mqtt://broker.local"),
            broker("broker.local", 1883, false)
        );
        assert_eq!(Broker::parse("mqtts://h"), broker("h", 8883, true));
        assert!(Broker::parse("http://h").is_err());
        assert!(Broker::parse("mqtt://h:99999").is_err());
        assert!(Broker::parse("mqtt://").is_err());
    }
}
