//! The MQTT keys: the program's broker (`mqtt:` at the top) and a real
//! device's topics and confirmation (a device's `mqtt:`).

use super::{Entries, Lowerer, wrong_type};
use crate::ast::{DeviceMqtt, MqttConfig, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use crate::yaml::{Value, Yaml};

pub const CONFIG_KEYS: &[&str] = &[
    "broker",
    "client_id",
    "username",
    "password_env",
    "ca_file",
    "cert_file",
    "key_file",
];
pub const DEVICE_KEYS: &[&str] = &[
    "topic",
    "command_topic",
    "state_topic",
    "availability_topic",
    "confirm",
    "payloads",
    "expect",
];

impl Lowerer<'_> {
    pub(super) fn mqtt_config(&mut self, value: &Yaml) -> Option<MqttConfig> {
        let Value::Map(map) = &value.value else {
            self.report(
                wrong_type(value, "the broker's settings (a mapping)")
                    .with_help("write e.g. `mqtt: { broker: \"mqtt://127.0.0.1:1883\" }`"),
            );
            return None;
        };
        let entries = self.keys(map, CONFIG_KEYS, "`mqtt`", "its keys are");
        let mut config = MqttConfig::default();
        if let Some((_, value)) = entries.get("broker")
            && let Some(url) = self.text(value, "a broker URL")
        {
            match crate::mqtt::Broker::parse(&url) {
                Err(why) => self.report(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`{}` is no broker URL: {why}", crate::diagnostic::shown(&url)),
                    )
                    .at(value.span, "expected `mqtt://host:port`")
                    .with_help("write e.g. `broker: \"mqtt://127.0.0.1:1883\"` (the port defaults to 1883)"),
                ),
                Ok(_) => config.broker = Some(Spanned::new(url, value.span)),
            }
        }
        config.client_id = self.optional_text(&entries, "client_id", "a client id");
        config.username = self.optional_text(&entries, "username", "a user name");
        config.password_env =
            self.optional_text(&entries, "password_env", "an environment variable's name");
        config.ca_file = self.optional_text(&entries, "ca_file", "a file name");
        config.cert_file = self.optional_text(&entries, "cert_file", "a file name");
        config.key_file = self.optional_text(&entries, "key_file", "a file name");
        if config.cert_file.is_some() != config.key_file.is_some() {
            self.report(
                Diagnostic::new(
                    Code::MissingKey,
                    "a client certificate needs both `cert_file` and `key_file`",
                )
                .at(value.span, "here")
                .with_help("give both, or neither"),
            );
        }
        Some(config)
    }

    fn optional_text(&mut self, entries: &Entries, key: &str, what: &str) -> Option<String> {
        let (_, value) = entries.get(key)?;
        self.text(value, what)
    }

    pub(super) fn device_mqtt(&mut self, owner: &str, value: &Yaml) -> Option<DeviceMqtt> {
        let Value::Map(map) = &value.value else {
            self.report(
                wrong_type(value, "a device's MQTT settings (a mapping)")
                    .with_help("write e.g. `mqtt: { topic: zigbee2mqtt/hall, confirm: true }`"),
            );
            return None;
        };
        let mqtt_owner = format!("the `mqtt` of {owner}");
        let entries = self.keys(map, DEVICE_KEYS, &mqtt_owner, "its keys are");
        let topic = self.optional_text(&entries, "topic", "a topic");
        let command = self.optional_text(&entries, "command_topic", "a topic");
        let state = self.optional_text(&entries, "state_topic", "a topic");
        let availability = self.optional_text(&entries, "availability_topic", "a topic");
        let base = match topic {
            Some(topic) => topic,
            None if command.is_some() && state.is_some() => String::new(),
            None => {
                self.report(
                    Diagnostic::new(Code::MissingKey, format!("{mqtt_owner} has no `topic`"))
                        .at(value.span, "`topic` belongs here")
                        .with_help("add the device's base topic, e.g. `topic: zigbee2mqtt/hall`; or both `command_topic` and `state_topic`"),
                );
                return None;
            }
        };
        let confirm = match entries.get("confirm") {
            None => false,
            Some((_, value)) => match value.value {
                Value::Bool(on) => on,
                _ => {
                    self.report(
                        wrong_type(value, "`true` or `false`")
                            .with_help("write `confirm: true` to wait for the device's report"),
                    );
                    false
                }
            },
        };
        let payloads = entries
            .get("payloads")
            .map(|(_, value)| self.payloads(&mqtt_owner, value, &[], None))
            .unwrap_or_default();
        let mut expect = Vec::new();
        if let Some((_, value)) = entries.get("expect") {
            match &value.value {
                Value::Map(map) => {
                    for (key, state) in self.named_entries(map, "`expect`") {
                        let Some(message) = self.message_name(key.value, key.span) else {
                            continue;
                        };
                        match self.json(state, "an expected state") {
                            Some(json @ serde_json::Value::Object(_)) => {
                                expect.push((message, json))
                            }
                            Some(_) => self.report(
                                wrong_type(state, "an expected state (a mapping)").with_help(
                                    "write e.g. `expect: { PLAY_SONG: { state: playing } }`",
                                ),
                            ),
                            None => {}
                        }
                    }
                }
                _ => self.report(
                    wrong_type(value, "a mapping of message types to states")
                        .with_help("write e.g. `expect: { PLAY_SONG: { state: playing } }`"),
                ),
            }
        }
        let or = |topic: Option<String>, suffix: &str| {
            topic.unwrap_or_else(|| {
                if suffix.is_empty() {
                    base.clone()
                } else {
                    format!("{base}/{suffix}")
                }
            })
        };
        Some(DeviceMqtt {
            command_topic: or(command, "set"),
            state_topic: or(state, ""),
            availability_topic: or(availability, "availability"),
            confirm,
            payloads,
            expect,
        })
    }
}
