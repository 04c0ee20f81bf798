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

/// Which network answers in the TUI.
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
    let (net, facts, kernel): (NetKind, Box<dyn crate::core::facts::Facts + Send>, _) = match opts.net {
        TuiNet::Sim => (NetKind::Sim, Box::new(crate::net::sim::SimNet), None),
        TuiNet::Live => {
            match crate::net::live::limits::raise_nofile_limit() {
                Ok(r) if r.is_low() => warnings.push(r.to_string()),
                _ => {}
            }
            match crate::net::live::judge::LiveKernel::start() {
                Ok((k, f)) => {
                    let k: Box<dyn crate::session::lab::Kernel> = Box::new(k);
                    (NetKind::Live, Box::new(f), Some(k))
                }
                Err(e) => {
                    warnings.push(format!("cannot start the live targets ({e}): using the simulated network"));
                    (NetKind::Sim, Box::new(crate::net::sim::SimNet), None)
                }
            }
        }
    };
    let app = App::new(AppOptions { facts, kernel, net, keymap: config.keymap, warnings });
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
    // On the live network a call may block for real (a blocking connect to @pending waits for
    // the kernel's timeout), so updates run on a blocking worker while this loop keeps reading
    // keys: Ctrl-C and q still quit at once, and other keys wait their turn.
    let live = app.is_live();
    let mut queue: std::collections::VecDeque<Msg> = std::collections::VecDeque::new();
    let mut app = Some(app);
    let mut last_frame: Option<ratatui::buffer::Buffer> = None;
    let mut busy: Option<tokio::task::JoinHandle<(App, Vec<Effect>)>> = None;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
    // Live: the models' clocks follow the real one while they have something due.
    let mut last_advance = crate::net::live::Stopwatch::start();
    loop {
        let due = live && busy.is_none() && app.as_ref().is_some_and(|a| a.next_due().is_some());
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(50)), if due => {
                let d = last_advance.elapsed();
                last_advance = crate::net::live::Stopwatch::start();
                queue.push_back(Msg::Advance(d));
            }
            ev = rx.recv() => match ev {
                Some(ev) => {
                    if let Some(msg) = msg_of(ev, mouse) {
                        if busy.is_some() && is_quit(&msg) {
                            return Ok(());
                        }
                        queue.push_back(msg);
                    }
                }
                None => return Ok(()),
            },
            _ = &mut stop => return Ok(()),
            done = async { busy.as_mut().expect("guarded").await }, if busy.is_some() => {
                busy = None;
                let (a, fx) = done.map_err(|e| color_eyre::eyre::eyre!("the lab worker failed: {e}"))?;
                if fx.contains(&Effect::Quit) {
                    return Ok(());
                }
                // The call's own time was counted by the call.
                last_advance = crate::net::live::Stopwatch::start();
                last_frame = Some(term.draw(|f| ui::render(f, f.area(), &a, &theme))?.buffer.clone());
                app = Some(a);
            }
            _ = tick.tick(), if busy.is_some() => {
                busy_line(term, &last_frame, &theme)?;
                continue;
            }
        }
        while busy.is_none() {
            let Some(msg) = queue.pop_front() else { break };
            let mut a = app.take().expect("the app is here when no worker runs");
            if live && may_block(&msg) && !matches!(msg, Msg::Advance(_)) {
                busy = Some(tokio::task::spawn_blocking(move || {
                    let fx = a.update(msg);
                    (a, fx)
                }));
                busy_line(term, &last_frame, &theme)?;
                break;
            }
            let fx = a.update(msg);
            if fx.contains(&Effect::Quit) {
                return Ok(());
            }
            if fx.contains(&Effect::Redraw) {
                last_frame = Some(term.draw(|f| ui::render(f, f.area(), &a, &theme))?.buffer.clone());
            }
            app = Some(a);
        }
    }
}

/// Messages that may run a call (and so block on the live network).
fn may_block(msg: &Msg) -> bool {
    !matches!(msg, Msg::Resize(..))
}

/// Ctrl-C quits even while a call blocks.
fn is_quit(msg: &Msg) -> bool {
    matches!(msg, Msg::Input(Key { code: KeyCode::Char('c'), ctrl: true, .. }))
}

/// The last frame again, with a status line saying a live call is blocking (the app itself is
/// busy on the worker, so it cannot be rendered).
fn busy_line(term: &mut Term, last: &Option<ratatui::buffer::Buffer>, theme: &Theme) -> Result<()> {
    term.draw(|f| {
        let area = f.area();
        if let Some(b) = last {
            if b.area == area {
                f.buffer_mut().content.clone_from(&b.content);
            }
        }
        let line = ratatui::layout::Rect { x: 0, y: area.height.saturating_sub(1), width: area.width, height: 1 };
        let text = "… a call is blocking on the live network (real time); Ctrl-C quits";
        f.render_widget(
            ratatui::widgets::Paragraph::new(text).style(theme.style(crate::ui::theme::Role::StatusWarn)),
            line,
        );
    })?;
    Ok(())
}

/// Run the TUI until the user quits or the process is asked to stop.
pub fn run_tui(opts: TuiOptions) -> Result<()> {
    install_hooks();
    let (app, theme, mouse) = prepare(&opts);
    // Two threads' worth: the loop, and a blocking worker for live calls.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let _restore = Restore;
    let mut term = enter(mouse)?;
    let res = rt.block_on(event_loop(&mut term, app, theme, mouse));
    restore_terminal();
    // A live call may still block on the worker (a connect waiting for its timeout): do not
    // wait for it; the process is leaving.
    rt.shutdown_background();
    res
}
