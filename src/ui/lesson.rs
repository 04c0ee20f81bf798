//! The lesson panel and the lesson picker. The text comes from `app::lesson` as data; this
//! only lays it out.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::keys::Action;
use crate::app::lesson::{LessonPanel, picker_rows};
use crate::app::{App, Tone};

use super::fit;
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
    let b = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(fit(&format!(" {} ", l.title()), w), theme.title(true)))
        .title_bottom(Line::styled(fit(&hint, w), theme.style(Role::Dim)));
    let lines: Vec<Line> = l.lines().into_iter().map(|(t, s)| Line::styled(s, theme.style(role(t)))).collect();
    frame.render_widget(Paragraph::new(lines).block(b).wrap(Wrap { trim: false }), area);
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
            Span::styled(format!("{:<room$}", fit(&row.title, room)), style),
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
