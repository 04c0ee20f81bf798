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
    /// `--winsock-judge COMMAND`: a Winsock agent judges the windows column (live network).
    pub winsock_judge: Option<String>,
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
        // The lesson picker (L) shows the learner's progress in a replay too.
        let progress_path = crate::learn::progress::Progress::default_path();
        let progress =
            progress_path.as_ref().map(|p| crate::learn::progress::Progress::load(p).progress).unwrap_or_default();
        let opts_app = AppOptions { keymap: config.keymap, warnings, progress, progress_path, ..AppOptions::default() };
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
    let mut winsock: Option<Box<dyn crate::session::lab::Kernel>> = None;
    let (net, facts, kernel): (NetKind, Box<dyn crate::core::facts::Facts + Send>, _) = match opts.net {
        TuiNet::Sim => (NetKind::Sim, Box::new(crate::net::sim::SimNet), None),
        TuiNet::Live => {
            match crate::net::live::limits::raise_nofile_limit() {
                Ok(r) if r.is_low() => warnings.push(r.to_string()),
                _ => {}
            }
            match crate::net::live::judge::LiveKernel::start() {
                Ok((k, f)) => {
                    if let Some(w) = moved_targets(&f) {
                        warnings.push(w);
                    }
                    if let Some(cmd) = &opts.winsock_judge {
                        match crate::net::live::agent::WinsockAgent::start(cmd, f.target_addrs(), Some(k.targets())) {
                            Ok(a) => {
                                winsock = Some(Box::new(a) as Box<dyn crate::session::lab::Kernel>);
                                // The recording format has no entry for a Winsock judge yet.
                                warnings.push(
                                    "Winsock judges the windows column; a recording of this session keeps Winsock's answers there, and a replay shows them as divergences".into(),
                                );
                            }
                            Err(e) => warnings.push(format!("no Winsock judge: {e}")),
                        }
                    }
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
    let mut app = App::new(AppOptions {
        facts,
        kernel,
        winsock_judge: winsock,
        net,
        keymap: config.keymap,
        warnings,
        progress,
        progress_path,
    });
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

/// Targets that could not have their lab port (another program holds it) and listen
/// elsewhere: said at start, since scripts and lessons name the lab ports.
fn moved_targets(live: &dyn crate::core::facts::Facts) -> Option<String> {
    use crate::core::call::{Family, NamedTarget};
    use crate::core::facts::Facts;
    let sim = crate::net::sim::SimNet;
    let moved: Vec<String> = NamedTarget::ALL
        .iter()
        .filter_map(|&t| {
            let (l, s) = (live.resolve(t, Family::V4)?, sim.resolve(t, Family::V4)?);
            (l.port() != s.port()).then(|| format!("{t} on port {} (not {})", l.port(), s.port()))
        })
        .collect();
    (!moved.is_empty()).then(|| {
        format!(
            "another program holds some lab ports, so {} here; name the targets (@accept, ...) rather than their ports (lessons run on the simulated network, where the lab ports hold)",
            moved.join(", ")
        )
    })
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

/// Job control: SIGTSTP (the terminal is restored, then the process stops) and SIGCONT (the
/// screen is entered again and redrawn). Never fires where there is no job control.
struct JobControl {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl JobControl {
    fn new() -> JobControl {
        #[cfg(unix)]
        {
            use crate::net::live::raw::signals::{SIG_CONT, SIG_TSTP};
            use tokio::signal::unix::{SignalKind, signal};
            let signals = match (signal(SignalKind::from_raw(SIG_TSTP)), signal(SignalKind::from_raw(SIG_CONT))) {
                (Ok(t), Ok(c)) => Some((t, c)),
                _ => None,
            };
            JobControl { signals }
        }
        #[cfg(not(unix))]
        JobControl {}
    }

    async fn recv(&mut self) -> JobSignal {
        #[cfg(unix)]
        if let Some((t, c)) = self.signals.as_mut() {
            return tokio::select! {
                _ = t.recv() => JobSignal::Stop,
                _ = c.recv() => JobSignal::Continue,
            };
        }
        std::future::pending().await
    }
}

/// A job-control signal.
enum JobSignal {
    Stop,
    Continue,
}

/// Completes when the process is asked to stop (SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGALRM).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int), Ok(mut quit), Ok(mut alrm)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::quit()),
            signal(SignalKind::alarm()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
            // SIGQUIT and SIGALRM would end the process without restoring the terminal.
            _ = quit.recv() => {}
            _ = alrm.recv() => {}
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

/// Back to the screen after a stop: raw mode, the alternate screen, a full redraw.
fn reenter(term: &mut Term, mouse: bool) -> Result<()> {
    if !ENTERED.load(Ordering::SeqCst) {
        enable_raw_mode()?;
        ENTERED.store(true, Ordering::SeqCst);
        execute!(stdout(), EnterAlternateScreen, crossterm::cursor::Hide)?;
        if mouse {
            execute!(stdout(), EnableMouseCapture)?;
        }
    }
    // Not Terminal::clear, which asks the terminal where its cursor is (the input thread would
    // swallow the answer): a blank frame makes the next one paint every cell.
    execute!(stdout(), crossterm::terminal::Clear(crossterm::terminal::ClearType::All))?;
    term.draw(|_| {})?;
    Ok(())
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
    let mut jobs = JobControl::new();
    // On the live network a step may block for real (a blocking connect to @pending waits for
    // the kernel's timeout): the app lends its kernel for the step (Effect::RunJob), the step
    // runs on a blocking worker, and this loop keeps the app: every key, view and overlay works,
    // the pending row's clock runs, Esc gives up on the step (Effect::Interrupt).
    let live = app.is_live();
    let mut job: Option<Job> = None;
    let mut queue: std::collections::VecDeque<Msg> = std::collections::VecDeque::new();
    // Replay: when the next step is due (the pacing adapters' gap, slept here).
    let mut replay_at: Option<tokio::time::Instant> = None;
    // Live: the models' clocks follow the real one while they have something due.
    let mut last_advance = crate::net::live::Stopwatch::start();
    loop {
        let due = live && job.is_none() && app.next_due().is_some();
        match app.replay_delay() {
            Some(d) if replay_at.is_none() => replay_at = Some(tokio::time::Instant::now() + d),
            Some(_) => {}
            None => replay_at = None,
        }
        let replay_due = replay_at.unwrap_or_else(tokio::time::Instant::now);
        // The pending row is drawn once the step has lasted 100 ms (quick calls never flicker),
        // then its clock once a second.
        let clock_due = job.as_ref().map(|j| j.next_clock).unwrap_or_else(tokio::time::Instant::now);
        // Until the next whole second of the idle clock (keys in between do not delay it).
        let idle_tick = std::time::Duration::from_secs(1).saturating_sub(last_advance.elapsed());
        let fx = tokio::select! {
            _ = tokio::time::sleep_until(replay_due), if replay_at.is_some() => {
                replay_at = None;
                app.update(Msg::ReplayTick)
            }
            _ = tokio::time::sleep(std::time::Duration::from_millis(50)), if due => {
                let d = last_advance.elapsed();
                last_advance = crate::net::live::Stopwatch::start();
                app.update(Msg::Advance(d))
            }
            // Live and nothing due: the models' clocks (the status line's `t=`) still follow
            // the real one, a second at a time (one wake-up a second, no CPU in between).
            _ = tokio::time::sleep(idle_tick), if live && job.is_none() && !due && app.replay().is_none() => {
                let d = last_advance.elapsed();
                last_advance = crate::net::live::Stopwatch::start();
                let mut fx = app.update(Msg::Advance(d));
                if !fx.contains(&Effect::Redraw) {
                    fx.push(Effect::Redraw);
                }
                fx
            }
            ev = rx.recv() => match ev {
                // --mouse: a click selects the socket or log row under it, or focuses a panel.
                Some(Event::Mouse(m)) if mouse && matches!(m.kind, MouseEventKind::Down(crossterm::event::MouseButton::Left)) => {
                    let area = term.size().map(|s| ratatui::layout::Rect::new(0, 0, s.width, s.height))?;
                    match ui::click(&app, area, m.column, m.row) {
                        Some(ui::Click::Socket(i)) => app.select_socket(i),
                        Some(ui::Click::Row(i)) => app.select_row(i),
                        Some(ui::Click::Focus(f)) => app.set_focus(f),
                        None => continue,
                    }
                    vec![Effect::Redraw]
                }
                // Ctrl-Z: raw mode keeps the terminal from sending SIGTSTP, so suspend here as a
                // shell user expects (the terminal restored first; `fg` brings the screen back).
                Some(Event::Key(k))
                    if k.kind == KeyEventKind::Press
                        && k.code == CtKey::Char('z')
                        && k.modifiers.contains(KeyModifiers::CONTROL) =>
                {
                    restore_terminal();
                    crate::net::live::raw::signals::stop_self();
                    reenter(term, mouse)?;
                    vec![Effect::Redraw]
                }
                Some(ev) => match msg_of(ev, mouse) {
                    Some(msg) => {
                        queue.push_back(msg);
                        Vec::new()
                    }
                    None => continue,
                },
                None => return Ok(()),
            },
            _ = &mut stop => return Ok(()),
            js = jobs.recv() => {
                if let JobSignal::Stop = js {
                    // Leave the screen as a shell expects it, then stop as SIGTSTP would.
                    restore_terminal();
                    crate::net::live::raw::signals::stop_self();
                }
                // Continued (after our stop, or someone else's SIGSTOP): enter and redraw all.
                reenter(term, mouse)?;
                vec![Effect::Redraw]
            }
            done = async { (&mut job.as_mut().expect("guarded").handle).await }, if job.is_some() => {
                job = None;
                let (k, done) = done.map_err(|e| color_eyre::eyre::eyre!("the lab worker failed: {e}"))?;
                // The step's own time was counted by the step.
                last_advance = crate::net::live::Stopwatch::start();
                app.kernel_done(k, done)
            }
            _ = tokio::time::sleep_until(clock_due), if job.is_some() => {
                let j = job.as_mut().expect("guarded");
                j.next_clock += std::time::Duration::from_secs(1);
                j.shown = true;
                app.update(Msg::JobClock(j.started.elapsed()))
            }
        };
        if step(term, &mut app, &theme, fx, rec, &mut job)? {
            return Ok(());
        }
        // Keys typed ahead of a quick call wait for its answer (the `n` after `t` needs the
        // socket); once a step visibly blocks, keys go to the app, which stays usable.
        while job.as_ref().is_none_or(|j| j.shown) {
            let Some(msg) = queue.pop_front() else { break };
            let fx = app.update(msg);
            if step(term, &mut app, &theme, fx, rec, &mut job)? {
                return Ok(());
            }
        }
    }
}

/// After an update: files first (recording, progress), then a new job, an interruption, the
/// frame. Returns whether to quit.
fn step(
    term: &mut Term,
    app: &mut App,
    theme: &Theme,
    mut fx: Vec<Effect>,
    rec: &mut Option<Recording>,
    job: &mut Option<Job>,
) -> Result<bool> {
    {
        perform(app, &fx, rec);
        if fx.contains(&Effect::Interrupt) {
            if let Some(stop) = job.as_ref().and_then(|j| j.stop.as_ref()) {
                let what = stop.interrupt();
                app.interrupted(what);
            }
        }
        if fx.contains(&Effect::RunJob) && job.is_none() {
            if let Some((kjob, mut k, stop)) = app.take_job() {
                let handle = tokio::task::spawn_blocking(move || {
                    let done = kjob.run(&mut *k);
                    (k, done)
                });
                let now = tokio::time::Instant::now();
                *job = Some(Job {
                    handle,
                    stop,
                    started: crate::net::live::Stopwatch::start(),
                    next_clock: now + std::time::Duration::from_millis(100),
                    shown: false,
                });
                // Not drawn yet: most calls answer within the 100 ms.
                fx.retain(|e| *e != Effect::Redraw);
            }
        }
        if fx.contains(&Effect::Quit) {
            return Ok(true);
        }
        if fx.contains(&Effect::Redraw) {
            term.draw(|f| ui::render(f, f.area(), app, theme))?;
        }
    }
    Ok(false)
}

/// A live step running on the blocking worker.
struct Job {
    handle: tokio::task::JoinHandle<(Box<dyn crate::session::lab::Kernel>, crate::session::lab::KernelDone)>,
    /// Cuts the step short from this thread (Esc).
    stop: Option<Box<dyn crate::session::lab::Interrupt>>,
    started: crate::net::live::Stopwatch,
    /// When the pending row's clock is next redrawn.
    next_clock: tokio::time::Instant,
    /// The step has lasted 100 ms and is drawn as pending: keys go to the app again.
    shown: bool,
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

/// Run the TUI until the user quits or the process is asked to stop.
pub fn run_tui(opts: TuiOptions) -> Result<()> {
    install_hooks();
    let (app, theme, mouse, mut rec) = prepare_all(&opts);
    // Two threads' worth: the loop, and a blocking worker for live calls.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // A stray SIGUSR1 must not end the program with the terminal left raw.
    let _ = crate::net::live::raw::signals::tame_usr1();
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

    /// Issue 12 item 9: a target that had to take another port is said at start.
    #[test]
    fn moved_targets_are_said() {
        use crate::core::call::{Family, NamedTarget};
        use crate::core::facts::{Facts, RouteFact, TcpFact, UdpFact};
        use crate::net::sim::SimNet;
        use std::net::{IpAddr, SocketAddr};
        struct Moved;
        impl Facts for Moved {
            fn resolve(&self, t: NamedTarget, f: Family) -> Option<SocketAddr> {
                match t {
                    NamedTarget::Accept => Some(SocketAddr::from(([127, 0, 0, 1], 40000))),
                    _ => SimNet.resolve(t, f),
                }
            }
            fn route(&self, ip: IpAddr) -> RouteFact {
                SimNet.route(ip)
            }
            fn is_local(&self, ip: IpAddr) -> bool {
                SimNet.is_local(ip)
            }
            fn tcp(&self, dst: SocketAddr) -> TcpFact {
                SimNet.tcp(dst)
            }
            fn udp(&self, dst: SocketAddr) -> UdpFact {
                SimNet.udp(dst)
            }
        }
        let w = moved_targets(&Moved).expect("said");
        assert!(w.contains("@accept on port 40000 (not 7001)"), "{w}");
        assert_eq!(moved_targets(&SimNet), None);
    }

    #[test]
    fn recording_names_are_utc_dates() {
        let at = |s: u64| default_recording_name(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "socklab-19700101-000000.ndjson");
        assert_eq!(at(951_782_400), "socklab-20000229-000000.ndjson");
        assert_eq!(at(1_700_000_000), "socklab-20231114-221320.ndjson");
        assert_eq!(at(4_107_542_399), "socklab-21000228-235959.ndjson");
    }
}
