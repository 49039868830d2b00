//! A message's command payload: what a real device is sent, and what a
//! simulated device applies to its state.

use serde_json::{Map, Value, json};

use crate::message::MessageType;

#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// A JSON object (Zigbee2MQTT's style), or any JSON value.
    Json(Value),
    /// Sent as this text, not as JSON (Tasmota's `ON`).
    Text(String),
}

/// The placeholder a payload may hold for the message's data.
const DATA: &str = "{data}";

impl Payload {
    /// The format's table: Zigbee2MQTT-style commands.
    pub fn default_for(message: MessageType) -> Payload {
        Payload::Json(match message {
            MessageType::SwitchOn => json!({"state": "ON"}),
            MessageType::SwitchOff => json!({"state": "OFF"}),
            MessageType::ChangeColor => json!({"color": {"hex": DATA}}),
            MessageType::PlaySong => json!({"play": DATA}),
            MessageType::Open => json!({"state": "OPEN"}),
            MessageType::Close => json!({"state": "CLOSE"}),
            MessageType::Flush => json!({"action": "flush"}),
            MessageType::Clean => json!({"action": "clean"}),
        })
    }

    /// Whether `{data}` appears anywhere in it: the message's data is then
    /// used, not ignored.
    pub fn uses_data(&self) -> bool {
        match self {
            Payload::Text(text) => text.contains(DATA),
            Payload::Json(value) => uses_data(value),
        }
    }

    /// The payload with `{data}` replaced. A JSON string that is exactly
    /// `"{data}"` becomes the data as a JSON value when it reads as a
    /// number, `true`/`false`, an object or an array, and as a string
    /// otherwise; inside a longer string it is replaced as text.
    pub fn with_data(&self, data: Option<&str>) -> Payload {
        let data = data.unwrap_or("");
        match self {
            Payload::Text(text) => Payload::Text(text.replace(DATA, data)),
            Payload::Json(value) => Payload::Json(substitute(value, data)),
        }
    }

    /// What the payload sets in a device's state: a JSON object, or nothing.
    pub fn as_state(&self) -> Option<&Map<String, Value>> {
        match self {
            Payload::Json(Value::Object(map)) => Some(map),
            _ => None,
        }
    }
}

fn uses_data(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains(DATA),
        Value::Array(items) => items.iter().any(uses_data),
        Value::Object(map) => map.values().any(uses_data),
        _ => false,
    }
}

fn substitute(value: &Value, data: &str) -> Value {
    match value {
        Value::String(text) if text == DATA => match serde_json::from_str::<Value>(data) {
            Ok(
                parsed @ (Value::Number(_) | Value::Bool(_) | Value::Object(_) | Value::Array(_)),
            ) => parsed,
            _ => Value::String(data.to_string()),
        },
        Value::String(text) if text.contains(DATA) => Value::String(text.replace(DATA, data)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, data)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, data)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_substituted_as_a_value_or_as_text() {
        let colour = Payload::default_for(MessageType::ChangeColor).with_data(Some("#FF8800"));
        assert_eq!(colour, Payload::Json(json!({"color": {"hex": "#FF8800"}})));
        let position = Payload::Json(json!({"position": "{data}"}));
        assert_eq!(
            position.with_data(Some("40")),
            Payload::Json(json!({"position": 40}))
        );
        assert_eq!(
            position.with_data(Some("[1, 2]")),
            Payload::Json(json!({"position": [1, 2]}))
        );
        assert_eq!(
            position.with_data(Some("null")),
            Payload::Json(json!({"position": "null"}))
        );
        let text = Payload::Json(json!({"say": "hello {data}!"}));
        assert_eq!(
            text.with_data(Some("7")),
            Payload::Json(json!({"say": "hello 7!"}))
        );
        assert_eq!(
            Payload::Text("POWER {data}".into()).with_data(Some("ON")),
            Payload::Text("POWER ON".into())
        );
        assert!(position.uses_data());
        assert!(!Payload::default_for(MessageType::Flush).uses_data());
    }
}
