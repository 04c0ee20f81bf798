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
use crate::app::{App, AppOptions, Effect, JournalStep, Msg, NetKind};
use crate::session::record::{Header, Journal, Network, Recorder, Tap};
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
    /// Open a lesson at start (`socklab learn --tui [N]`).
    pub lesson: Option<LessonStart>,
    /// `--record FILE`: record the whole session from its start.
    pub record: Option<PathBuf>,
    /// `socklab replay FILE`: show a recording instead of a lab.
    pub replay: Option<ReplayStart>,
}

/// What `socklab replay FILE` opens.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayStart {
    pub file: PathBuf,
    /// Idle gaps longer than this are shortened to it.
    pub idle_limit: std::time::Duration,
}

/// Appends to memory, and to a file once one is attached: the session is journaled from its
/// start, so that `R` mid-session writes every step since the sockets were created.
struct Tee {
    memory: Vec<u8>,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl std::io::Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.memory.extend_from_slice(buf);
        if let Some(f) = self.file.as_mut() {
            f.write_all(buf)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// The session's journal: a recorder writing to a [`Tee`], and the file being recorded to.
pub struct Recording {
    recorder: Recorder<Tee>,
    file: Option<PathBuf>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").field("recorder", &self.recorder).field("file", &self.file).finish()
    }
}

impl Recording {
    /// Start writing to `path`: the session's steps so far first. Returns how many entries that
    /// was.
    fn attach(&mut self, path: &std::path::Path) -> std::io::Result<usize> {
        use std::io::Write;
        // A new file: an existing name (a dangling link included) is never followed or
        // truncated; `--force` cleared a replaceable file before the TUI started.
        let file = crate::files::create_new(path, crate::files::Policy::default()).map_err(std::io::Error::other)?;
        let mut f = std::io::BufWriter::new(file);
        let tee = self.recorder.writer_mut();
        f.write_all(&tee.memory)?;
        f.flush()?;
        tee.file = Some(f);
        self.file = Some(path.to_path_buf());
        Ok(self.recorder.entries())
    }

    /// Stop writing to the file (the journal goes on in memory).
    fn detach(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        self.file = None;
        match self.recorder.writer_mut().file.take() {
            Some(mut f) => f.flush(),
            None => Ok(()),
        }
    }

    /// Hand the app's new steps to the recorder.
    fn journal(&mut self, app: &mut App) {
        let mut failed = None;
        for step in app.take_steps() {
            let r = match &step {
                JournalStep::Call { line, text, call, records } => self.recorder.call(Some(*line), text, call, records),
                JournalStep::Wait { line, text, wait, records } => self.recorder.wait(Some(*line), text, wait, records),
                JournalStep::Marker { line, label } => Journal::marker(&mut self.recorder, Some(*line), label),
            };
            if let Err(e) = r {
                failed = Some(e);
            }
        }
        if self.file.is_some() {
            app.set_recording_entries(self.recorder.entries());
        }
        if let Some(e) = failed {
            let file = self.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
            app.update(Msg::Warning(format!("could not write the recording {file}: {e}")));
        }
    }
}

/// What `socklab learn --tui` opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonStart {
    /// The lesson picker.
    Picker,
    /// Lesson N (1-based), where the learner stopped.
    Number(usize),
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
    let (app, theme, mouse, _) = prepare_all(opts);
    (app, theme, mouse)
}

/// Now, in RFC 3339 (UTC): the recording's `started_at`, read here at the terminal layer.
fn started_at() -> String {
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    let secs = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    crate::session::record::rfc3339(secs)
}

/// [`prepare`], with the session's journal: the lab is built with the recorder's tap from the
/// start, and `--record FILE` is attached at once. `None` for a replay.
pub fn prepare_all(opts: &TuiOptions) -> (App, Theme, bool, Option<Recording>) {
    let env = |k: &str| std::env::var(k).ok();
    let path = opts.config.clone().or_else(|| Config::path(&env));
    let mut warnings = Vec::new();
    let config = match path.as_deref().map(crate::files::read_settings) {
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
    let (theme, w) = ui::theme::resolve(&choice, &|p| {
        crate::files::read_settings(std::path::Path::new(p)).map_err(|e| e.to_string())
    });
    warnings.extend(w);
    if let Some(start) = &opts.replay {
        let name = start
            .file
            .file_name()
            .map_or_else(|| start.file.display().to_string(), |n| n.to_string_lossy().into_owned());
        let opened = std::fs::File::open(&start.file).map_err(|e| e.to_string()).and_then(|f| {
            let src: crate::app::replay::ReplaySource = Box::new(std::io::BufReader::with_capacity(1 << 16, f));
            crate::session::replay::Replay::new(src).map_err(|e| e.to_string())
        });
        let opts_app = AppOptions { keymap: config.keymap, warnings, ..AppOptions::default() };
        let app = match opened {
            Ok(r) => App::replaying(r, name, start.idle_limit, opts_app),
            Err(e) => {
                let mut a = App::new(opts_app);
                a.update(Msg::Warning(format!("cannot open the recording {}: {e}", start.file.display())));
                a
            }
        };
        return (app, theme, opts.mouse || config.mouse.unwrap_or(false), None);
    }
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
    // The learner's progress, read as `socklab learn` reads it (SOCKLAB_DATA_DIR first).
    let progress_path = crate::learn::progress::Progress::default_path();
    let progress = match &progress_path {
        Some(p) => {
            let loaded = crate::learn::progress::Progress::load(p);
            warnings.extend(loaded.warning);
            loaded.progress
        }
        None => Default::default(),
    };
    // The session is journaled from its start: the lab's network goes through the recorder's
    // tap, and `R` later writes every step since the first.
    let personalities = crate::core::personality::PersonalityId::ALL;
    let network = if kernel.is_some() { Network::Live } else { Network::Sim };
    let header = Header::new(personalities, network, started_at(), &*facts);
    let tap = Tap::default();
    let clock: Option<crate::session::record::Clock> = match network {
        Network::Live => {
            let sw = crate::net::live::Stopwatch::start();
            Some(Box::new(move || sw.elapsed()))
        }
        Network::Sim => None,
    };
    let tee = Tee { memory: Vec::new(), file: None };
    let mut recording = match Recorder::with_tap(tee, &header, tap.clone(), clock) {
        Ok(recorder) => Some(Recording { recorder, file: None }),
        Err(e) => {
            warnings.push(format!("cannot journal the session: {e}"));
            None
        }
    };
    let facts = if recording.is_some() { tap.facts(facts) } else { facts };
    let kernel = match kernel {
        Some(k) if recording.is_some() => Some(tap.kernel(k)),
        k => k,
    };
    let mut app = App::new(AppOptions { facts, kernel, net, keymap: config.keymap, warnings, progress, progress_path });
    app.set_journaling(recording.is_some());
    if let (Some(path), Some(rec)) = (&opts.record, recording.as_mut()) {
        match rec.attach(path) {
            Ok(n) => app.recording_started(path.display().to_string(), n),
            Err(e) => {
                app.update(Msg::Warning(format!("cannot record to {}: {e}", path.display())));
            }
        }
    }
    match opts.lesson {
        Some(LessonStart::Picker) => {
            app.update(Msg::Key(Action::Lessons));
        }
        Some(LessonStart::Number(n)) => app.start_lesson(n),
        None => {}
    }
    (app, theme, opts.mouse || config.mouse.unwrap_or(false), recording)
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

async fn event_loop(
    term: &mut Term,
    mut app: App,
    theme: Theme,
    mouse: bool,
    rec: &mut Option<Recording>,
) -> Result<()> {
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
    // Replay: when the next step is due (the pacing adapters' gap, slept here).
    let mut replay_at: Option<tokio::time::Instant> = None;
    loop {
        let due = live && busy.is_none() && app.as_ref().is_some_and(|a| a.next_due().is_some());
        match app.as_ref().and_then(App::replay_delay) {
            Some(d) if replay_at.is_none() => replay_at = Some(tokio::time::Instant::now() + d),
            Some(_) => {}
            None => replay_at = None,
        }
        let replay_due = replay_at.unwrap_or_else(tokio::time::Instant::now);
        tokio::select! {
            _ = tokio::time::sleep_until(replay_due), if replay_at.is_some() && busy.is_none() => {
                replay_at = None;
                queue.push_back(Msg::ReplayTick);
            }
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
                let (mut a, fx) = done.map_err(|e| color_eyre::eyre::eyre!("the lab worker failed: {e}"))?;
                perform(&mut a, &fx, rec);
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
            perform(&mut a, &fx, rec);
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

/// The effects that touch files: saving the learner's progress, the recording. A failure is
/// shown in the status line (the effects of that update carry nothing more to do).
fn perform(app: &mut App, fx: &[Effect], rec: &mut Option<Recording>) {
    // The steps of this update go to the journal first (R writes them too).
    if let Some(r) = rec.as_mut() {
        r.journal(app);
    }
    for e in fx {
        match e {
            Effect::SaveProgress { path, progress } => {
                if let Err(err) = progress.save(path) {
                    app.update(Msg::Warning(format!("could not save your progress to {}: {err}", path.display())));
                }
            }
            Effect::StartRecording => {
                let Some(r) = rec.as_mut() else {
                    app.update(Msg::Warning("this session cannot be recorded (no journal)".into()));
                    continue;
                };
                #[allow(clippy::disallowed_methods)]
                let now = std::time::SystemTime::now();
                // The first free name: `attach` creates it exclusively, so a name taken (by a
                // file or a link, even a dangling one) moves on to the next.
                let mut path = PathBuf::from(default_recording_name(now));
                let mut attached = r.attach(&path);
                for n in 2..100 {
                    let taken = attached.as_ref().is_err_and(|_| std::fs::symlink_metadata(&path).is_ok());
                    if !taken {
                        break;
                    }
                    path = PathBuf::from(default_recording_name(now).replace(".ndjson", &format!("-{n}.ndjson")));
                    attached = r.attach(&path);
                }
                match attached {
                    Ok(so_far) => app.recording_started(path.display().to_string(), so_far),
                    Err(err) => {
                        app.update(Msg::Warning(format!("cannot record to {}: {err}", path.display())));
                    }
                }
            }
            Effect::StopRecording => {
                if let Some(r) = rec.as_mut() {
                    let entries = r.recorder.entries();
                    if let Err(err) = r.detach() {
                        app.update(Msg::Warning(format!("could not finish the recording: {err}")));
                    }
                    app.recording_stopped(entries);
                }
            }
            _ => {}
        }
    }
}

/// The default name of a TUI recording, `socklab-YYYYMMDD-HHMMSS.ndjson` (UTC), for the time
/// `now` read by the caller: the clock is read here, at the terminal layer, never in app/ui.
pub fn default_recording_name(now: std::time::SystemTime) -> String {
    let secs = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // `2026-11-21T09:30:00Z` -> `socklab-20261121-093000.ndjson`: one date routine in the crate.
    let stamp: String = crate::session::record::rfc3339(secs).chars().filter(char::is_ascii_digit).collect();
    format!("socklab-{}-{}.ndjson", &stamp[..8], &stamp[8..14])
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
    let (app, theme, mouse, mut rec) = prepare_all(&opts);
    // Two threads' worth: the loop, and a blocking worker for live calls.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let _restore = Restore;
    let mut term = enter(mouse)?;
    let res = rt.block_on(event_loop(&mut term, app, theme, mouse, &mut rec));
    restore_terminal();
    if let Some(r) = rec.as_mut() {
        if let Err(e) = r.detach() {
            eprintln!("socklab: could not finish the recording: {e}");
        }
    }
    // A live call may still block on the worker (a connect waiting for its timeout): do not
    // wait for it; the process is leaving.
    rt.shutdown_background();
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn recording_names_are_utc_dates() {
        let at = |s: u64| default_recording_name(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "socklab-19700101-000000.ndjson");
        assert_eq!(at(951_782_400), "socklab-20000229-000000.ndjson");
        assert_eq!(at(1_700_000_000), "socklab-20231114-221320.ndjson");
        assert_eq!(at(4_107_542_399), "socklab-21000228-235959.ndjson");
    }
}
