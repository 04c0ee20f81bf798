//! Recordings: one session as newline-delimited JSON (`docs/recording-format.md`).
//!
//! A recording is an input, not a screen capture (asciicast v2 is the model): one header line,
//! then one entry per line, each `{"t": <ms>, "kind": "...", ...}`. It holds the calls, the
//! network facts the personalities were given, the live kernel's answers, and every
//! personality's answer, so that [`super::replay`] can feed the facts back through the same core
//! and check that it answers exactly as recorded.
//!
//! - [`Writer`] appends entries and flushes each one: a killed process leaves a readable prefix.
//! - [`Recorder`] turns a running [`Lab`](super::lab::Lab) into entries: it implements
//!   [`Journal`] (what the headless runner and the TUI tell it after each step), and its
//!   [`Tap`] wraps the lab's [`Facts`] and [`Kernel`] to write down what they answered.
//! - [`Reader`] streams entries back one line at a time (bounded memory); an error names the
//!   entry and its line, and everything before it stays usable ([`read_prefix`]).
//!
//! Entry kinds this version does not know are kept as [`Entry::Unknown`] and written back
//! unchanged. Nothing here reads a clock: time offsets come from a [`Clock`] the caller passes
//! (real time on the live network) or from the personalities' virtual time.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::core::call::{Call, Family, NamedTarget};
use crate::core::codes::Code;
use crate::core::facts::{Facts, RouteFact, TcpFact, UdpFact};
use crate::core::model::{Answer, Notification, Ret, State, Transition, Value};
use crate::core::personality::PersonalityId;

use super::lab::{CallRecord, Kernel, KernelAnswer, Until, WaitRecord};
use crate::files::{Line, read_line_capped};

/// The format version this socklab writes and the newest it reads (`socklab_recording`).
pub const FORMAT_VERSION: u32 = 1;

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// A duration as milliseconds (the unit of every `*_ms` field and of `t`).
pub fn to_ms(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

/// Milliseconds back to a duration, rounded to the nanosecond: [`to_ms`] then `from_ms` gives
/// back the same duration (exact below about 58 days).
pub fn from_ms(ms: f64) -> Duration {
    if ms.is_finite() && ms > 0.0 { Duration::from_nanos((ms * 1e6).round() as u64) } else { Duration::ZERO }
}

/// Seconds since the Unix epoch as RFC 3339 in UTC (`2026-11-21T09:30:00Z`), for
/// `started_at`. The caller reads the clock.
pub fn rfc3339(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Where entry time offsets come from on the live network: time since the recording started.
/// main passes one built on the real clock; the core never reads a clock.
pub type Clock = Box<dyn FnMut() -> Duration + Send>;

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

/// Which network answered the recorded session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// The deterministic simulated network.
    Sim,
    /// Real sockets on loopback; the kernel judged the `linux` column.
    Live,
}

impl Network {
    /// `sim` or `live`.
    pub fn name(self) -> &'static str {
        match self {
            Network::Sim => "sim",
            Network::Live => "live",
        }
    }
}

/// A target's address for each socket family.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetAddrs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v4: Option<SocketAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v6: Option<SocketAddr>,
}

/// What is needed to rebuild the session's network facts before the first entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HeaderFacts {
    /// Each named target (`accept`, `refuse`, ...) and where it was.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetAddrs>,
    /// Fields a newer socklab added; kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl HeaderFacts {
    /// The targets as `facts` resolves them.
    pub fn from_facts(facts: &dyn Facts) -> HeaderFacts {
        let targets = NamedTarget::ALL
            .iter()
            .map(|&t| {
                let addrs = TargetAddrs { v4: facts.resolve(t, Family::V4), v6: facts.resolve(t, Family::V6) };
                (t.name().to_string(), addrs)
            })
            .collect();
        HeaderFacts { targets, extra: Map::new() }
    }

    /// Where a target was for a socket of `family`.
    pub fn target(&self, t: NamedTarget, family: Family) -> Option<SocketAddr> {
        let a = self.targets.get(t.name())?;
        match family {
            Family::V4 => a.v4,
            Family::V6 => a.v6,
        }
    }
}

/// The first line of a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format version ([`FORMAT_VERSION`]).
    pub socklab_recording: u32,
    pub socklab_version: String,
    /// `linux`, `windows`, `macos`, ... (Rust's `std::env::consts::OS`).
    pub host_os: String,
    /// The columns, in order.
    pub personalities: Vec<PersonalityId>,
    pub network: Network,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub facts: HeaderFacts,
    /// The script the session ran, when it was a script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Fields a newer socklab added; kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl Header {
    /// A header for a session starting now (`started_at` comes from the caller's clock).
    pub fn new(personalities: &[PersonalityId], network: Network, started_at: String, facts: &dyn Facts) -> Header {
        Header {
            socklab_recording: FORMAT_VERSION,
            socklab_version: env!("CARGO_PKG_VERSION").to_string(),
            host_os: std::env::consts::OS.to_string(),
            personalities: personalities.to_vec(),
            network,
            started_at,
            facts: HeaderFacts::from_facts(facts),
            source: None,
            extra: Map::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

/// An error code as recordings spell it: `{"name": "EINPROGRESS", "number": 115}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode(pub Code);

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ErrorCode", 2)?;
        st.serialize_field("name", self.0.name())?;
        st.serialize_field("number", &self.0.number())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            name: Code,
            number: Option<i32>,
        }
        let r = Raw::deserialize(d)?;
        match r.number {
            Some(n) if n != r.name.number() => Err(serde::de::Error::custom(format!(
                "error {} has number {}, not {n}",
                r.name.name(),
                r.name.number()
            ))),
            _ => Ok(ErrorCode(r.name)),
        }
    }
}

fn code_of(e: &Option<ErrorCode>) -> Option<Code> {
    e.map(|c| c.0)
}

fn is_none_value(v: &Value) -> bool {
    *v == Value::None
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// A rule id: the registry's own string when it is one (no allocation per answer), else owned.
pub(super) fn rule_id_str(s: &str) -> Cow<'static, str> {
    use std::sync::OnceLock;
    static IDS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let ids = IDS.get_or_init(|| crate::core::rules::RULES.iter().map(|r| (r.id, r.id)).collect());
    match ids.get(s) {
        Some(id) => Cow::Borrowed(id),
        None => Cow::Owned(s.to_string()),
    }
}

/// [`rule_id_str`] for serde.
fn rule_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Cow<'static, str>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Cow<'static, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a rule id")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(rule_id_str(s))
        }
    }
    d.deserialize_str(V)
}

/// A call, with the line the user typed (`kind: "call"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallEntry {
    #[serde(skip_serializing, default)]
    pub t: f64,
    /// The script line, when the call came from a script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The command-language text of the call.
    pub text: String,
    pub call: Call,
}

/// What `wait` waits for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitSpec {
    /// `wait MS`.
    For { ms: f64 },
    /// `wait NAME connected|failed|event`.
    Until { sock: String, until: Cond },
}

/// The condition of `wait NAME ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cond {
    Connected,
    Failed,
    Event,
}

impl From<Until> for Cond {
    fn from(u: Until) -> Cond {
        match u {
            Until::Connected => Cond::Connected,
            Until::Failed => Cond::Failed,
            Until::Event => Cond::Event,
        }
    }
}

impl From<Cond> for Until {
    fn from(c: Cond) -> Until {
        match c {
            Cond::Connected => Until::Connected,
            Cond::Failed => Until::Failed,
            Cond::Event => Until::Event,
        }
    }
}

/// Time passing (`kind: "wait"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitEntry {
    #[serde(skip_serializing, default)]
    pub t: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub text: String,
    pub wait: WaitSpec,
}

/// The `linux` model's own answer, kept when the kernel answered otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelAnswer {
    pub ret: Ret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "is_none_value")]
    pub value: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Notification>,
    pub elapsed_ms: f64,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ModelAnswer {
    fn of(a: &Answer) -> ModelAnswer {
        ModelAnswer {
            ret: a.ret,
            error: a.error.map(ErrorCode),
            value: a.value.clone(),
            transitions: a.transitions.clone(),
            notifications: a.notifications.clone(),
            elapsed_ms: to_ms(a.elapsed),
            rule: a.rule.to_string(),
            note: a.note.clone(),
        }
    }

    /// Whether the answer is exactly this one.
    pub fn matches(&self, a: &Answer) -> bool {
        self.ret == a.ret
            && code_of(&self.error) == a.error
            && self.value == a.value
            && self.transitions == a.transitions
            && self.notifications == a.notifications
            && from_ms(self.elapsed_ms) == a.elapsed
            && self.rule == a.rule
            && self.note == a.note
    }
}

/// One personality's answer to the call before it (`kind: "answer"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerEntry {
    #[serde(skip_serializing, default)]
    pub t: f64,
    /// The personality (column).
    pub p: PersonalityId,
    pub ret: Ret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "is_none_value")]
    pub value: Value,
    /// The call's socket's state before and after (absent: the call has no one socket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<State>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<State>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Notification>,
    /// How long the call blocked (absent: 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub elapsed_ms: f64,
    /// The personality's virtual time when the call returned.
    pub vtime_ms: f64,
    /// The rule that decided the answer (`docs/semantics.md`).
    #[serde(deserialize_with = "rule_id")]
    pub rule: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Live network, `linux`: the model's answer when the kernel answered otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelAnswer>,
    /// Live network, `linux`: how model and kernel disagreed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<String>,
}

impl AnswerEntry {
    /// The entry for one personality's record of a call.
    pub fn of(t: f64, r: &CallRecord) -> AnswerEntry {
        let a = &r.answer;
        AnswerEntry {
            t,
            p: r.personality,
            ret: a.ret,
            error: a.error.map(ErrorCode),
            value: a.value.clone(),
            before: r.before,
            after: r.after,
            transitions: a.transitions.clone(),
            notifications: a.notifications.clone(),
            elapsed_ms: to_ms(a.elapsed),
            vtime_ms: to_ms(r.at),
            rule: Cow::Borrowed(a.rule),
            note: a.note.clone(),
            model: r.model.as_ref().map(ModelAnswer::of),
            disagreement: r.disagreement.clone(),
        }
    }

    /// The error code, if any.
    pub fn code(&self) -> Option<Code> {
        code_of(&self.error)
    }

    /// What this personality returned, for [`crate::core::compare`].
    pub fn returned(&self) -> crate::core::compare::Returned<'_> {
        crate::core::compare::Returned {
            p: self.p,
            ret: Some(self.ret),
            error: self.code(),
            value: &self.value,
            transitions: &self.transitions,
            notifications: &self.notifications,
            met: None,
        }
    }

    /// The first field in which a replayed record differs from this entry, if any.
    pub fn differs_from(&self, r: &CallRecord) -> Option<&'static str> {
        let a = &r.answer;
        if self.p != r.personality {
            return Some("personality");
        }
        if self.ret != a.ret {
            return Some("ret");
        }
        if self.code() != a.error {
            return Some("error");
        }
        if self.value != a.value {
            return Some("value");
        }
        if self.before != r.before || self.after != r.after {
            return Some("state");
        }
        if self.transitions != a.transitions {
            return Some("transitions");
        }
        if self.notifications != a.notifications {
            return Some("notifications");
        }
        if from_ms(self.elapsed_ms) != a.elapsed {
            return Some("elapsed_ms");
        }
        if from_ms(self.vtime_ms) != r.at {
            return Some("vtime_ms");
        }
        if self.rule != a.rule {
            return Some("rule");
        }
        if self.note != a.note {
            return Some("note");
        }
        let model_same = match (&self.model, &r.model) {
            (None, None) => true,
            (Some(m), Some(a)) => m.matches(a),
            _ => false,
        };
        if !model_same {
            return Some("model");
        }
        if self.disagreement != r.disagreement {
            return Some("disagreement");
        }
        None
    }
}

/// What one personality saw while time passed (`kind: "events"`, after a `wait`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventsEntry {
    #[serde(skip_serializing, default)]
    pub t: f64,
    pub p: PersonalityId,
    /// Whether the awaited condition was met (`true` for `wait MS`).
    pub met: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Notification>,
    pub vtime_ms: f64,
}

impl EventsEntry {
    /// The entry for one personality's record of a wait.
    pub fn of(t: f64, r: &WaitRecord) -> EventsEntry {
        EventsEntry {
            t,
            p: r.personality,
            met: r.met,
            transitions: r.events.transitions.clone(),
            notifications: r.events.notifications.clone(),
            vtime_ms: to_ms(r.at),
        }
    }

    /// What time brought this personality, for [`crate::core::compare`].
    pub fn returned(&self) -> crate::core::compare::Returned<'_> {
        crate::core::compare::Returned::wait(self.p, self.met, &self.transitions, &self.notifications)
    }

    /// The first field in which a replayed record differs from this entry, if any.
    pub fn differs_from(&self, r: &WaitRecord) -> Option<&'static str> {
        if self.p != r.personality {
            return Some("personality");
        }
        if self.met != r.met {
            return Some("met");
        }
        if self.transitions != r.events.transitions {
            return Some("transitions");
        }
        if self.notifications != r.events.notifications {
            return Some("notifications");
        }
        if from_ms(self.vtime_ms) != r.at {
            return Some("vtime_ms");
        }
        None
    }
}

/// A question the core asked the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Query {
    /// Where a named target is, for a socket of `family`.
    Resolve { target: NamedTarget, family: Family },
    /// Route lookup.
    Route { ip: IpAddr },
    /// Whether an address is this host's.
    IsLocal { ip: IpAddr },
    /// What a TCP handshake towards `dst` does.
    Tcp { dst: SocketAddr },
    /// What a datagram towards `dst` does.
    Udp { dst: SocketAddr },
}

/// The network's answer to a [`Query`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactAnswer {
    Addr(Option<SocketAddr>),
    Route(RouteFact),
    Local(bool),
    Tcp(TcpFact),
    Udp(UdpFact),
}

/// [`FactAnswer`] as recordings spell it (durations in ms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FactJson {
    Addr(Option<SocketAddr>),
    Route(RouteJson),
    Local(bool),
    Tcp(TcpJson),
    Udp(UdpJson),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RouteJson {
    Ok { broadcast: bool, source: IpAddr },
    NoRoute,
    Unreachable,
    Prohibit,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TcpJson {
    Accepts {
        after_ms: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reset_after_ms: Option<f64>,
    },
    Refused {
        after_ms: f64,
    },
    Silent,
    NoArpReply {
        after_ms: f64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum UdpJson {
    Echo { after_ms: f64 },
    Swallowed,
    PortUnreachable { after_ms: f64 },
}

impl From<FactAnswer> for FactJson {
    fn from(a: FactAnswer) -> FactJson {
        match a {
            FactAnswer::Addr(a) => FactJson::Addr(a),
            FactAnswer::Local(b) => FactJson::Local(b),
            FactAnswer::Route(r) => FactJson::Route(match r {
                RouteFact::Ok { broadcast, source } => RouteJson::Ok { broadcast, source },
                RouteFact::NoRoute => RouteJson::NoRoute,
                RouteFact::Unreachable => RouteJson::Unreachable,
                RouteFact::Prohibit => RouteJson::Prohibit,
            }),
            FactAnswer::Tcp(t) => FactJson::Tcp(match t {
                TcpFact::Accepts { after, reset_after } => {
                    TcpJson::Accepts { after_ms: to_ms(after), reset_after_ms: reset_after.map(to_ms) }
                }
                TcpFact::Refused { after } => TcpJson::Refused { after_ms: to_ms(after) },
                TcpFact::Silent => TcpJson::Silent,
                TcpFact::NoArpReply { after } => TcpJson::NoArpReply { after_ms: to_ms(after) },
            }),
            FactAnswer::Udp(u) => FactJson::Udp(match u {
                UdpFact::Echo { after } => UdpJson::Echo { after_ms: to_ms(after) },
                UdpFact::Swallowed => UdpJson::Swallowed,
                UdpFact::PortUnreachable { after } => UdpJson::PortUnreachable { after_ms: to_ms(after) },
            }),
        }
    }
}

impl From<FactJson> for FactAnswer {
    fn from(a: FactJson) -> FactAnswer {
        match a {
            FactJson::Addr(a) => FactAnswer::Addr(a),
            FactJson::Local(b) => FactAnswer::Local(b),
            FactJson::Route(r) => FactAnswer::Route(match r {
                RouteJson::Ok { broadcast, source } => RouteFact::Ok { broadcast, source },
                RouteJson::NoRoute => RouteFact::NoRoute,
                RouteJson::Unreachable => RouteFact::Unreachable,
                RouteJson::Prohibit => RouteFact::Prohibit,
            }),
            FactJson::Tcp(t) => FactAnswer::Tcp(match t {
                TcpJson::Accepts { after_ms, reset_after_ms } => {
                    TcpFact::Accepts { after: from_ms(after_ms), reset_after: reset_after_ms.map(from_ms) }
                }
                TcpJson::Refused { after_ms } => TcpFact::Refused { after: from_ms(after_ms) },
                TcpJson::Silent => TcpFact::Silent,
                TcpJson::NoArpReply { after_ms } => TcpFact::NoArpReply { after: from_ms(after_ms) },
            }),
            FactJson::Udp(u) => FactAnswer::Udp(match u {
                UdpJson::Echo { after_ms } => UdpFact::Echo { after: from_ms(after_ms) },
                UdpJson::Swallowed => UdpFact::Swallowed,
                UdpJson::PortUnreachable { after_ms } => UdpFact::PortUnreachable { after: from_ms(after_ms) },
            }),
        }
    }
}

impl Serialize for FactAnswer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FactJson::from(*self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for FactAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        FactJson::deserialize(d).map(FactAnswer::from)
    }
}

/// A network fact the personalities were given (`kind: "fact"`). Written the first time a
/// question is asked and whenever its answer changes; a replay answers from the latest one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactEntry {
    #[serde(skip_serializing, default)]
    pub t: f64,
    pub q: Query,
    pub a: FactAnswer,
}

/// The kernel's raw answer to a call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Performed {
    pub ret: Ret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "is_none_value")]
    pub value: Value,
    pub elapsed_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_state: Option<String>,
}

/// How a real socket fared in `wait NAME ...`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Waited {
    pub met: bool,
    pub elapsed_ms: f64,
}

/// What the live kernel did (`kind: "kernel"`): exactly one of the three fields is present.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KernelEntry {
    #[serde(skip_serializing, default)]
    pub t: f64,
    /// The call was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performed: Option<Performed>,
    /// The call was not made, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_performed: Option<String>,
    /// `wait NAME ...` on the real socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited: Option<Waited>,
}

impl KernelEntry {
    /// The entry for a kernel's answer to a call.
    pub fn of(t: f64, k: &KernelAnswer) -> KernelEntry {
        match k {
            KernelAnswer::Performed { ret, error, value, elapsed, tcp_state } => KernelEntry {
                t,
                performed: Some(Performed {
                    ret: *ret,
                    error: error.map(ErrorCode),
                    value: value.clone(),
                    elapsed_ms: to_ms(*elapsed),
                    tcp_state: tcp_state.clone(),
                }),
                ..KernelEntry::default()
            },
            KernelAnswer::NotPerformed { why } => {
                KernelEntry { t, not_performed: Some(why.clone()), ..KernelEntry::default() }
            }
        }
    }

    /// The kernel's answer to a call, if this entry is one.
    pub fn answer(&self) -> Option<KernelAnswer> {
        if let Some(p) = &self.performed {
            return Some(KernelAnswer::Performed {
                ret: p.ret,
                error: code_of(&p.error),
                value: p.value.clone(),
                elapsed: from_ms(p.elapsed_ms),
                tcp_state: p.tcp_state.clone(),
            });
        }
        self.not_performed.as_ref().map(|why| KernelAnswer::NotPerformed { why: why.clone() })
    }

    fn check(&self) -> Result<(), String> {
        let n = self.performed.is_some() as u8 + self.not_performed.is_some() as u8 + self.waited.is_some() as u8;
        if n == 1 { Ok(()) } else { Err("expected exactly one of `performed`, `not_performed`, `waited`".into()) }
    }
}

/// A label in the session (`kind: "marker"`), from `mark LABEL` or the TUI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkerEntry {
    #[serde(skip_serializing, default)]
    pub t: f64,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// One line of a recording after the header.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Call(CallEntry),
    Wait(WaitEntry),
    /// Boxed: an answer is several times larger than the other entries, and entries are moved
    /// through the reader, the prefetch batches and the step buffer.
    Answer(Box<AnswerEntry>),
    Events(EventsEntry),
    Fact(FactEntry),
    Kernel(KernelEntry),
    Marker(MarkerEntry),
    /// A kind this version does not know: kept whole, written back unchanged.
    Unknown(Json),
}

impl Entry {
    /// The `kind` field.
    pub fn kind(&self) -> &str {
        match self {
            Entry::Call(_) => "call",
            Entry::Wait(_) => "wait",
            Entry::Answer(_) => "answer",
            Entry::Events(_) => "events",
            Entry::Fact(_) => "fact",
            Entry::Kernel(_) => "kernel",
            Entry::Marker(_) => "marker",
            Entry::Unknown(v) => v.get("kind").and_then(Json::as_str).unwrap_or("?"),
        }
    }

    /// The time offset in ms (`None` for an unknown entry without a numeric `t`).
    pub fn t(&self) -> Option<f64> {
        Some(match self {
            Entry::Call(e) => e.t,
            Entry::Wait(e) => e.t,
            Entry::Answer(e) => e.t,
            Entry::Events(e) => e.t,
            Entry::Fact(e) => e.t,
            Entry::Kernel(e) => e.t,
            Entry::Marker(e) => e.t,
            Entry::Unknown(v) => return v.get("t").and_then(Json::as_f64),
        })
    }

    fn set_t(&mut self, t: f64) {
        match self {
            Entry::Call(e) => e.t = t,
            Entry::Wait(e) => e.t = t,
            Entry::Answer(e) => e.t = t,
            Entry::Events(e) => e.t = t,
            Entry::Fact(e) => e.t = t,
            Entry::Kernel(e) => e.t = t,
            Entry::Marker(e) => e.t = t,
            Entry::Unknown(_) => {}
        }
    }

    /// Whether the entry starts a step of the session (a call, a wait or a marker); every
    /// other entry belongs to the step before it.
    pub fn starts_step(&self) -> bool {
        matches!(self, Entry::Call(_) | Entry::Wait(_) | Entry::Marker(_))
    }

    /// The entry as one line of JSON (no newline): `{"t":..,"kind":"..",...}`.
    pub fn to_line(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        fn body<T: Serialize>(t: f64, kind: &str, v: &T, out: &mut Vec<u8>) -> serde_json::Result<()> {
            out.extend_from_slice(b"{\"t\":");
            serde_json::to_writer(&mut *out, &t)?;
            out.extend_from_slice(b",\"kind\":");
            serde_json::to_writer(&mut *out, kind)?;
            let start = out.len();
            serde_json::to_writer(&mut *out, v)?;
            // `v` serialised as `{...}`: splice its fields after ours.
            if out.len() - start == 2 {
                out.truncate(start);
                out.push(b'}');
            } else {
                out[start] = b',';
            }
            Ok(())
        }
        match self {
            Entry::Call(e) => body(e.t, "call", e, out),
            Entry::Wait(e) => body(e.t, "wait", e, out),
            Entry::Answer(e) => body(e.t, "answer", e, out),
            Entry::Events(e) => body(e.t, "events", e, out),
            Entry::Fact(e) => body(e.t, "fact", e, out),
            Entry::Kernel(e) => body(e.t, "kernel", e, out),
            Entry::Marker(e) => body(e.t, "marker", e, out),
            Entry::Unknown(v) => serde_json::to_writer(out, v),
        }
    }

    /// Parse one line given as bytes (without its newline).
    pub fn parse_bytes(line: &[u8]) -> Result<Entry, EntryError> {
        match std::str::from_utf8(line) {
            Ok(s) => Entry::parse(s),
            Err(e) => {
                Err(EntryError { kind: None, message: format!("not valid UTF-8 (column {})", e.valid_up_to() + 1) })
            }
        }
    }

    /// Parse one line (without its newline).
    pub fn parse(line: &str) -> Result<Entry, EntryError> {
        let kind = match sniff_kind(line.as_bytes()) {
            Some(k) => Cow::Borrowed(k),
            None => {
                #[derive(Deserialize)]
                struct KindOnly<'a> {
                    #[serde(borrow)]
                    kind: Option<Cow<'a, str>>,
                }
                let k: KindOnly = serde_json::from_str(line).map_err(|e| EntryError::json(None, &e))?;
                k.kind.ok_or_else(|| EntryError { kind: None, message: "no `kind` field".into() })?
            }
        };
        fn parse<'a, T: Deserialize<'a>>(line: &'a str, kind: &str) -> Result<T, EntryError> {
            serde_json::from_str(line).map_err(|e| EntryError::json(Some(kind), &e))
        }
        let k = kind.as_ref();
        Ok(match k {
            // Call lines by a small reader too, the call's object by serde (remembered).
            "call" => Entry::Call(match super::call_line::call(line) {
                Some(c) => c,
                None => parse(line, k)?,
            }),
            "wait" => Entry::Wait(parse(line, k)?),
            // Socklab's own answer lines without serde; anything else, and every error, with it.
            "answer" => Entry::Answer(match super::answer_line::answer(line) {
                Some(a) => Box::new(a),
                None => parse(line, k)?,
            }),
            "events" => Entry::Events(parse(line, k)?),
            "fact" => Entry::Fact(parse(line, k)?),
            "kernel" => {
                let e: KernelEntry = parse(line, k)?;
                e.check().map_err(|m| EntryError { kind: Some("kernel".into()), message: m })?;
                Entry::Kernel(e)
            }
            "marker" => Entry::Marker(parse(line, k)?),
            _ => {
                let v: Json = serde_json::from_str(line).map_err(|e| EntryError::json(Some(k), &e))?;
                if !v.is_object() {
                    return Err(EntryError { kind: Some(capped(k, 64)), message: "not a JSON object".into() });
                }
                Entry::Unknown(v)
            }
        })
    }
}

/// The kind of a line written as socklab writes them (`{"t":NUMBER,"kind":"NAME",...`), read
/// without a JSON parse. `None` when the line starts otherwise (the caller then parses it).
fn sniff_kind(line: &[u8]) -> Option<&str> {
    let rest = line.strip_prefix(b"{\"t\":")?;
    let num_end = rest.iter().position(|c| !(c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')))?;
    let rest = rest[num_end..].strip_prefix(b",\"kind\":\"")?;
    let end = rest.iter().position(|&c| c == b'"')?;
    let k = std::str::from_utf8(&rest[..end]).ok()?;
    // Escapes would need a real parse.
    if k.contains('\\') { None } else { Some(k) }
}

/// `s` cut to at most `max` characters (serde quotes the offending value in its messages: a
/// recording's 10 MB string is not printed back).
fn capped(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}… ({} characters in all)", &s[..i], s.chars().count()),
    }
}

/// What is wrong with one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryError {
    /// The entry's kind, when it could be read.
    pub kind: Option<String>,
    pub message: String,
}

impl EntryError {
    fn json(kind: Option<&str>, e: &serde_json::Error) -> EntryError {
        // The line is one line: serde_json's "at line 1 column N" becomes "(column N)".
        let text = e.to_string();
        let msg = match text.rfind(" at line ") {
            Some(i) => format!("{} (column {})", &text[..i], e.column()),
            None => text,
        };
        let message = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => format!("not valid JSON: {msg}"),
            _ => msg,
        };
        EntryError { kind: kind.map(|k| capped(k, 64)), message: capped(&message, 400) }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Why a recording (or part of it) could not be read. Names the line, and the entry when it
/// is one.
#[derive(Debug)]
pub struct ReadError {
    /// 1-based line number (the header is line 1).
    pub line: usize,
    pub what: ReadErrorKind,
}

/// The kinds of [`ReadError`].
#[derive(Debug)]
pub enum ReadErrorKind {
    /// The file could not be read.
    Io(io::Error),
    /// The file is empty.
    Empty,
    /// The header is missing, malformed, or of a newer format.
    Header(String),
    /// The last line ends without a newline and is not a complete entry: the writer stopped
    /// mid-line.
    Truncated(EntryError),
    /// An entry that is not valid.
    Corrupt(EntryError),
}

impl ReadError {
    /// The entry's number (1 is the first line after the header), when the error is in one.
    pub fn entry(&self) -> Option<usize> {
        match self.what {
            ReadErrorKind::Truncated(_) | ReadErrorKind::Corrupt(_) => Some(self.line - 1),
            ReadErrorKind::Io(_) if self.line > 1 => Some(self.line - 1),
            _ => None,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |f: &mut fmt::Formatter<'_>, e: &EntryError| -> fmt::Result {
            write!(f, "entry {} (line {})", self.line - 1, self.line)?;
            if let Some(k) = &e.kind {
                write!(f, ", kind `{k}`")?;
            }
            Ok(())
        };
        match &self.what {
            ReadErrorKind::Io(e) => write!(f, "line {}: cannot read: {e}", self.line),
            ReadErrorKind::Empty => f.write_str("line 1: the file is empty: a recording starts with a header line"),
            ReadErrorKind::Header(m) => write!(f, "line 1 (the header): {m}"),
            ReadErrorKind::Truncated(e) => {
                at(f, e)?;
                write!(
                    f,
                    ": truncated: the last line ends without a newline and is incomplete ({}); the recording stopped mid-write",
                    e.message
                )
            }
            ReadErrorKind::Corrupt(e) => {
                at(f, e)?;
                write!(f, ": {}", e.message)
            }
        }
    }
}

impl std::error::Error for ReadError {}

/// Parse a header line.
pub fn parse_header(line: &str) -> Result<Header, ReadError> {
    let err = |m: String| ReadError { line: 1, what: ReadErrorKind::Header(m) };
    let v: Json = serde_json::from_str(line)
        .map_err(|e| err(format!("not valid JSON: {}", EntryError::json(None, &e).message)))?;
    let Some(version) = v.get("socklab_recording") else {
        return Err(err("not a socklab recording: the first line has no `socklab_recording` field".into()));
    };
    let Some(version) = version.as_u64() else {
        return Err(err(format!("`socklab_recording` must be a format version number, found {version}")));
    };
    if version == 0 || version > FORMAT_VERSION as u64 {
        return Err(err(format!(
            "format version {version} is not one this socklab reads (it reads versions 1 to {FORMAT_VERSION}): update socklab"
        )));
    }
    serde_json::from_value(v.clone())
        .map_err(|e| err(capped(&header_field_error(&v).unwrap_or_else(|| e.to_string()), 400)))
}

/// The first header field that is missing or of the wrong shape, named: `field `started_at`:
/// invalid type: integer `5`, expected a string`.
fn header_field_error(v: &Json) -> Option<String> {
    fn check<T: serde::de::DeserializeOwned>(v: &Json, field: &str) -> Option<String> {
        match v.get(field) {
            None => Some(format!("missing field `{field}`")),
            Some(x) => serde_json::from_value::<T>(x.clone()).err().map(|e| format!("field `{field}`: {e}")),
        }
    }
    check::<String>(v, "socklab_version")
        .or_else(|| check::<String>(v, "host_os"))
        .or_else(|| check::<Vec<PersonalityId>>(v, "personalities"))
        .or_else(|| check::<Network>(v, "network"))
        .or_else(|| check::<String>(v, "started_at"))
        .or_else(|| check::<HeaderFacts>(v, "facts"))
        .or_else(|| match v.get("source") {
            None | Some(Json::Null) => None,
            Some(x) => serde_json::from_value::<String>(x.clone()).err().map(|e| format!("field `source`: {e}")),
        })
}

/// The longest line a recording may have (an entry for a select of 10,000 sockets is far
/// shorter): a longer one is an error naming its line, read without holding it in memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// A recording read line by line: the header at once, then one entry per
/// [`Iterator::next`]. Memory is one line. After an error the iterator ends: everything it
/// yielded before is the valid prefix.
#[derive(Debug)]
pub struct Reader<R> {
    r: R,
    header: Header,
    line: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    /// Read the header.
    pub fn new(mut r: R) -> Result<Reader<R>, ReadError> {
        let mut bytes = Vec::new();
        let header_err = |m: String| ReadError { line: 1, what: ReadErrorKind::Header(m) };
        match read_line_capped(&mut r, &mut bytes, MAX_LINE_BYTES, 0) {
            Err(e) => return Err(ReadError { line: 1, what: ReadErrorKind::Io(e) }),
            Ok(Line::End) => return Err(ReadError { line: 1, what: ReadErrorKind::Empty }),
            Ok(Line::TooLong) => {
                return Err(header_err(format!("longer than {MAX_LINE_BYTES} bytes: not a recording's header")));
            }
            Ok(Line::Read) => {}
        }
        let buf = std::str::from_utf8(&bytes).map_err(|e| {
            header_err(format!("invalid UTF-8 at byte {}: a recording is UTF-8 text", e.valid_up_to() + 1))
        })?;
        let header = parse_header(buf.trim_end_matches(['\n', '\r']))?;
        Ok(Reader { r, header, line: 1, buf: Vec::new(), done: false })
    }

    /// A reader that continues an already opened recording: `r` is positioned at the start of
    /// line `line + 1`.
    pub fn resume(r: R, header: Header, line: usize) -> Reader<R> {
        Reader { r, header, line, buf: Vec::new(), done: false }
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The line number of the last line read (1 after the header).
    pub fn line(&self) -> usize {
        self.line
    }

    /// Read the next entry's line without parsing it; blank lines are skipped. Returns its
    /// line number.
    fn next_line(&mut self) -> Option<Result<usize, ReadError>> {
        loop {
            match read_line_capped(&mut self.r, &mut self.buf, MAX_LINE_BYTES, 0) {
                Ok(Line::End) => return None,
                Ok(Line::TooLong) => {
                    self.line += 1;
                    let e = EntryError {
                        kind: None,
                        message: format!("longer than {MAX_LINE_BYTES} bytes: not an entry socklab wrote"),
                    };
                    return Some(Err(ReadError { line: self.line, what: ReadErrorKind::Corrupt(e) }));
                }
                Ok(Line::Read) => {
                    self.line += 1;
                    if self.buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Ok(self.line));
                }
                Err(e) => return Some(Err(ReadError { line: self.line + 1, what: ReadErrorKind::Io(e) })),
            }
        }
    }
}

impl<R: BufRead> Reader<R> {
    /// The next entry with its line number.
    pub fn next_numbered(&mut self) -> Option<Result<(usize, Entry), ReadError>> {
        let e = self.next()?;
        Some(e.map(|e| (self.line, e)))
    }

    /// Iterate over entries with their line numbers (what [`super::replay::Player`] takes).
    pub fn numbered(self) -> Numbered<R> {
        Numbered(self)
    }
}

/// A [`Reader`] yielding `(line, entry)`.
#[derive(Debug)]
pub struct Numbered<R>(Reader<R>);

impl<R> Numbered<R> {
    /// The header.
    pub fn header(&self) -> &Header {
        &self.0.header
    }
}

impl<R: BufRead> Iterator for Numbered<R> {
    type Item = Result<(usize, Entry), ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_numbered()
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Entry, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = match self.next_line() {
            None => {
                self.done = true;
                return None;
            }
            Some(Err(e)) => {
                self.done = true;
                return Some(Err(e));
            }
            Some(Ok(l)) => l,
        };
        let complete = self.buf.ends_with(b"\n");
        let mut text = &self.buf[..];
        while let [rest @ .., b'\n' | b'\r'] = text {
            text = rest;
        }
        match Entry::parse_bytes(text) {
            Ok(e) => Some(Ok(e)),
            Err(e) => {
                self.done = true;
                let what = if complete { ReadErrorKind::Corrupt(e) } else { ReadErrorKind::Truncated(e) };
                Some(Err(ReadError { line, what }))
            }
        }
    }
}

/// A recording read whole: the entries before the first error, and that error.
#[derive(Debug)]
pub struct Prefix {
    pub header: Header,
    pub entries: Vec<Entry>,
    /// Why reading stopped early, if it did.
    pub error: Option<ReadError>,
}

/// Read a whole recording into memory, keeping the valid prefix when an entry is damaged.
/// Fails only when the header cannot be read.
pub fn read_prefix(r: impl BufRead) -> Result<Prefix, ReadError> {
    let mut reader = Reader::new(r)?;
    let mut entries = Vec::new();
    let mut error = None;
    for e in reader.by_ref() {
        match e {
            Ok(e) => entries.push(e),
            Err(e) => error = Some(e),
        }
    }
    Ok(Prefix { header: reader.header, entries, error })
}

/// Open a recording file for streaming.
pub fn open(path: &Path) -> Result<Reader<io::BufReader<File>>, ReadError> {
    let f = File::open(path).map_err(|e| ReadError { line: 1, what: ReadErrorKind::Io(e) })?;
    Reader::new(io::BufReader::with_capacity(1 << 16, f))
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Appends entries to a recording. Each entry is written with one `write_all` of the whole
/// line and flushed, so a killed process leaves a file whose every line is complete (or, at
/// worst, a last line cut short, which the reader names).
#[derive(Debug)]
pub struct Writer<W: Write> {
    w: W,
    buf: Vec<u8>,
    entries: usize,
    flush_each: bool,
}

impl<W: Write> Writer<W> {
    /// Write the header (and flush it).
    pub fn new(mut w: W, header: &Header) -> io::Result<Writer<W>> {
        let mut buf = serde_json::to_vec(header).map_err(io::Error::other)?;
        buf.push(b'\n');
        w.write_all(&buf)?;
        w.flush()?;
        buf.clear();
        Ok(Writer { w, buf, entries: 0, flush_each: true })
    }

    /// Whether each entry is flushed as it is appended (the default). Turn it off only to
    /// convert or generate files in bulk.
    pub fn flush_each(&mut self, on: bool) {
        self.flush_each = on;
    }

    /// Append one entry.
    pub fn append(&mut self, e: &Entry) -> io::Result<()> {
        self.buf.clear();
        e.to_line(&mut self.buf).map_err(io::Error::other)?;
        self.buf.push(b'\n');
        self.w.write_all(&self.buf)?;
        if self.flush_each {
            self.w.flush()?;
        }
        self.entries += 1;
        Ok(())
    }

    /// Entries written so far.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Flush and give the sink back.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

// ---------------------------------------------------------------------------------------------
// Recording a session
// ---------------------------------------------------------------------------------------------

/// What a session tells its journal after each step. The headless runner calls it; so will
/// the TUI.
pub trait Journal {
    /// A call was answered by every personality.
    fn call(&mut self, line: Option<usize>, text: &str, call: &Call, recs: &[CallRecord]) -> io::Result<()>;
    /// Time passed.
    fn wait(&mut self, line: Option<usize>, text: &str, wait: &WaitSpec, recs: &[WaitRecord]) -> io::Result<()>;
    /// A marker with a label.
    fn marker(&mut self, line: Option<usize>, label: &str) -> io::Result<()>;
}

/// A journal that keeps nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoJournal;

impl Journal for NoJournal {
    fn call(&mut self, _: Option<usize>, _: &str, _: &Call, _: &[CallRecord]) -> io::Result<()> {
        Ok(())
    }
    fn wait(&mut self, _: Option<usize>, _: &str, _: &WaitSpec, _: &[WaitRecord]) -> io::Result<()> {
        Ok(())
    }
    fn marker(&mut self, _: Option<usize>, _: &str) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Default)]
struct TapState {
    recording: bool,
    /// Entries seen since the recorder last took them.
    pending: Vec<Entry>,
    /// The last answer recorded for each question.
    known: HashMap<Query, FactAnswer>,
    /// How many pending entries each of the next steps takes (none: all of them).
    cuts: std::collections::VecDeque<usize>,
}

/// Wiretaps for a lab's [`Facts`] and [`Kernel`]: what they answer is handed to the
/// [`Recorder`] owning the tap, which writes it before the personalities' answers. Build the
/// lab with [`Tap::facts`] and [`Tap::kernel`] around its network; while no recording runs the
/// taps only pass answers through.
#[derive(Clone, Debug, Default)]
pub struct Tap(Arc<Mutex<TapState>>);

impl Tap {
    fn lock(&self) -> std::sync::MutexGuard<'_, TapState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wrap the lab's facts.
    pub fn facts(&self, inner: Box<dyn Facts + Send>) -> Box<dyn Facts + Send> {
        Box::new(TappedFacts { inner, tap: self.clone() })
    }

    /// Wrap the lab's kernel (live network).
    pub fn kernel(&self, inner: Box<dyn Kernel>) -> Box<dyn Kernel> {
        Box::new(TappedKernel { inner, tap: self.clone() })
    }

    fn set_recording(&self, on: bool) {
        let mut s = self.lock();
        s.recording = on;
        s.pending.clear();
        s.cuts.clear();
        // A new recording must contain every fact it relies on.
        s.known.clear();
    }

    fn take(&self, into: &mut Vec<Entry>) {
        let mut s = self.lock();
        match s.cuts.pop_front() {
            Some(n) => {
                let n = n.min(s.pending.len());
                into.extend(s.pending.drain(..n));
            }
            None => into.append(&mut s.pending),
        }
    }

    /// [`Kernel::file_first`]: one answer per next step, before the pending entries.
    fn file_first(&self, answers: Vec<KernelAnswer>) {
        let mut s = self.lock();
        if !s.recording {
            return;
        }
        let first: Vec<Entry> = answers.iter().map(|a| Entry::Kernel(KernelEntry::of(0.0, a))).collect();
        s.cuts.extend(first.iter().map(|_| 1));
        s.pending.splice(0..0, first);
    }

    fn fact(&self, q: Query, a: FactAnswer) {
        let mut s = self.lock();
        if !s.recording || s.known.get(&q) == Some(&a) {
            return;
        }
        s.known.insert(q, a);
        s.pending.push(Entry::Fact(FactEntry { t: 0.0, q, a }));
    }

    fn kernel_entry(&self, e: KernelEntry) {
        let mut s = self.lock();
        if s.recording {
            s.pending.push(Entry::Kernel(e));
        }
    }
}

struct TappedFacts {
    inner: Box<dyn Facts + Send>,
    tap: Tap,
}

impl Facts for TappedFacts {
    fn resolve(&self, target: NamedTarget, family: Family) -> Option<SocketAddr> {
        let a = self.inner.resolve(target, family);
        self.tap.fact(Query::Resolve { target, family }, FactAnswer::Addr(a));
        a
    }
    fn route(&self, ip: IpAddr) -> RouteFact {
        let a = self.inner.route(ip);
        self.tap.fact(Query::Route { ip }, FactAnswer::Route(a));
        a
    }
    fn is_local(&self, ip: IpAddr) -> bool {
        let a = self.inner.is_local(ip);
        self.tap.fact(Query::IsLocal { ip }, FactAnswer::Local(a));
        a
    }
    fn tcp(&self, dst: SocketAddr) -> TcpFact {
        let a = self.inner.tcp(dst);
        self.tap.fact(Query::Tcp { dst }, FactAnswer::Tcp(a));
        a
    }
    fn udp(&self, dst: SocketAddr) -> UdpFact {
        let a = self.inner.udp(dst);
        self.tap.fact(Query::Udp { dst }, FactAnswer::Udp(a));
        a
    }
}

struct TappedKernel {
    inner: Box<dyn Kernel>,
    tap: Tap,
}

impl Kernel for TappedKernel {
    fn perform(&mut self, call: &Call) -> KernelAnswer {
        let a = self.inner.perform(call);
        self.tap.kernel_entry(KernelEntry::of(0.0, &a));
        a
    }
    fn sleep(&mut self, d: Duration) {
        self.inner.sleep(d);
    }
    fn wait_until(&mut self, sock: &str, until: Until, limit: Duration) -> (bool, Duration) {
        let (met, took) = self.inner.wait_until(sock, until, limit);
        self.tap.kernel_entry(KernelEntry {
            waited: Some(Waited { met, elapsed_ms: to_ms(took) }),
            ..KernelEntry::default()
        });
        (met, took)
    }
    fn tcp_state(&self, sock: &str) -> Option<String> {
        self.inner.tcp_state(sock)
    }
    fn interrupter(&self, job: &crate::session::lab::KernelJob) -> Option<Box<dyn crate::session::lab::Interrupt>> {
        self.inner.interrupter(job)
    }
    fn file_first(&mut self, answers: Vec<KernelAnswer>) {
        self.tap.file_first(answers);
    }
}

/// Records a session: builds entries from each step's records and appends them.
///
/// Order of a step's entries: the step (`call`, `wait` or `marker`), then the facts and kernel
/// answers its tap saw, then one `answer` (or `events`) per personality in column order.
///
/// For the TUI: [`Recorder::create`] starts a recording (build the lab with the recorder's
/// [`Tap`], or with a tap passed to [`Recorder::with_tap`], from the start of the session: a
/// replay needs every call since the sockets were created); call [`Journal`] methods after
/// each step, [`Recorder::marker`] for a marker, and [`Recorder::stop`] to end.
pub struct Recorder<W: Write = BufWriter<File>> {
    writer: Writer<W>,
    tap: Tap,
    clock: Option<Clock>,
    last_t: f64,
    scratch: Vec<Entry>,
}

impl<W: Write> fmt::Debug for Recorder<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder").field("entries", &self.writer.entries).field("t", &self.last_t).finish()
    }
}

impl Recorder<BufWriter<File>> {
    /// Create (or truncate) `path` and write the header.
    pub fn create(path: &Path, header: &Header, tap: Tap, clock: Option<Clock>) -> io::Result<Self> {
        let f = File::create(path)?;
        Recorder::with_tap(BufWriter::new(f), header, tap, clock)
    }
}

impl<W: Write> Recorder<W> {
    /// A recorder with its own tap. `clock`: time since the start on the live network; `None`
    /// takes `t` from the personalities' virtual time (the simulated network, where that makes
    /// recordings reproducible byte for byte).
    pub fn new(w: W, header: &Header, clock: Option<Clock>) -> io::Result<Self> {
        Recorder::with_tap(w, header, Tap::default(), clock)
    }

    /// A recorder using the tap the lab was built with.
    pub fn with_tap(w: W, header: &Header, tap: Tap, clock: Option<Clock>) -> io::Result<Self> {
        let writer = Writer::new(w, header)?;
        tap.set_recording(true);
        Ok(Recorder { writer, tap, clock, last_t: 0.0, scratch: Vec::new() })
    }

    /// The tap to build the lab's network with.
    pub fn tap(&self) -> Tap {
        self.tap.clone()
    }

    /// Entries written so far.
    pub fn entries(&self) -> usize {
        self.writer.entries()
    }

    /// The sink (the TUI's journal writes to memory, then to a file once `R` is pressed).
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.writer.w
    }

    /// The offset of the next entry: the clock, or the latest virtual time seen.
    fn now(&mut self, virtual_ms: Option<f64>) -> f64 {
        let t = match (&mut self.clock, virtual_ms) {
            (Some(c), _) => to_ms(c()),
            (None, Some(v)) => v,
            (None, None) => self.last_t,
        };
        // Offsets never go backwards.
        self.last_t = self.last_t.max(t);
        self.last_t
    }

    /// Append one entry at the current offset (its own `t` is replaced).
    pub fn append(&mut self, mut e: Entry) -> io::Result<()> {
        let t = self.now(None);
        e.set_t(t);
        self.writer.append(&e)
    }

    /// Append the step entry, then what the tap saw, then the answers.
    fn step(&mut self, t: f64, mut first: Entry, answers: impl Iterator<Item = Entry>) -> io::Result<()> {
        first.set_t(t);
        self.writer.append(&first)?;
        let mut tapped = std::mem::take(&mut self.scratch);
        self.tap.take(&mut tapped);
        for mut e in tapped.drain(..) {
            e.set_t(t);
            self.writer.append(&e)?;
        }
        self.scratch = tapped;
        for e in answers {
            self.writer.append(&e)?;
        }
        Ok(())
    }

    /// A marker.
    pub fn marker(&mut self, label: &str) -> io::Result<()> {
        Journal::marker(self, None, label)
    }

    /// End the recording: flush, and stop the tap.
    pub fn stop(self) -> io::Result<W> {
        self.tap.set_recording(false);
        self.writer.finish()
    }
}

impl<W: Write> Journal for Recorder<W> {
    fn call(&mut self, line: Option<usize>, text: &str, call: &Call, recs: &[CallRecord]) -> io::Result<()> {
        let vt = recs.iter().map(|r| to_ms(r.at)).fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let t = self.now(vt);
        let first = Entry::Call(CallEntry { t, line, text: text.to_string(), call: call.clone() });
        self.step(t, first, recs.iter().map(|r| Entry::Answer(Box::new(AnswerEntry::of(t, r)))))
    }

    fn wait(&mut self, line: Option<usize>, text: &str, wait: &WaitSpec, recs: &[WaitRecord]) -> io::Result<()> {
        let vt = recs.iter().map(|r| to_ms(r.at)).fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let t = self.now(vt);
        let first = Entry::Wait(WaitEntry { t, line, text: text.to_string(), wait: wait.clone() });
        self.step(t, first, recs.iter().map(|r| Entry::Events(EventsEntry::of(t, r))))
    }

    fn marker(&mut self, line: Option<usize>, label: &str) -> io::Result<()> {
        let t = self.now(None);
        self.step(t, Entry::Marker(MarkerEntry { t, label: label.to_string(), line }), std::iter::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::call::{AddrKind, ConnectApi, Proto, SockAddrArg, SockRef};
    use crate::net::sim::SimNet;
    use crate::session::lab::Lab;

    fn header() -> Header {
        Header::new(PersonalityId::ALL, Network::Sim, "2026-01-01T00:00:00Z".into(), &SimNet)
    }

    fn session() -> Vec<u8> {
        let mut rec = Recorder::new(Vec::new(), &header(), None).unwrap();
        let mut lab = Lab::new(PersonalityId::ALL, rec.tap().facts(Box::new(SimNet)));
        let s = || SockRef::Name("s".into());
        let calls = [
            Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() },
            Call::Fionbio { sock: s(), on: true },
            Call::Connect {
                sock: s(),
                addr: SockAddrArg { kind: AddrKind::Target(NamedTarget::Refuse), len: None },
                api: ConnectApi::Connect,
            },
        ];
        for (i, c) in calls.iter().enumerate() {
            let recs = lab.call(c);
            rec.call(Some(i + 1), "text", c, recs).unwrap();
        }
        let recs = lab.wait_for(Duration::from_millis(3000));
        rec.wait(Some(4), "wait 3000", &WaitSpec::For { ms: 3000.0 }, &recs).unwrap();
        rec.marker("done").unwrap();
        rec.stop().unwrap()
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn ms_round_trip_is_exact() {
        for ns in [0u64, 1, 999, 1_000_000, 1_234_567_891, 86_400_000_000_000, 5_000_000_000_000_000] {
            let d = Duration::from_nanos(ns);
            let back: f64 = serde_json::from_str(&serde_json::to_string(&to_ms(d)).unwrap()).unwrap();
            assert_eq!(from_ms(back), d, "{ns} ns");
        }
    }

    #[test]
    fn a_session_reads_back_entry_for_entry() {
        let bytes = session();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let p = read_prefix(&bytes[..]).unwrap();
        assert!(p.error.is_none(), "{:?}", p.error);
        assert_eq!(p.header, header());
        let kinds: Vec<&str> = p.entries.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds[0], "call");
        assert!(kinds.contains(&"fact"), "{kinds:?}");
        assert!(kinds.contains(&"events"), "{kinds:?}");
        assert_eq!(*kinds.last().unwrap(), "marker");
        assert_eq!(kinds.iter().filter(|k| **k == "answer").count(), 3 * 4);
        // Written back, byte for byte.
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, &p.header).unwrap();
        for e in &p.entries {
            w.append(e).unwrap();
        }
        drop(w);
        assert_eq!(String::from_utf8(out).unwrap(), text);
        // Virtual time: the wait's entries are 3000 ms later than the calls.
        let t: Vec<f64> = p.entries.iter().filter_map(Entry::t).collect();
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*t.last().unwrap(), 3000.0);
    }

    #[test]
    fn lines_start_with_t_and_kind() {
        let text = String::from_utf8(session()).unwrap();
        for line in text.lines().skip(1) {
            assert!(line.starts_with("{\"t\":"), "{line}");
            assert!(sniff_kind(line.as_bytes()).is_some(), "{line}");
        }
        assert!(text.lines().next().unwrap().starts_with("{\"socklab_recording\":1,"));
    }

    #[test]
    fn unknown_kinds_and_header_fields_survive() {
        let src = concat!(
            r#"{"socklab_recording":1,"socklab_version":"9.9.9","host_os":"linux","personalities":["linux"],"network":"sim","started_at":"2030-01-01T00:00:00Z","facts":{"targets":{},"mtu":1500},"colour":"blue"}"#,
            "\n",
            r#"{"t":1.5,"kind":"screenshot","png":"AAAA","nested":{"a":[1,2]}}"#,
            "\n",
            r#"{"kind":"note","text":"no t here"}"#,
            "\n"
        );
        let p = read_prefix(src.as_bytes()).unwrap();
        assert!(p.error.is_none());
        assert_eq!(p.entries.len(), 2);
        assert_eq!(p.entries[0].kind(), "screenshot");
        assert_eq!(p.entries[0].t(), Some(1.5));
        assert_eq!(p.entries[1].t(), None);
        assert_eq!(p.header.extra.get("colour").and_then(Json::as_str), Some("blue"));
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, &p.header).unwrap();
        for e in &p.entries {
            w.append(e).unwrap();
        }
        drop(w);
        let back = read_prefix(&out[..]).unwrap();
        assert_eq!(back.header, p.header);
        assert_eq!(back.entries, p.entries);
    }

    #[test]
    fn errors_name_the_entry() {
        let bytes = session();
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // A corrupt third entry (line 4).
        let mut bad = lines.clone();
        bad[3] = r#"{"t":0,"kind":"answer","p":"linux"}"#;
        let p = read_prefix(bad.join("\n").as_bytes()).unwrap();
        assert_eq!(p.entries.len(), 2);
        let e = p.error.unwrap();
        assert_eq!(e.entry(), Some(3));
        let msg = e.to_string();
        assert!(msg.starts_with("entry 3 (line 4), kind `answer`: missing field `ret`"), "{msg}");
        // Not JSON at all.
        bad[3] = "{\"t\":0,\"kind\":\"call\",";
        let msg = read_prefix(format!("{}\n", bad.join("\n")).as_bytes()).unwrap().error.unwrap().to_string();
        assert!(msg.contains("entry 3 (line 4)"), "{msg}");
        assert!(msg.contains("not valid JSON"), "{msg}");
        // Truncated last line.
        let cut = &text[..text.len() - 10];
        let p = read_prefix(cut.as_bytes()).unwrap();
        assert_eq!(p.entries.len(), lines.len() - 2);
        let msg = p.error.unwrap().to_string();
        assert!(msg.contains(&format!("entry {} (line {})", lines.len() - 1, lines.len())), "{msg}");
        assert!(msg.contains("truncated"), "{msg}");
    }

    #[test]
    fn headers_say_what_is_wrong() {
        let e = read_prefix(&b""[..]).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = read_prefix(&b"{\"asciicast\":2}\n"[..]).unwrap_err().to_string();
        assert!(e.contains("not a socklab recording"), "{e}");
        let e = read_prefix(&b"{\"socklab_recording\":2}\n"[..]).unwrap_err().to_string();
        assert!(e.contains("format version 2"), "{e}");
        let e = read_prefix(&b"{\"socklab_recording\":1}\n"[..]).unwrap_err().to_string();
        assert!(e.contains("line 1 (the header): missing field"), "{e}");
    }

    #[test]
    fn error_codes_carry_name_and_number() {
        let j = serde_json::to_string(&ErrorCode(Code::EINPROGRESS)).unwrap();
        assert_eq!(j, r#"{"name":"EINPROGRESS","number":115}"#);
        let e = serde_json::from_str::<ErrorCode>(r#"{"name":"EINPROGRESS","number":116}"#).unwrap_err();
        assert!(e.to_string().contains("has number 115"), "{e}");
    }
}
