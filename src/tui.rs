//! The one loop that wires the terminal, the network and the app together.
//!
//! ```text
//!  crossterm::event::read ──(thread)──▶ channel ─┐
//!  SIGTERM / SIGHUP / SIGINT (tokio::signal) ────┼─▶ select! ─▶ App::update(msg) ─▶ effects
//!                                                │                 Redraw ─▶ terminal.draw(ui::render)
//!                                                │                 Quit   ─▶ leave, restore
//! ```
//!
//! Input: a plain thread blocks in `crossterm::event::read()` (a `poll(2)` on the tty, so no
//! CPU while idle) and forwards events over a tokio channel. Chosen over crossterm's
//! `EventStream` because it needs no extra feature nor the `futures` crates, and the loop stays
//! one `tokio::select!` over a channel and the signals. The thread ends when the channel closes
//! (the next event after quitting) or with the process.
//!
//! Redraws happen only when an update says something visible changed: no tick, no busy loop.
//!
//! The terminal is always restored: on quit, on error (a guard), on panic (the hook restores
//! first, then color-eyre reports), on Ctrl-C (a key in raw mode), SIGTERM, SIGHUP and SIGINT.

use std::io::{Stdout, stdout};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, KeyCode as CtKey, KeyEventKind, KeyModifiers, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::config::Config;
use crate::app::keys::{Action, Key, KeyCode};
use crate::app::{App, AppOptions, Effect, Msg, NetKind};
use crate::ui;
use crate::ui::theme::{Theme, ThemeChoice};

/// Which network answers in the TUI. The seam for the live network (issue 3): today `Live`
/// falls back to the simulated network with a warning in the status line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TuiNet {
    /// The deterministic simulated network (virtual time).
    #[default]
    Sim,
    /// Real sockets on this host with socklab's own targets.
    Live,
}

/// Options of [`run_tui`].
#[derive(Clone, Debug, Default)]
pub struct TuiOptions {
    /// Where facts come from.
    pub net: TuiNet,
    /// `--theme NAME|PATH`.
    pub theme: Option<String>,
    /// `--mouse`: capture the mouse (off by default: it breaks text selection).
    pub mouse: bool,
    /// The config file; `None`: the user's config directory.
    pub config: Option<PathBuf>,
}

static ENTERED: AtomicBool = AtomicBool::new(false);

/// Leave raw mode and the alternate screen; safe to call any number of times.
pub fn restore_terminal() {
    if ENTERED.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, crossterm::cursor::Show);
    }
}

struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// color-eyre's hooks, with the terminal restored before a panic is reported.
fn install_hooks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default().into_hooks();
        let _ = eyre_hook.install();
        let panic_hook = panic_hook.into_panic_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            panic_hook(info);
        }));
    });
}

/// Build the app and theme from options, config file and environment (no terminal yet).
pub fn prepare(opts: &TuiOptions) -> (App, Theme, bool) {
    let env = |k: &str| std::env::var(k).ok();
    let path = opts.config.clone().or_else(|| Config::path(&env));
    let mut warnings = Vec::new();
    let config = match path.as_ref().map(std::fs::read_to_string) {
        Some(Ok(src)) => Config::parse(&src),
        Some(Err(e)) if e.kind() != std::io::ErrorKind::NotFound => {
            warnings.push(format!("cannot read the config file: {e}"));
            Config::default()
        }
        _ => Config::default(),
    };
    warnings.extend(config.warnings.iter().cloned());
    let choice = ThemeChoice {
        cli: opts.theme.clone(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        config: config.theme.clone(),
    };
    let (theme, w) = ui::theme::resolve(&choice, &|p| std::fs::read_to_string(p).map_err(|e| e.to_string()));
    warnings.extend(w);
    let net = match opts.net {
        TuiNet::Sim => NetKind::Sim,
        TuiNet::Live => {
            warnings.push("the live network is not available yet: using the simulated network".into());
            NetKind::Sim
        }
    };
    let app = App::new(AppOptions { facts: Box::new(crate::net::sim::SimNet), net, keymap: config.keymap, warnings });
    (app, theme, opts.mouse || config.mouse.unwrap_or(false))
}

/// Translate a crossterm key event into the app's key.
fn key_of(ev: &crossterm::event::KeyEvent) -> Option<Key> {
    let code = match ev.code {
        CtKey::Char(c) => KeyCode::Char(c),
        CtKey::Enter => KeyCode::Enter,
        CtKey::Esc => KeyCode::Esc,
        CtKey::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        CtKey::Tab => KeyCode::Tab,
        CtKey::BackTab => KeyCode::BackTab,
        CtKey::Backspace => KeyCode::Backspace,
        CtKey::Delete => KeyCode::Delete,
        CtKey::Left => KeyCode::Left,
        CtKey::Right => KeyCode::Right,
        CtKey::Up => KeyCode::Up,
        CtKey::Down => KeyCode::Down,
        CtKey::Home => KeyCode::Home,
        CtKey::End => KeyCode::End,
        CtKey::PageUp => KeyCode::PageUp,
        CtKey::PageDown => KeyCode::PageDown,
        CtKey::F(n) => KeyCode::F(n),
        _ => return None,
    };
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let code = match code {
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        c => c,
    };
    Some(Key { code, ctrl, alt: ev.modifiers.contains(KeyModifiers::ALT) })
}

/// The message for a terminal event, if any.
fn msg_of(ev: Event, mouse: bool) -> Option<Msg> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => key_of(&k).map(Msg::Input),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Mouse(m) if mouse => match m.kind {
            MouseEventKind::ScrollDown => Some(Msg::Key(Action::NextRow)),
            MouseEventKind::ScrollUp => Some(Msg::Key(Action::PrevRow)),
            _ => None,
        },
        _ => None,
    }
}

/// Completes when the process is asked to stop (SIGTERM, SIGHUP, SIGINT).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) =
            (signal(SignalKind::terminate()), signal(SignalKind::hangup()), signal(SignalKind::interrupt()))
        else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

fn enter(mouse: bool) -> Result<Term> {
    enable_raw_mode().wrap_err("cannot put the terminal in raw mode (is stdin a terminal?)")?;
    ENTERED.store(true, Ordering::SeqCst);
    execute!(stdout(), EnterAlternateScreen)?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    let term = Terminal::new(CrosstermBackend::new(stdout()))?;
    Ok(term)
}

async fn event_loop(term: &mut Term, mut app: App, theme: Theme, mouse: bool) -> Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::Builder::new().name("socklab-input".into()).spawn(move || {
        while let Ok(ev) = crossterm::event::read() {
            if tx.send(ev).is_err() {
                break;
            }
        }
    })?;
    let size = term.size()?;
    app.update(Msg::Resize(size.width, size.height));
    term.draw(|f| ui::render(f, f.area(), &app, &theme))?;
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let msg = tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => msg_of(ev, mouse),
                None => return Ok(()),
            },
            _ = &mut stop => return Ok(()),
        };
        let Some(msg) = msg else { continue };
        let fx = app.update(msg);
        if fx.contains(&Effect::Quit) {
            return Ok(());
        }
        if fx.contains(&Effect::Redraw) {
            term.draw(|f| ui::render(f, f.area(), &app, &theme))?;
        }
    }
}

/// Run the TUI until the user quits or the process is asked to stop.
pub fn run_tui(opts: TuiOptions) -> Result<()> {
    install_hooks();
    let (app, theme, mouse) = prepare(&opts);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let _restore = Restore;
    let mut term = enter(mouse)?;
    let res = rt.block_on(event_loop(&mut term, app, theme, mouse));
    restore_terminal();
    res
}
