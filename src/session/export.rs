//! Exports of a recording: a Markdown handout, a C program for POSIX, one for Winsock, and a
//! command-language script (`socklab export FILE --to md|c-posix|c-winsock|script`).
//!
//! The C programs make the recorded calls in order and print each result in the transcript's
//! words, one line per call: `connect -> -1 EINPROGRESS (115)`. A call without a counterpart
//! on the platform is printed as a comment line starting with `#`. Named targets become the
//! addresses the recording resolved them to, which the program's arguments can override
//! (`./session accept=127.0.0.1:7001`). [`posix_expected`] gives the lines the POSIX program
//! should print, from the recording's `linux` column.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};

use crate::core::call::{
    AcceptCond, AddrKind, Call, ConnectApi, Family, FdEvents, How, LINGER_ABORT, NamedTarget, OptNullArg, PollBits,
    Proto, SockAddrArg, SockOpt, SockRef,
};
use crate::core::codes::{Code, Platform};
use crate::core::compare::{Mark, compare};
use crate::core::format::{answer_text, notification_text, ret_text, value_text};
use crate::core::model::{Answer, Ret, State};
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;

use crate::script::parse::MAX_DURATION_MS;
use crate::script::term::visible;
use crate::script::unparse::{self, Unwritable, call_line};

use super::record::{AnswerEntry, Cond, Entry, EventsEntry, Header, Network, ReadError, Reader, WaitSpec, from_ms};
use super::replay::StepReader;

/// What to export to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    CPosix,
    CWinsock,
    Script,
}

/// Why an export failed.
#[derive(Debug)]
pub enum ExportError {
    Read(ReadError),
    Io(io::Error),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Read(e) => write!(f, "{e} (nothing was exported)"),
            ExportError::Io(e) => write!(f, "cannot write: {e}"),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<io::Error> for ExportError {
    fn from(e: io::Error) -> Self {
        ExportError::Io(e)
    }
}

/// One step of a recording, as the exports need it.
#[derive(Debug)]
enum Step {
    Call {
        line: usize,
        src_line: Option<usize>,
        /// The call in the command language, rebuilt from the parsed call (never the recorded
        /// text), or why it cannot be written.
        text: Result<String, Unwritable>,
        call: Call,
        answers: Vec<AnswerEntry>,
        performed: Option<bool>,
    },
    Wait {
        line: usize,
        /// The wait in the command language, rebuilt from the recorded wait.
        text: Result<String, Unwritable>,
        wait: WaitSpec,
        events: Vec<super::record::EventsEntry>,
    },
    Marker {
        label: String,
    },
}

/// `wait MS` or `wait NAME COND` from a recorded wait.
fn wait_line(w: &WaitSpec) -> Result<String, Unwritable> {
    match w {
        WaitSpec::For { ms } => match wait_ms(*ms) {
            Some(ms) => Ok(format!("wait {ms}")),
            None => Err(Unwritable(format!("a wait of {ms} ms is not whole milliseconds up to {MAX_DURATION_MS}"))),
        },
        WaitSpec::Until { sock, until } => {
            let cond = match until {
                Cond::Connected => "connected",
                Cond::Failed => "failed",
                Cond::Event => "event",
            };
            Ok(format!("wait {} {cond}", unparse::name(sock)?))
        }
    }
}

/// A recorded `wait MS` as whole milliseconds the language and the C programs can write.
fn wait_ms(ms: f64) -> Option<u64> {
    (ms.is_finite() && ms >= 0.0 && ms.fract() == 0.0 && ms <= MAX_DURATION_MS as f64).then_some(ms as u64)
}

/// The text of a step for comments and headings: the call or wait in the command language, or
/// its function name when it cannot be written.
fn shown(text: &Result<String, Unwritable>, call: Option<&Call>) -> String {
    match (text, call) {
        (Ok(t), _) => t.clone(),
        (Err(_), Some(c)) => c.name().to_string(),
        (Err(_), None) => "wait".to_string(),
    }
}

fn steps<R: BufRead>(reader: Reader<R>) -> Result<(Header, Vec<Step>), ReadError> {
    let header = reader.header().clone();
    let mut sr = StepReader::new(reader.numbered());
    let mut out = Vec::new();
    while let Some(s) = sr.next_step() {
        let entries = s?.entries;
        let (line, first) = &entries[0];
        match first {
            Entry::Call(c) => {
                let answers = entries
                    .iter()
                    .filter_map(|(_, e)| if let Entry::Answer(a) = e { Some((**a).clone()) } else { None })
                    .collect();
                let performed = entries.iter().find_map(|(_, e)| match e {
                    Entry::Kernel(k) if k.performed.is_some() => Some(true),
                    Entry::Kernel(k) if k.not_performed.is_some() => Some(false),
                    _ => None,
                });
                out.push(Step::Call {
                    line: *line,
                    src_line: c.line,
                    text: call_line(&c.call),
                    call: c.call.clone(),
                    answers,
                    performed,
                });
            }
            Entry::Wait(w) => {
                let events = entries
                    .iter()
                    .filter_map(|(_, e)| if let Entry::Events(a) = e { Some(a.clone()) } else { None })
                    .collect();
                out.push(Step::Wait { line: *line, text: wait_line(&w.wait), wait: w.wait.clone(), events });
            }
            Entry::Marker(m) => out.push(Step::Marker { label: m.label.clone() }),
            _ => {}
        }
    }
    Ok((header, out))
}

/// Write the export of a recording.
pub fn export<R: BufRead>(reader: Reader<R>, format: Format, w: &mut dyn Write) -> Result<(), ExportError> {
    let (header, steps) = steps(reader).map_err(ExportError::Read)?;
    let text = match format {
        Format::Markdown => markdown(&header, &steps),
        Format::Script => script(&header, &steps),
        Format::CPosix => CGen::new(Dialect::Posix, &header).program(&steps),
        Format::CWinsock => CGen::new(Dialect::Winsock, &header).program(&steps),
    };
    w.write_all(text.as_bytes())?;
    Ok(())
}

fn state(s: Option<State>) -> &'static str {
    s.map(State::name).unwrap_or("-")
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/// Recorded text for Markdown, the one routine every recorded string passes through on its
/// way into the handout: control and format characters become a visible `\u{H..}` (so no
/// line break, no terminal escape), and the characters that open markup (`\`, `` ` ``, `*`,
/// `[`, `]`, `<`, `>`, `|`, `#`, `!`, `~`, `&`) are backslash-escaped, so the text stays text:
/// no code span to leave, no HTML, no link, no table cell to split. An empty text is `-`.
fn md(s: &str) -> String {
    if s.is_empty() {
        return "-".into();
    }
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if unparse::is_unsafe_char(c) {
            let _ = write!(o, "\\\\u\\{{{:x}\\}}", c as u32);
        } else if matches!(c, '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&') {
            o.push('\\');
            o.push(c);
        } else {
            o.push(c);
        }
    }
    o
}

fn targets_line(h: &Header) -> String {
    h.facts
        .targets
        .iter()
        .filter_map(|(n, a)| a.v4.or(a.v6).map(|a| md(&format!("@{n} {a}"))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn transition_line(p: PersonalityId, t: &crate::core::model::Transition) -> String {
    format!(
        "- {p}: {} {} → {} ({}) at {} ms{}",
        md(&t.sock),
        t.from,
        t.to,
        md(&t.cause.to_string()),
        t.at.as_millis(),
        t.error.map(|e| format!(", {e}")).unwrap_or_default()
    )
}

fn markdown(h: &Header, steps: &[Step]) -> String {
    let mut s = String::new();
    let title = h.source.as_deref().map(md).unwrap_or_else(|| "a session".into());
    let _ = writeln!(s, "# socklab: {title}\n");
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| recorded | {} |", md(&h.started_at));
    let _ = writeln!(s, "| socklab | {} on {} |", md(&h.socklab_version), md(&h.host_os));
    let net = match h.network {
        Network::Sim => "simulated (deterministic, virtual time)",
        Network::Live => "live (real sockets on loopback; the kernel answered the linux column)",
    };
    let _ = writeln!(s, "| network | {net} |");
    let ps: Vec<&str> = h.personalities.iter().map(|p| p.name()).collect();
    let _ = writeln!(s, "| personalities | {} |", ps.join(", "));
    let _ = writeln!(s, "| targets | {} |\n", targets_line(h));
    let _ = writeln!(
        s,
        "A ? after a rule marks an answer socklab assumes: no document or measurement states it \
         (socklab explain and docs/semantics.md say which).\n"
    );
    let mut n = 0;
    for step in steps {
        match step {
            Step::Marker { label } => {
                let _ = writeln!(s, "## {}\n", md(label));
            }
            Step::Call { src_line, text, answers, call, .. } => {
                n += 1;
                let at = src_line.map(|l| format!(" (line {l})")).unwrap_or_default();
                let _ = writeln!(s, "### {n}. {}{at}\n", md(&shown(text, Some(call))));
                let _ =
                    writeln!(s, "| personality | returns | error | value | state | rule |\n|---|---|---|---|---|---|");
                for a in answers {
                    let p = Profile::of(a.p);
                    let err = a.code().map(|c| c.to_string()).unwrap_or_default();
                    let st = if a.before == a.after {
                        state(a.after).to_string()
                    } else {
                        format!("{} → {}", state(a.before), state(a.after))
                    };
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | {} | {}{} |",
                        a.p,
                        md(&ret_text(&a.ret, p)),
                        md(&err),
                        md(&value_text(&a.value, p)),
                        st,
                        md(&a.rule),
                        if crate::core::rules::assumed(&a.rule, a.p) { " ?" } else { "" }
                    );
                }
                // The transcript's mark, by the one definition (core::compare).
                let v = compare(&answers.iter().map(AnswerEntry::returned).collect::<Vec<_>>());
                if v.mark != Mark::Same {
                    let head = match v.mark {
                        Mark::Words => "The personalities mean the same here, in their own words (≈):",
                        _ => "The personalities differ here (≠):",
                    };
                    let _ = writeln!(s, "\n{head}\n");
                    for f in &v.findings {
                        let _ = writeln!(s, "- {} {}: {}", f.mark.symbol(), md(f.aspect), md(&f.text));
                    }
                }
                let mut extra = Vec::new();
                for a in answers {
                    let p = Profile::of(a.p);
                    for t in &a.transitions {
                        extra.push(transition_line(a.p, t));
                    }
                    for no in &a.notifications {
                        extra.push(format!("- {}: {}", a.p, md(&notification_text(no, p))));
                    }
                    if let Some(note) = &a.note {
                        extra.push(format!("- {}: note: {}", a.p, md(note)));
                    }
                    if let (Some(m), Some(d)) = (&a.model, &a.disagreement) {
                        let model = Answer {
                            ret: m.ret,
                            error: m.error.map(|c| c.0),
                            value: m.value.clone(),
                            transitions: Vec::new(),
                            notifications: Vec::new(),
                            elapsed: from_ms(m.elapsed_ms),
                            rule: "",
                            note: None,
                        };
                        extra.push(format!(
                            "- {}: the model predicted {} ({})",
                            a.p,
                            md(&answer_text(&model, Profile::of(a.p))),
                            md(d)
                        ));
                    }
                }
                if !extra.is_empty() {
                    let _ = writeln!(s, "\n{}", extra.join("\n"));
                }
                let _ = writeln!(s);
            }
            Step::Wait { text, events, .. } => {
                n += 1;
                let _ = writeln!(s, "### {n}. {}\n", md(&shown(text, None)));
                let mut any = false;
                for e in events {
                    let p = Profile::of(e.p);
                    for t in &e.transitions {
                        any = true;
                        let _ = writeln!(s, "{}", transition_line(e.p, t));
                    }
                    for no in &e.notifications {
                        any = true;
                        let _ = writeln!(s, "- {}: {}", e.p, md(&notification_text(no, p)));
                    }
                    if !e.met {
                        any = true;
                        let _ = writeln!(s, "- {}: the condition was not reached", e.p);
                    }
                }
                if !any {
                    let _ = writeln!(s, "Nothing happened.");
                }
                let v = compare(&events.iter().map(EventsEntry::returned).collect::<Vec<_>>());
                if v.mark != Mark::Same {
                    let _ = writeln!(s, "\nThe personalities differ here ({}):\n", v.mark.symbol());
                    for f in &v.findings {
                        let _ = writeln!(s, "- {} {}: {}", f.mark.symbol(), md(f.aspect), md(&f.text));
                    }
                }
                let _ = writeln!(s);
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Script
// ---------------------------------------------------------------------------------------------

/// What `expect` checks for an answer: the error, `na`, or success.
fn expectation(a: &AnswerEntry) -> String {
    if let Some(c) = a.code() {
        return format!("error {}", c.name());
    }
    match a.ret {
        Ret::NotApplicable => "na".into(),
        Ret::Int(n) if n != 0 => format!("ret {n}"),
        _ => "ok".into(),
    }
}

/// The script export: every line is rebuilt from what the recording parsed to (calls, waits,
/// markers) and every recorded string in it passes through [`unparse::quote`], the command
/// language's one escaping routine; a call that cannot be written becomes a comment.
fn script(h: &Header, steps: &[Step]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Exported by socklab {} from a recording{} made {} on the {} network.",
        unparse::quote(&h.socklab_version),
        h.source.as_deref().map(|x| format!(" of {}", unparse::quote(x))).unwrap_or_default(),
        unparse::quote(&h.started_at),
        h.network.name()
    );
    let _ = writeln!(
        s,
        "# `socklab run FILE --net {}` makes the same calls; each `expect` checks a recorded answer.",
        h.network.name()
    );
    for step in steps {
        match step {
            Step::Marker { label } => {
                let _ = writeln!(s, "{}", unparse::mark_line(label));
            }
            Step::Wait { text, .. } => match text {
                Ok(t) => {
                    let _ = writeln!(s, "{t}");
                }
                Err(why) => {
                    let _ = writeln!(s, "# a wait not written: {why}");
                }
            },
            Step::Call { text, answers, call, .. } => {
                let text = match text {
                    Ok(t) => t,
                    Err(why) => {
                        let _ = writeln!(s, "# {}: not written: {why}", call.name());
                        continue;
                    }
                };
                let _ = writeln!(s, "{text}");
                // Group the columns that expect the same thing.
                let mut groups: Vec<(String, Vec<PersonalityId>)> = Vec::new();
                for a in answers {
                    let e = expectation(a);
                    match groups.iter_mut().find(|(x, _)| *x == e) {
                        Some((_, ps)) => ps.push(a.p),
                        None => groups.push((e, vec![a.p])),
                    }
                }
                if groups.len() == 1 && groups[0].1.len() == PersonalityId::ALL.len() {
                    let _ = writeln!(s, "expect {}", groups[0].0);
                    continue;
                }
                for (e, ps) in groups {
                    let names: Vec<&str> = ps.iter().map(|p| p.name()).collect();
                    let _ = writeln!(s, "expect {}: {e}", names.join(","));
                }
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// The POSIX program's expected output
// ---------------------------------------------------------------------------------------------

/// The POSIX function a call is (when it has one; the C program prints a comment otherwise).
fn posix_name(call: &Call) -> Option<&'static str> {
    Some(match call {
        Call::Socket { .. } | Call::SocketAf { .. } => "socket",
        Call::Fionbio { .. } => "fcntl",
        Call::SetSockOpt { opt, .. } if posix_opt(*opt).is_some() => "setsockopt",
        Call::GetSockOpt { opt, .. } if posix_opt(*opt).is_some() => "getsockopt",
        Call::Bind { .. } => "bind",
        Call::Listen { .. } => "listen",
        Call::Accept { cond: None, .. } => "accept",
        Call::Connect { api: ConnectApi::Connect, .. }
        | Call::Connect {
            api: ConnectApi::WsaConnect { caller_data: None, sqos: false, gqos: false, callee: None },
            ..
        } => "connect",
        Call::Select { .. } | Call::SelectEmptySets { .. } | Call::SelectTimeval { .. } => "select",
        Call::Poll { .. } | Call::PollNull { .. } | Call::PollFds { .. } => "poll",
        Call::Epoll { .. } => "epoll_wait",
        Call::GetSockName { .. } | Call::NameNull { peer: false, .. } => "getsockname",
        Call::NameNull { peer: true, .. } => "getpeername",
        Call::OptNull { opt, set: true, .. } if posix_opt(*opt).is_some() => "setsockopt",
        Call::OptNull { opt, set: false, .. } if posix_opt(*opt).is_some() => "getsockopt",
        Call::GetPeerName { .. } => "getpeername",
        Call::Send { .. } => "send",
        Call::SendTo { addr, .. }
            if addr.len.is_none() && matches!(addr.kind, AddrKind::Inet(_) | AddrKind::Target(_)) =>
        {
            "sendto"
        }
        Call::Recv { .. } => "recv",
        Call::RecvFrom { .. } => "recvfrom",
        // wsaio3: the plain calls; several buffers are an iovec.
        Call::WsaSendTo { addr, null_overlapped: true, bufs, data, .. }
            if addr.len.is_none()
                && matches!(addr.kind, AddrKind::Inet(_) | AddrKind::Target(_))
                && crate::core::call::gather_fits(data, bufs.as_deref()) =>
        {
            if bufs.as_ref().is_some_and(|b| b.len() > 1) { "sendmsg" } else { "sendto" }
        }
        Call::WsaRecvFrom { null_overlapped: true, bufs, .. } => {
            if bufs.is_some() {
                "recvmsg"
            } else {
                "recvfrom"
            }
        }
        Call::Shutdown { .. } => "shutdown",
        Call::Close { sock: SockRef::Name(_) } => "close",
        _ => return None,
    })
}

/// `bufs=N,M` of a receive (iocp2): the lengths (one buffer of 2048 bytes by default), their
/// total, and the C lines that point each WSABUF `b[k]` into consecutive pieces of `buf`.
fn scatter_setup(bufs: Option<&[u32]>) -> (Vec<u32>, u32, String) {
    let lens = bufs.map_or_else(|| vec![2048], <[u32]>::to_vec);
    let total = lens.iter().sum();
    let mut setup = String::new();
    let mut at = 0u32;
    for (k, len) in lens.iter().enumerate() {
        setup.push_str(&format!("b[{k}].buf = buf + {at};\n        b[{k}].len = {len};\n        "));
        at += len;
    }
    (lens, total, setup)
}

/// wsaio3: the WSABUF array `b` of a send, each buffer pointing into the data `d` (one buffer
/// without `bufs`).
fn gather_setup(data: &[u8], bufs: Option<&[u32]>) -> String {
    let lens = bufs.map_or_else(|| vec![u32::try_from(data.len()).unwrap_or(u32::MAX)], <[u32]>::to_vec);
    let mut code = format!("const char *d = {};\n        WSABUF b[{}];", c_str(data), lens.len());
    let mut at = 0u32;
    for (k, len) in lens.iter().enumerate() {
        let _ = write!(code, "\n        b[{k}].buf = (char *)d + {at};\n        b[{k}].len = {len};");
        at += len;
    }
    code
}

/// `(level, name, kind)` of a socket option on Linux, when socklab's live network sets it.
fn posix_opt(o: SockOpt) -> Option<(&'static str, &'static str, OptKind)> {
    Some(match o {
        SockOpt::SO_BROADCAST => ("SOL_SOCKET", "SO_BROADCAST", OptKind::Int),
        SockOpt::SO_REUSEADDR => ("SOL_SOCKET", "SO_REUSEADDR", OptKind::Int),
        SockOpt::SO_ERROR => ("SOL_SOCKET", "SO_ERROR", OptKind::Error),
        SockOpt::SO_SNDTIMEO => ("SOL_SOCKET", "SO_SNDTIMEO", OptKind::Time),
        SockOpt::SO_LINGER => ("SOL_SOCKET", "SO_LINGER", OptKind::Linger),
        SockOpt::TCP_NODELAY => ("IPPROTO_TCP", "TCP_NODELAY", OptKind::Int),
        SockOpt::TCP_SYNCNT => ("IPPROTO_TCP", "TCP_SYNCNT", OptKind::Int),
        SockOpt::TCP_USER_TIMEOUT => ("IPPROTO_TCP", "TCP_USER_TIMEOUT", OptKind::Int),
        SockOpt::IPV6_V6ONLY => ("IPPROTO_IPV6", "IPV6_V6ONLY", OptKind::Int),
        // socklab's live network does not set these on Linux (see net::live::judge).
        SockOpt::SO_KEEPALIVE
        | SockOpt::SO_CONNECT_TIME
        | SockOpt::SO_UPDATE_CONNECT_CONTEXT
        | SockOpt::SO_UPDATE_ACCEPT_CONTEXT
        | SockOpt::TCP_MAXRT
        | SockOpt::SO_EXCLUSIVEADDRUSE
        | SockOpt::SO_BSP_STATE => {
            return None;
        }
    })
}

/// `(level, name, kind)` of a socket option on Winsock.
fn winsock_opt(o: SockOpt) -> Option<(&'static str, &'static str, OptKind)> {
    Some(match o {
        SockOpt::SO_BROADCAST => ("SOL_SOCKET", "SO_BROADCAST", OptKind::Int),
        SockOpt::SO_REUSEADDR => ("SOL_SOCKET", "SO_REUSEADDR", OptKind::Int),
        SockOpt::SO_ERROR => ("SOL_SOCKET", "SO_ERROR", OptKind::Error),
        SockOpt::SO_CONNECT_TIME => ("SOL_SOCKET", "SO_CONNECT_TIME", OptKind::Dword),
        SockOpt::SO_UPDATE_CONNECT_CONTEXT => ("SOL_SOCKET", "SO_UPDATE_CONNECT_CONTEXT", OptKind::Context),
        SockOpt::SO_UPDATE_ACCEPT_CONTEXT => ("SOL_SOCKET", "SO_UPDATE_ACCEPT_CONTEXT", OptKind::AcceptContext),
        SockOpt::SO_SNDTIMEO => ("SOL_SOCKET", "SO_SNDTIMEO", OptKind::Dword),
        SockOpt::SO_KEEPALIVE => ("SOL_SOCKET", "SO_KEEPALIVE", OptKind::Int),
        SockOpt::SO_LINGER => ("SOL_SOCKET", "SO_LINGER", OptKind::Linger),
        SockOpt::TCP_NODELAY => ("IPPROTO_TCP", "TCP_NODELAY", OptKind::Int),
        SockOpt::TCP_MAXRT => ("IPPROTO_TCP", "TCP_MAXRT", OptKind::Int),
        SockOpt::IPV6_V6ONLY => ("IPPROTO_IPV6", "IPV6_V6ONLY", OptKind::Int),
        SockOpt::SO_EXCLUSIVEADDRUSE => ("SOL_SOCKET", "SO_EXCLUSIVEADDRUSE", OptKind::Int),
        SockOpt::SO_BSP_STATE => ("SOL_SOCKET", "SO_BSP_STATE", OptKind::CsAddr),
        SockOpt::TCP_SYNCNT | SockOpt::TCP_USER_TIMEOUT => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OptKind {
    /// acceptex: the listening SOCKET the last AcceptEx into this socket was given.
    AcceptContext,
    Int,
    Error,
    Time,
    Linger,
    Dword,
    Context,
    /// SO_BSP_STATE's CSADDR_INFO, with room for both addresses after it.
    CsAddr,
}

/// Whether the POSIX program can pass the call's values as C's types hold them (it prints a
/// comment instead of making the call otherwise): descriptors and option values that fit in an
/// `int`, select descriptors inside `0..FD_SETSIZE`, timeouts the language can write.
fn posix_passable(call: &Call) -> bool {
    let fits = |r: &SockRef| !matches!(r, SockRef::Raw(v) if i32::try_from(*v).is_err());
    let in_set = |r: &SockRef| !matches!(r, SockRef::Raw(v) if !(0..FD_SETSIZE_POSIX).contains(v));
    let time = |t: &Option<std::time::Duration>| t.is_none_or(|d| unparse::millis(d).is_ok());
    match call {
        Call::SetSockOpt { opt: SockOpt::SO_LINGER, value: LINGER_ABORT, .. } => true,
        Call::SetSockOpt { value, .. } if i32::try_from(*value).is_err() => false,
        Call::Select { read, write, except, timeout } => {
            read.iter().chain(write).chain(except).all(|r| fits(r) && in_set(r)) && time(timeout)
        }
        Call::SelectTimeval { read, write, except, .. } => {
            read.iter().chain(write).chain(except).all(|r| fits(r) && in_set(r))
        }
        Call::Poll { socks, timeout, .. } | Call::Epoll { socks, timeout } => socks.iter().all(fits) && time(timeout),
        Call::PollNull { timeout, .. } | Call::SelectEmptySets { timeout, .. } => time(timeout),
        Call::PollFds { fds, timeout } => fds.iter().all(|f| fits(&f.sock)) && time(timeout),
        Call::Alarm { after } => unparse::millis(*after).is_ok(),
        c => c.sock().is_none_or(fits),
    }
}

/// A `linux` answer as the POSIX program prints it.
pub fn posix_line(call: &Call, a: &AnswerEntry) -> Option<String> {
    let name = posix_name(call)?;
    let p = Profile::of(PersonalityId::Linux);
    let mut s = match a.ret {
        Ret::Handle(Some(_)) => format!("{name} -> fd"),
        Ret::Handle(None) => format!("{name} -> -1"),
        Ret::Int(n) => format!("{name} -> {n}"),
        Ret::Bool(b) => format!("{name} -> {}", i32::from(b)),
        Ret::NotApplicable => return None,
    };
    if let Some(c) = a.code() {
        let _ = write!(s, " {c}");
    }
    let v = value_text(&a.value, p);
    if !v.is_empty() {
        let _ = write!(s, "  {v}");
    }
    Some(s)
}

/// The lines the POSIX program prints for the calls it makes, from the recording's `linux`
/// column: on a live recording the calls the kernel performed, on a simulated one every call
/// with a POSIX counterpart.
pub fn posix_expected<R: BufRead>(reader: Reader<R>) -> Result<Vec<String>, ReadError> {
    let (header, steps) = steps(reader)?;
    let mut out = Vec::new();
    for step in steps {
        if let Step::Call { call, answers, performed, .. } = step {
            if header.network == Network::Live && performed != Some(true) {
                continue;
            }
            if !posix_passable(&call) {
                continue;
            }
            if let Some(a) = answers.iter().find(|a| a.p == PersonalityId::Linux) {
                out.extend(posix_line(&call, a));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// C programs
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Posix,
    Winsock,
}

/// A C string literal: printable ASCII as is, everything else as a three-digit octal escape.
fn c_str(s: &[u8]) -> String {
    let mut o = String::from("\"");
    for &b in s {
        match b {
            b'"' => o.push_str("\\\""),
            b'\\' => o.push_str("\\\\"),
            b'?' => o.push_str("\\?"),
            0x20..=0x7e => o.push(b as char),
            _ => {
                let _ = write!(o, "\\{b:03o}");
            }
        }
    }
    o.push('"');
    o
}

/// Text for the inside of a C `/* ... */` comment, the one routine every recorded string
/// passes through on its way into a comment: printable ASCII is kept, except what could end
/// the comment or change what follows. A backslash (whose newline would join the next line
/// before comments are removed), control characters, non-ASCII characters, a `/` after `*`, a
/// `*` after `/` (`*/`, `/*`) and a second `?` in a row (trigraphs such as `??/`) become `\xHH` (or `\u{H..}`), which a reader can decode and the compiler ignores. The result
/// holds no line break, no backslash followed by anything but `x` or `u`, and no `*/`, `/*` or `??`.
fn c_comment(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        let unsafe_here = match c {
            '\\' => true,
            '/' => prev == '*',
            '*' => prev == '/',
            '?' => prev == '?',
            ' '..='~' => false,
            _ => true,
        };
        if unsafe_here {
            if c.is_ascii() {
                let _ = write!(o, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
            prev = 'x';
        } else {
            o.push(c);
            prev = c;
        }
    }
    o
}

/// `FD_SETSIZE` of glibc: `FD_SET` of a descriptor at or beyond it writes past the set.
const FD_SETSIZE_POSIX: i64 = 1024;

struct Sock {
    ident: String,
    proto: Proto,
    family: Family,
}

struct CGen<'h> {
    d: Dialect,
    h: &'h Header,
    socks: BTreeMap<String, Sock>,
    closed: HashSet<String>,
    body: String,
}

const POSIX_HELPERS: &str = r#"#define UNUSED __attribute__((unused))

/* "NAME -> RET[ ERROR (N)]": the start of a transcript line. */
static UNUSED void result(const char *call, long ret, int err) {
    printf("%s -> %ld", call, ret);
    if (err) printf(" %s (%d)", errname(err), err);
}

static UNUSED void result_fd(const char *call, int fd, int err) {
    if (fd >= 0) printf("%s -> fd", call);
    else result(call, -1, err);
}

/* "127.0.0.1:80" or "[::1]:80", as socklab prints addresses. */
static UNUSED void print_addr(const struct sockaddr_storage *ss) {
    char ip[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        printf("%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        printf("[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    }
}

/* Received data as socklab prints it: quoted, with Rust's escapes. */
static UNUSED void print_data(const unsigned char *p, long n) {
    putchar('"');
    for (long i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') printf("\\%c", (int)c);
        else if (c == '\n') printf("\\n");
        else if (c == '\r') printf("\\r");
        else if (c == '\t') printf("\\t");
        else if (c == 0) printf("\\0");
        else if (c < 0x20 || c == 0x7f) printf("\\u{%x}", c);
        else putchar((int)c);
    }
    putchar('"');
}

/* "127.0.0.1:80" or "[::1]:80" as a socket address for a socket of `family` (an IPv4 address
   is v4-mapped for an AF_INET6 socket). Returns its length, 0 when the text is no address. */
static UNUSED socklen_t mkaddr(const char *text, int family, struct sockaddr_storage *ss) {
    char host[64];
    const char *colon = strrchr(text, ':');
    memset(ss, 0, sizeof *ss);
    if (!colon) return 0;
    size_t hl = (size_t)(colon - text);
    if (text[0] == '[' && hl >= 2) {
        text++;
        hl -= 2;
    }
    if (hl >= sizeof host) return 0;
    memcpy(host, text, hl);
    host[hl] = 0;
    unsigned short port = (unsigned short)atoi(colon + 1);
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1) {
        if (family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(port);
            a->sin6_addr.s6_addr[10] = 0xff;
            a->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
            return (socklen_t)sizeof *a;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr = v4;
        return (socklen_t)sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return 0;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    return (socklen_t)sizeof *a;
}
"#;

const POSIX_EXTRA: &str = r#"
/* epoll bits as socklab names them. */
static UNUSED void print_epoll(const char *name, unsigned re) {
    static const struct { unsigned bit; const char *name; } names[] = {
        {EPOLLIN, "EPOLLIN"}, {EPOLLOUT, "EPOLLOUT"}, {EPOLLERR, "EPOLLERR"},
        {EPOLLHUP, "EPOLLHUP"}, {0x020, "EPOLLNVAL"}, {EPOLLRDHUP, "EPOLLRDHUP"},
    };
    int first = 1;
    printf("%s=", name);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (re & names[i].bit) {
            printf("%s%s", first ? "" : "|", names[i].name);
            first = 0;
        }
    }
    if (first) printf("0");
}

/* poll(2) bits as socklab names them. */
static UNUSED void print_revents(const char *name, short re) {
    static const struct { short bit; const char *name; } names[] = {
        {POLLIN, "POLLIN"}, {POLLRDNORM, "POLLRDNORM"}, {POLLPRI, "POLLPRI"},
        {POLLOUT, "POLLOUT"}, {POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"},
        {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"},
        {POLLRDHUP, "POLLRDHUP"}, {POLLRDBAND, "POLLRDBAND"},
    };
    int first = 1;
    printf("%s=", name);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (re & names[i].bit) {
            printf("%s%s", first ? "" : "|", names[i].name);
            first = 0;
        }
    }
    if (first) printf("0");
}

static UNUSED void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* `wait NAME ...`: until the socket reports something (at most `ms`). */
static UNUSED void wait_sock(int fd, int ms) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    while (poll(&p, 1, ms) == -1 && errno == EINTR) {
    }
}

static UNUSED void on_alarm(int sig) {
    (void)sig;
}

/* SIGALRM after `ms` without SA_RESTART: a blocking connect fails with EINTR. */
static UNUSED void arm_alarm(long ms) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

/* `after MS closesocket NAME`: a second thread closes the descriptor after `ms`. */
struct after_close_arg { int fd; long ms; };
static void *after_close_thread(void *p) {
    struct after_close_arg *a = p;
    sleep_ms(a->ms);
    long r = close(a->fd);
    int e = r < 0 ? errno : 0;
    printf("(other thread) close -> %ld%s%s\n", r, e ? " " : "", e ? strerror(e) : "");
    free(a);
    return NULL;
}
static UNUSED void after_close(int fd, long ms) {
    struct after_close_arg *a = malloc(sizeof *a);
    pthread_t t;
    if (!a) return;
    a->fd = fd;
    a->ms = ms;
    if (pthread_create(&t, NULL, after_close_thread, a) == 0) pthread_detach(t);
    else free(a);
}
"#;

const WINSOCK_HELPERS: &str = r#"#define UNUSED __attribute__((unused))
typedef int socklen_t;

/* `after MS closesocket NAME`: a second thread closes the socket after `ms`. */
struct after_close_arg { SOCKET s; DWORD ms; };
static DWORD WINAPI after_close_thread(LPVOID p) {
    struct after_close_arg *a = p;
    Sleep(a->ms);
    int r = closesocket(a->s);
    int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;
    printf("(other thread) closesocket -> %d (%d)\n", r, e);
    free(a);
    return 0;
}
static UNUSED void after_close(SOCKET s, DWORD ms) {
    struct after_close_arg *a = malloc(sizeof *a);
    HANDLE t;
    if (!a) return;
    a->s = s;
    a->ms = ms;
    t = CreateThread(NULL, 0, after_close_thread, a, 0, NULL);
    if (t) CloseHandle(t);
    else free(a);
}

/* "NAME -> RET[ ERROR (N)]": the start of a transcript line. */
static UNUSED void result(const char *call, const char *ret, int err) {
    printf("%s -> %s", call, ret);
    if (err) printf(" %s (%d)", errname(err), err);
}

static UNUSED void result_int(const char *call, int r, int err) {
    char buf[32];
    if (r == SOCKET_ERROR) snprintf(buf, sizeof buf, "SOCKET_ERROR");
    else snprintf(buf, sizeof buf, "%d", r);
    result(call, buf, err);
}

static UNUSED void result_sock(const char *call, SOCKET s, int err) {
    result(call, s == INVALID_SOCKET ? "INVALID_SOCKET" : "SOCKET", err);
}

static UNUSED void print_addr(const struct sockaddr_storage *ss) {
    char ip[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, (void *)&a->sin_addr, ip, sizeof ip);
        printf("%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, (void *)&a->sin6_addr, ip, sizeof ip);
        printf("[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    }
}

/* SO_BSP_STATE (0x1009) is missing from MinGW's headers. */
#ifndef SO_BSP_STATE
#define SO_BSP_STATE 0x1009
#endif

static UNUSED void print_sockaddr_or_null(const SOCKET_ADDRESS *a) {
    if (a->lpSockaddr && a->iSockaddrLength) print_addr((const struct sockaddr_storage *)(void *)a->lpSockaddr);
    else printf("NULL");
}

static UNUSED void print_csaddr(const CSADDR_INFO *cs) {
    printf("  local=");
    print_sockaddr_or_null(&cs->LocalAddr);
    printf(" remote=");
    print_sockaddr_or_null(&cs->RemoteAddr);
    printf(" %s %s", cs->iSocketType == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM",
           cs->iProtocol == IPPROTO_TCP ? "IPPROTO_TCP" : "IPPROTO_UDP");
}

static UNUSED void print_data(const unsigned char *p, long n) {
    putchar('"');
    for (long i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') printf("\\%c", (int)c);
        else if (c == '\n') printf("\\n");
        else if (c == '\r') printf("\\r");
        else if (c == '\t') printf("\\t");
        else if (c == 0) printf("\\0");
        else if (c < 0x20 || c == 0x7f) printf("\\u{%x}", c);
        else putchar((int)c);
    }
    putchar('"');
}

static UNUSED socklen_t mkaddr(const char *text, int family, struct sockaddr_storage *ss) {
    char host[64];
    const char *colon = strrchr(text, ':');
    memset(ss, 0, sizeof *ss);
    if (!colon) return 0;
    size_t hl = (size_t)(colon - text);
    if (text[0] == '[' && hl >= 2) {
        text++;
        hl -= 2;
    }
    if (hl >= sizeof host) return 0;
    memcpy(host, text, hl);
    host[hl] = 0;
    unsigned short port = (unsigned short)atoi(colon + 1);
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1) {
        if (family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(port);
            a->sin6_addr.s6_addr[10] = 0xff;
            a->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
            return (socklen_t)sizeof *a;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr = v4;
        return (socklen_t)sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return 0;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    return (socklen_t)sizeof *a;
}

/* WSAPoll bits as socklab names them. */
static UNUSED void print_revents(const char *name, short re) {
    static const struct { short bit; const char *name; } names[] = {
        {POLLRDNORM, "POLLRDNORM"}, {POLLWRNORM, "POLLWRNORM"}, {POLLERR, "POLLERR"},
        {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"},
    };
    int first = 1;
    printf("%s=", name);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (re & names[i].bit) {
            printf("%s%s", first ? "" : "|", names[i].name);
            first = 0;
        }
    }
    if (first) printf("0");
}

/* WSAEnumNetworkEvents' answer as socklab prints it. */
static UNUSED void print_network_events(const WSANETWORKEVENTS *ne) {
    static const struct { long bit; int index; const char *name; } names[] = {
        {FD_READ, FD_READ_BIT, "FD_READ"}, {FD_WRITE, FD_WRITE_BIT, "FD_WRITE"},
        {FD_OOB, FD_OOB_BIT, "FD_OOB"}, {FD_ACCEPT, FD_ACCEPT_BIT, "FD_ACCEPT"},
        {FD_CONNECT, FD_CONNECT_BIT, "FD_CONNECT"}, {FD_CLOSE, FD_CLOSE_BIT, "FD_CLOSE"},
    };
    int first = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (ne->lNetworkEvents & names[i].bit) {
            int e = ne->iErrorCode[names[i].index];
            printf("%s%s=%s", first ? "" : " ", names[i].name, e ? errname(e) : "0");
            first = 0;
        }
    }
    if (first) printf("no events");
}

/* `wait NAME ...`: until the socket reports something (at most `ms`). */
static UNUSED void wait_sock(SOCKET s, long ms) {
    fd_set w, x;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    FD_ZERO(&w);
    FD_ZERO(&x);
    FD_SET(s, &w);
    FD_SET(s, &x);
    select(0, NULL, &w, &x, &tv);
}

static LPFN_CONNECTEX connectex_fn;

/* ConnectEx is reached through WSAIoctl. */
static UNUSED LPFN_CONNECTEX load_connectex(SOCKET s) {
    GUID guid = WSAID_CONNECTEX;
    DWORD bytes = 0;
    if (!connectex_fn)
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &connectex_fn, sizeof connectex_fn,
                 &bytes, NULL, NULL);
    return connectex_fn;
}

/* WSAAsyncSelect needs a window: a message-only one. */
static UNUSED HWND message_window(void) {
    static HWND hwnd;
    if (!hwnd) hwnd = CreateWindowExA(0, "STATIC", "socklab", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, NULL, NULL);
    return hwnd;
}
"#;

/// winapi-ov: completion ports by the session's names, and the OVERLAPPED's fields.
const WINSOCK_OV_HELPERS: &str = r#"
/* Completion ports, by the names the session gave them. */
static struct { const char *name; HANDLE h; } iocp_ports[32];
static UNUSED HANDLE *port_slot(const char *name) {
    size_t i;
    for (i = 0; i + 1 < sizeof iocp_ports / sizeof iocp_ports[0]; i++) {
        if (!iocp_ports[i].name) iocp_ports[i].name = name;
        if (!strcmp(iocp_ports[i].name, name)) break;
    }
    return &iocp_ports[i].h;
}

/* OVERLAPPED structures a call names (ov=NAME) that are no socket's own, by their names. */
static struct { const char *name; WSAOVERLAPPED ov; } named_ovs[32];
static UNUSED WSAOVERLAPPED *ov_slot(const char *name) {
    size_t i;
    for (i = 0; i + 1 < sizeof named_ovs / sizeof named_ovs[0]; i++) {
        if (!named_ovs[i].name) named_ovs[i].name = name;
        if (!strcmp(named_ovs[i].name, name)) break;
    }
    return &named_ovs[i].ov;
}

/* The completion routine of calls made with one (iocp2): it tells what completed when an
 * alertable wait runs it. */
static char routine_log[512];
static UNUSED void CALLBACK export_routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags) {
    size_t used = strlen(routine_log);
    (void)ov;
    (void)flags;
    snprintf(routine_log + used, sizeof routine_log - used, "  [completion routine: dwError %lu, %lu bytes]",
             (unsigned long)err, (unsigned long)bytes);
}

static LPFN_ACCEPTEX acceptex_fn;

/* AcceptEx is reached through WSAIoctl too. */
static UNUSED LPFN_ACCEPTEX load_acceptex(SOCKET s) {
    GUID guid = WSAID_ACCEPTEX;
    DWORD bytes = 0;
    if (!acceptex_fn)
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &acceptex_fn,
                 sizeof acceptex_fn, &bytes, NULL, NULL);
    return acceptex_fn;
}

/* The listener each accept socket was last given to AcceptEx with (SO_UPDATE_ACCEPT_CONTEXT's
 * value), by the session's names. */
struct accept_entry {
    const char *name;
    SOCKET l;
    /* The AcceptEx buffer (it outlives the call: it is written when the call completes) and
     * the lengths GetAcceptExSockaddrs must be given again. */
    char buf[4096 + 2 * 256];
    DWORD recv, local, remote;
};
static struct accept_entry accept_ctx[16];
static UNUSED struct accept_entry *accept_entry(const char *name) {
    size_t i;
    for (i = 0; i + 1 < sizeof accept_ctx / sizeof accept_ctx[0]; i++) {
        if (!accept_ctx[i].name) accept_ctx[i].name = name;
        if (!strcmp(accept_ctx[i].name, name)) break;
    }
    return &accept_ctx[i];
}
static UNUSED SOCKET *accept_listener(const char *name) {
    return &accept_entry(name)->l;
}

static LPFN_GETACCEPTEXSOCKADDRS getacceptexsockaddrs_fn;

static UNUSED LPFN_GETACCEPTEXSOCKADDRS load_getacceptexsockaddrs(SOCKET s) {
    GUID guid = WSAID_GETACCEPTEXSOCKADDRS;
    DWORD bytes = 0;
    if (!getacceptexsockaddrs_fn)
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &getacceptexsockaddrs_fn,
                 sizeof getacceptexsockaddrs_fn, &bytes, NULL, NULL);
    return getacceptexsockaddrs_fn;
}

/* A condition function for WSAAccept answering what its callback data says. */
static UNUSED int CALLBACK accept_condition(LPWSABUF caller_id, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                                            LPWSABUF callee_id, LPWSABUF callee_data, GROUP *g, DWORD_PTR answer) {
    (void)caller_id; (void)caller_data; (void)sqos; (void)gqos; (void)callee_id; (void)callee_data; (void)g;
    return (int)answer;
}

static LPFN_DISCONNECTEX disconnectex_fn;

/* DisconnectEx is reached through WSAIoctl, as ConnectEx is. */
static UNUSED LPFN_DISCONNECTEX load_disconnectex(SOCKET s) {
    GUID guid = WSAID_DISCONNECTEX;
    DWORD bytes = 0;
    if (!disconnectex_fn)
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &disconnectex_fn,
                 sizeof disconnectex_fn, &bytes, NULL, NULL);
    return disconnectex_fn;
}

/* An OVERLAPPED's Internal (NTSTATUS) and InternalHigh (bytes), as socklab prints them. */
static UNUSED void print_overlapped(const WSAOVERLAPPED *ov) {
    unsigned long st = (unsigned long)ov->Internal;
    printf("  Internal=0x%lx%s InternalHigh=0x%lx", st,
           st == 0 ? " (STATUS_SUCCESS)" : st == 0x103 ? " (STATUS_PENDING)" : "", (unsigned long)ov->InternalHigh);
}
"#;

impl<'h> CGen<'h> {
    /// iocp2: the C expression of the OVERLAPPED a call is given: the socket `s`'s own, or the
    /// one `ov=NAME` names (a socket's own when NAME is a socket, else a named slot).
    fn ov_expr(&self, s: &str, ov: &Option<String>) -> Option<String> {
        match ov {
            None => is_ident(s).then(|| format!("&ov_{s}")),
            Some(n) => match self.socks.get(n) {
                Some(k) => Some(format!("&ov_{}", k.ident)),
                None => Some(format!("ov_slot({})", c_str(n.as_bytes()))),
            },
        }
    }

    /// winapi-ov: OVERLAPPED reads, GetOverlappedResult and completion ports; `None` when the
    /// call names something the program cannot (a socket without its own OVERLAPPED variable).
    fn overlapped_code(&self, call: &Call, s: &str, q: &str, fam: Family) -> Option<String> {
        let port = |r: &SockRef| format!("port_slot({})", c_str(r.to_string().as_bytes()));
        Some(match call {
            Call::Overlapped { set, .. } => {
                if !is_ident(s) {
                    return None;
                }
                let fill = set.map_or(String::new(), |v| {
                    format!("ov_{s}.Internal = ov_{s}.InternalHigh = (ULONG_PTR)0x{v:x}ULL;\n        ")
                });
                format!("{fill}printf(\"%s -> 0\", {q});\n        print_overlapped(&ov_{s});\n        putchar('\\n');")
            }
            Call::GetOverlappedResult { wait, wsa, ov, .. } => {
                if !is_ident(s) {
                    return None;
                }
                let o = self.ov_expr(s, ov)?;
                let w = if *wait { "TRUE" } else { "FALSE" };
                let (call_expr, err) = if *wsa {
                    (format!("WSAGetOverlappedResult({s}, {o}, &n, {w}, &fl)"), "WSAGetLastError()")
                } else {
                    (format!("GetOverlappedResult((HANDLE){s}, {o}, &n, {w})"), "(int)GetLastError()")
                };
                format!(
                    "DWORD n = 0, fl = 0;\n        (void)fl;\n        BOOL ok = {call_expr};\n        int e = ok ? 0 : {err};\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        printf(\"  bytes=%lu\", (unsigned long)n);\n        putchar('\\n');"
                )
            }
            Call::CreateIoCompletionPort { name } => {
                let p = port(&SockRef::Name(name.clone()));
                format!(
                    "HANDLE *p = {p};\n        *p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);\n        int e = *p ? 0 : (int)GetLastError();\n        result({q}, *p ? \"HANDLE\" : \"NULL\", e);\n        putchar('\\n');"
                )
            }
            Call::AssociatePort { port: pr, key, .. } => {
                let p = port(pr);
                format!(
                    "HANDLE h = CreateIoCompletionPort((HANDLE){s}, *{p}, (ULONG_PTR){key}ULL, 0);\n        int e = h ? 0 : (int)GetLastError();\n        result({q}, h ? \"HANDLE\" : \"NULL\", e);\n        putchar('\\n');"
                )
            }
            Call::GetQueuedCompletionStatus { port: pr, timeout } => {
                let p = port(pr);
                let ms = match timeout {
                    None => "INFINITE".to_string(),
                    Some(d) => format!("{}", unparse::millis(*d).ok()?),
                };
                format!(
                    "DWORD n = 0xdeadbeef;\n        ULONG_PTR k = 0xdeadbeef;\n        LPOVERLAPPED o = NULL;\n        BOOL ok = GetQueuedCompletionStatus(*{p}, &n, &k, &o, {ms});\n        int e = ok ? 0 : (int)GetLastError();\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        printf(\"  key=%lu bytes=%lu overlapped=%s\", (unsigned long)k, (unsigned long)n, o ? \"set\" : \"NULL\");\n        putchar('\\n');"
                )
            }
            // ---- wsaio3 ----
            Call::GetQueuedCompletionStatusEx { port: pr, count, timeout, alertable } => {
                let p = port(pr);
                let ms = match timeout {
                    None => "INFINITE".to_string(),
                    Some(d) => format!("{}", unparse::millis(*d).ok()?),
                };
                if !(1..=64).contains(count) {
                    return None;
                }
                format!(
                    "OVERLAPPED_ENTRY en[{count}];\n        ULONG got = 0, i;\n        memset(en, 0, sizeof en);\n        BOOL ok = GetQueuedCompletionStatusEx(*{p}, en, {count}, &got, {ms}, {});\n        int e = ok ? 0 : (int)GetLastError();\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        if (ok) {{\n            printf(\"  removed=%lu\", (unsigned long)got);\n            for (i = 0; i < got && i < {count}; i++)\n                printf(\" [key=%lu bytes=%lu overlapped=%s Internal=0x%lx]\", (unsigned long)en[i].lpCompletionKey, (unsigned long)en[i].dwNumberOfBytesTransferred, en[i].lpOverlapped ? \"set\" : \"NULL\", (unsigned long)en[i].Internal);\n        }}\n        printf(\"%s\", routine_log);\n        routine_log[0] = 0;\n        putchar('\\n');",
                    if *alertable { "TRUE" } else { "FALSE" }
                )
            }
            // ---- iocp2 ----
            Call::PostQueuedCompletionStatus { port: pr, key, bytes, overlapped } => {
                let p = port(pr);
                let o = match overlapped {
                    None => "NULL".to_string(),
                    Some(n) => {
                        let (id, _, _) = self.sock(&SockRef::Name(n.clone())).ok()?;
                        if !is_ident(&id) {
                            return None;
                        }
                        format!("&ov_{id}")
                    }
                };
                format!(
                    "BOOL ok = PostQueuedCompletionStatus(*{p}, {bytes}UL, (ULONG_PTR){key}ULL, {o});\n        int e = ok ? 0 : (int)GetLastError();\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        putchar('\\n');"
                )
            }
            Call::CloseHandle { handle } => {
                let p = port(handle);
                format!(
                    "BOOL ok = CloseHandle(*{p});\n        int e = ok ? 0 : (int)GetLastError();\n        /* A closed handle is no handle: later calls on it get ERROR_INVALID_HANDLE. */\n        if (ok) *{p} = NULL;\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        putchar('\\n');"
                )
            }
            Call::WsaRecv { ov, routine, bufs, .. } => {
                if !is_ident(s) {
                    return None;
                }
                let o = self.ov_expr(s, ov)?;
                let (lens, total, setup) = scatter_setup(bufs.as_deref());
                format!(
                    "/* The buffer outlives the call: a pending receive fills it later. */\n        static char buf[{total}];\n        WSABUF b[{}];\n        DWORD n = 0, fl = 0;\n        {setup}int r = WSARecv({s}, b, {}, &n, &fl, {o}, {});\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (!r) printf(\"  bytes=%lu\", (unsigned long)n);\n        putchar('\\n');",
                    lens.len(),
                    lens.len(),
                    if *routine { "export_routine" } else { "NULL" }
                )
            }
            Call::WsaSend { data, ov, routine, bufs, .. } => {
                if !is_ident(s) || !crate::core::call::gather_fits(data, bufs.as_deref()) {
                    return None;
                }
                let o = self.ov_expr(s, ov)?;
                format!(
                    "{}\n        DWORD n = 0;\n        int r = WSASend({s}, b, {}, &n, 0, {o}, {});\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (!r) printf(\"  bytes=%lu\", (unsigned long)n);\n        putchar('\\n');",
                    gather_setup(data, bufs.as_deref()),
                    bufs.as_ref().map_or(1, Vec::len),
                    if *routine { "export_routine" } else { "NULL" }
                )
            }
            // ---- wsaio3 ----
            Call::WsaSendTo { addr, data, bufs, null_overlapped, ov, routine, null_bytes, .. } => {
                if !is_ident(s) || !crate::core::call::gather_fits(data, bufs.as_deref()) {
                    return None;
                }
                let o = if *null_overlapped { "NULL".to_string() } else { self.ov_expr(s, ov)? };
                let (setup, ptr) = self.addr(addr, fam);
                let (decl, count, show) = if *null_bytes {
                    ("", "NULL", "")
                } else {
                    ("DWORD n = 0;\n        ", "&n", "        if (!r) printf(\"  bytes=%lu\", (unsigned long)n);\n")
                };
                format!(
                    "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        {}\n        {decl}int r = WSASendTo({s}, b, {}, {count}, 0, {ptr}, sl, {o}, {});\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n{show}        putchar('\\n');",
                    gather_setup(data, bufs.as_deref()),
                    bufs.as_ref().map_or(1, Vec::len),
                    if *routine { "export_routine" } else { "NULL" }
                )
            }
            Call::WsaRecvFrom { bufs, null_overlapped, ov, routine, .. } => {
                if !is_ident(s) {
                    return None;
                }
                let o = if *null_overlapped { "NULL".to_string() } else { self.ov_expr(s, ov)? };
                let (lens, total, setup) = scatter_setup(bufs.as_deref());
                format!(
                    "/* The buffer and the address outlive the call: a pending receive fills them later. */\n        static char buf[{total}];\n        static struct sockaddr_storage ss;\n        static int sl;\n        WSABUF b[{n}];\n        DWORD n = 0, fl = 0;\n        sl = (int)sizeof ss;\n        memset(&ss, 0, sizeof ss);\n        {setup}int r = WSARecvFrom({s}, b, {n}, &n, &fl, (struct sockaddr *)&ss, &sl, {o}, {});\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (!r) {{\n            printf(\"  bytes=%lu \", (unsigned long)n);\n            print_data((const unsigned char *)buf, (int)n);\n            if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {{\n                printf(\" from \");\n                print_addr(&ss);\n            }}\n        }}\n        putchar('\\n');",
                    if *routine { "export_routine" } else { "NULL" },
                    n = lens.len()
                )
            }
            Call::SleepEx { ms, alertable } => format!(
                "DWORD r = SleepEx({ms}UL, {});\n        printf(\"%s -> %lu\", {q}, (unsigned long)r);\n        if (r == WAIT_IO_COMPLETION) printf(\"  WAIT_IO_COMPLETION\");\n        printf(\"%s\", routine_log);\n        routine_log[0] = 0;\n        putchar('\\n');",
                if *alertable { "TRUE" } else { "FALSE" }
            ),
            Call::AcceptEx { listener, null_overlapped, recv, local, remote, null_buffer, .. } => {
                if !is_ident(s) || *recv > 4096 || local.unwrap_or(0) > 256 || remote.unwrap_or(0) > 256 {
                    return None;
                }
                let (l, fam, _) = self.sock(listener).ok()?;
                let ov = if *null_overlapped { "NULL".to_string() } else { format!("&ov_{s}") };
                let key = c_str(s.as_bytes());
                // The reference page's size: the address structure plus 16 bytes.
                let need = if fam == Family::V6 {
                    "sizeof(struct sockaddr_in6) + 16"
                } else {
                    "sizeof(struct sockaddr_in) + 16"
                };
                let len = |n: &Option<u32>| n.map_or(need.to_string(), |n| n.to_string());
                format!(
                    "struct accept_entry *x = accept_entry({key});\n        DWORD n = 0;\n        LPFN_ACCEPTEX fn = load_acceptex({l});\n        x->l = {l};\n        x->recv = {recv};\n        x->local = {};\n        x->remote = {};\n        BOOL ok = fn ? fn({l}, {s}, {}, x->recv, x->local, x->remote, &n, {ov}) : FALSE;\n        int e = ok ? 0 : WSAGetLastError();\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        putchar('\\n');",
                    len(local),
                    len(remote),
                    if *null_buffer { "NULL" } else { "x->buf" }
                )
            }
            Call::GetAcceptExSockaddrs { .. } => {
                if !is_ident(s) {
                    return None;
                }
                let key = c_str(s.as_bytes());
                format!(
                    "struct accept_entry *x = accept_entry({key});\n        LPFN_GETACCEPTEXSOCKADDRS fn = load_getacceptexsockaddrs(x->l);\n        struct sockaddr *la = NULL, *ra = NULL;\n        INT ll = 0, rl = 0;\n        if (fn) fn(x->buf, x->recv, x->local, x->remote, &la, &ll, &ra, &rl);\n        printf(\"%s -> void  local=\", {q});\n        if (la && ll) print_addr((const struct sockaddr_storage *)(void *)la); else printf(\"untouched\");\n        printf(\" remote=\");\n        if (ra && rl) print_addr((const struct sockaddr_storage *)(void *)ra); else printf(\"untouched\");\n        putchar('\\n');"
                )
            }
            Call::CancelIo { ex, .. } => {
                let call_expr =
                    if *ex { format!("CancelIoEx((HANDLE){s}, NULL)") } else { format!("CancelIo((HANDLE){s})") };
                format!(
                    "BOOL ok = {call_expr};\n        int e = ok ? 0 : (int)GetLastError();\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        putchar('\\n');"
                )
            }
            Call::DisconnectEx { reuse, null_overlapped, .. } => {
                if !is_ident(s) {
                    return None;
                }
                let ov = if *null_overlapped { "NULL".to_string() } else { format!("&ov_{s}") };
                let flags = if *reuse { "TF_REUSE_SOCKET" } else { "0" };
                format!(
                    "LPFN_DISCONNECTEX fn = load_disconnectex({s});\n        BOOL ok = fn ? fn({s}, {ov}, {flags}, 0) : FALSE;\n        int e = ok ? 0 : WSAGetLastError();\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        putchar('\\n');"
                )
            }
            _ => return None,
        })
    }

    fn new(d: Dialect, h: &'h Header) -> Self {
        CGen { d, h, socks: BTreeMap::new(), closed: HashSet::new(), body: String::new() }
    }

    fn ident(&mut self, name: &str, proto: Proto, family: Family) -> String {
        if let Some(s) = self.socks.get_mut(name) {
            s.proto = proto;
            s.family = family;
            return s.ident.clone();
        }
        let mut id: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        id = format!("s_{id}");
        while self.socks.values().any(|s| s.ident == id) {
            id.push('_');
        }
        self.socks.insert(name.to_string(), Sock { ident: id.clone(), proto, family });
        id
    }

    /// The C expression of a socket reference, or why the program does not make the call.
    fn sock(&self, r: &SockRef) -> Result<(String, Family, Proto), String> {
        match r {
            SockRef::Name(n) => {
                if self.closed.contains(n) {
                    return Err(format!("{n} was closed: its number may have been reused"));
                }
                match self.socks.get(n) {
                    Some(s) => Ok((s.ident.clone(), s.family, s.proto)),
                    None => Err(format!("no socket {n}")),
                }
            }
            // A raw descriptor as the platform's type: an `int` on POSIX (one that does not fit
            // is not passed at all), a `SOCKET` (unsigned, pointer-sized) on Winsock.
            SockRef::Raw(v) => match self.d {
                Dialect::Posix => match i32::try_from(*v) {
                    Ok(fd) => Ok((fd.to_string(), Family::V4, Proto::Tcp)),
                    Err(_) => Err(format!("descriptor #{v} does not fit in an int")),
                },
                Dialect::Winsock => Ok((format!("(SOCKET){}ULL", *v as u64), Family::V4, Proto::Tcp)),
            },
        }
    }

    fn target_var(&self, t: NamedTarget, fam: Family) -> String {
        match fam {
            Family::V4 => format!("T_{}", t.name()),
            Family::V6 => format!("T_{}6", t.name()),
        }
    }

    /// Statements that put the address in `ss`/`sl`; the pointer expression to pass.
    fn addr(&self, arg: &SockAddrArg, fam: Family) -> (String, &'static str) {
        let af = match fam {
            Family::V4 => "AF_INET",
            Family::V6 => "AF_INET6",
        };
        let mut code = match &arg.kind {
            AddrKind::Inet(a) => format!("sl = mkaddr({}, {af}, &ss);", c_str(a.to_string().as_bytes())),
            AddrKind::Target(t) => format!("sl = mkaddr({}, {af}, &ss);", self.target_var(*t, fam)),
            AddrKind::Unspec => "memset(&ss, 0, sizeof ss);\n        ss.ss_family = AF_UNSPEC;\n        sl = (socklen_t)sizeof(ss.ss_family);".into(),
            AddrKind::Null => "memset(&ss, 0, sizeof ss);\n        sl = 0;".into(),
            AddrKind::Family(n) => {
                format!("memset(&ss, 0, sizeof ss);\n        ss.ss_family = {n}; /* no system's family */\n        sl = 16;")
            }
        };
        if let Some(l) = arg.len {
            let _ = write!(code, "\n        sl = (socklen_t){l};");
        }
        let ptr = if arg.kind == AddrKind::Null { "NULL" } else { "(struct sockaddr *)&ss" };
        (code, ptr)
    }

    /// A `# ...` line the program prints: the text made visible (no control character reaches
    /// the terminal the program runs in), then a C string literal.
    fn comment(&mut self, text: &str) {
        let line = format!("# {}", visible(text));
        let _ = writeln!(self.body, "    puts({});", c_str(line.as_bytes()));
    }

    fn emit(&mut self, code: &str) {
        let _ = writeln!(self.body, "    {{\n        {code}\n    }}");
    }

    fn program(mut self, steps: &[Step]) -> String {
        for step in steps {
            match step {
                Step::Marker { label } => {
                    let _ = writeln!(self.body, "\n    /* ---- {} ---- */", c_comment(label));
                    self.comment(&unparse::mark_line(label));
                }
                Step::Wait { line, text, wait, .. } => {
                    let shown = shown(text, None);
                    let _ = writeln!(self.body, "\n    /* entry {}: {} */", line - 1, c_comment(&shown));
                    self.comment(&shown);
                    match wait {
                        WaitSpec::For { ms } => match wait_ms(*ms) {
                            Some(ms) => match self.d {
                                Dialect::Posix => self.emit(&format!("sleep_ms({ms});")),
                                Dialect::Winsock => self.emit(&format!("Sleep({ms});")),
                            },
                            None => self.comment(&format!(
                                "not waited: {} ms is not whole milliseconds from 0 to {MAX_DURATION_MS}",
                                visible(&ms.to_string())
                            )),
                        },
                        WaitSpec::Until { sock, .. } => match self.sock(&SockRef::Name(sock.clone())) {
                            Ok((s, _, _)) => self.emit(&format!("wait_sock({s}, 600000);")),
                            Err(why) => self.comment(&format!("not waited: {why}")),
                        },
                    }
                }
                Step::Call { line, src_line, text, call, .. } => {
                    let at = src_line.map(|l| format!("line {l}: ")).unwrap_or_default();
                    let shown = shown(text, Some(call));
                    let _ = writeln!(self.body, "\n    /* {at}{} (entry {}) */", c_comment(&shown), line - 1);
                    match self.d {
                        Dialect::Posix => self.posix(call, &shown),
                        Dialect::Winsock => self.winsock(call, &shown),
                    }
                }
            }
        }
        self.finish()
    }

    fn errnames(&self) -> String {
        let platform = match self.d {
            Dialect::Posix => Platform::Linux,
            Dialect::Winsock => Platform::Winsock,
        };
        let mut seen = HashSet::new();
        let mut s = String::from("static UNUSED const char *errname(int e) {\n    switch (e) {\n");
        for c in Code::ALL.iter().filter(|c| c.platform() == platform) {
            if seen.insert(c.number()) {
                let _ = writeln!(s, "    case {}: return \"{}\";", c.number(), c.name());
            }
        }
        s.push_str("    default: return \"E?\";\n    }\n}\n");
        s
    }

    fn finish(self) -> String {
        let h = self.h;
        let mut s = String::new();
        let (what, build, run) = match self.d {
            Dialect::Posix => ("POSIX (Linux)", "cc -Wall -o session session.c", "./session"),
            Dialect::Winsock => (
                "Winsock 2",
                "x86_64-w64-mingw32-gcc -o session.exe session.c -lws2_32 -lmswsock  (or cl session.c ws2_32.lib mswsock.lib user32.lib)",
                "session.exe",
            ),
        };
        let _ = writeln!(
            s,
            "/* Exported by socklab {} from a recording{} ({}, {} network).\n *\n * The {what} calls of the session, in order; each result is printed as socklab's\n * transcript prints it, for example `connect -> -1 EINPROGRESS (115)`. Calls without a\n * {what} counterpart are printed as comment lines starting with `#`.\n *\n * Build: {build}\n * Run:   {run} [accept=127.0.0.1:7001] [refuse=...]\n *        named targets default to the addresses in the recording; an argument NAME=ADDR\n *        points one elsewhere (start them with `socklab run` on the live network, or any\n *        server of the same kind).\n */",
            c_comment(&h.socklab_version),
            h.source.as_deref().map(|x| format!(" of {}", c_comment(x))).unwrap_or_default(),
            c_comment(&h.started_at),
            h.network.name(),
        );
        match self.d {
            Dialect::Posix => s.push_str(
                "#define _GNU_SOURCE\n#include <arpa/inet.h>\n#include <errno.h>\n#include <fcntl.h>\n#include <netinet/in.h>\n#include <netinet/tcp.h>\n#include <poll.h>\n#include <pthread.h>\n#include <signal.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <sys/epoll.h>\n#include <sys/select.h>\n#include <sys/socket.h>\n#include <sys/time.h>\n#include <time.h>\n#include <unistd.h>\n\n",
            ),
            Dialect::Winsock => s.push_str(
                "#define _WIN32_WINNT 0x0601\n#define WIN32_LEAN_AND_MEAN\n#include <winsock2.h>\n#include <ws2tcpip.h>\n#include <mswsock.h>\n#include <windows.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n",
            ),
        }
        s.push_str("#define UNUSED __attribute__((unused))\n\n");
        s.push_str(&self.errnames());
        let helpers = match self.d {
            Dialect::Posix => [POSIX_HELPERS, POSIX_EXTRA].concat(),
            Dialect::Winsock => [WINSOCK_HELPERS, WINSOCK_OV_HELPERS].concat(),
        };
        s.push_str(helpers.trim_start_matches("#define UNUSED __attribute__((unused))\n"));
        // The targets, overridable from the command line.
        s.push_str("\n/* Named targets: where the recording found them. */\n");
        let mut setters = String::new();
        for t in NamedTarget::ALL {
            let a = h.facts.targets.get(t.name());
            let v4 = a.and_then(|a| a.v4).map(|a| a.to_string()).unwrap_or_else(|| "0.0.0.0:0".into());
            let v6 = a.and_then(|a| a.v6).map(|a| a.to_string()).unwrap_or_else(|| v4.clone());
            let _ = writeln!(s, "static UNUSED const char *T_{} = {};", t.name(), c_str(v4.as_bytes()));
            let _ = writeln!(s, "static UNUSED const char *T_{}6 = {};", t.name(), c_str(v6.as_bytes()));
            let n = t.name().len() + 1;
            let _ = writeln!(setters, "    if (!strncmp(arg, \"{0}=\", {n})) T_{0} = T_{0}6 = arg + {n};", t.name());
        }
        let _ = writeln!(s, "\nstatic void set_target(const char *arg) {{\n    if (*arg == '@') arg++;\n{setters}}}\n");
        // main
        s.push_str("int main(int argc, char **argv) {\n");
        for (i, sock) in self.socks.values().enumerate() {
            let ty = match self.d {
                Dialect::Posix => "int",
                Dialect::Winsock => "SOCKET",
            };
            let init = match self.d {
                Dialect::Posix => "-1",
                Dialect::Winsock => "INVALID_SOCKET",
            };
            let _ = writeln!(s, "    {ty} {} UNUSED = {init}; /* socket {} */", sock.ident, i + 1);
            if self.d == Dialect::Winsock {
                let _ = writeln!(s, "    WSAOVERLAPPED ov_{} UNUSED;", sock.ident);
                // `overlapped NAME` reads it before any call wrote it: zeroed, as socklab's are.
                let _ = writeln!(s, "    memset(&ov_{0}, 0, sizeof ov_{0});", sock.ident);
                let _ = writeln!(s, "    WSAEVENT ev_{} UNUSED = WSA_INVALID_EVENT;", sock.ident);
            }
        }
        s.push_str("    for (int i = 1; i < argc; i++) set_target(argv[i]);\n    setvbuf(stdout, NULL, _IOLBF, 0);\n");
        match self.d {
            Dialect::Posix => s.push_str("    signal(SIGPIPE, SIG_IGN); /* a send on a reset connection answers EPIPE */\n"),
            Dialect::Winsock => s.push_str(
                "    {\n        /* socklab starts Winsock 2.2 for you, as every personality does. */\n        WSADATA wsd;\n        WSAStartup(MAKEWORD(2, 2), &wsd);\n    }\n",
            ),
        }
        s.push_str(&self.body);
        s.push_str("    return 0;\n}\n");
        s
    }

    // ----- POSIX ---------------------------------------------------------------------------

    /// A poll / WSAPoll timeout in milliseconds (-1: none); `None` when it cannot be written
    /// (said in a comment).
    fn poll_timeout(&mut self, timeout: Option<std::time::Duration>, text: &str) -> Option<i64> {
        match timeout.map(unparse::millis).transpose() {
            Ok(ms) => Some(ms.map_or(-1, |ms| ms as i64)),
            Err(why) => {
                self.comment(&format!("{text}: not made: timeout: {why}"));
                None
            }
        }
    }

    /// The `p` array of a poll / WSAPoll (`ty`: its entry type; args3: PollFds gives every entry
    /// its own mask, Poll gives `default_mask` unless `events=`), the entries' names and the
    /// timeout; `None` when the call cannot be written (said in a comment).
    fn poll_array(
        &mut self,
        call: &Call,
        text: &str,
        ty: &str,
        default_mask: &str,
    ) -> Option<(String, Vec<String>, i64)> {
        let (entries, timeout): (Vec<(&SockRef, String)>, _) = match call {
            Call::Poll { socks, timeout, events } => {
                let mask = events.map_or(default_mask.to_string(), c_poll_mask);
                (socks.iter().map(|r| (r, mask.clone())).collect(), *timeout)
            }
            Call::PollFds { fds, timeout } => {
                (fds.iter().map(|f| (&f.sock, c_poll_mask(f.events))).collect(), *timeout)
            }
            _ => return None,
        };
        let mut code = format!("{ty} p[{}];\n", entries.len().max(1));
        let mut names = Vec::new();
        for (i, (r, mask)) in entries.iter().enumerate() {
            match self.sock(r) {
                Ok((x, _, _)) => {
                    let _ = writeln!(
                        code,
                        "        p[{i}].fd = {x};\n        p[{i}].events = {mask};\n        p[{i}].revents = 0;"
                    );
                    names.push(visible(&r.to_string()).into_owned());
                }
                Err(why) => {
                    self.comment(&format!("{text}: not made: {why}"));
                    return None;
                }
            }
        }
        let ms = self.poll_timeout(timeout, text)?;
        Some((code, names, ms))
    }

    /// select() with the three sets, printing which sockets each set kept. POSIX passes the
    /// highest descriptor + 1; Winsock ignores the first argument and answers SOCKET_ERROR.
    fn select_code(
        &self,
        sets: [&Vec<SockRef>; 3],
        timeout: Option<std::time::Duration>,
        q: &str,
    ) -> Result<String, String> {
        let tv = match timeout {
            Some(d) => {
                let ms = unparse::millis(d).map_err(|e| format!("timeout: {e}"))?;
                Some((i64::try_from(ms / 1000).unwrap_or(i64::MAX), i64::try_from(ms % 1000 * 1000).unwrap_or(0)))
            }
            None => None,
        };
        self.select_code_tv(sets, tv, q)
    }

    /// esc3: select with the timeval's two fields as given (`{sec, usec}`), or a NULL timeout.
    fn select_code_tv(&self, sets: [&Vec<SockRef>; 3], tv: Option<(i64, i64)>, q: &str) -> Result<String, String> {
        let posix = matches!(self.d, Dialect::Posix);
        let mut code = String::from("fd_set rs, ws, xs;\n");
        if posix {
            code.push_str("        int n = 0, bad = 0;\n");
        }
        code.push_str("        FD_ZERO(&rs);\n        FD_ZERO(&ws);\n        FD_ZERO(&xs);\n");
        let mut lists = Vec::new();
        for (set, refs) in ["rs", "ws", "xs"].into_iter().zip(sets) {
            let mut names = Vec::new();
            for r in refs {
                let (x, _, _) = self.sock(r)?;
                if posix {
                    // FD_SET of a descriptor outside 0..FD_SETSIZE-1 writes outside the set.
                    if let SockRef::Raw(v) = r {
                        if !(0..FD_SETSIZE_POSIX).contains(v) {
                            return Err(format!("descriptor #{v} is outside 0 to FD_SETSIZE-1 (1023)"));
                        }
                    }
                    let _ = writeln!(
                        code,
                        "        if ({x} < 0 || {x} >= FD_SETSIZE) bad = 1;\n        else {{\n            FD_SET({x}, &{set});\n            if ({x} >= n) n = {x} + 1;\n        }}"
                    );
                } else {
                    let _ = writeln!(code, "        FD_SET({x}, &{set});");
                }
                names.push((visible(&r.to_string()).into_owned(), x));
            }
            lists.push((set, names));
        }
        let tv = match tv {
            Some((sec, usec)) => {
                // A timeval's fields are `long` on Windows: 32 bits.
                if i32::try_from(sec).is_err() || i32::try_from(usec).is_err() {
                    return Err(format!("the timeval {{{sec}, {usec}}} does not fit a 32-bit long"));
                }
                let _ = writeln!(code, "        struct timeval tv = {{{sec}, {usec}}};");
                "&tv"
            }
            None => "NULL",
        };
        if posix {
            code.push_str(
                "        if (bad) puts(\"# select: not made: a descriptor is outside 0 to FD_SETSIZE-1\");\n        else {\n",
            );
        }
        if posix {
            let _ = write!(
                code,
                "        long r = select(n, &rs, &ws, &xs, {tv});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        if (r >= 0) {{\n"
            );
        } else {
            let _ = write!(
                code,
                "        int r = select(0, &rs, &ws, &xs, {tv});\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (r != SOCKET_ERROR) {{\n"
            );
        }
        for (k, (set, names)) in lists.iter().enumerate() {
            let label = ["read", "write", "except"][k];
            let _ = writeln!(
                code,
                "            printf(\"{}{label}=\");\n            int first_{set} = 1;",
                if k == 0 { "  " } else { " " }
            );
            for (n, x) in names {
                let _ = writeln!(
                    code,
                    "            if (FD_ISSET({x}, &{set})) {{ printf(\"%s%s\", first_{set} ? \"\" : \",\", {}); first_{set} = 0; }}",
                    c_str(n.as_bytes())
                );
            }
            let _ = writeln!(code, "            (void)first_{set};");
        }
        code.push_str("        }\n        putchar('\\n');");
        if posix {
            code.push_str("\n        }");
        }
        Ok(code)
    }

    fn posix(&mut self, call: &Call, text: &str) {
        // wsaio3: a plain WSASendTo with one buffer is sendto(2), a plain WSARecvFrom with its
        // default buffer recvfrom(2).
        match call {
            Call::WsaSendTo { sock, addr, data, bufs, null_overlapped: true, .. }
                if bufs.as_ref().is_none_or(|b| b.len() == 1) =>
            {
                return self.posix(&Call::SendTo { sock: sock.clone(), addr: addr.clone(), data: data.clone() }, text);
            }
            Call::WsaRecvFrom { sock, bufs: None, null_overlapped: true, .. } => {
                return self.posix(&Call::RecvFrom { sock: sock.clone() }, text);
            }
            _ => {}
        }
        let Some(fname) = posix_name(call) else {
            let why = match call {
                Call::Alarm { after } => {
                    match unparse::millis(*after) {
                        Ok(ms) => {
                            self.comment(&format!(
                                "{text}: SIGALRM without SA_RESTART interrupts the next blocking call"
                            ));
                            self.emit(&format!("arm_alarm({ms});"));
                        }
                        Err(why) => self.comment(&format!("{text}: not made: {why}")),
                    }
                    return;
                }
                // bsp
                Call::SetSockOpt { opt: SockOpt::SO_BSP_STATE, .. }
                | Call::GetSockOpt { opt: SockOpt::SO_BSP_STATE, .. } => {
                    "Linux has no SO_BSP_STATE; getsockname, getpeername, SO_TYPE and SO_PROTOCOL are its parts".into()
                }
                Call::SetSockOpt { opt, .. } | Call::GetSockOpt { opt, .. } => {
                    format!("{}: socklab's live network does not set it on Linux", opt.name())
                }
                Call::Close { .. } => "raw descriptors are not closed".into(),
                Call::After { after, action } => match &**action {
                    Call::Close { sock } => match self.sock(sock) {
                        Ok((fd, _, _)) => {
                            self.comment(&format!("{text}: a second thread closes the descriptor"));
                            self.emit(&format!("after_close({fd}, {});", after.as_millis()));
                            return;
                        }
                        Err(why) => format!("not made: {why}"),
                    },
                    _ => "only closesocket is exported from a second thread".into(),
                },
                _ => format!("{}: no POSIX counterpart", call.name()),
            };
            self.comment(&format!("{text}: {why}"));
            return;
        };
        // Calls on a socket: its expression.
        let target = match call {
            Call::Socket { .. }
            | Call::SocketAf { .. }
            | Call::Select { .. }
            | Call::Poll { .. }
            | Call::PollNull { .. }
            | Call::PollFds { .. }
            | Call::SelectEmptySets { .. }
            | Call::SelectTimeval { .. }
            | Call::Epoll { .. } => None,
            _ => call.sock().map(|r| self.sock(r)),
        };
        let (s, fam, proto) = match target {
            Some(Ok(x)) => x,
            Some(Err(why)) => {
                self.comment(&format!("{text}: not made: {why}"));
                return;
            }
            None => (String::new(), Family::V4, Proto::Tcp),
        };
        let q = c_str(fname.as_bytes());
        let code = match call {
            Call::Socket { proto, family, name } => {
                let id = self.ident(name, *proto, *family);
                self.closed.remove(name);
                let af = if *family == Family::V4 { "AF_INET" } else { "AF_INET6" };
                let ty = if *proto == Proto::Tcp { "SOCK_STREAM" } else { "SOCK_DGRAM" };
                format!(
                    "{id} = socket({af}, {ty}, 0);\n        int e = {id} < 0 ? errno : 0;\n        result_fd({q}, {id}, e);\n        putchar('\\n');"
                )
            }
            // winapi-args: a family number no system implements; no variable is kept.
            Call::SocketAf { proto, af, .. } => {
                let ty = if *proto == Proto::Tcp { "SOCK_STREAM" } else { "SOCK_DGRAM" };
                format!(
                    "int x = socket({af}, {ty}, 0);\n        int e = x < 0 ? errno : 0;\n        result_fd({q}, x, e);\n        if (x >= 0) close(x);\n        putchar('\\n');"
                )
            }
            Call::Fionbio { on, .. } => {
                let op = if *on { "fl | O_NONBLOCK" } else { "fl & ~O_NONBLOCK" };
                format!(
                    "int fl = fcntl({s}, F_GETFL);\n        long r = fl < 0 ? -1 : fcntl({s}, F_SETFL, {op});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            Call::SetSockOpt { opt, value, optlen, .. } => {
                let vlen = optlen.map_or("sizeof v".to_string(), |n| n.to_string());
                let (level, name, kind) = posix_opt(*opt).expect("posix_name checked the option");
                // `SO_LINGER 1,0`: the structure with l_onoff 1 and l_linger 0.
                let abort = kind == OptKind::Linger && *value == LINGER_ABORT;
                let value = if abort { &0 } else { value };
                let Ok(value) = i32::try_from(*value) else {
                    self.comment(&format!("{text}: not made: {value} does not fit in the option's int"));
                    return;
                };
                let value = &value;
                let (decl, ptr) = match kind {
                    OptKind::Time => {
                        (format!("struct timeval v = {{{}, {}}};", value / 1000, value % 1000 * 1000), "&v")
                    }
                    OptKind::Linger => (
                        format!("struct linger v = {{{}, {}}};", i32::from(*value > 0 || abort), (*value).max(0)),
                        "&v",
                    ),
                    _ => (format!("int v = {value};"), "&v"),
                };
                format!(
                    "{decl}\n        long r = setsockopt({s}, {level}, {name}, {ptr}, {vlen});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            Call::GetSockOpt { opt, optlen, .. } => {
                let vlen = optlen.map_or("sizeof v".to_string(), |n| n.to_string());
                let (level, name, kind) = posix_opt(*opt).expect("posix_name checked the option");
                let (decl, show) = match kind {
                    OptKind::Error => ("int v = 0;", "printf(\"  %s\", v ? errname(v) : \"0\");"),
                    OptKind::Time => {
                        ("struct timeval v = {0, 0};", "printf(\"  %ld\", (long)(v.tv_sec * 1000 + v.tv_usec / 1000));")
                    }
                    OptKind::Linger => {
                        ("struct linger v = {0, 0};", "printf(\"  {%d,%d}\", v.l_onoff ? 1 : 0, (int)v.l_linger);")
                    }
                    _ => ("int v = 0;", "printf(\"  %d\", v);"),
                };
                format!(
                    "{decl}\n        socklen_t vl = {vlen};\n        long r = getsockopt({s}, {level}, {name}, &v, &vl);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        if (r == 0) {{ {show} }}\n        putchar('\\n');"
                )
            }
            Call::Bind { addr, .. } | Call::Connect { addr, .. } => {
                let (setup, ptr) = self.addr(addr, fam);
                format!(
                    "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        long r = {fname}({s}, {ptr}, sl);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            Call::Listen { backlog, .. } => {
                format!(
                    "long r = listen({s}, {backlog});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            Call::Accept { name, .. } => {
                let id = self.ident(name, Proto::Tcp, fam);
                self.closed.remove(name);
                format!(
                    "{id} = accept({s}, NULL, NULL);\n        int e = {id} < 0 ? errno : 0;\n        result_fd({q}, {id}, e);\n        putchar('\\n');"
                )
            }
            // args3: the generated select passes its three sets, empty or not, never NULL.
            Call::SelectEmptySets { timeout, .. } => {
                let none = Vec::new();
                match self.select_code([&none, &none, &none], *timeout, &q) {
                    Ok(code) => code,
                    Err(why) => {
                        self.comment(&format!("{text}: not made: {why}"));
                        return;
                    }
                }
            }
            Call::Select { read, write, except, timeout } => {
                match self.select_code([read, write, except], *timeout, &q) {
                    Ok(code) => code,
                    Err(why) => {
                        self.comment(&format!("{text}: not made: {why}"));
                        return;
                    }
                }
            }
            // esc3: the timeval's fields as the script wrote them.
            Call::SelectTimeval { read, write, except, sec, usec } => {
                match self.select_code_tv([read, write, except], Some((*sec, *usec)), &q) {
                    Ok(code) => code,
                    Err(why) => {
                        self.comment(&format!("{text}: not made: {why}"));
                        return;
                    }
                }
            }
            // args2: a NULL array of n entries.
            Call::PollNull { n, timeout } => {
                let Some(ms) = self.poll_timeout(*timeout, text) else { return };
                format!(
                    "struct pollfd *volatile np = NULL; /* a NULL array the compiler cannot see through */\n        long r = poll(np, {n}, {ms});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            Call::Poll { .. } | Call::PollFds { .. } => {
                let Some((mut code, names, ms)) =
                    self.poll_array(call, text, "struct pollfd", "POLLIN | POLLPRI | POLLOUT | POLLRDHUP")
                else {
                    return;
                };
                let _ = write!(
                    code,
                    "        long r = poll(p, {}, {ms});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        if (r >= 0) {{\n",
                    names.len()
                );
                code.push_str(&revents_code(&names));
                code
            }
            Call::Epoll { socks, timeout } => {
                let n = socks.len().max(1);
                let mut code = format!(
                    "int ep = epoll_create1(0);\n        struct epoll_event ev, out[{n}];\n        unsigned re[{n}];\n        memset(re, 0, sizeof re);\n"
                );
                let mut names = Vec::new();
                for (i, r) in socks.iter().enumerate() {
                    match self.sock(r) {
                        Ok((x, _, _)) => {
                            let _ = writeln!(
                                code,
                                "        ev.events = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP;\n        ev.data.u32 = {i};\n        epoll_ctl(ep, EPOLL_CTL_ADD, {x}, &ev);"
                            );
                            names.push(visible(&r.to_string()).into_owned());
                        }
                        Err(why) => {
                            self.comment(&format!("{text}: not made: {why}"));
                            return;
                        }
                    }
                }
                let Some(ms) = self.poll_timeout(*timeout, text) else { return };
                let _ = write!(
                    code,
                    "        long r = epoll_wait(ep, out, {n}, {ms});\n        int e = r < 0 ? errno : 0;\n        for (long k = 0; k < r; k++) re[out[k].data.u32] = out[k].events;\n        close(ep);\n        result({q}, r, e);\n        if (r >= 0) {{\n"
                );
                for (i, nm) in names.iter().enumerate() {
                    let _ = writeln!(
                        code,
                        "            printf(\"{}\");\n            print_epoll({}, re[{i}]);",
                        if i == 0 { "  " } else { " " },
                        c_str(nm.as_bytes())
                    );
                }
                code.push_str("        }\n        putchar('\\n');");
                code
            }
            Call::GetSockName { namelen, .. } | Call::GetPeerName { namelen, .. } => format!(
                "struct sockaddr_storage ss;\n        socklen_t sl = {sl};\n        memset(&ss, 0, sizeof ss);\n        long r = {fname}({s}, (struct sockaddr *)&ss, &sl);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        if (r == 0 && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {{\n            printf(\"  \");\n            print_addr(&ss);\n        }}\n        putchar('\\n');",
                sl = namelen.map_or("sizeof ss".to_string(), |n| n.to_string())
            ),
            // winapi-args: a NULL optval, the option's own length.
            Call::OptNull { opt, set, arg, .. } => {
                let (level, name, kind) = posix_opt(*opt).expect("posix_name checked the option");
                let own = match kind {
                    OptKind::Time => "sizeof(struct timeval)",
                    OptKind::Linger => "sizeof(struct linger)",
                    _ => "sizeof(int)",
                };
                // args2: a length of the script's beside the NULL optval, or a NULL optlen.
                let len = match arg {
                    OptNullArg::OptvalLen(n) => n.to_string(),
                    _ => own.to_string(),
                };
                let call = match (set, arg) {
                    (true, _) => format!("setsockopt({s}, {level}, {name}, NULL, {len})"),
                    (false, OptNullArg::Optlen) => {
                        format!("getsockopt({s}, {level}, {name}, ob, (socklen_t *)NULL)")
                    }
                    (false, _) => format!("getsockopt({s}, {level}, {name}, NULL, &vl)"),
                };
                format!(
                    "socklen_t vl = {len};\n        char ob[16] = {{0}};\n        (void)vl;\n        (void)ob;\n        long r = {call};\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            // winapi-args: a NULL name pointer.
            Call::NameNull { len: false, .. } => format!(
                "socklen_t sl = 16;\n        long r = {fname}({s}, NULL, &sl);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
            ),
            // args2: a NULL namelen pointer.
            Call::NameNull { len: true, .. } => format!(
                "struct sockaddr_storage ss;\n        memset(&ss, 0, sizeof ss);\n        long r = {fname}({s}, (struct sockaddr *)&ss, (socklen_t *)NULL);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
            ),
            Call::Send { data, .. } => format!(
                "long r = send({s}, {}, {}, MSG_NOSIGNAL);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');",
                c_str(data),
                data.len()
            ),
            Call::SendTo { addr, data, .. } => {
                let (setup, ptr) = self.addr(addr, fam);
                format!(
                    "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        long r = sendto({s}, {}, {}, MSG_NOSIGNAL, {ptr}, sl);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');",
                    c_str(data),
                    data.len()
                )
            }
            // wsaio3: a plain WSASendTo is sendto(2); several buffers, sendmsg(2) with an iovec.
            Call::WsaSendTo { addr, data, bufs, .. } => {
                let (setup, ptr) = self.addr(addr, fam);
                let b = bufs.clone().unwrap_or_default();
                let mut iov = String::new();
                let mut at = 0u32;
                for (k, len) in b.iter().enumerate() {
                    let _ = write!(
                        iov,
                        "iov[{k}].iov_base = (char *)d + {at};\n        iov[{k}].iov_len = {len};\n        "
                    );
                    at += len;
                }
                format!(
                    "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        const char *d = {};\n        struct iovec iov[{n}];\n        {iov}struct msghdr m;\n        memset(&m, 0, sizeof m);\n        m.msg_name = {ptr};\n        m.msg_namelen = sl;\n        m.msg_iov = iov;\n        m.msg_iovlen = {n};\n        long r = sendmsg({s}, &m, MSG_NOSIGNAL);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');",
                    c_str(data),
                    n = b.len()
                )
            }
            // wsaio3: a plain WSARecvFrom into buffers is recvmsg(2) with an iovec.
            Call::WsaRecvFrom { bufs, .. } => {
                let b = bufs.clone().unwrap_or_default();
                let total: u32 = b.iter().sum();
                let mut iov = String::new();
                let mut at = 0u32;
                for (k, len) in b.iter().enumerate() {
                    let _ = write!(iov, "iov[{k}].iov_base = buf + {at};\n        iov[{k}].iov_len = {len};\n        ");
                    at += len;
                }
                format!(
                    "static unsigned char buf[{total}];\n        struct sockaddr_storage ss;\n        memset(&ss, 0, sizeof ss);\n        struct iovec iov[{n}];\n        {iov}struct msghdr m;\n        memset(&m, 0, sizeof m);\n        m.msg_name = &ss;\n        m.msg_namelen = sizeof ss;\n        m.msg_iov = iov;\n        m.msg_iovlen = {n};\n        long r = recvmsg({s}, &m, 0);\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        if (r > 0 || (r == 0 && {udp})) {{\n            printf(\"  \");\n            print_data(buf, r);\n            if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {{\n                printf(\" from \");\n                print_addr(&ss);\n            }}\n        }}\n        putchar('\\n');",
                    n = b.len(),
                    udp = i32::from(proto == Proto::Udp)
                )
            }
            Call::Recv { .. } | Call::RecvFrom { .. } => {
                let from = matches!(call, Call::RecvFrom { .. });
                let show_empty = proto == Proto::Udp;
                let mut code = String::from(
                    "static unsigned char buf[65536];\n        struct sockaddr_storage ss;\n        socklen_t sl = sizeof ss;\n        memset(&ss, 0, sizeof ss);\n",
                );
                if from {
                    let _ = writeln!(
                        code,
                        "        long r = recvfrom({s}, buf, sizeof buf, 0, (struct sockaddr *)&ss, &sl);"
                    );
                } else {
                    let _ = writeln!(code, "        long r = recv({s}, buf, sizeof buf, 0);\n        (void)sl;");
                }
                let _ = write!(
                    code,
                    "        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        if (r > 0 || (r == 0 && {})) {{\n            printf(\"  \");\n            print_data(buf, r);\n",
                    i32::from(show_empty)
                );
                if from {
                    code.push_str("            if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {\n                printf(\" from \");\n                print_addr(&ss);\n            }\n");
                }
                code.push_str("        }\n        putchar('\\n');");
                code
            }
            Call::Shutdown { how, .. } => {
                let h = match how {
                    How::Read => "SHUT_RD",
                    How::Write => "SHUT_WR",
                    How::Both => "SHUT_RDWR",
                };
                format!(
                    "long r = shutdown({s}, {h});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            Call::Close { sock } => {
                if let SockRef::Name(n) = sock {
                    self.closed.insert(n.clone());
                }
                format!(
                    "long r = close({s});\n        int e = r < 0 ? errno : 0;\n        result({q}, r, e);\n        putchar('\\n');"
                )
            }
            _ => unreachable!("posix_name covers the calls handled here"),
        };
        self.emit(&code);
    }

    // ----- Winsock -------------------------------------------------------------------------

    fn winsock(&mut self, call: &Call, text: &str) {
        // iocp2: `overlapped NAME` on an OVERLAPPED that `ov=NAME` named (no socket's own).
        if let Call::Overlapped { sock: SockRef::Name(n), set } = call {
            if !self.socks.contains_key(n) {
                let o = format!("ov_slot({})", c_str(n.as_bytes()));
                let fill = set.map_or(String::new(), |v| {
                    format!("{o}->Internal = {o}->InternalHigh = (ULONG_PTR)0x{v:x}ULL;\n        ")
                });
                let q = c_str(call.name().as_bytes());
                self.emit(&format!(
                    "{fill}printf(\"%s -> 0\", {q});\n        print_overlapped({o});\n        putchar('\\n');"
                ));
                return;
            }
        }
        // The socket the call names (`Call::sock` knows which calls name none).
        let target = call.sock().map(|r| self.sock(r));
        let (s, fam, proto) = match target {
            Some(Ok(x)) => x,
            Some(Err(why)) => {
                self.comment(&format!("{text}: not made: {why}"));
                return;
            }
            None => (String::new(), Family::V4, Proto::Tcp),
        };
        let name = match call {
            Call::Fionbio { .. } => "ioctlsocket",
            c => c.name(),
        };
        let q = c_str(name.as_bytes());
        let int_result = |call_expr: &str| {
            format!(
                "int r = {call_expr};\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        putchar('\\n');"
            )
        };
        let code = match call {
            Call::WsaStartup { major, minor } => format!(
                "WSADATA wsd;\n        int r = WSAStartup(MAKEWORD({major}, {minor}), &wsd);\n        result_int({q}, r, r);\n        putchar('\\n');"
            ),
            Call::WsaCleanup => int_result("WSACleanup()"),
            Call::Alarm { .. } => {
                self.comment(&format!(
                    "{text}: a Winsock 1.1 blocking hook calling WSACancelBlockingCall; Winsock 2 has none"
                ));
                return;
            }
            Call::Epoll { .. } => {
                self.comment(&format!("{text}: Windows has no epoll (WSAPoll is its closest)"));
                return;
            }
            Call::Pipe { .. } => {
                self.comment(&format!("{text}: not exported (a pipe is not a SOCKET; calls on it give WSAENOTSOCK)"));
                return;
            }
            Call::Link { .. } | Call::PortRange { .. } | Call::Firewall { .. } => {
                self.comment(&format!(
                    "{text}: done outside the program (the adapter, netsh int ipv4 set dynamicport)"
                ));
                return;
            }
            // ---- winapi-ov ----
            Call::Overlapped { .. }
            | Call::GetOverlappedResult { .. }
            | Call::CreateIoCompletionPort { .. }
            | Call::AssociatePort { .. }
            | Call::GetQueuedCompletionStatus { .. }
            | Call::GetQueuedCompletionStatusEx { .. }
            | Call::PostQueuedCompletionStatus { .. }
            | Call::CloseHandle { .. }
            | Call::SleepEx { .. }
            | Call::DisconnectEx { .. }
            | Call::AcceptEx { .. }
            | Call::GetAcceptExSockaddrs { .. }
            | Call::CancelIo { .. }
            | Call::WsaRecv { .. }
            | Call::WsaSend { .. }
            | Call::WsaSendTo { .. }
            | Call::WsaRecvFrom { .. } => match self.overlapped_code(call, &s, &q, fam) {
                Some(code) => code,
                None => {
                    self.comment(&format!("{text}: not made: the socket has no OVERLAPPED variable here, or the timeout does not fit a DWORD"));
                    return;
                }
            },
            Call::After { after, action } => {
                match &**action {
                    Call::Close { sock } => match self.sock(sock) {
                        Ok((s, _, _)) => {
                            self.comment(&format!("{text}: a second thread closes the socket"));
                            self.emit(&format!("after_close({s}, {});", after.as_millis()));
                        }
                        Err(why) => self.comment(&format!("{text}: not made: {why}")),
                    },
                    _ => self.comment(&format!("{text}: only closesocket is exported from a second thread")),
                }
                return;
            }
            Call::Socket { proto, family, name } => {
                let id = self.ident(name, *proto, *family);
                self.closed.remove(name);
                let af = if *family == Family::V4 { "AF_INET" } else { "AF_INET6" };
                let (ty, pr) =
                    if *proto == Proto::Tcp { ("SOCK_STREAM", "IPPROTO_TCP") } else { ("SOCK_DGRAM", "IPPROTO_UDP") };
                format!(
                    "{id} = socket({af}, {ty}, {pr});\n        int e = {id} == INVALID_SOCKET ? WSAGetLastError() : 0;\n        result_sock({q}, {id}, e);\n        putchar('\\n');"
                )
            }
            // winapi-args: a family number no system implements; no variable is kept.
            Call::SocketAf { proto, af, .. } => {
                let (ty, pr) =
                    if *proto == Proto::Tcp { ("SOCK_STREAM", "IPPROTO_TCP") } else { ("SOCK_DGRAM", "IPPROTO_UDP") };
                format!(
                    "SOCKET x = socket({af}, {ty}, {pr});\n        int e = x == INVALID_SOCKET ? WSAGetLastError() : 0;\n        result_sock({q}, x, e);\n        if (x != INVALID_SOCKET) closesocket(x);\n        putchar('\\n');"
                )
            }
            Call::Fionbio { on, .. } => {
                format!(
                    "u_long on = {};\n        {}",
                    u8::from(*on),
                    int_result(&format!("ioctlsocket({s}, FIONBIO, &on)"))
                )
            }
            Call::SetSockOpt { opt, value, optlen, .. } => {
                let Some((level, oname, kind)) = winsock_opt(*opt) else {
                    self.comment(&format!("{text}: {} does not exist on Windows", opt.name()));
                    return;
                };
                // `SO_LINGER 1,0`: the structure with l_onoff 1 and l_linger 0.
                let abort = kind == OptKind::Linger && *value == LINGER_ABORT;
                let value = if abort { &0 } else { value };
                // Winsock's types: `struct linger` holds two u_shorts, a DWORD option takes the
                // value's 32 bits as a C cast does, the others an int.
                let fits = match kind {
                    OptKind::Linger => u16::try_from((*value).max(0)).is_ok(),
                    OptKind::Context | OptKind::AcceptContext => true,
                    _ => i32::try_from(*value).is_ok(),
                };
                if !fits {
                    let ty = if kind == OptKind::Linger { "struct linger's u_short" } else { "the option's int" };
                    self.comment(&format!("{text}: not made: {value} does not fit in {ty}"));
                    return;
                }
                let (decl, ptr, len) = match kind {
                    OptKind::Context => ("".to_string(), "NULL".to_string(), "0".to_string()),
                    OptKind::AcceptContext => (
                        format!("SOCKET v = *accept_listener({});\n        ", c_str(s.as_bytes())),
                        "(const char *)&v".into(),
                        "sizeof v".into(),
                    ),
                    OptKind::Linger => (
                        format!(
                            "struct linger v = {{{}, {}}};\n        ",
                            u16::from(*value > 0 || abort),
                            (*value).max(0)
                        ),
                        "(const char *)&v".into(),
                        "sizeof v".into(),
                    ),
                    OptKind::Dword => {
                        (format!("DWORD v = (DWORD)({value});\n        "), "(const char *)&v".into(), "sizeof v".into())
                    }
                    _ => (format!("int v = {value};\n        "), "(const char *)&v".into(), "sizeof v".into()),
                };
                let len = optlen.map_or(len, |n| n.to_string());
                let guard = if oname == "TCP_MAXRT" { ("#ifdef TCP_MAXRT\n", "\n#endif") } else { ("", "") };
                format!(
                    "{}{decl}{}{}",
                    guard.0,
                    int_result(&format!("setsockopt({s}, {level}, {oname}, {ptr}, (int)({len}))")),
                    guard.1
                )
            }
            Call::GetSockOpt { opt, optlen, .. } => {
                let vlen = optlen.map_or("sizeof v".to_string(), |n| n.to_string());
                let Some((level, oname, kind)) = winsock_opt(*opt) else {
                    self.comment(&format!("{text}: {} does not exist on Windows", opt.name()));
                    return;
                };
                let (decl, show) = match kind {
                    OptKind::Error => ("int v = 0;", "printf(\"  %s\", v ? errname(v) : \"0\");"),
                    OptKind::Dword => (
                        "DWORD v = 0;",
                        "if (v == 0xFFFFFFFF) printf(\"  0xFFFFFFFF\"); else printf(\"  %lu\", (unsigned long)v);",
                    ),
                    OptKind::Linger => {
                        ("struct linger v = {0, 0};", "printf(\"  {%d,%d}\", v.l_onoff ? 1 : 0, (int)v.l_linger);")
                    }
                    OptKind::CsAddr => (
                        "union { CSADDR_INFO cs; char space[296]; } v;\n        memset(&v, 0, sizeof v);",
                        "print_csaddr(&v.cs);",
                    ),
                    _ => ("int v = 0;", "printf(\"  %d\", v);"),
                };
                let guard = if oname == "TCP_MAXRT" { ("#ifdef TCP_MAXRT\n", "\n#endif") } else { ("", "") };
                format!(
                    "{}{decl}\n        int vl = {vlen};\n        int r = getsockopt({s}, {level}, {oname}, (char *)&v, &vl);\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (r == 0) {{ {show} }}\n        putchar('\\n');{}",
                    guard.0, guard.1
                )
            }
            Call::Bind { addr, .. } => {
                let (setup, ptr) = self.addr(addr, fam);
                format!(
                    "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        {}",
                    int_result(&format!("bind({s}, {ptr}, sl)"))
                )
            }
            Call::Listen { backlog, .. } => int_result(&format!("listen({s}, {backlog})")),
            Call::Accept { name, cond: Some(cond), .. } => {
                let id = self.ident(name, Proto::Tcp, fam);
                self.closed.remove(name);
                let (f, data) = match cond {
                    AcceptCond::Null => ("NULL", "0"),
                    AcceptCond::Accept => ("accept_condition", "CF_ACCEPT"),
                    AcceptCond::Reject => ("accept_condition", "CF_REJECT"),
                    AcceptCond::Defer => ("accept_condition", "CF_DEFER"),
                };
                format!(
                    "{id} = WSAAccept({s}, NULL, NULL, {f}, {data});\n        int e = {id} == INVALID_SOCKET ? WSAGetLastError() : 0;\n        result_sock({q}, {id}, e);\n        putchar('\\n');"
                )
            }
            Call::Accept { name, .. } => {
                let id = self.ident(name, Proto::Tcp, fam);
                self.closed.remove(name);
                format!(
                    "{id} = accept({s}, NULL, NULL);\n        int e = {id} == INVALID_SOCKET ? WSAGetLastError() : 0;\n        result_sock({q}, {id}, e);\n        putchar('\\n');"
                )
            }
            Call::Connect { addr, api, .. } => {
                let (setup, ptr) = self.addr(addr, fam);
                match api {
                    ConnectApi::Connect => format!(
                        "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        {}",
                        int_result(&format!("connect({s}, {ptr}, sl)"))
                    ),
                    ConnectApi::WsaConnect { caller_data, sqos, gqos, callee } => {
                        let data = caller_data.as_deref().unwrap_or_default();
                        // esc3: lpCalleeData, a buffer of N bytes; its len is printed after a
                        // connect that succeeded.
                        let (ce, ce_ptr, ce_print) = match callee {
                            Some(n) => (
                                format!(
                                    "static char ceb[{}];\n        WSABUF ce;\n        ce.len = {n};\n        ce.buf = ceb;\n        ",
                                    (*n).max(1)
                                ),
                                "&ce",
                                "\n        if (!r) printf(\"  callee len=%lu\", (unsigned long)ce.len);",
                            ),
                            None => (String::new(), "NULL", ""),
                        };
                        let cd = if caller_data.is_some() {
                            format!(
                                "WSABUF cd;\n        cd.len = {};\n        cd.buf = (char *){};\n        ",
                                data.len(),
                                c_str(data)
                            )
                        } else {
                            String::new()
                        };
                        let qos = if *sqos || *gqos {
                            "QOS qos;\n        memset(&qos, 0, sizeof qos);\n        "
                        } else {
                            ""
                        };
                        let call = format!(
                            "WSAConnect({s}, {ptr}, sl, {}, {ce_ptr}, {}, {})",
                            if caller_data.is_some() { "&cd" } else { "NULL" },
                            if *sqos { "&qos" } else { "NULL" },
                            if *gqos { "&qos" } else { "NULL" }
                        );
                        format!(
                            "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        {cd}{ce}{qos}int r = {call};\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);{ce_print}\n        putchar('\\n');"
                        )
                    }
                    ConnectApi::ConnectEx { .. } if !is_ident(&s) => {
                        self.comment(&format!("{text}: not made: ConnectEx needs a named socket here"));
                        return;
                    }
                    ConnectApi::ConnectEx { send, null_overlapped } => {
                        let data = send.as_deref().unwrap_or_default();
                        let ov = format!("ov_{s}");
                        // `overlapped=NULL` passes no OVERLAPPED (winapi-ov).
                        let ov_arg = if *null_overlapped { "NULL".to_string() } else { format!("&{ov}") };
                        format!(
                            "struct sockaddr_storage ss;\n        socklen_t sl;\n        DWORD sent = 0;\n        {setup}\n        {ov}.Offset = {ov}.OffsetHigh = 0;\n        {ov}.hEvent = WSACreateEvent();\n        LPFN_CONNECTEX fn = load_connectex({s});\n        BOOL ok = fn ? fn({s}, {ptr}, sl, (PVOID){}, {}, &sent, {ov_arg}) : FALSE;\n        int e = ok ? 0 : WSAGetLastError();\n        result({q}, ok ? \"TRUE\" : \"FALSE\", e);\n        putchar('\\n');",
                            if send.is_some() { c_str(data) } else { "NULL".into() },
                            data.len()
                        )
                    }
                }
            }
            // args3: the generated select passes its three sets, empty or not, never NULL.
            Call::SelectEmptySets { timeout, .. } => {
                let none = Vec::new();
                match self.select_code([&none, &none, &none], *timeout, &q) {
                    Ok(code) => code,
                    Err(why) => {
                        self.comment(&format!("{text}: not made: {why}"));
                        return;
                    }
                }
            }
            Call::Select { read, write, except, timeout } => {
                match self.select_code([read, write, except], *timeout, &q) {
                    Ok(code) => code,
                    Err(why) => {
                        self.comment(&format!("{text}: not made: {why}"));
                        return;
                    }
                }
            }
            // esc3: the timeval's fields as the script wrote them.
            Call::SelectTimeval { read, write, except, sec, usec } => {
                match self.select_code_tv([read, write, except], Some((*sec, *usec)), &q) {
                    Ok(code) => code,
                    Err(why) => {
                        self.comment(&format!("{text}: not made: {why}"));
                        return;
                    }
                }
            }
            // args2: a NULL array of n entries.
            Call::PollNull { n, timeout } => {
                let Some(ms) = self.poll_timeout(*timeout, text) else { return };
                format!(
                    "WSAPOLLFD *volatile np = NULL;\n        int r = WSAPoll(np, {n}, {ms});\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        putchar('\\n');"
                )
            }
            Call::Poll { .. } | Call::PollFds { .. } => {
                let Some((mut code, names, ms)) = self.poll_array(call, text, "WSAPOLLFD", "POLLRDNORM | POLLWRNORM")
                else {
                    return;
                };
                let _ = write!(
                    code,
                    "        int r = WSAPoll(p, {}, {ms});\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (r != SOCKET_ERROR) {{\n",
                    names.len()
                );
                code.push_str(&revents_code(&names));
                code
            }
            Call::WsaEventSelect { .. } | Call::WsaEnumNetworkEvents { .. } if !is_ident(&s) => {
                self.comment(&format!("{text}: not made: the event object belongs to a named socket"));
                return;
            }
            Call::WsaEventSelect { events, .. } => {
                format!(
                    "if (ev_{s} == WSA_INVALID_EVENT) ev_{s} = WSACreateEvent();\n        {}",
                    int_result(&format!("WSAEventSelect({s}, ev_{s}, {})", fd_expr(*events)))
                )
            }
            Call::WsaAsyncSelect { events, .. } => {
                int_result(&format!("WSAAsyncSelect({s}, message_window(), WM_USER + 1, {})", fd_expr(*events)))
            }
            Call::WsaEnumNetworkEvents { .. } => format!(
                "WSANETWORKEVENTS ne;\n        memset(&ne, 0, sizeof ne);\n        int r = WSAEnumNetworkEvents({s}, ev_{s}, &ne);\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (r == 0) {{\n            printf(\"  \");\n            print_network_events(&ne);\n        }}\n        putchar('\\n');"
            ),
            Call::GetSockName { namelen, .. } | Call::GetPeerName { namelen, .. } => format!(
                "struct sockaddr_storage ss;\n        int sl = {sl};\n        memset(&ss, 0, sizeof ss);\n        int r = {name}({s}, (struct sockaddr *)&ss, &sl);\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (r == 0) {{\n            printf(\"  \");\n            print_addr(&ss);\n        }}\n        putchar('\\n');",
                sl = namelen.map_or("sizeof ss".to_string(), |n| n.to_string())
            ),
            // winapi-args: a NULL optval, the option's own length.
            Call::OptNull { opt, set, arg, .. } => {
                let Some((level, oname, kind)) = winsock_opt(*opt) else {
                    self.comment(&format!("{text}: {} does not exist on Windows", opt.name()));
                    return;
                };
                let own = if matches!(kind, OptKind::Linger) { "(int)sizeof(LINGER)" } else { "(int)sizeof(int)" };
                // args2: a length of the script's beside the NULL optval, or a NULL optlen.
                let len = match arg {
                    OptNullArg::OptvalLen(n) => n.to_string(),
                    _ => own.to_string(),
                };
                let call = match (set, arg) {
                    (true, _) => format!("setsockopt({s}, {level}, {oname}, NULL, {len})"),
                    (false, OptNullArg::Optlen) => {
                        format!("getsockopt({s}, {level}, {oname}, ob, (int *)NULL)")
                    }
                    (false, _) => format!("getsockopt({s}, {level}, {oname}, NULL, &vl)"),
                };
                let guard = if oname == "TCP_MAXRT" { ("#ifdef TCP_MAXRT\n", "\n#endif") } else { ("", "") };
                format!(
                    "{}int vl = {len};\n        char ob[16] = {{0}};\n        (void)vl;\n        (void)ob;\n        int r = {call};\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        putchar('\\n');{}",
                    guard.0, guard.1
                )
            }
            // winapi-args: a NULL name pointer.
            Call::NameNull { peer, len: false, .. } => format!(
                "int sl = 16;\n        int r = {}({s}, NULL, &sl);\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        putchar('\\n');",
                if *peer { "getpeername" } else { "getsockname" }
            ),
            // args2: a NULL namelen pointer.
            Call::NameNull { peer, len: true, .. } => format!(
                "struct sockaddr_storage ss;\n        memset(&ss, 0, sizeof ss);\n        int r = {}({s}, (struct sockaddr *)&ss, (int *)NULL);\n        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        putchar('\\n');",
                if *peer { "getpeername" } else { "getsockname" }
            ),
            Call::Send { data, .. } => int_result(&format!("send({s}, {}, {}, 0)", c_str(data), data.len())),
            Call::SendTo { addr, data, .. } => {
                let (setup, ptr) = self.addr(addr, fam);
                format!(
                    "struct sockaddr_storage ss;\n        socklen_t sl;\n        {setup}\n        {}",
                    int_result(&format!("sendto({s}, {}, {}, 0, {ptr}, sl)", c_str(data), data.len()))
                )
            }
            Call::Recv { .. } | Call::RecvFrom { .. } => {
                let from = matches!(call, Call::RecvFrom { .. });
                let show_empty = proto == Proto::Udp;
                let mut code = String::from(
                    "static char buf[65536];\n        struct sockaddr_storage ss;\n        int sl = sizeof ss;\n        memset(&ss, 0, sizeof ss);\n",
                );
                if from {
                    let _ = writeln!(
                        code,
                        "        int r = recvfrom({s}, buf, sizeof buf, 0, (struct sockaddr *)&ss, &sl);"
                    );
                } else {
                    let _ = writeln!(code, "        int r = recv({s}, buf, sizeof buf, 0);\n        (void)sl;");
                }
                let _ = write!(
                    code,
                    "        int e = r == SOCKET_ERROR ? WSAGetLastError() : 0;\n        result_int({q}, r, e);\n        if (r > 0 || (r == 0 && {})) {{\n            printf(\"  \");\n            print_data((const unsigned char *)buf, r);\n",
                    i32::from(show_empty)
                );
                if from {
                    code.push_str("            if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {\n                printf(\" from \");\n                print_addr(&ss);\n            }\n");
                }
                code.push_str("        }\n        putchar('\\n');");
                code
            }
            Call::Shutdown { how, .. } => {
                let h = match how {
                    How::Read => "SD_RECEIVE",
                    How::Write => "SD_SEND",
                    How::Both => "SD_BOTH",
                };
                int_result(&format!("shutdown({s}, {h})"))
            }
            Call::Close { sock } => {
                if let SockRef::Name(n) = sock {
                    self.closed.insert(n.clone());
                }
                int_result(&format!("closesocket({s})"))
            }
        };
        self.emit(&code);
    }
}

/// Whether a socket expression is a variable (not a raw descriptor number).
fn is_ident(s: &str) -> bool {
    s.starts_with("s_")
}

/// `FD_READ | FD_CONNECT` for a set of events.
fn fd_expr(e: FdEvents) -> String {
    let names: Vec<&str> = FdEvents::NAMES.iter().filter(|(_, b)| e.contains(*b)).map(|(n, _)| *n).collect();
    if names.is_empty() { "0".into() } else { names.join(" | ") }
}

/// The C that prints each entry's revents after a poll / WSAPoll that succeeded, and closes
/// the block the call line opened.
fn revents_code(names: &[String]) -> String {
    let mut code = String::new();
    for (i, n) in names.iter().enumerate() {
        let _ = writeln!(
            code,
            "            printf(\"{}\");\n            print_revents({}, p[{i}].revents);",
            if i == 0 { "  " } else { " " },
            c_str(n.as_bytes())
        );
    }
    code.push_str("        }\n        putchar('\\n');");
    code
}

// ---- winapi-args: poll's request mask in C ----
/// `events=` as a C expression: the names joined with `|` (each header defines its own
/// values; winsock2.h has no POLLRDHUP, whose Linux value is written as a number there).
fn c_poll_mask(m: PollBits) -> String {
    if m.is_empty() {
        return "0".into();
    }
    PollBits::NAMES
        .iter()
        .filter(|(_, b)| m.contains(*b))
        .map(|(n, b)| if *n == "POLLRDHUP" { format!("(short)0x{:x} /* POLLRDHUP */", b.0) } else { (*n).to_string() })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_strings_escape_everything_but_printable_ascii() {
        assert_eq!(c_str(b"hello"), "\"hello\"");
        assert_eq!(c_str(b"a\"b\\c?\n\x00\xff1"), "\"a\\\"b\\\\c\\?\\012\\000\\3771\"");
    }

    /// Found by the fuzz target `recording_reader` (seed 3): an IPv6 target address put a raw
    /// `[` in the handout.
    #[test]
    fn markdown_escapes_target_addresses_too() {
        use super::super::record::{HeaderFacts, TargetAddrs};
        let mut facts = HeaderFacts::default();
        facts.targets.insert("sink".into(), TargetAddrs { v4: None, v6: Some("[::1]:7007".parse().unwrap()) });
        let h = Header {
            socklab_recording: 1,
            socklab_version: "0".into(),
            host_os: "linux".into(),
            personalities: vec![PersonalityId::Linux],
            network: Network::Sim,
            started_at: "x".into(),
            facts,
            source: None,
            extra: Default::default(),
        };
        assert_eq!(targets_line(&h), "@sink \\[::1\\]:7007");
    }

    #[test]
    fn fd_event_expressions() {
        assert_eq!(fd_expr(FdEvents::CONNECT | FdEvents::READ), "FD_READ | FD_CONNECT");
        assert_eq!(fd_expr(FdEvents::empty()), "0");
    }
}
