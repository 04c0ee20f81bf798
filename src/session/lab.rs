//! A [`Lab`] runs one experiment through several personalities at once: each has its own
//! [`Host`] (sockets, virtual clock), all share the same network facts.

use std::time::Duration;

use crate::core::call::Call;
use crate::core::codes::Code;
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
    /// State of the call's socket before and after (when the call has one socket).
    pub before: Option<State>,
    pub after: Option<State>,
    /// Virtual time when the call returned.
    pub at: Duration,
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
}

/// What `wait NAME ...` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    Connected,
    Failed,
    Event,
}

/// Longest `wait NAME ...` lets virtual time run.
pub const WAIT_LIMIT: Duration = Duration::from_secs(600);

/// Several personalities side by side over one network.
pub struct Lab {
    hosts: Vec<Host>,
    facts: Box<dyn Facts + Send>,
    kernel: Option<Box<dyn Kernel>>,
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
            last: Vec::with_capacity(n),
            recent: vec![Vec::new(); n],
        }
    }

    /// A lab on the live network: `kernel` performs every call for real, `facts` describe the
    /// live targets to the models.
    pub fn live(personalities: &[PersonalityId], facts: Box<dyn Facts + Send>, kernel: Box<dyn Kernel>) -> Lab {
        let mut lab = Lab::new(personalities, facts);
        lab.kernel = Some(kernel);
        lab
    }

    /// Whether a real kernel answers too.
    pub fn is_live(&self) -> bool {
        self.kernel.is_some()
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
        let facts = &*self.facts;
        let name = sock_name(call);
        let kernel = self.kernel.as_mut().map(|k| k.perform(call));
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
            let mut rec = CallRecord {
                personality: h.personality(),
                answer,
                model: None,
                kernel: None,
                disagreement: None,
                before,
                after,
                at: h.now(),
            };
            if let (PersonalityId::Linux, Some(ka)) = (h.personality(), &kernel) {
                judge(&mut rec, ka.clone());
            }
            self.last.push(rec);
        }
        &self.last
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
            out.push(WaitRecord { personality: h.personality(), events, met: true, at: h.now(), kernel: None });
        }
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
            out.push(WaitRecord { personality: h.personality(), events, met: true, at: h.now(), kernel: None });
        }
        out
    }

    /// Why `wait SOCK connected|failed` can never be met, when it cannot: only a pending
    /// connect moves on without a call (to connected or failed), so a socket that is not
    /// pending, and not already there, in every personality and in the kernel, will not get
    /// there by waiting. `None` when it may (and always for `event`).
    pub fn unreachable_wait(&self, sock: &str, until: Until) -> Option<String> {
        let target = match until {
            Until::Connected => State::Connected,
            Until::Failed => State::Failed,
            Until::Event => return None,
        };
        if self.kernel_tcp_state(sock).is_some_and(|s| s == "SYN_SENT") {
            return None;
        }
        let states: Vec<Option<State>> = self.hosts.iter().map(|h| h.state(sock)).collect();
        if states.iter().any(|s| *s == Some(State::Pending) || *s == Some(target)) {
            return None;
        }
        let now = match states.iter().flatten().next() {
            Some(s) => format!("{sock} is {s}"),
            None => format!("there is no socket {sock}"),
        };
        Some(format!("{now}, and only a pending connect becomes {target} without a call: the wait would never end"))
    }

    /// Let time pass until the socket reaches the condition (at most [`WAIT_LIMIT`]). A wait
    /// that can never be met ([`Lab::unreachable_wait`]) ends at once, unmet, without time
    /// passing.
    pub fn wait_until(&mut self, sock: &str, until: Until) -> Vec<WaitRecord> {
        let limit = if self.unreachable_wait(sock, until).is_some() { Duration::ZERO } else { WAIT_LIMIT };
        // The kernel decides when it happened; the models get at least as long.
        let real = self.kernel.as_mut().map(|k| k.wait_until(sock, until, limit));
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
            let kernel = if h.personality() == PersonalityId::Linux { real } else { None };
            out.push(WaitRecord { personality: h.personality(), events, met, at: h.now(), kernel });
        }
        out
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

/// Put the kernel's answer in the `linux` column and keep the model's prediction beside it when
/// the two disagree.
fn judge(rec: &mut CallRecord, kernel: KernelAnswer) {
    if let KernelAnswer::Performed { ret, error, value, elapsed, .. } = &kernel {
        if let Some(why) = disagreement(&rec.answer, *ret, *error, value) {
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
        (a, b) => a == b,
    };
    if !same_value {
        return Some(format!("model expected value {:?}, kernel gave {value:?}", model.value));
    }
    None
}
