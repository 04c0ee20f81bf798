//! Themes: semantic roles, never colours named in a view.
//!
//! A view asks `theme.title(focused)`, `theme.style(Role::StateCurrent)`; a theme file maps each
//! role to a style. Resolution (trippy's order): `--theme` > `NO_COLOR` (monochrome) > the config
//! file's `theme` > the built-in default. A theme file that does not parse, names an unknown role
//! or colour, is reported and the default is used instead (gitui: reported, not fatal).
//!
//! File format (`themes/*.toml`):
//!
//! ```toml
//! name = "default"
//! [roles]
//! title = { fg = "white", bold = true }
//! state_current = { fg = "black", bg = "green", bold = true }
//! ```
//!
//! A style has `fg`, `bg` (a colour name such as `lightblue`, `#rrggbb` or an index `0`-`255`)
//! and the flags `bold`, `dim`, `italic`, `underlined`, `reversed`. Roles a file leaves out keep
//! the default's style (themes are layered on the default).

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

macro_rules! roles {
    ($($variant:ident = $name:literal, $doc:literal;)*) => {
        /// What a piece of the screen is, for the theme.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Role {
            $(#[doc = $doc] $variant,)*
        }
        impl Role {
            /// Every role, in file order.
            pub const ALL: &'static [Role] = &[$(Role::$variant),*];
            /// The key in a theme file.
            pub fn name(self) -> &'static str {
                match self { $(Role::$variant => $name,)* }
            }
            /// What the role is for.
            pub fn describe(self) -> &'static str {
                match self { $(Role::$variant => $doc,)* }
            }
        }
    };
}

roles! {
    Text = "text", "ordinary text";
    Dim = "dim", "secondary text: hints, headers' separators, quiet cells";
    Title = "title", "panel titles";
    TitleFocused = "title_focused", "the title of the panel that has the selection";
    Border = "border", "panel borders";
    BorderFocused = "border_focused", "the border of the panel that has the selection";
    Header = "header", "table column headers";
    Selected = "selected", "the selected row";
    StateCurrent = "state_current", "the current state in the state machine";
    StateOther = "state_other", "the other states";
    Edge = "edge", "state-machine edges";
    EdgeLast = "edge_last", "the edge of the last transition and its label";
    Ok = "ok", "successful answers";
    Error = "error", "answers with an error code, failures";
    NotApplicable = "not_applicable", "calls a personality does not have";
    Differs = "differs", "the mark of a row where personalities differ";
    Assumed = "assumed", "the ? of an assumed answer";
    Notification = "notification", "notifications";
    NotificationError = "notification_error", "notifications that carry an error code";
    Prompt = "prompt", "the command prompt";
    Completion = "completion", "completion candidates";
    Status = "status", "the status line";
    StatusWarn = "status_warn", "a warning in the status line";
    StatusError = "status_error", "an error in the status line";
    Key = "key", "key names in help and hints";
    Overlay = "overlay", "overlay background (help, explain, picker)";
    Paused = "paused", "the paused indicator";
    Recording = "recording", "the recording indicator";
}

/// A theme: one style per role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Role, Style>,
}

fn st(fg: Option<Color>, bg: Option<Color>, m: Modifier) -> Style {
    let mut s = Style::default().add_modifier(m);
    if let Some(fg) = fg {
        s = s.fg(fg);
    }
    if let Some(bg) = bg {
        s = s.bg(bg);
    }
    s
}

impl Default for Theme {
    /// The built-in default (dark terminals). `themes/default.toml` must equal it (tested).
    fn default() -> Self {
        use Color::*;
        let n = Modifier::empty();
        let b = Modifier::BOLD;
        let rows: &[(Role, Style)] = &[
            (Role::Text, st(None, None, n)),
            (Role::Dim, st(Some(DarkGray), None, n)),
            (Role::Title, st(Some(Gray), None, b)),
            (Role::TitleFocused, st(Some(LightCyan), None, b)),
            (Role::Border, st(Some(DarkGray), None, n)),
            (Role::BorderFocused, st(Some(Cyan), None, n)),
            (Role::Header, st(Some(Gray), None, Modifier::UNDERLINED)),
            (Role::Selected, st(None, Some(Indexed(236)), b)),
            (Role::StateCurrent, st(Some(Black), Some(LightGreen), b)),
            (Role::StateOther, st(Some(Gray), None, n)),
            (Role::Edge, st(Some(DarkGray), None, n)),
            (Role::EdgeLast, st(Some(LightYellow), None, b)),
            (Role::Ok, st(Some(Green), None, n)),
            (Role::Error, st(Some(LightRed), None, n)),
            (Role::NotApplicable, st(Some(DarkGray), None, Modifier::ITALIC)),
            (Role::Differs, st(Some(LightMagenta), None, b)),
            (Role::Assumed, st(Some(Yellow), None, b)),
            (Role::Notification, st(Some(LightBlue), None, n)),
            (Role::NotificationError, st(Some(LightRed), None, b)),
            (Role::Prompt, st(Some(White), None, b)),
            (Role::Completion, st(Some(Black), Some(Gray), n)),
            (Role::Status, st(Some(Gray), None, n)),
            (Role::StatusWarn, st(Some(Black), Some(Yellow), n)),
            (Role::StatusError, st(Some(White), Some(Red), b)),
            (Role::Key, st(Some(LightCyan), None, b)),
            (Role::Overlay, st(None, Some(Indexed(234)), n)),
            (Role::Paused, st(Some(Black), Some(LightYellow), b)),
            (Role::Recording, st(Some(White), Some(Red), b)),
        ];
        Theme { name: "default".into(), styles: rows.iter().copied().collect() }
    }
}

/// The themes shipped in `themes/`, built into the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

const FLAGS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
];

fn color_name(c: Color) -> String {
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => i.to_string(),
        other => {
            // Display gives `LightCyan`; files use lower case.
            other.to_string().to_ascii_lowercase()
        }
    }
}

impl Theme {
    /// The style of a role.
    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    /// A panel title, focused or not.
    pub fn title(&self, focused: bool) -> Style {
        self.style(if focused { Role::TitleFocused } else { Role::Title })
    }

    /// A panel border, focused or not.
    pub fn border(&self, focused: bool) -> Style {
        self.style(if focused { Role::BorderFocused } else { Role::Border })
    }

    /// Parse a theme file, layered on the default.
    pub fn from_toml(src: &str) -> Result<Theme, String> {
        let doc: toml::Table = toml::from_str(src).map_err(|e| e.to_string())?;
        let mut theme = Theme::default();
        for (k, v) in &doc {
            match (k.as_str(), v) {
                ("name", toml::Value::String(n)) => theme.name = n.clone(),
                ("roles", toml::Value::Table(roles)) => {
                    for (rname, rv) in roles {
                        let role = Role::ALL
                            .iter()
                            .copied()
                            .find(|r| r.name() == rname)
                            .ok_or_else(|| format!("unknown role `{rname}`"))?;
                        let t = rv
                            .as_table()
                            .ok_or_else(|| format!("role `{rname}`: expected a table like {{ fg = \"red\" }}"))?;
                        theme.styles.insert(role, parse_style(rname, t)?);
                    }
                }
                _ => return Err(format!("unexpected key `{k}`: expected `name` and a [roles] table")),
            }
        }
        Ok(theme)
    }

    /// The theme as a file (what `themes/default.toml` holds for the default).
    pub fn to_toml(&self) -> String {
        let mut out = format!("name = \"{}\"\n\n[roles]\n", self.name);
        for r in Role::ALL {
            let s = self.style(*r);
            let mut parts = Vec::new();
            if let Some(fg) = s.fg {
                parts.push(format!("fg = \"{}\"", color_name(fg)));
            }
            if let Some(bg) = s.bg {
                parts.push(format!("bg = \"{}\"", color_name(bg)));
            }
            for (n, m) in FLAGS {
                if s.add_modifier.contains(*m) {
                    parts.push(format!("{n} = true"));
                }
            }
            out.push_str(&format!("{} = {{ {} }}\n", r.name(), parts.join(", ")));
        }
        out
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Result<Theme, String>> {
        BUILTIN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, src)| Theme::from_toml(src))
    }

    /// Monochrome: what `NO_COLOR` selects.
    pub fn monochrome() -> Theme {
        Theme::builtin("monochrome").and_then(Result::ok).unwrap_or_default()
    }
}

fn parse_style(role: &str, t: &toml::Table) -> Result<Style, String> {
    let mut s = Style::default();
    for (k, v) in t {
        match k.as_str() {
            "fg" | "bg" => {
                let name = v.as_str().ok_or_else(|| format!("role `{role}`: `{k}` must be a string"))?;
                let c = Color::from_str(name).map_err(|_| {
                    format!("role `{role}`: unknown colour `{name}` (expected a name like lightblue, #rrggbb or 0-255)")
                })?;
                s = if k == "fg" { s.fg(c) } else { s.bg(c) };
            }
            flag => {
                let m = FLAGS
                    .iter()
                    .find(|(n, _)| *n == flag)
                    .map(|(_, m)| *m)
                    .ok_or_else(|| format!("role `{role}`: unknown key `{flag}`"))?;
                if v.as_bool().ok_or_else(|| format!("role `{role}`: `{flag}` must be true or false"))? {
                    s = s.add_modifier(m);
                }
            }
        }
    }
    Ok(s)
}

/// Where the theme comes from, before resolution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThemeChoice {
    /// `--theme NAME|PATH`.
    pub cli: Option<String>,
    /// `NO_COLOR` is set (and not empty).
    pub no_color: bool,
    /// The config file's `theme`.
    pub config: Option<String>,
}

/// Resolve a theme choice. `read` loads a file (the terminal layer passes `fs::read_to_string`;
/// tests pass a map). Returns the theme and a warning when something had to fall back.
pub fn resolve(choice: &ThemeChoice, read: &dyn Fn(&str) -> Result<String, String>) -> (Theme, Option<String>) {
    let wanted = match (&choice.cli, choice.no_color, &choice.config) {
        (Some(c), _, _) => c.clone(),
        (None, true, _) => return (Theme::monochrome(), None),
        (None, false, Some(c)) => c.clone(),
        (None, false, None) => return (Theme::default(), None),
    };
    let is_path = wanted.contains('/') || wanted.contains('\\') || wanted.ends_with(".toml");
    let loaded = if is_path {
        read(&wanted)
            .map_err(|e| format!("cannot read theme {wanted}: {e}"))
            .and_then(|src| Theme::from_toml(&src).map_err(|e| format!("theme {wanted} is broken ({e})")))
    } else {
        match Theme::builtin(&wanted) {
            Some(r) => r.map_err(|e| format!("built-in theme {wanted} is broken ({e})")),
            None => Err(format!(
                "no theme named `{wanted}` (built in: {})",
                BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )),
        }
    };
    match loaded {
        Ok(t) => (t, None),
        Err(e) => (Theme::default(), Some(format!("{e}; using the default theme"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_equals_builtin_default() {
        let file = Theme::builtin("default").expect("shipped").expect("parses");
        assert_eq!(
            file,
            Theme::default(),
            "themes/default.toml drifted from Theme::default():\n{}",
            Theme::default().to_toml()
        );
    }

    #[test]
    fn every_theme_file_loads_and_sets_every_role() {
        for (name, src) in BUILTIN {
            let t = Theme::from_toml(src).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.name, *name);
            let doc: toml::Table = toml::from_str(src).unwrap();
            let roles = doc["roles"].as_table().unwrap();
            for r in Role::ALL {
                assert!(roles.contains_key(r.name()), "{name} leaves out {}", r.name());
            }
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/themes");
        let files = std::fs::read_dir(dir).unwrap().count();
        assert_eq!(files, BUILTIN.len(), "every file in themes/ is built in");
    }

    #[test]
    fn monochrome_names_no_colour() {
        let m = Theme::monochrome();
        for r in Role::ALL {
            let s = m.style(*r);
            assert!(s.fg.is_none() && s.bg.is_none(), "{} has a colour", r.name());
        }
    }

    #[test]
    fn broken_files_fall_back_with_a_warning() {
        let read = |p: &str| -> Result<String, String> {
            match p {
                "/t/bad.toml" => Ok("[roles]\ntitle = { fg = \"ultraviolet\" }".into()),
                "/t/typo.toml" => Ok("[roles]\ntitel = { fg = \"red\" }".into()),
                "/t/ok.toml" => Ok("name = \"mine\"\n[roles]\ntitle = { fg = \"#ff0000\" }".into()),
                _ => Err("no such file".to_string()),
            }
        };
        let pick = |cli: &str| resolve(&ThemeChoice { cli: Some(cli.into()), ..Default::default() }, &read);
        let (t, w) = pick("/t/bad.toml");
        assert_eq!(t, Theme::default());
        assert!(w.unwrap().contains("ultraviolet"));
        assert!(pick("/t/typo.toml").1.unwrap().contains("titel"));
        assert!(pick("/t/missing.toml").1.is_some());
        assert!(pick("nosuch").1.unwrap().contains("colorblind"));
        let (t, w) = pick("/t/ok.toml");
        assert!(w.is_none());
        assert_eq!(t.style(Role::Title).fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(t.style(Role::Ok), Theme::default().style(Role::Ok), "layered on the default");
        let nc = ThemeChoice { no_color: true, config: Some("light".into()), ..Default::default() };
        assert_eq!(resolve(&nc, &read).0, Theme::monochrome());
        let cfg = ThemeChoice { config: Some("light".into()), ..Default::default() };
        assert_eq!(resolve(&cfg, &read).0.name, "light");
    }
}
