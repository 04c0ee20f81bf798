//! A [`Lab`] runs one experiment through several personalities at once: each has its own
//! [`Host`] (sockets, virtual clock), all share the same network facts.

use std::time::Duration;

use crate::core::call::Call;
use crate::core::engine::{Events, Host};
use crate::core::facts::Facts;
use crate::core::model::{Answer, Notification, State};
use crate::core::personality::PersonalityId;

/// One personality's record of one call.
#[derive(Clone, Debug)]
pub struct CallRecord {
    pub personality: PersonalityId,
    pub answer: Answer,
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
            last: Vec::with_capacity(n),
            recent: vec![Vec::new(); n],
        }
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
        self.last.clear();
        for (k, h) in self.hosts.iter_mut().enumerate() {
            let before = name.and_then(|n| h.state(n));
            let answer = h.call(call, facts);
            let after = name.and_then(|n| h.state(n));
            self.recent[k].clear();
            self.recent[k].extend(answer.notifications.iter().cloned());
            self.last.push(CallRecord { personality: h.personality(), answer, before, after, at: h.now() });
        }
        &self.last
    }

    /// Let `d` of virtual time pass for every personality.
    pub fn wait_for(&mut self, d: Duration) -> Vec<WaitRecord> {
        let facts = &*self.facts;
        let mut out = Vec::new();
        for (k, h) in self.hosts.iter_mut().enumerate() {
            let events = h.advance(d, facts);
            self.recent[k].extend(events.notifications.iter().cloned());
            out.push(WaitRecord { personality: h.personality(), events, met: true, at: h.now() });
        }
        out
    }

    /// Let time pass until the socket reaches the condition (at most [`WAIT_LIMIT`]).
    pub fn wait_until(&mut self, sock: &str, until: Until) -> Vec<WaitRecord> {
        let facts = &*self.facts;
        let mut out = Vec::new();
        for (k, h) in self.hosts.iter_mut().enumerate() {
            let before_events = h.pending_notifications().len();
            let (events, met) = h.advance_until(WAIT_LIMIT, facts, |h| match until {
                Until::Connected => h.state(sock) == Some(State::Connected),
                Until::Failed => h.state(sock) == Some(State::Failed),
                Until::Event => h.pending_notifications()[before_events..].iter().any(|n| n.sock() == sock),
            });
            self.recent[k].extend(events.notifications.iter().cloned());
            out.push(WaitRecord { personality: h.personality(), events, met, at: h.now() });
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
