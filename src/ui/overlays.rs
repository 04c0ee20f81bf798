//! Overlays drawn over the main screen: help (generated from the key map), explain (the selected
//! answer), and the target picker of the `c` key.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Padding, Paragraph, Wrap};

use crate::app::App;
use crate::app::explain::explain as explanation;
use crate::core::call::NamedTarget;
use crate::core::personality::PersonalityId;

use super::theme::{Role, Theme};

/// A rectangle of `w`x`h` (clamped) centred in `area`.
fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

fn frame_block<'a>(title: String, hint: String, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(title, theme.title(true)))
        .title_bottom(Line::styled(hint, theme.style(Role::Dim)))
        .padding(Padding::right(1))
        .style(theme.style(Role::Overlay))
}

/// Help: every action of the key map with its keys, the prompt's keys and the symbols.
pub fn help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, scroll: u16) {
    let r = centred(area, 90, area.height.saturating_sub(2).max(10));
    frame.render_widget(Clear, r);
    // Inside the borders and the right padding: a row that does not fit continues under its
    // description, not at the panel's edge.
    let w = r.width.saturating_sub(3) as usize;
    let km = app.keymap();
    let key_w = km.rows().map(|(a, _, _)| km.keys_text(a).chars().count()).max().unwrap_or(8).min(20);
    let mut lines: Vec<Line> = vec![Line::styled(
        "Keys (from the key map; change them in the config file's [keys])",
        theme.style(Role::Header),
    )];
    for (a, _, desc) in km.rows() {
        let key = Span::styled(format!("  {:<key_w$}  ", km.keys_text(a)), theme.style(Role::Key));
        let body = [(desc.to_string(), theme.style(Role::Text)), (format!("[{}]", a.name()), theme.style(Role::Dim))];
        lines.extend(key_row(key, &body, w));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("In the prompt", theme.style(Role::Header)));
    for (k, d) in [
        ("Enter", "run the line"),
        ("Esc", "leave the prompt"),
        ("Tab / Shift-Tab", "complete: commands, socket names, targets, options (cycle on repeat)"),
        ("Up / Down", "history (lines typed and lines the keys produced)"),
        ("Ctrl-A / Ctrl-E", "start / end of line; Ctrl-U clears it, Ctrl-W deletes a word"),
        ("Ctrl-C", "quit"),
    ] {
        let key = Span::styled(format!("  {k:<key_w$}  "), theme.style(Role::Key));
        lines.extend(key_row(key, &[(d.to_string(), theme.style(Role::Text))], w));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Symbols (never colour alone)", theme.style(Role::Header)));
    for (s, d, role) in [
        ("≠", "personalities differ: result, error, value, sets, events or state", Role::Differs),
        ("≈", "same meaning, each platform's words (EINPROGRESS ~ WSAEWOULDBLOCK)", Role::Dim),
        ("?", "assumed answer: socklab's reading, not documented nor measured", Role::Assumed),
        ("⊘", "live: socklab did not make the call for real; the model's answer is shown", Role::NotApplicable),
        ("▶name◀ [name]", "the current state in the state machine", Role::StateCurrent),
        ("━▶", "the last transition's edge, labelled with its cause", Role::EdgeLast),
        ("✗", "an error: failed state, notification with an error code", Role::Error),
        ("… ● ○ ◎ ·", "pending, connected/associated, unbound/bound, listening, closed", Role::Text),
        ("▸", "the personality viewed in Sockets and State machine (v changes it)", Role::Text),
    ] {
        let key = Span::styled(format!("  {s:<key_w$}  "), theme.style(role));
        lines.extend(key_row(key, &[(d.to_string(), theme.style(Role::Text))], w));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Targets (the embedded lab network)", theme.style(Role::Header)));
    for t in NamedTarget::ALL {
        let key = Span::styled(format!("  {:<key_w$}  ", t.to_string()), theme.style(Role::Key));
        lines.extend(key_row(key, &[(t.describe().to_string(), theme.style(Role::Text))], w));
    }
    let b = frame_block(" Help ".into(), " j/k scroll · ? or Esc closes ".into(), theme);
    frame.render_widget(Paragraph::new(lines).block(b).wrap(Wrap { trim: false }).scroll((scroll, 0)), r);
}

/// Explain the selected answer.
pub fn explain(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, entry: usize, scroll: u16) {
    let r = centred(area, 100, area.height.saturating_sub(2).max(10));
    frame.render_widget(Clear, r);
    let Some(x) = explanation(app, entry) else { return };
    let mut lines: Vec<Line> = Vec::new();
    for s in &x.sections {
        lines.push(Line::styled(s.heading.clone(), theme.style(Role::Header)));
        for (tone, t) in &s.lines {
            let role = match tone {
                crate::app::Tone::Ok => Role::Ok,
                crate::app::Tone::Error => Role::Error,
                crate::app::Tone::NotApplicable => Role::NotApplicable,
                crate::app::Tone::Quiet => Role::Text,
            };
            // Inside the borders and the right padding.
            for part in hanging(&format!("  {t}"), r.width.saturating_sub(3) as usize) {
                lines.push(Line::styled(part, theme.style(role)));
            }
        }
        lines.push(Line::raw(""));
    }
    let title = super::fit_words(&format!(" Explain · {} ", x.title), r.width.saturating_sub(2) as usize);
    let b = frame_block(title, " j/k scroll · e or Esc closes ".into(), theme);
    frame.render_widget(Paragraph::new(lines).block(b).wrap(Wrap { trim: false }).scroll((scroll, 0)), r);
}

/// One explanation line in lines of at most `w` columns, each continuation indented under the
/// text it continues: past the line's own indent and a leading label (`note:`, `kernel:`), or
/// past a personality's name, so a wrapped note never runs back to the panel's edge.
fn hanging(line: &str, w: usize) -> Vec<String> {
    if line.chars().count() <= w {
        return vec![line.to_string()];
    }
    let lead = line.len() - line.trim_start().len();
    let rest = &line[lead..];
    let first = rest.split(' ').next().unwrap_or("");
    let label = if ["note:", "kernel:"].contains(&first) || PersonalityId::ALL.iter().any(|p| p.name() == first) {
        // The label and the spaces that pad it.
        let after = &rest[first.len()..];
        first.chars().count() + after.len() - after.trim_start().len()
    } else {
        2
    };
    let indent = (lead + label).min(w / 2);
    // The first line keeps its own spacing (a personality's name is padded to a column): it
    // is cut at the last space that fits, past the label.
    let chars: Vec<char> = line.chars().collect();
    let Some(cut) = (indent + 1..=w.min(chars.len() - 1)).rev().find(|&i| chars[i] == ' ') else {
        return super::wrap_words(line, w.max(1));
    };
    let head: String = chars[..cut].iter().collect();
    let tail: String = chars[cut..].iter().collect();
    let mut out = vec![head.trim_end().to_string()];
    out.extend(
        super::wrap_words(tail.trim(), w.saturating_sub(indent).max(1))
            .into_iter()
            .map(|l| format!("{}{l}", " ".repeat(indent))),
    );
    out
}

/// A help row in lines of at most `w` columns: the key column, then the parts (each in its own
/// style, two spaces apart), whose words continue under the first part when they do not fit.
fn key_row(key: Span<'static>, parts: &[(String, ratatui::style::Style)], w: usize) -> Vec<Line<'static>> {
    let indent = key.content.chars().count();
    let room = w.saturating_sub(indent).max(8);
    let mut lines: Vec<Vec<Span<'static>>> = vec![vec![key]];
    let mut used = 0usize;
    for (k, (text, style)) in parts.iter().enumerate() {
        for (i, word) in text.split(' ').filter(|x| !x.is_empty()).enumerate() {
            let gap = if used == 0 {
                0
            } else if i == 0 && k > 0 {
                2
            } else {
                1
            };
            let len = word.chars().count();
            if used > 0 && used + gap + len > room {
                lines.push(vec![Span::raw(" ".repeat(indent))]);
                used = 0;
            }
            let line = lines.last_mut().expect("one line at least");
            let pad = if used == 0 { 0 } else { gap };
            line.push(Span::styled(format!("{}{word}", " ".repeat(pad)), *style));
            used += pad + len;
        }
    }
    lines.into_iter().map(Line::from).collect()
}

/// The target picker of the connect key.
pub fn picker(frame: &mut Frame, area: Rect, theme: &Theme, sock: &str, selected: usize) {
    // As wide as the longest description needs (the screen permitting); a description that
    // still does not fit wraps under itself.
    const HEAD: usize = 13; // `▶ 1 @accept  `
    let longest = NamedTarget::ALL.iter().map(|t| t.describe().chars().count()).max().unwrap_or(40);
    let w = ((HEAD + longest + 3) as u16).min(area.width);
    let text_w = (w as usize).saturating_sub(HEAD + 3).max(8);
    let mut lines: Vec<Line> = Vec::new();
    for (i, t) in NamedTarget::ALL.iter().enumerate() {
        let sel = i == selected;
        let style = if sel { theme.style(Role::Selected) } else { theme.style(Role::Text) };
        for (l, part) in super::wrap_words(t.describe(), text_w).into_iter().enumerate() {
            lines.push(if l == 0 {
                Line::from(vec![
                    Span::styled(if sel { "▶ " } else { "  " }, style),
                    Span::styled(format!("{} ", i + 1), theme.style(Role::Key)),
                    Span::styled(format!("{:<9}", t.to_string()), style),
                    Span::styled(part, style),
                ])
            } else {
                Line::from(vec![Span::styled(" ".repeat(HEAD), style), Span::styled(part, style)])
            });
        }
    }
    let r = centred(area, w, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    let b = frame_block(format!(" connect {sock} to … "), " 1-7 or j/k + Enter · Esc cancels ".into(), theme);
    frame.render_widget(Paragraph::new(lines).block(b), r);
}

#[cfg(test)]
mod tests {
    use super::hanging;

    #[test]
    fn an_explanation_line_wraps_under_its_own_text() {
        let note = "            note: recv would block forever: nothing can arrive; socklab does not wait";
        let lines = hanging(note, 40);
        assert_eq!(lines[0], "            note: recv would block");
        assert!(lines[1..].iter().all(|l| l.starts_with(&" ".repeat(18)) && l.chars().count() <= 40), "{lines:?}");
        assert_eq!(lines.join(" ").split_whitespace().collect::<Vec<_>>(), note.split_whitespace().collect::<Vec<_>>());
        // A personality's line keeps its padding and continues under the answer.
        let answer = "  linux     n/a  rule block.forever and a long tail of words";
        let lines = hanging(answer, 36);
        assert_eq!(lines[0], "  linux     n/a  rule block.forever");
        assert_eq!(lines[1], "            and a long tail of words");
        // A plain text line continues two columns in; a short line is left alone.
        assert_eq!(hanging("  A blocking recv or accept", 20), vec!["  A blocking recv or", "    accept"]);
        assert_eq!(hanging("  short", 20), vec!["  short"]);
    }

    #[test]
    fn a_help_row_continues_under_its_description() {
        use ratatui::style::Style;
        use ratatui::text::Span;
        let text = |l: &ratatui::text::Line| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>();
        let key = Span::raw("  c    ");
        let parts = [
            ("connect the selected socket".to_string(), Style::default()),
            ("[connect]".to_string(), Style::default()),
        ];
        let lines: Vec<String> = super::key_row(key.clone(), &parts, 30).iter().map(text).collect();
        assert_eq!(lines, ["  c    connect the selected", "       socket  [connect]"]);
        // A row that fits stays one line, its parts two spaces apart.
        let lines: Vec<String> = super::key_row(key, &parts, 60).iter().map(text).collect();
        assert_eq!(lines, ["  c    connect the selected socket  [connect]"]);
    }
}
