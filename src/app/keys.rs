//! The key map: a table of (keys, [`Action`], description), loaded from [`DEFAULTS`] and
//! overridable from the config file's `[keys]` table. The help overlay and `docs/guide.md` are
//! generated from / checked against this table; nothing else decides what a key does.
//!
//! Keys are spelled the way the config file and the guide spell them: `q`, `?`, `:`, `G`,
//! `Ctrl-C`, `Tab`, `Shift-Tab`, `Enter`, `Esc`, `Up`, `Down`, `Left`, `Right`, `Home`, `End`,
//! `PageUp`, `PageDown`, `Backspace`, `Delete`, `Space`, `F1`..`F12` (case-insensitive except for
//! single characters; `C-c` and `S-Tab` are accepted too).

use std::collections::BTreeMap;
use std::fmt;

/// A key as the application sees it (the terminal layer translates its own events into this).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// A key press: a code and the modifiers that matter (Shift is part of the character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// A plain key.
    pub const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false, alt: false }
    }

    /// A plain character.
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// Ctrl + a character.
    pub const fn ctrl(c: char) -> Key {
        Key { code: KeyCode::Char(c), ctrl: true, alt: false }
    }

    /// Parse a key spelling (`q`, `Ctrl-C`, `Shift-Tab`, `PageDown`, ...).
    pub fn parse(s: &str) -> Result<Key, String> {
        let s = s.trim();
        if s.chars().count() == 1 {
            return Ok(Key::ch(s.chars().next().unwrap_or(' ')));
        }
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = s;
        // Strip modifier prefixes (`Ctrl-`, `C-`, `Alt-`, `M-`, `Shift-`, `S-`), any order.
        'prefixes: loop {
            let lower = rest.to_ascii_lowercase();
            const PREFIXES: &[(&str, u8)] = &[
                ("ctrl-", 0),
                ("ctrl+", 0),
                ("c-", 0),
                ("alt-", 1),
                ("alt+", 1),
                ("meta-", 1),
                ("m-", 1),
                ("shift-", 2),
                ("shift+", 2),
                ("s-", 2),
            ];
            for (p, which) in PREFIXES {
                if lower.starts_with(p) && rest.len() > p.len() {
                    match which {
                        0 => ctrl = true,
                        1 => alt = true,
                        _ => shift = true,
                    }
                    rest = &rest[p.len()..];
                    continue 'prefixes;
                }
            }
            break;
        }
        let code = if rest.chars().count() == 1 {
            let c = rest.chars().next().unwrap_or(' ');
            // `Ctrl-C` and `Ctrl-c` are the same key; a shifted letter is its upper case.
            KeyCode::Char(if ctrl {
                c.to_ascii_lowercase()
            } else if shift {
                c.to_ascii_uppercase()
            } else {
                c
            })
        } else {
            match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" | "ret" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if shift => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" | "bs" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                f if f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "unknown key {s:?}: expected a character, Ctrl-X, Alt-X, Tab, Shift-Tab, Enter, Esc, \
                         Up, Down, Left, Right, Home, End, PageUp, PageDown, Backspace, Delete, Space or F1..F12"
                    ));
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PageUp"),
            KeyCode::PageDown => f.write_str("PageDown"),
            KeyCode::F(n) => write!(f, "F{n}"),
        }
    }
}

/// Everything a key of the main view can do. The config file names actions by
/// [`Action::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    ForceQuit,
    Prompt,
    NewTcp,
    NewUdp,
    ToggleNonblocking,
    ToggleBroadcast,
    Connect,
    Select,
    Wait,
    Close,
    Explain,
    Help,
    Pause,
    FocusNext,
    FocusPrev,
    NextSocket,
    PrevSocket,
    NextRow,
    PrevRow,
    FirstRow,
    LastRow,
    PageDown,
    PageUp,
    NextPersonality,
    Confirm,
    Cancel,
    Lessons,
    Hint,
    Record,
    Mark,
    PlayPause,
    StepForward,
    StepBack,
    NextMarker,
    PrevMarker,
    Faster,
    Slower,
}

/// One row of the key table.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub action: Action,
    /// Default keys, in the spelling of [`Key::parse`].
    pub keys: &'static [&'static str],
    /// What the action does, for the help overlay and the guide.
    pub description: &'static str,
}

const fn b(action: Action, keys: &'static [&'static str], description: &'static str) -> Binding {
    Binding { action, keys, description }
}

/// The default key table, in the order help lists it.
pub const DEFAULTS: &[Binding] = &[
    b(Action::Prompt, &[":"], "open the command prompt (Esc leaves it, Enter runs the line)"),
    b(Action::NewTcp, &["t"], "new TCP socket: `socket tcp`"),
    b(Action::NewUdp, &["u"], "new UDP socket: `socket udp`"),
    b(Action::ToggleNonblocking, &["n"], "toggle nonblocking: `ioctlsocket S FIONBIO 1|0`"),
    b(Action::ToggleBroadcast, &["b"], "toggle SO_BROADCAST: `setsockopt S SO_BROADCAST 1|0`"),
    b(Action::Connect, &["c"], "connect the selected socket to a target you pick: `connect S @refuse`"),
    b(Action::Select, &["s"], "select on the selected socket: `select read=S write=S except=S timeout=0`"),
    b(Action::Wait, &["w"], "let 1 s of virtual time pass: `wait 1000`"),
    b(Action::Close, &["x"], "close the selected socket: `closesocket S`"),
    b(Action::Explain, &["e"], "explain the selected answer (codes, rules, why personalities differ)"),
    b(Action::Help, &["?", "F1"], "show or hide this help"),
    b(Action::Pause, &["p"], "pause / resume: time stands still, nothing arrives"),
    b(Action::FocusNext, &["Tab"], "focus the next panel (log, notifications, lesson, sockets)"),
    b(Action::FocusPrev, &["Shift-Tab"], "focus the previous panel"),
    b(Action::NextSocket, &["J"], "select the next socket"),
    b(Action::PrevSocket, &["K"], "select the previous socket"),
    b(Action::NextRow, &["j", "Down"], "next row of the focused panel (scroll in overlays)"),
    b(Action::PrevRow, &["k", "Up"], "previous row of the focused panel (scroll in overlays)"),
    b(Action::FirstRow, &["g", "Home"], "first row of the focused panel"),
    b(Action::LastRow, &["G", "End"], "last row of the focused panel; the log follows new rows again"),
    b(Action::PageDown, &["PageDown"], "a page down in the focused panel"),
    b(Action::PageUp, &["PageUp"], "a page up in the focused panel"),
    b(Action::NextPersonality, &["v"], "view the next personality in Sockets and State machine"),
    b(Action::Lessons, &["L"], "pick a guided lesson; it runs in a side panel (lines go to the lesson)"),
    b(Action::Hint, &["h"], "show or hide the lesson step's hint"),
    b(
        Action::Record,
        &["R"],
        "start recording the session (from its start: the calls so far are written first) / stop",
    ),
    b(Action::Mark, &["M"], "add a marker to the recording: opens the prompt with `mark `"),
    b(Action::PlayPause, &["Space"], "replay: play / pause"),
    b(Action::StepForward, &[".", "Right"], "replay: one entry forward"),
    b(Action::StepBack, &[",", "Left"], "replay: one entry back"),
    b(Action::NextMarker, &["]"], "replay: jump to the next marker"),
    b(Action::PrevMarker, &["["], "replay: jump to the previous marker"),
    b(Action::Faster, &["+"], "replay: play faster (up to 16x)"),
    b(Action::Slower, &["-"], "replay: play slower (down to 0.25x)"),
    b(Action::Confirm, &["Enter"], "choose in a picker"),
    b(Action::Cancel, &["Esc"], "close an overlay or picker; else close the lesson (progress kept)"),
    b(Action::Quit, &["q"], "quit (from the main view; closes an overlay)"),
    b(Action::ForceQuit, &["Ctrl-C"], "quit from anywhere"),
];

impl Action {
    /// Every action, in help order.
    pub fn all() -> impl Iterator<Item = Action> {
        DEFAULTS.iter().map(|b| b.action)
    }

    /// The name used in the config file's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ForceQuit => "force_quit",
            Action::Prompt => "prompt",
            Action::NewTcp => "new_tcp",
            Action::NewUdp => "new_udp",
            Action::ToggleNonblocking => "toggle_nonblocking",
            Action::ToggleBroadcast => "toggle_broadcast",
            Action::Connect => "connect",
            Action::Select => "select",
            Action::Wait => "wait",
            Action::Close => "close",
            Action::Explain => "explain",
            Action::Help => "help",
            Action::Pause => "pause",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::NextSocket => "next_socket",
            Action::PrevSocket => "prev_socket",
            Action::NextRow => "next_row",
            Action::PrevRow => "prev_row",
            Action::FirstRow => "first_row",
            Action::LastRow => "last_row",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::NextPersonality => "next_personality",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Lessons => "lessons",
            Action::Hint => "hint",
            Action::Record => "record",
            Action::Mark => "mark",
            Action::PlayPause => "play_pause",
            Action::StepForward => "step_forward",
            Action::StepBack => "step_back",
            Action::NextMarker => "next_marker",
            Action::PrevMarker => "prev_marker",
            Action::Faster => "faster",
            Action::Slower => "slower",
        }
    }

    /// Parse a config-file name.
    pub fn from_name(s: &str) -> Option<Action> {
        Action::all().find(|a| a.name() == s.trim().replace('-', "_"))
    }

    /// The description from the default table.
    pub fn description(self) -> &'static str {
        DEFAULTS.iter().find(|b| b.action == self).map(|b| b.description).unwrap_or("")
    }
}

/// The key map in force: every action with its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMap {
    /// Rows in help order: action and its keys.
    rows: Vec<(Action, Vec<Key>)>,
    lookup: BTreeMap<Key, Action>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let rows =
            DEFAULTS.iter().map(|b| (b.action, b.keys.iter().filter_map(|k| Key::parse(k).ok()).collect())).collect();
        KeyMap::from_rows(rows)
    }
}

impl KeyMap {
    fn from_rows(rows: Vec<(Action, Vec<Key>)>) -> KeyMap {
        let mut lookup = BTreeMap::new();
        for (a, keys) in &rows {
            for k in keys {
                lookup.entry(*k).or_insert(*a);
            }
        }
        KeyMap { rows, lookup }
    }

    /// The action bound to a key.
    pub fn action(&self, key: &Key) -> Option<Action> {
        self.lookup.get(key).copied()
    }

    /// The keys of an action.
    pub fn keys(&self, action: Action) -> &[Key] {
        self.rows.iter().find(|(a, _)| *a == action).map(|(_, k)| k.as_slice()).unwrap_or(&[])
    }

    /// The keys of an action as text (`j, Down`), or `unbound`.
    pub fn keys_text(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "unbound".into();
        }
        keys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }

    /// Rows in help order: action, keys, description.
    pub fn rows(&self) -> impl Iterator<Item = (Action, &[Key], &'static str)> + '_ {
        self.rows.iter().map(|(a, k)| (*a, k.as_slice(), a.description()))
    }

    /// The defaults with the config file's `[keys]` table applied: each named action gets the
    /// given key or list of keys instead of its defaults. Returns the map and one warning per
    /// entry that could not be used (unknown action, unknown key, key already taken); a bad entry
    /// never stops the others.
    pub fn with_overrides(table: &toml::Table) -> (KeyMap, Vec<String>) {
        let mut warnings = Vec::new();
        let mut rows: Vec<(Action, Vec<Key>)> = KeyMap::default().rows;
        for (name, value) in table {
            let Some(action) = Action::from_name(name) else {
                warnings.push(format!("[keys] {name}: no such action"));
                continue;
            };
            let spellings: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                _ => {
                    warnings.push(format!("[keys] {name}: expected a key or a list of keys"));
                    continue;
                }
            };
            let mut keys = Vec::new();
            for s in spellings {
                match Key::parse(s) {
                    Ok(k) => keys.push(k),
                    Err(e) => warnings.push(format!("[keys] {name}: {e}")),
                }
            }
            // The new keys leave whatever action had them by default.
            for (a, ks) in rows.iter_mut() {
                if *a != action {
                    ks.retain(|k| !keys.contains(k));
                }
            }
            if let Some(row) = rows.iter_mut().find(|(a, _)| *a == action) {
                row.1 = keys;
            }
        }
        if rows.iter().any(|(a, k)| *a == Action::ForceQuit && k.is_empty()) {
            warnings.push("[keys] force_quit has no key left: Ctrl-C kept".into());
            if let Some(row) = rows.iter_mut().find(|(a, _)| *a == Action::ForceQuit) {
                row.1 = vec![Key::ctrl('c')];
            }
        }
        (KeyMap::from_rows(rows), warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_key_parses_and_prints_back() {
        for b in DEFAULTS {
            for k in b.keys {
                let key = Key::parse(k).unwrap_or_else(|e| panic!("{k}: {e}"));
                assert_eq!(key.to_string(), *k, "default keys are written in display spelling");
            }
        }
    }

    #[test]
    fn spellings() {
        assert_eq!(Key::parse("C-c"), Ok(Key::ctrl('c')));
        assert_eq!(Key::parse("ctrl+C"), Ok(Key::ctrl('c')));
        assert_eq!(Key::parse("S-tab"), Ok(Key::plain(KeyCode::BackTab)));
        assert_eq!(Key::parse("pgdn"), Ok(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("Space"), Ok(Key::ch(' ')));
        assert_eq!(Key::parse("f5"), Ok(Key::plain(KeyCode::F(5))));
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn every_action_has_one_row_and_no_key_is_bound_twice() {
        let m = KeyMap::default();
        let mut seen = std::collections::BTreeSet::new();
        for b in DEFAULTS {
            assert!(seen.insert(b.action), "{:?} listed twice", b.action);
            assert_eq!(Action::from_name(b.action.name()), Some(b.action));
            for k in b.keys {
                assert_eq!(m.action(&Key::parse(k).unwrap()), Some(b.action), "{k}");
            }
        }
        let keys: usize = DEFAULTS.iter().map(|b| b.keys.len()).sum();
        assert_eq!(m.lookup.len(), keys);
    }

    #[test]
    fn overrides_replace_defaults_and_report_mistakes() {
        let t: toml::Table =
            toml::from_str("quit = \"Q\"\nhelp = [\"h\", \"F1\"]\nfly = \"f\"\nwait = \"hyper-w\"").unwrap();
        let (m, warnings) = KeyMap::with_overrides(&t);
        assert_eq!(m.action(&Key::ch('Q')), Some(Action::Quit));
        assert_eq!(m.action(&Key::ch('q')), None);
        assert_eq!(m.action(&Key::ch('h')), Some(Action::Help));
        assert_eq!(m.action(&Key::ch('?')), None);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(m.keys(Action::Wait).is_empty());
    }
}
