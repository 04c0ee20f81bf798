//! Winsock as judge: the Winsock agent (`agent/socklab-agent.c`) performs every call on a real
//! ws2_32 (under Wine on this host, or on a Windows machine over any pipe) and its answers
//! judge the `windows` model, as the kernel judges `linux` (see [`super::judge`]).
//!
//! socklab starts the agent's command, writes one request per line to its standard input and
//! reads one JSON object per line from its standard output (the protocol is described at the
//! top of the agent's source). Named targets become the addresses of socklab's own targets on
//! loopback; a destination outside loopback is never sent to the agent, so the agent connects
//! only where socklab may connect.

// As in `judge.rs`: the "error" side of these results is an answer to show (why a call was not
// sent), on the path of every call; boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value as Json;

use crate::core::call::{
    AcceptCond, AddrKind, Call, ConnectApi, Family, FdEvents, How, LINGER_ABORT, NamedTarget, OptNullArg, PollBits,
    SockAddrArg, SockOpt, SockRef,
};
use crate::core::codes::{Code, Platform};
use crate::core::model::{Notification, Ret, Value};
use crate::session::lab::{Interrupt, Kernel, KernelAnswer, KernelJob, Until};

use super::judge::{LIVE_BLOCK_LIMIT, allowed_destination, named_socket};
use super::targets::Targets;

/// How long socklab waits for the agent's first line (Wine's first start builds its prefix).
const HELLO_LIMIT: Duration = Duration::from_secs(120);
/// How long a blocking connect may take in the agent before socklab stops waiting: a Windows
/// host gives up after 21 s; under Wine the host kernel's timers decide (about 130 s on Linux).
const CONNECT_LIMIT: Duration = Duration::from_secs(200);
/// Extra time allowed for the agent's own overhead on every answer.
const SLACK: Duration = Duration::from_secs(20);

/// A running Winsock agent and what socklab knows of the sockets it holds.
pub struct WinsockAgent {
    command: String,
    child: Option<Child>,
    /// Shared with the handle that gives up on a blocked call from another thread (Esc).
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    /// Sockets that handle closed in the agent: closed for the book-keeping too.
    closed_aside: Arc<Mutex<Vec<String>>>,
    lines: Receiver<String>,
    /// The agent's greeting (`{"hello":"socklab-agent",...}`).
    hello: String,
    /// The greeting said the agent runs under Wine: its sockets are this host's.
    shares_host: bool,
    targets: Vec<(NamedTarget, SocketAddr)>,
    /// Kept alive while the agent may connect to them; `@slow` is armed before each connect.
    shared: Option<Arc<Targets>>,
    families: HashMap<String, Family>,
    closed: Vec<String>,
    /// Sockets on which a call was not made: the agent's socket differs from the models'.
    diverged: Vec<String>,
    /// `link`, `portrange` or `firewall` changed the models' host, not this one: no call is
    /// judged after it.
    world_changed: bool,
    /// Window messages and completions the agent reported, not yet taken by the lab.
    notes: Vec<Notification>,
    /// Set when the agent stopped answering: why, for every later call.
    dead: Option<String>,
    /// The longest a blocking connect or `wait NAME ...` may take in the agent.
    block_limit: Duration,
    /// The call of `after MS CALL` the agent holds, until its note says it was made.
    after: Option<Call>,
}

impl std::fmt::Debug for WinsockAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WinsockAgent")
            .field("command", &self.command)
            .field("hello", &self.hello)
            .finish_non_exhaustive()
    }
}

/// Split a command line into words: blanks separate, single and double quotes group, a
/// backslash outside single quotes escapes the next character.
pub fn split_command(cmd: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => cur.push(c),
            (_, '\\') => match chars.next() {
                Some(n) => {
                    cur.push(n);
                    in_word = true;
                }
                None => return Err("the command ends with a lone backslash".into()),
            },
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("the command has an unclosed {q} quote"));
    }
    if in_word {
        words.push(cur);
    }
    if words.is_empty() {
        return Err("the command is empty".into());
    }
    Ok(words)
}

/// Whether a command's words start Wine's loader (`wine`, `wine64`, `/usr/lib/wine/wine64`).
fn runs_wine(words: &[String]) -> bool {
    words.iter().any(|w| {
        let file = w.rsplit('/').next().unwrap_or(w);
        !w.contains('=') && (file == "wine" || file == "wine64" || file == "wine-stable")
    })
}

impl WinsockAgent {
    /// Start `command` (for example `wine64 agent/socklab-agent.exe`) and wait for its greeting.
    /// `targets` are the addresses named targets translate to.
    pub fn start(
        command: &str,
        targets: Vec<(NamedTarget, SocketAddr)>,
        shared: Option<Arc<Targets>>,
    ) -> Result<WinsockAgent, String> {
        let words = split_command(command).map_err(|e| format!("--winsock-judge: {e}"))?;
        let mut child = Command::new(&words[0])
            .args(&words[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the Winsock agent `{command}`: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("the agent has no standard output")?;
        let (tx, lines) = channel();
        std::thread::Builder::new()
            .name("winsock-agent-reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| format!("cannot start the agent's reader: {e}"))?;
        let mut agent = WinsockAgent {
            command: command.to_string(),
            child: Some(child),
            stdin: Arc::new(Mutex::new(stdin)),
            closed_aside: Arc::new(Mutex::new(Vec::new())),
            lines,
            hello: String::new(),
            shares_host: false,
            targets,
            shared,
            families: HashMap::new(),
            closed: Vec::new(),
            diverged: Vec::new(),
            world_changed: false,
            notes: Vec::new(),
            dead: None,
            block_limit: CONNECT_LIMIT,
            after: None,
        };
        // Wine may print its own lines first; the greeting is the first JSON object.
        loop {
            match agent.lines.recv_timeout(HELLO_LIMIT) {
                Ok(l) if l.contains("\"hello\"") => {
                    let v: Json = serde_json::from_str(l.trim())
                        .map_err(|e| format!("the agent's greeting is not JSON ({e}): {l}"))?;
                    if let Some(err) = v.get("error") {
                        return Err(format!("the Winsock agent could not start Winsock: {err}"));
                    }
                    // An agent built before the greeting said so: a command run through Wine's
                    // loader shares the host all the same.
                    agent.shares_host = v.get("wine").is_some_and(|w| w.is_string()) || runs_wine(&words);
                    agent.hello = l;
                    return Ok(agent);
                }
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "the Winsock agent `{command}` did not greet within {} s",
                        HELLO_LIMIT.as_secs()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!(
                        "the Winsock agent `{command}` exited before greeting (run it by hand to see why)"
                    ));
                }
            }
        }
    }

    /// End a blocking connect in the agent after `limit` (by closing its socket; the call is
    /// then reported as not judged) and bound `wait NAME connected|failed` by it too. Under
    /// Wine the host's TCP stack decides how long a connect to `@pending` takes (about 130 s
    /// on Linux, 21 s on Windows): a limit above 21 s keeps every Windows answer and the
    /// Wine-judged suite short.
    pub fn set_block_limit(&mut self, limit: Duration) -> Result<(), String> {
        self.ask(&format!("limit {}", limit.as_millis()), Duration::ZERO)?;
        self.block_limit = limit;
        Ok(())
    }

    /// The agent's greeting line.
    pub fn hello(&self) -> &str {
        &self.hello
    }

    /// Send one request and read its answer, within `limit` (plus the agent's overhead).
    fn ask(&mut self, req: &str, limit: Duration) -> Result<Json, String> {
        if let Some(why) = &self.dead {
            return Err(why.clone());
        }
        if let Err(e) = write_line(&self.stdin, req) {
            let why = format!("the Winsock agent stopped reading ({e})");
            self.dead = Some(why.clone());
            return Err(why);
        }
        let limit = limit + SLACK;
        loop {
            match self.lines.recv_timeout(limit) {
                Ok(l) if l.trim_start().starts_with('{') => {
                    return serde_json::from_str(l.trim())
                        .map_err(|e| format!("the agent answered non-JSON ({e}): {l}"));
                }
                Ok(_) => continue,
                Err(e) => {
                    let why = match e {
                        RecvTimeoutError::Timeout => {
                            format!("the Winsock agent did not answer `{req}` within {} s", limit.as_secs())
                        }
                        RecvTimeoutError::Disconnected => format!("the Winsock agent exited during `{req}`"),
                    };
                    self.dead = Some(why.clone());
                    return Err(why);
                }
            }
        }
    }

    fn name_of(&self, r: &SockRef) -> Result<String, KernelAnswer> {
        match r {
            SockRef::Name(n) => {
                if self.closed.contains(n) {
                    return Err(not_performed(
                        "the socket was closed: socklab does not hand the agent a handle that may have been reused",
                    ));
                }
                Ok(n.clone())
            }
            SockRef::Raw(v) => Ok(format!("#{v}")),
        }
    }

    /// The agent's spelling of an address argument, or why socklab will not pass it.
    fn addr(&self, r: &SockRef, arg: &SockAddrArg, outbound: bool) -> Result<String, KernelAnswer> {
        let family = match r {
            SockRef::Name(n) => self.families.get(n).copied(),
            SockRef::Raw(_) => None,
        };
        let inet = match &arg.kind {
            AddrKind::Inet(a) => *a,
            AddrKind::Target(t) => {
                let a = self
                    .targets
                    .iter()
                    .find(|(n, _)| n == t)
                    .map(|(_, a)| *a)
                    .ok_or_else(|| not_performed("target not running"))?;
                if *t == NamedTarget::Slow && outbound {
                    if let Some(s) = &self.shared {
                        let _ = s.arm_slow();
                    }
                }
                match (family, a.ip()) {
                    (Some(Family::V6), IpAddr::V4(v4)) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port()),
                    _ => a,
                }
            }
            AddrKind::Unspec => return Ok(format!("unspec {}", len_word(arg.len))),
            AddrKind::Null => return Ok(format!("null {}", arg.len.unwrap_or(0))),
            AddrKind::Family(n) => return Ok(format!("af:{n} {}", len_word(arg.len))),
        };
        if outbound && !allowed_destination(inet.ip()) {
            return Err(not_performed(
                "outside loopback: socklab sends nothing beyond this host, through the agent either",
            ));
        }
        let a = match inet {
            SocketAddr::V4(a) => format!("v4:{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("v6:[{}]:{}", a.ip(), a.port()),
        };
        Ok(format!("{a} {}", len_word(arg.len)))
    }

    fn list(&self, socks: &[SockRef]) -> Result<String, KernelAnswer> {
        if socks.is_empty() {
            return Ok("-".into());
        }
        Ok(socks.iter().map(|s| self.name_of(s)).collect::<Result<Vec<_>, _>>()?.join(","))
    }

    /// The request for a call, the longest it may block, and the kind of return value; or the
    /// answer when the call is not sent.
    fn request(&mut self, call: &Call) -> Result<(String, Duration, RetKind), KernelAnswer> {
        let quick = Duration::from_secs(5);
        Ok(match call {
            Call::WsaStartup { major, minor } => (format!("startup {major} {minor}"), quick, RetKind::Startup),
            Call::WsaCleanup => ("cleanup".into(), quick, RetKind::Int),
            Call::Alarm { .. } => {
                return Err(not_performed(
                    "Winsock 2 has no way to interrupt a blocking call (WSACancelBlockingCall is Winsock 1.1 only)",
                ));
            }
            Call::Socket { proto, family, name } => {
                (format!("socket {name} {} {}", proto.name(), family.name()), quick, RetKind::Handle)
            }
            Call::OptNull { sock, opt, set, arg } => {
                if !windows_option(*opt) {
                    return Err(not_performed("Windows has no such socket option"));
                }
                let tail = match arg {
                    OptNullArg::Optval => String::new(),
                    OptNullArg::OptvalLen(n) => format!(" {n}"),
                    OptNullArg::Optlen => " lennull".to_string(),
                };
                (format!("optnull {} {} {}{tail}", self.name_of(sock)?, opt.name(), *set as u8), quick, RetKind::Int)
            }
            Call::NameNull { sock, peer, len } => {
                let verb = if *peer { "getpeername" } else { "getsockname" };
                let what = if *len { "lennull" } else { "null" };
                (format!("{verb} {} {what}", self.name_of(sock)?), quick, RetKind::Int)
            }
            Call::SocketAf { proto, af, name } => {
                (format!("socket {name} {} af:{af}", proto.name()), quick, RetKind::Handle)
            }
            Call::Fionbio { sock, on } => {
                (format!("fionbio {} {}", self.name_of(sock)?, *on as u8), quick, RetKind::Int)
            }
            // ---- bsp ----
            Call::GetSockOpt { sock, opt: crate::core::call::SockOpt::SO_BSP_STATE, optlen } => {
                (format!("bspstate {} {}", self.name_of(sock)?, len_word(*optlen)), quick, RetKind::Int)
            }
            // ---- end bsp ----
            Call::SetSockOpt { optlen: Some(_), .. }
            | Call::GetSockOpt { optlen: Some(_), .. }
            | Call::GetSockName { namelen: Some(_), .. }
            | Call::GetPeerName { namelen: Some(_), .. }
            | Call::After { .. }
            | Call::Pipe { .. } => self.extra_request(call)?,
            Call::Link { .. } | Call::PortRange { .. } | Call::Firewall { .. } => {
                return Err(not_performed(
                    "the agent does not change the host's network: these are host-wide changes (needing administrator rights on Windows; under Wine they would change the Linux host, which the kernel judges in private namespaces)",
                ));
            }
            // ---- winapi-ov ----
            Call::Connect { sock, addr, api: ConnectApi::ConnectEx { null_overlapped: true, .. } } => {
                let a = self.addr(sock, addr, true)?;
                (format!("connectexnull {} {a}", self.name_of(sock)?), quick, RetKind::Bool)
            }
            Call::Overlapped { sock, set } => match set {
                Some(v) => (format!("ovset {} {v}", self.name_of(sock)?), quick, RetKind::Int),
                None => (format!("ovread {}", self.name_of(sock)?), quick, RetKind::Int),
            },
            Call::GetOverlappedResult { sock, wait, wsa, ov } => (
                format!(
                    "ovresult {} {} {}{}",
                    self.name_of(sock)?,
                    u8::from(*wait),
                    u8::from(*wsa),
                    ov.as_ref().map_or(String::new(), |o| format!(" {o}"))
                ),
                if *wait { LIVE_BLOCK_LIMIT } else { quick },
                RetKind::Bool,
            ),
            Call::CreateIoCompletionPort { name } => (format!("iocp {name}"), quick, RetKind::Handle),
            Call::AssociatePort { sock, port, key } => {
                (format!("iocpassoc {} {} {key}", self.name_of(sock)?, self.name_of(port)?), quick, RetKind::Handle)
            }
            Call::GetQueuedCompletionStatus { port, timeout } => {
                let ms = wait_ms(*timeout);
                let arg = if timeout.is_none() { "-1".to_string() } else { ms.to_string() };
                (format!("gqcs {} {arg}", self.name_of(port)?), Duration::from_millis(ms), RetKind::Bool)
            }
            // ---- iocp2 ----
            Call::PostQueuedCompletionStatus { port, key, bytes, overlapped } => (
                format!("pqcs {} {key} {bytes} {}", self.name_of(port)?, overlapped.as_deref().unwrap_or("-")),
                quick,
                RetKind::Bool,
            ),
            Call::CloseHandle { handle } => (format!("closehandle {}", self.name_of(handle)?), quick, RetKind::Bool),
            // iocp2: the OVERLAPPED a call names travels as a last word.
            Call::WsaRecv { sock, ov, routine, bufs } => {
                (format!("wsarecv {}{}", self.name_of(sock)?, ov_words(ov, *routine, bufs)), quick, RetKind::Int)
            }
            Call::WsaSend { sock, data, ov, routine } => (
                format!("wsasend {} {}{}", self.name_of(sock)?, hex(Some(data)), ov_words(ov, *routine, &None)),
                quick,
                RetKind::Int,
            ),
            Call::SleepEx { ms, alertable } => {
                (format!("sleepex {ms} {}", u8::from(*alertable)), Duration::from_millis(*ms), RetKind::Int)
            }
            Call::AcceptEx { listener, sock, null_overlapped, recv, local, remote } => {
                let len = |n: &Option<u32>| n.map_or("-1".to_string(), |n| n.to_string());
                (
                    format!(
                        "acceptex {} {} {} {recv} {} {}",
                        self.name_of(listener)?,
                        self.name_of(sock)?,
                        u8::from(*null_overlapped),
                        len(local),
                        len(remote)
                    ),
                    quick,
                    RetKind::Bool,
                )
            }
            Call::GetAcceptExSockaddrs { sock } => {
                (format!("acceptaddrs {}", self.name_of(sock)?), quick, RetKind::Int)
            }
            Call::CancelIo { sock, ex } => {
                (format!("cancelio {} {}", self.name_of(sock)?, u8::from(*ex)), quick, RetKind::Bool)
            }
            Call::DisconnectEx { sock, reuse, null_overlapped } => (
                format!("disconnectex {} {} {}", self.name_of(sock)?, u8::from(*reuse), u8::from(*null_overlapped)),
                quick,
                RetKind::Bool,
            ),
            Call::SetSockOpt { sock, opt, value, .. } => {
                if !windows_option(*opt) {
                    return Err(not_performed("Windows has no such socket option"));
                }
                // `SO_LINGER 1,0` travels as the structure's two fields; any other value as is.
                let value = if *opt == SockOpt::SO_LINGER && *value == LINGER_ABORT {
                    "1,0".to_string()
                } else {
                    value.to_string()
                };
                (format!("setsockopt {} {} {value}", self.name_of(sock)?, opt.name()), quick, RetKind::Int)
            }
            Call::GetSockOpt { sock, opt, .. } => {
                if !windows_option(*opt) {
                    return Err(not_performed("Windows has no such socket option"));
                }
                (format!("getsockopt {} {}", self.name_of(sock)?, opt.name()), quick, RetKind::Int)
            }
            Call::Bind { sock, addr } => {
                let a = self.addr(sock, addr, false)?;
                if let Some(ip) = addr.addr().map(|a| a.ip()) {
                    if !allowed_destination(ip) {
                        return Err(not_performed(
                            "socklab binds the agent's sockets to loopback or wildcard addresses only",
                        ));
                    }
                }
                (format!("bind {} {a}", self.name_of(sock)?), quick, RetKind::Int)
            }
            Call::Listen { sock, backlog } => {
                (format!("listen {} {backlog}", self.name_of(sock)?), quick, RetKind::Int)
            }
            Call::Accept { sock, name, cond: None } => (
                format!("accept {} {name} {}", self.name_of(sock)?, LIVE_BLOCK_LIMIT.as_millis()),
                LIVE_BLOCK_LIMIT,
                RetKind::Handle,
            ),
            // acceptex2: WSAAccept; the condition function answers 0 none, 1 CF_ACCEPT,
            // 2 CF_REJECT, 3 CF_DEFER.
            Call::Accept { sock, name, cond: Some(cond) } => {
                let cf = match cond {
                    AcceptCond::Null => 0,
                    AcceptCond::Accept => 1,
                    AcceptCond::Reject => 2,
                    AcceptCond::Defer => 3,
                };
                (
                    format!("wsaaccept {} {name} {} {cf}", self.name_of(sock)?, LIVE_BLOCK_LIMIT.as_millis()),
                    LIVE_BLOCK_LIMIT,
                    RetKind::Handle,
                )
            }
            Call::Connect { sock, addr, api } => {
                let a = self.addr(sock, addr, true)?;
                let s = self.name_of(sock)?;
                match api {
                    ConnectApi::Connect => (format!("connect {s} {a}"), self.block_limit, RetKind::Int),
                    ConnectApi::WsaConnect { caller_data, sqos, gqos } => (
                        format!("wsaconnect {s} {a} {} {} {}", hex(caller_data.as_deref()), *sqos as u8, *gqos as u8),
                        self.block_limit,
                        RetKind::Int,
                    ),
                    ConnectApi::ConnectEx { send, .. } => {
                        (format!("connectex {s} {a} {}", hex(send.as_deref())), quick, RetKind::Bool)
                    }
                }
            }
            Call::Select { read, write, except, timeout } => {
                let ms = wait_ms(*timeout);
                (
                    format!("select {ms} {} {} {}", self.list(read)?, self.list(write)?, self.list(except)?),
                    Duration::from_millis(ms),
                    RetKind::Int,
                )
            }
            Call::Poll { socks, timeout, events } => {
                let ms = wait_ms(*timeout);
                let mut req = format!("poll {ms} {}", self.list(socks)?);
                if let Some(m) = events {
                    req.push_str(&format!(" {}", m.to_winsock()));
                }
                (req, Duration::from_millis(ms), RetKind::Int)
            }
            // args3: sets present but empty are `.`, NULL ones `-`.
            Call::SelectEmptySets { read, write, except, timeout } => {
                let ms = wait_ms(*timeout);
                let set = |given: bool| if given { "." } else { "-" };
                (
                    format!("select {ms} {} {} {}", set(*read), set(*write), set(*except)),
                    Duration::from_millis(ms),
                    RetKind::Int,
                )
            }
            // args3: a mask per entry, `NAME:MASK` or `#N:MASK` (winsock2.h's numbers).
            Call::PollFds { fds, timeout } => {
                let ms = wait_ms(*timeout);
                let entries = fds
                    .iter()
                    .map(|f| Ok(format!("{}:{}", self.name_of(&f.sock)?, f.events.to_winsock())))
                    .collect::<Result<Vec<_>, KernelAnswer>>()?;
                (format!("poll {ms} {}", entries.join(",")), Duration::from_millis(ms), RetKind::Int)
            }
            // args2: a NULL array of n entries.
            Call::PollNull { n, timeout } => {
                let ms = wait_ms(*timeout);
                (format!("pollnull {ms} {n}"), Duration::from_millis(ms), RetKind::Int)
            }
            Call::Epoll { .. } => return Err(not_performed("Windows has no epoll")),
            Call::WsaEventSelect { sock, events } => {
                (format!("eventselect {} {}", self.name_of(sock)?, events.0), quick, RetKind::Int)
            }
            Call::WsaAsyncSelect { sock, events } => {
                (format!("asyncselect {} {}", self.name_of(sock)?, events.0), quick, RetKind::Int)
            }
            Call::WsaEnumNetworkEvents { sock } => (format!("enum {}", self.name_of(sock)?), quick, RetKind::Int),
            Call::GetSockName { sock, .. } => (format!("getsockname {}", self.name_of(sock)?), quick, RetKind::Int),
            Call::GetPeerName { sock, .. } => (format!("getpeername {}", self.name_of(sock)?), quick, RetKind::Int),
            Call::Send { sock, data } => {
                (format!("send {} {}", self.name_of(sock)?, hex(Some(data))), quick, RetKind::Int)
            }
            Call::SendTo { sock, addr, data } => {
                let a = self.addr(sock, addr, true)?;
                (format!("sendto {} {a} {}", self.name_of(sock)?, hex(Some(data))), quick, RetKind::Int)
            }
            Call::Recv { sock } | Call::RecvFrom { sock } => {
                let verb = if matches!(call, Call::Recv { .. }) { "recv" } else { "recvfrom" };
                (
                    format!("{verb} {} {}", self.name_of(sock)?, LIVE_BLOCK_LIMIT.as_millis()),
                    LIVE_BLOCK_LIMIT,
                    RetKind::Recv,
                )
            }
            Call::Shutdown { sock, how } => {
                let h = match how {
                    How::Read => 0,
                    How::Write => 1,
                    How::Both => 2,
                };
                (format!("shutdown {} {h}", self.name_of(sock)?), quick, RetKind::Int)
            }
            Call::Close { sock } => (format!("close {}", self.name_of(sock)?), quick, RetKind::Int),
        })
    }

    /// The requests for a short optlen or namelen, a pipe, and a call made from a second
    /// thread (`after MS CALL`: the agent makes CALL at that time while the next blocking
    /// connect waits, as another thread of a Windows program would).
    fn extra_request(&mut self, call: &Call) -> Result<(String, Duration, RetKind), KernelAnswer> {
        let quick = Duration::from_secs(5);
        Ok(match call {
            Call::SetSockOpt { sock, opt, value, optlen: Some(len) } => {
                if !windows_option(*opt) {
                    return Err(not_performed("Windows has no such socket option"));
                }
                (format!("setsockopt_len {} {} {value} {len}", self.name_of(sock)?, opt.name()), quick, RetKind::Int)
            }
            Call::GetSockOpt { sock, opt, optlen: Some(len) } => {
                if !windows_option(*opt) {
                    return Err(not_performed("Windows has no such socket option"));
                }
                (format!("getsockopt_len {} {} {len}", self.name_of(sock)?, opt.name()), quick, RetKind::Int)
            }
            Call::GetSockName { sock, namelen: Some(len) } => {
                (format!("getsockname_len {} {len}", self.name_of(sock)?), quick, RetKind::Int)
            }
            Call::GetPeerName { sock, namelen: Some(len) } => {
                (format!("getpeername_len {} {len}", self.name_of(sock)?), quick, RetKind::Int)
            }
            Call::Pipe { name } => (format!("pipe {name}"), quick, RetKind::Handle),
            Call::After { after, action } => {
                let (req, _, _) = self.request(action)?;
                (format!("after {} {req}", after.as_millis()), quick, RetKind::Int)
            }
            _ => return Err(not_performed("not one of the agent's extra requests")),
        })
    }

    /// What a call made by the agent's second thread changed (it answers nothing itself).
    fn after_made(&mut self) {
        if let Some(Call::Close { sock: SockRef::Name(n) }) = self.after.take() {
            self.closed.push(n);
        }
    }

    fn perform_inner(&mut self, call: &Call) -> KernelAnswer {
        let (req, limit, kind) = match self.request(call) {
            Ok(r) => r,
            Err(a) => return a,
        };
        let v = match self.ask(&req, limit) {
            Ok(v) => v,
            Err(why) => return not_performed(&why),
        };
        if let Some(why) = v.get("skipped").and_then(Json::as_str) {
            return not_performed(&format!("the agent did not make the call: {why}"));
        }
        self.take_notes(&v);
        let ret = v.get("ret").and_then(Json::as_i64).unwrap_or(-1);
        let err = v.get("err").and_then(Json::as_i64).unwrap_or(0);
        let elapsed = Duration::from_secs_f64(v.get("ms").and_then(Json::as_f64).unwrap_or(0.0).max(0.0) / 1000.0);
        let error = if err == 0 {
            None
        } else {
            match winsock_code(err) {
                Some(c) => Some(c),
                None => {
                    return not_performed(&format!("Winsock answered error {err}, which the catalogue does not know"));
                }
            }
        };
        let ret = match kind {
            RetKind::Int | RetKind::Recv | RetKind::Startup => Ret::Int(ret),
            RetKind::Bool => Ret::Bool(ret != 0),
            RetKind::Handle => Ret::Handle((ret != -1).then_some(ret)),
        };
        // winapi-ov: these calls hand back their values also when they fail.
        let failed_value = matches!(call, Call::GetOverlappedResult { .. } | Call::GetQueuedCompletionStatus { .. });
        let value = match v.get("value") {
            Some(val) if error.is_none() || failed_value => match self.value(call, val) {
                Ok(x) => x,
                Err(why) => return not_performed(&why),
            },
            _ => Value::None,
        };
        // Book-keeping of names, as the models keep theirs.
        match call {
            Call::Socket { name, family, .. } if error.is_none() => {
                self.families.insert(name.clone(), *family);
                self.closed.retain(|n| n != name);
            }
            Call::Accept { sock: SockRef::Name(l), name, .. } if error.is_none() => {
                let fam = self.families.get(l).copied().unwrap_or(Family::V4);
                self.families.insert(name.clone(), fam);
                self.closed.retain(|n| n != name);
            }
            Call::Close { sock: SockRef::Name(n) } => {
                self.closed.push(n.clone());
            }
            Call::Pipe { name } if error.is_none() => {
                self.closed.retain(|n| n != name);
            }
            _ => {}
        }
        KernelAnswer::Performed { ret, error, value, elapsed, tcp_state: None }
    }

    /// A value from the agent, in the models' terms.
    fn value(&self, call: &Call, v: &Json) -> Result<Value, String> {
        let addr =
            |s: &str| s.parse::<SocketAddr>().map_err(|e| format!("the agent answered a bad address {s:?}: {e}"));
        Ok(match call {
            // ---- bsp ----
            Call::GetSockOpt { .. } if v.get("csaddr").is_some() => {
                let cs = &v["csaddr"];
                let side = |k: &str| -> Result<Option<SocketAddr>, String> {
                    cs.get(k).and_then(Json::as_str).map(addr).transpose()
                };
                Value::CsAddr {
                    local: side("local")?,
                    remote: side("remote")?,
                    stream: cs.get("type").and_then(Json::as_i64) == Some(1),
                }
            }
            // ---- end bsp ----
            // acceptex2: GetAcceptExSockaddrs; "local" is absent when it was left untouched.
            Call::GetAcceptExSockaddrs { .. } if v.get("remote").is_some() => {
                let side = |k: &str| -> Result<Option<SocketAddr>, String> {
                    v.get(k).and_then(Json::as_str).map(addr).transpose()
                };
                Value::AcceptAddrs { local: side("local")?, remote: side("remote")? }
            }
            Call::GetSockOpt { .. } => {
                if let Some(e) = v.get("soerror").and_then(Json::as_i64) {
                    Value::Error {
                        error: match e {
                            0 => None,
                            n => Some(winsock_code(n).ok_or(format!("SO_ERROR holds {n}, unknown to the catalogue"))?),
                        },
                    }
                } else {
                    Value::Int { value: v.get("int").and_then(Json::as_i64).unwrap_or(0) }
                }
            }
            Call::GetSockName { .. } | Call::GetPeerName { .. } => match v.get("addr").and_then(Json::as_str) {
                Some(a) => Value::Addr { addr: addr(a)? },
                None => Value::None,
            },
            Call::Select { .. } | Call::SelectEmptySets { .. } => {
                let set = |k: &str| -> Vec<String> {
                    v.get(k)
                        .and_then(Json::as_array)
                        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                        .unwrap_or_default()
                };
                Value::Select { read: set("read"), write: set("write"), except: set("except") }
            }
            Call::Poll { .. } | Call::PollFds { .. } => {
                let revents = v
                    .get("revents")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| {
                                let name = p.get(0)?.as_str()?.to_string();
                                let bits = p.get(1)?.as_u64()? as u16;
                                Some((name, poll_bits(bits)))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Value::Poll { revents }
            }
            Call::WsaEnumNetworkEvents { .. } => {
                let events = v.get("events").and_then(Json::as_u64).unwrap_or(0) as u16;
                let codes: Vec<i64> = v
                    .get("errors")
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(Json::as_i64).collect())
                    .unwrap_or_default();
                let mut errors = Vec::new();
                for (i, (_, bit)) in FdEvents::NAMES.iter().enumerate() {
                    if events & bit.0 != 0 {
                        let c = codes.get(i).copied().unwrap_or(0);
                        let code = match c {
                            0 => None,
                            n => {
                                Some(winsock_code(n).ok_or(format!("iErrorCode holds {n}, unknown to the catalogue"))?)
                            }
                        };
                        errors.push((*bit, code));
                    }
                }
                Value::NetworkEvents { events: FdEvents(events), errors }
            }
            Call::Recv { .. } | Call::RecvFrom { .. } => {
                let data = unhex(v.get("data").and_then(Json::as_str).unwrap_or(""));
                let from = match v.get("from").and_then(|f| f.get("addr")).and_then(Json::as_str) {
                    Some(a) => Some(addr(a)?),
                    None => None,
                };
                let tcp_eof = data.is_empty() && from.is_none() && matches!(call, Call::Recv { .. });
                if tcp_eof { Value::None } else { Value::Data { data, from } }
            }
            // wsaio: the bytes an overlapped WSARecv took at once, or WSASend's count.
            Call::WsaRecv { .. } => match unhex(v.get("data").and_then(Json::as_str).unwrap_or("")) {
                d if d.is_empty() => Value::None,
                data => Value::Data { data, from: None },
            },
            Call::WsaSend { .. } => match v.get("bytes").and_then(Json::as_u64) {
                Some(0xdead_beef) | None => Value::None,
                Some(bytes) => Value::Transferred { bytes },
            },
            // ---- winapi-ov ----
            Call::Overlapped { .. } => Value::Overlapped {
                internal: v.get("internal").and_then(Json::as_u64).unwrap_or(0),
                internal_high: v.get("internal_high").and_then(Json::as_u64).unwrap_or(0),
            },
            // 0xdeadbeef (the agent's filler) still there: the call did not write the count.
            Call::GetOverlappedResult { .. } => match v.get("bytes").and_then(Json::as_u64) {
                Some(0xdead_beef) | None => Value::None,
                Some(bytes) => Value::Transferred { bytes },
            },
            Call::GetQueuedCompletionStatus { .. } => {
                // The agent passes 0xdeadbeef: still there, the call did not write it.
                let written = |k: &str| v.get(k).and_then(Json::as_u64).filter(|&x| x != 0xdead_beef);
                Value::Packet {
                    key: written("key"),
                    bytes: written("bytes"),
                    overlapped: v.get("overlapped").and_then(Json::as_str).map(str::to_string),
                }
            }
            _ => Value::None,
        })
    }

    fn take_notes(&mut self, v: &Json) {
        let Some(notes) = v.get("notes").and_then(Json::as_array) else { return };
        for n in notes {
            let sock = n.get("sock").and_then(Json::as_str).unwrap_or("?").to_string();
            let error = n.get("error").and_then(Json::as_i64).and_then(|e| if e == 0 { None } else { winsock_code(e) });
            match n.get("kind").and_then(Json::as_str) {
                Some("message") => {
                    let event = FdEvents(n.get("event").and_then(Json::as_u64).unwrap_or(0) as u16);
                    self.notes.push(Notification::WindowMessage { sock, event, error, at: Duration::ZERO });
                }
                Some("completion") => {
                    let bytes = n.get("bytes").and_then(Json::as_u64).unwrap_or(0) as u32;
                    // winapi-ov: the agent names the call (DisconnectEx); older agents did not.
                    let op = n.get("op").and_then(Json::as_str).unwrap_or("ConnectEx").to_string();
                    self.notes.push(Notification::Completion { sock, op, error, bytes, at: Duration::ZERO });
                }
                Some("after") => self.after_made(),
                _ => {}
            }
        }
    }
}

impl Drop for WinsockAgent {
    fn drop(&mut self) {
        if self.dead.is_none() {
            let _ = write_line(&self.stdin, "quit");
        }
        self.stdin.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut c) = self.child.take() {
            // Bounded: a second for the agent to leave, then it is stopped (it is our child).
            for _ in 0..20 {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RetKind {
    Int,
    Bool,
    Handle,
    Recv,
    Startup,
}

/// Write one request line to the agent; a closed input is an error.
fn write_line(stdin: &Mutex<Option<ChildStdin>>, line: &str) -> std::io::Result<()> {
    let mut guard = stdin.lock().unwrap_or_else(|p| p.into_inner());
    let Some(i) = guard.as_mut() else {
        return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the agent's input is closed"));
    };
    i.write_all(line.as_bytes())?;
    i.write_all(b"\n")?;
    i.flush()
}

/// Gives up on the agent's blocked call from another thread (the TUI's Esc), the way the
/// kernel's side does: `now` requests the agent's stdin thread makes at once while its main
/// thread blocks.
struct AgentInterrupt {
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    closed_aside: Arc<Mutex<Vec<String>>>,
    /// The socket the call waits on, and whether it is closed too (a connect: the TUI records
    /// `after MS shutdown S both` and `after MS closesocket S`); a recv or an accept is only
    /// shut down, and socklab closes the socket everywhere afterwards.
    sock: Option<(String, bool)>,
}

impl Interrupt for AgentInterrupt {
    fn interrupt(&self) -> String {
        let Some((n, close)) = &self.sock else {
            let _ = write_line(&self.stdin, "now cancel");
            return "stopped waiting (Winsock agent)".into();
        };
        if let Err(e) = write_line(&self.stdin, &format!("now shutdown {n} 2")) {
            return format!("the Winsock agent could not be reached ({e})");
        }
        if *close && write_line(&self.stdin, &format!("now close {n}")).is_ok() {
            self.closed_aside.lock().unwrap_or_else(|p| p.into_inner()).push(n.clone());
            return format!("shut {n} down from another thread, then closed it (Winsock agent)");
        }
        format!("shut {n} down from another thread (Winsock agent)")
    }
}

impl Kernel for WinsockAgent {
    fn interrupter(&self, job: &KernelJob) -> Option<Box<dyn Interrupt>> {
        let named = |r: &SockRef| match r {
            SockRef::Name(n) => Some(n.clone()),
            _ => None,
        };
        let sock = match job {
            // Never act on a socket being closed: its handle may be reused.
            KernelJob::Call(Call::Close { .. }) => return None,
            KernelJob::Call(Call::Connect { sock, api, .. }) if !matches!(api, ConnectApi::ConnectEx { .. }) => {
                Some((named(sock)?, true))
            }
            KernelJob::Call(Call::Recv { sock } | Call::RecvFrom { sock } | Call::Accept { sock, .. }) => {
                Some((named(sock)?, false))
            }
            _ => None,
        };
        Some(Box::new(AgentInterrupt {
            stdin: Arc::clone(&self.stdin),
            closed_aside: Arc::clone(&self.closed_aside),
            sock,
        }))
    }

    fn perform(&mut self, call: &Call) -> KernelAnswer {
        // Sockets the TUI's Esc closed in the agent while a call blocked.
        let aside = std::mem::take(&mut *self.closed_aside.lock().unwrap_or_else(|p| p.into_inner()));
        self.closed.extend(aside);
        let (name, diverged) = named_socket(&mut self.diverged, call);
        if diverged {
            return not_performed(
                "an earlier call on this socket was not made by the agent, so its socket differs from the models'",
            );
        }
        if self.world_changed {
            return not_performed("`link`, `portrange` or `firewall` changed the models' host, not the agent's");
        }
        match call {
            Call::Link { .. } | Call::PortRange { .. } | Call::Firewall { .. } => self.world_changed = true,
            // The agent keeps the call and makes it from its second thread when the time comes.
            Call::After { action, .. } => {
                return match self.perform_inner(call) {
                    KernelAnswer::Performed { .. } => {
                        self.after = Some((**action).clone());
                        not_performed("the agent makes the call from a second thread at that time")
                    }
                    a => {
                        // Not made: the socket it acts on now differs from the models'.
                        if let Some(SockRef::Name(n)) = action.sock() {
                            self.diverged.push(n.clone());
                        }
                        a
                    }
                };
            }
            _ => {}
        }
        let a = self.perform_inner(call);
        if let (KernelAnswer::NotPerformed { .. }, Some(n)) = (&a, &name) {
            let changes =
                matches!(call, Call::Connect { .. } | Call::SendTo { .. } | Call::Bind { .. } | Call::Accept { .. });
            if changes && !self.closed.contains(n) {
                self.diverged.push(n.clone());
            }
        }
        a
    }

    /// The agent says in its greeting when it runs under Wine (`"wine":"VERSION"`): its
    /// sockets are then this host's.
    fn shares_host(&self) -> bool {
        self.shares_host
    }

    fn diverge(&mut self, sock: &str) {
        if !self.diverged.iter().any(|n| n == sock) {
            self.diverged.push(sock.to_string());
        }
    }

    fn sleep(&mut self, d: Duration) {
        let ms = d.min(Duration::from_secs(600)).as_millis();
        if let Ok(v) = self.ask(&format!("wait {ms}"), Duration::from_millis(ms as u64)) {
            self.take_notes(&v);
        }
    }

    fn wait_until(&mut self, sock: &str, until: Until, limit: Duration) -> (bool, Duration) {
        let what = match until {
            Until::Connected => "connected",
            Until::Failed => "failed",
            Until::Event => "event",
        };
        let limit = if until == Until::Event { limit.min(LIVE_BLOCK_LIMIT) } else { limit.min(self.block_limit) };
        match self.ask(&format!("until {sock} {what} {}", limit.as_millis()), limit) {
            Ok(v) => {
                self.take_notes(&v);
                let met = v.get("value").and_then(|x| x.get("met")).and_then(Json::as_bool).unwrap_or(false);
                let ms = v.get("ms").and_then(Json::as_f64).unwrap_or(0.0).max(0.0);
                (met, Duration::from_secs_f64(ms / 1000.0))
            }
            Err(_) => (false, Duration::ZERO),
        }
    }

    fn tcp_state(&self, _sock: &str) -> Option<String> {
        None
    }

    fn notifications(&mut self) -> Vec<Notification> {
        std::mem::take(&mut self.notes)
    }
}

/// `socklab targets`: start socklab's targets on loopback, print where each listens, and serve
/// until interrupted (or for `for_secs`).
pub fn serve_targets(for_secs: Option<u64>) -> std::process::ExitCode {
    let (targets, facts) = match super::judge::start_targets() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("socklab: cannot start the targets: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let addrs = facts.target_addrs();
    let mut out = std::io::stdout().lock();
    for (t, a) in &addrs {
        let _ = writeln!(out, "{:<9} {:<16} {}", t.to_string(), a, t.describe());
    }
    let args: Vec<String> = addrs.iter().map(|(t, a)| format!("{}={a}", t.name())).collect();
    let _ = writeln!(out, "arguments for exported C programs: {}", args.join(" "));
    let _ = writeln!(
        out,
        "note: @slow drops SYNs until armed: press Enter (a line on standard input) right after a client's connect to @slow, and it completes at the next SYN retransmission (about 1 s)"
    );
    match for_secs {
        Some(s) => {
            let _ = writeln!(out, "serving for {s} s");
        }
        None => {
            let _ = writeln!(out, "serving until interrupted (Ctrl-C)");
        }
    }
    let _ = out.flush();
    drop(out);
    let armer = Arc::clone(&targets);
    // Each line on standard input arms `@slow` once; the thread ends with the input.
    let _ = std::thread::Builder::new().name("arm-slow".into()).spawn(move || {
        for line in std::io::stdin().lines() {
            if line.is_err() {
                break;
            }
            match armer.arm_slow() {
                Ok(()) => println!("@slow armed"),
                Err(e) => eprintln!("socklab: cannot arm @slow: {e}"),
            }
        }
    });
    match for_secs {
        Some(s) => std::thread::sleep(Duration::from_secs(s)),
        // Until a signal ends the process: each turn is a minute of sleep.
        None => loop {
            std::thread::sleep(Duration::from_secs(60));
        },
    }
    drop(targets);
    std::process::ExitCode::SUCCESS
}

/// Whether Windows has the option (the Linux-only ones are not sent).
fn windows_option(opt: crate::core::call::SockOpt) -> bool {
    use crate::core::call::SockOpt as O;
    !matches!(opt, O::TCP_SYNCNT | O::TCP_USER_TIMEOUT)
}

fn len_word(len: Option<u32>) -> String {
    len.map(|l| l.to_string()).unwrap_or_else(|| "-".into())
}

/// iocp2: the OVERLAPPED a call names (`-`: the socket's own), its completion routine flag and
/// its buffer lengths, as last words of a wsarecv or wsasend request (none when the call names
/// none of them).
fn ov_words(ov: &Option<String>, routine: bool, bufs: &Option<Vec<u32>>) -> String {
    let o = ov.as_deref().unwrap_or("-");
    match (ov, routine, bufs) {
        (None, false, None) => String::new(),
        (Some(o), false, None) => format!(" {o}"),
        (_, r, None) => format!(" {o} {}", u8::from(r)),
        (_, r, Some(b)) => {
            let lens: Vec<String> = b.iter().map(u32::to_string).collect();
            format!(" {o} {} {}", u8::from(r), lens.join(","))
        }
    }
}

fn wait_ms(timeout: Option<Duration>) -> u64 {
    timeout.unwrap_or(LIVE_BLOCK_LIMIT).as_millis().min(u32::MAX as u128 / 2) as u64
}

fn hex(data: Option<&[u8]>) -> String {
    match data {
        None => "-".into(),
        Some(d) => {
            let mut s = String::with_capacity(d.len() * 2);
            for b in d {
                let _ = write!(s, "{b:02x}");
            }
            if s.is_empty() { "-".into() } else { s }
        }
    }
}

fn unhex(s: &str) -> Vec<u8> {
    s.as_bytes()
        .chunks(2)
        .filter_map(|p| std::str::from_utf8(p).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// WSAPoll's bits (POLLRDNORM 0x100, POLLRDBAND 0x200, POLLPRI 0x400, POLLWRNORM 0x10,
/// POLLWRBAND 0x20, POLLERR 1, POLLHUP 2, POLLNVAL 4) in the models' layout.
pub fn poll_bits(win: u16) -> PollBits {
    let mut b = PollBits::default();
    for (w, m) in [
        (0x100, PollBits::IN),
        (0x200, PollBits::PRI),
        (0x400, PollBits::PRI),
        (0x10, PollBits::OUT),
        (0x20, PollBits::OUT),
        (0x1, PollBits::ERR),
        (0x2, PollBits::HUP),
        (0x4, PollBits::NVAL),
    ] {
        if win & w != 0 {
            b = b | m;
        }
    }
    b
}

/// The catalogue's Winsock code for a number (WSAGetLastError, SO_ERROR, iErrorCode).
pub fn winsock_code(n: i64) -> Option<Code> {
    Code::ALL.iter().copied().find(|c| c.platform() == Platform::Winsock && c.number() as i64 == n)
}

fn not_performed(why: &str) -> KernelAnswer {
    KernelAnswer::NotPerformed { why: why.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(split_command("wine64 agent.exe").unwrap(), vec!["wine64", "agent.exe"]);
        assert_eq!(split_command(r#"ssh box "C:\\a b\\agent.exe""#).unwrap(), vec!["ssh", "box", r"C:\a b\agent.exe"]);
        assert_eq!(split_command("'a b' c\\ d").unwrap(), vec!["a b", "c d"]);
        assert!(split_command("  ").is_err());
        assert!(split_command("wine 'x").is_err());
    }

    #[test]
    fn a_command_through_wines_loader_shares_the_host() {
        let w = |c: &str| runs_wine(&split_command(c).unwrap());
        assert!(w("wine64 agent.exe"));
        assert!(w("env WINEPREFIX=/p/wine /usr/lib/wine/wine64 /tmp/agent.exe"));
        assert!(!w("ssh box agent.exe"));
        assert!(!w("env WINEPREFIX=/p/wine64 ./agent.exe"));
    }

    #[test]
    fn wsapoll_bits_map_to_the_models_layout() {
        assert_eq!(poll_bits(0x10 | 0x1 | 0x2), PollBits::OUT | PollBits::ERR | PollBits::HUP);
        assert_eq!(poll_bits(0x100), PollBits::IN);
        assert_eq!(poll_bits(0), PollBits::default());
    }

    #[test]
    fn winsock_numbers_name_winsock_codes() {
        assert_eq!(winsock_code(10035), Some(Code::WSAEWOULDBLOCK));
        assert_eq!(winsock_code(997), Some(Code::WSA_IO_PENDING));
        assert_eq!(winsock_code(115), None);
    }

    #[test]
    fn data_goes_as_hex() {
        assert_eq!(hex(Some(b"hi")), "6869");
        assert_eq!(hex(None), "-");
        assert_eq!(unhex("6869"), b"hi");
    }
}
