//! The state machine of one socket, drawn: boxes (or one-line nodes when space is short) and
//! arrows, the current state lit and marked `▶name◀` (`[name]` on one-line nodes), the last transition's edge lit with the
//! call or event that caused it.
//!
//! Layouts are data: nodes at fixed cells, edges as orthogonal polylines with an arrowhead. Four
//! of them (TCP and UDP, boxed and compact); the widget picks the largest that fits.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::core::call::Proto;
use crate::core::model::{Cause, State, Transition};

use super::theme::{Role, Theme};

/// Direction of an arrowhead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    Up,
    Down,
    Right,
    Left,
}

#[derive(Debug)]
struct Node {
    state: State,
    x: u16,
    y: u16,
}

#[derive(Debug)]
struct Edge {
    /// `None`: from any state (the stub into `closed`).
    from: Option<State>,
    to: State,
    /// Corner points; straight segments are drawn between them.
    path: &'static [(u16, u16)],
    head: Dir,
    /// Where a label goes: x, y, width; right-aligned when `right`.
    label: Option<(u16, u16, u16, bool)>,
    /// What usually causes the edge (drawn dim; the last edge shows its real cause).
    default_label: &'static str,
}

#[derive(Debug)]
struct Layout {
    boxed: bool,
    width: u16,
    height: u16,
    nodes: &'static [Node],
    edges: &'static [Edge],
    /// Fixed text (the `any` of the stub into `closed`).
    texts: &'static [(u16, u16, &'static str)],
}

const fn n(state: State, x: u16, y: u16) -> Node {
    Node { state, x, y }
}

const fn e(
    from: Option<State>,
    to: State,
    path: &'static [(u16, u16)],
    head: Dir,
    label: Option<(u16, u16, u16, bool)>,
    default_label: &'static str,
) -> Edge {
    Edge { from, to, path, head, label, default_label }
}

use Dir::{Down as D, Left as L, Right as R, Up as U};
use State::*;

//    0         1         2         3         4
//    01234567890123456789012345678901234567890123456
//  0 ┌─────────┐ bind  ┌───────┐ listen┌───────────┐
//  1 │ unbound │──────▶│ bound │──────▶│ listening │
//  2 └─────────┘       └───────┘       └───────────┘
//  3      │                ▼ connect
//  4      │connect   ┌─────────┐SYN-ACK┌───────────┐
//  5      └─────────▶│ pending │──────▶│ connected │
//  6                 └─────────┘       └───────────┘
//  7             error  ▼   ▲ connect │ ▼ any
//  8                 ┌────────┐ reset   │┌────────┐
//  9                 │ failed │◀────────┘│ closed │
// 10                 └────────┘          └────────┘
// (a peer's reset moves connected to failed; `any` enters closed from above, the lit stub's
// cause goes on row 10 between the boxes)
static TCP_BOXED: Layout = Layout {
    boxed: true,
    width: 47,
    height: 11,
    nodes: &[
        n(Unbound, 0, 0),
        n(Bound, 18, 0),
        n(Listening, 34, 0),
        n(Pending, 16, 4),
        n(Connected, 34, 4),
        n(Failed, 16, 8),
        n(Closed, 36, 8),
    ],
    edges: &[
        e(Some(Unbound), Bound, &[(11, 1), (17, 1)], R, Some((12, 0, 6, false)), "bind"),
        e(Some(Bound), Listening, &[(27, 1), (33, 1)], R, Some((28, 0, 6, false)), "listen"),
        e(Some(Unbound), Pending, &[(5, 3), (5, 5), (15, 5)], R, Some((6, 4, 9, false)), "connect"),
        e(Some(Bound), Pending, &[(22, 3)], D, Some((24, 3, 10, false)), "connect"),
        e(Some(Pending), Connected, &[(27, 5), (33, 5)], R, Some((27, 4, 7, false)), "SYN-ACK"),
        e(Some(Pending), Failed, &[(19, 7)], D, Some((6, 7, 12, true)), "error"),
        e(Some(Failed), Pending, &[(23, 7)], U, Some((25, 7, 10, false)), "connect"),
        e(Some(Connected), Failed, &[(35, 7), (35, 9), (26, 9)], L, Some((27, 8, 8, false)), "reset"),
        e(None, Closed, &[(37, 7)], D, Some((26, 10, 10, false)), ""),
    ],
    texts: &[(39, 7, "any")],
};

//    0         1         2         3
//    0123456789012345678901234567890123456
//  0  unbound ─▶ bound ─▶ listening
//  1     │         ▼
//  2     └────▶ pending ─▶ connected
//  3              │  ▲        │
//  4              ▼  │   ┌────┘
//  5            failed ◀┘ any ─▶ closed
static TCP_COMPACT: Layout = Layout {
    boxed: false,
    width: 37,
    height: 6,
    nodes: &[
        n(Unbound, 0, 0),
        n(Bound, 12, 0),
        n(Listening, 22, 0),
        n(Pending, 12, 2),
        n(Connected, 24, 2),
        n(Failed, 12, 5),
        n(Closed, 29, 5),
    ],
    edges: &[
        e(Some(Unbound), Bound, &[(9, 0), (11, 0)], R, None, ""),
        e(Some(Bound), Listening, &[(19, 0), (21, 0)], R, None, ""),
        e(Some(Unbound), Pending, &[(4, 1), (4, 2), (11, 2)], R, None, ""),
        e(Some(Bound), Pending, &[(15, 1)], D, None, ""),
        e(Some(Pending), Connected, &[(21, 2), (23, 2)], R, None, ""),
        e(Some(Pending), Failed, &[(14, 3), (14, 4)], D, None, ""),
        e(Some(Failed), Pending, &[(17, 4), (17, 3)], U, None, ""),
        e(Some(Connected), Failed, &[(26, 3), (26, 4), (21, 4), (21, 5), (20, 5)], L, None, ""),
        e(None, Closed, &[(27, 5), (28, 5)], R, None, ""),
    ],
    texts: &[(23, 5, "any")],
};

//    0         1         2         3         4
//    012345678901234567890123456789012345678901
//  0 ┌───────┐  bind        ┌────────────┐
//  1 │unbound│─────────────▶│unassociated│
//  2 └───────┘              └────────────┘
//  3      │                    │   ▲
//  4      │            connect ▼   │ disconnect
//  5      │               ┌──────────┐
//  6      │ connect       │associated│
//  7      └──────────────▶└──────────┘   (arrow enters at the box's middle row)
static UDP_BOXED: Layout = Layout {
    boxed: true,
    width: 43,
    height: 11,
    nodes: &[n(Unbound, 0, 0), n(Unassociated, 22, 0), n(Associated, 22, 6), n(Closed, 7, 8)],
    edges: &[
        e(Some(Unbound), Unassociated, &[(11, 1), (21, 1)], R, Some((12, 0, 9, false)), "bind"),
        e(Some(Unbound), Associated, &[(5, 3), (5, 7), (21, 7)], R, Some((7, 6, 12, false)), "connect"),
        e(Some(Unassociated), Associated, &[(27, 3), (27, 5)], D, Some((17, 4, 9, true)), "connect"),
        e(Some(Associated), Unassociated, &[(32, 5), (32, 3)], U, Some((33, 4, 10, false)), "disconnect"),
        e(None, Closed, &[(3, 9), (6, 9)], R, Some((0, 10, 7, false)), ""),
    ],
    texts: &[(0, 9, "any")],
};

//    0         1         2         3
//    0123456789012345678901234567890123456
//  0  unbound ───▶ unassociated
//  1     │            ▼    ▲
//  2     │            │    │
//  3     └────────▶ associated
//  4
//  5                      any ─▶ closed
static UDP_COMPACT: Layout = Layout {
    boxed: false,
    width: 37,
    height: 6,
    nodes: &[n(Unbound, 0, 0), n(Unassociated, 14, 0), n(Associated, 15, 3), n(Closed, 29, 5)],
    edges: &[
        e(Some(Unbound), Unassociated, &[(9, 0), (13, 0)], R, None, ""),
        e(Some(Unbound), Associated, &[(4, 1), (4, 3), (14, 3)], R, None, ""),
        e(Some(Unassociated), Associated, &[(18, 1), (18, 2)], D, None, ""),
        e(Some(Associated), Unassociated, &[(23, 2), (23, 1)], U, None, ""),
        e(None, Closed, &[(25, 5), (28, 5)], R, None, ""),
    ],
    texts: &[(21, 5, "any")],
};

/// The diagram of one socket.
#[derive(Debug)]
pub struct StateDiagram<'a> {
    pub proto: Proto,
    pub current: State,
    pub last: Option<&'a Transition>,
    pub theme: &'a Theme,
}

/// The short text of what caused a transition.
/// An edge's label in `w` columns: the whole cause if it fits, else its head (the part before
/// ` (` or `:`: `reset (connection refused)` -> `reset`); the panel's bottom line has it all.
fn edge_label(text: &str, w: usize) -> String {
    if text.chars().count() <= w {
        return text.to_string();
    }
    let head = text.split([':', '(']).next().unwrap_or(text).trim_end();
    if head.chars().count() <= w { head.to_string() } else { super::fit_words(head, w) }
}

pub fn cause_text(c: &Cause) -> String {
    match c {
        Cause::Call(c) => c.to_string(),
        Cause::Net(n) => n.to_string(),
    }
}

impl StateDiagram<'_> {
    /// Size of the largest layout that fits, if any does.
    pub fn fits(proto: Proto, area: Rect) -> bool {
        Self::pick(proto, area).is_some()
    }

    fn pick(proto: Proto, area: Rect) -> Option<&'static Layout> {
        let (big, small) = match proto {
            Proto::Tcp => (&TCP_BOXED, &TCP_COMPACT),
            Proto::Udp => (&UDP_BOXED, &UDP_COMPACT),
        };
        [big, small].into_iter().find(|l| l.width <= area.width && l.height <= area.height)
    }

    /// Draw into `buf` at `area` (centred horizontally). Returns false when nothing fits.
    pub fn draw(&self, area: Rect, buf: &mut Buffer) -> bool {
        let Some(l) = Self::pick(self.proto, area) else { return false };
        let ox = area.x + (area.width - l.width) / 2;
        let oy = area.y + (area.height - l.height) / 2;
        let t = self.theme;
        let put = |buf: &mut Buffer, x: u16, y: u16, s: &str, style: Style| {
            buf.set_string(ox + x, oy + y, s, style);
        };
        let last_edge = self.last.and_then(|tr| {
            l.edges
                .iter()
                .position(|e| e.to == tr.to && (e.from == Some(tr.from) || (e.from.is_none() && tr.to == Closed)))
        });
        for (x, y, s) in l.texts {
            put(buf, *x, *y, s, t.style(Role::Dim));
        }
        // Edges first, nodes on top.
        for (i, e) in l.edges.iter().enumerate() {
            let lit = Some(i) == last_edge;
            let style = t.style(if lit { Role::EdgeLast } else { Role::Edge });
            let cells = polyline(e.path, e.head);
            for (x, y, ch) in cells {
                put(buf, x, y, ch, style);
            }
            if let Some((lx, ly, w, right)) = e.label {
                let (text, st) = match (lit, self.last) {
                    (true, Some(tr)) => (cause_text(&tr.cause), t.style(Role::EdgeLast)),
                    _ => (e.default_label.to_string(), t.style(Role::Dim)),
                };
                let text = edge_label(&text, w as usize);
                let pad = if right { w as usize - text.chars().count() } else { 0 };
                put(buf, lx + pad as u16, ly, &text, st);
            }
        }
        for nd in l.nodes {
            let cur = nd.state == self.current;
            let style = t.style(if cur { Role::StateCurrent } else { Role::StateOther });
            let name = nd.state.name();
            // The current state is marked by symbols too (never colour alone): `▶name◀` in a
            // box, `[name]` on one line (where a `▶` would run into an arrowhead).
            let label = match (cur, l.boxed) {
                (true, true) => format!("▶{name}◀"),
                (true, false) => format!("[{name}]"),
                (false, _) => format!(" {name} "),
            };
            if l.boxed {
                let w = name.chars().count() + 2;
                put(buf, nd.x, nd.y, &format!("┌{}┐", "─".repeat(w)), style);
                put(buf, nd.x, nd.y + 1, &format!("│{label}│"), style);
                put(buf, nd.x, nd.y + 2, &format!("└{}┘", "─".repeat(w)), style);
            } else {
                put(buf, nd.x, nd.y, &label, style);
            }
        }
        true
    }
}

/// The cells of an orthogonal polyline with an arrowhead at its end.
fn polyline(path: &[(u16, u16)], head: Dir) -> Vec<(u16, u16, &'static str)> {
    let mut out: Vec<(u16, u16, &'static str)> = Vec::new();
    for w in path.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if y0 == y1 {
            for x in x0.min(x1)..=x0.max(x1) {
                out.push((x, y0, "─"));
            }
        } else {
            for y in y0.min(y1)..=y0.max(y1) {
                out.push((x0, y, "│"));
            }
        }
    }
    // Corners: which sides of the corner cell the path touches.
    for i in 1..path.len().saturating_sub(1) {
        let (p, c, nx) = (path[i - 1], path[i], path[i + 1]);
        let side = |a: (u16, u16), b: (u16, u16)| {
            if a.1 < b.1 {
                'b'
            } else if a.1 > b.1 {
                't'
            } else if a.0 < b.0 {
                'r'
            } else {
                'l'
            }
        };
        // The side towards the previous point and the side towards the next one.
        let s1 = side(c, p);
        let s2 = side(c, nx);
        let ch = match (s1.min(s2), s1.max(s2)) {
            ('r', 't') => "└",
            ('l', 't') => "┘",
            ('b', 'r') => "┌",
            ('b', 'l') => "┐",
            ('b', 't') => "│",
            _ => "─",
        };
        out.push((c.0, c.1, ch));
    }
    if let Some(&(x, y)) = path.last() {
        let ch = match head {
            Dir::Up => "▲",
            Dir::Down => "▼",
            Dir::Right => "▶",
            Dir::Left => "◀",
        };
        out.push((x, y, ch));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(proto: Proto, w: u16, h: u16, current: State, last: Option<&Transition>) -> Vec<String> {
        let theme = Theme::default();
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        assert!(StateDiagram { proto, current, last, theme: &theme }.draw(area, &mut buf));
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>().trim_end().to_string())
            .collect()
    }

    #[test]
    fn every_layout_stays_in_its_box_and_every_edge_is_a_state_machine_edge() {
        for l in [&TCP_BOXED, &TCP_COMPACT, &UDP_BOXED, &UDP_COMPACT] {
            for nd in l.nodes {
                let w = nd.state.name().len() as u16 + if l.boxed { 4 } else { 2 };
                assert!(nd.x + w <= l.width, "{:?} too wide", nd.state);
                assert!(nd.y + if l.boxed { 3 } else { 1 } <= l.height);
            }
            for e in l.edges {
                for (x, y) in e.path {
                    assert!(*x < l.width && *y < l.height);
                }
                if let Some(from) = e.from {
                    assert!(from.can_move_to(e.to), "{from:?} -> {:?} is not an edge of State", e.to);
                }
            }
        }
    }

    #[test]
    fn tcp_boxed_draws_and_lights_the_current_state() {
        let t = Transition {
            sock: "s".into(),
            from: Pending,
            to: Failed,
            cause: Cause::Net("connection refused".into()),
            error: None,
            at: Default::default(),
        };
        let rows = render(Proto::Tcp, 47, 11, Failed, Some(&t));
        let text = rows.join("\n");
        assert!(text.contains("│▶failed◀│"), "{text}");
        assert!(text.contains("│ pending │"), "{text}");
        assert!(text.contains("└─────────▶│ pending │"), "{text}");
        assert!(rows[7].contains("connection"), "the lit edge is labelled with its cause:\n{text}");
    }

    /// A peer's reset moves connected to failed: the boxed TCP diagram draws that edge, lit
    /// with its cause, and `any` still leads into closed.
    #[test]
    fn tcp_boxed_draws_the_reset_edge_from_connected_to_failed() {
        let t = Transition {
            sock: "s".into(),
            from: Connected,
            to: Failed,
            cause: Cause::Net("reset by peer".into()),
            error: None,
            at: Default::default(),
        };
        let rows = render(Proto::Tcp, 47, 11, Failed, Some(&t));
        let text = rows.join("\n");
        assert!(rows[9].contains("│▶failed◀│◀────────┘"), "the edge enters failed from the right:\n{text}");
        assert!(rows[8].contains("reset"), "labelled with the cause's head:\n{text}");
        assert!(rows[7].contains("▼ any"), "the stub into closed:\n{text}");
        let quiet = render(Proto::Tcp, 47, 11, Connected, None).join("\n");
        assert!(quiet.contains("reset"), "the edge's usual cause, dim:\n{quiet}");
    }

    #[test]
    fn tcp_compact_draws_the_reset_edge_too() {
        let rows = render(Proto::Tcp, 37, 6, Failed, None);
        let text = rows.join("\n");
        assert!(rows[5].contains("[failed]◀┘ any ─▶ closed"), "{text}");
        assert!(rows[4].contains("┌────┘"), "{text}");
    }

    #[test]
    fn compact_udp_fits_in_80x24s_panel() {
        let rows = render(Proto::Udp, 38, 6, Associated, None);
        assert!(rows.join("\n").contains("[associated]"));
    }
}
