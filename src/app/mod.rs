//! Application state and `update(msg) -> effects`. No terminal, no clock.
//!
//! The [`App`] holds a [`Lab`] over every personality and everything the screen shows: the call
//! log, the notifications as they arrived, the socket list and selection, the prompt, overlays,
//! pause and the status line. It changes only through [`App::update`]; the terminal layer turns
//! key presses into [`Msg::Input`] and acts on the returned [`Effect`]s, and tests send messages
//! directly (gitui style).
//!
//! Time passes only when a line says so (`wait`, the `w` key) or through [`Msg::Advance`] (a
//! live clock or a replay); there is no tick.
//!
//! Every key that does something to a socket is turned into a line of the command language, run
//! exactly as if typed at the prompt and shown in the log, so the user learns the language.

pub mod blocking;
pub mod config;
pub mod explain;
pub mod keys;
pub mod lang;
pub mod lesson;
pub mod prompt;
pub mod replay;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use crate::core::call::{Call, NamedTarget, Proto};
use crate::core::codes::Code;
use crate::core::compare::{Mark, Verdict};
use crate::core::engine::SocketView;
use crate::core::facts::Facts;
use crate::core::format::{answer_text, error_text, notification_text, ret_text};
use crate::core::model::{Cause, Notification, Ret, State, Transition, Value};
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;
use crate::core::rules;
use crate::learn::progress::Progress;
use crate::learn::run::StepOutcome;
use crate::script::ast::{Stmt, StmtKind, Wait};
use crate::script::run::{Output, run};
use crate::session::lab::{CallRecord, KernelDone, KernelJob, Lab, Until, WaitRecord, verdict, wait_verdict};
use crate::session::record::{Cond, WaitSpec, to_ms};

use keys::{Action, Key, KeyCode, KeyMap};
use lang::{Names, parse_line};
use lesson::{LessonPanel, OutcomeView};
use prompt::{Prompt, PromptEdit};

/// Virtual time the `w` key lets pass.
pub const WAIT_STEP: Duration = Duration::from_millis(1000);
/// Notifications kept for the panel; older ones are dropped (the log keeps every call).
pub const NOTES_KEPT: usize = 10_000;

/// What happened: input, time, the terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A named action (what a key of the key map means). Tests send these directly.
    Key(Action),
    /// A key press as the terminal reported it; the app routes it to the prompt, a picker or
    /// the key map depending on what is open.
    Input(Key),
    /// Edit the prompt's line.
    Prompt(PromptEdit),
    /// Enter in the prompt: run the line.
    PromptSubmit,
    /// Run a line of the command language as if typed (scripts, replays, tests).
    Line(String),
    /// Virtual time passes (a live clock, a replay). Held while paused.
    Advance(Duration),
    /// The terminal has a new size (columns, rows).
    Resize(u16, u16),
    /// Something outside the app went wrong (saving progress, writing a recording): shown as a
    /// warning in the status line.
    Warning(String),
    /// Replay: the pause before the next step is over (the terminal layer slept it); play it.
    ReplayTick,
    /// Live: how long the blocking step ([`App::pending`]) has run, in real time.
    JobClock(Duration),
}

/// What the terminal layer must do after an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Something visible changed: draw a frame.
    Redraw,
    /// Leave the application.
    Quit,
    /// Save the learner's progress (the terminal layer writes the file, as `socklab learn`
    /// does).
    SaveProgress { path: PathBuf, progress: Progress },
    /// Start recording (`R`): the terminal layer opens the file, writes the session's steps so
    /// far and calls [`App::recording_started`].
    StartRecording,
    /// Stop recording (`R` again): the terminal layer closes the file and calls
    /// [`App::recording_stopped`].
    StopRecording,
    /// Live: a step needs the kernel, which may block in real time. The terminal layer takes
    /// it with [`App::take_job`], runs it on a worker thread and hands the answer to
    /// [`App::kernel_done`]; the app stays usable meanwhile.
    RunJob,
    /// Live: the user gave up on the blocking step: the terminal layer interrupts it from the
    /// side and tells the app what it did ([`App::interrupted`]).
    Interrupt,
}

/// One step of the session, for the recording: the terminal layer drains them
/// ([`App::take_steps`]) after each update and hands them to the recorder's journal.
#[derive(Clone, Debug)]
pub enum JournalStep {
    /// A call answered by every personality.
    Call { line: usize, text: String, call: Call, records: Vec<CallRecord> },
    /// Time passed (`wait`, or the live clock).
    Wait { line: usize, text: String, wait: WaitSpec, records: Vec<WaitRecord> },
    /// `mark LABEL`.
    Marker { line: usize, label: String },
}

/// How the status line speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub level: Level,
}

/// An overlay over the main view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// The help generated from the key map.
    Help { scroll: u16 },
    /// The explanation of one log entry.
    Explain { entry: usize, scroll: u16 },
    /// Pick a target for `connect` on a socket.
    Picker { sock: String, selected: usize },
    /// Pick a lesson (`learn::lesson::all()`), with the learner's progress.
    Lessons { selected: usize },
}

/// What a log row holds.
#[derive(Clone, Debug)]
pub enum Body {
    /// An API call answered by every personality.
    Call { call: Call, records: Vec<CallRecord>, verdict: Verdict },
    /// Time passed (`wait`): what each personality saw happen.
    Wait { records: Vec<WaitRecord>, verdict: Verdict },
    /// An `expect` line: per personality `None` (not checked), pass, or the failure.
    Expect { results: Vec<Option<Result<(), String>>> },
}

/// One row of the call log.
#[derive(Clone, Debug)]
pub struct LogEntry {
    /// 1-based line number, as parse errors and transcripts count.
    pub line_no: usize,
    /// The command-language line.
    pub text: String,
    /// Whether a key produced the line (shown so the user learns the language).
    pub from_key: bool,
    pub body: Body,
    /// Live: the user gave up on this blocking step, and what socklab did about it.
    pub gave_up: Option<String>,
}

/// The tone of a cell: how it is styled (and which symbol marks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Error,
    /// The call does not exist for this personality.
    NotApplicable,
    /// Nothing to report.
    Quiet,
}

/// One personality's answer in a log row, in three lengths so narrow screens can pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Return value, error by name and number, value (`SOCKET_ERROR WSAEWOULDBLOCK (10035)`).
    pub full: String,
    /// Error by name and number without the return value (`WSAEWOULDBLOCK 10035`).
    pub medium: String,
    /// Error name only (`WSAEWOULDBLOCK`).
    pub short: String,
    pub tone: Tone,
    /// The answer's rule is socklab's reading, not documented nor measured: shown with `?`.
    pub assumed: bool,
}

impl Cell {
    /// The longest form that fits `width` columns (the `?` included), truncated if none does.
    pub fn fit(&self, width: usize) -> String {
        let extra = if self.assumed { 2 } else { 0 };
        let body = [&self.full, &self.medium, &self.short]
            .into_iter()
            .find(|s| s.chars().count() + extra <= width)
            .cloned()
            .unwrap_or_else(|| truncate(&self.short, width.saturating_sub(extra)));
        if self.assumed { format!("{body} ?") } else { body }
    }
}

/// Cut to `n` columns with an ellipsis.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else if n == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

impl LogEntry {
    /// How the personalities' answers on this row relate (`≈`, `≠`; [`crate::core::compare`]).
    pub fn mark(&self) -> Mark {
        match &self.body {
            Body::Call { verdict, .. } | Body::Wait { verdict, .. } => verdict.mark,
            Body::Expect { results } => {
                let r: Vec<_> = results.iter().flatten().map(Result::is_ok).collect();
                if r.windows(2).any(|w| w[0] != w[1]) { Mark::Differs } else { Mark::Same }
            }
        }
    }

    /// Whether the personalities differ for real on this row (`≠`).
    pub fn differs(&self) -> bool {
        self.mark() == Mark::Differs
    }

    /// What differs, aspect by aspect (empty for an `expect` row).
    pub fn verdict(&self) -> Option<&Verdict> {
        match &self.body {
            Body::Call { verdict, .. } | Body::Wait { verdict, .. } => Some(verdict),
            Body::Expect { .. } => None,
        }
    }

    /// The cell of personality `k`.
    pub fn cell(&self, k: usize) -> Cell {
        match &self.body {
            Body::Call { records, .. } => records.get(k).map(call_cell).unwrap_or_else(quiet_cell),
            Body::Wait { records, .. } => records.get(k).map(wait_cell).unwrap_or_else(quiet_cell),
            Body::Expect { results } => match results.get(k) {
                Some(Some(Ok(()))) => plain_cell("pass", Tone::Ok),
                Some(Some(Err(m))) => Cell {
                    full: format!("FAIL: {m}"),
                    medium: "FAIL".into(),
                    short: "FAIL".into(),
                    tone: Tone::Error,
                    assumed: false,
                },
                _ => plain_cell("-", Tone::Quiet),
            },
        }
    }

    /// Every cell, in column order.
    pub fn cells(&self, n: usize) -> Vec<Cell> {
        (0..n).map(|k| self.cell(k)).collect()
    }

    /// The call's records, if the row is a call.
    pub fn records(&self) -> Option<&[CallRecord]> {
        match &self.body {
            Body::Call { records, .. } => Some(records),
            _ => None,
        }
    }
}

fn plain_cell(s: &str, tone: Tone) -> Cell {
    Cell { full: s.into(), medium: s.into(), short: s.into(), tone, assumed: false }
}

fn quiet_cell() -> Cell {
    plain_cell("-", Tone::Quiet)
}

/// Whether a personality's answer rests on an assumed rule.
pub fn assumed(rule: &str, p: PersonalityId) -> bool {
    rules::assumed(rule, p)
}

fn call_cell(r: &CallRecord) -> Cell {
    let p = Profile::of(r.personality);
    let a = &r.answer;
    let full = answer_text(a, p);
    let (medium, short, tone) = match (a.ret, a.error) {
        (Ret::NotApplicable, _) => ("n/a".to_string(), "n/a".to_string(), Tone::NotApplicable),
        (_, Some(e)) => (format!("{} {}", e.name(), e.number()), e.name().to_string(), Tone::Error),
        (ret, None) => {
            let v = match &a.value {
                Value::None => String::new(),
                v => format!(" {}", crate::core::format::value_text(v, p)),
            };
            let rt = ret_text(&ret, p);
            // The value is the answer that matters (select sets, events, an option): a narrow
            // column wraps it rather than dropping it.
            (format!("{rt}{v}"), format!("{rt}{v}"), Tone::Ok)
        }
    };
    let mut c = Cell { full, medium, short, tone, assumed: assumed(a.rule, r.personality) };
    // Live: socklab did not make this call for real; the column shows the model's answer and
    // says so (`⊘`), never as if the kernel had answered.
    if let (Some(crate::session::lab::KernelAnswer::NotPerformed { why }), false) =
        (&r.kernel, a.ret == Ret::NotApplicable)
    {
        c.full = format!("⊘ not made ({why}); model: {}", c.full);
        c.medium = format!("⊘ model: {}", c.medium);
        c.short = format!("⊘ {}", c.short);
    }
    if let Some(d) = &r.disagreement {
        // The judge's answer is shown; the mark says the model predicted otherwise.
        c.full = format!("≠MODEL {}  ({d})", c.full);
        c.medium = format!("≠MODEL {}", c.medium);
        c.short = format!("≠{}", c.short);
    }
    c
}

fn wait_cell(r: &WaitRecord) -> Cell {
    let ts = &r.events.transitions;
    if ts.is_empty() {
        let s = if r.met { "-" } else { "not reached" };
        return plain_cell(s, if r.met { Tone::Quiet } else { Tone::Error });
    }
    let full =
        ts.iter().map(|t| format!("{}→{}{}", t.sock, t.to, t.error.map(|e| format!(" {e}")).unwrap_or_default()));
    let full = full.collect::<Vec<_>>().join(", ");
    let medium = ts
        .iter()
        .map(|t| {
            format!(
                "{}→{}{}",
                t.sock,
                t.to,
                t.error.map(|e| format!(" {} {}", e.name(), e.number())).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let short = ts
        .iter()
        .map(|t| format!("{}→{}{}", t.sock, t.to, t.error.map(|e| format!(" {}", e.name())).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ");
    let tone = if ts.iter().any(|t| t.error.is_some()) { Tone::Error } else { Tone::Ok };
    Cell { full, medium, short, tone, assumed: false }
}

/// A state change in words: a new socket is not a move from `closed`, and a change that keeps
/// the state (a reset on a connected socket) says what happened rather than `connected →
/// connected`.
pub fn transition_words(t: &Transition) -> String {
    let cause = match &t.cause {
        Cause::Call(c) => c.to_string(),
        Cause::Net(n) => n.to_string(),
    };
    let err = t.error.map(|e| format!(" {e}")).unwrap_or_default();
    if t.from == State::Closed && matches!(&t.cause, Cause::Call(_)) {
        format!("new socket, {} ({cause}){err}", t.to)
    } else if t.from == t.to {
        format!("still {}: {cause}{err}", t.to)
    } else {
        format!("{} → {} ({cause}){err}", t.from, t.to)
    }
}

/// What kind of thing a notification reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// `WSAEventSelect` network event.
    Event,
    /// `WSAAsyncSelect` window message.
    Message,
    /// Overlapped completion.
    Completion,
    /// poll/epoll readiness bits.
    Readiness,
    /// A state change the network caused.
    State,
    /// The sets `select` left, or `WSAPoll` revents.
    Select,
}

impl NoteKind {
    /// A short tag for the panel (never colour alone).
    pub fn tag(self) -> &'static str {
        match self {
            NoteKind::Event => "FD",
            NoteKind::Message => "WM",
            NoteKind::Completion => "IO",
            NoteKind::Readiness => "POLL",
            NoteKind::State => "STATE",
            NoteKind::Select => "SEL",
        }
    }
}

/// One line of the notification panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Column index of the personality.
    pub personality: usize,
    pub kind: NoteKind,
    pub sock: String,
    pub text: String,
    /// Carries an error code.
    pub error: bool,
    pub at: Duration,
}

/// One socket of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SockEntry {
    pub name: String,
    /// The log row of the socket's last call (its answer is the list's "last answer").
    pub last_entry: Option<usize>,
    /// The last state change, per personality.
    pub last: Vec<Option<Transition>>,
}

/// The panel whose selection moved last (only its title and border are lit; keys do not
/// depend on it: there are no modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Sockets,
    Log,
    Notes,
    /// The lesson panel (while a lesson runs).
    Lesson,
}

/// Where the TUI's network facts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetKind {
    Sim,
    Live,
}

/// Everything [`App::new`] needs.
pub struct AppOptions {
    pub facts: Box<dyn Facts + Send>,
    /// The live network's kernel (`None`: the simulated network).
    pub kernel: Option<Box<dyn crate::session::lab::Kernel>>,
    /// A Winsock agent judging the windows column (`--winsock-judge`).
    pub winsock_judge: Option<Box<dyn crate::session::lab::Kernel>>,
    pub net: NetKind,
    pub keymap: KeyMap,
    /// Shown in the status line at start (broken theme, bad key binding, ...).
    pub warnings: Vec<String>,
    /// The learner's progress, as loaded (the lesson picker's marks; lessons resume from it).
    pub progress: Progress,
    /// Where progress is saved (`None`: it is not kept).
    pub progress_path: Option<PathBuf>,
}

impl std::fmt::Debug for AppOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppOptions").field("net", &self.net).field("warnings", &self.warnings).finish_non_exhaustive()
    }
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            facts: Box::new(crate::net::sim::SimNet),
            kernel: None,
            winsock_judge: None,
            net: NetKind::Sim,
            keymap: KeyMap::default(),
            warnings: Vec::new(),
            progress: Progress::default(),
            progress_path: None,
        }
    }
}

/// The application.
#[derive(Debug)]
pub struct App {
    /// The lab on screen and its views (a lesson swaps in its own, [`App::stash`] keeps the
    /// main one meanwhile).
    ws: Workspace,
    personalities: Vec<PersonalityId>,
    focus: Focus,
    view: usize,
    prompt: Prompt,
    overlay: Option<Overlay>,
    paused: bool,
    held: Duration,
    recording: Option<String>,
    rec_entries: usize,
    status: Status,
    keymap: KeyMap,
    size: (u16, u16),
    quit: bool,
    /// The lesson in the side panel.
    lesson: Option<Box<LessonPanel>>,
    /// The main lab and its views, put aside while a lesson runs.
    stash: Option<Box<Workspace>>,
    /// Time from outside (a live clock) that arrived during a lesson: applied on its close.
    lesson_held: Duration,
    progress: Progress,
    progress_path: Option<PathBuf>,
    /// Effects decided inside an update besides redraw/quit (saving progress).
    effects: Vec<Effect>,
    /// Whether steps are kept for the terminal layer's recorder.
    journal: bool,
    /// Steps not yet taken by the terminal layer.
    steps: Vec<JournalStep>,
    /// The recording being replayed (`socklab replay FILE`).
    replay: Option<Box<replay::ReplayState>>,
    /// Live: the step waiting for the kernel, shown in the log with its clock.
    pending: Option<blocking::Pending>,
    /// Notifications panel: how many notes back from the newest it shows (0: the newest).
    notes_scroll: usize,
    /// Lesson panel: lines scrolled.
    lesson_scroll: u16,
    /// Live: the clock's time since the last journaled step, with what each personality saw.
    idle: Option<(Duration, Vec<WaitRecord>)>,
    /// Live: the kernel and its job, until the terminal layer takes them.
    job: Option<blocking::Lent>,
}

/// A lab and what the screen shows of it: the main one, or a lesson's (swapped in whole while
/// the lesson has the screen, swapped back when it closes).
#[derive(Debug)]
struct Workspace {
    lab: Lab,
    names: Names,
    net: NetKind,
    log: Vec<LogEntry>,
    notes: VecDeque<Note>,
    sockets: Vec<SockEntry>,
    sock_index: HashMap<String, usize>,
    selected_socket: Option<usize>,
    /// `None`: follow the newest row.
    selected_row: Option<usize>,
}

impl Workspace {
    fn new(lab: Lab, net: NetKind) -> Workspace {
        Workspace {
            lab,
            names: Names::default(),
            net,
            log: Vec::new(),
            notes: VecDeque::new(),
            sockets: Vec::new(),
            sock_index: HashMap::new(),
            selected_socket: None,
            selected_row: None,
        }
    }

    /// A fresh lab of the simulated network (lessons run there).
    fn sim(personalities: &[PersonalityId]) -> Workspace {
        Workspace::new(Lab::new(personalities, Box::new(crate::net::sim::SimNet)), NetKind::Sim)
    }
}

impl App {
    /// Whether a real kernel answers too (the live network).
    pub fn is_live(&self) -> bool {
        self.ws.lab.is_live()
    }

    /// A fresh lab over every personality.
    pub fn new(opts: AppOptions) -> App {
        let personalities = PersonalityId::ALL.to_vec();
        let status = match opts.warnings.as_slice() {
            [] => Status {
                text: "Welcome: t new TCP socket, u UDP, c connect, w wait, : prompt, ? help".into(),
                level: Level::Info,
            },
            w => Status { text: format!("warning: {}", w.join("; ")), level: Level::Warn },
        };
        let lab = match (opts.kernel, opts.winsock_judge) {
            (Some(kernel), Some(judge)) => Lab::live(&personalities, opts.facts, kernel).with_winsock_judge(judge),
            (Some(kernel), None) => Lab::live(&personalities, opts.facts, kernel),
            (None, _) => Lab::new(&personalities, opts.facts),
        };
        App {
            ws: Workspace::new(lab, opts.net),
            personalities,
            focus: Focus::Log,
            notes_scroll: 0,
            lesson_scroll: 0,
            view: 0,
            prompt: Prompt::default(),
            overlay: None,
            paused: false,
            held: Duration::ZERO,
            recording: None,
            rec_entries: 0,
            status,
            keymap: opts.keymap,
            size: (80, 24),
            quit: false,
            lesson: None,
            stash: None,
            lesson_held: Duration::ZERO,
            progress: opts.progress,
            progress_path: opts.progress_path,
            effects: Vec::new(),
            journal: false,
            steps: Vec::new(),
            replay: None,
            pending: None,
            idle: None,
            job: None,
        }
    }

    /// Keep every step of the main lab for a recorder ([`App::take_steps`]). The terminal layer
    /// turns this on from the start, so that `R` can write the whole session.
    pub fn set_journaling(&mut self, on: bool) {
        self.journal = on;
        if !on {
            self.steps.clear();
        }
    }

    /// The steps since the last call (empty unless journaling).
    pub fn take_steps(&mut self) -> Vec<JournalStep> {
        std::mem::take(&mut self.steps)
    }

    fn journal_step(&mut self, step: JournalStep) {
        // A lesson runs in its own lab, and a replay only shows a recording.
        if self.journal && self.lesson.is_none() && self.replay.is_none() {
            self.flush_idle();
            self.steps.push(step);
        }
    }

    /// The live clock's time since the last step, as one wait (the user's pause), before the
    /// next step or when something happened: a recording holds what happened, not clock ticks.
    fn flush_idle(&mut self) {
        let Some((d, records)) = self.idle.take() else { return };
        if d.is_zero() || !self.journal || self.lesson.is_some() || self.replay.is_some() {
            return;
        }
        let text = format!("wait {}", d.as_millis());
        let step = JournalStep::Wait { line: self.ws.log.len(), text, wait: WaitSpec::For { ms: to_ms(d) }, records };
        self.steps.push(step);
    }

    /// The terminal layer started a recording to `file`; `so_far` entries (the session's steps
    /// before `R`) were written first.
    pub fn recording_started(&mut self, file: String, so_far: usize) {
        let text = if so_far == 0 {
            format!("recording to {file}; R stops, M adds a marker")
        } else {
            format!("the session's {so_far} entries so far written first to {file}; recording on: R stops, M marks")
        };
        self.set_status(text, Level::Info);
        self.recording = Some(file);
        self.rec_entries = so_far;
    }

    /// The terminal layer stopped the recording.
    pub fn recording_stopped(&mut self, entries: usize) {
        if let Some(f) = self.recording.take() {
            self.set_status(format!("recording stopped: {f}, {entries} entries; R starts a new one"), Level::Info);
        }
        self.rec_entries = 0;
    }

    // -----------------------------------------------------------------------------------------
    // Read access for the views
    // -----------------------------------------------------------------------------------------

    /// The lab the screen shows (read-only): the lesson's lab while a lesson runs.
    pub fn lab(&self) -> &Lab {
        if let Some(r) = &self.replay {
            return r.lab();
        }
        match &self.lesson {
            Some(l) => l.run.lab(),
            None => &self.ws.lab,
        }
    }
    /// The lesson in the side panel.
    pub fn lesson(&self) -> Option<&LessonPanel> {
        self.lesson.as_deref()
    }
    /// The learner's progress (as saved).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }
    /// Personalities in column order.
    pub fn personalities(&self) -> &[PersonalityId] {
        &self.personalities
    }
    /// The call log.
    pub fn log(&self) -> &[LogEntry] {
        &self.ws.log
    }
    /// Notifications, oldest first.
    pub fn notes(&self) -> &VecDeque<Note> {
        &self.ws.notes
    }
    /// Sockets in creation order.
    pub fn sockets(&self) -> &[SockEntry] {
        &self.ws.sockets
    }
    /// Index of the selected socket.
    pub fn selected_socket(&self) -> Option<usize> {
        self.ws.selected_socket
    }
    /// The selected log row; `None` while following the newest.
    pub fn selected_row(&self) -> Option<usize> {
        self.ws.selected_row
    }
    /// The row shown as selected: the chosen one or the newest.
    pub fn current_row(&self) -> Option<usize> {
        self.ws.selected_row.or(self.ws.log.len().checked_sub(1))
    }
    /// The panel whose selection moved last.
    /// How many notes back from the newest the notifications panel shows.
    pub fn notes_scroll(&self) -> usize {
        self.notes_scroll
    }

    /// Lines the lesson panel is scrolled.
    pub fn lesson_scroll(&self) -> u16 {
        self.lesson_scroll
    }

    /// Select log row `i` (a mouse click); the newest row means following again.
    pub fn select_row(&mut self, i: usize) {
        if i < self.ws.log.len() {
            self.focus = Focus::Log;
            self.ws.selected_row = if i + 1 == self.ws.log.len() { None } else { Some(i) };
        }
    }

    /// Select socket `i` (a mouse click).
    pub fn select_socket(&mut self, i: usize) {
        if i < self.ws.sockets.len() {
            self.focus = Focus::Sockets;
            self.ws.selected_socket = Some(i);
        }
    }

    /// Focus a panel (a mouse click).
    pub fn set_focus(&mut self, f: Focus) {
        if f != Focus::Lesson || self.lesson.is_some() {
            self.focus = f;
        }
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }
    /// Column index of the personality shown in Sockets and State machine.
    pub fn view(&self) -> usize {
        self.view
    }
    /// The prompt.
    pub fn prompt(&self) -> &Prompt {
        &self.prompt
    }
    /// The open overlay.
    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_ref()
    }
    /// Whether time is held.
    pub fn paused(&self) -> bool {
        self.paused
    }
    /// Virtual time held while paused.
    pub fn held(&self) -> Duration {
        self.held
    }
    /// The recording indicator (file name) when a session is being recorded.
    pub fn recording(&self) -> Option<&str> {
        self.recording.as_deref()
    }
    /// Entries written to the recording so far (shown as `● REC 12 entries`).
    pub fn recording_entries(&self) -> usize {
        self.rec_entries
    }
    /// Set the recording indicator (the recorder lives in the session layer).
    pub fn set_recording(&mut self, file: Option<String>) {
        self.recording = file;
        self.rec_entries = 0;
    }
    /// Update the indicator's entry count.
    pub fn set_recording_entries(&mut self, n: usize) {
        self.rec_entries = n;
    }
    /// The status line.
    pub fn status(&self) -> &Status {
        &self.status
    }
    /// The key map in force.
    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }
    /// The terminal size last reported.
    pub fn size(&self) -> (u16, u16) {
        self.size
    }
    /// Whether the app has asked to quit.
    pub fn quitting(&self) -> bool {
        self.quit
    }
    /// Which network answers.
    pub fn net(&self) -> NetKind {
        self.ws.net
    }
    /// The socket names the prompt knows.
    pub fn names(&self) -> &Names {
        &self.ws.names
    }
    /// Virtual time of a personality.
    pub fn now(&self, k: usize) -> Duration {
        self.lab().hosts()[k].now()
    }

    /// One socket as personality `k` sees it (`None` if it does not exist there).
    pub fn socket_view(&self, entry: &SockEntry, k: usize) -> Option<SocketView> {
        self.lab().hosts().get(k)?.socket_view(&entry.name)
    }

    /// The selected socket's entry.
    pub fn selected(&self) -> Option<&SockEntry> {
        self.ws.selected_socket.and_then(|i| self.ws.sockets.get(i))
    }

    /// Whether the personalities disagree on a socket's state.
    pub fn states_differ(&self, entry: &SockEntry) -> bool {
        let mut states = self.lab().hosts().iter().map(|h| h.state(&entry.name));
        let first = states.next().flatten();
        states.any(|s| s != first)
    }

    /// The kernel's TCP state beside the API state: TCP_INFO on the live network; on the
    /// simulated network it is derived from the `linux` personality's state and marked `(sim)`.
    /// Live: why the socket's last call was not made for real (the `linux` column then shows
    /// the model's answer), if it was not.
    pub fn not_made(&self, entry: &SockEntry) -> Option<String> {
        let recs = entry.last_entry.and_then(|i| self.ws.log.get(i))?.records()?;
        recs.iter().find_map(|r| match &r.kernel {
            // A call the personality does not have (n/a) is not a kernel answer anyway.
            Some(crate::session::lab::KernelAnswer::NotPerformed { why }) if r.answer.ret != Ret::NotApplicable => {
                Some(why.clone())
            }
            _ => None,
        })
    }

    pub fn kernel_state(&self, name: &str) -> Option<String> {
        if self.lab().is_live() {
            return self.lab().kernel_tcp_state(name);
        }
        let k = self.personalities.iter().position(|p| *p == PersonalityId::Linux)?;
        let host = &self.lab().hosts()[k];
        let v = host.socket_view(name)?;
        let tcp = match (v.proto, v.state) {
            (Proto::Udp, _) => return None,
            (_, State::Unbound | State::Bound | State::Failed) => "CLOSE",
            (_, State::Listening) => "LISTEN",
            (_, State::Pending) => "SYN_SENT",
            (_, State::Connected) => "ESTABLISHED",
            // A closed socket has no TCP state to show.
            (_, State::Closed | State::Unassociated | State::Associated) => return None,
        };
        Some(match self.ws.net {
            NetKind::Sim => format!("{tcp} (sim)"),
            NetKind::Live => tcp.to_string(),
        })
    }

    /// How long until the next network event of any personality (for a live clock or a
    /// real-time mode that wants to wake up then; no tick otherwise).
    pub fn next_due(&self) -> Option<Duration> {
        if self.lesson.is_some() {
            // A lesson runs in virtual time; the main lab's clock catches up on its close.
            return None;
        }
        self.ws.lab.hosts().iter().filter_map(|h| h.next_event().map(|t| t.saturating_sub(h.now()))).min()
    }

    /// The log row an explain would show: the selected row, or the newest.
    pub fn explain_target(&self) -> Option<usize> {
        self.current_row()
    }

    // -----------------------------------------------------------------------------------------
    // Update
    // -----------------------------------------------------------------------------------------

    /// Apply one message; say what the terminal layer must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let changed = match msg {
            Msg::Key(a) => self.action(a),
            Msg::Input(k) => self.input(k),
            Msg::Prompt(e) => {
                if let Some(m) = self.prompt.edit(e, &self.ws.names) {
                    self.set_status(m, Level::Info);
                }
                true
            }
            Msg::PromptSubmit => self.submit(),
            Msg::Line(l) => {
                self.enter_line(&l, false);
                true
            }
            Msg::Advance(d) => self.advance(d),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                true
            }
            Msg::Warning(w) => {
                self.set_status(w, Level::Warn);
                true
            }
            Msg::ReplayTick => self.replay_tick(),
            Msg::JobClock(d) => self.job_clock(d),
        };
        if self.quit {
            self.flush_idle();
            // Leaving in the middle of a lesson keeps the learner's place.
            if let Some(l) = self.lesson.take() {
                self.save_stop(&l);
                self.lesson = Some(l);
            }
        }
        let mut fx = Vec::new();
        if changed {
            fx.push(Effect::Redraw);
        }
        fx.append(&mut self.effects);
        if self.quit {
            fx.push(Effect::Quit);
        }
        fx
    }

    fn set_status(&mut self, text: impl Into<String>, level: Level) {
        self.status = Status { text: text.into(), level };
    }

    /// Route a key press: Ctrl-C (force quit) first, then the prompt, a picker's digits, the map.
    fn input(&mut self, key: Key) -> bool {
        let action = self.keymap.action(&key);
        if action == Some(Action::ForceQuit) {
            return self.action(Action::ForceQuit);
        }
        if self.prompt.open {
            return match PromptEdit::for_key(&key) {
                Some(e) => {
                    self.update(Msg::Prompt(e));
                    true
                }
                None if key.code == KeyCode::Enter => self.submit(),
                None => false,
            };
        }
        if key.code == KeyCode::Esc && self.overlay.is_none() && self.pending.is_some() {
            return self.give_up();
        }
        if let (Some(Overlay::Lessons { .. }), KeyCode::Char(c @ '1'..='9')) = (&self.overlay, key.code) {
            let n = c as usize - '0' as usize;
            if n <= crate::learn::lesson::all().len() {
                self.overlay = None;
                self.start_lesson(n);
                return true;
            }
        }
        if let (Some(Overlay::Picker { sock, .. }), KeyCode::Char(c @ '1'..='9')) = (&self.overlay, key.code) {
            let i = c as usize - '1' as usize;
            if let Some(t) = NamedTarget::ALL.get(i) {
                let line = format!("connect {sock} {t}");
                self.overlay = None;
                self.key_line(&line);
                return true;
            }
        }
        match action {
            Some(a) => self.action(a),
            None => false,
        }
    }

    fn submit(&mut self) -> bool {
        let line = self.prompt.text.clone();
        self.prompt.remember(&line);
        if self.enter_line(&line, false) {
            self.prompt.close();
        }
        true
    }

    /// Run a line produced by a key: remembered in the history too, so Up recalls it.
    fn key_line(&mut self, line: &str) {
        self.prompt.remember(line);
        self.enter_line(line, true);
    }

    /// A line typed or produced by a key: to the lesson while one runs, else to the lab.
    /// Returns whether it was a valid line.
    fn enter_line(&mut self, line: &str, from_key: bool) -> bool {
        if self.replay.is_some() {
            // `:N` jumps to entry N of the recording.
            if let Ok(n) = line.trim().trim_start_matches("entry").trim().parse::<usize>() {
                self.replay_seek(n);
                return true;
            }
            self.set_status(
                "a replay only shows the recording: Space plays, . and , step, ] and [ jump to markers, :N goes to entry N",
                Level::Warn,
            );
            return false;
        }
        if self.lesson.is_some() { self.lesson_line(line) } else { self.run_line(line, from_key) }
    }

    // -----------------------------------------------------------------------------------------
    // Lessons
    // -----------------------------------------------------------------------------------------

    /// Start lesson `n` (1-based) in the side panel, where the learner stopped.
    pub fn start_lesson(&mut self, n: usize) {
        if let Some(p) = &self.pending {
            let text = format!("`{}` is still blocking: Esc gives up on it first", p.stmt.text);
            self.set_status(text, Level::Warn);
            return;
        }
        let Some(lesson) = crate::learn::lesson::by_number(n) else {
            let count = crate::learn::lesson::all().len();
            self.set_status(format!("there is no lesson {n}: the lessons are numbered 1 to {count}"), Level::Error);
            return;
        };
        if let Some(old) = self.lesson.take() {
            self.save_stop(&old);
        }
        if self.stash.is_none() {
            let lesson_ws = Workspace::sim(&self.personalities);
            self.stash = Some(Box::new(std::mem::replace(&mut self.ws, lesson_ws)));
        }
        let step = self.progress.resume_step(&lesson.id);
        self.lesson = Some(Box::new(LessonPanel::start(n, lesson, step)));
        self.sync_lesson(true);
        let from = if step > 0 { format!(" (from step {}, where you stopped)", step + 1) } else { String::new() };
        self.set_status(
            format!("lesson {n}{from}: type at : what the step asks; h hint, Esc closes (progress kept)"),
            Level::Info,
        );
    }

    /// Close the lesson: its progress is saved and the main lab comes back.
    pub fn close_lesson(&mut self) {
        if self.focus == Focus::Lesson {
            self.focus = Focus::Log;
        }
        self.lesson_scroll = 0;
        let Some(l) = self.lesson.take() else { return };
        self.save_stop(&l);
        if let Some(main) = self.stash.take() {
            self.ws = *main;
        }
        let held = std::mem::take(&mut self.lesson_held);
        if !held.is_zero() {
            self.advance(held);
        }
        let (k, n) = l.progress();
        let where_ = if l.run.is_finished() { "complete".to_string() } else { format!("at step {k} of {n}") };
        self.set_status(format!("lesson {} closed {where_}; L opens the lessons", l.number), Level::Info);
    }

    fn save_progress(&mut self) {
        if let Some(path) = &self.progress_path {
            self.effects.push(Effect::SaveProgress { path: path.clone(), progress: self.progress.clone() });
        }
    }

    /// Leaving a lesson: its place is kept (leaving before the first step changes nothing).
    fn save_stop(&mut self, l: &LessonPanel) {
        if !l.run.is_finished() && l.run.step_index() > 0 {
            self.progress.at(&l.run.lesson().id, l.run.step_index());
            self.save_progress();
        }
    }

    /// Feed a line to the lesson; the mirror follows. Returns whether the line was valid.
    fn lesson_line(&mut self, line: &str) -> bool {
        // A new step's text starts at its top.
        self.lesson_scroll = 0;
        let Some(l) = self.lesson.as_mut() else { return false };
        let out = l.run.feed(line);
        let valid = !matches!(out, StepOutcome::Invalid { .. });
        if out.passed() {
            l.show_hint = false;
        }
        l.last = Some(OutcomeView::of(&out));
        let (id, finished, step) = (l.run.lesson().id.clone(), l.run.is_finished(), l.run.step_index());
        let rebuild = matches!(out, StepOutcome::Failed { .. });
        self.sync_lesson(rebuild);
        if out.passed() {
            if finished {
                self.progress.complete(&id);
            } else {
                self.progress.at(&id, step);
            }
            self.save_progress();
        }
        let level = match out {
            StepOutcome::Failed { .. } | StepOutcome::Different { .. } | StepOutcome::Invalid { .. } => Level::Warn,
            _ => Level::Info,
        };
        self.set_status(format!("lesson: {}", out.headline()), level);
        valid
    }

    /// Bring the mirror (the App's lab, log, sockets, notifications) in step with the lesson's
    /// lab by running the lesson's new history lines; `rebuild` starts it afresh (after a
    /// failed check the lesson's lab went back to the start of the step).
    fn sync_lesson(&mut self, rebuild: bool) {
        let Some(l) = self.lesson.as_ref() else { return };
        let texts: Vec<String> = l.run.history().iter().map(|s| s.text.clone()).collect();
        let mut from = l.mirrored;
        if rebuild || texts.len() < from {
            self.ws = Workspace::sim(&self.personalities);
            from = 0;
        }
        for t in &texts[from..] {
            self.run_line(t, false);
        }
        if let Some(l) = self.lesson.as_mut() {
            l.mirrored = texts.len();
        }
    }

    fn selected_name(&self) -> Option<String> {
        self.selected().map(|e| e.name.clone())
    }

    fn need_socket(&mut self) -> Option<String> {
        if self.replay.is_some() {
            self.set_status(
                "a replay only shows the recording: Space plays, . and , step, ] and [ jump to markers",
                Level::Warn,
            );
            return None;
        }
        let n = self.selected_name();
        if n.is_none() {
            self.set_status("no socket selected: press t (TCP) or u (UDP) to create one", Level::Warn);
        }
        n
    }

    fn action(&mut self, a: Action) -> bool {
        // Overlays take the keys they understand; the rest close them or do nothing.
        if let Some(ov) = self.overlay.clone() {
            return self.overlay_action(ov, a);
        }
        match a {
            Action::Quit | Action::ForceQuit => {
                self.quit = true;
                true
            }
            Action::Prompt => {
                self.prompt.open();
                true
            }
            Action::NewTcp => {
                self.key_line("socket tcp");
                true
            }
            Action::NewUdp => {
                self.key_line("socket udp");
                true
            }
            Action::ToggleNonblocking => {
                let Some(s) = self.need_socket() else { return true };
                let on = !self.viewed_socket(&s).is_some_and(|v| v.nonblocking);
                self.key_line(&format!("ioctlsocket {s} FIONBIO {}", on as u8));
                true
            }
            Action::ToggleBroadcast => {
                let Some(s) = self.need_socket() else { return true };
                let on = !self.viewed_socket(&s).is_some_and(|v| v.broadcast);
                self.key_line(&format!("setsockopt {s} SO_BROADCAST {}", on as u8));
                true
            }
            Action::Connect => {
                let Some(s) = self.need_socket() else { return true };
                let udp = self.viewed_socket(&s).is_some_and(|v| v.proto == Proto::Udp);
                let selected = if udp { 5 } else { 1 };
                self.overlay = Some(Overlay::Picker { sock: s, selected });
                true
            }
            Action::Select => {
                let Some(s) = self.need_socket() else { return true };
                self.key_line(&format!("select read={s} write={s} except={s} timeout=0"));
                true
            }
            Action::Wait => {
                self.key_line(&format!("wait {}", WAIT_STEP.as_millis()));
                true
            }
            Action::Close => {
                let Some(s) = self.need_socket() else { return true };
                self.key_line(&format!("closesocket {s}"));
                true
            }
            Action::Explain => {
                match self.explain_target() {
                    Some(entry) => self.overlay = Some(Overlay::Explain { entry, scroll: 0 }),
                    None => self.set_status("nothing to explain yet: make a call first", Level::Info),
                }
                true
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                true
            }
            Action::Pause => {
                self.paused = !self.paused;
                if self.paused {
                    self.set_status("paused: time stands still; p resumes", Level::Info);
                } else {
                    let held = std::mem::take(&mut self.held);
                    self.set_status("resumed", Level::Info);
                    if !held.is_zero() {
                        self.advance(held);
                    }
                }
                true
            }
            Action::FocusNext | Action::FocusPrev => {
                let mut order = vec![Focus::Log, Focus::Notes];
                if self.lesson.is_some() {
                    order.push(Focus::Lesson);
                }
                order.push(Focus::Sockets);
                let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
                let n = order.len();
                self.focus = order[if a == Action::FocusNext { (i + 1) % n } else { (i + n - 1) % n }];
                let name = match self.focus {
                    Focus::Log => "the call log (j/k rows, End follows new rows)",
                    Focus::Notes => "the notifications (j/k scroll, End the newest)",
                    Focus::Lesson => "the lesson (j/k scroll)",
                    Focus::Sockets => "the sockets (j/k select)",
                };
                self.set_status(format!("focus: {name}; Tab moves on"), Level::Info);
                true
            }
            Action::NextSocket | Action::PrevSocket => {
                let n = self.ws.sockets.len();
                if n == 0 {
                    return false;
                }
                let cur = self.ws.selected_socket.unwrap_or(0);
                self.ws.selected_socket = Some(if a == Action::NextSocket { (cur + 1) % n } else { (cur + n - 1) % n });
                true
            }
            Action::NextRow
            | Action::PrevRow
            | Action::FirstRow
            | Action::LastRow
            | Action::PageDown
            | Action::PageUp => match self.focus {
                Focus::Log => self.move_row(a),
                Focus::Sockets => match a {
                    Action::NextRow | Action::PageDown => self.action(Action::NextSocket),
                    Action::PrevRow | Action::PageUp => self.action(Action::PrevSocket),
                    Action::FirstRow if !self.ws.sockets.is_empty() => {
                        self.ws.selected_socket = Some(0);
                        true
                    }
                    Action::LastRow if !self.ws.sockets.is_empty() => {
                        self.ws.selected_socket = Some(self.ws.sockets.len() - 1);
                        true
                    }
                    _ => false,
                },
                Focus::Notes => {
                    let max = self.ws.notes.len().saturating_sub(1);
                    let page = self.page();
                    self.notes_scroll = match a {
                        Action::NextRow => self.notes_scroll.saturating_sub(1),
                        Action::PrevRow => self.notes_scroll + 1,
                        Action::PageDown => self.notes_scroll.saturating_sub(page),
                        Action::PageUp => self.notes_scroll + page,
                        Action::FirstRow => max,
                        _ => 0,
                    }
                    .min(max);
                    true
                }
                Focus::Lesson => {
                    let page = self.page() as u16;
                    self.lesson_scroll = match a {
                        Action::NextRow => self.lesson_scroll.saturating_add(1),
                        Action::PrevRow => self.lesson_scroll.saturating_sub(1),
                        Action::PageDown => self.lesson_scroll.saturating_add(page),
                        Action::PageUp => self.lesson_scroll.saturating_sub(page),
                        Action::FirstRow => 0,
                        _ => self.lesson_scroll.saturating_add(page),
                    }
                    .min(500);
                    true
                }
            },
            Action::NextPersonality => {
                self.view = (self.view + 1) % self.personalities.len();
                self.set_status(format!("viewing {}", self.personalities[self.view]), Level::Info);
                true
            }
            Action::Lessons => {
                let selected = self
                    .lesson
                    .as_ref()
                    .map(|l| l.number - 1)
                    .or_else(|| {
                        let all = crate::learn::lesson::all();
                        let cur =
                            self.progress.current.as_ref().and_then(|c| all.iter().position(|l| l.id == c.lesson));
                        cur.or_else(|| all.iter().position(|l| !self.progress.is_complete(&l.id)))
                    })
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Lessons { selected });
                true
            }
            Action::Hint => {
                match self.lesson.as_mut() {
                    Some(l) => l.show_hint = !l.show_hint,
                    None => self.set_status("no lesson is running: L picks one", Level::Info),
                }
                true
            }
            Action::Record => {
                if self.replay.is_some() {
                    self.set_status("this is a replay: there is nothing new to record", Level::Warn);
                } else if self.recording.is_some() {
                    self.flush_idle();
                    self.effects.push(Effect::StopRecording);
                } else {
                    self.set_status("starting a recording of the session (from its start)…", Level::Info);
                    self.effects.push(Effect::StartRecording);
                }
                true
            }
            Action::Mark => {
                if self.replay.is_some() {
                    self.set_status("this is a replay: ] and [ jump between its markers", Level::Warn);
                    return true;
                }
                self.prompt.open();
                self.prompt.text = "mark ".into();
                self.prompt.cursor = self.prompt.text.chars().count();
                let note = if self.recording.is_some() { "" } else { " (not recording yet: R starts, with it)" };
                self.set_status(format!("mark LABEL adds a marker to the recording{note}"), Level::Info);
                true
            }
            Action::PlayPause
            | Action::StepForward
            | Action::StepBack
            | Action::NextMarker
            | Action::PrevMarker
            | Action::Faster
            | Action::Slower => self.replay_action(a),
            Action::Cancel if self.lesson.is_some() => {
                self.close_lesson();
                true
            }
            Action::Confirm | Action::Cancel => false,
        }
    }

    fn page(&self) -> usize {
        (self.size.1 as usize / 3).max(1)
    }

    fn move_row(&mut self, a: Action) -> bool {
        let n = self.ws.log.len();
        if n == 0 {
            return false;
        }
        let last = n - 1;
        self.focus = Focus::Log;
        let cur = self.ws.selected_row.unwrap_or(last);
        let to = match a {
            Action::NextRow => cur + 1,
            Action::PrevRow => cur.saturating_sub(1),
            Action::FirstRow => 0,
            Action::LastRow => n,
            Action::PageDown => cur + self.page(),
            _ => cur.saturating_sub(self.page()),
        };
        // Past the newest row: follow again.
        self.ws.selected_row = if to >= last && a != Action::PrevRow && a != Action::PageUp && a != Action::FirstRow {
            None
        } else {
            Some(to.min(last))
        };
        // The row's answers in full (the log may abbreviate them), in the status line.
        if let Some(e) = self.current_row().and_then(|i| self.ws.log.get(i)) {
            let answers: Vec<String> = (0..self.personalities.len())
                .map(|k| format!("{} {}", self.personalities[k], e.cell(k).full))
                .collect();
            let text = format!("{}: {} → {}", e.line_no, e.text, answers.join(" · "));
            self.set_status(text, Level::Info);
        }
        true
    }

    fn overlay_action(&mut self, ov: Overlay, a: Action) -> bool {
        let step = |s: u16, a: Action| -> u16 {
            match a {
                Action::NextRow => s.saturating_add(1),
                Action::PrevRow => s.saturating_sub(1),
                Action::PageDown => s.saturating_add(10),
                Action::PageUp => s.saturating_sub(10),
                Action::FirstRow => 0,
                _ => s,
            }
        };
        match (ov, a) {
            (_, Action::ForceQuit) => {
                self.quit = true;
            }
            (Overlay::Help { .. }, Action::Help)
            | (Overlay::Explain { .. }, Action::Explain)
            | (_, Action::Cancel | Action::Quit) => self.overlay = None,
            (Overlay::Help { scroll }, _) => self.overlay = Some(Overlay::Help { scroll: step(scroll, a) }),
            (Overlay::Explain { entry, scroll }, _) => {
                self.overlay = Some(Overlay::Explain { entry, scroll: step(scroll, a) })
            }
            (Overlay::Picker { sock, selected }, Action::Confirm) => {
                self.overlay = None;
                let t = NamedTarget::ALL[selected.min(NamedTarget::ALL.len() - 1)];
                self.key_line(&format!("connect {sock} {t}"));
            }
            (Overlay::Picker { sock, selected }, Action::NextRow | Action::PrevRow) => {
                let n = NamedTarget::ALL.len();
                let selected = if a == Action::NextRow { (selected + 1) % n } else { (selected + n - 1) % n };
                self.overlay = Some(Overlay::Picker { sock, selected });
            }
            (Overlay::Picker { .. }, _) => return false,
            (Overlay::Lessons { .. }, Action::Lessons) => self.overlay = None,
            (Overlay::Lessons { selected }, Action::Confirm) => {
                self.overlay = None;
                self.start_lesson(selected + 1);
            }
            (Overlay::Lessons { selected }, Action::NextRow | Action::PrevRow) => {
                let n = crate::learn::lesson::all().len();
                let selected = if a == Action::NextRow { (selected + 1) % n } else { (selected + n - 1) % n };
                self.overlay = Some(Overlay::Lessons { selected });
            }
            (Overlay::Lessons { .. }, _) => return false,
        }
        true
    }

    fn viewed_socket(&self, name: &str) -> Option<SocketView> {
        self.lab().hosts()[self.view].socket_view(name)
    }

    fn advance(&mut self, d: Duration) -> bool {
        if self.lesson.is_some() {
            self.lesson_held += d;
            return false;
        }
        if self.paused {
            self.held += d;
            return true;
        }
        // Live: the real clock has moved already; only the models catch up.
        let recs = if self.ws.lab.is_live() { self.ws.lab.elapse(d) } else { self.ws.lab.wait_for(d) };
        let changed = recs.iter().any(|r| !r.events.transitions.is_empty() || !r.events.notifications.is_empty());
        self.absorb_waits(&recs);
        if self.journal {
            // Ticks add up to one pause, written when something happens or the next step comes.
            let (total, acc) = self.idle.get_or_insert_with(|| (Duration::ZERO, Vec::new()));
            *total += d;
            if acc.is_empty() {
                *acc = recs;
            } else {
                for (a, r) in acc.iter_mut().zip(recs) {
                    a.events.transitions.extend(r.events.transitions);
                    a.events.notifications.extend(r.events.notifications);
                    a.at = r.at;
                }
            }
            if changed {
                self.flush_idle();
            }
        }
        changed || !self.ws.lab.is_live()
    }

    // -----------------------------------------------------------------------------------------
    // Running lines
    // -----------------------------------------------------------------------------------------

    /// Parse and run one line. Returns whether it parsed (errors go to the status line).
    fn run_line(&mut self, line: &str, from_key: bool) -> bool {
        if let Some(p) = &self.pending {
            let text = format!(
                "`{}` is still blocking ({} s): Esc gives up on it, q quits; this line waits until then",
                p.stmt.text,
                p.elapsed.as_secs()
            );
            self.set_status(text, Level::Warn);
            return false;
        }
        // The pause before this line is written before the kernel is asked anything (the
        // recorder files the kernel's answers under the next step it writes).
        self.flush_idle();
        let line_no = self.ws.log.len() + 1;
        let stmt = match parse_line(line, line_no, &mut self.ws.names) {
            Ok(Some(s)) => s,
            Ok(None) => return true,
            Err(e) => {
                if self.prompt.open {
                    self.prompt.cursor = e.col.saturating_sub(1).min(self.prompt.text.chars().count());
                }
                self.set_status(e.to_string(), Level::Error);
                return false;
            }
        };
        self.run_stmt(stmt, from_key, None);
        true
    }

    /// Run a parsed line. On the live network a step that needs the kernel is handed to the
    /// terminal layer first ([`Effect::RunJob`]) and completes here again with `done`.
    fn run_stmt(&mut self, stmt: Stmt, from_key: bool, done: Option<KernelDone>) {
        let line_no = stmt.span.line;
        let idx = self.ws.log.len();
        let body = match &stmt.kind {
            StmtKind::Call(call) => {
                let records = match done {
                    Some(KernelDone::Call(a)) => self.ws.lab.call_answered(call, Some(a)).to_vec(),
                    _ => {
                        if self.start_job(KernelJob::Call(call.clone()), &stmt, from_key) {
                            return;
                        }
                        self.ws.lab.call(call).to_vec()
                    }
                };
                let verdict = verdict(&records);
                self.absorb_call(call, &records, idx);
                if self.journal {
                    let (text, call, records) = (stmt.text.clone(), call.clone(), records.clone());
                    self.journal_step(JournalStep::Call { line: line_no, text, call, records });
                }
                Body::Call { call: call.clone(), records, verdict }
            }
            StmtKind::Wait(w) => {
                let (records, spec) = match w {
                    Wait::For(d) => {
                        let recs = match done {
                            Some(_) => self.ws.lab.elapse(*d),
                            None if self.start_job(KernelJob::Sleep(*d), &stmt, from_key) => return,
                            None => self.ws.lab.wait_for(*d),
                        };
                        (recs, WaitSpec::For { ms: to_ms(*d) })
                    }
                    Wait::Until { sock, until } => {
                        let u = Until::from(*until);
                        let recs = match done {
                            Some(KernelDone::Until(met, took)) => {
                                self.ws.lab.wait_until_answered(sock, u, Some((met, took)))
                            }
                            // A wait that can never be met ends at once (Lab::unreachable_wait):
                            // no worker, no 600 s on the kernel.
                            _ if self.ws.lab.unreachable_wait(sock, u).is_some() => self.ws.lab.wait_until(sock, u),
                            _ => {
                                let job = KernelJob::Until { sock: sock.clone(), until: u };
                                if self.start_job(job, &stmt, from_key) {
                                    return;
                                }
                                self.ws.lab.wait_until(sock, u)
                            }
                        };
                        (recs, WaitSpec::Until { sock: sock.clone(), until: Cond::from(u) })
                    }
                };
                self.absorb_waits(&records);
                if self.journal {
                    let (text, records) = (stmt.text.clone(), records.clone());
                    self.journal_step(JournalStep::Wait { line: line_no, text, wait: spec, records });
                }
                let verdict = wait_verdict(&records);
                Body::Wait { records, verdict }
            }
            StmtKind::Expect(e) => {
                let mut results = Vec::with_capacity(self.personalities.len());
                for &p in &self.personalities {
                    if e.only.as_ref().is_some_and(|o| !o.contains(&p)) {
                        results.push(None);
                        continue;
                    }
                    let mut one = stmt.clone();
                    if let StmtKind::Expect(x) = &mut one.kind {
                        x.only = Some(vec![p]);
                    }
                    let mut sink = Vec::new();
                    let res = match run(std::slice::from_ref(&one), &mut self.ws.lab, Output::Json, &mut sink) {
                        Ok(rep) if rep.failures.is_empty() => Ok(()),
                        Ok(rep) => Err(rep.failures.join("; ")),
                        Err(e) => Err(e.to_string()),
                    };
                    results.push(Some(res));
                }
                let failed = results.iter().flatten().filter(|r| r.is_err()).count();
                if failed > 0 {
                    self.set_status(
                        format!("line {line_no}: expectation failed for {failed} personalities"),
                        Level::Error,
                    );
                }
                Body::Expect { results }
            }
            StmtKind::Mark(label) => {
                // A marker only means something in a recording (session::record).
                let text = if self.recording.is_some() {
                    format!("{line_no}: marker `{label}` added to the recording")
                } else if self.journal {
                    format!("{line_no}: marker `{label}` noted: a recording started with R will include it")
                } else {
                    format!("{line_no}: mark {label}: a marker only means something in a recording")
                };
                self.set_status(text, Level::Info);
                let label = label.clone();
                self.journal_step(JournalStep::Marker { line: line_no, label });
                return;
            }
        };
        let entry = LogEntry { line_no, text: stmt.text.clone(), from_key, body, gave_up: None };
        if !matches!(entry.body, Body::Expect { .. }) {
            let what = if from_key {
                format!("{line_no}: {} (from a key)", entry.text)
            } else {
                format!("{line_no}: {}", entry.text)
            };
            // The mark first: on a narrow screen the line's own text is what gets shortened.
            let lvl = match entry.mark() {
                Mark::Same => "",
                Mark::Words => "≈ same meaning in other words (e explains) · ",
                Mark::Differs => "≠ the personalities differ (e explains) · ",
            };
            self.set_status(format!("{lvl}{what}"), Level::Info);
        }
        self.ws.log.push(entry);
    }

    fn sock_entry(&mut self, name: &str) -> usize {
        if let Some(&i) = self.ws.sock_index.get(name) {
            return i;
        }
        let i = self.ws.sockets.len();
        self.ws.sockets.push(SockEntry {
            name: name.to_string(),
            last_entry: None,
            last: vec![None; self.personalities.len()],
        });
        self.ws.sock_index.insert(name.to_string(), i);
        i
    }

    fn push_note(&mut self, n: Note) {
        if self.ws.notes.len() >= NOTES_KEPT {
            self.ws.notes.pop_front();
        }
        self.ws.notes.push_back(n);
    }

    fn note_transition(&mut self, k: usize, t: &Transition) {
        if let Some(&i) = self.ws.sock_index.get(&t.sock) {
            self.ws.sockets[i].last[k] = Some(t.clone());
        }
        if let Cause::Net(_) = &t.cause {
            let text = format!("{}: {}", t.sock, transition_words(t));
            let error = t.error.is_some();
            self.push_note(Note { personality: k, kind: NoteKind::State, sock: t.sock.clone(), text, error, at: t.at });
        }
    }

    fn note_notifications(&mut self, k: usize, ns: &[Notification]) {
        let p = Profile::of(self.personalities[k]);
        for n in ns {
            let (kind, error, at) = match n {
                Notification::NetworkEvent { error, at, .. } => (NoteKind::Event, error.is_some(), *at),
                Notification::WindowMessage { error, at, .. } => (NoteKind::Message, error.is_some(), *at),
                Notification::Completion { error, at, .. } | Notification::Packet { error, at, .. } => {
                    (NoteKind::Completion, error.is_some(), *at)
                }
                Notification::Readiness { bits, at, .. } => {
                    (NoteKind::Readiness, bits.contains(crate::core::call::PollBits::ERR), *at)
                }
            };
            let text = notification_text(n, p);
            self.push_note(Note { personality: k, kind, sock: n.sock().to_string(), text, error, at });
        }
    }

    fn absorb_call(&mut self, call: &Call, records: &[CallRecord], idx: usize) {
        // New sockets join the list (and are selected) when any personality created them.
        let created = match call {
            Call::Socket { name, .. } | Call::Accept { name, .. } => Some(name.clone()),
            _ => None,
        };
        if let Some(name) = &created {
            if records.iter().any(|r| !matches!(r.answer.ret, Ret::Handle(None) | Ret::NotApplicable)) {
                let i = self.sock_entry(name);
                self.ws.sockets[i].last_entry = Some(idx);
                if matches!(call, Call::Socket { .. }) {
                    self.ws.selected_socket = Some(i);
                }
            }
        }
        if let Some(crate::core::call::SockRef::Name(n)) = call.sock() {
            if let Some(&i) = self.ws.sock_index.get(n) {
                self.ws.sockets[i].last_entry = Some(idx);
            }
        }
        for (k, r) in records.iter().enumerate() {
            for t in &r.answer.transitions {
                self.note_transition(k, t);
            }
            self.note_notifications(k, &r.answer.notifications);
            let p = Profile::of(r.personality);
            // The call under the personality's own name (Linux has poll, not WSAPoll).
            let name = match call {
                Call::Poll { .. } if !p.winsock => "poll",
                c => c.name(),
            };
            let sel = match &r.answer.value {
                Value::Select { .. } | Value::Poll { .. } => {
                    Some(format!("{name}: {}", crate::core::format::value_text(&r.answer.value, p)))
                }
                _ => None,
            };
            if let Some(text) = sel {
                let sock = call.sock().map(ToString::to_string).unwrap_or_default();
                self.push_note(Note { personality: k, kind: NoteKind::Select, sock, text, error: false, at: r.at });
            }
        }
    }

    fn absorb_waits(&mut self, records: &[WaitRecord]) {
        for (k, r) in records.iter().enumerate() {
            for t in &r.events.transitions {
                self.note_transition(k, t);
            }
            self.note_notifications(k, &r.events.notifications);
        }
    }
}

/// `0`, or the code by name and number (re-exported for views).
pub fn code_text(e: Option<Code>) -> String {
    error_text(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App::new(AppOptions::default())
    }

    fn keys(app: &mut App, s: &str) {
        for c in s.chars() {
            app.update(Msg::Input(Key::ch(c)));
        }
    }

    #[test]
    fn keys_become_lines_in_the_log() {
        let mut a = app();
        keys(&mut a, "tn");
        let texts: Vec<_> = a.log().iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["socket tcp", "ioctlsocket s FIONBIO 1"]);
        assert!(a.log().iter().all(|e| e.from_key));
        assert_eq!(a.selected().map(|s| s.name.as_str()), Some("s"));
        assert!(a.socket_view(&a.sockets()[0], 0).is_some_and(|v| v.nonblocking));
        keys(&mut a, "n");
        assert_eq!(a.log()[2].text, "ioctlsocket s FIONBIO 0");
    }

    #[test]
    fn connect_picker_refuse_then_wait_fails_with_notifications() {
        let mut a = app();
        keys(&mut a, "tnc");
        assert!(matches!(a.overlay(), Some(Overlay::Picker { selected: 1, .. })));
        a.update(Msg::Key(Action::Confirm));
        assert_eq!(a.log().last().map(|e| e.text.as_str()), Some("connect s @refuse"));
        keys(&mut a, "www");
        for k in 0..a.personalities().len() {
            assert_eq!(a.lab().hosts()[k].state("s"), Some(State::Failed), "{}", a.personalities()[k]);
        }
        assert!(a.notes().iter().any(|n| n.kind == NoteKind::State && n.error), "{:?}", a.notes());
        let last = a.sockets()[0].last[1].as_ref().expect("winsock transition");
        assert_eq!(last.to, State::Failed);
    }

    #[test]
    fn picker_digits_choose_directly() {
        let mut a = app();
        keys(&mut a, "tc3");
        assert_eq!(a.log().last().map(|e| e.text.as_str()), Some("connect s @pending"));
        assert!(a.overlay().is_none());
    }

    #[test]
    fn prompt_runs_lines_reports_errors_and_keeps_history() {
        let mut a = app();
        a.update(Msg::Key(Action::Prompt));
        assert!(a.prompt().open);
        keys(&mut a, "socket udp as u1");
        a.update(Msg::Input(Key::plain(KeyCode::Enter)));
        assert!(!a.prompt().open);
        assert_eq!(a.log()[0].text, "socket udp as u1");
        a.update(Msg::Key(Action::Prompt));
        keys(&mut a, "connect nosuch @echo");
        a.update(Msg::PromptSubmit);
        assert!(a.prompt().open, "an error keeps the line for fixing");
        assert_eq!(a.status().level, Level::Error);
        assert!(a.status().text.contains("line 2, column 9"), "{}", a.status().text);
        a.update(Msg::Prompt(PromptEdit::ClearLine));
        a.update(Msg::Input(Key::plain(KeyCode::Up)));
        assert_eq!(a.prompt().text, "connect nosuch @echo");
        a.update(Msg::Input(Key::plain(KeyCode::Esc)));
        assert!(!a.prompt().open);
        // q in the prompt types q; Ctrl-C quits from anywhere.
        a.update(Msg::Key(Action::Prompt));
        keys(&mut a, "q");
        assert!(!a.quitting());
        assert_eq!(a.update(Msg::Input(Key::ctrl('c'))), vec![Effect::Redraw, Effect::Quit]);
    }

    #[test]
    fn unbound_keys_do_not_redraw_and_q_closes_overlays_first() {
        let mut a = app();
        assert!(a.update(Msg::Input(Key::ch('Z'))).is_empty());
        keys(&mut a, "?");
        assert!(matches!(a.overlay(), Some(Overlay::Help { .. })));
        keys(&mut a, "q");
        assert!(a.overlay().is_none());
        assert!(!a.quitting());
        keys(&mut a, "q");
        assert!(a.quitting());
    }

    #[test]
    fn pause_holds_time_until_resumed() {
        let mut a = app();
        keys(&mut a, "tnc");
        a.update(Msg::Key(Action::Confirm));
        keys(&mut a, "p");
        a.update(Msg::Advance(Duration::from_secs(5)));
        assert_eq!(a.held(), Duration::from_secs(5));
        let before = a.now(2);
        keys(&mut a, "p");
        assert_eq!(a.now(2), before + Duration::from_secs(5));
        assert_eq!(a.lab().hosts()[2].state("s"), Some(State::Failed));
    }

    #[test]
    fn rows_and_sockets_move() {
        let mut a = app();
        keys(&mut a, "ttu");
        assert_eq!(a.selected_socket(), Some(2));
        keys(&mut a, "J");
        assert_eq!(a.selected_socket(), Some(0));
        keys(&mut a, "K");
        assert_eq!(a.selected_socket(), Some(2));
        assert_eq!(a.current_row(), Some(2));
        // The log has the focus at first: j/k move its rows.
        assert_eq!(a.focus(), Focus::Log);
        keys(&mut a, "kk");
        assert_eq!(a.selected_row(), Some(0));
        keys(&mut a, "jj");
        assert_eq!(a.selected_row(), None, "past the newest row the log follows again");
        // Tab moves the focus: notifications (j/k scroll them), then sockets (j/k select).
        a.update(Msg::Input(Key::plain(KeyCode::Tab)));
        assert_eq!(a.focus(), Focus::Notes);
        a.update(Msg::Line("connect s @refuse".into()));
        a.update(Msg::Line("wait 3000".into()));
        assert!(a.notes().len() >= 2, "{:?}", a.notes());
        keys(&mut a, "k");
        assert_eq!(a.notes_scroll(), 1);
        keys(&mut a, "j");
        assert_eq!(a.notes_scroll(), 0);
        a.update(Msg::Input(Key::plain(KeyCode::Tab)));
        assert_eq!(a.focus(), Focus::Sockets);
        keys(&mut a, "j");
        assert_eq!(a.selected_socket(), Some(0));
        a.update(Msg::Input(Key::plain(KeyCode::BackTab)));
        assert_eq!(a.focus(), Focus::Notes);
    }

    #[test]
    fn cells_fit_their_width() {
        let mut a = app();
        keys(&mut a, "tnc");
        a.update(Msg::Key(Action::Confirm));
        let e = &a.log()[2];
        let c = e.cell(1);
        assert_eq!(c.tone, Tone::Error);
        assert!(c.fit(60).contains("(10035)"), "{}", c.fit(60));
        assert!(c.fit(20).contains("10035"), "{}", c.fit(20));
        assert_eq!(c.fit(15), "WSAEWOULDBLOCK");
        assert_eq!(c.fit(6).chars().count(), 6);
    }

    fn line(app: &mut App, l: &str) -> Vec<Effect> {
        app.update(Msg::Line(l.into()))
    }

    #[test]
    fn a_lesson_takes_the_lines_mirrors_its_lab_and_saves_progress() {
        let mut a =
            App::new(AppOptions { progress_path: Some("/nowhere/progress.toml".into()), ..AppOptions::default() });
        keys(&mut a, "t");
        assert_eq!(a.log().len(), 1);
        keys(&mut a, "L");
        assert!(matches!(a.overlay(), Some(Overlay::Lessons { selected: 0 })));
        a.update(Msg::Key(Action::Confirm));
        let l = a.lesson().expect("lesson 1 runs");
        assert_eq!((l.number, l.progress()), (1, (1, l.run.step_count())));
        assert!(a.log().is_empty(), "the lesson has its own lab");
        // A wrong line: nothing runs in the lesson's lab, the hint is shown.
        line(&mut a, "socket udp as b");
        assert!(a.log().is_empty());
        let o = a.lesson().unwrap().last.clone().unwrap();
        assert_eq!(o.tone, Tone::Error);
        assert!(o.detail.iter().any(|d| d.starts_with("Hint:")), "{o:?}");
        // The right line: the step passes, the mirror shows it, progress is saved.
        let fx = line(&mut a, "socket tcp as b");
        assert_eq!(a.log().len(), 1);
        assert_eq!(a.sockets()[0].name, "b");
        assert_eq!(a.lesson().unwrap().progress().0, 2);
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::SaveProgress { progress, .. } if progress.resume_step("blocking") == 1)),
            "{fx:?}"
        );
        // The views read the lesson's lab; the mirror agrees with it.
        let run_lab = a.lesson().unwrap().run.lab();
        for k in 0..a.personalities().len() {
            assert_eq!(run_lab.hosts()[k].state("b"), a.ws.lab.hosts()[k].state("b"));
        }
        // Hint on request, then Esc closes: the main lab comes back.
        keys(&mut a, "h");
        assert!(a.lesson().unwrap().show_hint);
        a.update(Msg::Input(Key::plain(KeyCode::Esc)));
        assert!(a.lesson().is_none());
        assert_eq!(a.log().len(), 1);
        assert_eq!(a.log()[0].text, "socket tcp");
        assert_eq!(a.progress().resume_step("blocking"), 1);
        // Opening it again resumes at step 2.
        keys(&mut a, "L");
        a.update(Msg::Key(Action::Confirm));
        assert_eq!(a.lesson().unwrap().progress().0, 2);
        assert_eq!(a.sockets().len(), 1, "the earlier step was replayed");
    }

    #[test]
    fn every_lesson_can_be_played_to_its_end_in_the_panel() {
        for n in 1..=crate::learn::lesson::all().len() {
            let mut a = app();
            a.start_lesson(n);
            let mut guard = 0;
            while !a.lesson().unwrap().run.is_finished() {
                for c in a.lesson().unwrap().run.remaining_commands() {
                    line(&mut a, &c);
                }
                guard += 1;
                assert!(guard < 100, "lesson {n} does not end");
            }
            assert!(a.progress().is_complete(&a.lesson().unwrap().run.lesson().id));
            // The mirror saw every line.
            assert_eq!(a.log().len(), a.lesson().unwrap().run.history().len(), "lesson {n}");
        }
    }

    #[test]
    fn a_failed_check_rebuilds_the_mirror_and_live_time_waits_for_the_lesson() {
        let mut a = app();
        a.start_lesson(1);
        line(&mut a, "skip");
        assert_eq!(a.lesson().unwrap().progress().0, 2);
        assert_eq!(a.log().len(), 1);
        assert!(a.next_due().is_none());
        assert!(a.update(Msg::Advance(Duration::from_secs(1))).is_empty());
        a.close_lesson();
        assert!(a.lesson().is_none());
        assert_eq!(a.lesson_held, Duration::ZERO);
        assert!(a.log().is_empty());
    }

    #[test]
    fn r_and_m_ask_for_a_recording_and_a_marker() {
        let mut a = app();
        a.set_journaling(true);
        keys(&mut a, "tn");
        // R: the terminal layer is asked to start; the status says the whole session is kept.
        let fx = a.update(Msg::Input(Key::ch('R')));
        assert_eq!(fx, vec![Effect::Redraw, Effect::StartRecording]);
        assert!(a.status().text.contains("from its start"), "{}", a.status().text);
        // The steps so far were journaled for it: two calls.
        let steps = a.take_steps();
        assert_eq!(steps.len(), 2);
        assert!(matches!(&steps[0], JournalStep::Call { text, .. } if text == "socket tcp"));
        a.recording_started("socklab-x.ndjson".into(), 10);
        assert_eq!(a.recording(), Some("socklab-x.ndjson"));
        assert_eq!(a.recording_entries(), 10);
        assert!(a.status().text.contains("10 entries so far written first to socklab-x.ndjson"), "{}", a.status().text);
        // M: the prompt opens with `mark `; Enter adds the marker.
        a.update(Msg::Input(Key::ch('M')));
        assert!(a.prompt().open);
        assert_eq!((a.prompt().text.as_str(), a.prompt().cursor), ("mark ", 5));
        keys(&mut a, "here");
        a.update(Msg::Input(Key::plain(KeyCode::Enter)));
        assert!(!a.prompt().open);
        assert!(a.status().text.contains("marker `here` added to the recording"), "{}", a.status().text);
        let steps = a.take_steps();
        assert!(matches!(&steps[..], [JournalStep::Marker { label, .. }] if label == "here"), "{steps:?}");
        // A wait is journaled with its records; live time (Advance) adds up to one pause,
        // written before the next step (or when something happens, or the recording stops).
        keys(&mut a, "w");
        let steps = a.take_steps();
        assert!(matches!(&steps[..], [JournalStep::Wait { text, .. }] if text == "wait 1000"), "{steps:?}");
        for _ in 0..5 {
            a.update(Msg::Advance(Duration::from_millis(50)));
        }
        assert!(a.take_steps().is_empty(), "clock ticks are not steps");
        // R again: stop; the pause is written first.
        let fx = a.update(Msg::Input(Key::ch('R')));
        assert_eq!(fx, vec![Effect::Redraw, Effect::StopRecording]);
        let steps = a.take_steps();
        assert!(matches!(&steps[..], [JournalStep::Wait { text, .. }] if text == "wait 250"), "{steps:?}");
        a.recording_stopped(14);
        assert_eq!(a.recording(), None);
        assert!(a.status().text.contains("recording stopped: socklab-x.ndjson, 14 entries"), "{}", a.status().text);
        // Without journaling nothing is kept.
        let mut b = app();
        keys(&mut b, "t");
        assert!(b.take_steps().is_empty());
    }

    // ---- winapi-ov ----
    #[test]
    fn a_completion_reaching_a_port_is_a_notification() {
        let mut a = app();
        for line in [
            "socket tcp as c",
            "bind c 127.0.0.1:0",
            "createiocompletionport as port",
            "createiocompletionport c port key=7",
            "connectex c @refuse",
        ] {
            a.update(Msg::Key(Action::Prompt));
            keys(&mut a, line);
            a.update(Msg::PromptSubmit);
            assert_ne!(a.status().level, Level::Error, "{line}: {}", a.status().text);
        }
        keys(&mut a, "www");
        let packets: Vec<&Note> = a
            .notes()
            .iter()
            .filter(|n| n.kind == NoteKind::Completion && n.text.contains("completion packet"))
            .collect();
        assert!(!packets.is_empty(), "{:?}", a.notes());
        assert!(packets.iter().all(|n| n.error && n.sock == "c" && n.text.starts_with("port: ")), "{packets:?}");
        assert!(packets.iter().any(|n| n.text.contains("key 7")), "{packets:?}");
    }
}
