//! One full frame of the TUI with 10,000 sockets and 100,000 log lines, rendered into
//! ratatui's TestBackend. Budget (DESIGN.md): under 2 ms. Views draw only their visible rows,
//! so the cost does not grow with the number of sockets or log lines.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use socklab::app::keys::Action;
use socklab::app::{App, AppOptions, Msg};
use socklab::ui::render;
use socklab::ui::theme::Theme;

const SOCKETS: usize = 10_000;
const LINES: usize = 100_000;

/// A session with 10,000 sockets and 100,000 log rows: every socket created and made
/// nonblocking, a quarter of them connected to a target, then select and getsockopt calls.
fn big_app() -> App {
    let mut app = App::new(AppOptions::default());
    let targets = ["@accept", "@refuse", "@pending", "@slow"];
    let mut n = 0;
    let mut line = |app: &mut App, l: String| {
        app.update(Msg::Line(l));
        n += 1;
    };
    for i in 0..SOCKETS {
        line(&mut app, format!("socket tcp as k{i}"));
    }
    for i in 0..SOCKETS {
        line(&mut app, format!("ioctlsocket k{i} FIONBIO 1"));
    }
    for i in (0..SOCKETS).step_by(4) {
        line(&mut app, format!("connect k{i} {}", targets[(i / 4) % targets.len()]));
    }
    line(&mut app, "wait 1000".into());
    let mut i = 0;
    while app.log().len() < LINES {
        let s = i % SOCKETS;
        if i % 2 == 0 {
            app.update(Msg::Line(format!("select read=k{s} write=k{s} except=k{s} timeout=0")));
        } else {
            app.update(Msg::Line(format!("getsockopt k{s} SO_ERROR")));
        }
        i += 1;
    }
    assert_eq!(app.log().len(), LINES);
    assert_eq!(app.sockets().len(), SOCKETS);
    app
}

fn render_frame(c: &mut Criterion) {
    let mut app = big_app();
    let theme = Theme::default();
    let mut g = c.benchmark_group("render");
    for (w, h) in [(100u16, 30u16), (200, 60)] {
        app.update(Msg::Resize(w, h));
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        g.bench_function(format!("newest_{w}x{h}"), |b| {
            b.iter(|| {
                // A changed frame each time: clear so the diff cannot skip work.
                term.clear().unwrap();
                term.draw(|f| render(f, f.area(), black_box(&app), &theme)).unwrap();
            })
        });
    }
    // The selection in the middle of both lists.
    for _ in 0..SOCKETS / 2 {
        app.update(Msg::Key(Action::NextSocket));
    }
    app.update(Msg::Key(Action::FirstRow));
    for _ in 0..(LINES / 2) / 10 {
        app.update(Msg::Key(Action::PageDown));
    }
    app.update(Msg::Resize(100, 30));
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    g.bench_function("middle_selection_100x30", |b| {
        b.iter(|| {
            term.clear().unwrap();
            term.draw(|f| render(f, f.area(), black_box(&app), &theme)).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, render_frame);
criterion_main!(benches);
