//! Issue 12 item 5: no word is cut on any screen at 80x24, 120x36 and 200x50. Every screen a
//! learner meets is rendered into ratatui's TestBackend, snapshotted, and checked: text that is
//! too long wraps, is abbreviated by a rule (the full text goes to the status line), or ends at a
//! whole word with ` …`; it never stops mid-word at an ellipsis, a panel's border or the edge.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use socklab::app::keys::{Action, Key};
use socklab::app::{App, AppOptions, Msg};
use socklab::ui::render;
use socklab::ui::theme::Theme;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 36), (200, 50)];

fn lines(app: &mut App, ls: &[&str]) {
    for l in ls {
        app.update(Msg::Line((*l).to_string()));
    }
}

fn rows(app: &mut App, w: u16, h: u16) -> Vec<String> {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, f.area(), app, &Theme::default())).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>()).collect()
}

fn wordy(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where a word is cut: an ellipsis right after a letter, or a letter run into a border or the
/// screen's right edge.
fn cuts(rows: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (y, r) in rows.iter().enumerate() {
        let cs: Vec<char> = r.chars().collect();
        for x in 1..cs.len() {
            let (a, b) = (cs[x - 1], cs[x]);
            let border = matches!(b, '│' | '┐' | '┘' | '┤');
            let at_edge = x == cs.len() - 1 && wordy(b) && wordy(a);
            if (b == '…' && wordy(a)) || (border && wordy(a) && x >= 2 && wordy(cs[x - 2])) || at_edge {
                out.push(format!("row {y}, column {x}: {r}"));
            }
        }
    }
    out
}

fn screens() -> Vec<(&'static str, App)> {
    let mut v = Vec::new();
    v.push(("fresh", App::new(AppOptions::default())));

    let mut a = App::new(AppOptions::default());
    lines(
        &mut a,
        &[
            "socket tcp as f",
            "ioctlsocket f FIONBIO 1",
            "wsaeventselect f FD_CONNECT|FD_WRITE",
            "connect f @refuse",
            "wait 3000",
            "select read=f write=f except=f timeout=0",
            "wsaenumnetworkevents f",
            "getsockopt f SO_ERROR",
            "socket udp as u",
            "connect u @sink",
        ],
    );
    v.push(("refused", a));

    let mut a = App::new(AppOptions::default());
    lines(&mut a, &["socket tcp as s", "connect s @refuse"]);
    a.update(Msg::Key(Action::Help));
    v.push(("help", a));

    let mut a = App::new(AppOptions::default());
    lines(
        &mut a,
        &[
            "socket tcp as f",
            "ioctlsocket f FIONBIO 1",
            "connect f @refuse",
            "wait 3000",
            "select read=f write=f except=f timeout=0",
        ],
    );
    a.update(Msg::Key(Action::Explain));
    v.push(("explain", a));

    let mut a = App::new(AppOptions::default());
    lines(&mut a, &["socket tcp as s"]);
    a.update(Msg::Input(Key::ch('c')));
    v.push(("picker", a));

    let mut a = App::new(AppOptions::default());
    a.update(Msg::Key(Action::Lessons));
    v.push(("lessons", a));

    let mut a = App::new(AppOptions::default());
    a.start_lesson(1);
    v.push(("lesson", a));

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings/refused_connect.ndjson");
    let f = std::fs::File::open(path).unwrap();
    let src: socklab::app::replay::ReplaySource = Box::new(std::io::BufReader::new(f));
    let r = socklab::session::replay::Replay::new(src).unwrap();
    let mut a =
        App::replaying(r, "refused_connect.ndjson".into(), socklab::app::replay::IDLE_LIMIT, AppOptions::default());
    a.update(Msg::Key(Action::NextMarker));
    a.update(Msg::Key(Action::NextMarker));
    v.push(("replay", a));
    v
}

/// Every screen at every size, as text (layout regressions show in review).
#[test]
fn every_screen_at_three_sizes() {
    for (name, mut app) in screens() {
        for (w, h) in SIZES {
            let r = rows(&mut app, w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), r.join("\n"));
        }
    }
}

/// An overlay covers the screen under it (cutting what is under its edges, which is no cut):
/// only the overlay's box is checked.
fn overlay_box(rows: &[String], title: &str) -> Vec<String> {
    for (y0, r) in rows.iter().enumerate() {
        let cs: Vec<char> = r.chars().collect();
        let Some(x0) = (0..cs.len())
            .find(|&x| cs[x] == '┌' && cs[x..].iter().collect::<String>().starts_with(&format!("┌ {title}")))
        else {
            continue;
        };
        let x1 = (x0 + 1..cs.len()).find(|&x| cs[x] == '┐').unwrap_or(cs.len() - 1);
        let mut out = Vec::new();
        for r in &rows[y0..] {
            let cs: Vec<char> = r.chars().collect();
            out.push(cs[x0..=x1].iter().collect::<String>());
            if cs[x0] == '└' {
                break;
            }
        }
        return out;
    }
    panic!("no overlay titled {title:?}:\n{}", rows.join("\n"));
}

#[test]
fn no_word_is_cut_on_any_screen() {
    let mut all = Vec::new();
    for (name, mut app) in screens() {
        for (w, h) in SIZES {
            let mut r = rows(&mut app, w, h);
            let overlay = match name {
                "help" => Some("Help"),
                "explain" => Some("Explain"),
                "picker" => Some("connect"),
                "lessons" => Some("Lessons"),
                _ => None,
            };
            if let Some(t) = overlay {
                r = overlay_box(&r, t);
            }
            for c in cuts(&r) {
                all.push(format!("{name} {w}x{h}: {c}"));
            }
        }
    }
    assert!(all.is_empty(), "{} cut words:\n{}", all.len(), all.join("\n"));
}

/// `--mouse`: a click on a log row selects it, on a socket selects it, elsewhere focuses.
#[test]
fn clicks_select_what_is_under_them() {
    use socklab::ui::{Click, click};
    let mut a = App::new(AppOptions::default());
    lines(&mut a, &["socket tcp as f", "socket udp as u", "ioctlsocket f FIONBIO 1", "connect f @refuse", "wait 3000"]);
    for (w, h) in SIZES {
        a.select_row(3);
        let r = rows(&mut a, w, h);
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        let y = r.iter().position(|l| l.contains("ioctlsocket f")).expect("the row is shown") as u16;
        assert_eq!(click(&a, area, 10, y), Some(Click::Row(2)), "{w}x{h}");
        let y = r.iter().position(|l| l.contains("▶ u ") || l.contains("  u ")).expect("socket u listed") as u16;
        assert_eq!(click(&a, area, 3, y), Some(Click::Socket(1)), "{w}x{h}");
        a.select_row(2);
        assert_eq!(a.selected_row(), Some(2));
        a.select_row(4);
        assert_eq!(a.selected_row(), None, "the newest row: follow again");
        // Below the rows and above the sockets' list: focus only.
        let y = r.iter().position(|l| l.contains("Notifications")).unwrap() as u16 + 1;
        assert_eq!(click(&a, area, 3, y), Some(Click::Focus(socklab::app::Focus::Notes)), "{w}x{h}");
    }
}

/// A socket another personality made (here WSAAccept's, which linux has not) shows
/// `(not created here)` in the columns of its type and state, and its answer stays apart in
/// the answer column at every size (it ran into the answer at 80 columns).
#[test]
fn a_socket_not_created_here_keeps_the_answer_column() {
    let col_of = |l: &str, text: &str| l.find(text).map(|b| l[..b].chars().count());
    for (w, h) in SIZES {
        let mut app = App::new(AppOptions::default());
        lines(
            &mut app,
            &[
                "socket tcp as l",
                "bind l 127.0.0.1:7803",
                "listen l",
                "socket tcp as c",
                "connect c 127.0.0.1:7803",
                "wsaaccept l as y",
            ],
        );
        let r = rows(&mut app, w, h);
        let screen = r.join("\n");
        let row = r.iter().find(|l| l.contains("(not created here)")).unwrap_or_else(|| panic!("{w}x{h}:\n{screen}"));
        // `l`'s last call is the same WSAAccept: its answer (n/a on linux) marks the column.
        let l_row = r.iter().find(|x| x.contains("◎ listening")).expect("the listener's row");
        let answer =
            col_of(l_row, "n/a").unwrap_or_else(|| panic!("{w}x{h}: no answer on the listener row:\n{screen}"));
        let end = col_of(row, "(not created here)").expect("placeholder") + "(not created here)".len();
        assert!(end < answer, "{w}x{h}: the placeholder runs into the answer column:\n{l_row}\n{row}");
        assert_eq!(col_of(row, "n/a"), Some(answer), "{w}x{h}: the answer is not in its column:\n{l_row}\n{row}");
    }
}
