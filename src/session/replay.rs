//! Replay: a recording's calls fed back through the same core, with the recorded network facts,
//! checked answer by answer.
//!
//! - [`Session`] rebuilds the lab of a recording: a [`Lab`] whose [`Facts`] answer from the
//!   recorded `fact` entries (and the header's targets), and, for a live recording, whose
//!   [`Kernel`] answers the `linux` column from the recorded `kernel` entries. [`Session::apply`]
//!   runs one step and compares every personality's answer with the recorded one.
//! - [`Player`] streams a recording through a session step by step (bounded memory): what
//!   `socklab replay --headless` and the benchmark use.
//! - [`Replay`] is the TUI's handle: step forward and back by entry, seek, jump to a marker.
//! - [`timeline`], [`Timeline::idle_limit`] and [`Timeline::speed`] are pure iterator adapters
//!   in the manner of asciinema: they turn entries into a schedule; the caller sleeps.
//!
//! A step is an entry that starts one (`call`, `wait`, `marker`) with every entry after it up
//! to the next such entry (`fact`, `kernel`, `answer`, `events`, and kinds this version does not
//! know, which are carried along untouched).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::core::call::{AddrKind, Call, Family, NamedTarget, SockAddrArg};
use crate::core::facts::{Facts, RouteFact, TcpFact, UdpFact};
use crate::core::format::{answer_text, notification_text};
use crate::core::model::{Answer, State};
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;
use crate::net::sim::SimNet;

use super::lab::{CallRecord, Kernel, KernelAnswer, Lab, Until, WaitRecord};
use super::record::MAX_LINE_BYTES;
use super::record::{
    AnswerEntry, CallEntry, Entry, EventsEntry, FactAnswer, Header, HeaderFacts, KernelEntry, MarkerEntry, Network,
    Query, ReadError, ReadErrorKind, Reader, WaitEntry, WaitSpec, from_ms, to_ms,
};
use crate::files::{Line, read_line_capped};

// ---------------------------------------------------------------------------------------------
// The recorded network
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct FactBook {
    known: HashMap<Query, FactAnswer>,
    /// Questions the recording had no answer for in the current step.
    missing: Vec<Query>,
}

/// Facts answered from a recording: the latest `fact` entry for the question, else the
/// header's target addresses, else the simulated network's description (noted as missing).
struct RecordedFacts {
    book: Arc<Mutex<FactBook>>,
    header: HeaderFacts,
}

impl RecordedFacts {
    fn ask<T>(&self, q: Query, pick: impl Fn(&FactAnswer) -> Option<T>, fallback: impl FnOnce() -> T) -> T {
        let mut b = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = b.known.get(&q).and_then(&pick) {
            return v;
        }
        b.missing.push(q);
        fallback()
    }
}

impl Facts for RecordedFacts {
    fn resolve(&self, target: NamedTarget, family: Family) -> Option<SocketAddr> {
        let b = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(FactAnswer::Addr(a)) = b.known.get(&Query::Resolve { target, family }) {
            return *a;
        }
        drop(b);
        self.header.target(target, family).or_else(|| SimNet.resolve(target, family))
    }
    fn route(&self, ip: IpAddr) -> RouteFact {
        let pick = |a: &FactAnswer| if let FactAnswer::Route(r) = a { Some(*r) } else { None };
        self.ask(Query::Route { ip }, pick, || SimNet.route(ip))
    }
    fn is_local(&self, ip: IpAddr) -> bool {
        let pick = |a: &FactAnswer| if let FactAnswer::Local(r) = a { Some(*r) } else { None };
        self.ask(Query::IsLocal { ip }, pick, || SimNet.is_local(ip))
    }
    fn tcp(&self, dst: SocketAddr) -> TcpFact {
        let pick = |a: &FactAnswer| if let FactAnswer::Tcp(r) = a { Some(*r) } else { None };
        self.ask(Query::Tcp { dst }, pick, || SimNet.tcp(dst))
    }
    fn udp(&self, dst: SocketAddr) -> UdpFact {
        let pick = |a: &FactAnswer| if let FactAnswer::Udp(r) = a { Some(*r) } else { None };
        self.ask(Query::Udp { dst }, pick, || SimNet.udp(dst))
    }
}

#[derive(Debug, Default)]
struct KernelBook {
    queue: VecDeque<KernelEntry>,
    /// Kernel questions the recording had no answer for in the current step.
    missing: usize,
    tcp: HashMap<String, String>,
}

/// The live kernel of a recording: answers as recorded, in order.
struct ReplayKernel {
    book: Arc<Mutex<KernelBook>>,
}

impl Kernel for ReplayKernel {
    fn perform(&mut self, call: &Call) -> KernelAnswer {
        let mut b = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        let a = match b.queue.front().and_then(KernelEntry::answer) {
            Some(a) => {
                b.queue.pop_front();
                a
            }
            None => {
                b.missing += 1;
                return KernelAnswer::NotPerformed { why: "the recording has no kernel answer for this call".into() };
            }
        };
        if let (KernelAnswer::Performed { tcp_state: Some(t), .. }, Some(crate::core::call::SockRef::Name(n))) =
            (&a, call.sock())
        {
            b.tcp.insert(n.clone(), t.clone());
        }
        a
    }

    fn sleep(&mut self, _: Duration) {}

    fn wait_until(&mut self, _: &str, _: Until, _: Duration) -> (bool, Duration) {
        let mut b = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        match b.queue.front().and_then(|e| e.waited) {
            Some(w) => {
                b.queue.pop_front();
                (w.met, from_ms(w.elapsed_ms))
            }
            None => {
                b.missing += 1;
                (false, Duration::ZERO)
            }
        }
    }

    fn tcp_state(&self, sock: &str) -> Option<String> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner).tcp.get(sock).cloned()
    }
}

// ---------------------------------------------------------------------------------------------
// Divergences
// ---------------------------------------------------------------------------------------------

/// A place where the replay did not reproduce the recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The line of the entry concerned (the answer, or the step's first entry).
    pub line: usize,
    /// The column, when the divergence is in one.
    pub personality: Option<PersonalityId>,
    /// What differs (`error`, `state`, `transitions`, ..., or a sentence).
    pub what: String,
    /// The recorded side, as text.
    pub recorded: String,
    /// The replayed side, as text.
    pub replayed: String,
}

impl Divergence {
    /// The entry's number (line 2 holds entry 1).
    pub fn entry(&self) -> usize {
        self.line.saturating_sub(1)
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {} (line {})", self.entry(), self.line)?;
        if let Some(p) = self.personality {
            write!(f, ", {p}")?;
        }
        write!(f, ": {}: recorded `{}`, the replay answered `{}`", self.what, self.recorded, self.replayed)
    }
}

fn state_text(s: Option<State>) -> &'static str {
    s.map(State::name).unwrap_or("-")
}

/// An answer entry in transcript words, plus the field that differs.
fn recorded_text(e: &AnswerEntry, field: &str) -> String {
    let p = Profile::of(e.p);
    let a = Answer {
        ret: e.ret,
        error: e.code(),
        value: e.value.clone(),
        transitions: Vec::new(),
        notifications: Vec::new(),
        elapsed: from_ms(e.elapsed_ms),
        rule: "",
        note: None,
    };
    let mut s = format!("{} [{} -> {}] rule {}", answer_text(&a, p), state_text(e.before), state_text(e.after), e.rule);
    detail(&mut s, field, p, &e.transitions, &e.notifications, e.elapsed_ms, e.vtime_ms, &e.note);
    if field == "model" || field == "disagreement" {
        s.push_str(&format!(" model={:?} disagreement={:?}", e.model.as_ref().map(|m| &m.rule), e.disagreement));
    }
    s
}

fn replayed_text(r: &CallRecord, field: &str) -> String {
    let p = Profile::of(r.personality);
    let a = &r.answer;
    let mut s = format!("{} [{} -> {}] rule {}", answer_text(a, p), state_text(r.before), state_text(r.after), a.rule);
    detail(&mut s, field, p, &a.transitions, &a.notifications, to_ms(a.elapsed), to_ms(r.at), &a.note);
    if field == "model" || field == "disagreement" {
        s.push_str(&format!(" model={:?} disagreement={:?}", r.model.as_ref().map(|m| m.rule), r.disagreement));
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn detail(
    s: &mut String,
    field: &str,
    p: &Profile,
    transitions: &[crate::core::model::Transition],
    notifications: &[crate::core::model::Notification],
    elapsed_ms: f64,
    vtime_ms: f64,
    note: &Option<String>,
) {
    match field {
        "transitions" => {
            let t: Vec<String> = transitions
                .iter()
                .map(|t| format!("{}: {} -> {} ({}) t={} ms", t.sock, t.from, t.to, t.cause, t.at.as_millis()))
                .collect();
            s.push_str(&format!(" transitions [{}]", t.join("; ")));
        }
        "notifications" => {
            let n: Vec<String> = notifications.iter().map(|n| notification_text(n, p)).collect();
            s.push_str(&format!(" notifications [{}]", n.join("; ")));
        }
        "elapsed_ms" => s.push_str(&format!(" blocked {elapsed_ms} ms")),
        "vtime_ms" => s.push_str(&format!(" at {vtime_ms} ms")),
        "note" => s.push_str(&format!(" note {note:?}")),
        _ => {}
    }
}

fn events_text(met: bool, transitions: &[crate::core::model::Transition], n: usize, vtime_ms: f64) -> String {
    let t: Vec<String> =
        transitions.iter().map(|t| format!("{}: {} -> {} t={} ms", t.sock, t.from, t.to, t.at.as_millis())).collect();
    format!("met={met} transitions [{}] {n} notifications, at {vtime_ms} ms", t.join("; "))
}

// ---------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------

/// What one step produced.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// A call, answered by every personality.
    Call { entry: &'a CallEntry, records: &'a [CallRecord] },
    /// Time passed.
    Wait { entry: &'a WaitEntry, records: Vec<WaitRecord> },
    /// A marker.
    Marker(&'a MarkerEntry),
    /// Entries before the first step, or of kinds this version does not know.
    Other,
}

/// One step applied.
#[derive(Debug)]
pub struct Applied<'a> {
    /// The line of the step's first entry.
    pub line: usize,
    /// The step's entries with their lines.
    pub entries: &'a [(usize, Entry)],
    pub outcome: Outcome<'a>,
    /// Where the replay differs from the recording.
    pub divergences: Vec<Divergence>,
    /// The recording ends inside this step (it was cut short): answers it lacks are not
    /// divergences.
    pub incomplete: bool,
}

/// The lab of a recording, driven by its entries.
pub struct Session {
    lab: Lab,
    facts: Arc<Mutex<FactBook>>,
    kernel: Arc<Mutex<KernelBook>>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("lab", &self.lab).finish_non_exhaustive()
    }
}

impl Session {
    /// A fresh lab for a recording: its personalities, its network's facts, and for a live
    /// recording its kernel's answers.
    pub fn new(header: &Header) -> Session {
        let facts = Arc::new(Mutex::new(FactBook::default()));
        let kernel = Arc::new(Mutex::new(KernelBook::default()));
        let f = Box::new(RecordedFacts { book: facts.clone(), header: header.facts.clone() });
        let lab = match header.network {
            Network::Sim => Lab::new(&header.personalities, f),
            Network::Live => Lab::live(&header.personalities, f, Box::new(ReplayKernel { book: kernel.clone() })),
        };
        Session { lab, facts, kernel }
    }

    /// The lab, as the views read it.
    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// Run one step (its entries with their lines, the step's first entry first) and compare
    /// the answers. `complete`: whether the step is known to be whole (another step follows).
    pub fn apply<'a>(&'a mut self, entries: &'a [(usize, Entry)], complete: bool) -> Applied<'a> {
        let line = entries.first().map_or(0, |(l, _)| *l);
        let mut divergences = Vec::new();
        {
            let mut f = self.facts.lock().unwrap_or_else(PoisonError::into_inner);
            f.missing.clear();
            let mut k = self.kernel.lock().unwrap_or_else(PoisonError::into_inner);
            k.queue.clear();
            k.missing = 0;
            for (_, e) in entries {
                match e {
                    Entry::Fact(x) => {
                        f.known.insert(x.q, x.a);
                    }
                    Entry::Kernel(x) => k.queue.push_back(x.clone()),
                    _ => {}
                }
            }
        }
        let answers = || {
            entries.iter().filter_map(|(l, e)| match e {
                Entry::Answer(a) => Some((*l, &**a)),
                _ => None,
            })
        };
        let events = || {
            entries.iter().filter_map(|(l, e)| match e {
                Entry::Events(a) => Some((*l, a)),
                _ => None,
            })
        };
        let mut incomplete = false;
        let outcome = match entries.first().map(|(_, e)| e) {
            Some(Entry::Call(c)) => {
                if events().next().is_some() {
                    divergences.push(stray(line, "the step of a call holds `events` entries"));
                }
                let records = self.lab.call(&c.call);
                incomplete = compare_answers(line, records, answers(), complete, &mut divergences);
                Outcome::Call { entry: c, records }
            }
            Some(Entry::Wait(w)) => {
                if answers().next().is_some() {
                    divergences.push(stray(line, "the step of a wait holds `answer` entries"));
                }
                let records = match &w.wait {
                    WaitSpec::For { ms } => self.lab.wait_for(from_ms(*ms)),
                    WaitSpec::Until { sock, until } => self.lab.wait_until(sock, (*until).into()),
                };
                incomplete = compare_events(line, &records, events(), complete, &mut divergences);
                Outcome::Wait { entry: w, records }
            }
            Some(Entry::Marker(m)) => {
                if answers().next().is_some() || events().next().is_some() {
                    divergences.push(stray(line, "answers follow a marker, not a call"));
                }
                Outcome::Marker(m)
            }
            _ => {
                if let Some((l, _)) = answers().next() {
                    divergences.push(stray(l, "an answer before any call"));
                }
                if let Some((l, _)) = events().next() {
                    divergences.push(stray(l, "events before any wait"));
                }
                Outcome::Other
            }
        };
        let k = self.kernel.lock().unwrap_or_else(PoisonError::into_inner);
        if k.missing > 0 {
            divergences.push(Divergence {
                line,
                personality: Some(PersonalityId::Linux),
                what: "kernel".into(),
                recorded: "no kernel answer".into(),
                replayed: format!("{} kernel question(s) unanswered", k.missing),
            });
        }
        if !k.queue.is_empty() && !incomplete {
            divergences.push(Divergence {
                line,
                personality: Some(PersonalityId::Linux),
                what: "kernel".into(),
                recorded: format!("{} kernel answer(s)", k.queue.len()),
                replayed: "the lab did not ask the kernel for them".into(),
            });
        }
        drop(k);
        if !divergences.is_empty() {
            let f = self.facts.lock().unwrap_or_else(PoisonError::into_inner);
            if !f.missing.is_empty() {
                let q: Vec<String> = f.missing.iter().map(|q| format!("{q:?}")).collect();
                for d in &mut divergences {
                    d.replayed.push_str(&format!(
                        " (the recording has no fact for {}; the simulated network answered)",
                        q.join(", ")
                    ));
                }
            }
        }
        Applied { line, entries, outcome, divergences, incomplete }
    }
}

fn stray(line: usize, what: &str) -> Divergence {
    Divergence { line, personality: None, what: what.into(), recorded: "-".into(), replayed: "-".into() }
}

/// Compare each record with the recorded answer of its personality. Returns whether the
/// step's answers are cut short (allowed only when the step may be incomplete).
fn compare_answers<'e>(
    line: usize,
    records: &[CallRecord],
    answers: impl Iterator<Item = (usize, &'e AnswerEntry)>,
    complete: bool,
    out: &mut Vec<Divergence>,
) -> bool {
    let mut answers = answers.peekable();
    let mut cut = false;
    for r in records {
        // Answers come in column order; a recording cut short lacks the last ones.
        match answers.next_if(|(_, a)| a.p == r.personality) {
            Some((l, a)) => {
                if let Some(field) = a.differs_from(r) {
                    out.push(Divergence {
                        line: l,
                        personality: Some(r.personality),
                        what: field.to_string(),
                        recorded: recorded_text(a, field),
                        replayed: replayed_text(r, field),
                    });
                }
            }
            None if !complete && answers.peek().is_none() => cut = true,
            None => out.push(Divergence {
                line,
                personality: Some(r.personality),
                what: "missing answer".into(),
                recorded: "no answer".into(),
                replayed: replayed_text(r, ""),
            }),
        }
    }
    for (l, a) in answers {
        out.push(Divergence {
            line: l,
            personality: Some(a.p),
            what: "extra answer".into(),
            recorded: recorded_text(a, ""),
            replayed: "no such column, or a second answer from it".into(),
        });
    }
    cut
}

fn compare_events<'e>(
    line: usize,
    records: &[WaitRecord],
    events: impl Iterator<Item = (usize, &'e EventsEntry)>,
    complete: bool,
    out: &mut Vec<Divergence>,
) -> bool {
    let mut events = events.peekable();
    let mut cut = false;
    for r in records {
        match events.next_if(|(_, e)| e.p == r.personality) {
            Some((l, e)) => {
                if let Some(field) = e.differs_from(r) {
                    out.push(Divergence {
                        line: l,
                        personality: Some(r.personality),
                        what: field.to_string(),
                        recorded: events_text(e.met, &e.transitions, e.notifications.len(), e.vtime_ms),
                        replayed: events_text(r.met, &r.events.transitions, r.events.notifications.len(), to_ms(r.at)),
                    });
                }
            }
            None if !complete && events.peek().is_none() => cut = true,
            None => out.push(Divergence {
                line,
                personality: Some(r.personality),
                what: "missing events".into(),
                recorded: "no events entry".into(),
                replayed: events_text(r.met, &r.events.transitions, r.events.notifications.len(), to_ms(r.at)),
            }),
        }
    }
    for (l, e) in events {
        out.push(Divergence {
            line: l,
            personality: Some(e.p),
            what: "extra events".into(),
            recorded: events_text(e.met, &e.transitions, e.notifications.len(), e.vtime_ms),
            replayed: "no such column, or a second entry from it".into(),
        });
    }
    cut
}

// ---------------------------------------------------------------------------------------------
// Steps and the streaming player
// ---------------------------------------------------------------------------------------------

/// Groups `(line, entry)` items into steps, one step in memory at a time.
pub struct StepReader<I> {
    entries: I,
    peeked: Option<(usize, Entry)>,
    error: Option<ReadError>,
    buf: Vec<(usize, Entry)>,
}

impl<I> fmt::Debug for StepReader<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepReader").field("buffered", &self.buf.len()).finish_non_exhaustive()
    }
}

impl<I: Iterator<Item = Result<(usize, Entry), ReadError>>> StepReader<I> {
    pub fn new(entries: I) -> Self {
        StepReader { entries, peeked: None, error: None, buf: Vec::new() }
    }

    /// The next step; after the last step, the read error that ended the recording, if any.
    pub fn next_step(&mut self) -> Option<Result<StepEntries<'_>, ReadError>> {
        self.buf.clear();
        let first = match self.peeked.take() {
            Some(e) => e,
            None => {
                if let Some(e) = self.error.take() {
                    return Some(Err(e));
                }
                match self.entries.next()? {
                    Ok(e) => e,
                    Err(e) => return Some(Err(e)),
                }
            }
        };
        self.buf.push(first);
        let complete = loop {
            match self.entries.next() {
                Some(Ok(e)) if e.1.starts_step() => {
                    self.peeked = Some(e);
                    break true;
                }
                Some(Ok(e)) => self.buf.push(e),
                Some(Err(e)) => {
                    self.error = Some(e);
                    break false;
                }
                None => break false,
            }
        };
        Some(Ok(StepEntries { entries: &self.buf, complete }))
    }
}

/// The entries of one step, with their lines.
#[derive(Clone, Copy, Debug)]
pub struct StepEntries<'a> {
    pub entries: &'a [(usize, Entry)],
    /// Whether the step is known to be whole (another step follows it).
    pub complete: bool,
}

/// A recording streamed through a [`Session`]: one step per [`Player::next_step`], memory
/// bounded by the longest step.
#[derive(Debug)]
pub struct Player<I> {
    steps: StepReader<I>,
    session: Session,
}

impl<I: Iterator<Item = Result<(usize, Entry), ReadError>>> Player<I> {
    /// A player for a recording with this header over its numbered entries
    /// ([`Reader::numbered`]).
    pub fn new(header: &Header, entries: I) -> Self {
        Player { steps: StepReader::new(entries), session: Session::new(header) }
    }

    /// Apply the next step. Ends with the read error that cut the recording short, if any
    /// (every step before it has been applied).
    pub fn next_step(&mut self) -> Option<Result<Applied<'_>, ReadError>> {
        let step = match self.steps.next_step()? {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(self.session.apply(step.entries, step.complete)))
    }

    /// The lab.
    pub fn lab(&self) -> &Lab {
        self.session.lab()
    }
}

/// Totals of a headless check.
#[derive(Debug, Default)]
pub struct Checked {
    pub entries: usize,
    pub steps: usize,
    pub divergences: Vec<Divergence>,
    /// Why the recording could not be read to its end.
    pub error: Option<ReadError>,
}

/// Replay a whole recording without printing anything; keep at most `keep` divergences.
///
/// One thread: parsing on a second one (batches handed over through a channel) was measured
/// faster on an idle 2-core machine but slower as soon as other work shares the cores, and
/// costs more CPU in all cases (docs/performance.md).
pub fn check<R: BufRead>(reader: Reader<R>, keep: usize) -> Checked {
    let header = reader.header().clone();
    let mut player = Player::new(&header, reader.numbered());
    let mut out = Checked::default();
    while let Some(step) = player.next_step() {
        match step {
            Ok(a) => {
                out.steps += 1;
                out.entries += a.entries.len();
                let room = keep.saturating_sub(out.divergences.len());
                out.divergences.extend(a.divergences.into_iter().take(room));
            }
            Err(e) => out.error = Some(e),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Pacing (pure)
// ---------------------------------------------------------------------------------------------

/// Something with a time offset in ms.
pub trait Timed {
    fn t_ms(&self) -> Option<f64>;
}

impl Timed for Entry {
    fn t_ms(&self) -> Option<f64> {
        self.t()
    }
}

impl<T: Timed> Timed for (usize, T) {
    fn t_ms(&self) -> Option<f64> {
        self.1.t_ms()
    }
}

impl<T: Timed, E> Timed for Result<T, E> {
    fn t_ms(&self) -> Option<f64> {
        self.as_ref().ok().and_then(Timed::t_ms)
    }
}

/// Items with the time at which to show them: `(at, item)`.
#[derive(Debug, Clone)]
pub struct Timeline<I> {
    inner: I,
    last: Duration,
}

/// Put items on a timeline from their `t` (an item without one is shown with the one before).
pub fn timeline<I: Iterator>(it: I) -> Timeline<I>
where
    I::Item: Timed,
{
    Timeline { inner: it, last: Duration::ZERO }
}

impl<I: Iterator> Iterator for Timeline<I>
where
    I::Item: Timed,
{
    type Item = (Duration, I::Item);
    fn next(&mut self) -> Option<Self::Item> {
        let item = self.inner.next()?;
        if let Some(t) = item.t_ms() {
            self.last = self.last.max(from_ms(t));
        }
        Some((self.last, item))
    }
}

impl<I> Timeline<I> {
    /// Shorten every gap longer than `max` to `max` (asciinema's `idle_time_limit`).
    pub fn idle_limit(self, max: Duration) -> IdleLimit<Self> {
        IdleLimit { inner: self, max, prev_in: None, out: Duration::ZERO }
    }

    /// Play `factor` times as fast (0.25 to 16 in the TUI).
    pub fn speed(self, factor: f64) -> Speed<Self> {
        Speed { inner: self, factor }
    }
}

/// See [`Timeline::idle_limit`].
#[derive(Debug, Clone)]
pub struct IdleLimit<I> {
    inner: I,
    max: Duration,
    prev_in: Option<Duration>,
    out: Duration,
}

impl<I: Iterator<Item = (Duration, T)>, T> Iterator for IdleLimit<I> {
    type Item = (Duration, T);
    fn next(&mut self) -> Option<Self::Item> {
        let (at, item) = self.inner.next()?;
        let gap = self.prev_in.map_or(at, |p| at.saturating_sub(p));
        self.prev_in = Some(at);
        self.out += gap.min(self.max);
        Some((self.out, item))
    }
}

impl<I> IdleLimit<I> {
    /// Then play `factor` times as fast.
    pub fn speed(self, factor: f64) -> Speed<Self> {
        Speed { inner: self, factor }
    }
}

/// See [`Timeline::speed`].
#[derive(Debug, Clone)]
pub struct Speed<I> {
    inner: I,
    factor: f64,
}

impl<I: Iterator<Item = (Duration, T)>, T> Iterator for Speed<I> {
    type Item = (Duration, T);
    fn next(&mut self) -> Option<Self::Item> {
        let (at, item) = self.inner.next()?;
        let f = if self.factor.is_finite() && self.factor > 0.0 { self.factor } else { 1.0 };
        Some((at.div_f64(f), item))
    }
}

// ---------------------------------------------------------------------------------------------
// Replay: random access for the TUI
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Row {
    offset: u64,
    line: usize,
    t: f64,
    starts_step: bool,
}

/// A marker's place.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// The marker entry's index (0-based position among the entries).
    pub index: usize,
    pub label: String,
    pub t: f64,
}

/// A recording opened for stepping back and forth (the TUI's replay).
///
/// Positions are entry indexes: position `p` means entries `0..p` have been applied (0: the
/// start, [`Replay::len`]: the end). Applying a `call`, `wait` or `marker` entry runs its whole
/// step (the facts, kernel answers and answers after it are read ahead); stepping over the
/// step's other entries only moves the position.
///
/// Memory: an index of 24 bytes per entry, the markers, and the current step; entries are read
/// from the file when needed. Cost: stepping forward is one step; stepping back inside the
/// current step is free; stepping back further rebuilds the lab by replaying from the start,
/// which costs time proportional to the position (about 1.4 µs per entry in release builds: a
/// second and a half at the end of a 1,000,000-entry recording). Personalities' hosts cannot be cloned
/// yet, so there are no checkpoints.
pub struct Replay<R> {
    src: R,
    /// Where the next read of `src` starts, when known.
    src_pos: Option<u64>,
    buf: String,
    header: Header,
    rows: Vec<Row>,
    markers: Vec<Marker>,
    error: Option<ReadError>,
    session: Session,
    pos: usize,
    /// Index of the first entry of the step applied last, and its entries.
    step_start: Option<usize>,
    step: Vec<(usize, Entry)>,
    records: Vec<CallRecord>,
    waits: Vec<WaitRecord>,
    divergences: Vec<Divergence>,
}

impl<R> fmt::Debug for Replay<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replay").field("len", &self.rows.len()).field("pos", &self.pos).finish_non_exhaustive()
    }
}

/// Where a [`Replay`] reads its entries from, as a trait object (the TUI's app holds a
/// `Replay<Box<dyn Source>>` opened by the terminal layer).
pub trait Source: BufRead + Seek + Send {}

impl<T: BufRead + Seek + Send> Source for T {}

impl Replay<BufReader<File>> {
    /// Open a recording file.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let f = File::open(path).map_err(|e| ReadError { line: 1, what: ReadErrorKind::Io(e) })?;
        Replay::new(BufReader::with_capacity(1 << 16, f))
    }
}

impl<R: BufRead + Seek> Replay<R> {
    /// Index a recording. A damaged entry ends the index: everything before it can be
    /// replayed, and [`Replay::error`] says what is wrong.
    pub fn new(mut src: R) -> Result<Self, ReadError> {
        let io_err = |line, e| ReadError { line, what: ReadErrorKind::Io(e) };
        src.seek(SeekFrom::Start(0)).map_err(|e| io_err(1, e))?;
        // Lines are read with a cap (record::MAX_LINE_BYTES): a huge line is an error, not
        // memory.
        let too_long = |line| ReadError {
            line,
            what: ReadErrorKind::Corrupt(super::record::EntryError {
                kind: None,
                message: format!("longer than {MAX_LINE_BYTES} bytes: not an entry socklab wrote"),
            }),
        };
        let mut bytes = Vec::new();
        match read_line_capped(&mut src, &mut bytes, MAX_LINE_BYTES, 0) {
            Err(e) => return Err(io_err(1, e)),
            Ok(Line::End) => return Err(ReadError { line: 1, what: ReadErrorKind::Empty }),
            Ok(Line::TooLong) => {
                return Err(ReadError {
                    line: 1,
                    what: ReadErrorKind::Header(format!(
                        "longer than {MAX_LINE_BYTES} bytes: not a recording's header"
                    )),
                });
            }
            Ok(Line::Read) => {}
        }
        let mut offset = bytes.len() as u64;
        let head = String::from_utf8_lossy(&bytes).into_owned();
        let header = super::record::parse_header(head.trim_end_matches(['\n', '\r']))?;
        let mut rows = Vec::new();
        let mut markers = Vec::new();
        let mut error = None;
        let mut line = 1;
        loop {
            match read_line_capped(&mut src, &mut bytes, MAX_LINE_BYTES, 0) {
                Ok(Line::Read) => {}
                Ok(Line::End) => break,
                Ok(Line::TooLong) => {
                    error = Some(too_long(line + 1));
                    break;
                }
                Err(e) => {
                    error = Some(io_err(line + 1, e));
                    break;
                }
            }
            let n = bytes.len();
            line += 1;
            let at = offset;
            offset += n as u64;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let mut text = &bytes[..];
            while let [rest @ .., b'\n' | b'\r'] = text {
                text = rest;
            }
            match Entry::parse_bytes(text) {
                Ok(e) => {
                    let t = e.t().unwrap_or_else(|| rows.last().map_or(0.0, |r: &Row| r.t));
                    if let Entry::Marker(m) = &e {
                        markers.push(Marker { index: rows.len(), label: m.label.clone(), t });
                    }
                    rows.push(Row { offset: at, line, t, starts_step: e.starts_step() });
                }
                Err(e) => {
                    let what =
                        if bytes.ends_with(b"\n") { ReadErrorKind::Corrupt(e) } else { ReadErrorKind::Truncated(e) };
                    error = Some(ReadError { line, what });
                    break;
                }
            }
        }
        let buf = String::new();
        let session = Session::new(&header);
        Ok(Replay {
            src,
            src_pos: None,
            buf,
            header,
            rows,
            markers,
            error,
            session,
            pos: 0,
            step_start: None,
            step: Vec::new(),
            records: Vec::new(),
            waits: Vec::new(),
            divergences: Vec::new(),
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Number of (readable) entries.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Entries applied so far (see the type's docs).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Whether entry `i` starts a step (`call`, `wait` or `marker`).
    pub fn starts_step(&self, i: usize) -> bool {
        self.rows.get(i).is_some_and(|r| r.starts_step)
    }

    /// Index of the first entry of the step applied last (`None` at the start).
    pub fn step_start(&self) -> Option<usize> {
        self.step_start
    }

    /// Why the index stops before the end of the file, if it does.
    pub fn error(&self) -> Option<&ReadError> {
        self.error.as_ref()
    }

    /// The markers, in order.
    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }

    /// The time offset of entry `i`, in ms (for a progress bar).
    pub fn t_of(&self, i: usize) -> Option<f64> {
        self.rows.get(i).map(|r| r.t)
    }

    /// The time offset of the last entry, in ms.
    pub fn duration_ms(&self) -> f64 {
        self.rows.last().map_or(0.0, |r| r.t)
    }

    /// The lab after the entries applied so far.
    pub fn lab(&self) -> &Lab {
        self.session.lab()
    }

    /// Every personality's record of the last call applied.
    pub fn last_call(&self) -> &[CallRecord] {
        &self.records
    }

    /// Every personality's record of the last wait applied.
    pub fn last_wait(&self) -> &[WaitRecord] {
        &self.waits
    }

    /// The entries of the step the position is in, with their lines.
    pub fn current_step(&self) -> &[(usize, Entry)] {
        &self.step
    }

    /// Divergences found so far (from the start to the position).
    pub fn divergences(&self) -> &[Divergence] {
        &self.divergences
    }

    /// Read entry `i` from the file.
    pub fn entry(&mut self, i: usize) -> Result<Entry, ReadError> {
        let row = *self.rows.get(i).ok_or_else(|| ReadError {
            line: i + 2,
            what: ReadErrorKind::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "no such entry")),
        })?;
        self.read_at(row)
    }

    fn read_at(&mut self, row: Row) -> Result<Entry, ReadError> {
        let io_err = |e| ReadError { line: row.line, what: ReadErrorKind::Io(e) };
        // Reading on from where the last read ended needs no seek (a seek empties the buffer).
        if self.src_pos != Some(row.offset) {
            self.src.seek(SeekFrom::Start(row.offset)).map_err(io_err)?;
        }
        self.buf.clear();
        let n = self.src.read_line(&mut self.buf).map_err(io_err)?;
        self.src_pos = Some(row.offset + n as u64);
        Entry::parse(self.buf.trim_end_matches(['\n', '\r']))
            .map_err(|e| ReadError { line: row.line, what: ReadErrorKind::Corrupt(e) })
    }

    /// Apply the entry at the position and move past it. `None` at the end.
    pub fn step_forward(&mut self) -> Option<Result<(), ReadError>> {
        let i = self.pos;
        let row = *self.rows.get(i)?;
        if row.starts_step || self.step_start.is_none() {
            if let Err(e) = self.run_step(i) {
                return Some(Err(e));
            }
        }
        self.pos += 1;
        Some(Ok(()))
    }

    /// Undo the last entry (see the type's docs for the cost).
    pub fn step_back(&mut self) -> Result<(), ReadError> {
        self.seek(self.pos.saturating_sub(1))
    }

    /// Go to position `p` (clamped to the length).
    pub fn seek(&mut self, p: usize) -> Result<(), ReadError> {
        let p = p.min(self.rows.len());
        if p < self.pos {
            // Positions after the current step's first entry share its lab.
            if self.step_start.is_some_and(|s| p > s) {
                self.pos = p;
                return Ok(());
            }
            self.rewind();
        }
        while self.pos < p {
            if let Some(Err(e)) = self.step_forward() {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Go just past marker `k` (the lab as it was when the marker was set).
    pub fn jump_to_marker(&mut self, k: usize) -> Result<(), ReadError> {
        match self.markers.get(k) {
            Some(m) => self.seek(m.index + 1),
            None => Ok(()),
        }
    }

    /// Go to the first marker with this label.
    pub fn jump_to_label(&mut self, label: &str) -> Result<bool, ReadError> {
        match self.markers.iter().position(|m| m.label == label) {
            Some(k) => self.jump_to_marker(k).map(|_| true),
            None => Ok(false),
        }
    }

    /// Back to the start, with a fresh lab.
    pub fn rewind(&mut self) {
        self.session = Session::new(&self.header);
        self.pos = 0;
        self.step_start = None;
        self.step.clear();
        self.records.clear();
        self.waits.clear();
        self.divergences.clear();
    }

    fn run_step(&mut self, i: usize) -> Result<(), ReadError> {
        let mut end = i + 1;
        while end < self.rows.len() && !self.rows[end].starts_step {
            end += 1;
        }
        let mut step = std::mem::take(&mut self.step);
        step.clear();
        for k in i..end {
            let row = self.rows[k];
            step.push((row.line, self.read_at(row)?));
        }
        let complete = end < self.rows.len();
        let applied = self.session.apply(&step, complete);
        self.divergences.extend(applied.divergences);
        match applied.outcome {
            Outcome::Call { records, .. } => {
                self.records.clear();
                self.records.extend_from_slice(records);
            }
            Outcome::Wait { records, .. } => self.waits = records,
            Outcome::Marker(_) | Outcome::Other => {}
        }
        self.step = step;
        self.step_start = Some(i);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Re-run safety
// ---------------------------------------------------------------------------------------------

/// A call of a recording that would reach beyond this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    pub line: usize,
    pub text: String,
    pub addr: SocketAddr,
}

/// Whether socklab may send to `ip` from this host: loopback, or the wildcard address (which
/// Linux reads as this host). The same rule as the live network's.
pub fn is_local_destination(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    ip.is_loopback() || ip.is_unspecified()
}

/// Every address a recording's calls use (connect, bind, sendto; named targets resolved as
/// the recording resolved them) that is not on this host.
pub fn remote_addresses<I>(header: &Header, entries: I) -> Result<Vec<Remote>, ReadError>
where
    I: Iterator<Item = Result<(usize, Entry), ReadError>>,
{
    let mut families: HashMap<String, Family> = HashMap::new();
    let mut resolved: HashMap<(NamedTarget, Family), Option<SocketAddr>> = HashMap::new();
    let mut out = Vec::new();
    for e in entries {
        let (line, e) = e?;
        match e {
            Entry::Fact(f) => {
                if let (Query::Resolve { target, family }, FactAnswer::Addr(a)) = (f.q, f.a) {
                    resolved.insert((target, family), a);
                }
            }
            Entry::Call(c) => {
                let addr: Option<&SockAddrArg> = match &c.call {
                    Call::Socket { name, family, .. } => {
                        families.insert(name.clone(), *family);
                        None
                    }
                    Call::Connect { addr, .. } | Call::Bind { addr, .. } | Call::SendTo { addr, .. } => Some(addr),
                    _ => None,
                };
                let Some(arg) = addr else { continue };
                let family = match c.call.sock() {
                    Some(crate::core::call::SockRef::Name(n)) => families.get(n).copied(),
                    _ => None,
                };
                let candidates: Vec<SocketAddr> = match &arg.kind {
                    AddrKind::Inet(a) => vec![*a],
                    AddrKind::Target(t) => {
                        let fams = match family {
                            Some(f) => vec![f],
                            None => vec![Family::V4, Family::V6],
                        };
                        fams.into_iter()
                            .filter_map(|f| {
                                resolved.get(&(*t, f)).copied().unwrap_or_else(|| header.facts.target(*t, f))
                            })
                            .collect()
                    }
                    AddrKind::Unspec | AddrKind::Null | AddrKind::Family(_) => Vec::new(),
                };
                for a in candidates {
                    if !is_local_destination(a.ip()) {
                        out.push(Remote { line, text: c.text.clone(), addr: a });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::call::{ConnectApi, Proto, SockRef};
    use crate::session::record::{Journal, Recorder, read_prefix};

    fn recording(calls: &[Call], wait_ms: Option<u64>) -> Vec<u8> {
        let header = Header::new(PersonalityId::ALL, Network::Sim, "2026-01-01T00:00:00Z".into(), &SimNet);
        let mut rec = Recorder::new(Vec::new(), &header, None).unwrap();
        let mut lab = Lab::new(PersonalityId::ALL, rec.tap().facts(Box::new(SimNet)));
        for (i, c) in calls.iter().enumerate() {
            let recs = lab.call(c);
            rec.call(Some(i + 1), &format!("call {i}"), c, recs).unwrap();
            if i == 1 {
                rec.marker("after fionbio").unwrap();
            }
        }
        if let Some(ms) = wait_ms {
            let recs = lab.wait_for(Duration::from_millis(ms));
            rec.wait(None, "wait", &WaitSpec::For { ms: ms as f64 }, &recs).unwrap();
        }
        rec.stop().unwrap()
    }

    fn lifecycle() -> Vec<Call> {
        let s = || SockRef::Name("s".into());
        vec![
            Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() },
            Call::Fionbio { sock: s(), on: true },
            Call::Connect {
                sock: s(),
                addr: SockAddrArg { kind: AddrKind::Target(NamedTarget::Refuse), len: None },
                api: ConnectApi::Connect,
            },
            Call::Select {
                read: vec![s()],
                write: vec![s()],
                except: vec![s()],
                timeout: Some(Duration::from_secs(5)),
            },
            Call::GetSockOpt { sock: s(), opt: crate::core::call::SockOpt::SO_ERROR, optlen: None },
        ]
    }

    fn check_bytes(b: &[u8]) -> Checked {
        check(Reader::new(b).unwrap(), 100)
    }

    #[test]
    fn a_recording_replays_without_divergence() {
        let b = recording(&lifecycle(), Some(3000));
        let c = check_bytes(&b);
        assert!(c.error.is_none());
        assert!(c.divergences.is_empty(), "{:#?}", c.divergences);
        assert_eq!(c.steps, 5 + 1 + 1);
    }

    #[test]
    fn an_edited_answer_is_a_divergence_naming_entry_and_both_answers() {
        let b = recording(&lifecycle(), None);
        let text = String::from_utf8(b).unwrap();
        // The winsock answer to the connect: WSAEWOULDBLOCK -> WSAEALREADY.
        let edited: String = text
            .lines()
            .map(|l| {
                if l.contains("\"p\":\"winsock\"") && l.contains("WSAEWOULDBLOCK") {
                    l.replace(
                        "\"name\":\"WSAEWOULDBLOCK\",\"number\":10035",
                        "\"name\":\"WSAEALREADY\",\"number\":10037",
                    )
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let line =
            text.lines().position(|l| l.contains("\"p\":\"winsock\"") && l.contains("WSAEWOULDBLOCK")).unwrap() + 1;
        let c = check_bytes(edited.as_bytes());
        assert_eq!(c.divergences.len(), 1, "{:#?}", c.divergences);
        let msg = c.divergences[0].to_string();
        assert!(msg.starts_with(&format!("entry {} (line {line}), winsock: error", line - 1)), "{msg}");
        assert!(msg.contains("WSAEALREADY (10037)") && msg.contains("WSAEWOULDBLOCK (10035)"), "{msg}");
    }

    #[test]
    fn a_recording_cut_inside_a_step_replays_its_prefix() {
        let b = recording(&lifecycle(), None);
        let text = String::from_utf8(b).unwrap();
        // Keep the header, the first call and two of its four answers.
        let lines: Vec<&str> = text.lines().collect();
        let call2 = lines.iter().enumerate().filter(|(_, l)| l.contains("\"kind\":\"call\"")).nth(1).unwrap().0;
        let cut = format!("{}\n", lines[..call2 + 3].join("\n"));
        let c = check_bytes(cut.as_bytes());
        assert!(c.divergences.is_empty(), "{:#?}", c.divergences);
    }

    #[test]
    fn stepping_back_and_markers() {
        let b = recording(&lifecycle(), Some(10));
        let mut r = Replay::new(io::Cursor::new(b.clone())).unwrap();
        let n = r.len();
        assert_eq!(r.markers().len(), 1);
        r.seek(n).unwrap();
        assert!(r.divergences().is_empty(), "{:#?}", r.divergences());
        let end_state = r.lab().hosts()[0].state("s");
        let vt = r.lab().hosts()[0].now();
        assert_eq!(vt, Duration::from_millis(10));
        // Back to the marker: s is nonblocking and unbound, connect not called yet.
        r.jump_to_label("after fionbio").unwrap();
        assert_eq!(r.lab().hosts()[0].state("s"), Some(State::Unbound));
        assert!(r.lab().hosts()[0].sockets()[0].nonblocking);
        // And forward to the end again: same state.
        r.seek(n).unwrap();
        assert_eq!(r.lab().hosts()[0].state("s"), end_state);
        // Step back one entry at a time down to 0 and forward again, no divergence.
        while r.position() > 0 {
            r.step_back().unwrap();
        }
        assert_eq!(r.lab().hosts()[0].state("s"), None);
        while r.step_forward().is_some() {}
        assert!(r.divergences().is_empty());
        assert_eq!(r.position(), n);
        let e = r.entry(0).unwrap();
        assert_eq!(e.kind(), "call");
        let p = read_prefix(&b[..]).unwrap();
        assert_eq!(p.entries.len(), n);
    }

    #[test]
    fn pacing_limits_idle_and_speeds_up() {
        let ts = [0.0, 100.0, 5100.0, 5200.0];
        let items: Vec<Entry> =
            ts.iter().map(|&t| Entry::Marker(MarkerEntry { t, label: String::new(), line: None })).collect();
        let at: Vec<u128> = timeline(items.iter().cloned()).map(|(d, _)| d.as_millis()).collect();
        assert_eq!(at, [0, 100, 5100, 5200]);
        let at: Vec<u128> =
            timeline(items.iter().cloned()).idle_limit(Duration::from_secs(1)).map(|(d, _)| d.as_millis()).collect();
        assert_eq!(at, [0, 100, 1100, 1200]);
        let at: Vec<u128> = timeline(items.iter().cloned())
            .idle_limit(Duration::from_secs(1))
            .speed(2.0)
            .map(|(d, _)| d.as_millis())
            .collect();
        assert_eq!(at, [0, 50, 550, 600]);
        let at: Vec<u128> = timeline(items.into_iter()).speed(0.25).map(|(d, _)| d.as_millis()).collect();
        assert_eq!(at, [0, 400, 20400, 20800]);
    }

    #[test]
    fn remote_addresses_are_found_after_resolution() {
        let s = || SockRef::Name("s".into());
        let mut calls = lifecycle();
        calls.push(Call::Connect {
            sock: s(),
            addr: SockAddrArg::inet("198.51.100.2:80".parse().unwrap()),
            api: ConnectApi::Connect,
        });
        calls.push(Call::Connect {
            sock: s(),
            addr: SockAddrArg::inet("0.0.0.0:80".parse().unwrap()),
            api: ConnectApi::Connect,
        });
        let b = recording(&calls, None);
        let r = Reader::new(&b[..]).unwrap();
        let h = r.header().clone();
        let remote = remote_addresses(&h, r.numbered()).unwrap();
        assert_eq!(remote.len(), 1, "{remote:?}");
        assert_eq!(remote[0].addr.to_string(), "198.51.100.2:80");
        // A header claiming @refuse is elsewhere makes its connect remote.
        let text = String::from_utf8(b).unwrap().replace("127.0.0.1:7002", "192.0.2.7:7002");
        let r = Reader::new(text.as_bytes()).unwrap();
        let h = r.header().clone();
        let remote = remote_addresses(&h, r.numbered()).unwrap();
        assert!(remote.iter().any(|r| r.addr.to_string() == "192.0.2.7:7002"), "{remote:?}");
    }
}
