//! ratatui views only: every view is `render(frame, area, &App, &Theme)`, reads no clock, does
//! no I/O and names no colour (it asks the [`Theme`] for a role).
//!
//! The main screen (100x30 shown; at 80x24 the diagram turns compact and columns abbreviate):
//!
//! ```text
//! ┌ Sockets ───────────────────────────────────┐┌ State machine · s · linux · TCP SYN_SENT ──┐
//! │  name  type  mode opt state      last      ││ ┌───────┐  bind   ┌─────┐  listen ┌──────┐ │
//! │▶ s     tcp4  NB   -   pending    EINPRO…   ││ │unbound│────────▶│bound│────────▶│listen│ │
//! │  s2    udp4  B    BC  unbound    0         ││ └───────┘         └─────┘         └──────┘ │
//! │                                            ││      │connect ┌─────────┐ SYN-ACK ┌──────┐ │
//! │                                            ││      └───────▶│▶pending◀│────────▶│conn..│ │
//! │                                            ││               └─────────┘         └──────┘ │
//! └────────────────────────────────────────────┘└ last: bound → pending (connect) t=0 ms ────┘
//! ┌ Call log ──────────────────────────────────────────────────────────────────────────────────┐
//! │  #  call                  │ linux         │ winsock         │ windows         │ winsock1   │
//! │  3≠ connect s @refuse     │ -1 ECONNREF…  │ WSAEWOULDBLOCK  │ WSAEWOULDBLOCK  │ WSAEWOUL…  │
//! └────────────────────────────────────────────────────────────────────────────────────────────┘
//! ┌ Notifications ─────────────────────────────────────────────────────────────────────────────┐
//! │ linux    POLL  s: readiness POLLOUT|POLLERR|POLLHUP (t=0 ms)                                 │
//! └────────────────────────────────────────────────────────────────────────────────────────────┘
//!  : prompt line (or key hints)
//!  status line                                          ⏸ PAUSED  ● REC  linux t=1000 ms  sim
//! ```
//!
//! Overlays (help, explain, target picker) are drawn centred over the main screen.

pub mod diagram;
mod lesson;
mod overlays;
mod panels;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Level, NetKind, Overlay};
use crate::core::model::State;
use theme::{Role, Theme};

/// Cut to `n` columns with an ellipsis.
pub fn fit(s: &str, n: usize) -> String {
    crate::app::truncate(s, n)
}

/// Shorten to `n` columns at a word boundary, ending with ` …` (never in the middle of a
/// word); a first word longer than `n` is abbreviated by [`abbrev`], then wrapped away.
pub fn fit_words(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    // A title's leading space stays.
    if let Some(rest) = s.strip_prefix(' ') {
        return format!(" {}", fit_words(rest, n.saturating_sub(1)));
    }
    let mut out = String::new();
    for w in s.split(' ') {
        let add = if out.is_empty() { w.chars().count() } else { out.chars().count() + 1 + w.chars().count() };
        if add + 2 > n {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    let out = out.trim_end().to_string();
    if out.is_empty() {
        return String::new();
    }
    format!("{out} …")
}

/// The abbreviation rule of narrow columns: an error code loses its platform prefix
/// (`WSAEWOULDBLOCK` -> `WOULDBLOCK`, `ECONNREFUSED` -> `CONNREFUSED`); the column says which
/// platform it is, and the status line and explain give the full name.
pub fn abbrev(word: &str) -> String {
    let (head, tail) = match word.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        Some(i) => word.split_at(i),
        None => (word, ""),
    };
    if crate::core::codes::Code::from_name(head).is_none() {
        return word.to_string();
    }
    let short = ["WSAE", "WSA_", "WSA", "E"].iter().find_map(|p| head.strip_prefix(p)).unwrap_or(head);
    format!("{short}{tail}")
}

/// Word-wrap to `w` columns: breaks at spaces, then (for longer words) after `|`, `,` or `=`,
/// then after `:` or `/`, then after `.` (so an address parts from its port before its own dots
/// come apart), and only then inside a word, continuing on the next line (nothing is dropped).
pub fn wrap_words(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        if word.chars().count() > w {
            // The pieces of one word follow each other without a space.
            let mut pieces = split_long(word, w);
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            cur = pieces.pop().unwrap_or_default();
            lines.extend(pieces);
            continue;
        }
        let need = if cur.is_empty() { word.chars().count() } else { cur.chars().count() + 1 + word.chars().count() };
        if need > w && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A word longer than `w` in pieces of at most `w` columns, broken at the strongest separators
/// that make it fit ([`wrap_words`]); neighbouring pieces are joined again while they fit.
fn split_long(word: &str, w: usize) -> Vec<String> {
    const LEVELS: [&[char]; 3] = [&['|', ',', '='], &[':', '/'], &['.']];
    fn pieces(word: &str, w: usize, level: usize, out: &mut Vec<String>) {
        if word.chars().count() <= w {
            out.push(word.to_string());
            return;
        }
        let Some(seps) = LEVELS.get(level) else {
            let cs: Vec<char> = word.chars().collect();
            out.extend(cs.chunks(w).map(|c| c.iter().collect::<String>()));
            return;
        };
        for part in word.split_inclusive(*seps) {
            pieces(part, w, level + 1, out);
        }
    }
    let mut parts = Vec::new();
    pieces(word, w, 0, &mut parts);
    let mut joined: Vec<String> = Vec::new();
    for p in parts {
        match joined.last_mut() {
            Some(last) if last.chars().count() + p.chars().count() <= w => last.push_str(&p),
            _ => joined.push(p),
        }
    }
    joined
}

/// The rectangles of the main screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub sockets: Rect,
    /// Zero-sized when the screen is too narrow for a diagram.
    pub state: Rect,
    pub log: Rect,
    pub notes: Rect,
    pub prompt: Rect,
    pub status: Rect,
    /// The lesson panel (zero-sized when no lesson runs).
    pub lesson: Rect,
}

/// Where everything goes for a screen of `area`. Pure, so it is tested on its own.
pub fn layout(area: Rect) -> Areas {
    let h = area.height;
    let w = area.width;
    let status = Rect::new(area.x, area.y + h.saturating_sub(1), w, h.min(1));
    let prompt = Rect::new(area.x, area.y + h.saturating_sub(2), w, h.saturating_sub(1).min(1));
    let r = h.saturating_sub(2);
    let top = if r >= 26 {
        13
    } else if r >= 18 {
        8
    } else {
        (r / 3).max(3).min(r)
    };
    let notes_h = if r >= 26 { ((r - top) / 3).clamp(5, 12) } else { 5.min(r.saturating_sub(top) / 2) };
    let log_h = r.saturating_sub(top + notes_h);
    // The state machine gets the width its bottom line needs on wide screens (the whole
    // transition: states, cause, error, time).
    let state_w = if w >= 180 {
        90
    } else if w >= 100 {
        50
    } else if w >= 78 {
        40
    } else {
        0
    };
    let y = area.y;
    Areas {
        sockets: Rect::new(area.x, y, w - state_w, top),
        state: Rect::new(area.x + w - state_w, y, state_w, if state_w > 0 { top } else { 0 }),
        log: Rect::new(area.x, y + top, w, log_h),
        notes: Rect::new(area.x, y + top + log_h, w, notes_h),
        prompt,
        status,
        lesson: Rect::default(),
    }
}

/// The layout with a lesson panel: on the right from 120 columns (the rest is the usual
/// screen), else in place of the notifications and part of the log (80x24 keeps a 3-row log).
pub fn layout_with_lesson(area: Rect) -> Areas {
    if area.width >= 120 {
        let pw = (area.width / 3).clamp(40, 64);
        let mut a = layout(Rect::new(area.x, area.y, area.width - pw, area.height));
        a.prompt.width = area.width;
        a.status.width = area.width;
        a.lesson = Rect::new(area.x + area.width - pw, area.y, pw, area.height.saturating_sub(2));
        return a;
    }
    let mut a = layout(area);
    // The compact diagram's height, so that the panel gets the room.
    let top = a.sockets.height.min(8);
    a.sockets.height = top;
    a.state.height = a.state.height.min(top);
    let rest = area.height.saturating_sub(2 + top);
    let log_h = (rest / 3).max(5).min(rest);
    a.log = Rect::new(area.x, area.y + top, area.width, log_h);
    a.lesson = Rect::new(area.x, a.log.y + log_h, area.width, rest - log_h);
    a.notes = Rect::new(area.x, a.log.y + log_h, area.width, 0);
    a
}

/// Draw the whole screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let a = if app.lesson().is_some() { layout_with_lesson(area) } else { layout(area) };
    panels::sockets(frame, a.sockets, app, theme);
    if a.state.width > 0 {
        panels::state_machine(frame, a.state, app, theme);
    }
    panels::log(frame, a.log, app, theme);
    if a.notes.height > 0 {
        panels::notes(frame, a.notes, app, theme);
    }
    if let Some(l) = app.lesson() {
        lesson::panel(frame, a.lesson, l, app, theme);
    }
    match app.replay() {
        Some(r) if !app.prompt().open => replay_bar(frame, a.prompt, r, theme),
        _ => prompt_line(frame, a.prompt, app, theme),
    }
    status_line(frame, a.status, app, theme);
    match app.overlay() {
        Some(Overlay::Help { scroll }) => overlays::help(frame, area, app, theme, *scroll),
        Some(Overlay::Explain { entry, scroll }) => overlays::explain(frame, area, app, theme, *entry, *scroll),
        Some(Overlay::Picker { sock, selected }) => overlays::picker(frame, area, theme, sock, *selected),
        Some(Overlay::Lessons { selected }) => lesson::picker(frame, area, app, theme, *selected),
        None => {}
    }
}

/// What a mouse click at (`x`, `y`) on a screen of `area` points at (`--mouse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Click {
    Socket(usize),
    Row(usize),
    Focus(crate::app::Focus),
}

/// The thing under a click: a socket, a log row, or a panel to focus.
pub fn click(app: &App, area: Rect, x: u16, y: u16) -> Option<Click> {
    if app.overlay().is_some() {
        return None;
    }
    let a = if app.lesson().is_some() { layout_with_lesson(area) } else { layout(area) };
    let inside = |r: Rect| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
    if inside(a.log) {
        return Some(panels::log_row_at(app, a.log, y).map_or(Click::Focus(crate::app::Focus::Log), Click::Row));
    }
    if inside(a.sockets) {
        return Some(
            panels::socket_at(app, a.sockets, y).map_or(Click::Focus(crate::app::Focus::Sockets), Click::Socket),
        );
    }
    if inside(a.notes) {
        return Some(Click::Focus(crate::app::Focus::Notes));
    }
    if inside(a.lesson) {
        return Some(Click::Focus(crate::app::Focus::Lesson));
    }
    None
}

/// The style of a state's name in lists (a symbol goes with it, see [`state_symbol`]).
pub fn state_style(theme: &Theme, s: State) -> Style {
    theme.style(match s {
        State::Connected | State::Associated | State::Listening => Role::Ok,
        State::Failed => Role::Error,
        State::Closed => Role::Dim,
        State::Unbound | State::Bound | State::Pending | State::Unassociated => Role::Text,
    })
}

/// A symbol for a state so that status never rests on colour alone.
pub fn state_symbol(s: State) -> &'static str {
    match s {
        State::Unbound | State::Bound | State::Unassociated => "○",
        State::Listening => "◎",
        State::Pending => "…",
        State::Connected | State::Associated => "●",
        State::Failed => "✗",
        State::Closed => "·",
    }
}

fn prompt_line(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let p = app.prompt();
    if p.open {
        let text = format!(":{}", p.text);
        frame.render_widget(Paragraph::new(Line::styled(text, theme.style(Role::Prompt))), area);
        let x = area.x + 1 + p.cursor.min(u16::MAX as usize) as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        if !p.candidates.is_empty() && area.y > 0 {
            let mut spans = Vec::new();
            for (i, c) in p.candidates.iter().enumerate() {
                let style =
                    if Some(i) == p.chosen { theme.style(Role::Selected) } else { theme.style(Role::Completion) };
                spans.push(Span::styled(format!(" {c} "), style));
                spans.push(Span::raw(" "));
            }
            let above = Rect::new(area.x, area.y - 1, area.width, 1);
            frame.render_widget(Paragraph::new(Line::from(spans)), above);
        }
        return;
    }
    // Key hints, generated from the key map.
    let km = app.keymap();
    use crate::app::keys::Action as A;
    let hints = [
        (A::Prompt, "prompt"),
        (A::NewTcp, "tcp"),
        (A::NewUdp, "udp"),
        (A::ToggleNonblocking, "nonblock"),
        (A::ToggleBroadcast, "broadcast"),
        (A::Connect, "connect"),
        (A::Select, "select"),
        (A::Wait, "wait"),
        (A::Close, "close"),
        (A::Explain, "explain"),
        (A::Help, "help"),
        (A::Quit, "quit"),
    ];
    // When they do not all fit, the least needed go first; explain, help and quit stay.
    let mut shown: Vec<(String, &str)> =
        hints.iter().filter_map(|(a, w)| km.keys(*a).first().map(|k| (k.to_string(), *w))).collect();
    let width = |v: &[(String, &str)]| v.iter().map(|(k, w)| k.chars().count() + w.len() + 3).sum::<usize>();
    for drop in ["broadcast", "udp", "close", "nonblock", "select", "wait", "tcp", "connect", "prompt"] {
        if width(&shown) <= area.width as usize {
            break;
        }
        shown.retain(|(_, w)| *w != drop);
    }
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (k, word) in shown {
        let len = k.chars().count() + word.len() + 3;
        if used + len > area.width as usize {
            break;
        }
        used += len;
        spans.push(Span::styled(format!(" {k}"), theme.style(Role::Key)));
        spans.push(Span::styled(format!(" {word} "), theme.style(Role::Dim)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The replay's line: play state, file name, position, time, speed, then a progress bar with
/// the markers on it (`◆`; text, not only colour).
pub fn replay_bar(frame: &mut Frame, area: Rect, r: &crate::app::replay::ReplayState, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let (pos, len) = (r.position(), r.len());
    let state = if r.playing() { "▶" } else { "⏸" };
    let mut head = format!(
        " {state} {} · entry {pos}/{len} · {:.1}/{:.1} s · {}x ",
        r.name(),
        r.t_ms() / 1000.0,
        r.duration_ms() / 1000.0,
        r.speed()
    );
    if r.divergences() > 0 {
        head.push_str(&format!("≠{} ", r.divergences()));
    }
    if r.warning().is_some() {
        head.push_str("⚠ damaged ");
    }
    let width = area.width as usize;
    let head = fit(&head, width);
    let bar_w = width.saturating_sub(head.chars().count() + 2);
    let mut spans = vec![Span::styled(head, theme.style(Role::Status))];
    if bar_w >= 4 {
        let cell = |i: usize| (i * bar_w).checked_div(len).unwrap_or(0).min(bar_w - 1);
        let filled = (pos * bar_w).checked_div(len).unwrap_or(0).min(bar_w);
        let mut cells: Vec<char> = (0..bar_w).map(|c| if c < filled { '━' } else { '─' }).collect();
        for m in r.markers() {
            cells[cell(m.index)] = '◆';
        }
        let done: String = cells[..filled].iter().collect();
        let rest: String = cells[filled..].iter().collect();
        spans.push(Span::styled("[", theme.style(Role::Dim)));
        spans.push(Span::styled(done, theme.style(Role::Key)));
        spans.push(Span::styled(rest, theme.style(Role::Dim)));
        spans.push(Span::styled("]", theme.style(Role::Dim)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_line(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let mut right: Vec<Span> = Vec::new();
    if app.paused() {
        let held = app.held().as_millis();
        let t = if held > 0 { format!(" ⏸ PAUSED +{held} ms ") } else { " ⏸ PAUSED ".to_string() };
        right.push(Span::styled(t, theme.style(Role::Paused)));
        right.push(Span::raw(" "));
    }
    if app.recording().is_some() {
        let n = app.recording_entries();
        let text = if n == 1 { " ● REC 1 entry ".to_string() } else { format!(" ● REC {n} entries ") };
        right.push(Span::styled(text, theme.style(Role::Recording)));
        right.push(Span::raw(" "));
    }
    let k = app.view();
    let p = app.personalities()[k];
    let net = match (app.net(), app.replay().is_some()) {
        (NetKind::Sim, false) => "sim",
        (NetKind::Live, false) => "live",
        (NetKind::Sim, true) => "replay sim",
        (NetKind::Live, true) => "replay live",
    };
    right.push(Span::styled(format!("{p} t={} ms  {net} ", app.now(k).as_millis()), theme.style(Role::Status)));
    let right_w: usize = right.iter().map(|s| s.content.chars().count()).sum();
    let st = app.status();
    let (style, sym) = match st.level {
        Level::Info => (theme.style(Role::Status), ""),
        Level::Warn => (theme.style(Role::StatusWarn), "⚠ "),
        Level::Error => (theme.style(Role::StatusError), "✗ "),
    };
    let room = (area.width as usize).saturating_sub(right_w + 1);
    let left = fit_words(&format!("{sym}{}", st.text), room);
    let pad = (area.width as usize).saturating_sub(left.chars().count() + right_w);
    let mut spans = vec![Span::styled(left, style), Span::raw(" ".repeat(pad))];
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_drops_nothing() {
        assert_eq!(wrap_words("2 read=f write=f except=", 9), ["2 read=f", "write=f", "except="]);
        assert_eq!(wrap_words("f=POLLIN|POLLOUT|POLLHUP", 10), ["f=POLLIN|", "POLLOUT|", "POLLHUP"]);
        assert_eq!(wrap_words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("local=127.0.0.1:7777 x", 12), ["local=", "127.0.0.1:", "7777 x"]);
        assert_eq!(wrap_words("[2001:db8::1]:7", 8), ["[2001:", "db8::1]:", "7"]);
        assert_eq!(wrap_words("ab.cd.ef.gh.ij", 6), ["ab.cd.", "ef.gh.", "ij"]);
        assert_eq!(wrap_words("", 4), [""]);
        assert_eq!(fit_words("gave up on the call after four seconds", 20), "gave up on the …");
        assert_eq!(abbrev("WSAEWOULDBLOCK"), "WOULDBLOCK");
        assert_eq!(abbrev("ECONNREFUSED,"), "CONNREFUSED,");
        assert_eq!(abbrev("read=f"), "read=f");
    }

    #[test]
    fn layout_fills_the_screen_without_overlap() {
        for (w, h) in [(80, 24), (100, 30), (120, 40), (200, 60), (60, 20)] {
            let a = layout(Rect::new(0, 0, w, h));
            let rows = a.sockets.height + a.log.height + a.notes.height + 2;
            assert_eq!(rows, h, "{w}x{h}: {a:?}");
            assert_eq!(a.sockets.width + a.state.width, w);
            assert!(a.log.height >= 5, "{w}x{h}: the log keeps room: {a:?}");
        }
        let a = layout(Rect::new(0, 0, 80, 24));
        assert!(a.state.width >= 39 && a.state.height >= 8, "the compact diagram fits at 80x24: {a:?}");
        let a = layout(Rect::new(0, 0, 100, 30));
        assert!(a.state.width >= 49 && a.state.height >= 13, "the boxed diagram fits at 100x30: {a:?}");
    }

    #[test]
    fn the_lesson_panel_has_room_at_every_size() {
        for (w, h) in [(80, 24), (100, 30), (120, 40), (200, 60)] {
            let a = layout_with_lesson(Rect::new(0, 0, w, h));
            assert!(a.lesson.height >= 8 && a.lesson.width >= 40, "{w}x{h}: {a:?}");
            assert!(a.log.height >= 5, "{w}x{h}: {a:?}");
            assert_eq!(a.status.width, w);
            let bottom = a.lesson.y + a.lesson.height;
            assert!(bottom <= h - 2, "{w}x{h}: the panel stays above the prompt: {a:?}");
        }
    }
}
