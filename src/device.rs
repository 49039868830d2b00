//! The built-in device kinds and the seed's own words for what a simulated
//! device of each kind prints.

use std::fmt;

use crate::message::MessageType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    HueLight,
    SmartSpeaker,
    SmartToilet,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::HueLight, Kind::SmartSpeaker, Kind::SmartToilet];

    pub fn name(self) -> &'static str {
        match self {
            Kind::HueLight => "hue_light",
            Kind::SmartSpeaker => "smart_speaker",
            Kind::SmartToilet => "smart_toilet",
        }
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|k| k.name()).collect()
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The name the seed's devices print.
    pub fn display(self) -> &'static str {
        match self {
            Kind::HueLight => "Hue Light",
            Kind::SmartSpeaker => "Smart Speaker",
            Kind::SmartToilet => "Smart Toilet",
        }
    }

    pub fn accepts(self) -> &'static [MessageType] {
        use MessageType::*;
        match self {
            Kind::HueLight => &[SwitchOn, SwitchOff, ChangeColor],
            Kind::SmartSpeaker => &[SwitchOn, SwitchOff, PlaySong],
            Kind::SmartToilet => &[Open, Close, Flush, Clean],
        }
    }

    /// The seed's connect line: the light says "Connecting Hue Light.", the
    /// others "Connecting to ...".
    pub fn connecting_line(self) -> String {
        match self {
            Kind::HueLight => format!("Connecting {}.", self.display()),
            _ => format!("Connecting to {}.", self.display()),
        }
    }

    pub fn connected_line(self) -> String {
        format!("{} connected.", self.display())
    }

    pub fn disconnecting_line(self) -> String {
        format!("Disconnecting {}.", self.display())
    }

    pub fn disconnected_line(self) -> String {
        format!("{} disconnected.", self.display())
    }

    pub fn handling_line(self, message: MessageType, data: &str) -> String {
        format!(
            "{} handling message of type {message} with data [{data}].",
            self.display()
        )
    }

    pub fn received_line(self) -> String {
        format!("{} received message.", self.display())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
