//! The config file: `$XDG_CONFIG_HOME/socklab/config.toml`, else `~/.config/socklab/config.toml`.
//!
//! ```toml
//! theme = "colorblind"          # a built-in name or a path to a theme file
//! mouse = false                 # --mouse turns it on for one run
//! [keys]                        # action = key or [keys]; see `?` in the TUI for action names
//! quit = "Q"
//! next_row = ["j", "Down", "Ctrl-N"]
//! ```
//!
//! Parsing is pure; the terminal layer reads the file. Nothing in the file is fatal: every
//! mistake becomes a warning in the status line and the default is used for that entry.

use std::path::PathBuf;

use super::keys::KeyMap;

/// What the config file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub theme: Option<String>,
    pub mouse: Option<bool>,
    pub keymap: KeyMap,
    pub warnings: Vec<String>,
}

impl Config {
    /// Parse the file's text.
    pub fn parse(src: &str) -> Config {
        let mut c = Config::default();
        let doc: toml::Table = match toml::from_str(src) {
            Ok(d) => d,
            Err(e) => {
                c.warnings.push(format!("config file ignored: {}", e.message()));
                return c;
            }
        };
        for (k, v) in &doc {
            match (k.as_str(), v) {
                ("theme", toml::Value::String(s)) => c.theme = Some(s.clone()),
                ("mouse", toml::Value::Boolean(b)) => c.mouse = Some(*b),
                ("keys", toml::Value::Table(t)) => {
                    let (km, w) = KeyMap::with_overrides(t);
                    c.keymap = km;
                    c.warnings.extend(w);
                }
                _ => {
                    c.warnings.push(format!("config: unknown or mistyped entry `{k}` (expected theme, mouse, [keys])"))
                }
            }
        }
        c
    }

    /// Where the config file is, from the environment (`XDG_CONFIG_HOME`, `HOME`, `APPDATA`).
    pub fn path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        let nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
        if let Some(x) = nonempty("XDG_CONFIG_HOME") {
            return Some(PathBuf::from(x).join("socklab").join("config.toml"));
        }
        if let Some(h) = nonempty("HOME") {
            return Some(PathBuf::from(h).join(".config").join("socklab").join("config.toml"));
        }
        nonempty("APPDATA").map(|a| PathBuf::from(a).join("socklab").join("config.toml"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keys::{Action, Key};

    #[test]
    fn parses_theme_mouse_and_keys_and_warns_on_mistakes() {
        let c = Config::parse("theme = \"light\"\nmouse = true\ncolour = 1\n[keys]\nquit = \"Q\"\n");
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.mouse, Some(true));
        assert_eq!(c.keymap.action(&Key::ch('Q')), Some(Action::Quit));
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        let broken = Config::parse("theme = ");
        assert_eq!(broken.keymap, KeyMap::default());
        assert_eq!(broken.warnings.len(), 1);
    }

    #[test]
    fn path_follows_xdg_then_home() {
        let env = |k: &str| match k {
            "XDG_CONFIG_HOME" => Some("/x".to_string()),
            "HOME" => Some("/h".to_string()),
            _ => None,
        };
        assert_eq!(Config::path(&env), Some(PathBuf::from("/x/socklab/config.toml")));
        let env = |k: &str| if k == "HOME" { Some("/h".to_string()) } else { None };
        assert_eq!(Config::path(&env), Some(PathBuf::from("/h/.config/socklab/config.toml")));
    }
}
