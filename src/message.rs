//! The message types, spelled exactly as the seed's `MessageType` enum.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    SwitchOn,
    SwitchOff,
    ChangeColor,
    PlaySong,
    Open,
    Close,
    Flush,
    Clean,
}

impl MessageType {
    pub const ALL: [MessageType; 8] = [
        MessageType::SwitchOn,
        MessageType::SwitchOff,
        MessageType::ChangeColor,
        MessageType::PlaySong,
        MessageType::Open,
        MessageType::Close,
        MessageType::Flush,
        MessageType::Clean,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MessageType::SwitchOn => "SWITCH_ON",
            MessageType::SwitchOff => "SWITCH_OFF",
            MessageType::ChangeColor => "CHANGE_COLOR",
            MessageType::PlaySong => "PLAY_SONG",
            MessageType::Open => "OPEN",
            MessageType::Close => "CLOSE",
            MessageType::Flush => "FLUSH",
            MessageType::Clean => "CLEAN",
        }
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|m| m.name()).collect()
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// What `data` a type needs, if it needs any.
    pub fn data_rule(self) -> DataRule {
        match self {
            MessageType::ChangeColor => DataRule::Colour,
            MessageType::PlaySong => DataRule::Song,
            _ => DataRule::Ignored,
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataRule {
    /// `#RRGGBB`
    Colour,
    /// A non-empty song title.
    Song,
    /// Accepted, with a warning that nothing reads it.
    Ignored,
}

/// `#RRGGBB`, six hexadecimal digits.
pub fn is_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}
