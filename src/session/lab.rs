//! A [`Lab`] runs one experiment through several personalities at once: each has its own
//! [`Host`] (sockets, virtual clock), all share the same network facts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::core::call::Call;
use crate::core::codes::Code;
use crate::core::compare::{Returned, Verdict, compare};
use crate::core::engine::{Events, Host};
use crate::core::facts::Facts;
use crate::core::model::{Answer, Notification, Ret, State, Value};
use crate::core::personality::PersonalityId;

/// What a real kernel answered to a call on the live network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelAnswer {
    /// The call was made; these are the kernel's raw results.
    Performed {
        ret: Ret,
        error: Option<Code>,
        value: Value,
        /// Real time the call took.
        elapsed: Duration,
        /// The kernel's TCP state of the call's socket afterwards (`TCP_INFO`), if any.
        tcp_state: Option<String>,
    },
    /// socklab did not make the call, and says why (no POSIX counterpart, a destination
    /// outside loopback, a descriptor that does not exist).
    NotPerformed { why: String },
}

/// A real kernel answering the same calls: the live network. On Linux it is the judge of the
/// `linux` personality.
pub trait Kernel: Send {
    /// Perform the call on real sockets.
    fn perform(&mut self, call: &Call) -> KernelAnswer;
    /// Let real time pass.
    fn sleep(&mut self, d: Duration);
    /// Wait in real time (at most `limit`) until the socket reaches the condition; returns
    /// whether it did and how long it took.
    fn wait_until(&mut self, sock: &str, until: Until, limit: Duration) -> (bool, Duration);
    /// The kernel's TCP state of a socket (`SYN_SENT`, `ESTABLISHED`, ...).
    fn tcp_state(&self, sock: &str) -> Option<String>;
    /// A handle that cuts `job` short from another thread while it blocks (the TUI's Esc), or
    /// `None` when the job cannot be cut short.
    fn interrupter(&self, _job: &KernelJob) -> Option<Box<dyn Interrupt>> {
        None
    }
    /// Window messages and overlapped completions that arrived since the last time this was
    /// asked (a Winsock judge reports them; a POSIX kernel has none).
    fn notifications(&mut self) -> Vec<Notification> {
        Vec::new()
    }

    /// Recording: the kernel's answers of the steps written next, one per step, before what
    /// it answered since the last step (the calls another thread made while a call blocked,
    /// told once the call has returned). Without a recording: nothing.
    fn file_first(&mut self, _answers: Vec<KernelAnswer>) {}

    /// Whether this judge's sockets are this host's own (a Winsock agent under Wine): then it
    /// and the kernel compete for the same fixed local ports.
    fn shares_host(&self) -> bool {
        false
    }

    /// A call on `sock` was answered for this judge as not made (by the [`Lab`]'s pair of
    /// judges): later calls on that socket are not made either.
    fn diverge(&mut self, _sock: &str) {}
}

/// Cuts a blocking kernel job short from another thread.
pub trait Interrupt: Send + Sync {
    /// Do it; returns what was done, in a sentence (`shut down s from another thread`).
    fn interrupt(&self) -> String;
}

/// What the kernel is asked to do for one step on the live network: the part of a step that
/// may block in real time. The TUI runs it on a worker thread ([`Lab::take_kernel`]) so the
/// screen stays usable, then completes the step with [`Lab::call_answered`] and friends.
#[derive(Clone, Debug, PartialEq)]
pub enum KernelJob {
    Call(Call),
    Sleep(Duration),
    Until { sock: String, until: Until },
}

/// What the kernel answered to a [`KernelJob`].
#[derive(Clone, Debug, PartialEq)]
pub enum KernelDone {
    Call(KernelAnswer),
    Slept,
    Until(bool, Duration),
}

impl KernelJob {
    /// Run the job on `kernel` (blocks in real time).
    pub fn run(&self, kernel: &mut dyn Kernel) -> KernelDone {
        match self {
            KernelJob::Call(c) => KernelDone::Call(kernel.perform(c)),
            KernelJob::Sleep(d) => {
                kernel.sleep(*d);
                KernelDone::Slept
            }
            KernelJob::Until { sock, until } => {
                let (met, took) = kernel.wait_until(sock, *until, WAIT_LIMIT);
                KernelDone::Until(met, took)
            }
        }
    }
}

/// Who judges a personality's column on the live network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JudgeKind {
    /// The host's kernel judges `linux`.
    Kernel,
    /// A Winsock agent (real ws2_32, under Wine or on Windows) judges `windows`.
    Winsock,
}

impl JudgeKind {
    /// The judge in a sentence: "the kernel", "Winsock".
    pub fn who(self) -> &'static str {
        match self {
            JudgeKind::Kernel => "the kernel",
            JudgeKind::Winsock => "Winsock",
        }
    }

    /// Which personality this judge judges.
    pub fn judges(self) -> PersonalityId {
        match self {
            JudgeKind::Kernel => PersonalityId::Linux,
            JudgeKind::Winsock => PersonalityId::Windows,
        }
    }
}

/// One personality's record of one call.
#[derive(Clone, Debug)]
pub struct CallRecord {
    pub personality: PersonalityId,
    /// The answer shown for this personality. On the live network the `linux` answer is the
    /// kernel's; the model's prediction is then in `model`.
    pub answer: Answer,
    /// Live network, `linux` column: what the model predicted, when it disagrees with the kernel.
    pub model: Option<Answer>,
    /// Live network, `linux` column: the kernel's answer (or why the call was not made).
    pub kernel: Option<KernelAnswer>,
    /// Live network, `linux` column: how model and kernel disagree, in one sentence.
    pub disagreement: Option<String>,
    /// Who judged this column (the kernel for `linux`, a Winsock agent for `windows`).
    pub judge: Option<JudgeKind>,
    /// `windows` column under a Winsock judge: the window messages and completions the
    /// agent reported during the call.
    pub judge_notes: Vec<Notification>,
    /// State of the call's socket before and after (when the call has one socket).
    pub before: Option<State>,
    pub after: Option<State>,
    /// Virtual time when the call returned.
    pub at: Duration,
}

impl CallRecord {
    /// What this personality returned, for [`crate::core::compare`].
    pub fn returned(&self) -> Returned<'_> {
        let a = &self.answer;
        Returned {
            p: self.personality,
            ret: Some(a.ret),
            error: a.error,
            value: &a.value,
            transitions: &a.transitions,
            notifications: &a.notifications,
            met: None,
        }
    }
}

/// How the personalities' answers to one call relate (`≈`, `≠`), by the one definition.
pub fn verdict(recs: &[CallRecord]) -> Verdict {
    compare(&recs.iter().map(CallRecord::returned).collect::<Vec<_>>())
}

/// How the personalities' experiences of one wait relate.
pub fn wait_verdict(recs: &[WaitRecord]) -> Verdict {
    compare(&recs.iter().map(WaitRecord::returned).collect::<Vec<_>>())
}

/// [`verdict`] with findings only for what really differs (what a transcript prints).
pub fn differences(recs: &[CallRecord]) -> Verdict {
    // Four personalities (every compare row): the rows on the stack.
    match recs {
        [a, b, c, d] => crate::core::compare::differences(&[a.returned(), b.returned(), c.returned(), d.returned()]),
        _ => crate::core::compare::differences(&recs.iter().map(CallRecord::returned).collect::<Vec<_>>()),
    }
}

/// [`wait_verdict`] with findings only for what really differs (what a transcript prints).
pub fn wait_differences(recs: &[WaitRecord]) -> Verdict {
    match recs {
        [a, b, c, d] => crate::core::compare::differences(&[a.returned(), b.returned(), c.returned(), d.returned()]),
        _ => crate::core::compare::differences(&recs.iter().map(WaitRecord::returned).collect::<Vec<_>>()),
    }
}

/// One personality's record of time passing.
#[derive(Clone, Debug)]
pub struct WaitRecord {
    pub personality: PersonalityId,
    pub events: Events,
    /// Whether the awaited condition was met (`wait NAME ...`); `true` for plain waits.
    pub met: bool,
    pub at: Duration,
    /// Live network, `linux` column, `wait NAME ...`: whether the real socket got there and
    /// how long that took in real time.
    pub kernel: Option<(bool, Duration)>,
    /// `windows` column under a Winsock judge: the messages and completions the agent reported
    /// while time passed.
    pub judge_notes: Vec<Notification>,
    /// `windows` column under a Winsock judge: how the messages and completions Winsock
    /// delivered since the last wait differ from the model's, in one sentence.
    pub disagreement: Option<String>,
}

impl WaitRecord {
    fn new(personality: PersonalityId, events: Events, met: bool, at: Duration) -> WaitRecord {
        WaitRecord { personality, events, met, at, kernel: None, judge_notes: Vec::new(), disagreement: None }
    }
}

impl WaitRecord {
    /// What time brought this personality, for [`crate::core::compare`].
    pub fn returned(&self) -> Returned<'_> {
        Returned::wait(self.personality, self.met, &self.events.transitions, &self.events.notifications)
    }
}

/// What `wait NAME ...` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    Connected,
    Failed,
    Event,
}

impl From<crate::script::ast::WaitUntil> for Until {
    fn from(u: crate::script::ast::WaitUntil) -> Until {
        use crate::script::ast::WaitUntil as W;
        match u {
            W::Connected => Until::Connected,
            W::Failed => Until::Failed,
            W::Event => Until::Event,
        }
    }
}

/// Longest `wait NAME ...` lets virtual time run.
pub const WAIT_LIMIT: Duration = Duration::from_secs(600);

/// Several personalities side by side over one network.
pub struct Lab {
    hosts: Vec<Host>,
    facts: Box<dyn Facts + Send>,
    kernel: Option<Box<dyn Kernel>>,
    /// A kernel was attached and judges `linux` (it may be away on a worker:
    /// [`Lab::take_kernel`]; without one, a Winsock judge rides alone in `kernel`).
    live: bool,
    /// Under a Winsock judge (which rides along with the kernel, see [`Judges`]): what it
    /// answered to the last job.
    winsock: Option<Arc<Mutex<WinsockOut>>>,
    /// Under a Winsock judge: window messages and completions since the last wait, as the
    /// agent delivered them and as the `windows` model did.
    judge_notes: Vec<Notification>,
    model_notes: Vec<Notification>,
    /// The records of the last call, one per personality (empty before the first call).
    last: Vec<CallRecord>,
    /// Notifications since the last call, per personality.
    recent: Vec<Vec<Notification>>,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab").field("hosts", &self.hosts).finish_non_exhaustive()
    }
}

impl Lab {
    /// A lab for these personalities over `facts`.
    pub fn new(personalities: &[PersonalityId], facts: Box<dyn Facts + Send>) -> Lab {
        let n = personalities.len();
        Lab {
            hosts: personalities.iter().map(|&p| Host::new(p)).collect(),
            facts,
            kernel: None,
            live: false,
            winsock: None,
            judge_notes: Vec::new(),
            model_notes: Vec::new(),
            last: Vec::with_capacity(n),
            recent: vec![Vec::new(); n],
        }
    }

    /// A lab on the live network: `kernel` performs every call for real, `facts` describe the
    /// live targets to the models.
    pub fn live(personalities: &[PersonalityId], facts: Box<dyn Facts + Send>, kernel: Box<dyn Kernel>) -> Lab {
        let mut lab = Lab::new(personalities, facts);
        lab.kernel = Some(kernel);
        lab.live = true;
        lab
    }

    /// Let a Winsock agent judge the `windows` column: it performs every call too, and its
    /// answers are shown there, the model's beside them when the two disagree.
    pub fn with_winsock_judge(mut self, judge: Box<dyn Kernel>) -> Lab {
        let out = Arc::new(Mutex::new(WinsockOut::default()));
        let kernel = self.kernel.take();
        let agent_first = !self.personalities().contains(&PersonalityId::Linux);
        self.kernel =
            Some(Box::new(Judges { kernel, winsock: judge, out: out.clone(), held: Default::default(), agent_first }));
        self.winsock = Some(out);
        self
    }

    /// Whether a real kernel answers too.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Lend the kernel out, to run a [`KernelJob`] on another thread; give it back with
    /// [`Lab::put_kernel`]. `None` on the simulated network or while it is lent.
    pub fn take_kernel(&mut self) -> Option<Box<dyn Kernel>> {
        self.kernel.take()
    }

    /// The kernel is back from its job.
    pub fn put_kernel(&mut self, k: Box<dyn Kernel>) {
        self.kernel = Some(k);
    }

    /// Whether a Winsock agent judges the `windows` column.
    pub fn has_winsock_judge(&self) -> bool {
        self.winsock.is_some()
    }

    /// Under a Winsock judge: take back the agent's answer to a call run elsewhere (a
    /// [`KernelJob`]) before the Lab is told of it, so that rows answered first (the TUI's
    /// give-up rows) do not take it; give it back with [`Lab::put_winsock_answer`].
    pub fn take_winsock_answer(&mut self) -> Option<KernelAnswer> {
        self.winsock.as_ref().and_then(|o| o.lock().unwrap_or_else(|p| p.into_inner()).call.take())
    }

    /// Under a Winsock judge: the agent's answer for the next call the Lab is told of.
    pub fn put_winsock_answer(&mut self, a: Option<KernelAnswer>) {
        if let Some(o) = &self.winsock {
            o.lock().unwrap_or_else(|p| p.into_inner()).call = a;
        }
    }

    /// The kernel's TCP state of a socket, on the live network.
    pub fn kernel_tcp_state(&self, sock: &str) -> Option<String> {
        self.kernel.as_ref().and_then(|k| k.tcp_state(sock))
    }

    /// The personalities, in column order.
    pub fn personalities(&self) -> Vec<PersonalityId> {
        self.hosts.iter().map(|h| h.personality()).collect()
    }

    /// The hosts, in column order.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The last answer of each personality.
    pub fn last(&self, idx: usize) -> Option<&Answer> {
        self.last.get(idx).map(|r| &r.answer)
    }

    /// Notifications since the last call, for one personality.
    pub fn recent(&self, idx: usize) -> &[Notification] {
        &self.recent[idx]
    }

    /// Every personality answers the call; the records stay readable until the next call.
    pub fn call(&mut self, call: &Call) -> &[CallRecord] {
        let kernel = self.kernel.as_mut().map(|k| k.perform(call));
        self.call_answered(call, kernel)
    }

    /// Every personality answers the call, the kernel having answered `kernel` already (a
    /// [`KernelJob::Call`] run elsewhere; `None` on the simulated network).
    pub fn call_answered(&mut self, call: &Call, kernel: Option<KernelAnswer>) -> &[CallRecord] {
        let kernel = kernel.filter(|_| self.live);
        let facts = &*self.facts;
        let name = sock_name(call);
        // Under a Winsock judge, it answered beside the kernel (at the same time: see `Judges`).
        let (winsock, winsock_notes) = match &self.winsock {
            Some(out) => {
                let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                (o.call.take(), std::mem::take(&mut o.notes))
            }
            None => (None, Vec::new()),
        };
        // Running out of descriptors is a fact of this machine, not of connect semantics:
        // every personality sees it, each in its own words.
        let exhausted = matches!(call, Call::Socket { .. } | Call::Accept { .. })
            && matches!(&kernel, Some(KernelAnswer::Performed { error: Some(Code::EMFILE | Code::ENFILE), .. }));
        self.last.clear();
        for (k, h) in self.hosts.iter_mut().enumerate() {
            let before = name.and_then(|n| h.state(n));
            let answer = if exhausted { h.out_of_descriptors(facts) } else { h.call(call, facts) };
            let after = name.and_then(|n| h.state(n));
            self.recent[k].clear();
            self.recent[k].extend(answer.notifications.iter().cloned());
            // Judged where it lies in `last` (a record is large: not moved once more).
            self.last.push(CallRecord {
                personality: h.personality(),
                answer,
                model: None,
                kernel: None,
                disagreement: None,
                judge: None,
                judge_notes: Vec::new(),
                before,
                after,
                at: h.now(),
            });
            let Some(rec) = self.last.last_mut() else { continue };
            if let (PersonalityId::Linux, Some(ka)) = (h.personality(), &kernel) {
                judge(rec, ka.clone(), JudgeKind::Kernel);
            }
            if let (PersonalityId::Windows, Some(wa)) = (h.personality(), &winsock) {
                judge(rec, wa.clone(), JudgeKind::Winsock);
                self.model_notes.extend(observable(&rec.answer.notifications));
                rec.judge_notes = winsock_notes.clone();
            }
        }
        self.judge_notes.extend(winsock_notes);
        &self.last
    }

    /// Under a Winsock judge, after time passed: the `windows` record gets the agent's
    /// messages and completions, and a disagreement when, since the last wait, they differ
    /// from the model's.
    fn judge_wait(&mut self, out: &mut [WaitRecord]) {
        let Some(stash) = &self.winsock else { return };
        let mut notes = std::mem::take(&mut stash.lock().unwrap_or_else(|p| p.into_inner()).notes);
        // Messages that arrived while nothing was asked of the judges (the TUI's clock).
        if let Some(k) = self.kernel.as_mut() {
            notes.extend(k.notifications());
        }
        for r in out.iter_mut().filter(|r| r.personality == PersonalityId::Windows) {
            self.model_notes.extend(observable(&r.events.notifications));
            r.judge_notes = notes.clone();
        }
        self.judge_notes.extend(notes);
        let key = |n: &Notification| note_key(n);
        let mut a: Vec<String> = self.judge_notes.iter().map(key).collect();
        let mut b: Vec<String> = self.model_notes.iter().map(key).collect();
        a.sort();
        b.sort();
        if a != b {
            let why = format!("since the last wait Winsock delivered [{}], the model [{}]", a.join("; "), b.join("; "));
            for r in out.iter_mut().filter(|r| r.personality == PersonalityId::Windows) {
                r.disagreement = Some(match r.disagreement.take() {
                    Some(d) => format!("{d}; {why}"),
                    None => why.clone(),
                });
            }
        }
        self.judge_notes.clear();
        self.model_notes.clear();
    }

    /// Let `d` of virtual time pass for every personality (and real time on the live network).
    pub fn wait_for(&mut self, d: Duration) -> Vec<WaitRecord> {
        if let Some(k) = self.kernel.as_mut() {
            k.sleep(d);
        }
        let facts = &*self.facts;
        let mut out = Vec::new();
        for (k, h) in self.hosts.iter_mut().enumerate() {
            let events = h.advance(d, facts);
            self.recent[k].extend(events.notifications.iter().cloned());
            out.push(WaitRecord::new(h.personality(), events, true, h.now()));
        }
        self.judge_wait(&mut out);
        out
    }

    /// Let `d` of time pass for the models only: on the live network real time has already
    /// passed (the TUI's clock), so the kernel is not asked to sleep.
    pub fn elapse(&mut self, d: Duration) -> Vec<WaitRecord> {
        let facts = &*self.facts;
        let mut out = Vec::new();
        for (k, h) in self.hosts.iter_mut().enumerate() {
            let events = h.advance(d, facts);
            self.recent[k].extend(events.notifications.iter().cloned());
            out.push(WaitRecord::new(h.personality(), events, true, h.now()));
        }
        self.judge_wait(&mut out);
        out
    }

    /// Why `wait SOCK connected|failed` can never be met, when it cannot: only a pending
    /// connect moves on without a call (to connected or failed), and a connection to failed
    /// when its peer resets it, so a socket that is neither, and not already there, in every
    /// personality and in the kernel, will not get there by waiting. `None` when it may (and
    /// always for `event`).
    pub fn unreachable_wait(&self, sock: &str, until: Until) -> Option<String> {
        let target = match until {
            Until::Connected => State::Connected,
            Until::Failed => State::Failed,
            Until::Event => return None,
        };
        // The models first: asking the kernel costs a system call (TCP_INFO), and this is
        // asked up to three times per wait.
        // On the stack for the four personalities a lab has at most.
        let mut four = [None; 4];
        let many: Vec<Option<State>>;
        let states: &[Option<State>] = if self.hosts.len() <= four.len() {
            for (s, h) in four.iter_mut().zip(&self.hosts) {
                *s = h.state(sock);
            }
            &four[..self.hosts.len()]
        } else {
            many = self.hosts.iter().map(|h| h.state(sock)).collect();
            &many
        };
        if states.iter().any(|s| *s == Some(State::Pending) || *s == Some(target)) {
            return None;
        }
        if self.kernel_tcp_state(sock).is_some_and(|s| s == "SYN_SENT") {
            return None;
        }
        // A peer reset also ends a connection without a call: possible while the network still
        // has something due (socklab's @reset schedules one; an idle peer sends nothing).
        if target == State::Failed
            && states.contains(&Some(State::Connected))
            && self.hosts.iter().any(|h| h.next_event().is_some())
        {
            return None;
        }
        let now = match states.iter().flatten().next() {
            Some(s) => format!("{sock} is {s}"),
            None => format!("there is no socket {sock}"),
        };
        Some(format!(
            "{now}, and only a pending connect (or a connection its peer resets) becomes {target} without a call: the wait would never end"
        ))
    }

    /// Let time pass until the socket reaches the condition (at most [`WAIT_LIMIT`]). A wait
    /// that can never be met ([`Lab::unreachable_wait`]) ends at once, unmet, without time
    /// passing.
    pub fn wait_until(&mut self, sock: &str, until: Until) -> Vec<WaitRecord> {
        self.wait_until_why(sock, until).1
    }

    /// [`Lab::wait_until`], with why the wait could never be met when it could not
    /// ([`Lab::unreachable_wait`] asked once, before the kernel waits, for both).
    pub fn wait_until_why(&mut self, sock: &str, until: Until) -> (Option<String>, Vec<WaitRecord>) {
        let never = self.unreachable_wait(sock, until);
        let limit = if never.is_some() { Duration::ZERO } else { WAIT_LIMIT };
        // The kernel decides when it happened; the models get at least as long.
        let real = self.kernel.as_mut().map(|k| k.wait_until(sock, until, limit));
        (never, self.wait_until_answered(sock, until, real))
    }

    /// [`Lab::wait_until`], the kernel having waited already (a [`KernelJob::Until`]).
    pub fn wait_until_answered(&mut self, sock: &str, until: Until, real: Option<(bool, Duration)>) -> Vec<WaitRecord> {
        let limit = if self.unreachable_wait(sock, until).is_some() { Duration::ZERO } else { WAIT_LIMIT };
        let real = real.filter(|_| self.live);
        let winsock = self.winsock.as_ref().and_then(|o| o.lock().unwrap_or_else(|p| p.into_inner()).wait.take());
        let facts = &*self.facts;
        let mut out = Vec::new();
        for (k, h) in self.hosts.iter_mut().enumerate() {
            let before_events = h.pending_notifications().len();
            let (events, met) = h.advance_until(limit, facts, |h| match until {
                Until::Connected => h.state(sock) == Some(State::Connected),
                Until::Failed => h.state(sock) == Some(State::Failed),
                Until::Event => h.pending_notifications()[before_events..].iter().any(|n| n.sock() == sock),
            });
            self.recent[k].extend(events.notifications.iter().cloned());
            let kernel = match h.personality() {
                PersonalityId::Linux => real,
                PersonalityId::Windows => winsock,
                _ => None,
            };
            let disagreement = wait_disagreement(h.personality(), sock, until, met, kernel);
            out.push(WaitRecord { kernel, disagreement, ..WaitRecord::new(h.personality(), events, met, h.now()) });
        }
        self.judge_wait(&mut out);
        out
    }
}

/// A judge's socket (the kernel's for `linux`, the Winsock agent's for `windows`) and the model
/// must reach (or not reach) a state together: a wait that ended otherwise for the judge is a
/// disagreement. Readiness events (`wait NAME event`) are judged call by call, and a Winsock
/// judge's messages in [`Lab::judge_wait`], not here.
fn wait_disagreement(
    p: PersonalityId,
    sock: &str,
    until: Until,
    model_met: bool,
    judged: Option<(bool, Duration)>,
) -> Option<String> {
    let (judge_met, _) = judged?;
    let what = match until {
        Until::Connected => "connected",
        Until::Failed => "failed",
        Until::Event => return None,
    };
    let judge = if p == PersonalityId::Linux { "the kernel's" } else { "Winsock's" };
    (judge_met != model_met).then(|| {
        let said = |met: bool| if met { "is" } else { "is not" };
        format!("{judge} {sock} {} {what}; the model's {} {what}", said(judge_met), said(model_met))
    })
}

/// What the Winsock judge answered to the last job, kept for the [`Lab`] to read.
#[derive(Debug, Default)]
struct WinsockOut {
    call: Option<KernelAnswer>,
    wait: Option<(bool, Duration)>,
    /// Window messages and completions it reported since the Lab last read them.
    notes: Vec<Notification>,
}

/// The kernel and a Winsock judge as one [`Kernel`]: every job is given to both at the same
/// time (a blocking call blocks each of them for real), the kernel's answer is returned as
/// before, and the judge's is kept in `out` for the Lab. When the agent shares this host
/// (Wine), a call that claims a fixed local port goes to the kernel first, then to the agent
/// ([`Judges::one_then_other`]): run at once, the two would race for the port. Being one `Kernel`, the pair is lent
/// to the TUI's worker as a whole, so a call that blocks in the judge never freezes the screen.
struct Judges {
    /// `None`: the Winsock judge alone (no kernel judges `linux`).
    kernel: Option<Box<dyn Kernel>>,
    winsock: Box<dyn Kernel>,
    out: Arc<Mutex<WinsockOut>>,
    /// When the agent shares this host (Wine): the sockets each judge bound to a fixed local
    /// port, with that port (`[kernel, winsock]`).
    held: [Vec<(String, u16)>; 2],
    /// `linux` is not among the personalities: the kernel judges no column, so the agent
    /// claims a fixed port first.
    agent_first: bool,
}

/// The fixed local port a call claims, when it claims one: a `bind` to a nonzero port.
fn fixed_port(call: &Call) -> Option<u16> {
    use crate::core::call::AddrKind;
    match call {
        Call::Bind { addr, .. } => match addr.kind {
            AddrKind::Inet(a) if a.port() != 0 => Some(a.port()),
            _ => None,
        },
        _ => None,
    }
}

impl Judges {
    fn both<T: Send>(&mut self, f: impl Fn(&mut Box<dyn Kernel>) -> T + Sync) -> (Option<T>, T) {
        let (k, w) = (&mut self.kernel, &mut self.winsock);
        match k {
            Some(k) => std::thread::scope(|s| {
                let h = s.spawn(|| f(k));
                let b = f(w);
                // A panic in the kernel's call is the kernel's: pass it on.
                let a = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                (Some(a), b)
            }),
            None => (None, f(w)),
        }
    }

    fn keep(&mut self, put: impl FnOnce(&mut WinsockOut)) {
        let notes = self.winsock.notifications();
        let mut o = self.out.lock().unwrap_or_else(|p| p.into_inner());
        put(&mut o);
        o.notes.extend(notes);
    }
}

impl Judges {
    /// The port a call claims or listens on while the agent shares this host, if any: such a
    /// call is given to the judges one after the other (see [`Judges::one_then_other`]).
    fn shared_port(&self, call: &Call) -> Option<u16> {
        if self.kernel.is_none() || !self.winsock.shares_host() {
            return None;
        }
        if let Some(p) = fixed_port(call) {
            return Some(p);
        }
        // A listen on a socket bound to a fixed port: on one host, two listeners on one
        // port race too (sockets bound with SO_REUSEADDR).
        match (call, sock_name(call)) {
            (Call::Listen { .. }, Some(n)) => self.held.iter().flatten().find(|(h, _)| h == n).map(|(_, p)| *p),
            _ => None,
        }
    }

    /// The agent shares this host, and `call` claims `port` there: the judge of a column shown
    /// makes it first (the kernel, unless `linux` is not among the personalities), then the
    /// other. A judge whose call then fails on an address in use while the other judge's socket
    /// holds that port on this host did not answer about its own sockets: its answer is
    /// reported as not made, and so are its later calls on that socket.
    fn one_then_other(&mut self, call: &Call, port: u16) -> (KernelAnswer, KernelAnswer) {
        let kernel = self.kernel.as_mut().expect("shared_port checks the kernel");
        let (k, w) = if self.agent_first {
            let w = self.winsock.perform(call);
            (kernel.perform(call), w)
        } else {
            let k = kernel.perform(call);
            (k, self.winsock.perform(call))
        };
        let mut answers = [k, w];
        let name = sock_name(call).unwrap_or_default().to_string();
        let in_use = |a: &KernelAnswer| {
            matches!(
                a,
                KernelAnswer::Performed {
                    error: Some(Code::EADDRINUSE | Code::EACCES | Code::WSAEADDRINUSE | Code::WSAEACCES),
                    ..
                }
            )
        };
        // [kernel, agent] in the order they were asked.
        let order = if self.agent_first { [1, 0] } else { [0, 1] };
        let who = ["the kernel's", "the Winsock agent's"];
        for (me, other) in [(order[1], order[0]), (order[0], order[1])] {
            if !in_use(&answers[me]) {
                continue;
            }
            let holder = self.held[other]
                .iter()
                .find(|(_, p)| *p == port)
                .map(|(n, _)| n.clone())
                .or_else(|| bound(call, &answers[other]).then(|| name.clone()));
            if let Some(h) = holder {
                answers[me] = KernelAnswer::NotPerformed {
                    why: format!(
                        "the agent shares this host (Wine), and {} socket {h} holds port {port} here: {} answer would be about that socket, not its own",
                        who[other], who[me]
                    ),
                };
                match me {
                    0 => {
                        if let Some(k) = self.kernel.as_mut() {
                            k.diverge(&name)
                        }
                    }
                    _ => self.winsock.diverge(&name),
                }
                break;
            }
        }
        let [k, w] = answers;
        (k, w)
    }

    /// Keep track of the sockets each judge holds on a fixed port.
    fn track(&mut self, call: &Call, answers: [&KernelAnswer; 2]) {
        let Some(name) = sock_name(call) else { return };
        for (held, a) in self.held.iter_mut().zip(answers) {
            match call {
                Call::Socket { .. } => held.retain(|(n, _)| n != name),
                Call::Close { .. } if matches!(a, KernelAnswer::Performed { error: None, .. }) => {
                    held.retain(|(n, _)| n != name)
                }
                _ => {}
            }
            if let (Some(p), true) = (fixed_port(call), bound(call, a)) {
                held.push((name.to_string(), p));
            }
        }
    }
}

/// The fixed port a call sends to, when it names one: a `connect` (any API) or a `sendto` to an
/// address and a nonzero port.
fn destination_port(call: &Call) -> Option<u16> {
    use crate::core::call::AddrKind;
    match call {
        Call::Connect { addr, .. } | Call::SendTo { addr, .. } => match addr.kind {
            AddrKind::Inet(a) if a.port() != 0 => Some(a.port()),
            _ => None,
        },
        _ => None,
    }
}

impl Judges {
    /// esc3: the agent shares this host, and `call` goes to a port only one judge holds a
    /// socket on (its fixed-port `bind`; the other's bind there was reported as not made): made
    /// by the other judge too, the call would reach the holder's socket (its listener would
    /// queue both connections, and its `accept` could take the other judge's; its receive
    /// could read the other judge's datagram). The judge that does not hold the port does not
    /// make it: `Some((judge, why))`, 0 the kernel, 1 the agent.
    fn reaches_the_other(&self, call: &Call) -> Option<(usize, String)> {
        if self.kernel.is_none() || !self.winsock.shares_host() {
            return None;
        }
        let port = destination_port(call)?;
        let holder = |j: usize| self.held[j].iter().find(|(_, p)| *p == port).map(|(n, _)| n.clone());
        let who = ["the kernel's", "the Winsock agent's"];
        let (me, other, h) = match (holder(0), holder(1)) {
            (Some(h), None) => (1, 0, h),
            (None, Some(h)) => (0, 1, h),
            _ => return None,
        };
        Some((
            me,
            format!(
                "the agent shares this host (Wine), and {} socket {h} holds port {port} here: {} call would reach that socket, not one of its own",
                who[other], who[me]
            ),
        ))
    }
}

/// Whether `a` is a successful `bind`.
fn bound(call: &Call, a: &KernelAnswer) -> bool {
    matches!(call, Call::Bind { .. }) && matches!(a, KernelAnswer::Performed { error: None, .. })
}

impl Kernel for Judges {
    fn perform(&mut self, call: &Call) -> KernelAnswer {
        let (k, w) = match (self.shared_port(call), self.reaches_the_other(call)) {
            (Some(port), _) => {
                let (k, w) = self.one_then_other(call, port);
                (Some(k), w)
            }
            (None, Some((me, why))) => {
                // Only the holder's judge makes it; the other's socket stays apart from then on.
                let name = sock_name(call).unwrap_or_default().to_string();
                let not_made = KernelAnswer::NotPerformed { why };
                if me == 0 {
                    let w = self.winsock.perform(call);
                    if let Some(k) = self.kernel.as_mut() {
                        k.diverge(&name);
                    }
                    (Some(not_made), w)
                } else {
                    self.winsock.diverge(&name);
                    (self.kernel.as_mut().map(|k| k.perform(call)), not_made)
                }
            }
            (None, None) => self.both(|j| j.perform(call)),
        };
        if self.kernel.is_some() && self.winsock.shares_host() {
            if let Some(k) = &k {
                self.track(call, [k, &w]);
            }
        }
        self.keep(|o| o.call = Some(w));
        // Without a kernel the Lab ignores this answer (`Lab::is_live`).
        k.unwrap_or(KernelAnswer::NotPerformed { why: "no kernel on this network".into() })
    }

    fn sleep(&mut self, d: Duration) {
        self.both(|j| j.sleep(d));
        self.keep(|_| {});
    }

    fn wait_until(&mut self, sock: &str, until: Until, limit: Duration) -> (bool, Duration) {
        let (k, w) = self.both(|j| j.wait_until(sock, until, limit));
        self.keep(|o| o.wait = Some(w));
        k.unwrap_or((false, Duration::ZERO))
    }

    fn tcp_state(&self, sock: &str) -> Option<String> {
        self.kernel.as_ref().and_then(|k| k.tcp_state(sock))
    }

    /// Esc cuts the call short on both sides: the kernel's, and the Winsock agent's from its
    /// stdin thread.
    fn interrupter(&self, job: &KernelJob) -> Option<Box<dyn Interrupt>> {
        let k = self.kernel.as_ref().and_then(|k| k.interrupter(job));
        let w = self.winsock.interrupter(job);
        match (k, w) {
            (Some(k), Some(w)) => Some(Box::new(BothInterrupt(k, w))),
            (k, w) => k.or(w),
        }
    }

    fn notifications(&mut self) -> Vec<Notification> {
        self.winsock.notifications()
    }

    fn file_first(&mut self, answers: Vec<KernelAnswer>) {
        if let Some(k) = self.kernel.as_mut() {
            k.file_first(answers);
        }
    }
}

/// The kernel's and the Winsock agent's interrupters as one: the kernel's account is the one
/// the TUI reads (the agent's follows it).
struct BothInterrupt(Box<dyn Interrupt>, Box<dyn Interrupt>);

impl Interrupt for BothInterrupt {
    fn interrupt(&self) -> String {
        let k = self.0.interrupt();
        let w = self.1.interrupt();
        format!("{k}; {w}")
    }
}

fn sock_name(call: &Call) -> Option<&str> {
    use crate::core::call::SockRef;
    match call {
        Call::Socket { name, .. } => Some(name),
        _ => match call.sock() {
            Some(SockRef::Name(n)) => Some(n),
            _ => None,
        },
    }
}

/// The notifications a Winsock agent can observe: window messages and completions.
fn observable(ns: &[Notification]) -> impl Iterator<Item = Notification> + '_ {
    ns.iter().filter(|n| matches!(n, Notification::WindowMessage { .. } | Notification::Completion { .. })).cloned()
}

/// A message or completion without its time, for comparing the judge's with the model's.
fn note_key(n: &Notification) -> String {
    let err = |e: &Option<Code>| e.map(|c| c.to_string()).unwrap_or_else(|| "0".into());
    match n {
        Notification::WindowMessage { sock, event, error, .. } => {
            format!("{sock}: message {event} error {}", err(error))
        }
        Notification::Completion { sock, op, error, bytes, .. } => {
            format!("{sock}: {op} completed error {} bytes {bytes}", err(error))
        }
        Notification::NetworkEvent { sock, event, .. } => format!("{sock}: event {event}"),
        Notification::Readiness { sock, bits, .. } => format!("{sock}: readiness {:#x}", bits.0),
        Notification::Packet { port, sock, key, error, bytes, .. } => {
            format!("{port}: packet of {sock} key {key} error {} bytes {bytes}", err(error))
        }
    }
}

/// Put the judge's answer in its personality's column and keep the model's prediction beside
/// it when the two disagree.
fn judge(rec: &mut CallRecord, kernel: KernelAnswer, kind: JudgeKind) {
    rec.judge = Some(kind);
    let mut kernel = kernel;
    // WSAEnumNetworkEvents' entries have no order; show the judge's in the model's.
    if let (
        KernelAnswer::Performed { value: Value::NetworkEvents { errors, .. }, .. },
        Value::NetworkEvents { errors: m, .. },
    ) = (&mut kernel, &rec.answer.value)
    {
        errors.sort_by_key(|(b, _)| m.iter().position(|(mb, _)| mb == b).unwrap_or(usize::MAX));
    }
    if let KernelAnswer::Performed { ret, error, value, elapsed, .. } = &kernel {
        let found = match kind {
            JudgeKind::Kernel => disagreement(&rec.answer, *ret, *error, value),
            JudgeKind::Winsock => winsock_disagreement(&rec.answer, *ret, *error, value),
        };
        if let Some(why) = found {
            rec.disagreement = Some(why);
            rec.model = Some(rec.answer.clone());
        }
        rec.answer.ret = *ret;
        rec.answer.error = *error;
        rec.answer.value = value.clone();
        rec.answer.elapsed = *elapsed;
    }
    rec.kernel = Some(kernel);
}

/// How the `windows` model's answer differs from Winsock's, if it does: as for the kernel,
/// with the judge named, handles not compared, and `WSAEnumNetworkEvents`' entries compared
/// in bit order (the model keeps them in the order they were recorded).
pub fn winsock_disagreement(model: &Answer, ret: Ret, error: Option<Code>, value: &Value) -> Option<String> {
    let sorted = |v: &Value| match v {
        Value::NetworkEvents { events, errors } => {
            let mut e = errors.clone();
            e.sort_by_key(|(b, _)| b.0);
            Value::NetworkEvents { events: *events, errors: e }
        }
        other => other.clone(),
    };
    let mut m = model.clone();
    m.value = sorted(&m.value);
    disagreement(&m, ret, error, &sorted(value)).map(|d| d.replace("kernel", "Winsock"))
}

/// How the model's answer differs from the kernel's, if it does. Ephemeral ports (32768 and
/// up on both sides) and descriptor numbers are not compared: they are the kernel's choice.
pub fn disagreement(model: &Answer, ret: Ret, error: Option<Code>, value: &Value) -> Option<String> {
    if model.ret == Ret::NotApplicable {
        return Some(format!("the model has no answer (n/a) but the kernel answered {ret:?} {error:?}"));
    }
    if model.error != error {
        let show = |e: Option<Code>| e.map(|c| c.to_string()).unwrap_or_else(|| "success".into());
        return Some(format!("model expected {}, kernel answered {}", show(model.error), show(error)));
    }
    let ret_same = match (model.ret, ret) {
        (Ret::Handle(a), Ret::Handle(b)) => a.is_some() == b.is_some(),
        (a, b) => a == b,
    };
    if !ret_same {
        return Some(format!("model expected return {:?}, kernel returned {ret:?}", model.ret));
    }
    let same_value = match (&model.value, value) {
        (Value::Addr { addr: a }, Value::Addr { addr: b }) => {
            a.ip() == b.ip() && (a.port() == b.port() || (a.port() >= 32768 && b.port() >= 32768))
        }
        (Value::Data { data: a, from: fa }, Value::Data { data: b, from: fb }) => {
            a == b
                && match (fa, fb) {
                    (Some(x), Some(y)) => {
                        x.ip() == y.ip() && (x.port() == y.port() || (x.port() >= 32768 && y.port() >= 32768))
                    }
                    (x, y) => x.is_none() == y.is_none(),
                }
        }
        // ---- bsp ----
        (Value::CsAddr { local: la, remote: ra, stream: sa }, Value::CsAddr { local: lb, remote: rb, stream: sb }) => {
            let side = |x: &Option<std::net::SocketAddr>, y: &Option<std::net::SocketAddr>| match (x, y) {
                (Some(x), Some(y)) => {
                    x.ip() == y.ip() && (x.port() == y.port() || (x.port() >= 32768 && y.port() >= 32768))
                }
                (x, y) => x.is_none() && y.is_none(),
            };
            sa == sb && side(la, lb) && side(ra, rb)
        }
        // acceptex2: ephemeral ports may differ, as for CsAddr.
        (Value::AcceptAddrs { local: la, remote: ra }, Value::AcceptAddrs { local: lb, remote: rb }) => {
            let side = |x: &Option<std::net::SocketAddr>, y: &Option<std::net::SocketAddr>| match (x, y) {
                (Some(x), Some(y)) => {
                    x.ip() == y.ip() && (x.port() == y.port() || (x.port() >= 32768 && y.port() >= 32768))
                }
                (x, y) => x.is_none() && y.is_none(),
            };
            side(la, lb) && side(ra, rb)
        }
        // ---- end bsp ----
        (a, b) => a == b,
    };
    if !same_value {
        return Some(format!("model expected value {:?}, kernel gave {value:?}", model.value));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::call::{AddrKind, Family, Proto, SockAddrArg, SockRef};
    use std::collections::HashSet;

    /// A judge whose fixed ports live in `ports` (one table for two judges on one host, one
    /// each for judges on two machines), that makes its calls after `delay`, and logs who made
    /// a call when.
    struct Fake {
        who: &'static str,
        ports: Arc<Mutex<HashSet<u16>>>,
        shares: bool,
        delay: Duration,
        log: Arc<Mutex<Vec<&'static str>>>,
        diverged: Vec<String>,
    }

    impl Kernel for Fake {
        fn perform(&mut self, call: &Call) -> KernelAnswer {
            if sock_name(call).is_some_and(|n| self.diverged.iter().any(|d| d == n)) {
                return KernelAnswer::NotPerformed { why: "diverged".into() };
            }
            std::thread::sleep(self.delay);
            self.log.lock().unwrap().push(self.who);
            let taken = fixed_port(call).is_some_and(|p| !self.ports.lock().unwrap().insert(p));
            let (ret, error) = match (call, taken) {
                (Call::Socket { .. }, _) => (Ret::Handle(Some(3)), None),
                (_, false) => (Ret::Int(0), None),
                (_, true) if self.who == "kernel" => (Ret::Int(-1), Some(Code::EADDRINUSE)),
                (_, true) => (Ret::Int(-1), Some(Code::WSAEADDRINUSE)),
            };
            KernelAnswer::Performed { ret, error, value: Value::None, elapsed: Duration::ZERO, tcp_state: None }
        }
        fn sleep(&mut self, _d: Duration) {}
        fn wait_until(&mut self, _sock: &str, _until: Until, _limit: Duration) -> (bool, Duration) {
            (false, Duration::ZERO)
        }
        fn tcp_state(&self, _sock: &str) -> Option<String> {
            None
        }
        fn shares_host(&self) -> bool {
            self.shares
        }
        fn diverge(&mut self, sock: &str) {
            self.diverged.push(sock.to_string());
        }
    }

    /// `linux` and `windows` judged by a kernel that answers 50 ms late and an agent: on one
    /// host (shared port table, the agent says it shares it) or on two machines.
    fn lab(one_host: bool, ps: &[PersonalityId]) -> (Lab, Arc<Mutex<Vec<&'static str>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let host = Arc::new(Mutex::new(HashSet::new()));
        let other = if one_host { host.clone() } else { Arc::new(Mutex::new(HashSet::new())) };
        let fake =
            |who, ports, shares, delay| Fake { who, ports, shares, delay, log: log.clone(), diverged: Vec::new() };
        let kernel = fake("kernel", host, false, Duration::from_millis(50));
        let agent = fake("agent", other, one_host, Duration::ZERO);
        let lab =
            Lab::live(ps, Box::new(crate::net::sim::SimNet), Box::new(kernel)).with_winsock_judge(Box::new(agent));
        (lab, log)
    }

    fn script() -> Vec<Call> {
        let s = || SockRef::Name("s".into());
        let addr = SockAddrArg { kind: AddrKind::Inet("127.0.0.1:7999".parse().unwrap()), len: None };
        vec![
            Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() },
            Call::Bind { sock: s(), addr },
            Call::Listen { sock: s(), backlog: 5 },
        ]
    }

    fn column(recs: &[CallRecord], p: PersonalityId) -> &CallRecord {
        recs.iter().find(|r| r.personality == p).unwrap()
    }

    #[test]
    fn on_a_shared_host_the_kernel_claims_a_fixed_port_and_the_agent_says_why_it_did_not() {
        let (mut lab, log) = lab(true, &[PersonalityId::Linux, PersonalityId::Windows]);
        let calls = script();
        lab.call(&calls[0]);
        log.lock().unwrap().clear();
        let recs = lab.call(&calls[1]).to_vec();
        // One after the other, kernel first, though the kernel is the slower one.
        assert_eq!(*log.lock().unwrap(), ["kernel", "agent"]);
        let linux = column(&recs, PersonalityId::Linux);
        assert_eq!(linux.disagreement, None);
        assert!(matches!(linux.kernel, Some(KernelAnswer::Performed { error: None, .. })), "{linux:?}");
        let windows = column(&recs, PersonalityId::Windows);
        assert_eq!(windows.disagreement, None);
        match &windows.kernel {
            Some(KernelAnswer::NotPerformed { why }) => {
                assert!(why.contains("the kernel's socket s holds port 7999"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        // The agent's listen on that socket is not made either.
        let recs = lab.call(&calls[2]).to_vec();
        assert_eq!(column(&recs, PersonalityId::Linux).disagreement, None);
        let windows = column(&recs, PersonalityId::Windows);
        assert_eq!(windows.disagreement, None);
        assert!(matches!(windows.kernel, Some(KernelAnswer::NotPerformed { .. })), "{windows:?}");
    }

    /// esc3: the agent's connect to the port the kernel's listener holds would reach that
    /// listener: only the kernel makes it, the agent's is not made and says why, and so are the
    /// agent's later calls on that socket. On two machines both make it.
    #[test]
    fn on_a_shared_host_a_connect_to_the_kernels_port_is_the_kernels_alone() {
        let c = || SockRef::Name("c".into());
        let connect = Call::Connect {
            sock: c(),
            addr: SockAddrArg { kind: AddrKind::Inet("127.0.0.1:7999".parse().unwrap()), len: None },
            api: crate::core::call::ConnectApi::Connect,
        };
        let client = Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "c".into() };
        for one_host in [true, false] {
            let (mut lab, log) = lab(one_host, &[PersonalityId::Linux, PersonalityId::Windows]);
            for call in script() {
                lab.call(&call);
            }
            lab.call(&client);
            log.lock().unwrap().clear();
            let recs = lab.call(&connect).to_vec();
            let linux = column(&recs, PersonalityId::Linux);
            assert!(matches!(linux.kernel, Some(KernelAnswer::Performed { error: None, .. })), "{linux:?}");
            let windows = column(&recs, PersonalityId::Windows);
            assert_eq!(windows.disagreement, None);
            if !one_host {
                assert!(matches!(windows.kernel, Some(KernelAnswer::Performed { .. })), "{windows:?}");
                continue;
            }
            assert_eq!(*log.lock().unwrap(), ["kernel"], "the agent did not make it");
            match &windows.kernel {
                Some(KernelAnswer::NotPerformed { why }) => assert!(
                    why.contains("the kernel's socket s holds port 7999") && why.contains("would reach that socket"),
                    "{why}"
                ),
                other => panic!("{other:?}"),
            }
            // Its later calls on c are not made either.
            let recs = lab.call(&Call::Shutdown { sock: c(), how: crate::core::call::How::Both }).to_vec();
            let windows = column(&recs, PersonalityId::Windows);
            assert!(matches!(windows.kernel, Some(KernelAnswer::NotPerformed { .. })), "{windows:?}");
            // A datagram to that port would reach the kernel's socket too: the kernel's alone.
            lab.call(&Call::Socket { proto: Proto::Udp, family: Family::V4, name: "u".into() });
            log.lock().unwrap().clear();
            let recs = lab
                .call(&Call::SendTo {
                    sock: SockRef::Name("u".into()),
                    addr: SockAddrArg { kind: AddrKind::Inet("127.0.0.1:7999".parse().unwrap()), len: None },
                    data: b"x".to_vec(),
                })
                .to_vec();
            assert_eq!(*log.lock().unwrap(), ["kernel"], "the agent did not send it");
            let windows = column(&recs, PersonalityId::Windows);
            assert!(matches!(windows.kernel, Some(KernelAnswer::NotPerformed { .. })), "{windows:?}");
        }
    }

    #[test]
    fn on_a_shared_host_without_linux_the_agent_claims_the_port_first() {
        let (mut lab, log) = lab(true, &[PersonalityId::Windows]);
        let calls = script();
        lab.call(&calls[0]);
        log.lock().unwrap().clear();
        let recs = lab.call(&calls[1]).to_vec();
        assert_eq!(*log.lock().unwrap(), ["agent", "kernel"]);
        let windows = column(&recs, PersonalityId::Windows);
        assert_eq!(windows.disagreement, None);
        assert!(matches!(windows.kernel, Some(KernelAnswer::Performed { error: None, .. })), "{windows:?}");
    }

    #[test]
    fn an_agent_on_another_machine_gets_each_call_at_the_same_time_as_the_kernel() {
        let (mut lab, log) = lab(false, &[PersonalityId::Linux, PersonalityId::Windows]);
        let calls = script();
        lab.call(&calls[0]);
        log.lock().unwrap().clear();
        let recs = lab.call(&calls[1]).to_vec();
        // At once: the agent, not delayed, is done before the kernel.
        assert_eq!(*log.lock().unwrap(), ["agent", "kernel"]);
        for p in [PersonalityId::Linux, PersonalityId::Windows] {
            let r = column(&recs, p);
            assert!(matches!(r.kernel, Some(KernelAnswer::Performed { error: None, .. })), "{r:?}");
        }
    }
}
