//! Device kinds as data: the three built-in ones and any a program declares
//! under `kinds:`, each with its display name, the messages it accepts and
//! the command payload of each. The seed's own words for what a simulated
//! device prints are built from the display name.

use std::fmt;

use super::payload::Payload;
use crate::message::MessageType;

#[derive(Clone, Debug, PartialEq)]
pub struct Kind {
    /// What a device's `kind:` names.
    pub name: String,
    /// What its lines print: "Hue Light".
    pub display: String,
    pub accepts: Vec<MessageType>,
    /// Payloads the kind sets for its types; the others come from
    /// [`Payload::default_for`].
    pub payloads: Vec<(MessageType, Payload)>,
    /// The seed's light says "Connecting Hue Light.", every other device
    /// "Connecting to ...".
    pub connect_to: bool,
}

/// The built-in kinds, in the order `iotrun devices` lists them.
pub const BUILTIN: [&str; 3] = ["hue_light", "smart_speaker", "smart_toilet"];

impl Kind {
    /// The built-in kinds, as the seed defines them.
    pub fn builtins() -> Vec<Kind> {
        use MessageType::*;
        let kind = |name: &str, display: &str, accepts: &[MessageType], connect_to| Kind {
            name: name.to_string(),
            display: display.to_string(),
            accepts: accepts.to_vec(),
            payloads: Vec::new(),
            connect_to,
        };
        vec![
            kind(
                "hue_light",
                "Hue Light",
                &[SwitchOn, SwitchOff, ChangeColor],
                false,
            ),
            kind(
                "smart_speaker",
                "Smart Speaker",
                &[SwitchOn, SwitchOff, PlaySong],
                true,
            ),
            kind(
                "smart_toilet",
                "Smart Toilet",
                &[Open, Close, Flush, Clean],
                true,
            ),
        ]
    }

    /// The names of the built-in kinds.
    pub fn names() -> Vec<&'static str> {
        BUILTIN.to_vec()
    }

    pub fn accepts(&self, message: MessageType) -> bool {
        self.accepts.contains(&message)
    }

    /// The command payload of `message` for a device of this kind.
    pub fn payload(&self, message: MessageType) -> Payload {
        self.payloads
            .iter()
            .find(|(m, _)| *m == message)
            .map_or_else(|| Payload::default_for(message), |(_, p)| p.clone())
    }

    pub fn connecting_line(&self) -> String {
        if self.connect_to {
            format!("Connecting to {}.", self.display)
        } else {
            format!("Connecting {}.", self.display)
        }
    }

    pub fn connected_line(&self) -> String {
        format!("{} connected.", self.display)
    }

    pub fn disconnecting_line(&self) -> String {
        format!("Disconnecting {}.", self.display)
    }

    pub fn disconnected_line(&self) -> String {
        format!("{} disconnected.", self.display)
    }

    pub fn handling_line(&self, message: MessageType, data: &str) -> String {
        format!(
            "{} handling message of type {message} with data [{data}].",
            self.display
        )
    }

    pub fn received_line(&self) -> String {
        format!("{} received message.", self.display)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
