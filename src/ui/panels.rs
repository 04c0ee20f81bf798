//! The four panels of the main screen. Each draws only its visible rows: a frame costs the same
//! with 10 sockets or 10,000, with 10 log rows or 100,000.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

use crate::app::{App, Focus, Tone};
use crate::core::call::{Family, Proto};
use crate::core::compare::Mark;

use super::diagram::{StateDiagram, cause_text};
use super::theme::{Role, Theme};
use super::{fit, state_style, state_symbol};

fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title)
        .title_style(theme.title(focused))
}

/// First visible row so that `sel` is in a window of `h` rows over `n`.
pub fn window(n: usize, h: usize, sel: Option<usize>) -> usize {
    if n <= h {
        return 0;
    }
    match sel {
        Some(s) if s >= h => (s + 1 - h).min(n - h),
        Some(_) => 0,
        None => n - h,
    }
}

fn tone_style(theme: &Theme, t: Tone) -> Style {
    theme.style(match t {
        Tone::Ok => Role::Ok,
        Tone::Error => Role::Error,
        Tone::NotApplicable => Role::NotApplicable,
        Tone::Quiet => Role::Dim,
    })
}

/// Write spans into one row of the buffer, clipped to `width`.
fn row(buf: &mut Buffer, x: u16, y: u16, width: u16, spans: &[(String, Style)]) {
    let mut cx = x;
    let end = x + width;
    for (s, st) in spans {
        if cx >= end {
            break;
        }
        let (nx, _) = buf.set_stringn(cx, y, s, (end - cx) as usize, *st);
        cx = nx;
    }
}

/// Sockets: name, type, mode, options, state, last answer (and local/peer when wide).
pub fn sockets(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let k = app.view();
    let title = format!(" Sockets ({}) · {} ", app.sockets().len(), app.personalities()[k]);
    let b = block(title, app.focus() == Focus::Sockets, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    let buf = frame.buffer_mut();
    if app.sockets().is_empty() {
        let hint = if app.replay().is_some() {
            "no socket yet in the recording: Space plays it, . steps"
        } else {
            "no socket yet: press t (TCP) or u (UDP), or : to type `socket tcp as NAME`"
        };
        buf.set_stringn(inner.x + 1, inner.y, hint, inner.width as usize - 1, theme.style(Role::Dim));
        return;
    }
    let w = inner.width as usize;
    let wide = w >= 90;
    let name_w = 6usize;
    // Fixed columns: marker 2, name, type 5, mode 3, opt 3, state 13; the rest is the answer.
    let fixed = 2 + name_w + 1 + 5 + 3 + 3 + 13 + if wide { 44 } else { 0 };
    let ans_w = w.saturating_sub(fixed);
    let mut head = format!("  {:<name_w$} {:<5}{:<3}{:<3}{:<13}", "name", "type", "NB", "BC", "state");
    if wide {
        head.push_str(&format!("{:<22}{:<22}", "local", "peer"));
    }
    head.push_str("last answer");
    buf.set_stringn(inner.x, inner.y, &head, w, theme.style(Role::Header));
    let h = inner.height as usize - 1;
    let n = app.sockets().len();
    let top = window(n, h, app.selected_socket());
    for (i, entry) in app.sockets().iter().enumerate().skip(top).take(h) {
        let y = inner.y + 1 + (i - top) as u16;
        let selected = app.selected_socket() == Some(i);
        let base = if selected { theme.style(Role::Selected) } else { Style::default() };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        }
        let v = app.socket_view(entry, k);
        let mut spans: Vec<(String, Style)> = Vec::new();
        spans.push((if selected { "▶ ".into() } else { "  ".into() }, base.patch(theme.style(Role::Key))));
        spans.push((format!("{:<name_w$} ", fit(&entry.name, name_w)), base.patch(theme.style(Role::Text))));
        match &v {
            Some(v) => {
                let ty = format!(
                    "{}{}",
                    match v.proto {
                        Proto::Tcp => "tcp",
                        Proto::Udp => "udp",
                    },
                    match v.family {
                        Family::V4 => "4",
                        Family::V6 => "6",
                    }
                );
                spans.push((format!("{ty:<5}"), base.patch(theme.style(Role::Text))));
                spans.push((
                    format!("{:<3}", if v.nonblocking { "NB" } else { "B" }),
                    base.patch(theme.style(Role::Text)),
                ));
                spans.push((
                    format!("{:<3}", if v.broadcast { "BC" } else { "-" }),
                    base.patch(theme.style(Role::Text)),
                ));
                let differ = app.states_differ(entry);
                let st = format!("{}{} {}", if differ { "≠" } else { " " }, state_symbol(v.state), v.state.name());
                spans.push((format!("{:<13}", fit(&st, 13)), base.patch(state_style(theme, v.state))));
                if wide {
                    let a = |x: Option<std::net::SocketAddr>| x.map(|a| a.to_string()).unwrap_or_else(|| "-".into());
                    spans.push((format!("{:<22}", fit(&a(v.local), 21)), base.patch(theme.style(Role::Dim))));
                    spans.push((format!("{:<22}", fit(&a(v.peer), 21)), base.patch(theme.style(Role::Dim))));
                }
            }
            None => spans.push(("(not created here)".into(), base.patch(theme.style(Role::NotApplicable)))),
        }
        if let Some(cell) = entry.last_entry.and_then(|e| app.log().get(e)).map(|e| e.cell(k)) {
            spans.push((cell.fit(ans_w), base.patch(tone_style(theme, cell.tone))));
        }
        row(buf, inner.x, y, inner.width, &spans);
    }
}

/// State machine of the selected socket, for the viewed personality.
pub fn state_machine(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let k = app.view();
    let p = app.personalities()[k];
    let sel = app.selected();
    let view = sel.and_then(|e| app.socket_view(e, k));
    let mut title = match (&sel, &view) {
        (Some(e), _) => format!(" State machine · {} · {p} ", e.name),
        _ => format!(" State machine · {p} "),
    };
    if let Some(ks) = sel.and_then(|e| app.kernel_state(&e.name)) {
        let t = format!("{title}· TCP {ks} ");
        if t.chars().count() + 2 <= area.width as usize {
            title = t;
        }
    }
    let last = sel.and_then(|e| e.last.get(k)).and_then(Option::as_ref);
    let mut b = block(fit(&title, area.width.saturating_sub(2) as usize), false, theme);
    if let Some(t) = last {
        let mut s = format!(" last: {} → {} ({})", t.from, t.to, cause_text(&t.cause));
        if let Some(e) = t.error {
            s.push_str(&format!(" {e}"));
        }
        s.push_str(&format!(" t={} ms ", t.at.as_millis()));
        b = b.title_bottom(Line::styled(fit(&s, area.width.saturating_sub(2) as usize), theme.style(Role::EdgeLast)));
    }
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let buf = frame.buffer_mut();
    let Some(v) = view else {
        let hint = if sel.is_some() { "not created for this personality" } else { "select or create a socket" };
        buf.set_stringn(inner.x + 1, inner.y, hint, inner.width.saturating_sub(1) as usize, theme.style(Role::Dim));
        return;
    };
    let d = StateDiagram { proto: v.proto, current: v.state, last, theme };
    if !d.draw(inner, buf) {
        // Too small for a drawing: say it in words (with the symbol).
        let s = format!("{} {}", state_symbol(v.state), v.state.name());
        buf.set_stringn(inner.x, inner.y, &s, inner.width as usize, theme.style(Role::StateCurrent));
    }
}

/// The call log: one column per personality, differences marked `≠`, the same meaning in other
/// words `≈`, assumed answers `?`.
pub fn log(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let entries = app.log();
    let title = match app.replay() {
        Some(r) => format!(" Call log ({}) · replay {} · entry {}/{} ", entries.len(), r.name(), r.position(), r.len()),
        None => format!(" Call log ({}) ", entries.len()),
    };
    let b = block(title, app.focus() == Focus::Log, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.height < 2 || inner.width < 20 {
        return;
    }
    let buf = frame.buffer_mut();
    let w = inner.width as usize;
    let ps = app.personalities();
    let np = ps.len();
    let h = inner.height as usize - 1;
    let pending = app.pending();
    let n = entries.len();
    // The pending step (live, waiting for the kernel) is one more row, last.
    let rows = n + usize::from(pending.is_some());
    let follow = if pending.is_some() && app.selected_row().is_none() { Some(rows - 1) } else { app.current_row() };
    let top = window(rows, h, follow);
    let max_no = entries.get((top + h).min(n).saturating_sub(1)).map(|e| e.line_no).unwrap_or(1);
    let num_w = max_no.to_string().len().max(2);
    let gutter = num_w + 2; // number, mark, space
    let call_w = (w / 4).clamp(12, 30);
    let rest = w.saturating_sub(gutter + call_w);
    let col_w = (rest / np).saturating_sub(1).max(3);
    let sep = theme.style(Role::Dim);
    // Header.
    let mut spans = vec![(format!("{:>num_w$}  {:<call_w$}", "#", "call"), theme.style(Role::Header))];
    for (k, p) in ps.iter().enumerate() {
        spans.push(("│".into(), sep));
        let name = if k == app.view() { format!("▸{}", p.name()) } else { p.name().to_string() };
        spans.push((format!("{:<col_w$}", fit(&name, col_w)), theme.style(Role::Header)));
    }
    row(buf, inner.x, inner.y, inner.width, &spans);
    if let Some(p) = &pending {
        let i = n;
        if i >= top && i < top + h {
            let y = inner.y + 1 + (i - top) as u16;
            let clock = if p.giving_up {
                format!("giving up… {} s", p.secs)
            } else {
                format!("⧗ waiting for the kernel: {} s · Esc gives up", p.secs)
            };
            let spans = vec![
                (format!("{:>num_w$}", p.line_no), theme.style(Role::Dim)),
                ("…".into(), theme.style(Role::StatusWarn)),
                (" ".into(), Style::default()),
                (format!("{:<call_w$}", fit(&p.text, call_w)), theme.style(Role::Text)),
                ("│".into(), sep),
                (fit(&clock, w.saturating_sub(gutter + call_w + 1)), theme.style(Role::StatusWarn)),
            ];
            row(buf, inner.x, y, inner.width, &spans);
        }
    }
    if n == 0 && pending.is_none() {
        let hint = if app.replay().is_some() {
            "the recording's calls appear here as it plays, answered by each personality"
        } else {
            "every key and every prompt line appears here, answered by each personality"
        };
        buf.set_stringn(inner.x + 1, inner.y + 1, hint, w - 1, theme.style(Role::Dim));
        return;
    }
    let cur = app.current_row();
    for (i, e) in entries.iter().enumerate().skip(top).take(h) {
        let y = inner.y + 1 + (i - top) as u16;
        let selected = cur == Some(i);
        let base = if selected { theme.style(Role::Selected) } else { Style::default() };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        }
        let mark = e.mark();
        let mark_role = if mark == Mark::Differs { Role::Differs } else { Role::Dim };
        let mut spans = vec![
            (format!("{:>num_w$}", e.line_no), base.patch(theme.style(Role::Dim))),
            (mark.symbol().into(), base.patch(theme.style(mark_role))),
            (" ".into(), base),
            (format!("{:<call_w$}", fit(&row_text(e), call_w)), base.patch(theme.style(Role::Text))),
        ];
        for k in 0..np {
            spans.push(("│".into(), base.patch(sep)));
            let c = e.cell(k);
            let text = c.fit(col_w);
            if c.assumed && text.ends_with(" ?") {
                let body = &text[..text.len() - 2];
                spans.push((body.to_string(), base.patch(tone_style(theme, c.tone))));
                spans.push((" ?".into(), base.patch(theme.style(Role::Assumed))));
                let pad = col_w.saturating_sub(text.chars().count());
                spans.push((" ".repeat(pad), base));
            } else {
                spans.push((format!("{text:<col_w$}"), base.patch(tone_style(theme, c.tone))));
            }
        }
        row(buf, inner.x, y, inner.width, &spans);
    }
}

/// The call as the log shows it: a step the user gave up on says so.
fn row_text(e: &crate::app::LogEntry) -> String {
    match e.gave_up {
        Some(_) => format!("{} (gave up)", e.text),
        None => e.text.clone(),
    }
}

/// Notifications as they arrived, newest at the bottom.
pub fn notes(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let notes = app.notes();
    let title = format!(" Notifications ({}) ", notes.len());
    let b = block(title, false, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    let buf = frame.buffer_mut();
    if notes.is_empty() {
        let hint = "FD_* events, window messages, completions, poll bits and state changes the network causes";
        buf.set_stringn(inner.x + 1, inner.y, hint, inner.width as usize - 1, theme.style(Role::Dim));
        return;
    }
    let h = inner.height as usize;
    let skip = notes.len().saturating_sub(h);
    let ps = app.personalities();
    for (i, n) in notes.range(skip..).enumerate() {
        let y = inner.y + i as u16;
        let style = theme.style(if n.error { Role::NotificationError } else { Role::Notification });
        let mark = if n.error { "✗" } else { " " };
        let kind = n.kind.tag();
        let spans = vec![
            (format!("{:<9}", ps[n.personality].name()), theme.style(Role::Dim)),
            (format!("{mark}{kind:<6}"), style),
            (n.text.clone(), style),
        ];
        row(buf, inner.x, y, inner.width, &spans);
    }
}
