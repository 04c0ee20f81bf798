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

use super::diagram::StateDiagram;
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
        hint_lines(buf, inner, hint, theme);
        return;
    }
    let w = inner.width as usize;
    let wide = w >= 90;
    // Names as long as the longest (a socket named at the prompt may be long), within reason.
    // Measured on the sockets in view only (a list may hold thousands).
    let rows_h = (inner.height as usize).saturating_sub(1);
    let first = window(app.sockets().len(), rows_h, app.selected_socket());
    let in_view = || app.sockets().iter().skip(first).take(rows_h);
    let name_w = in_view().map(|e| e.name.chars().count()).max().unwrap_or(4).clamp(4, 16);
    // Fixed columns: marker 2, name, type 5, mode 3, opt 3, state 16 (`≠● unassociated `);
    // the rest is the answer.
    // The state column as wide as the longest state shown (`≠● unassociated` at most).
    let k0 = app.view();
    let state_w = in_view()
        .filter_map(|e| app.socket_view(e, k0).map(|v| v.state.name().chars().count() + 3))
        .max()
        .unwrap_or(5)
        .clamp(6, STATE_W - 1)
        + 1;
    let fixed = 2 + name_w + 1 + 5 + 3 + 3 + state_w + if wide { 44 } else { 0 };
    let ans_w = w.saturating_sub(fixed + 1);
    let mut head = format!("  {:<name_w$} {:<5}{:<3}{:<3}{:<state_w$}", "name", "type", "NB", "BC", "state");
    if wide {
        head.push_str(&format!("{:<22}{:<22}", "local", "peer"));
    }
    head.push_str(match ans_w {
        12.. => "last answer",
        7..=11 => "answer",
        _ => "",
    });
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
                spans.push((format!("{st:<state_w$}"), base.patch(state_style(theme, v.state))));
                if wide {
                    let a = |x: Option<std::net::SocketAddr>| x.map(|a| a.to_string()).unwrap_or_else(|| "-".into());
                    spans.push((format!("{:<22}", fit(&a(v.local), 21)), base.patch(theme.style(Role::Dim))));
                    spans.push((format!("{:<22}", fit(&a(v.peer), 21)), base.patch(theme.style(Role::Dim))));
                }
            }
            None => {
                // The type, NB, BC and state columns (and the addresses when wide) as one, so
                // the answer stays in its own column.
                let cols = 5 + 3 + 3 + state_w + if wide { 44 } else { 0 };
                let text = format!("{:<cols$}", fit("(not created here)", cols - 1));
                spans.push((text, base.patch(theme.style(Role::NotApplicable))));
            }
        }
        if let Some(cell) = entry.last_entry.and_then(|e| app.log().get(e)).map(|e| e.cell(k)) {
            spans.push((one_line(&cell, ans_w), base.patch(tone_style(theme, cell.tone))));
        }
        row(buf, inner.x, y, inner.width, &spans);
    }
}

/// Width of the sockets list's state column: `≠● unassociated` and a space.
const STATE_W: usize = 16;

/// A hint in a panel, wrapped to its width.
fn hint_lines(buf: &mut Buffer, inner: Rect, hint: &str, theme: &Theme) {
    let w = inner.width.saturating_sub(2) as usize;
    for (i, l) in crate::ui::wrap_words(hint, w).iter().take(inner.height as usize).enumerate() {
        buf.set_stringn(inner.x + 1, inner.y + i as u16, l, w, theme.style(Role::Dim));
    }
}

/// A cell on one line of `w` columns: its longest form that fits, else its short form with
/// error names abbreviated by rule, else that much of it as ends at a whole word.
fn one_line(c: &crate::app::Cell, w: usize) -> String {
    let extra = if c.assumed { 2 } else { 0 };
    let body = [&c.full, &c.medium, &c.short].into_iter().find(|s| s.chars().count() + extra <= w).cloned();
    let body = body.unwrap_or_else(|| {
        let room = w.saturating_sub(extra);
        let a: Vec<String> = c.short.split(' ').map(crate::ui::abbrev).collect();
        let a = a.join(" ");
        if a.chars().count() <= room {
            return a;
        }
        // An error whose name does not fit still shows its number (the log has the name).
        match c.medium.rsplit(' ').next().filter(|n| n.parse::<i64>().is_ok() && c.tone == crate::app::Tone::Error) {
            Some(n) if n.chars().count() < room => format!("✗{n}"),
            _ => crate::ui::fit_words(&a, room),
        }
    });
    if c.assumed && !body.is_empty() { format!("{body} ?") } else { body }
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
    if sel.and_then(|e| app.not_made(e)).is_some() && p == crate::core::personality::PersonalityId::Linux {
        title.push_str("· ⊘ last call not made for real ");
    }
    let last = sel.and_then(|e| e.last.get(k)).and_then(Option::as_ref);
    let mut b = block(crate::ui::fit_words(&title, area.width.saturating_sub(2) as usize), false, theme);
    if let Some(t) = last {
        let mut s = format!(" last: {}", crate::app::transition_words(t));
        s.push_str(&format!(" t={} ms ", t.at.as_millis()));
        // Too long for the border: the time goes first, then whole words from the end.
        let room = area.width.saturating_sub(2) as usize;
        if s.chars().count() > room {
            if let Some(i) = s.rfind(" t=") {
                s.truncate(i);
                s.push(' ');
            }
        }
        b = b.title_bottom(Line::styled(crate::ui::fit_words(&s, room), theme.style(Role::EdgeLast)));
    }
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let buf = frame.buffer_mut();
    let Some(v) = view else {
        let hint = if sel.is_some() { "not created for this personality" } else { "select or create a socket" };
        hint_lines(buf, inner, hint, theme);
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
    let n = entries.len();
    let pending = app.pending();
    let rows = n + usize::from(pending.is_some());
    let mut title = match app.replay() {
        Some(r) => format!(" Call log ({}) · replay {} · entry {}/{} ", n, r.name(), r.position(), r.len()),
        None => format!(" Call log ({n}) "),
    };
    // Following the newest row, or scrolled away from it (then the title says so).
    if app.selected_row().is_some_and(|s| s + 1 < n) {
        title.push_str(&format!("· row {} of {n}, End follows ", app.selected_row().unwrap_or(0) + 1));
    }
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
    let g = log_geometry(app, inner);
    let (num_w, call_w, col_w, cell_w, text_w, top) = (g.num_w, g.call_w, g.col_w, g.cell_w, g.text_w, g.top);
    let gutter = num_w + 2; // number, mark, space
    let sep = theme.style(Role::Dim);
    // Header.
    let mut spans = vec![(format!("{:>num_w$}  {:<call_w$}", "#", "call"), theme.style(Role::Header))];
    for (k, p) in ps.iter().enumerate() {
        spans.push(("│".into(), sep));
        let name = if k == app.view() { format!("▸{}", p.name()) } else { p.name().to_string() };
        spans.push((format!("{:<col_w$}", fit(&name, col_w)), theme.style(Role::Header)));
    }
    row(buf, inner.x, inner.y, inner.width, &spans);
    if n == 0 && pending.is_none() {
        let hint = if app.replay().is_some() {
            "the recording's calls appear here as it plays, answered by each personality"
        } else {
            "every key and every prompt line appears here, answered by each personality"
        };
        for (i, l) in crate::ui::wrap_words(hint, w.saturating_sub(2)).iter().take(h).enumerate() {
            buf.set_stringn(inner.x + 1, inner.y + 1 + i as u16, l, w - 1, theme.style(Role::Dim));
        }
        return;
    }
    let height = |i: usize| row_height(entries.get(i), np, cell_w, text_w);
    let hidden_above = top;
    let cur = app.current_row();
    let mut y = inner.y + 1;
    let bottom = inner.y + inner.height;
    let mut i = top;
    while i < rows && y < bottom {
        let Some(e) = entries.get(i) else {
            if let Some(p) = &pending {
                let clock = if p.giving_up {
                    format!("giving up… {} s", p.secs)
                } else {
                    format!("⧗ waiting for the kernel: {} s · Esc gives up", p.secs)
                };
                let spans = vec![
                    (format!("{:>num_w$}", p.line_no), theme.style(Role::Dim)),
                    ("…".into(), theme.style(Role::StatusWarn)),
                    (" ".into(), Style::default()),
                    (format!("{:<call_w$}", crate::ui::fit_words(&p.text, text_w)), theme.style(Role::Text)),
                    ("│".into(), sep),
                    (
                        crate::ui::fit_words(&clock, w.saturating_sub(gutter + call_w + 2)),
                        theme.style(Role::StatusWarn),
                    ),
                ];
                row(buf, inner.x, y, inner.width, &spans);
            }
            break;
        };
        let lines_h = height(i).min((bottom - y) as usize);
        let selected = cur == Some(i);
        let base = if selected { theme.style(Role::Selected) } else { Style::default() };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, lines_h as u16), base);
        }
        let mark = e.mark();
        let mark_role = if mark == Mark::Differs { Role::Differs } else { Role::Dim };
        let call_lines = crate::ui::wrap_words(&row_text(e), text_w);
        let cells: Vec<(Vec<String>, crate::app::Cell)> = (0..np)
            .map(|k| {
                let c = e.cell(k);
                (cell_lines(&c, cell_w), c)
            })
            .collect();
        for l in 0..lines_h {
            let last = l + 1 == lines_h;
            let mut spans = if l == 0 {
                vec![
                    (format!("{:>num_w$}", e.line_no), base.patch(theme.style(Role::Dim))),
                    (mark.symbol().into(), base.patch(theme.style(mark_role))),
                    (" ".into(), base),
                ]
            } else {
                vec![(" ".repeat(num_w + 2), base)]
            };
            let text = more(&call_lines, l, last);
            spans.push((format!("{text:<call_w$}"), base.patch(theme.style(Role::Text))));
            for (cl, c) in &cells {
                spans.push(("│".into(), base.patch(sep)));
                let t = more(cl, l, last);
                let assumed = c.assumed && l == 0;
                let t = if assumed { format!("{t} ?") } else { t };
                spans.push((format!("{t:<col_w$}"), base.patch(tone_style(theme, c.tone))));
            }
            row(buf, inner.x, y, inner.width, &spans);
            y += 1;
        }
        i += 1;
    }
    // Scroll indicators: rows above and below the window.
    let below = rows.saturating_sub(i);
    let ind = match (hidden_above, below) {
        (0, 0) => None,
        (a, 0) => Some(format!(" ↑{a} more ")),
        (0, b) => Some(format!(" ↓{b} more ")),
        (a, b) => Some(format!(" ↑{a} ↓{b} more ")),
    };
    if let Some(t) = ind {
        let x = area.x + area.width.saturating_sub(t.chars().count() as u16 + 2);
        buf.set_string(x, area.y + area.height.saturating_sub(1), t, theme.style(Role::Dim));
    }
}

/// Column widths and the first row shown of the log, for drawing and for mouse clicks.
struct LogGeometry {
    num_w: usize,
    call_w: usize,
    col_w: usize,
    cell_w: usize,
    text_w: usize,
    top: usize,
}

fn log_geometry(app: &App, inner: Rect) -> LogGeometry {
    let entries = app.log();
    let n = entries.len();
    let pending = app.pending().is_some();
    let rows = n + usize::from(pending);
    let follow = if pending && app.selected_row().is_none() { Some(rows.saturating_sub(1)) } else { app.current_row() };
    let w = inner.width as usize;
    let np = app.personalities().len();
    let h = (inner.height as usize).saturating_sub(1);
    let num_w = rows.max(1).to_string().len().max(2);
    let call_w = (w / 4).clamp(12, 34);
    let rest = w.saturating_sub(num_w + 2 + call_w);
    let col_w = (rest / np).saturating_sub(1).max(3);
    // Rows are as tall as their longest cell (wrapped, at most MAX_ROW_LINES lines).
    let cell_w = col_w.saturating_sub(1).max(2);
    let text_w = call_w.saturating_sub(1).max(4);
    // The window: the followed row at the bottom, as many rows before it as fit.
    let target = follow.unwrap_or(rows.saturating_sub(1)).min(rows.saturating_sub(1));
    let height = |i: usize| row_height(entries.get(i), np, cell_w, text_w);
    let mut top = target;
    let mut used = height(target).min(h);
    while top > 0 && used + height(top - 1) <= h {
        top -= 1;
        used += height(top);
    }
    LogGeometry { num_w, call_w, col_w, cell_w, text_w, top }
}

fn row_height(e: Option<&crate::app::LogEntry>, np: usize, cell_w: usize, text_w: usize) -> usize {
    match e {
        Some(e) => {
            let cells = (0..np).map(|k| cell_lines(&e.cell(k), cell_w).len()).max().unwrap_or(1);
            cells.max(crate::ui::wrap_words(&row_text(e), text_w).len()).min(MAX_ROW_LINES)
        }
        None => 1,
    }
}

/// The log row drawn at screen line `y` of the log panel `area`, if any (mouse clicks).
pub fn log_row_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    let inner = Rect::new(area.x + 1, area.y + 1, area.width.saturating_sub(2), area.height.saturating_sub(2));
    if y <= inner.y || y >= inner.y + inner.height {
        return None;
    }
    let g = log_geometry(app, inner);
    let np = app.personalities().len();
    let mut at = inner.y + 1;
    for i in g.top..app.log().len() {
        let hgt = row_height(app.log().get(i), np, g.cell_w, g.text_w) as u16;
        if y < at + hgt {
            return Some(i);
        }
        at += hgt;
    }
    None
}

/// The socket listed at screen line `y` of the sockets panel `area`, if any (mouse clicks).
pub fn socket_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    let h = area.height.saturating_sub(3) as usize;
    let first = area.y + 2;
    if y < first {
        return None;
    }
    let top = window(app.sockets().len(), h, app.selected_socket());
    let i = top + (y - first) as usize;
    (i < app.sockets().len() && ((y - first) as usize) < h).then_some(i)
}

/// Longest a log row grows when its cells wrap.
const MAX_ROW_LINES: usize = 4;

/// Line `l` of a wrapped text; the last line shown says ` …` when more was cut off.
fn more(lines: &[String], l: usize, last: bool) -> String {
    let t = lines.get(l).cloned().unwrap_or_default();
    if last && lines.len() > l + 1 { format!("{t} …") } else { t }
}

/// A cell's text in lines of `w` columns: its longest form that fits on one line, else its
/// answer wrapped, error names abbreviated by rule ([`crate::ui::abbrev`]) when too wide.
fn cell_lines(c: &crate::app::Cell, w: usize) -> Vec<String> {
    let extra = if c.assumed { 2 } else { 0 };
    if let Some(one) = [&c.full, &c.medium, &c.short].into_iter().find(|s| s.chars().count() + extra <= w) {
        return vec![one.clone()];
    }
    let words: Vec<String> = c
        .short
        .split(' ')
        .map(|word| if word.chars().count() + extra > w { crate::ui::abbrev(word) } else { word.to_string() })
        .collect();
    crate::ui::wrap_words(&words.join(" "), w.saturating_sub(extra).max(2))
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
    let b = block(title, app.focus() == Focus::Notes, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    let buf = frame.buffer_mut();
    if notes.is_empty() {
        let hint = "FD_* events, window messages, completions, poll bits and state changes the network causes";
        hint_lines(buf, inner, hint, theme);
        return;
    }
    let h = inner.height as usize;
    let ps = app.personalities();
    // Each note wraps under its text (hanging indent); the newest are at the bottom. The
    // panel scrolls (focus it with Tab, then j/k): `scroll` notes back from the newest.
    const INDENT: usize = 16;
    let text_w = (inner.width as usize).saturating_sub(INDENT + 1).max(8);
    let newest = notes.len().saturating_sub(app.notes_scroll());
    let mut block_lines: Vec<(usize, Vec<String>)> = Vec::new();
    let mut used = 0;
    for i in (0..newest).rev() {
        let lines = crate::ui::wrap_words(&notes[i].text, text_w);
        used += lines.len();
        block_lines.push((i, lines));
        if used >= h {
            break;
        }
    }
    block_lines.reverse();
    // Only whole notes at the top when they do not all fit, unless one note is taller than the panel.
    let mut skip_lines = used.saturating_sub(h);
    let mut y = inner.y;
    for (i, lines) in &block_lines {
        let n = &notes[*i];
        let style = theme.style(if n.error { Role::NotificationError } else { Role::Notification });
        let mark = if n.error { "✗" } else { " " };
        let kind = n.kind.tag();
        for (l, text) in lines.iter().enumerate() {
            if skip_lines > 0 {
                skip_lines -= 1;
                continue;
            }
            if y >= inner.y + inner.height {
                break;
            }
            let spans = if l == 0 {
                vec![
                    (format!("{:<9}", ps[n.personality].name()), theme.style(Role::Dim)),
                    (format!("{mark}{kind:<6}"), style),
                    (text.clone(), style),
                ]
            } else {
                vec![(" ".repeat(INDENT), Style::default()), (text.clone(), style)]
            };
            row(buf, inner.x, y, inner.width, &spans);
            y += 1;
        }
    }
    let first = block_lines.first().map_or(0, |(i, _)| *i);
    let below = notes.len() - newest;
    let ind = match (first, below) {
        (0, 0) => None,
        (a, 0) => Some(format!(" ↑{a} more ")),
        (0, b) => Some(format!(" ↓{b} newer ")),
        (a, b) => Some(format!(" ↑{a} ↓{b} newer ")),
    };
    if let Some(t) = ind {
        let x = area.x + area.width.saturating_sub(t.chars().count() as u16 + 2);
        buf.set_string(x, area.y + area.height.saturating_sub(1), t, theme.style(Role::Dim));
    }
}
