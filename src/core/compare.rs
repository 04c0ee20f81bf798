//! When do personalities differ? The one definition every view uses: the transcript of
//! `socklab run --compare`, replay, the exports, the TUI's log and explain's verdict.
//!
//! A row is compared from what each personality *returned*, aspect by aspect:
//!
//! | aspect     | compared                                                                  |
//! |------------|---------------------------------------------------------------------------|
//! | result     | the return value (a count, 0, -1 / `SOCKET_ERROR`, a valid or invalid handle) |
//! | error      | the error code, through the cross-platform mapping below                  |
//! | value      | what the call handed back: select sets, poll bits, network events and their errors, an option's value, an address, data |
//! | state      | the state changes the row caused (socket, new state, the error kept with it) |
//! | events     | notifications (FD_* events, window messages, completions, readiness); only between personalities of the same API family, since Linux has no network events and Winsock no readiness callbacks |
//! | condition  | for `wait NAME ...`: whether the condition was reached                   |
//!
//! Each aspect gives one of three marks, and the row takes the strongest:
//! - [`Mark::Same`]: the same answer.
//! - [`Mark::Words`] (`≈`): the same meaning in each platform's words: `ECONNREFUSED` and
//!   `WSAECONNREFUSED`, `EINPROGRESS` and `WSAEWOULDBLOCK` for a connect that has started, or two
//!   ephemeral ports each system picked from its own range.
//! - [`Mark::Differs`] (`≠`): a real difference a porter has to handle.
//!
//! Not compared: timing (how long a call blocked; the 2 s of a refused connect on Windows shows
//! as a difference in *state* when it matters), the rule and note, and a personality that has no
//! such call (`n/a`: its cell says so, and the others are compared among themselves). A state
//! that already differed before the row is not a difference *of this row*: it was marked on the
//! row that caused it, and the socket list keeps showing it.
//!
//! The mapping between platforms is explicit: two codes mean the same when one is the other's
//! [`Code::counterpart`] (the same Berkeley error under each platform's spelling) or when they
//! form a pair of [`SAME_MEANING`], with the reason written there.

use std::collections::BTreeSet;

use super::codes::Code;
use super::format::{push_code_text, push_ret_text, push_value_text};
use super::model::{Notification, Ret, Transition, Value};
use super::personality::PersonalityId;
use super::profile::Profile;

/// How the answers of one row relate. Ordered: a row takes the strongest mark of its aspects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Mark {
    /// The same answer everywhere.
    #[default]
    Same,
    /// The same meaning, in each platform's words (`≈`).
    Words,
    /// A real difference (`≠`).
    Differs,
}

impl Mark {
    /// The one-character mark (a space for [`Mark::Same`]).
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Same => " ",
            Mark::Words => "≈",
            Mark::Differs => "≠",
        }
    }

    /// What the mark means, in a sentence (help, legends, explain).
    pub fn meaning(self) -> &'static str {
        match self {
            Mark::Same => "every personality answered the same",
            Mark::Words => "the same meaning, in each platform's words",
            Mark::Differs => "the personalities differ: result, error, value, sets, events or state",
        }
    }
}

/// Pairs of codes from the two platforms that name the same outcome although neither is the
/// other's counterpart, with what they both mean. (Counterparts, `ECONNREFUSED` and
/// `WSAECONNREFUSED`, need no row: [`Code::counterpart`] links them.)
pub const SAME_MEANING: &[(Code, Code, &str)] = &[
    (
        Code::EINPROGRESS,
        Code::WSAEWOULDBLOCK,
        "a nonblocking connect has started and completes later (Linux names it EINPROGRESS, Winsock WSAEWOULDBLOCK)",
    ),
    (
        Code::EBADF,
        Code::WSAENOTSOCK,
        "the descriptor is closed or never was a socket (Linux says EBADF, Winsock WSAENOTSOCK)",
    ),
];

/// How two codes relate: equal, the same meaning across platforms, or different.
pub fn codes(a: Option<Code>, b: Option<Code>) -> Mark {
    match (a, b) {
        (None, None) => Mark::Same,
        (Some(a), Some(b)) if a == b => Mark::Same,
        (Some(a), Some(b)) if same_meaning(a, b).is_some() => Mark::Words,
        _ => Mark::Differs,
    }
}

/// Why two codes of different platforms mean the same, if they do.
pub fn same_meaning(a: Code, b: Code) -> Option<&'static str> {
    if a.platform() == b.platform() {
        return None;
    }
    if a.counterpart() == Some(b) {
        return Some("the same error under each platform's name");
    }
    SAME_MEANING.iter().find(|(x, y, _)| (*x == a && *y == b) || (*x == b && *y == a)).map(|(_, _, why)| *why)
}

/// What one personality returned for one row.
#[derive(Clone, Copy, Debug)]
pub struct Returned<'a> {
    pub p: PersonalityId,
    /// The return value; `None` for a wait (time passing returns nothing).
    pub ret: Option<Ret>,
    pub error: Option<Code>,
    pub value: &'a Value,
    pub transitions: &'a [Transition],
    pub notifications: &'a [Notification],
    /// `wait NAME ...`: whether the condition was reached.
    pub met: Option<bool>,
}

impl<'a> Returned<'a> {
    /// What a wait returned: the changes and notifications time brought.
    pub fn wait(
        p: PersonalityId,
        met: bool,
        transitions: &'a [Transition],
        notifications: &'a [Notification],
    ) -> Returned<'a> {
        static NONE: Value = Value::None;
        Returned { p, ret: None, error: None, value: &NONE, transitions, notifications, met: Some(met) }
    }

    fn applicable(&self) -> bool {
        self.ret != Some(Ret::NotApplicable)
    }
}

/// One aspect in which a row's answers are not the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub mark: Mark,
    /// `result`, `error`, `value`, `state`, `events` or `condition`.
    pub aspect: &'static str,
    /// Each personality's side, grouped: `linux: 2 · winsock, windows, winsock1: 1`, then why
    /// the words mean the same when they do.
    pub text: String,
}

/// The comparison of one row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub mark: Mark,
    pub findings: Vec<Finding>,
}

/// Compare what the personalities returned for one row.
pub fn compare(rows: &[Returned<'_>]) -> Verdict {
    compare_texts_from(rows, Mark::Words)
}

/// [`compare`] with findings only for what really differs (`≠`): the mark still weighs every
/// aspect, but a same-meaning (`≈`) finding's text, which a transcript does not show, is not
/// written (a storm's every connect differs in words).
pub fn differences(rows: &[Returned<'_>]) -> Verdict {
    compare_texts_from(rows, Mark::Differs)
}

/// The verdict, with a finding (and its text) for each aspect marked `texts_from` or more.
fn compare_texts_from(rows: &[Returned<'_>], texts_from: Mark) -> Verdict {
    let mut v = Verdict::default();
    let Some(first) = rows.first() else { return v };
    // The applicable rows, on the stack for the four personalities a lab has (this runs for
    // every row of a compare transcript).
    let mut four = [first; 4];
    let many: Vec<&Returned<'_>>;
    let rows: &[&Returned<'_>] = if rows.len() <= four.len() {
        let mut n = 0;
        for r in rows.iter().filter(|r| r.applicable()) {
            four[n] = r;
            n += 1;
        }
        &four[..n]
    } else {
        many = rows.iter().filter(|r| r.applicable()).collect();
        &many
    };
    if rows.len() < 2 {
        return v;
    }
    let add = |v: &mut Verdict,
               aspect: &'static str,
               mark: Mark,
               show: &dyn Fn(&Returned<'_>, &mut String),
               why: &dyn Fn() -> Vec<String>| {
        // Most rows agree on most aspects: the texts and reasons are made only for a difference
        // that is asked for.
        v.mark = v.mark.max(mark);
        if mark == Mark::Same || mark < texts_from {
            return;
        }
        let mut text = grouped(rows, show);
        // Each reason once, in order.
        let mut why = why();
        why.sort_unstable();
        why.dedup();
        for w in why {
            text.push_str("; ");
            text.push_str(&w);
        }
        v.findings.push(Finding { mark, aspect, text });
    };

    // result
    // A failure's -1 against a success's value is said by the error already.
    let m = pairs(rows, |a, b| {
        if a.error.is_some() != b.error.is_some() {
            Mark::Same
        } else if a.ret != b.ret && same_count(a, b) {
            Mark::Words
        } else {
            rets(a.ret, b.ret)
        }
    });
    let show = |r: &Returned<'_>, s: &mut String| {
        if let Some(x) = r.ret {
            push_ret_text(s, &x, Profile::of(r.p));
        }
    };
    let count_words = || if m == Mark::Words { vec![COUNT_WORDS.to_string()] } else { Vec::new() };
    add(&mut v, "result", m, &show, &count_words);

    // error
    let m = pairs(rows, |a, b| codes(a.error, b.error));
    let show = |r: &Returned<'_>, s: &mut String| match r.error {
        Some(c) => push_code_text(s, c),
        None => s.push('0'),
    };
    add(&mut v, "error", m, &show, &|| code_reasons(rows.iter().map(|r| r.error)));

    // value
    let m = pairs(rows, |a, b| {
        let count_only = |x: &Value, y: &Value| matches!((x, y), (Value::None, Value::Transferred { .. }));
        if (count_only(a.value, b.value) || count_only(b.value, a.value)) && same_count(a, b) {
            Mark::Words
        } else {
            values(a.value, b.value)
        }
    });
    let why = || {
        let mut why = code_reasons(rows.iter().flat_map(|r| value_codes(r.value)));
        if m == Mark::Words && rows.iter().any(|r| matches!(r.value, Value::Addr { .. })) {
            why.push("each system picks an ephemeral port from its own range".into());
        }
        why
    };
    add(&mut v, "value", m, &push_value_or_dash, &why);

    // state
    let m = pairs(rows, |a, b| transitions(a.transitions, b.transitions));
    add(&mut v, "state", m, &|r, s| push_transitions_text(s, r.transitions), &|| {
        code_reasons(rows.iter().flat_map(|r| r.transitions.iter().map(|t| t.error)))
    });

    // events, within each API family
    let m = pairs(rows, |a, b| {
        if a.p.is_winsock() != b.p.is_winsock() { Mark::Same } else { notifications(a.notifications, b.notifications) }
    });
    v.mark = v.mark.max(m);
    if m != Mark::Same && m >= texts_from {
        // Only the family whose members differ is shown.
        let fam: Vec<&Returned<'_>> = rows
            .iter()
            .copied()
            .filter(|a| {
                rows.iter().any(|b| {
                    a.p.is_winsock() == b.p.is_winsock()
                        && notifications(a.notifications, b.notifications) != Mark::Same
                })
            })
            .collect();
        let text = grouped(&fam, &|r, s| s.push_str(&notifications_text(r.notifications, r.p)));
        v.findings.push(Finding { mark: m, aspect: "events", text });
    }

    // condition
    let m = pairs(rows, |a, b| if a.met == b.met { Mark::Same } else { Mark::Differs });
    add(
        &mut v,
        "condition",
        m,
        &|r, s| match r.met {
            Some(true) | None => s.push_str("reached"),
            Some(false) => s.push_str("not reached"),
        },
        &Vec::new,
    );
    v
}

/// The strongest mark over every pair of rows.
fn pairs(rows: &[&Returned<'_>], f: impl Fn(&Returned<'_>, &Returned<'_>) -> Mark) -> Mark {
    let mut m = Mark::Same;
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            m = m.max(f(a, b));
        }
    }
    m
}

/// `linux: X · winsock, windows: Y`, personalities grouped by what they show (groups in the
/// order of their first personality). What each shows is written into one string.
fn grouped(rows: &[&Returned<'_>], show: &dyn Fn(&Returned<'_>, &mut String)) -> String {
    let mut all = String::with_capacity(32 * rows.len());
    let mut bounds = Vec::with_capacity(rows.len() + 1);
    for r in rows {
        bounds.push(all.len());
        show(r, &mut all);
    }
    bounds.push(all.len());
    let shown = |i: usize| &all[bounds[i]..bounds[i + 1]];
    let mut out = String::with_capacity(64);
    for i in 0..rows.len() {
        let s = shown(i);
        if (0..i).any(|k| shown(k) == s) {
            continue;
        }
        if i > 0 {
            out.push_str(" · ");
        }
        for (j, r) in rows.iter().enumerate().skip(i).filter(|&(j, _)| shown(j) == s) {
            if j > i {
                out.push_str(", ");
            }
            out.push_str(r.p.name());
        }
        out.push_str(": ");
        out.push_str(s);
    }
    out
}

/// Why codes of different platforms among these mean the same.
fn code_reasons(cs: impl Iterator<Item = Option<Code>>) -> Vec<String> {
    // Each code once, in catalogue order.
    let mut cs: Vec<Code> = cs.flatten().collect();
    cs.sort_unstable();
    cs.dedup();
    let mut out = Vec::new();
    for (i, a) in cs.iter().enumerate() {
        for b in &cs[i + 1..] {
            if let Some(why) = same_meaning(*a, *b) {
                let (l, w) = if a.platform() == super::codes::Platform::Linux { (a, b) } else { (b, a) };
                // `{l} and {w} mean {why}`
                let mut s = String::with_capacity(64 + why.len());
                push_code_text(&mut s, *l);
                s.push_str(" and ");
                push_code_text(&mut s, *w);
                s.push_str(" mean ");
                s.push_str(why);
                out.push(s);
            }
        }
    }
    out
}

/// Why a count returned and a count written beside a 0 are the same answer.
const COUNT_WORDS: &str =
    "the same count: the POSIX call returns it, the Winsock one returns 0 and writes it to its lpNumberOfBytes";

/// The byte count a successful transfer answered: returned (POSIX), or written to the call's
/// lpNumberOfBytes beside a 0 (Winsock's WSASendTo, WSARecvFrom: `bytes=N`, or the data taken).
fn count(r: &Returned<'_>) -> Option<u64> {
    match (r.ret?, r.value) {
        (Ret::Int(0), Value::Transferred { bytes }) => Some(*bytes),
        (Ret::Int(0), Value::Data { data, .. }) if r.p.is_winsock() && !data.is_empty() => Some(data.len() as u64),
        (Ret::Int(n), Value::None | Value::Data { .. }) if n > 0 && !r.p.is_winsock() => u64::try_from(n).ok(),
        _ => None,
    }
}

/// Two successes that moved the same bytes, one returning the count and one writing it.
fn same_count(a: &Returned<'_>, b: &Returned<'_>) -> bool {
    a.error.is_none()
        && b.error.is_none()
        && a.p.is_winsock() != b.p.is_winsock()
        && count(a).is_some()
        && count(a) == count(b)
}

fn rets(a: Option<Ret>, b: Option<Ret>) -> Mark {
    match (a, b) {
        // Descriptor numbers are names each system picks: any two valid handles agree.
        (Some(Ret::Handle(x)), Some(Ret::Handle(y))) if x.is_some() == y.is_some() => Mark::Same,
        (x, y) if x == y => Mark::Same,
        _ => Mark::Differs,
    }
}

fn push_value_or_dash(r: &Returned<'_>, s: &mut String) {
    let start = s.len();
    push_value_text(s, r.value, Profile::of(r.p));
    if s.len() == start {
        s.push('-');
    }
}

fn value_codes(v: &Value) -> Vec<Option<Code>> {
    match v {
        Value::Error { error } => vec![*error],
        Value::NetworkEvents { errors, .. } => errors.iter().map(|(_, e)| *e).collect(),
        _ => Vec::new(),
    }
}

fn sorted(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

fn values(a: &Value, b: &Value) -> Mark {
    match (a, b) {
        (Value::Addr { addr: x }, Value::Addr { addr: y }) => {
            if x == y {
                Mark::Same
            } else if x.ip() == y.ip() && ephemeral(x.port()) && ephemeral(y.port()) {
                Mark::Words
            } else {
                Mark::Differs
            }
        }
        (Value::Error { error: x }, Value::Error { error: y }) => codes(*x, *y),
        (Value::Select { read: r1, write: w1, except: e1 }, Value::Select { read: r2, write: w2, except: e2 }) => {
            // The same lists are the same sets (most rows), without sorting them.
            let same = |x: &[String], y: &[String]| x == y || sorted(x) == sorted(y);
            if same(r1, r2) && same(w1, w2) && same(e1, e2) { Mark::Same } else { Mark::Differs }
        }
        (Value::NetworkEvents { events: x, errors: ex }, Value::NetworkEvents { events: y, errors: ey }) => {
            if x != y || ex.len() != ey.len() {
                return Mark::Differs;
            }
            let mut m = Mark::Same;
            for ((f1, c1), (f2, c2)) in ex.iter().zip(ey) {
                m = m.max(if f1 == f2 { codes(*c1, *c2) } else { Mark::Differs });
            }
            m
        }
        (x, y) if x == y => Mark::Same,
        _ => Mark::Differs,
    }
}

/// A port some system could have picked by itself (the lowest ephemeral base among the
/// personalities: Linux's 32768).
fn ephemeral(port: u16) -> bool {
    let base = PersonalityId::ALL.iter().map(|&p| Profile::of(p).ephemeral_base).min().unwrap_or(u16::MAX);
    port >= base
}

fn transitions(a: &[Transition], b: &[Transition]) -> Mark {
    if a.len() != b.len() {
        return Mark::Differs;
    }
    let mut m = Mark::Same;
    for (x, y) in a.iter().zip(b) {
        m = m.max(if x.sock == y.sock && x.to == y.to { codes(x.error, y.error) } else { Mark::Differs });
    }
    m
}

fn push_transitions_text(out: &mut String, ts: &[Transition]) {
    if ts.is_empty() {
        out.push_str("no change");
        return;
    }
    for (i, t) in ts.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&t.sock);
        out.push(' ');
        out.push_str(t.from.name());
        out.push_str(" -> ");
        out.push_str(t.to.name());
        if let Some(e) = t.error {
            out.push(' ');
            out.push_str(e.name());
        }
    }
}

/// A notification without its time: what was reported, about which socket.
fn note_key(n: &Notification) -> (u8, &str, u16, Option<Code>, u32) {
    match n {
        Notification::NetworkEvent { sock, event, error, .. } => (0, sock, event.0, *error, 0),
        Notification::WindowMessage { sock, event, error, .. } => (1, sock, event.0, *error, 0),
        Notification::Completion { sock, error, bytes, .. } => (2, sock, 0, *error, *bytes),
        Notification::Readiness { sock, bits, .. } => (3, sock, bits.0, None, 0),
        Notification::Packet { sock, error, bytes, .. } => (4, sock, 0, *error, *bytes),
    }
}

fn notifications(a: &[Notification], b: &[Notification]) -> Mark {
    // Key by key, without collecting the keys (this runs for every pair of every row).
    let same = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| note_key(x) == note_key(y));
    if same { Mark::Same } else { Mark::Differs }
}

fn notifications_text(ns: &[Notification], p: PersonalityId) -> String {
    if ns.is_empty() {
        return "none".into();
    }
    let p = Profile::of(p);
    ns.iter()
        .map(|n| {
            let t = super::format::notification_text(n, p);
            // Drop the time: it is not compared.
            match t.rfind(" (t=") {
                Some(i) => t[..i].to_string(),
                None => t,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{Cause, State};
    use std::time::Duration;

    const NO: &[Transition] = &[];
    const NN: &[Notification] = &[];

    #[test]
    fn notification_lists_compare_as_their_collected_keys_did() {
        use crate::core::call::{FdEvents, PollBits};
        let r = |sock: &str, bits: u16, ms: u64| Notification::Readiness {
            sock: sock.into(),
            bits: PollBits(bits),
            at: Duration::from_millis(ms),
        };
        let e = |sock: &str, ev: u16, error: Option<Code>| Notification::NetworkEvent {
            sock: sock.into(),
            event: FdEvents(ev),
            error,
            at: Duration::ZERO,
        };
        let lists: Vec<Vec<Notification>> = vec![
            vec![],
            vec![r("s0", 4, 0)],
            vec![r("s0", 4, 9)],
            vec![r("s1", 4, 0)],
            vec![r("s0", 5, 0)],
            vec![r("s0", 4, 0), r("s0", 4, 0)],
            vec![e("s0", 0x10, None)],
            vec![e("s0", 0x10, Some(Code::WSAECONNREFUSED))],
            vec![r("s0", 4, 0), e("s0", 0x10, None)],
            vec![e("s0", 0x10, None), r("s0", 4, 0)],
        ];
        for a in &lists {
            for b in &lists {
                let ka: Vec<_> = a.iter().map(note_key).collect();
                let kb: Vec<_> = b.iter().map(note_key).collect();
                let before = if ka == kb { Mark::Same } else { Mark::Differs };
                assert_eq!(notifications(a, b), before, "{a:?} against {b:?}");
            }
        }
    }

    fn call(p: PersonalityId, ret: i64, error: Option<Code>, value: &Value) -> Returned<'_> {
        Returned { p, ret: Some(Ret::Int(ret)), error, value, transitions: NO, notifications: NN, met: None }
    }

    fn sel(r: &[&str], w: &[&str], e: &[&str]) -> Value {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        Value::Select { read: v(r), write: v(w), except: v(e) }
    }

    #[test]
    fn select_after_a_refused_connect_differs_in_count_and_sets() {
        let l = sel(&["f"], &["f"], &[]);
        let w = sel(&[], &[], &["f"]);
        let v = compare(&[call(PersonalityId::Linux, 2, None, &l), call(PersonalityId::Winsock, 1, None, &w)]);
        assert_eq!(v.mark, Mark::Differs);
        let aspects: Vec<_> = v.findings.iter().map(|f| f.aspect).collect();
        assert_eq!(aspects, ["result", "value"]);
        assert!(v.findings[1].text.contains("linux: read=f write=f except="), "{}", v.findings[1].text);
    }

    #[test]
    fn so_error_kept_by_one_personality_differs() {
        let kept = Value::Error { error: Some(Code::WSAECONNREFUSED) };
        let cleared = Value::Error { error: None };
        let v =
            compare(&[call(PersonalityId::Winsock, 0, None, &cleared), call(PersonalityId::Windows, 0, None, &kept)]);
        assert_eq!(v.mark, Mark::Differs);
        assert_eq!(v.findings[0].aspect, "value");
    }

    #[test]
    fn counterparts_and_the_pending_connect_are_the_same_meaning() {
        let none = Value::None;
        for (l, w) in [(Code::ECONNREFUSED, Code::WSAECONNREFUSED), (Code::EINPROGRESS, Code::WSAEWOULDBLOCK)] {
            let v = compare(&[
                call(PersonalityId::Linux, -1, Some(l), &none),
                call(PersonalityId::Winsock, -1, Some(w), &none),
            ]);
            assert_eq!(v.mark, Mark::Words, "{l} vs {w}");
            assert!(v.findings[0].text.contains(" mean "), "{}", v.findings[0].text);
        }
        // Same platform, different code: a real difference (Winsock 1.1's WSAEINVAL).
        let v = compare(&[
            call(PersonalityId::Winsock, -1, Some(Code::WSAEALREADY), &none),
            call(PersonalityId::Winsock1, -1, Some(Code::WSAEINVAL), &none),
        ]);
        assert_eq!(v.mark, Mark::Differs);
        // Different platforms, unrelated codes.
        assert_eq!(codes(Some(Code::EISCONN), Some(Code::WSAEINVAL)), Mark::Differs);
        assert_eq!(codes(None, Some(Code::WSAEINVAL)), Mark::Differs);
    }

    #[test]
    fn a_count_returned_and_a_count_written_beside_0_are_the_same_meaning() {
        // sendto's 4 against WSASendTo's 0 with bytes=4; recvfrom's 4 against WSARecvFrom's 0
        // with the four bytes taken.
        let none = Value::None;
        let sent = Value::Transferred { bytes: 4 };
        let v = compare(&[call(PersonalityId::Linux, 4, None, &none), call(PersonalityId::Windows, 0, None, &sent)]);
        assert_eq!(v.mark, Mark::Words);
        assert_eq!(v.findings.iter().map(|f| f.aspect).collect::<Vec<_>>(), ["result", "value"]);
        assert!(v.findings[0].text.contains("the same count"), "{}", v.findings[0].text);
        let data = Value::Data { data: b"ping".to_vec(), from: None };
        let v = compare(&[call(PersonalityId::Linux, 4, None, &data), call(PersonalityId::Winsock, 0, None, &data)]);
        assert_eq!(v.mark, Mark::Words);
        // Another count, or a 0 with nothing written, is a real difference.
        let five = Value::Transferred { bytes: 5 };
        let v = compare(&[call(PersonalityId::Linux, 4, None, &none), call(PersonalityId::Windows, 0, None, &five)]);
        assert_eq!(v.mark, Mark::Differs);
        let v = compare(&[call(PersonalityId::Linux, 4, None, &none), call(PersonalityId::Windows, 0, None, &none)]);
        assert_eq!(v.mark, Mark::Differs);
    }

    #[test]
    fn differences_keep_the_mark_and_only_the_real_findings() {
        let none = Value::None;
        let rows_words = [
            call(PersonalityId::Linux, -1, Some(Code::EINPROGRESS), &none),
            call(PersonalityId::Winsock, -1, Some(Code::WSAEWOULDBLOCK), &none),
        ];
        let l = sel(&["f"], &["f"], &[]);
        let w = sel(&[], &[], &["f"]);
        let rows_both = [
            call(PersonalityId::Linux, 2, Some(Code::ECONNREFUSED), &l),
            call(PersonalityId::Winsock, 1, Some(Code::WSAECONNREFUSED), &w),
        ];
        for rows in [&rows_words[..], &rows_both[..]] {
            let all = compare(rows);
            let shown = differences(rows);
            assert!(all.findings.iter().any(|f| f.mark == Mark::Words), "{all:?}");
            assert_eq!(shown.mark, all.mark);
            let real: Vec<Finding> = all.findings.into_iter().filter(|f| f.mark == Mark::Differs).collect();
            assert_eq!(shown.findings, real);
        }
        assert_eq!(differences(&rows_words).findings, []);
        assert_eq!(differences(&rows_both).mark, Mark::Differs);
    }

    #[test]
    fn an_older_state_difference_is_not_this_rows() {
        // Rows that change nothing compare equal even if the sockets' states already differ.
        let z = Value::Error { error: None };
        let v = compare(&[call(PersonalityId::Linux, 0, None, &z), call(PersonalityId::Winsock, 0, None, &z)]);
        assert_eq!(v, Verdict::default());
    }

    #[test]
    fn state_changes_compare_by_socket_state_and_mapped_error() {
        let t = |to, error| Transition {
            sock: "s".into(),
            from: State::Pending,
            to,
            cause: Cause::Net("x".into()),
            error,
            at: Duration::ZERO,
        };
        let a = [t(State::Failed, Some(Code::ECONNREFUSED))];
        let b = [t(State::Failed, Some(Code::WSAECONNREFUSED))];
        assert_eq!(transitions(&a, &b), Mark::Words);
        assert_eq!(transitions(&a, &[]), Mark::Differs);
        let w = |p, ts| Returned::wait(p, true, ts, NN);
        let v = compare(&[w(PersonalityId::Winsock, &b[..]), w(PersonalityId::Windows, &[])]);
        assert_eq!(v.mark, Mark::Differs);
        assert_eq!(v.findings[0].aspect, "state");
    }

    #[test]
    fn a_personality_without_the_call_is_left_out() {
        let none = Value::None;
        let na = Returned { ret: Some(Ret::NotApplicable), ..call(PersonalityId::Linux, 0, None, &none) };
        let v =
            compare(&[na, call(PersonalityId::Winsock, 0, None, &none), call(PersonalityId::Windows, 0, None, &none)]);
        assert_eq!(v.mark, Mark::Same);
    }

    #[test]
    fn handles_and_ephemeral_ports_are_names_not_meanings() {
        let none = Value::None;
        let h = |p, h| Returned { ret: Some(Ret::Handle(h)), ..call(p, 0, None, &none) };
        assert_eq!(
            compare(&[h(PersonalityId::Linux, Some(3)), h(PersonalityId::Winsock, Some(0x1a4))]).mark,
            Mark::Same
        );
        assert_eq!(compare(&[h(PersonalityId::Linux, Some(3)), h(PersonalityId::Winsock, None)]).mark, Mark::Differs);
        let a = Value::Addr { addr: "127.0.0.1:40000".parse().unwrap() };
        let b = Value::Addr { addr: "127.0.0.1:50000".parse().unwrap() };
        let c = Value::Addr { addr: "127.0.0.1:80".parse().unwrap() };
        assert_eq!(values(&a, &b), Mark::Words);
        assert_eq!(values(&a, &c), Mark::Differs);
    }

    #[test]
    fn the_mapping_is_cross_platform_only() {
        for (a, b, _) in SAME_MEANING {
            assert_ne!(a.platform(), b.platform(), "{a} {b}");
            assert_ne!(a.counterpart(), Some(*b), "{a} is already {b}'s counterpart: no row needed");
            assert!(same_meaning(*a, *b).is_some() && same_meaning(*b, *a).is_some());
        }
    }
}
