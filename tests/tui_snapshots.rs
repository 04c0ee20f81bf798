//! The screens, as screens (gitui style): build an App, drive it with messages, render it into
//! ratatui's TestBackend and snapshot the text with insta. Text snapshots do not show colour, so
//! the last tests compare styled Buffers: a theme's colours must reach the screen.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

use socklab::app::keys::{Action, Key};
use socklab::app::{App, AppOptions, Msg};
use socklab::core::call::Proto;
use socklab::core::model::State;
use socklab::ui::diagram::StateDiagram;
use socklab::ui::render;
use socklab::ui::theme::{Role, Theme};

fn app() -> App {
    App::new(AppOptions::default())
}

fn lines(app: &mut App, ls: &[&str]) {
    for l in ls {
        app.update(Msg::Line((*l).to_string()));
    }
}

fn screen(app: &mut App, w: u16, h: u16, theme: &Theme) -> Terminal<TestBackend> {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, f.area(), app, theme)).unwrap();
    t
}

fn text(app: &mut App, w: u16, h: u16) -> String {
    screen(app, w, h, &Theme::default()).backend().to_string()
}

#[test]
fn fresh_start() {
    let mut a = app();
    insta::assert_snapshot!("fresh_start_100x30", text(&mut a, 100, 30));
    insta::assert_snapshot!("fresh_start_80x24", text(&mut a, 80, 24));
}

#[test]
fn pending_connect() {
    let mut a = app();
    lines(&mut a, &["socket tcp", "ioctlsocket s FIONBIO 1", "connect s @pending"]);
    insta::assert_snapshot!("pending_connect_100x30", text(&mut a, 100, 30));
    insta::assert_snapshot!("pending_connect_80x24", text(&mut a, 80, 24));
}

#[test]
fn refused_connect_with_notifications() {
    let mut a = app();
    // Keys, as a user would press them: t n c (picker) 2 (@refuse), then w w w.
    for c in "tnc2www".chars() {
        a.update(Msg::Input(Key::ch(c)));
    }
    let s = text(&mut a, 100, 30);
    assert!(s.contains("▶failed◀"), "{s}");
    insta::assert_snapshot!("refused_connect_100x30", s);
    // With WSAEventSelect the FD_CONNECT event carries the error code.
    let mut a = app();
    lines(&mut a, &["socket tcp", "wsaeventselect s FD_CONNECT|FD_WRITE", "connect s @refuse", "wait 3000"]);
    let s = text(&mut a, 120, 40);
    assert!(s.contains("FD_CONNECT"), "{s}");
    insta::assert_snapshot!("refused_connect_events_120x40", s);
}

#[test]
fn compare_columns_with_a_difference() {
    let mut a = app();
    lines(&mut a, &["socket tcp", "ioctlsocket s FIONBIO 1", "connect s @pending", "connect s @pending"]);
    let last = a.log().last().unwrap();
    assert!(last.differs(), "winsock1 answers WSAEINVAL where the others say EALREADY");
    let s = text(&mut a, 100, 30);
    assert!(s.contains(" 4≠"), "{s}");
    insta::assert_snapshot!("compare_differs_100x30", s);
}

#[test]
fn replay_at_a_marker() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings/refused_connect.ndjson");
    let f = std::fs::File::open(path).unwrap();
    let src: socklab::app::replay::ReplaySource = Box::new(std::io::BufReader::new(f));
    let r = socklab::session::replay::Replay::new(src).unwrap();
    let mut a =
        App::replaying(r, "refused_connect.ndjson".into(), socklab::app::replay::IDLE_LIMIT, AppOptions::default());
    // ] ] : just past the second marker (`SO_ERROR`).
    a.update(Msg::Key(Action::NextMarker));
    a.update(Msg::Key(Action::NextMarker));
    let s = text(&mut a, 100, 30);
    assert!(s.contains("SO_ERROR"), "{s}");
    assert!(s.contains("◆"), "markers on the progress bar: {s}");
    insta::assert_snapshot!("replay_marker_100x30", s);
}

#[test]
fn help_overlay() {
    let mut a = app();
    a.update(Msg::Key(Action::Help));
    insta::assert_snapshot!("help_100x30", text(&mut a, 100, 30));
}

#[test]
fn explain_view() {
    let mut a = app();
    lines(&mut a, &["socket tcp", "ioctlsocket s FIONBIO 1", "connect s @pending", "connect s @pending"]);
    a.update(Msg::Key(Action::Explain));
    insta::assert_snapshot!("explain_100x30", text(&mut a, 100, 30));
}

#[test]
fn prompt_with_completion_candidates() {
    let mut a = app();
    lines(&mut a, &["socket tcp"]);
    a.update(Msg::Key(Action::Prompt));
    for c in "connect s @".chars() {
        a.update(Msg::Input(Key::ch(c)));
    }
    a.update(Msg::Input(Key::plain(socklab::app::keys::KeyCode::Tab)));
    insta::assert_snapshot!("prompt_completion_80x24", text(&mut a, 80, 24));
}

// -------------------------------------------------------------------------------------------
// Styled buffers: colours reach the screen
// -------------------------------------------------------------------------------------------

/// A theme where the roles under test have colours no other role has.
fn loud_theme() -> Theme {
    Theme::from_toml(
        r##"
        name = "loud"
        [roles]
        state_current = { fg = "#010203", bg = "#fefdfc" }
        state_other = { fg = "#111111" }
        edge = { fg = "#222222" }
        edge_last = { fg = "#333333" }
        dim = { fg = "#444444" }
        differs = { fg = "#555555" }
        "##,
    )
    .unwrap()
}

#[test]
fn a_themes_colours_reach_the_diagram() {
    let theme = loud_theme();
    let area = Rect::new(0, 0, 37, 6);
    let mut buf = Buffer::empty(area);
    assert!(
        StateDiagram { proto: Proto::Udp, current: State::Associated, last: None, theme: &theme }.draw(area, &mut buf)
    );
    let mut want = Buffer::with_lines([
        " unbound ────▶ unassociated          ",
        "    │             │    ▲             ",
        "    │             ▼    │             ",
        "    └─────────▶[associated]          ",
        "                                     ",
        "                     any ───▶ closed ",
    ]);
    let other = theme.style(Role::StateOther);
    let current = theme.style(Role::StateCurrent);
    let edge = theme.style(Role::Edge);
    let dim = theme.style(Role::Dim);
    let spans: &[(u16, u16, u16, Style)] = &[
        (0, 0, 9, other),
        (9, 0, 5, edge),
        (14, 0, 14, other),
        (4, 1, 1, edge),
        (18, 1, 1, edge),
        (23, 1, 1, edge),
        (4, 2, 1, edge),
        (18, 2, 1, edge),
        (23, 2, 1, edge),
        (4, 3, 11, edge),
        (15, 3, 12, current),
        (21, 5, 3, dim),
        (25, 5, 4, edge),
        (29, 5, 8, other),
    ];
    for &(x, y, w, st) in spans {
        want.set_style(Rect::new(x, y, w, 1), st);
    }
    assert_eq!(buf, want);
    assert_eq!(buf[(16, 3)].fg, Color::Rgb(1, 2, 3));
    assert_eq!(buf[(16, 3)].bg, Color::Rgb(0xfe, 0xfd, 0xfc));
}

#[test]
fn a_themes_colours_reach_the_whole_screen() {
    let theme = loud_theme();
    let mut a = app();
    lines(&mut a, &["socket tcp", "ioctlsocket s FIONBIO 1", "connect s @pending", "connect s @pending"]);
    let t = screen(&mut a, 100, 30, &theme);
    let buf = t.backend().buffer();
    let find = |sym: &str| -> Vec<(u16, u16)> {
        let mut v = Vec::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                if buf[(x, y)].symbol() == sym {
                    v.push((x, y));
                }
            }
        }
        v
    };
    let marks = find("≠");
    assert!(!marks.is_empty());
    assert!(
        marks.iter().any(|&(x, y)| buf[(x, y)].fg == Color::Rgb(0x55, 0x55, 0x55)),
        "the ≠ of the log is in `differs`"
    );
    let lit = find("▶").into_iter().find(|&(x, y)| buf[(x, y)].bg == Color::Rgb(0xfe, 0xfd, 0xfc));
    assert!(lit.is_some(), "the current state is drawn in `state_current`");
    // The same screen in another theme differs only in style, never in text.
    let mono = screen(&mut a, 100, 30, &Theme::monochrome());
    assert_eq!(t.backend().to_string(), mono.backend().to_string());
    assert_ne!(t.backend().buffer(), mono.backend().buffer());
}

// -------------------------------------------------------------------------------------------
// Lessons: the picker and the side panel
// -------------------------------------------------------------------------------------------

#[test]
fn lesson_picker() {
    let mut progress = socklab::learn::progress::Progress::default();
    progress.complete("blocking");
    let second = &socklab::learn::lesson::all()[1].id;
    progress.at(second, 2);
    let mut a = App::new(AppOptions { progress, ..AppOptions::default() });
    a.update(Msg::Input(Key::ch('L')));
    let s = text(&mut a, 100, 30);
    assert!(s.contains("✓  1 Blocking vs nonblocking connect"), "{s}");
    assert!(s.contains("(stopped at step 3 of"), "{s}");
    insta::assert_snapshot!("lesson_picker_100x30", s);
}

#[test]
fn lesson_panel() {
    let mut a = app();
    a.update(Msg::Input(Key::ch('L')));
    a.update(Msg::Input(Key::ch('1')));
    let s = text(&mut a, 100, 30);
    assert!(s.contains("Lesson 1 · Blocking vs nonblocking connect · step 1 of"), "{s}");
    insta::assert_snapshot!("lesson_start_100x30", s);
    insta::assert_snapshot!("lesson_start_80x24", text(&mut a, 80, 24));
    insta::assert_snapshot!("lesson_start_140x40", text(&mut a, 140, 40));
    // A correct step: the lab shows it, the panel says why.
    lines(&mut a, &["socket tcp as b"]);
    let s = text(&mut a, 100, 30);
    assert!(s.contains("✓ Step 1 done"), "{s}");
    insta::assert_snapshot!("lesson_step_done_100x30", s);
    // A wrong step: ran on a copy, the hint says what to do.
    lines(&mut a, &["connect b @refuse"]);
    let s = text(&mut a, 140, 40);
    assert!(s.contains("✗ Not this step's command"), "{s}");
    assert!(s.contains("Hint:"), "{s}");
    insta::assert_snapshot!("lesson_wrong_step_140x40", s);
}

#[test]
fn recording_indicator() {
    let mut a = app();
    lines(&mut a, &["socket tcp"]);
    a.set_recording(Some("socklab-20261121-190000.ndjson".into()));
    a.set_recording_entries(12);
    let s = text(&mut a, 80, 24);
    assert!(s.contains("● REC 12 entries"), "{s}");
    insta::assert_snapshot!("recording_indicator_80x24", s);
}
