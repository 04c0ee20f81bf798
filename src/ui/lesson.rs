//! The lesson panel and the lesson picker. The text comes from `app::lesson` as data; this
//! only lays it out.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Padding, Paragraph};

use crate::app::keys::Action;
use crate::app::lesson::{LessonPanel, picker_rows};
use crate::app::{App, Tone};

use super::theme::{Role, Theme};

fn role(t: Tone) -> Role {
    match t {
        Tone::Ok => Role::Ok,
        Tone::Error => Role::Error,
        Tone::NotApplicable => Role::Header,
        Tone::Quiet => Role::Text,
    }
}

fn key(app: &App, a: Action) -> String {
    app.keymap().keys(a).first().map(ToString::to_string).unwrap_or_else(|| "?".into())
}

/// The side panel of a running lesson.
pub fn panel(frame: &mut Frame, area: Rect, l: &LessonPanel, app: &App, theme: &Theme) {
    if area.height < 3 || area.width < 10 {
        return;
    }
    let w = area.width.saturating_sub(2) as usize;
    let hint = format!(
        " : type · {} hint · {} lessons · {} closes ",
        key(app, Action::Hint),
        key(app, Action::Lessons),
        key(app, Action::Cancel)
    );
    // The panel scrolls (Tab to focus it, then j/k): the lines it holds wrap to its width.
    let text = l.lines();
    let text_w = w.saturating_sub(1).max(1);
    // A line's indentation stays (commands to type are indented), on every wrapped line.
    let wrap = |s: &str| -> Vec<String> {
        let indent = s.len() - s.trim_start().len();
        let pad = &s[..indent];
        super::wrap_words(s.trim_start(), text_w.saturating_sub(indent).max(8))
            .into_iter()
            .map(|l| format!("{pad}{l}"))
            .collect()
    };
    let total: usize = text.iter().map(|(_, s)| wrap(s).len()).sum();
    let h = area.height.saturating_sub(2) as usize;
    let scroll = (app.lesson_scroll() as usize).min(total.saturating_sub(h));
    let below = total.saturating_sub(scroll + h);
    let hint = match (scroll, below) {
        (0, 0) => hint,
        (0, b) => format!(" ↓{b} more · Tab, j/k scroll ·{hint}"),
        (a, 0) => format!(" ↑{a} more ·{hint}"),
        (a, b) => format!(" ↑{a} ↓{b} more ·{hint}"),
    };
    let focused = app.focus() == crate::app::Focus::Lesson;
    let title = format!(" {} ", l.title());
    let b = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .padding(Padding::right(1))
        .title(Line::styled(super::fit_words(&title, w), theme.title(true)))
        .title_bottom(Line::styled(super::fit_words(&hint, w), theme.style(Role::Dim)));
    // Lines wrapped here (the same rule as the rest of the screen), then scrolled.
    let mut lines: Vec<Line> = Vec::new();
    for (t, s) in text {
        if s.is_empty() {
            lines.push(Line::raw(""));
            continue;
        }
        for part in wrap(&s) {
            lines.push(Line::styled(part, theme.style(role(t))));
        }
    }
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).block(b).scroll((scroll, 0)), area);
}

/// The lesson picker: every lesson with the learner's progress.
pub fn picker(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, selected: usize) {
    let rows = picker_rows(app.progress());
    let h = rows.len() as u16 + 4;
    let w = 76.min(area.width);
    let r = Rect::new(area.x + (area.width - w) / 2, area.y + area.height.saturating_sub(h) / 2, w, h.min(area.height));
    frame.render_widget(Clear, r);
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let sel = i == selected;
        let style = if sel { theme.style(Role::Selected) } else { theme.style(Role::Text) };
        let status = if row.status.is_empty() { String::new() } else { format!("  ({})", row.status) };
        let head = format!("{}{} ", if sel { "▶" } else { " " }, row.mark);
        let num = format!("{:>2} ", row.number);
        let room = inner_w.saturating_sub(head.chars().count() + num.len() + status.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, style.patch(theme.style(if row.mark == "✓" { Role::Ok } else { Role::Text }))),
            Span::styled(num, theme.style(Role::Key)),
            Span::styled(format!("{:<room$}", super::fit_words(&row.title, room)), style),
            Span::styled(status, theme.style(Role::Dim)),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("✓ done  … stopped part way (resumes there)", theme.style(Role::Dim)));
    let b = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(" Lessons ", theme.title(true)))
        .title_bottom(Line::styled(" 1-9 or j/k + Enter · Esc cancels ", theme.style(Role::Dim)))
        .style(theme.style(Role::Overlay));
    frame.render_widget(Paragraph::new(lines).block(b), r);
}
