//! The names of the personalities.

use serde::{Deserialize, Serialize};

/// One model of an API's semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonalityId {
    /// The Linux kernel as measured (`../shared/reference/LINUX_TRUTH.md`).
    Linux,
    /// Windows Sockets 2 as Microsoft documents it.
    Winsock,
    /// Windows as it really behaves where that departs from its documentation.
    Windows,
    /// A Winsock 1.1 application (linked to WSOCK32.DLL).
    Winsock1,
}

impl PersonalityId {
    /// Every personality, in column order.
    pub const ALL: &'static [PersonalityId] =
        &[PersonalityId::Linux, PersonalityId::Winsock, PersonalityId::Windows, PersonalityId::Winsock1];

    /// The name used in the CLI, scripts, recordings and the UI.
    pub fn name(self) -> &'static str {
        match self {
            PersonalityId::Linux => "linux",
            PersonalityId::Winsock => "winsock",
            PersonalityId::Windows => "windows",
            PersonalityId::Winsock1 => "winsock1",
        }
    }

    /// Parse a name (any case).
    pub fn from_name(s: &str) -> Option<PersonalityId> {
        PersonalityId::ALL.iter().copied().find(|p| p.name().eq_ignore_ascii_case(s))
    }

    /// Whether this personality speaks Winsock (error codes `WSAE*`, WSAStartup required).
    pub fn is_winsock(self) -> bool {
        !matches!(self, PersonalityId::Linux)
    }
}

impl std::fmt::Display for PersonalityId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
