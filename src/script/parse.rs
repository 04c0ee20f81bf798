//! The command language's parser, shared by script files (`socklab run FILE.lab`) and the TUI
//! prompt.
//!
//! One line is one statement. The lexical rules:
//!
//! - Tokens are whitespace-separated words. A `"quoted part"` may appear anywhere in a word and
//!   may contain whitespace; inside it `\n`, `\t`, `\r`, `\0`, `\\` and `\"` are escapes.
//! - A `#` that begins a word starts a comment (as in a shell), except a word `#N` (an integer,
//!   optionally negative), which names a raw descriptor. A `#` inside a word (`read=#5`) is an
//!   ordinary character.
//! - Keywords, commands, option names, error codes and states are case-insensitive; socket names
//!   are case-sensitive and match `[A-Za-z_][A-Za-z0-9_-]*`.
//! - Columns in errors are 1-based character columns of the offending token. A missing argument
//!   is reported just past the last token of the line.
//!
//! Names: `socket ... as NAME` and `accept L as NAME` define names; without `as`, a socket is
//! named `s`, then `s2`, `s3`, ... and an accepted socket `a1`, `a2`, ... (the first such name not
//! yet defined). A name stays defined after `closesocket`; defining it again is an error.
//!
//! Aliases: `nonblock NAME [on|off]` and `fionbio NAME 1|0` for `ioctlsocket NAME FIONBIO 1|0`;
//! `poll` for `wsapoll`; `close` for `closesocket`; `shutdown` directions `send|wr|write|sd_send|
//! shut_wr|1`, `receive|recv|rd|read|sd_receive|shut_rd|0`, `both|rdwr|sd_both|shut_rdwr|2`;
//! protocols `stream`/`sock_stream`, `dgram`/`sock_dgram`; families `ipv4`/`af_inet`,
//! `ipv6`/`af_inet6`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use super::ast::{Expect, ExpectWhat, Span, Stmt, StmtKind, Wait, WaitUntil};
use crate::core::call::{
    AcceptCond, AddrKind, Call, ConnectApi, Family, FdEvents, How, LINGER_ABORT, NamedTarget, OptNullArg, PollBits,
    PollFd, Proto, SockAddrArg, SockOpt, SockRef,
};
use crate::core::codes::Code;
use crate::core::model::State;
use crate::core::personality::PersonalityId;

// ---------------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------------

/// A mistake in one line, with the place of the offending token and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based character column of the offending token (or just past the line's last token
    /// when something is missing).
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for ParseError {}

/// The socket names defined so far, in the order they were defined.
#[derive(Clone, Debug, Default)]
pub struct Names {
    order: Vec<String>,
    set: HashSet<String>,
    /// Every default socket name below this index is taken (names are never removed).
    socket_hint: usize,
    /// Every default accept name below this index is taken.
    accept_hint: usize,
}

impl Names {
    /// Define a name; `false` if it was already defined.
    pub fn insert(&mut self, name: impl Into<String>) -> bool {
        let name = name.into();
        if !self.set.insert(name.clone()) {
            return false;
        }
        // The first free default names move on only when this name is the one they stood at
        // (asked without writing the default name out, once per insert).
        let (at_socket, at_accept) =
            (is_default_socket_name(&name, self.socket_hint), is_default_accept_name(&name, self.accept_hint));
        self.order.push(name);
        if at_socket {
            while self.set.contains(&default_socket_name(self.socket_hint)) {
                self.socket_hint += 1;
            }
        }
        if at_accept {
            while self.set.contains(&default_accept_name(self.accept_hint)) {
                self.accept_hint += 1;
            }
        }
        true
    }

    /// Whether the name is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// The names in the order they were defined.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.order.iter().map(String::as_str)
    }

    /// How many names are defined.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no name is defined.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The name `socket tcp` without `as` would define: `s`, then `s2`, `s3`, ...
    pub fn next_socket_name(&self) -> String {
        (self.socket_hint..).map(default_socket_name).find(|n| !self.contains(n)).unwrap_or_default()
    }

    /// The name `accept L` without `as` would define: `a1`, `a2`, ...
    pub fn next_accept_name(&self) -> String {
        (self.accept_hint..).map(default_accept_name).find(|n| !self.contains(n)).unwrap_or_default()
    }
}

impl<S: Into<String>> FromIterator<S> for Names {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut names = Names::default();
        for n in iter {
            names.insert(n);
        }
        names
    }
}

fn default_socket_name(k: usize) -> String {
    if k == 0 { "s".to_string() } else { format!("s{}", k + 1) }
}

fn default_accept_name(k: usize) -> String {
    format!("a{}", k + 1)
}

/// Whether `name` is `default_socket_name(k)`, without writing that out.
fn is_default_socket_name(name: &str, k: usize) -> bool {
    match name.strip_prefix('s') {
        Some("") => k == 0,
        Some(digits) => k > 0 && is_decimal(digits, k + 1),
        None => false,
    }
}

/// Whether `name` is `default_accept_name(k)`, without writing that out.
fn is_default_accept_name(name: &str, k: usize) -> bool {
    name.strip_prefix('a').is_some_and(|digits| is_decimal(digits, k + 1))
}

/// Whether `digits` is `n` written in decimal (no sign, no leading zero).
fn is_decimal(digits: &str, n: usize) -> bool {
    !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) && digits.parse::<usize>() == Ok(n)
}

/// Whether `s` is a valid socket name: `[A-Za-z_][A-Za-z0-9_-]*`.
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The longest line the language reads, in bytes (a select of 10,000 sockets fits).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A script's bytes as text: the first byte that is not UTF-8 is an error naming its line and
/// column (in characters, as every error does).
pub fn decode_script(bytes: &[u8]) -> Result<&str, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = std::str::from_utf8(&good[line_start..]).map_or(1, |s| s.chars().count() + 1);
            Err(ParseError {
                line,
                col,
                message: format!(
                    "invalid UTF-8 (byte 0x{:02x}): a script is UTF-8 text",
                    bytes.get(e.valid_up_to()).copied().unwrap_or(0)
                ),
            })
        }
    }
}

/// Parse a whole script. Returns every error of the file, in line order, if there is any.
pub fn parse_script(src: &str) -> Result<Vec<Stmt>, Vec<ParseError>> {
    let mut names = Names::default();
    // One statement per line at most: sized once (a line is at least one byte and a newline).
    let mut stmts = Vec::with_capacity(src.len() / 16);
    let mut errors = Vec::new();
    // The tokens of a line, reused from line to line (they borrow from `src`).
    let mut toks = Vec::with_capacity(8);
    for (i, line) in src.lines().enumerate() {
        match parse_line_in(line, i + 1, &mut names, &mut toks) {
            Ok(Some(stmt)) => stmts.push(stmt),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(stmts) } else { Err(errors) }
}

/// Parse one line. `Ok(None)` for a blank or comment-only line. A line that defines a socket
/// name (`socket`, `accept`) adds it to `known` when, and only when, it parses.
pub fn parse_line(line: &str, line_no: usize, known: &mut Names) -> Result<Option<Stmt>, ParseError> {
    parse_line_in(line, line_no, known, &mut Vec::new())
}

/// [`parse_line`] with a buffer for the line's tokens (emptied first, left empty).
fn parse_line_in<'a>(
    line: &'a str,
    line_no: usize,
    known: &mut Names,
    toks: &mut Vec<Tok<'a>>,
) -> Result<Option<Stmt>, ParseError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(ParseError {
            line: line_no,
            col: 1,
            message: format!("line {line_no} is {} bytes long: a line is at most {MAX_LINE_BYTES} bytes", line.len()),
        });
    }
    toks.clear();
    let code_end = lex_into(line, line_no, toks)?;
    let Some(first) = toks.first() else {
        return Ok(None);
    };
    let code = &line[..code_end];
    let span = Span { line: line_no, col: first.col };
    let mut p = Parser { line: line_no, toks: std::mem::take(toks), pos: 0, code, names: known, usage: "" };
    let parsed = p.statement();
    *toks = std::mem::take(&mut p.toks);
    toks.clear();
    let (kind, defines) = parsed?;
    if let Some(name) = defines {
        known.insert(name);
    }
    Ok(Some(Stmt { span, kind, text: code.trim().to_string() }))
}

/// Every command word with its usage line, in the order help lists them.
pub fn commands() -> impl Iterator<Item = (&'static str, &'static str)> {
    COMMANDS.iter().map(|c| (c.word, c.usage))
}

/// Candidates for the word being typed at the end of `prefix_line` (or the next word when the
/// line is empty or ends with whitespace): commands, socket names, targets, option names,
/// `FD_*` events, personalities and checks after `expect`, states, codes. Each candidate is the
/// whole word that would replace the partial one.
pub fn completions(prefix_line: &str, names: &Names) -> Vec<String> {
    let Ok(lexed) = lex(prefix_line, 0) else {
        return Vec::new();
    };
    if lexed.code_end < prefix_line.len() {
        return Vec::new(); // inside a comment
    }
    let open = prefix_line.is_empty() || prefix_line.ends_with(char::is_whitespace);
    let mut words: Vec<String> = lexed.toks.iter().map(|t| t.text.to_string()).collect();
    let partial = if open { String::new() } else { words.pop().unwrap_or_default() };
    let mut out = Vec::new();
    for c in candidates(&words, &partial, names) {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    WsaStartup,
    WsaCleanup,
    Alarm,
    After,
    Pipe,
    Link,
    PortRange,
    Firewall,
    Epoll,
    Socket,
    Ioctlsocket,
    Nonblock,
    Fionbio,
    SetSockOpt,
    GetSockOpt,
    Bind,
    Listen,
    Accept,
    Connect,
    WsaConnect,
    ConnectEx,
    Select,
    WsaPoll,
    WsaEventSelect,
    WsaAsyncSelect,
    WsaEnumNetworkEvents,
    GetSockName,
    GetPeerName,
    Send,
    SendTo,
    Recv,
    RecvFrom,
    Shutdown,
    CloseSocket,
    Wait,
    Expect,
    Mark,
    // ---- winapi-ov ----
    Overlapped,
    GetOverlappedResult,
    WsaGetOverlappedResult,
    CreateIoCompletionPort,
    GetQueuedCompletionStatus,
    DisconnectEx,
    AcceptEx,
    WsaRecv,
    WsaSend,
    // ---- wsaio3 ----
    WsaSendTo,
    WsaRecvFrom,
    GetQueuedCompletionStatusEx,
    // ---- acceptex2 ----
    WsaAccept,
    GetAcceptExSockaddrs,
    CancelIo,
    CancelIoEx,
    // ---- iocp2 ----
    PostQueuedCompletionStatus,
    CloseHandle,
    SleepEx,
}

struct CmdInfo {
    word: &'static str,
    cmd: Cmd,
    usage: &'static str,
}

const fn cmd(word: &'static str, cmd: Cmd, usage: &'static str) -> CmdInfo {
    CmdInfo { word, cmd, usage }
}

const COMMANDS: &[CmdInfo] = &[
    cmd("wsastartup", Cmd::WsaStartup, "wsastartup [MAJOR.MINOR]"),
    cmd("wsacleanup", Cmd::WsaCleanup, "wsacleanup"),
    cmd("socket", Cmd::Socket, "socket tcp|udp [v4|v6|af=N] [as NAME]"),
    cmd("link", Cmd::Link, "link down|up (the host's interface goes down or comes back)"),
    cmd("portrange", Cmd::PortRange, "portrange LO HI (the ephemeral port range)"),
    cmd("firewall", Cmd::Firewall, "firewall drop IP | firewall clear (a local rule on outgoing packets)"),
    cmd("pipe", Cmd::Pipe, "pipe as NAME (a descriptor that is not a socket)"),
    cmd("ioctlsocket", Cmd::Ioctlsocket, "ioctlsocket NAME FIONBIO 1|0"),
    cmd("nonblock", Cmd::Nonblock, "nonblock NAME [on|off]"),
    cmd("fionbio", Cmd::Fionbio, "fionbio NAME 1|0"),
    cmd("setsockopt", Cmd::SetSockOpt, "setsockopt NAME OPTION [VALUE] [optlen=N] | optval=null"),
    cmd("getsockopt", Cmd::GetSockOpt, "getsockopt NAME OPTION [optlen=N] | optval=null"),
    cmd("bind", Cmd::Bind, "bind NAME ADDR [namelen=N]"),
    cmd("listen", Cmd::Listen, "listen NAME [BACKLOG]"),
    cmd("accept", Cmd::Accept, "accept NAME [as NEWNAME]"),
    cmd("connect", Cmd::Connect, "connect NAME ADDR [namelen=N]"),
    cmd("wsaconnect", Cmd::WsaConnect, "wsaconnect NAME ADDR [namelen=N] [data=TEXT] [sqos] [gqos]"),
    cmd("connectex", Cmd::ConnectEx, "connectex NAME ADDR [namelen=N] [send=TEXT]"),
    cmd("select", Cmd::Select, "select [read=A,B] [write=C] [except=D] [timeout=MS|inf]"),
    cmd(
        "wsapoll",
        Cmd::WsaPoll,
        "wsapoll NAME[,NAME...] [timeout=MS|inf] [events=POLLRDNORM|...] | wsapoll NAME:MASK,#N:MASK,... | wsapoll null n=N",
    ),
    cmd(
        "poll",
        Cmd::WsaPoll,
        "poll NAME[,NAME...] [timeout=MS|inf] [events=POLLIN|...] | poll NAME:MASK,#N:MASK,... | poll null n=N",
    ),
    cmd("epoll", Cmd::Epoll, "epoll NAME[,NAME...] [timeout=MS|inf]"),
    cmd("wsaeventselect", Cmd::WsaEventSelect, "wsaeventselect NAME EVENTS"),
    cmd("wsaasyncselect", Cmd::WsaAsyncSelect, "wsaasyncselect NAME EVENTS"),
    cmd("wsaenumnetworkevents", Cmd::WsaEnumNetworkEvents, "wsaenumnetworkevents NAME"),
    cmd("getsockname", Cmd::GetSockName, "getsockname NAME [namelen=N | name=null]"),
    cmd("getpeername", Cmd::GetPeerName, "getpeername NAME [namelen=N | name=null]"),
    cmd("send", Cmd::Send, "send NAME TEXT"),
    cmd("sendto", Cmd::SendTo, "sendto NAME ADDR TEXT"),
    cmd("recv", Cmd::Recv, "recv NAME"),
    cmd("recvfrom", Cmd::RecvFrom, "recvfrom NAME"),
    cmd("shutdown", Cmd::Shutdown, "shutdown NAME send|receive|both"),
    cmd("closesocket", Cmd::CloseSocket, "closesocket NAME"),
    cmd("close", Cmd::CloseSocket, "close NAME"),
    cmd("alarm", Cmd::Alarm, "alarm MS (interrupt the next blocking connect)"),
    cmd("after", Cmd::After, "after MS CALL (another thread makes CALL while the next blocking call waits)"),
    cmd("wait", Cmd::Wait, "wait MS | wait NAME connected|failed|event"),
    cmd("expect", Cmd::Expect, "expect [P1,P2:] WHAT"),
    cmd("mark", Cmd::Mark, "mark LABEL (a marker in the recording)"),
    // ---- winapi-ov ----
    cmd("overlapped", Cmd::Overlapped, "overlapped NAME [set=N] (read NAME's OVERLAPPED: Internal, InternalHigh)"),
    cmd("getoverlappedresult", Cmd::GetOverlappedResult, "getoverlappedresult NAME [wait] [ov=OV]"),
    cmd("wsagetoverlappedresult", Cmd::WsaGetOverlappedResult, "wsagetoverlappedresult NAME [wait] [ov=OV]"),
    cmd(
        "createiocompletionport",
        Cmd::CreateIoCompletionPort,
        "createiocompletionport as PORT | createiocompletionport NAME PORT [key=N]",
    ),
    cmd("getqueuedcompletionstatus", Cmd::GetQueuedCompletionStatus, "getqueuedcompletionstatus PORT [timeout=MS|inf]"),
    // ---- wsaio3 ----
    cmd(
        "getqueuedcompletionstatusex",
        Cmd::GetQueuedCompletionStatusEx,
        "getqueuedcompletionstatusex PORT [count=N] [timeout=MS|inf] [alertable] (several packets at once; count: 1 to 64, default 16)",
    ),
    cmd(
        "postqueuedcompletionstatus",
        Cmd::PostQueuedCompletionStatus,
        "postqueuedcompletionstatus PORT [key=N] [bytes=N] [ov=NAME] (a packet of the program's own)",
    ),
    cmd("closehandle", Cmd::CloseHandle, "closehandle PORT (CloseHandle on a completion port)"),
    cmd("sleepex", Cmd::SleepEx, "sleepex MS [alertable] (an alertable sleep runs completion routines)"),
    cmd("disconnectex", Cmd::DisconnectEx, "disconnectex NAME [reuse] [overlapped=NULL] (reuse: TF_REUSE_SOCKET)"),
    cmd(
        "wsarecv",
        Cmd::WsaRecv,
        "wsarecv NAME [ov=OV] [routine] [bufs=N,M] (overlapped WSARecv: pends until data arrives)",
    ),
    cmd("wsasend", Cmd::WsaSend, "wsasend NAME DATA [ov=OV] [routine] [bufs=N,M] (overlapped WSASend)"),
    // ---- wsaio3 ----
    cmd(
        "wsasendto",
        Cmd::WsaSendTo,
        "wsasendto NAME ADDR DATA [overlapped=NULL] [ov=OV] [routine] [bufs=N,M] [bytes=NULL] (WSASendTo; overlapped=NULL: a plain call)",
    ),
    cmd(
        "wsarecvfrom",
        Cmd::WsaRecvFrom,
        "wsarecvfrom NAME [overlapped=NULL] [ov=OV] [routine] [bufs=N,M] (WSARecvFrom; overlapped=NULL: a plain call)",
    ),
    cmd(
        "acceptex",
        Cmd::AcceptEx,
        "acceptex LISTENER ACCEPTSOCK [recv=N] [local=N] [remote=N] [overlapped=NULL] [buffer=NULL] (ACCEPTSOCK: a socket created beforehand)",
    ),
    // ---- acceptex2 ----
    cmd(
        "wsaaccept",
        Cmd::WsaAccept,
        "wsaaccept LISTENER [cf=accept|reject|defer] [as NAME] (no cf: no condition function)",
    ),
    cmd(
        "getacceptexsockaddrs",
        Cmd::GetAcceptExSockaddrs,
        "getacceptexsockaddrs ACCEPTSOCK (the addresses in the last AcceptEx's buffer)",
    ),
    cmd("cancelio", Cmd::CancelIo, "cancelio NAME (CancelIo: cancel NAME's pending overlapped calls)"),
    cmd("cancelioex", Cmd::CancelIoEx, "cancelioex NAME (CancelIoEx with a NULL OVERLAPPED)"),
];

fn lookup_cmd(word: &str) -> Option<&'static CmdInfo> {
    // The commands by their first letter (all are ASCII lower case), made once: a line looks at
    // a handful of them, not at the whole table.
    static BY_FIRST: std::sync::OnceLock<[Vec<&'static CmdInfo>; 26]> = std::sync::OnceLock::new();
    let by_first = BY_FIRST.get_or_init(|| {
        let mut t: [Vec<&'static CmdInfo>; 26] = Default::default();
        for c in COMMANDS {
            t[usize::from(c.word.as_bytes()[0] - b'a')].push(c);
        }
        t
    });
    let first = word.as_bytes().first()?.to_ascii_lowercase();
    let bucket = by_first.get(usize::from(first.checked_sub(b'a')?))?;
    bucket.iter().copied().find(|c| c.word.eq_ignore_ascii_case(word))
}

/// The checks `expect` knows, in help order.
const CHECKS: &[&str] =
    &["ok", "ret", "error", "na", "state", "select", "event", "noevent", "completion", "value", "elapsed"];

const ADDR_EXPECTED: &str = "an address like 127.0.0.1:80, [::1]:80 or a target like @accept";
const CODE_EXPECTED: &str = "a name like WSAECONNREFUSED or ECONNREFUSED, or a number like 10061";
/// The longest duration the language accepts, in ms: `INT_MAX`, the largest timeout `poll(2)`
/// and `WSAPoll` take (and one a Winsock `struct timeval` holds).
pub const MAX_DURATION_MS: u64 = i32::MAX as u64;

const DURATION_EXPECTED: &str = "milliseconds like 500, 1500ms or 2s";

/// `FD_ALL_EVENTS`: every bit of [`FdEvents::NAMES`].
const FD_ALL: u16 = 0x3F;

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Tok<'a> {
    /// The word with quotes removed and escapes resolved: a slice of the line unless a part of
    /// it was quoted.
    text: Cow<'a, str>,
    /// 1-based column of its first character.
    col: usize,
    /// Column just past its last character.
    end: usize,
    /// Byte offset in the line just past its last character.
    end_byte: usize,
    /// Whether any part was quoted.
    quoted: bool,
    /// Byte index in `text` of the first `=` outside quotes, and the column just after it.
    eq: Option<(usize, usize)>,
}

impl<'a> Tok<'a> {
    /// `(key, value, column of value)` for a `key=value` word.
    fn key_value(&self) -> Option<(&str, &str, usize)> {
        self.eq.map(|(i, col)| (&self.text[..i], &self.text[i + 1..], col))
    }

    /// The part of an unquoted word from character `k` on.
    fn tail(&self, k: usize) -> Tok<'a> {
        let byte = self.text.char_indices().nth(k).map_or(self.text.len(), |(b, _)| b);
        let text: Cow<'a, str> = match &self.text {
            Cow::Borrowed(s) => Cow::Borrowed(&s[byte..]),
            Cow::Owned(s) => Cow::Owned(s[byte..].to_string()),
        };
        let col = self.col + k;
        let eq = text.find('=').map(|i| (i, col + text[..i].chars().count() + 1));
        Tok { text, col, end: self.end, end_byte: self.end_byte, quoted: self.quoted, eq }
    }
}

struct Lexed<'a> {
    toks: Vec<Tok<'a>>,
    /// Byte offset where the comment starts (the line's length if there is none).
    code_end: usize,
}

/// Whether the word starting at `word[0] == '#'` is a raw descriptor `#N` / `#-N`.
fn is_raw_ref_word(word: &str) -> bool {
    let word = word.split(char::is_whitespace).next().unwrap_or("");
    let rest = word.get(1..).unwrap_or("");
    let digits = rest.strip_prefix('-').unwrap_or(rest).as_bytes();
    // args3: `#-1:POLLERR,l:POLLIN` (a poll entry) and `#-1=POLLNVAL` (an expected revents)
    // go on after the number with `:`, `=` or `,` and a word character.
    let end = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    let tail = &digits[end..];
    end > 0
        && (tail.is_empty()
            || matches!(tail[0], b':' | b'=' | b',')
                && tail.get(1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'#'))
}

/// `\xHH` (ASCII, 00 to 7F) or `\u{H..}` at `s[0] == b'\\'`: the character and how many bytes
/// (all ASCII, so as many characters) the escape takes.
fn numeric_escape(s: &[u8]) -> Option<(char, usize)> {
    let hex = |k: usize| s.get(k).and_then(|&b| (b as char).to_digit(16).filter(|_| b.is_ascii()));
    match *s.get(1)? {
        b'x' => {
            let v = hex(2)? * 16 + hex(3)?;
            if v > 0x7f {
                return None;
            }
            Some((char::from_u32(v)?, 4))
        }
        b'u' => {
            if *s.get(2)? != b'{' {
                return None;
            }
            let mut v: u32 = 0;
            let mut k = 3;
            while let Some(d) = hex(k) {
                v = v.checked_mul(16)?.checked_add(d)?;
                k += 1;
                if k > 9 {
                    return None;
                }
            }
            if k == 3 || *s.get(k)? != b'}' {
                return None;
            }
            Some((char::from_u32(v)?, k + 1))
        }
        _ => None,
    }
}

/// The character at byte `b` of `line` (a character boundary) and its length in bytes.
#[inline]
fn char_at(line: &str, b: usize) -> (char, usize) {
    let x = line.as_bytes()[b];
    if x < 0x80 {
        (x as char, 1)
    } else {
        let c = line[b..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
        (c, c.len_utf8())
    }
}

fn lex(line: &str, line_no: usize) -> Result<Lexed<'_>, ParseError> {
    let mut toks = Vec::with_capacity(8);
    let code_end = lex_into(line, line_no, &mut toks)?;
    Ok(Lexed { toks, code_end })
}

/// Split `line` into `toks` (appended); returns the byte offset where the comment starts (the
/// line's length if there is none). One pass over the bytes, counting characters for the
/// columns; a word is a slice of the line unless a part of it is quoted.
fn lex_into<'a>(line: &'a str, line_no: usize, toks: &mut Vec<Tok<'a>>) -> Result<usize, ParseError> {
    let bytes = line.as_bytes();
    let err = |ci: usize, message: String| ParseError { line: line_no, col: ci + 1, message };
    let unterminated = "unterminated quote: expected a closing `\"` before the end of the line";
    // `b` is a byte offset, `ci` the index of the character there.
    let mut b = 0;
    let mut ci = 0;
    while b < bytes.len() {
        let (c, len) = char_at(line, b);
        if c.is_whitespace() {
            b += len;
            ci += 1;
            continue;
        }
        if c == '#' && !is_raw_ref_word(&line[b..]) {
            return Ok(b);
        }
        let start = ci;
        let start_b = b;
        // The text once a quote made it differ from the line.
        let mut owned: Option<String> = None;
        let mut quoted = false;
        let mut eq = None;
        let mut open_quote: Option<usize> = None;
        while b < bytes.len() {
            if open_quote.is_none() {
                // The common case at a byte a time: a run of plain ASCII (no quote, no `=`, no
                // space, nothing to decode).
                let run = b;
                while let Some(&x) = bytes.get(b) {
                    if x >= 0x80 || x == b'"' || x == b'=' || x == b' ' || (b'\t'..=b'\r').contains(&x) {
                        break;
                    }
                    b += 1;
                }
                if let Some(s) = owned.as_mut() {
                    s.push_str(&line[run..b]);
                }
                ci += b - run;
                if b == bytes.len() {
                    break;
                }
            }
            let (c, len) = char_at(line, b);
            match open_quote {
                None if c.is_whitespace() => break,
                None if c == '"' => {
                    if owned.is_none() {
                        owned = Some(line[start_b..b].to_string());
                    }
                    open_quote = Some(ci);
                    quoted = true;
                }
                None => {
                    if c == '=' && eq.is_none() {
                        eq = Some((owned.as_ref().map_or(b - start_b, String::len), ci + 2));
                    }
                    if let Some(s) = owned.as_mut() {
                        s.push(c);
                    }
                }
                Some(_) if c == '"' => open_quote = None,
                Some(q) if c == '\\' => {
                    let Some(&e) = bytes.get(b + 1) else {
                        return Err(err(q, unterminated.into()));
                    };
                    let (resolved, n) = match e {
                        b'n' => ('\n', 2),
                        b't' => ('\t', 2),
                        b'r' => ('\r', 2),
                        b'0' => ('\0', 2),
                        b'\\' => ('\\', 2),
                        b'"' => ('"', 2),
                        b'x' | b'u' => numeric_escape(&bytes[b..]).ok_or_else(|| {
                            err(
                                ci,
                                format!(
                                    "bad escape in quoted text: expected {}",
                                    if e == b'x' {
                                        "\\xHH with HH two hex digits 00 to 7F"
                                    } else {
                                        "\\u{HHHH} with a Unicode scalar value in hex"
                                    }
                                ),
                            )
                        })?,
                        _ => {
                            let other = char_at(line, b + 1).0;
                            return Err(err(
                                ci,
                                format!(
                                    "unknown escape `\\{}` in quoted text: expected \\n, \\t, \\r, \\0, \\\\, \\\", \\xHH or \\u{{HHHH}}",
                                    other.escape_default()
                                ),
                            ));
                        }
                    };
                    owned.get_or_insert_with(String::new).push(resolved);
                    // An escape is ASCII: as many characters as bytes.
                    b += n;
                    ci += n;
                    continue;
                }
                Some(_) => owned.get_or_insert_with(String::new).push(c),
            }
            b += len;
            ci += 1;
        }
        if let Some(q) = open_quote {
            return Err(err(q, unterminated.into()));
        }
        let text = match owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&line[start_b..b]),
        };
        toks.push(Tok { text, col: start + 1, end: ci + 1, end_byte: b, quoted, eq });
    }
    Ok(line.len())
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

type PResult<T> = Result<T, ParseError>;

struct Parser<'a, 'n> {
    line: usize,
    toks: Vec<Tok<'a>>,
    pos: usize,
    /// The line without its comment.
    code: &'a str,
    names: &'n Names,
    /// Usage of the command being parsed, for "extra argument" messages.
    usage: &'static str,
}

/// wsaio3: the options of wsasend, wsasendto and wsarecvfrom.
#[derive(Default)]
struct WsaIoOpts {
    ov: Option<String>,
    routine: bool,
    bufs: Option<Vec<u32>>,
    null_overlapped: bool,
    null_bytes: bool,
}

/// Options of the connect family.
#[derive(Default)]
struct ConnectOpts {
    /// wsaio3: AcceptEx's `buffer=NULL`.
    null_buffer: bool,
    namelen: Option<u32>,
    data: Option<Vec<u8>>,
    send: Option<Vec<u8>>,
    sqos: bool,
    gqos: bool,
    null_overlapped: bool,
    /// esc3: WSAConnect's `callee=N`, an lpCalleeData buffer of N bytes.
    callee: Option<u32>,
    /// acceptex2: AcceptEx's `recv=N`, `local=N`, `remote=N`.
    recv: Option<u32>,
    local: Option<u32>,
    remote: Option<u32>,
}

impl<'a> Parser<'a, '_> {
    fn err(&self, col: usize, message: impl Into<String>) -> ParseError {
        ParseError { line: self.line, col, message: cap_quoted(message.into()) }
    }

    /// Column just past the last token: where a missing argument is reported.
    fn end_col(&self) -> usize {
        self.toks.last().map_or(1, |t| t.end)
    }

    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.pos)
    }

    fn next_tok(&mut self) -> Option<Tok<'a>> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// The next token, or "missing WHAT: expected EXPECTED".
    fn require(&mut self, what: &str, expected: &str) -> PResult<Tok<'a>> {
        match self.next_tok() {
            Some(t) => Ok(t),
            None => Err(self.err(self.end_col(), format!("missing {what}: expected {expected}"))),
        }
    }

    /// [`Self::require`] with the expectation written only when the token is missing (listing
    /// the defined names for every socket argument was a third of a long script's parse).
    fn require_lazy(&mut self, what: &str, expected: impl FnOnce(&Self) -> String) -> PResult<Tok<'a>> {
        match self.next_tok() {
            Some(t) => Ok(t),
            None => Err(self.err(self.end_col(), format!("missing {what}: expected {}", expected(self)))),
        }
    }

    /// Nothing may follow.
    fn end(&self) -> PResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(self
                .err(t.col, format!("unexpected `{}`: expected the end of the line (usage: {})", t.text, self.usage))),
        }
    }

    /// The next token if it is one of `words` (any case); it is consumed.
    fn take_word(&mut self, words: &[&str]) -> Option<Tok<'a>> {
        let t = self.peek()?;
        if words.iter().any(|w| w.eq_ignore_ascii_case(&t.text)) { self.next_tok() } else { None }
    }

    /// An optional `optlen=N` (a length in bytes).
    fn optlen(&mut self) -> PResult<Option<u32>> {
        self.length_key("optlen")
    }

    /// An optional `namelen=N` (a length in bytes).
    fn namelen_opt(&mut self) -> PResult<Option<u32>> {
        self.length_key("namelen")
    }

    fn length_key(&mut self, key: &str) -> PResult<Option<u32>> {
        let Some(t) = self.peek().cloned() else { return Ok(None) };
        let Some((k, v, col)) = t.key_value() else { return Ok(None) };
        if !k.eq_ignore_ascii_case(key) {
            return Err(self.err(t.col, format!("unexpected `{}`: expected {key}=N", t.text)));
        }
        let n = v
            .parse::<u32>()
            .map_err(|_| self.err(col, format!("bad {key} `{v}`: expected a length in bytes like 1 or 16")))?;
        self.next_tok();
        Ok(Some(n))
    }

    fn call(&self, call: Call) -> PResult<(StmtKind, Option<String>)> {
        self.end()?;
        Ok((StmtKind::Call(call), None))
    }

    fn statement(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let Some(head) = self.next_tok() else {
            return Err(self.err(1, "missing command"));
        };
        let Some(info) = lookup_cmd(&head.text) else {
            let all: Vec<&str> = COMMANDS.iter().map(|c| c.word).collect();
            let hint =
                closest(&head.text, all.iter().copied()).map(|c| format!("did you mean `{c}`? ")).unwrap_or_default();
            return Err(self
                .err(head.col, format!("unknown command `{}`: {hint}expected one of: {}", head.text, all.join(", "))));
        };
        self.usage = info.usage;
        match info.cmd {
            Cmd::WsaStartup => {
                let (major, minor) = match self.next_tok() {
                    None => (2, 2),
                    Some(t) => self.version(&t)?,
                };
                self.call(Call::WsaStartup { major, minor })
            }
            Cmd::WsaCleanup => self.call(Call::WsaCleanup),
            Cmd::Alarm => {
                let t = self.require("duration", DURATION_EXPECTED)?;
                let after = self.duration(&t.text, t.col, "duration", "")?;
                self.end()?;
                Ok((StmtKind::Call(Call::Alarm { after }), None))
            }
            Cmd::After => {
                let t = self.require("duration", DURATION_EXPECTED)?;
                let after = parse_duration(&t.text).ok_or_else(|| {
                    self.err(t.col, format!("bad duration `{}`: expected {DURATION_EXPECTED}", t.text))
                })?;
                let Some(head) = self.peek().cloned() else {
                    return Err(self.err(
                        self.end_col(),
                        "missing call: expected the call another thread makes, like `closesocket s`",
                    ));
                };
                let usage = self.usage;
                let (kind, defines) = self.statement()?;
                match kind {
                    StmtKind::Call(action)
                        if defines.is_none()
                            && !matches!(
                                action,
                                Call::After { .. } | Call::Alarm { .. } | Call::WsaStartup { .. } | Call::WsaCleanup
                            ) =>
                    {
                        Ok((StmtKind::Call(Call::After { after, action: Box::new(action) }), None))
                    }
                    _ => Err(self.err(
                        head.col,
                        format!(
                            "`{}` cannot be made from another thread here: expected a call on an existing socket, like `closesocket s` (usage: {usage})",
                            head.text
                        ),
                    )),
                }
            }
            Cmd::Socket => self.socket(),
            Cmd::Link => {
                let t = self.require("link state", "down or up")?;
                let up = match t.text.to_ascii_lowercase().as_str() {
                    "up" => true,
                    "down" => false,
                    _ => return Err(self.err(t.col, format!("unknown link state `{}`: expected down or up", t.text))),
                };
                self.call(Call::Link { up })
            }
            Cmd::PortRange => {
                let mut port = |what: &str| -> PResult<u16> {
                    let t = self.require(what, "a port number from 1 to 65535")?;
                    t.text.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(|| {
                        self.err(t.col, format!("bad port `{}`: expected a port number from 1 to 65535", t.text))
                    })
                };
                let lo = port("first port")?;
                let hi = port("last port")?;
                if hi < lo {
                    return Err(self.err(self.end_col(), format!("the range {lo} {hi} is empty: expected LO <= HI")));
                }
                self.call(Call::PortRange { lo, hi })
            }
            Cmd::Firewall => {
                let t = self.require("firewall action", "drop IP or clear")?;
                match t.text.to_ascii_lowercase().as_str() {
                    "clear" => self.call(Call::Firewall { drop: None }),
                    "drop" => {
                        let a = self.require("address", "an IP address like 127.0.0.2")?;
                        let ip = a.text.parse::<std::net::IpAddr>().map_err(|_| {
                            self.err(a.col, format!("bad address `{}`: expected an IP address like 127.0.0.2", a.text))
                        })?;
                        self.call(Call::Firewall { drop: Some(ip) })
                    }
                    _ => {
                        Err(self.err(t.col, format!("unknown firewall action `{}`: expected drop IP or clear", t.text)))
                    }
                }
            }
            Cmd::Pipe => {
                self.take_word(&["as"])
                    .ok_or_else(|| self.err(self.end_col(), "missing `as NAME`: expected `pipe as NAME`"))?;
                let t = self.require("name after `as`", "a new name like p")?;
                let name = self.new_name(&t)?;
                self.end()?;
                Ok((StmtKind::Call(Call::Pipe { name: name.clone() }), Some(name)))
            }
            Cmd::Ioctlsocket => {
                let sock = self.sock()?;
                let t = self.require("ioctl command", "FIONBIO")?;
                if !t.text.eq_ignore_ascii_case("FIONBIO") {
                    return Err(self.err(t.col, format!("unsupported ioctl `{}`: expected FIONBIO", t.text)));
                }
                let v = self.require("FIONBIO value", "1 (nonblocking) or 0 (blocking)")?;
                let on = self.switch(&v)?;
                self.call(Call::Fionbio { sock, on })
            }
            Cmd::Nonblock => {
                let sock = self.sock()?;
                let on = match self.next_tok() {
                    None => true,
                    Some(v) => self.switch(&v)?,
                };
                self.call(Call::Fionbio { sock, on })
            }
            Cmd::Fionbio => {
                let sock = self.sock()?;
                let v = self.require("FIONBIO value", "1 (nonblocking) or 0 (blocking)")?;
                let on = self.switch(&v)?;
                self.call(Call::Fionbio { sock, on })
            }
            Cmd::SetSockOpt => {
                let sock = self.sock()?;
                let opt = self.sockopt()?;
                if self.optval_null()? {
                    // args2: `optval=null optlen=N`, a NULL optval with a length of the script's.
                    let arg = match self.optlen()? {
                        Some(n) => OptNullArg::OptvalLen(n),
                        None => OptNullArg::Optval,
                    };
                    return self.call(Call::OptNull { sock, opt, set: true, arg });
                }
                if let Some(t) = self.peek().cloned().filter(|_| self.null_key("optlen")) {
                    return Err(self.err(
                        t.col,
                        "setsockopt's optlen is a number, not a pointer: write optlen=N, or optval=null optlen=N for a NULL optval",
                    ));
                }
                let value = match self.peek().cloned() {
                    Some(v) if v.key_value().is_none() && opt == SockOpt::SO_LINGER && v.text.contains(',') => {
                        self.next_tok();
                        self.linger_value(&v)?
                    }
                    Some(v) if v.key_value().is_none() => {
                        self.next_tok();
                        self.opt_value(&v)?
                    }
                    _ => 1,
                };
                let optlen = self.optlen()?;
                self.call(Call::SetSockOpt { sock, opt, value, optlen })
            }
            Cmd::GetSockOpt => {
                let sock = self.sock()?;
                let opt = self.sockopt()?;
                if self.optval_null()? {
                    return self.call(Call::OptNull { sock, opt, set: false, arg: OptNullArg::Optval });
                }
                // args2: `optlen=null`, a NULL optlen pointer.
                if self.null_key("optlen") {
                    self.next_tok();
                    return self.call(Call::OptNull { sock, opt, set: false, arg: OptNullArg::Optlen });
                }
                let optlen = self.optlen()?;
                self.call(Call::GetSockOpt { sock, opt, optlen })
            }
            Cmd::Bind => {
                let sock = self.sock()?;
                let mut addr = self.addr()?;
                let o = self.connect_opts(&[("namelen", true)], "namelen=N")?;
                addr.len = o.namelen;
                self.call(Call::Bind { sock, addr })
            }
            Cmd::Listen => {
                let sock = self.sock()?;
                let backlog = match self.next_tok() {
                    None => 5,
                    Some(t) => t.text.parse::<i32>().map_err(|_| {
                        self.err(t.col, format!("bad backlog `{}`: expected an integer like 5", t.text))
                    })?,
                };
                self.call(Call::Listen { sock, backlog })
            }
            Cmd::Accept => {
                let sock = self.sock()?;
                let name = match self.take_word(&["as"]) {
                    Some(_) => {
                        let t = self.require("name after `as`", "a new socket name like c1")?;
                        self.new_name(&t)?
                    }
                    None => self.names.next_accept_name(),
                };
                self.end()?;
                Ok((StmtKind::Call(Call::Accept { sock, name: name.clone(), cond: None }), Some(name)))
            }
            Cmd::WsaAccept => {
                let sock = self.sock()?;
                let mut cond = AcceptCond::Null;
                if let Some(t) = self.peek().cloned() {
                    if let Some((k, v, c)) = t.key_value() {
                        if !k.eq_ignore_ascii_case("cf") {
                            return Err(self.err(
                                t.col,
                                format!("unexpected `{}`: expected cf=accept|reject|defer or `as NAME`", t.text),
                            ));
                        }
                        self.pos += 1;
                        cond = match v.to_ascii_lowercase().trim_start_matches("cf_") {
                            "accept" => AcceptCond::Accept,
                            "reject" => AcceptCond::Reject,
                            "defer" => AcceptCond::Defer,
                            _ => {
                                return Err(
                                    self.err(c, format!("unknown condition `{v}`: expected accept, reject or defer"))
                                );
                            }
                        };
                    }
                }
                let name = match self.take_word(&["as"]) {
                    Some(_) => {
                        let t = self.require("name after `as`", "a new socket name like c1")?;
                        self.new_name(&t)?
                    }
                    None => self.names.next_accept_name(),
                };
                self.end()?;
                Ok((StmtKind::Call(Call::Accept { sock, name: name.clone(), cond: Some(cond) }), Some(name)))
            }
            Cmd::GetAcceptExSockaddrs => {
                let sock = self.sock()?;
                self.call(Call::GetAcceptExSockaddrs { sock })
            }
            Cmd::CancelIo | Cmd::CancelIoEx => {
                let sock = self.sock()?;
                self.call(Call::CancelIo { sock, ex: info.cmd == Cmd::CancelIoEx })
            }
            Cmd::Connect => {
                let sock = self.sock()?;
                let mut addr = self.addr()?;
                let o = self.connect_opts(&[("namelen", true)], "namelen=N")?;
                addr.len = o.namelen;
                self.call(Call::Connect { sock, addr, api: ConnectApi::Connect })
            }
            Cmd::WsaConnect => {
                let sock = self.sock()?;
                let mut addr = self.addr()?;
                let o = self.connect_opts(
                    &[("namelen", true), ("data", true), ("callee", true), ("sqos", false), ("gqos", false)],
                    "namelen=N, data=TEXT, callee=N, sqos or gqos",
                )?;
                addr.len = o.namelen;
                let api = ConnectApi::WsaConnect { caller_data: o.data, sqos: o.sqos, gqos: o.gqos, callee: o.callee };
                self.call(Call::Connect { sock, addr, api })
            }
            Cmd::ConnectEx => {
                let sock = self.sock()?;
                let mut addr = self.addr()?;
                let o = self.connect_opts(
                    &[("namelen", true), ("send", true), ("overlapped", true)],
                    "namelen=N, send=TEXT or overlapped=NULL",
                )?;
                addr.len = o.namelen;
                let api = ConnectApi::ConnectEx { send: o.send, null_overlapped: o.null_overlapped };
                self.call(Call::Connect { sock, addr, api })
            }
            Cmd::Select => self.select(),
            Cmd::WsaPoll => self.poll(false),
            Cmd::Epoll => self.poll(true),
            Cmd::WsaEventSelect | Cmd::WsaAsyncSelect => {
                let sock = self.sock()?;
                let t = self.require("events", "events like FD_CONNECT|FD_WRITE, connect,write or 0")?;
                let events = self.events(&t.text, t.col)?;
                if info.cmd == Cmd::WsaEventSelect {
                    self.call(Call::WsaEventSelect { sock, events })
                } else {
                    self.call(Call::WsaAsyncSelect { sock, events })
                }
            }
            Cmd::WsaEnumNetworkEvents => {
                let sock = self.sock()?;
                self.call(Call::WsaEnumNetworkEvents { sock })
            }
            Cmd::GetSockName | Cmd::GetPeerName => {
                let sock = self.sock()?;
                let peer = info.cmd == Cmd::GetPeerName;
                // winapi-args: `name=null`, a NULL name pointer.
                if let Some(t) = self.peek().cloned() {
                    if let Some((k, v, c)) = t.key_value().filter(|(k, _, _)| k.eq_ignore_ascii_case("name")) {
                        let _ = k;
                        if !v.eq_ignore_ascii_case("null") {
                            return Err(
                                self.err(c, format!("bad name `{v}`: only name=null (a NULL pointer) is written here"))
                            );
                        }
                        self.next_tok();
                        return self.call(Call::NameNull { sock, peer, len: false });
                    }
                }
                // args2: `namelen=null`, a NULL namelen pointer.
                if self.null_key("namelen") {
                    self.next_tok();
                    return self.call(Call::NameNull { sock, peer, len: true });
                }
                let namelen = self.namelen_opt()?;
                if peer {
                    self.call(Call::GetPeerName { sock, namelen })
                } else {
                    self.call(Call::GetSockName { sock, namelen })
                }
            }
            Cmd::Send => {
                let sock = self.sock()?;
                let data = self.require("data", "text like hello or \"hello world\\n\"")?;
                self.call(Call::Send { sock, data: data.text.into_owned().into_bytes() })
            }
            Cmd::SendTo => {
                let sock = self.sock()?;
                let addr = self.addr()?;
                let data = self.require("data", "text like hello or \"hello world\\n\"")?;
                self.call(Call::SendTo { sock, addr, data: data.text.into_owned().into_bytes() })
            }
            Cmd::Recv => {
                let sock = self.sock()?;
                self.call(Call::Recv { sock })
            }
            Cmd::RecvFrom => {
                let sock = self.sock()?;
                self.call(Call::RecvFrom { sock })
            }
            Cmd::Shutdown => {
                let sock = self.sock()?;
                let t = self.require("direction", "send, receive or both")?;
                let how = match t.text.to_ascii_lowercase().as_str() {
                    "send" | "wr" | "write" | "sd_send" | "shut_wr" | "1" => How::Write,
                    "receive" | "recv" | "rd" | "read" | "sd_receive" | "shut_rd" | "0" => How::Read,
                    "both" | "rdwr" | "sd_both" | "shut_rdwr" | "2" => How::Both,
                    _ => {
                        return Err(
                            self.err(t.col, format!("unknown direction `{}`: expected send, receive or both", t.text))
                        );
                    }
                };
                self.call(Call::Shutdown { sock, how })
            }
            Cmd::CloseSocket => {
                let sock = self.sock()?;
                self.call(Call::Close { sock })
            }
            Cmd::Wait => self.wait(),
            Cmd::Expect => self.expect(),
            Cmd::Mark => self.mark(),
            Cmd::Overlapped | Cmd::GetOverlappedResult | Cmd::WsaGetOverlappedResult => self.overlapped(info.cmd),
            Cmd::CreateIoCompletionPort | Cmd::GetQueuedCompletionStatus => self.completion_port(info.cmd),
            Cmd::GetQueuedCompletionStatusEx => self.dequeue_ex(),
            Cmd::PostQueuedCompletionStatus => self.post_packet(),
            Cmd::CloseHandle => {
                let handle = self.sock()?;
                self.call(Call::CloseHandle { handle })
            }
            Cmd::WsaRecv => {
                let sock = self.sock()?;
                let ov = self.ov_opt()?;
                let routine = self.take_word(&["routine"]).is_some();
                let bufs = self.bufs_opt()?;
                self.call_with_ov(Call::WsaRecv { sock, ov: ov.clone(), routine, bufs }, ov)
            }
            Cmd::WsaSend => {
                let sock = self.sock()?;
                let data = self.require("data", "text like hello or \"hello world\\n\"")?;
                let data = data.text.into_owned().into_bytes();
                let o = self.wsa_io_opts(Some(data.len()), false, false)?;
                let ov = o.ov.clone();
                self.call_with_ov(Call::WsaSend { sock, data, ov: o.ov, routine: o.routine, bufs: o.bufs }, ov)
            }
            // ---- wsaio3 ----
            Cmd::WsaSendTo => {
                let sock = self.sock()?;
                let addr = self.addr()?;
                let data = self.require("data", "text like hello or \"hello world\\n\"")?;
                let data = data.text.into_owned().into_bytes();
                let o = self.wsa_io_opts(Some(data.len()), true, true)?;
                let ov = o.ov.clone();
                let call = Call::WsaSendTo {
                    sock,
                    addr,
                    data,
                    bufs: o.bufs,
                    null_overlapped: o.null_overlapped,
                    ov: o.ov,
                    routine: o.routine,
                    null_bytes: o.null_bytes,
                };
                self.call_with_ov(call, ov)
            }
            Cmd::WsaRecvFrom => {
                let sock = self.sock()?;
                let o = self.wsa_io_opts(None, true, false)?;
                let ov = o.ov.clone();
                let call = Call::WsaRecvFrom {
                    sock,
                    bufs: o.bufs,
                    null_overlapped: o.null_overlapped,
                    ov: o.ov,
                    routine: o.routine,
                };
                self.call_with_ov(call, ov)
            }
            Cmd::SleepEx => {
                let t = self.require("milliseconds", "a time in milliseconds, like 1000")?;
                let ms = t.text.parse::<u64>().ok().filter(|&m| m <= 4_294_967_294).ok_or_else(|| {
                    self.err(t.col, format!("bad time `{}`: expected milliseconds from 0 to 4294967294", t.text))
                })?;
                let alertable = self.take_word(&["alertable"]).is_some();
                self.call(Call::SleepEx { ms, alertable })
            }
            Cmd::AcceptEx => {
                let listener = self.sock()?;
                let sock = self.sock()?;
                let o = self.connect_opts(
                    &[("recv", true), ("local", true), ("remote", true), ("overlapped", true), ("buffer", true)],
                    "recv=N, local=N, remote=N, overlapped=NULL or buffer=NULL",
                )?;
                self.call(Call::AcceptEx {
                    listener,
                    sock,
                    null_overlapped: o.null_overlapped,
                    recv: o.recv.unwrap_or(0),
                    local: o.local,
                    remote: o.remote,
                    null_buffer: o.null_buffer,
                })
            }
            Cmd::DisconnectEx => {
                let sock = self.sock()?;
                let reuse = self.take_word(&["reuse", "TF_REUSE_SOCKET"]).is_some();
                let o = self.connect_opts(&[("overlapped", true)], "reuse or overlapped=NULL")?;
                self.call(Call::DisconnectEx { sock, reuse, null_overlapped: o.null_overlapped })
            }
        }
    }

    // ----- winapi-ov: OVERLAPPED and completion ports ----------------------------------------

    fn overlapped(&mut self, cmd: Cmd) -> PResult<(StmtKind, Option<String>)> {
        let sock = self.sock()?;
        if cmd == Cmd::Overlapped {
            let mut set = None;
            if let Some(t) = self.peek().cloned() {
                match t.key_value() {
                    Some((k, v, c)) if k.eq_ignore_ascii_case("set") => {
                        self.pos += 1;
                        let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                            Some(h) => u64::from_str_radix(h, 16).ok(),
                            None => v.parse::<u64>().ok(),
                        };
                        set = Some(n.ok_or_else(|| {
                            self.err(c, format!("bad value `{v}`: expected a number like 0xdeadbeef or 0"))
                        })?);
                    }
                    _ => return Err(self.err(t.col, format!("unexpected `{}`: expected set=N", t.text))),
                }
            }
            return self.call(Call::Overlapped { sock, set });
        }
        let wait = self.take_word(&["wait"]).is_some();
        let ov = self.ov_opt()?;
        let call = Call::GetOverlappedResult { sock, wait, wsa: cmd == Cmd::WsaGetOverlappedResult, ov: ov.clone() };
        self.call_with_ov(call, ov)
    }

    /// `ov=NAME` (iocp2): the OVERLAPPED a call is given, named by the script; a name not seen
    /// before is defined by it (so `overlapped NAME` can read it). Socket names are allowed:
    /// `ov=s` is socket s's own OVERLAPPED.
    fn ov_opt(&mut self) -> PResult<Option<String>> {
        let Some(t) = self.peek().cloned() else { return Ok(None) };
        match t.key_value() {
            Some((k, v, c)) if k.eq_ignore_ascii_case("ov") => {
                self.pos += 1;
                if !is_valid_name(v) {
                    return Err(self.err(c, format!("bad OVERLAPPED name `{v}`: expected a name like r1")));
                }
                Ok(Some(v.to_string()))
            }
            _ => Ok(None),
        }
    }

    /// `bufs=N,M,...` (iocp2): the lengths of a WSARecv's WSABUF array, 1 to 16 buffers of 1 to
    /// 65536 bytes.
    fn bufs_opt(&mut self) -> PResult<Option<Vec<u32>>> {
        let Some(t) = self.peek().cloned() else { return Ok(None) };
        match t.key_value() {
            Some((k, v, c)) if k.eq_ignore_ascii_case("bufs") => {
                self.pos += 1;
                let lens: Option<Vec<u32>> =
                    v.split(',').map(|n| n.parse::<u32>().ok().filter(|n| (1..=65536).contains(n))).collect();
                match lens {
                    Some(l) if (1..=16).contains(&l.len()) => Ok(Some(l)),
                    _ => Err(self.err(
                        c,
                        format!("bad buffer lengths `{v}`: expected 1 to 16 lengths from 1 to 65536, like 4,5"),
                    )),
                }
            }
            _ => Ok(None),
        }
    }

    /// wsaio3: the options of wsasend, wsasendto and wsarecvfrom, in any order: `ov=OV`,
    /// `routine`, `bufs=N,M` (for a send, `sent` is the data's length and the buffers cut it, so
    /// they must add up to it), `overlapped=NULL` (not for wsasend, which is overlapped only) and,
    /// with `bytes`, `bytes=NULL`.
    fn wsa_io_opts(&mut self, sent: Option<usize>, plain: bool, bytes: bool) -> PResult<WsaIoOpts> {
        let mut expected = vec!["ov=OV", "routine", "bufs=N,M"];
        if plain {
            expected.insert(0, "overlapped=NULL");
        }
        if bytes {
            expected.push("bytes=NULL");
        }
        let expected = expected.join(", ");
        let mut o = WsaIoOpts::default();
        let mut seen: Vec<String> = Vec::new();
        let mut plain_col = 0;
        while let Some(t) = self.peek().cloned() {
            let key = t.key_value().map_or_else(|| t.text.to_ascii_lowercase(), |(k, _, _)| k.to_ascii_lowercase());
            if seen.contains(&key) {
                return Err(self.err(t.col, format!("`{key}` given twice: expected it at most once")));
            }
            match key.as_str() {
                "ov" => o.ov = self.ov_opt()?,
                "bufs" => {
                    let col = t.col;
                    o.bufs = self.bufs_opt()?;
                    if let (Some(n), Some(b)) = (sent, &o.bufs) {
                        let sum: usize = b.iter().map(|&l| l as usize).sum();
                        if sum != n {
                            return Err(self.err(
                                col,
                                format!("buffer lengths add up to {sum} but the data has {n} byte(s): expected lengths that cut the data, like bufs=4,5 for deadbeefs"),
                            ));
                        }
                    }
                }
                "routine" if t.key_value().is_none() => {
                    self.pos += 1;
                    o.routine = true;
                }
                "overlapped" | "bytes" if (key == "overlapped" && plain) || (key == "bytes" && bytes) => {
                    let (_, v, c) = t
                        .key_value()
                        .ok_or_else(|| self.err(t.col, format!("missing value of `{key}`: expected {key}=NULL")))?;
                    if !v.eq_ignore_ascii_case("null") {
                        return Err(self.err(c, format!("bad {key} `{v}`: expected {key}=NULL")));
                    }
                    self.pos += 1;
                    if key == "overlapped" {
                        o.null_overlapped = true;
                        plain_col = t.col;
                    } else {
                        o.null_bytes = true;
                    }
                }
                _ => return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text))),
            }
            seen.push(key);
        }
        if o.null_overlapped && (o.ov.is_some() || o.routine) {
            return Err(self.err(
                plain_col,
                "overlapped=NULL makes a plain call: it takes no ov= or routine (drop one or the other)",
            ));
        }
        Ok(o)
    }

    /// A call that may name a new OVERLAPPED: the name is defined with it.
    fn call_with_ov(&self, call: Call, ov: Option<String>) -> PResult<(StmtKind, Option<String>)> {
        self.end()?;
        Ok((StmtKind::Call(call), ov.filter(|n| !self.names.contains(n))))
    }

    /// wsaio3: `getqueuedcompletionstatusex PORT [count=N] [timeout=MS|inf] [alertable]`, the
    /// options in any order.
    fn dequeue_ex(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let port = self.sock()?;
        let (mut count, mut timeout, mut alertable) = (None, None, false);
        while let Some(t) = self.next_tok() {
            match t.key_value() {
                Some((k, v, c)) if k.eq_ignore_ascii_case("count") && count.is_none() => {
                    let n = v.parse::<u32>().ok().filter(|n| (1..=64).contains(n)).ok_or_else(|| {
                        self.err(c, format!("bad count `{v}`: expected the number of entries, 1 to 64"))
                    })?;
                    count = Some(n);
                }
                Some((k, v, c)) if k.eq_ignore_ascii_case("timeout") && timeout.is_none() => {
                    timeout = Some(self.timeout(v, c)?);
                }
                None if t.text.eq_ignore_ascii_case("alertable") && !alertable => alertable = true,
                _ => {
                    return Err(self.err(
                        t.col,
                        format!("unexpected `{}`: expected count=N, timeout=MS or alertable (each once)", t.text),
                    ));
                }
            }
        }
        self.call(Call::GetQueuedCompletionStatusEx {
            port,
            count: count.unwrap_or(16),
            timeout: timeout.flatten(),
            alertable,
        })
    }

    fn completion_port(&mut self, cmd: Cmd) -> PResult<(StmtKind, Option<String>)> {
        if cmd == Cmd::GetQueuedCompletionStatus {
            let port = self.sock()?;
            let mut timeout = None;
            if let Some(t) = self.peek().cloned() {
                match t.key_value() {
                    Some((k, v, c)) if k.eq_ignore_ascii_case("timeout") => {
                        self.pos += 1;
                        timeout = self.timeout(v, c)?;
                    }
                    _ => return Err(self.err(t.col, format!("unexpected `{}`: expected timeout=MS", t.text))),
                }
            }
            return self.call(Call::GetQueuedCompletionStatus { port, timeout });
        }
        if self.take_word(&["as"]).is_some() {
            let t = self.require("name after `as`", "a new name like port")?;
            let name = self.new_name(&t)?;
            self.end()?;
            return Ok((StmtKind::Call(Call::CreateIoCompletionPort { name: name.clone() }), Some(name)));
        }
        let sock = self.sock()?;
        let port = self.sock()?;
        let mut key = 0;
        if let Some(t) = self.peek().cloned() {
            match t.key_value() {
                Some((k, v, c)) if k.eq_ignore_ascii_case("key") => {
                    self.pos += 1;
                    key = v
                        .parse::<u64>()
                        .map_err(|_| self.err(c, format!("bad key `{v}`: expected a number like 125")))?;
                }
                _ => return Err(self.err(t.col, format!("unexpected `{}`: expected key=N", t.text))),
            }
        }
        self.call(Call::AssociatePort { sock, port, key })
    }

    /// `postqueuedcompletionstatus PORT [key=N] [bytes=N] [ov=NAME|ov=NULL]` (iocp2).
    fn post_packet(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let port = self.sock()?;
        let (mut key, mut bytes, mut overlapped) = (0u64, 0u32, None);
        while let Some(t) = self.peek().cloned() {
            let Some((k, v, c)) = t.key_value() else {
                return Err(self.err(t.col, format!("unexpected `{}`: expected key=N, bytes=N or ov=NAME", t.text)));
            };
            let k = k.to_ascii_lowercase();
            self.pos += 1;
            match k.as_str() {
                "key" => {
                    key = v.parse().map_err(|_| self.err(c, format!("bad key `{v}`: expected a number like 456")))?;
                }
                "bytes" => {
                    bytes = v.parse().map_err(|_| {
                        self.err(c, format!("bad byte count `{v}`: expected a number from 0 to 4294967295"))
                    })?;
                }
                "ov" | "overlapped" if v.eq_ignore_ascii_case("null") => overlapped = None,
                "ov" | "overlapped" if is_valid_name(v) => overlapped = Some(v.to_string()),
                "ov" | "overlapped" => {
                    return Err(self.err(c, format!("bad OVERLAPPED name `{v}`: expected a name like r1 or NULL")));
                }
                _ => {
                    return Err(self.err(t.col, format!("unexpected `{}`: expected key=N, bytes=N or ov=NAME", t.text)));
                }
            }
        }
        let ov = overlapped.clone();
        self.call_with_ov(Call::PostQueuedCompletionStatus { port, key, bytes, overlapped }, ov)
    }

    /// `mark LABEL`: the label is the rest of the line, its words joined by one space.
    fn mark(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let first = self.require("label", "a label for the marker, like `mark refused`")?;
        let mut words = vec![first.text.into_owned()];
        while let Some(t) = self.next_tok() {
            words.push(t.text.into_owned());
        }
        Ok((StmtKind::Mark(words.join(" ")), None))
    }

    // ----- socket names ----------------------------------------------------------------------

    /// "one of s, c" or a note that nothing is defined yet.
    fn known_list(&self) -> String {
        if self.names.is_empty() {
            return "no socket is defined yet".to_string();
        }
        let shown: Vec<&str> = self.names.iter().take(12).collect();
        let more = if self.names.len() > shown.len() { ", ..." } else { "" };
        format!("one of {}{more}", shown.join(", "))
    }

    /// A defined socket name, or `#N`.
    fn sock(&mut self) -> PResult<SockRef> {
        let t = self.require_lazy("socket", |p| format!("a socket name ({}) or #N", p.known_list()))?;
        self.sock_ref(&t.text, t.col)
    }

    fn sock_ref(&self, text: &str, col: usize) -> PResult<SockRef> {
        if let Some(raw) = text.strip_prefix('#') {
            return raw
                .parse::<i64>()
                .map(SockRef::Raw)
                .map_err(|_| self.err(col, format!("bad descriptor `{text}`: expected #N with N an integer")));
        }
        self.defined_name(text, col).map(SockRef::Name)
    }

    /// A defined socket name (no `#N`).
    fn defined_name(&self, text: &str, col: usize) -> PResult<String> {
        if !is_valid_name(text) {
            return Err(self.err(col, format!("expected a socket name ({}) or #N, found `{text}`", self.known_list())));
        }
        if !self.names.contains(text) {
            let message = if self.names.is_empty() {
                format!("unknown socket `{text}`: no socket is defined yet (create it with `socket tcp as {text}`)")
            } else {
                format!(
                    "unknown socket `{text}`: expected {} (or create it with `socket tcp as {text}`)",
                    self.known_list()
                )
            };
            return Err(self.err(col, message));
        }
        Ok(text.to_string())
    }

    /// The next token as a defined socket name (for `wait` and `expect`, which name sockets
    /// only by name).
    fn name_arg(&mut self) -> PResult<String> {
        let t = self.require_lazy("socket", |p| format!("a socket name ({})", p.known_list()))?;
        if t.text.starts_with('#') {
            return Err(self.err(t.col, format!("expected a socket name ({}), not a descriptor", self.known_list())));
        }
        self.defined_name(&t.text, t.col)
    }

    /// A name being defined: valid and not yet taken.
    fn new_name(&self, t: &Tok) -> PResult<String> {
        if !is_valid_name(&t.text) {
            return Err(self.err(
                t.col,
                format!(
                    "`{}` is not a valid socket name: expected a letter or _ followed by letters, digits, _ or -",
                    t.text
                ),
            ));
        }
        if self.names.contains(&t.text) {
            return Err(self.err(t.col, format!("socket name `{}` is already in use: choose another name", t.text)));
        }
        Ok(t.text.to_string())
    }

    /// `a,b,#5` (empty: no socket).
    fn sock_list(&self, text: &str, col: usize) -> PResult<Vec<SockRef>> {
        list_pieces(text, col)
            .into_iter()
            .map(|(piece, c)| {
                if piece.is_empty() {
                    Err(self.err(c, "empty socket name in list: expected NAME,NAME"))
                } else {
                    self.sock_ref(piece, c)
                }
            })
            .collect()
    }

    /// Like [`Self::sock_list`], for `expect select`, which names sockets as text.
    fn name_list(&self, text: &str, col: usize) -> PResult<Vec<String>> {
        self.sock_list(text, col).map(|v| v.iter().map(ToString::to_string).collect())
    }

    // ----- simple values ---------------------------------------------------------------------

    fn version(&self, t: &Tok) -> PResult<(u8, u8)> {
        let bad = || self.err(t.col, format!("bad version `{}`: expected a version like 2.2 or 1.1", t.text));
        let (major, minor) = t.text.split_once('.').unwrap_or((&t.text, "0"));
        let major = major.parse::<u8>().map_err(|_| bad())?;
        let minor = minor.parse::<u8>().map_err(|_| bad())?;
        Ok((major, minor))
    }

    /// `1|0|on|off|true|false`.
    fn switch(&self, t: &Tok) -> PResult<bool> {
        match lower(&t.text).as_str() {
            "1" | "on" | "true" => Ok(true),
            "0" | "off" | "false" => Ok(false),
            _ => Err(self.err(t.col, format!("bad switch `{}`: expected 1 or 0 (on or off)", t.text))),
        }
    }

    fn sockopt(&mut self) -> PResult<SockOpt> {
        let all: Vec<&str> = SockOpt::ALL.iter().map(|o| o.name()).collect();
        let t = self.require("option", &format!("one of {}", all.join(", ")))?;
        SockOpt::from_name(&t.text).ok_or_else(|| {
            let hint =
                closest(&t.text, all.iter().copied()).map(|c| format!("did you mean `{c}`? ")).unwrap_or_default();
            self.err(t.col, format!("unknown option `{}`: {hint}expected one of {}", t.text, all.join(", ")))
        })
    }

    /// SO_LINGER written as the structure, `ONOFF,SECONDS`: `1,0` is the abortive close
    /// ([`LINGER_ABORT`]), `1,N` the same as `N`, `0,N` linger off.
    fn linger_value(&self, t: &Tok) -> PResult<i64> {
        let (on, secs) = t.text.split_once(',').unwrap_or((&t.text, ""));
        let bad = || {
            self.err(
                t.col,
                format!("bad SO_LINGER value `{}`: expected ONOFF,SECONDS (e.g. 1,0 for an abortive close)", t.text),
            )
        };
        let on = match on.to_ascii_lowercase().as_str() {
            "on" | "true" => true,
            "off" | "false" => false,
            n => n.parse::<u16>().map_err(|_| bad())? != 0,
        };
        let secs = secs.parse::<u16>().map_err(|_| bad())?;
        Ok(match (on, secs) {
            (false, _) => 0,
            (true, 0) => LINGER_ABORT,
            (true, n) => i64::from(n),
        })
    }

    fn opt_value(&self, t: &Tok) -> PResult<i64> {
        let out_of_range = || {
            self.err(
                t.col,
                format!(
                    "option value `{}` is out of range: socket options take a C int, from {} to {}",
                    t.text,
                    i32::MIN,
                    i32::MAX
                ),
            )
        };
        match t.text.to_ascii_lowercase().as_str() {
            "on" | "true" => Ok(1),
            "off" | "false" => Ok(0),
            s => match s.parse::<i64>() {
                Ok(v) if i32::try_from(v).is_ok() => Ok(v),
                Ok(_) => Err(out_of_range()),
                // Digits too many for an i64 are out of range too, not a bad word.
                Err(_) if s.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) && s.len() > 1 => {
                    Err(out_of_range())
                }
                Err(_) => Err(self
                    .err(t.col, format!("bad option value `{}`: expected an integer, on, off, true or false", t.text))),
            },
        }
    }

    /// A duration of at most [`MAX_DURATION_MS`]; `what` names it in the error (`duration`,
    /// `timeout`), `or` adds other accepted words.
    fn duration(&self, text: &str, col: usize, what: &str, or: &str) -> PResult<Duration> {
        let d = parse_duration(text)
            .ok_or_else(|| self.err(col, format!("bad {what} `{text}`: expected {DURATION_EXPECTED}{or}")))?;
        if d.as_millis() > u128::from(MAX_DURATION_MS) {
            return Err(self.err(
                col,
                format!(
                    "{what} `{text}` is too long: at most {MAX_DURATION_MS} ms (about 24.8 days, the longest poll and WSAPoll can wait){or}"
                ),
            ));
        }
        Ok(d)
    }

    fn timeout(&self, text: &str, col: usize) -> PResult<Option<Duration>> {
        if ["inf", "infinite", "none"].iter().any(|w| w.eq_ignore_ascii_case(text)) {
            return Ok(None);
        }
        self.duration(text, col, "timeout", ", or inf").map(Some)
    }

    /// `FD_CONNECT|FD_WRITE`, `connect,write`, `0`.
    fn events(&self, text: &str, col: usize) -> PResult<FdEvents> {
        if text == "0" {
            return Ok(FdEvents::empty());
        }
        let names: Vec<&str> = FdEvents::NAMES.iter().map(|(n, _)| *n).collect();
        let mut events = FdEvents::empty();
        let mut off = 0;
        for piece in text.split(['|', ',']) {
            let c = col + off;
            off += piece.chars().count() + 1;
            if piece.is_empty() {
                return Err(self.err(c, format!("missing event name: expected one of {}", names.join(", "))));
            }
            if piece.eq_ignore_ascii_case("FD_ALL_EVENTS") || piece.eq_ignore_ascii_case("all") {
                events |= FdEvents(FD_ALL);
                continue;
            }
            let Some(e) = FdEvents::from_name(piece) else {
                let upper = piece.to_ascii_uppercase();
                let full = if upper.starts_with("FD_") { upper } else { format!("FD_{upper}") };
                let hint =
                    closest(&full, names.iter().copied()).map(|h| format!("did you mean `{h}`? ")).unwrap_or_default();
                return Err(self.err(
                    c,
                    format!(
                        "unknown event `{piece}`: {hint}expected one of {} (joined with | or ,), or 0",
                        names.join(", ")
                    ),
                ));
            };
            events |= e;
        }
        Ok(events)
    }

    /// An error code by name (any case) or number.
    fn code(&self, text: &str, col: usize) -> PResult<Code> {
        if let Some(c) = Code::from_name(text) {
            return Ok(c);
        }
        if let Some(c) = Code::ALL.iter().copied().find(|c| c.name().eq_ignore_ascii_case(text)) {
            return Ok(c);
        }
        if let Ok(n) = text.parse::<i64>() {
            let found: Vec<Code> = Code::ALL.iter().copied().filter(|c| i64::from(c.number()) == n).collect();
            return match found.as_slice() {
                [c] => Ok(*c),
                [] if n == 0 => {
                    Err(self.err(col, "0 is not an error code: expected `expect ok`, or a code like WSAECONNREFUSED"))
                }
                [] => Err(self.err(col, format!("unknown error number {n}: expected {CODE_EXPECTED}"))),
                several => {
                    let names: Vec<&str> = several.iter().map(|c| c.name()).collect();
                    Err(self
                        .err(col, format!("error number {n} is ambiguous: write its name ({})", names.join(" or "))))
                }
            };
        }
        let hint = closest(text, Code::ALL.iter().map(|c| c.name()))
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        Err(self.err(col, format!("unknown error code `{text}`: {hint}expected {CODE_EXPECTED}")))
    }

    /// `error=CODE` / `error=0` value.
    fn error_opt(&self, text: &str, col: usize) -> PResult<Option<Code>> {
        if text == "0" { Ok(None) } else { self.code(text, col).map(Some) }
    }

    // ----- addresses -------------------------------------------------------------------------

    fn addr(&mut self) -> PResult<SockAddrArg> {
        let t = self.require("address", ADDR_EXPECTED)?;
        let kind = self.addr_kind(&t.text, t.col)?;
        Ok(SockAddrArg { kind, len: None })
    }

    fn addr_kind(&self, text: &str, col: usize) -> PResult<AddrKind> {
        if text.starts_with('@') {
            return NamedTarget::from_name(text).map(AddrKind::Target).ok_or_else(|| {
                let all: Vec<String> = NamedTarget::ALL.iter().map(ToString::to_string).collect();
                let hint = closest(text, all.iter().map(String::as_str))
                    .map(|h| format!("did you mean `{h}`? "))
                    .unwrap_or_default();
                self.err(col, format!("unknown target `{text}`: {hint}expected one of {}", all.join(", ")))
            });
        }
        match lower(text).as_str() {
            "af_unspec" | "unspec" => return Ok(AddrKind::Unspec),
            "null" => return Ok(AddrKind::Null),
            _ => {}
        }
        // ---- winapi-args: an address family number ----
        if let Some(n) = text.strip_prefix("af=").or_else(|| text.strip_prefix("AF=")) {
            return match n.parse::<u16>() {
                Ok(v) if v >= 64 => Ok(AddrKind::Family(v)),
                _ => Err(self.err(
                    col + 3,
                    format!(
                        "bad address family `{n}`: af=N takes a number from 64 to 65535, one no system implements \
                         (the families below 64 are real ones socklab does not model; write an address for AF_INET/AF_INET6)"
                    ),
                )),
            };
        }
        if let Some(inner) = text.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return Err(self.err(col, format!("missing `]` in `{text}`: expected an address like [::1]:80")));
            };
            let host = &inner[..close];
            let rest = &inner[close + 1..];
            let (ip_text, scope) = match host.split_once('%') {
                Some((ip, scope)) => (ip, Some(scope)),
                None => (host, None),
            };
            let ip: Ipv6Addr = ip_text
                .parse()
                .map_err(|_| self.err(col + 1, format!("`{host}` is not an IPv6 address: expected {ADDR_EXPECTED}")))?;
            let scope_id = match scope {
                None => 0,
                Some(s) => s.parse::<u32>().map_err(|_| {
                    self.err(col + 1, format!("bad scope id `{s}` in `{host}`: expected a number like [fe80::1%2]:80"))
                })?,
            };
            let rest_col = col + 1 + host.chars().count() + 1;
            let Some(port_text) = rest.strip_prefix(':') else {
                if rest.is_empty() {
                    return Err(self.err(col, format!("address `{text}` has no port: expected {ADDR_EXPECTED}")));
                }
                return Err(self.err(rest_col, format!("unexpected `{rest}` after `]`: expected `:PORT`")));
            };
            let port = self.port(port_text, rest_col + 1)?;
            return Ok(AddrKind::Inet(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope_id))));
        }
        let Some((host, port_text)) = text.rsplit_once(':') else {
            if text.parse::<IpAddr>().is_ok() {
                return Err(self.err(col, format!("address `{text}` has no port: expected {ADDR_EXPECTED}")));
            }
            // A target's name without its `@` (`slow`): say which one was meant.
            if let Some(t) =
                NamedTarget::ALL.iter().find(|t| t.to_string().trim_start_matches('@').eq_ignore_ascii_case(text))
            {
                return Err(self.err(col, format!("bad address `{text}`: did you mean the target `{t}`?")));
            }
            return Err(self.err(col, format!("bad address `{text}`: expected {ADDR_EXPECTED}")));
        };
        if host.contains(':') {
            if text.parse::<Ipv6Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok() {
                return Err(self
                    .err(col, format!("IPv6 addresses need brackets: expected an address like [{host}]:{port_text}")));
            }
            return Err(self.err(col, format!("bad address `{text}`: expected {ADDR_EXPECTED}")));
        }
        let ip: Ipv4Addr = match host.parse() {
            Ok(ip) => ip,
            Err(_) if host.is_empty() => {
                return Err(self.err(col, format!("missing host before `:`: expected {ADDR_EXPECTED}")));
            }
            Err(_) if host.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                return Err(self.err(
                    col,
                    format!("`{host}` is not an IPv4 address (four numbers 0-255): expected {ADDR_EXPECTED}"),
                ));
            }
            Err(_) => {
                return Err(
                    self.err(col, format!("unknown host `{host}` (names are not resolved): expected {ADDR_EXPECTED}"))
                );
            }
        };
        let port = self.port(port_text, col + host.chars().count() + 1)?;
        Ok(AddrKind::Inet(SocketAddr::new(IpAddr::V4(ip), port)))
    }

    fn port(&self, text: &str, col: usize) -> PResult<u16> {
        if text.is_empty() {
            return Err(self.err(col, "missing port after `:`: expected a number 0-65535"));
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(col, format!("bad port `{text}`: expected a number 0-65535")));
        }
        text.parse::<u16>().map_err(|_| self.err(col, format!("port {text} out of range 0-65535")))
    }

    // ----- multi-part commands ---------------------------------------------------------------

    fn socket(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let t = self.require("protocol", "tcp or udp")?;
        let proto = match lower(&t.text).as_str() {
            "tcp" | "stream" | "sock_stream" => Proto::Tcp,
            "udp" | "dgram" | "sock_dgram" => Proto::Udp,
            _ => {
                return Err(self.err(t.col, format!("unknown protocol `{}`: expected tcp or udp", t.text)));
            }
        };
        // ---- winapi-args: `af=N`, a family number no system implements ----
        let af = match self.peek().cloned() {
            Some(t) if t.key_value().is_some_and(|(k, _, _)| k.eq_ignore_ascii_case("af")) => {
                self.next_tok();
                let (_, v, c) = t.key_value().expect("checked");
                match v.parse::<u16>() {
                    Ok(n) if n >= 64 => Some(n),
                    _ => {
                        return Err(self.err(
                            c,
                            format!(
                                "bad address family `{v}`: af=N takes a number from 64 to 65535, one no system implements \
                                 (write v4 or v6 for AF_INET/AF_INET6)"
                            ),
                        ));
                    }
                }
            }
            _ => None,
        };
        let family = if af.is_some() || self.take_word(&["v4", "ipv4", "af_inet"]).is_some() {
            Family::V4
        } else if self.take_word(&["v6", "ipv6", "af_inet6"]).is_some() {
            Family::V6
        } else {
            Family::V4
        };
        let name = if self.take_word(&["as"]).is_some() {
            let t = self.require("name after `as`", "a new socket name like c1")?;
            self.new_name(&t)?
        } else {
            if let Some(t) = self.peek() {
                let expected = if self.pos == 2 { "v4, v6, af=N or `as NAME`" } else { "`as NAME`" };
                return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
            }
            self.names.next_socket_name()
        };
        self.end()?;
        if let Some(af) = af {
            return Ok((StmtKind::Call(Call::SocketAf { proto, af, name: name.clone() }), Some(name)));
        }
        Ok((StmtKind::Call(Call::Socket { proto, family, name: name.clone() }), Some(name)))
    }

    /// `namelen=N`, `data=TEXT`, `send=TEXT`, `sqos`, `gqos`: `allowed` lists (key, takes a
    /// value).
    fn connect_opts(&mut self, allowed: &[(&str, bool)], expected: &str) -> PResult<ConnectOpts> {
        let mut o = ConnectOpts::default();
        let mut seen: Vec<String> = Vec::new();
        while let Some(t) = self.next_tok() {
            let (key, value) = match t.key_value() {
                Some((k, v, c)) => (k.to_ascii_lowercase(), Some((v, c))),
                None => (t.text.to_ascii_lowercase(), None),
            };
            let Some(&(_, takes_value)) = allowed.iter().find(|(k, _)| *k == key) else {
                return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
            };
            if seen.contains(&key) {
                return Err(self.err(t.col, format!("`{key}` given twice: expected it at most once")));
            }
            seen.push(key.clone());
            match (takes_value, value) {
                (true, None) => {
                    return Err(self.err(t.col, format!("missing value of `{key}`: expected {key}=...")));
                }
                (false, Some(_)) => {
                    return Err(self.err(t.col, format!("`{key}` takes no value: expected `{key}` alone")));
                }
                (false, None) => {
                    if key == "sqos" {
                        o.sqos = true;
                    } else {
                        o.gqos = true;
                    }
                }
                (true, Some((v, c))) => {
                    match key.as_str() {
                        "namelen" => {
                            let n = v.parse::<u32>().map_err(|_| {
                                self.err(c, format!("bad namelen `{v}`: expected a number of bytes like 16"))
                            })?;
                            o.namelen = Some(n);
                        }
                        "data" => o.data = Some(v.as_bytes().to_vec()),
                        "callee" => {
                            // The agent's buffer holds 4096 bytes.
                            let n = v.parse::<u32>().ok().filter(|&n| n <= 4096).ok_or_else(|| {
                                self.err(c, format!("bad callee `{v}`: expected a buffer length from 0 to 4096 bytes"))
                            })?;
                            o.callee = Some(n);
                        }
                        "recv" | "local" | "remote" => {
                            // The buffer socklab passes holds 4096 bytes of data and two address
                            // slots of 256 bytes at most.
                            let max = if key == "recv" { 4096 } else { 256 };
                            let n = v.parse::<u32>().ok().filter(|&n| n <= max).ok_or_else(|| {
                                self.err(c, format!("bad {key} `{v}`: expected a number of bytes from 0 to {max}"))
                            })?;
                            *match key.as_str() {
                                "recv" => &mut o.recv,
                                "local" => &mut o.local,
                                _ => &mut o.remote,
                            } = Some(n);
                        }
                        // wsaio3: a NULL lpOutputBuffer.
                        "buffer" => {
                            if !v.eq_ignore_ascii_case("NULL") {
                                return Err(self.err(
                                c,
                                format!("bad buffer `{v}`: expected buffer=NULL (socklab's own buffer is passed otherwise)"),
                            ));
                            }
                            o.null_buffer = true;
                        }
                        "overlapped" => {
                            if !v.eq_ignore_ascii_case("NULL") {
                                return Err(self.err(
                                c,
                                format!("bad overlapped `{v}`: expected overlapped=NULL (the socket's own OVERLAPPED is passed otherwise)"),
                            ));
                            }
                            o.null_overlapped = true;
                        }
                        _ => o.send = Some(v.as_bytes().to_vec()),
                    }
                }
            }
        }
        Ok(o)
    }

    fn select(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let mut sets: [Option<Vec<SockRef>>; 3] = [None, None, None];
        let mut timeout: Option<Option<Duration>> = None;
        // esc3: the timeval's fields as written (`tv_sec=S tv_usec=US`), out of range too.
        let mut tv: [Option<i64>; 2] = [None, None];
        let mut tv_col = 0;
        let expected = "read=A,B, write=C, except=D, timeout=MS or tv_sec=S tv_usec=US";
        while let Some(t) = self.next_tok() {
            let Some((key, value, vcol)) = t.key_value() else {
                return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
            };
            let key = key.to_ascii_lowercase();
            let slot = match key.as_str() {
                "read" => 0,
                "write" => 1,
                "except" => 2,
                "timeout" => {
                    if timeout.is_some() {
                        return Err(self.err(t.col, "`timeout=` given twice: expected it at most once"));
                    }
                    timeout = Some(self.timeout(value, vcol)?);
                    continue;
                }
                "tv_sec" | "tv_usec" => {
                    let i = usize::from(key == "tv_usec");
                    if tv[i].is_some() {
                        return Err(self.err(t.col, format!("`{key}=` given twice: expected it at most once")));
                    }
                    let n = value.parse::<i64>().map_err(|_| {
                        self.err(vcol, format!("bad {key} `{value}`: expected a whole number, negative too (-1)"))
                    })?;
                    tv[i] = Some(n);
                    tv_col = t.col;
                    continue;
                }
                _ => {
                    return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
                }
            };
            if sets[slot].is_some() {
                return Err(self.err(t.col, format!("`{key}=` given twice: expected it at most once")));
            }
            sets[slot] = Some(self.sock_list(value, vcol)?);
        }
        if tv.iter().any(Option::is_some) {
            if timeout.is_some() {
                return Err(self.err(
                    tv_col,
                    "`timeout=` and `tv_sec=`/`tv_usec=` both given: expected one way to write the timeout",
                ));
            }
            if sets.iter().flatten().all(Vec::is_empty) {
                return Err(self.err(
                    tv_col,
                    "`tv_sec=`/`tv_usec=` need a socket in a set: expected read=, write= or except= with a name",
                ));
            }
            let [read, write, except] = sets.map(Option::unwrap_or_default);
            let [sec, usec] = tv.map(|v| v.unwrap_or(0));
            return Ok((StmtKind::Call(Call::SelectTimeval { read, write, except, sec, usec }), None));
        }
        // args3: sets given but all empty (`read=`) are not NULL ones.
        let given = sets.each_ref().map(Option::is_some);
        if given.iter().any(|&g| g) && sets.iter().flatten().all(Vec::is_empty) {
            let [read, write, except] = given;
            return Ok((
                StmtKind::Call(Call::SelectEmptySets { read, write, except, timeout: timeout.flatten() }),
                None,
            ));
        }
        let [read, write, except] = sets.map(Option::unwrap_or_default);
        Ok((StmtKind::Call(Call::Select { read, write, except, timeout: timeout.flatten() }), None))
    }

    /// args2: `wsapoll null n=N [timeout=MS]`, a NULL array of N entries.
    fn poll_null(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let t = self.require("n=N", "n=N, the number of entries passed with the NULL array (0 or more)")?;
        let n = match t.key_value() {
            Some((k, v, c)) if k.eq_ignore_ascii_case("n") => v
                .parse::<u32>()
                .map_err(|_| self.err(c, format!("bad n `{v}`: expected a number of entries like 0 or 1")))?,
            _ => return Err(self.err(t.col, format!("unexpected `{}`: expected n=N after null", t.text))),
        };
        let mut timeout = None;
        if let Some(t) = self.peek().cloned() {
            match t.key_value() {
                Some((k, v, c)) if k.eq_ignore_ascii_case("timeout") => {
                    self.pos += 1;
                    timeout = self.timeout(v, c)?;
                }
                _ => return Err(self.err(t.col, format!("unexpected `{}`: expected timeout=MS", t.text))),
            }
        }
        self.call(Call::PollNull { n, timeout })
    }

    /// args3: `wsapoll NAME:MASK,#N:MASK,... [timeout=MS]`, a mask per entry; `#N` passes a raw
    /// descriptor (`#-1`, a garbage handle).
    fn poll_fds(&mut self, t: &Tok) -> PResult<(StmtKind, Option<String>)> {
        let mut fds = Vec::new();
        for (piece, c) in list_pieces(&t.text, t.col) {
            let Some((name, mask)) = piece.split_once(':') else {
                return Err(self.err(
                    c,
                    format!("`{piece}` has no mask: with per-entry masks every entry is NAME:MASK, like l:POLLIN,#-1:POLLERR"),
                ));
            };
            if name.is_empty() {
                return Err(self.err(c, "empty descriptor before `:`: expected NAME:MASK or #N:MASK"));
            }
            let sock = self.sock_ref(name, c)?;
            let events = self.poll_events(mask, c + name.chars().count() + 1)?;
            fds.push(PollFd { sock, events });
        }
        let mut timeout = None;
        if let Some(t) = self.peek().cloned() {
            match t.key_value() {
                Some((k, v, c)) if k.eq_ignore_ascii_case("timeout") => {
                    self.pos += 1;
                    timeout = self.timeout(v, c)?;
                }
                _ => {
                    return Err(self.err(
                        t.col,
                        format!("unexpected `{}`: expected timeout=MS (the masks are given per entry)", t.text),
                    ));
                }
            }
        }
        if let Some(t) = self.peek() {
            return Err(self.err(t.col, format!("unexpected `{}` after the timeout", t.text)));
        }
        self.call(Call::PollFds { fds, timeout })
    }

    fn poll(&mut self, epoll: bool) -> PResult<(StmtKind, Option<String>)> {
        let expected = format!("a list of sockets like s or s,c ({})", self.known_list());
        let t = self.require("sockets", &expected)?;
        if t.key_value().is_some_and(|(k, _, _)| k.eq_ignore_ascii_case("timeout")) {
            return Err(self.err(t.col, format!("missing sockets before `{}`: expected {expected}", t.text)));
        }
        if !epoll && t.text.eq_ignore_ascii_case("null") {
            return self.poll_null();
        }
        if !epoll && t.text.contains(':') {
            return self.poll_fds(&t);
        }
        let socks = self.sock_list(&t.text, t.col)?;
        let mut timeout = None;
        let mut events = None;
        let expected = if epoll { "timeout=MS" } else { "timeout=MS or events=POLLRDNORM|POLLWRNORM" };
        let (mut seen_timeout, mut seen_events) = (false, false);
        while let Some(t) = self.peek().cloned() {
            match t.key_value() {
                Some((k, v, c)) if k.eq_ignore_ascii_case("timeout") && !seen_timeout => {
                    self.pos += 1;
                    timeout = self.timeout(v, c)?;
                    seen_timeout = true;
                }
                Some((k, v, c)) if k.eq_ignore_ascii_case("events") && !epoll && !seen_events => {
                    self.pos += 1;
                    events = Some(self.poll_events(v, c)?);
                    seen_events = true;
                }
                _ => {
                    return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
                }
            }
        }
        if epoll {
            return self.call(Call::Epoll { socks, timeout });
        }
        self.call(Call::Poll { socks, timeout, events })
    }

    // ---- winapi-args: `optval=null` ----
    /// Whether the next word is `optval=null` (taken); `optval=` with anything else is an error.
    /// args2: whether the next word is `KEY=null` (left for the caller to take).
    fn null_key(&self, key: &str) -> bool {
        self.peek()
            .and_then(|t| t.key_value().map(|(k, v, _)| k.eq_ignore_ascii_case(key) && v.eq_ignore_ascii_case("null")))
            .unwrap_or(false)
    }

    fn optval_null(&mut self) -> PResult<bool> {
        let Some(t) = self.peek().cloned() else { return Ok(false) };
        let Some((k, v, c)) = t.key_value() else { return Ok(false) };
        if !k.eq_ignore_ascii_case("optval") {
            return Ok(false);
        }
        if !v.eq_ignore_ascii_case("null") {
            return Err(self.err(c, format!("bad optval `{v}`: only optval=null (a NULL pointer) is written here")));
        }
        self.next_tok();
        Ok(true)
    }

    // ---- winapi-args: poll's request mask ----
    /// `POLLRDNORM|POLLWRNORM`, `rdnorm,wrnorm`, `0`.
    fn poll_events(&self, text: &str, col: usize) -> PResult<PollBits> {
        let names: Vec<&str> = PollBits::NAMES.iter().map(|(n, _)| *n).collect();
        if text.is_empty() {
            return Err(self.err(
                col,
                format!("missing poll events: expected names like {} joined with |, or 0", names.join(", ")),
            ));
        }
        if text == "0" {
            return Ok(PollBits(0));
        }
        let mut bits = PollBits(0);
        let mut off = 0;
        for piece in text.split(['|', ',']) {
            let c = col + off;
            off += piece.chars().count() + 1;
            let Some(b) = PollBits::from_name(piece) else {
                let upper = piece.to_ascii_uppercase();
                let full = if upper.starts_with("POLL") { upper } else { format!("POLL{upper}") };
                let hint =
                    closest(&full, names.iter().copied()).map(|h| format!("did you mean `{h}`? ")).unwrap_or_default();
                return Err(self.err(
                    c,
                    format!(
                        "unknown poll event `{piece}`: {hint}expected one of {} (joined with |), or 0",
                        names.join(", ")
                    ),
                ));
            };
            bits = bits | b;
        }
        Ok(bits)
    }

    fn wait(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let t =
            self.require("duration or socket", "`wait MS` (500, 1500ms, 2s) or `wait NAME connected|failed|event`")?;
        if t.text.starts_with(|c: char| c.is_ascii_digit()) {
            let d = self.duration(&t.text, t.col, "duration", "")?;
            self.end()?;
            return Ok((StmtKind::Wait(Wait::For(d)), None));
        }
        if t.text.starts_with('#') {
            return Err(self.err(t.col, format!("expected a socket name ({}), not a descriptor", self.known_list())));
        }
        let sock = self.defined_name(&t.text, t.col)?;
        let c = self.require("condition", "connected, failed or event")?;
        let until = match lower(&c.text).as_str() {
            "connected" => WaitUntil::Connected,
            "failed" => WaitUntil::Failed,
            "event" => WaitUntil::Event,
            _ => {
                return Err(
                    self.err(c.col, format!("unknown condition `{}`: expected connected, failed or event", c.text))
                );
            }
        };
        self.end()?;
        Ok((StmtKind::Wait(Wait::Until { sock, until }), None))
    }

    // ----- expect ----------------------------------------------------------------------------

    /// The optional `P1,P2:` list after `expect`.
    fn personalities(&mut self) -> PResult<Option<Vec<PersonalityId>>> {
        let all: Vec<&str> = PersonalityId::ALL.iter().map(|p| p.name()).collect();
        let starts_list = self.peek().is_some_and(|t| !t.quoted && (t.text.contains(':') || t.text.ends_with(',')));
        if !starts_list {
            return Ok(None);
        }
        let mut pieces: Vec<(String, usize)> = Vec::new();
        loop {
            let Some(t) = self.next_tok() else {
                return Err(self.err(
                    self.end_col(),
                    "missing `:` after the personality list: expected e.g. `expect linux,winsock: ok`",
                ));
            };
            let colon = t.text.find(':');
            let list = &t.text[..colon.unwrap_or(t.text.len())];
            for (piece, c) in list_pieces(list, t.col) {
                if !piece.is_empty() {
                    pieces.push((piece.to_string(), c));
                }
            }
            match colon {
                Some(i) => {
                    let k = list.chars().count();
                    if pieces.is_empty() {
                        return Err(self.err(
                            t.col + k,
                            format!("missing personality before `:`: expected one of {}", all.join(", ")),
                        ));
                    }
                    if i + 1 < t.text.len() {
                        let rest = t.tail(k + 1);
                        self.toks.insert(self.pos, rest);
                    }
                    break;
                }
                None if t.text.ends_with(',') => {}
                None => {
                    return Err(self.err(
                        t.col,
                        format!(
                            "missing `:` after the personality list, found `{}`: expected e.g. `expect linux,winsock: ok`",
                            t.text
                        ),
                    ));
                }
            }
        }
        let mut only = Vec::new();
        for (piece, c) in pieces {
            let Some(p) = PersonalityId::from_name(&piece) else {
                let hint =
                    closest(&piece, all.iter().copied()).map(|h| format!("did you mean `{h}`? ")).unwrap_or_default();
                return Err(
                    self.err(c, format!("unknown personality `{piece}`: {hint}expected one of {}", all.join(", ")))
                );
            };
            if !only.contains(&p) {
                only.push(p);
            }
        }
        Ok(Some(only))
    }

    fn expect(&mut self) -> PResult<(StmtKind, Option<String>)> {
        let only = self.personalities()?;
        let t = self.require("check", &format!("one of {}", CHECKS.join(", ")))?;
        let what = match t.text.to_ascii_lowercase().as_str() {
            "ok" => ExpectWhat::Ok,
            "ret" => {
                let v = self.require("return value", "an integer, true, false or SOCKET_ERROR")?;
                ExpectWhat::Ret(self.ret_value(&v)?)
            }
            "error" => {
                let c = self.require("error code", CODE_EXPECTED)?;
                ExpectWhat::Error(self.code(&c.text, c.col)?)
            }
            "na" | "n/a" => ExpectWhat::NotApplicable,
            "state" => {
                let sock = self.name_arg()?;
                let states: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
                let expected = format!("one of {}", states.join(", "));
                let s = self.require("state", &expected)?;
                let state = State::from_name(&s.text)
                    .ok_or_else(|| self.err(s.col, format!("unknown state `{}`: expected {expected}", s.text)))?;
                ExpectWhat::State { sock, state }
            }
            "select" => self.expect_select()?,
            "event" => {
                let sock = self.name_arg()?;
                let e = self.require("event", "an event like FD_CONNECT")?;
                let event = self.events(&e.text, e.col)?;
                if event.is_empty() {
                    return Err(self.err(e.col, "expected an event like FD_CONNECT, not 0"));
                }
                let mut error = None;
                if let Some(t) = self.peek().cloned() {
                    match t.key_value() {
                        Some((k, v, c)) if k.eq_ignore_ascii_case("error") => {
                            self.pos += 1;
                            error = Some(self.error_opt(v, c)?);
                        }
                        _ => {
                            return Err(
                                self.err(t.col, format!("unexpected `{}`: expected error=CODE or error=0", t.text))
                            );
                        }
                    }
                }
                ExpectWhat::Event { sock, event, error }
            }
            "noevent" => {
                let sock = self.name_arg()?;
                let event = match self.next_tok() {
                    None => None,
                    Some(e) => {
                        let ev = self.events(&e.text, e.col)?;
                        if ev.is_empty() {
                            return Err(self.err(e.col, "expected an event like FD_CONNECT, not 0"));
                        }
                        Some(ev)
                    }
                };
                ExpectWhat::NoEvent { sock, event }
            }
            "completion" => self.expect_completion()?,
            "value" => {
                let rest = self.code[t.end_byte..].trim();
                if rest.is_empty() {
                    return Err(self.err(self.end_col(), "missing value: expected the text the last answer prints"));
                }
                let remaining = &self.toks[self.pos..];
                let text = match remaining {
                    [only_tok] if only_tok.quoted && rest.starts_with('"') && rest.ends_with('"') => {
                        only_tok.text.to_string()
                    }
                    _ => rest.to_string(),
                };
                self.pos = self.toks.len();
                ExpectWhat::Value(text)
            }
            "elapsed" => self.expect_elapsed()?,
            _ => {
                let hint = closest(&t.text, CHECKS.iter().copied())
                    .map(|h| format!("did you mean `{h}`? "))
                    .unwrap_or_default();
                return Err(self.err(
                    t.col,
                    format!(
                        "unknown check `{}`: {hint}expected one of {}, or a personality list like `linux:`",
                        t.text,
                        CHECKS.join(", ")
                    ),
                ));
            }
        };
        self.end()?;
        Ok((StmtKind::Expect(Expect { only, what }), None))
    }

    fn ret_value(&self, t: &Tok) -> PResult<i64> {
        match t.text.to_ascii_lowercase().as_str() {
            "true" => Ok(1),
            "false" => Ok(0),
            "socket_error" | "invalid_socket" => Ok(-1),
            s => s.parse::<i64>().map_err(|_| {
                self.err(
                    t.col,
                    format!("bad return value `{}`: expected an integer, true, false or SOCKET_ERROR", t.text),
                )
            }),
        }
    }

    fn expect_select(&mut self) -> PResult<ExpectWhat> {
        let mut sets: [Option<Vec<String>>; 3] = [None, None, None];
        let expected = "read=A,B, write=C or except=D";
        while let Some(t) = self.next_tok() {
            let Some((key, value, vcol)) = t.key_value() else {
                return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
            };
            let key = key.to_ascii_lowercase();
            let slot = match key.as_str() {
                "read" => 0,
                "write" => 1,
                "except" => 2,
                _ => {
                    return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
                }
            };
            if sets[slot].is_some() {
                return Err(self.err(t.col, format!("`{key}=` given twice: expected it at most once")));
            }
            sets[slot] = Some(self.name_list(value, vcol)?);
        }
        if sets.iter().all(Option::is_none) {
            return Err(self.err(self.end_col(), format!("missing select set: expected {expected}")));
        }
        let [read, write, except] = sets;
        Ok(ExpectWhat::Select { read, write, except })
    }

    fn expect_completion(&mut self) -> PResult<ExpectWhat> {
        let sock = self.name_arg()?;
        let mut error = None;
        let mut bytes = None;
        let expected = "error=CODE, error=0 or bytes=N";
        while let Some(t) = self.next_tok() {
            match t.key_value() {
                Some((k, v, c)) if k.eq_ignore_ascii_case("error") => {
                    if error.is_some() {
                        return Err(self.err(t.col, "`error=` given twice: expected it at most once"));
                    }
                    error = Some(self.error_opt(v, c)?);
                }
                Some((k, v, c)) if k.eq_ignore_ascii_case("bytes") => {
                    if bytes.is_some() {
                        return Err(self.err(t.col, "`bytes=` given twice: expected it at most once"));
                    }
                    let n = v
                        .parse::<u32>()
                        .map_err(|_| self.err(c, format!("bad byte count `{v}`: expected a number like 0")))?;
                    bytes = Some(n);
                }
                _ => {
                    return Err(self.err(t.col, format!("unexpected `{}`: expected {expected}", t.text)));
                }
            }
        }
        Ok(ExpectWhat::Completion { sock, error, bytes })
    }

    fn expect_elapsed(&mut self) -> PResult<ExpectWhat> {
        let t = self.require("comparison", ">= MS or < MS")?;
        let (at_least, rest, rest_col) = if let Some(r) = t.text.strip_prefix(">=") {
            (true, r, t.col + 2)
        } else if let Some(r) = t.text.strip_prefix('<').filter(|r| !r.starts_with('=')) {
            (false, r, t.col + 1)
        } else {
            return Err(self.err(t.col, format!("unexpected `{}`: expected >= MS or < MS", t.text)));
        };
        let (ms_text, ms_col) = if rest.is_empty() {
            let m = self.require("milliseconds", DURATION_EXPECTED)?;
            (m.text.into_owned(), m.col)
        } else {
            (rest.to_string(), rest_col)
        };
        let d = self.duration(&ms_text, ms_col, "duration", "")?;
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Ok(ExpectWhat::Elapsed { at_least, ms })
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A word in ASCII lower case, on the stack, for matching keywords without allocating. No
/// keyword is longer than [`Lower::MAX`] bytes: a longer word becomes `"\0"`, which matches
/// none (so only a match whose other arm ignores the lowered text may use it).
struct Lower {
    buf: [u8; Lower::MAX],
    len: usize,
}

impl Lower {
    const MAX: usize = 24;

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("\0")
    }
}

fn lower(word: &str) -> Lower {
    let mut l = Lower { buf: [0; Lower::MAX], len: 1 };
    if word.len() <= Lower::MAX {
        l.len = word.len();
        l.buf[..l.len].copy_from_slice(word.as_bytes());
        l.buf[..l.len].make_ascii_lowercase();
    }
    l
}

/// The longest echoed token in an error message, in characters.
const MAX_ECHO_CHARS: usize = 60;

/// An error message with every `` `quoted` `` part longer than [`MAX_ECHO_CHARS`] shortened: a
/// 50 MB word is not printed back.
fn cap_quoted(message: String) -> String {
    if message.len() <= 4 * MAX_ECHO_CHARS {
        return message;
    }
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let n = part.chars().count();
        if i % 2 == 1 && n > MAX_ECHO_CHARS {
            out.extend(part.chars().take(MAX_ECHO_CHARS / 2));
            let _ = write!(out, "…({} characters)…", n);
            let tail: Vec<char> = part.chars().rev().take(MAX_ECHO_CHARS / 4).collect();
            out.extend(tail.into_iter().rev());
        } else if n > 16 * MAX_ECHO_CHARS {
            out.extend(part.chars().take(MAX_ECHO_CHARS));
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Split a comma-separated list, with the column of each piece.
fn list_pieces(text: &str, col: usize) -> Vec<(&str, usize)> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut off = 0;
    text.split(',')
        .map(|piece| {
            let c = col + off;
            off += piece.chars().count() + 1;
            (piece, c)
        })
        .collect()
}

/// `500`, `1500ms`, `2s`.
fn parse_duration(text: &str) -> Option<Duration> {
    let lower = text.to_ascii_lowercase();
    let (num, mult) = if let Some(n) = lower.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = lower.strip_suffix('s') {
        (n, 1000)
    } else {
        (lower.as_str(), 1)
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<u64>().ok()?.checked_mul(mult).map(Duration::from_millis)
}

/// Edit distance (optimal string alignment: a transposition counts as one edit), ignoring case.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    if len == 0 || len > 64 {
        return None;
    }
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, c)| d <= (len.max(c.chars().count()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

// ---------------------------------------------------------------------------------------------
// Completion
// ---------------------------------------------------------------------------------------------

/// The static candidates whose text starts with `partial` (any case).
fn starting<S: AsRef<str>>(partial: &str, cands: impl IntoIterator<Item = S>) -> Vec<String> {
    let p = partial.to_lowercase();
    cands.into_iter().filter(|c| c.as_ref().to_lowercase().starts_with(&p)).map(|c| c.as_ref().to_string()).collect()
}

/// `ov=` and `ov=NAME` for every defined name (iocp2).
fn ov_cands(partial: &str, names: &Names) -> Vec<String> {
    let mut c = starting(partial, ["ov="]);
    if let Some(rest) = partial.strip_prefix("ov=") {
        c = socks(rest, names).into_iter().map(|s| format!("ov={s}")).collect();
    }
    c
}

fn socks(partial: &str, names: &Names) -> Vec<String> {
    starting(partial, names.iter())
}

/// Completes the last piece of `PREFIX a,b,pa` with socket names.
fn sock_list_cands(prefix: &str, partial: &str, names: &Names) -> Vec<String> {
    let (head, piece) = match partial.rfind(',') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    starting(piece, names.iter()).into_iter().map(|n| format!("{prefix}{head}{n}")).collect()
}

/// Completes the last event of `FD_CONNECT|FD_W`.
fn event_cands(partial: &str) -> Vec<String> {
    let (head, piece) = match partial.rfind(['|', ',']) {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let p = piece.to_ascii_uppercase();
    FdEvents::NAMES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| n.starts_with(&p) || n[3..].starts_with(&p))
        .map(|n| format!("{head}{n}"))
        .collect()
}

// ---- winapi-args: completion of poll's request mask ----
fn poll_event_cands(prefix: &str, partial: &str) -> Vec<String> {
    let (head, piece) = match partial.rfind('|') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let p = piece.to_ascii_uppercase();
    PollBits::NAMES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| n.starts_with(&p) || n[4..].starts_with(&p))
        .map(|n| format!("{prefix}{head}{n}"))
        .collect()
}

fn code_cands(prefix: &str, partial: &str) -> Vec<String> {
    starting(partial, Code::ALL.iter().map(|c| c.name())).into_iter().map(|c| format!("{prefix}{c}")).collect()
}

fn addr_cands(partial: &str) -> Vec<String> {
    let mut all: Vec<String> = NamedTarget::ALL.iter().map(ToString::to_string).collect();
    all.extend(["127.0.0.1:", "[::1]:", "0.0.0.0:0", "255.255.255.255:", "af_unspec", "null", "af="].map(String::from));
    starting(partial, all)
}

/// wsaio3: the options of wsasend, wsasendto and wsarecvfrom not yet given (`ov=` offers the
/// OVERLAPPED names), in any order.
fn wsa_io_cands(keys: &[&str], used: &[String], partial: &str, names: &Names) -> Vec<String> {
    let given = |k: &str| used.iter().any(|u| lower_key(u) == lower_key(k));
    let mut c = if given("ov=") { Vec::new() } else { ov_cands(partial, names) };
    c.extend(
        keys.iter()
            .filter(|k| !given(k))
            .filter(|k| k.to_ascii_lowercase().starts_with(&partial.to_ascii_lowercase()))
            .map(|k| (*k).to_string()),
    );
    c
}

fn lower_key(s: &str) -> String {
    s.split('=').next().unwrap_or(s).to_ascii_lowercase()
}

/// `key=` words not yet used; after `read=`/`write=`/`except=`, socket names; after `error=`,
/// codes.
fn keyed_cands(keys: &[&str], used: &[String], partial: &str, names: &Names) -> Vec<String> {
    if let Some((key, value)) = partial.split_once('=') {
        let prefix = format!("{key}=");
        return match key.to_ascii_lowercase().as_str() {
            "read" | "write" | "except" => sock_list_cands(&prefix, value, names),
            "error" => {
                let mut v = code_cands(&prefix, value);
                if value.is_empty() {
                    v.insert(0, format!("{prefix}0"));
                }
                v
            }
            "timeout" => starting(value, ["inf", "0", "1000"]).into_iter().map(|v| format!("{prefix}{v}")).collect(),
            _ => Vec::new(),
        };
    }
    let unused = keys.iter().filter(|k| {
        let bare = k.trim_end_matches('=');
        !used.iter().any(|u| u.split('=').next().is_some_and(|uk| uk.eq_ignore_ascii_case(bare)))
    });
    starting(partial, unused)
}

fn candidates(words: &[String], partial: &str, names: &Names) -> Vec<String> {
    let Some(first) = words.first() else {
        return starting(partial, COMMANDS.iter().map(|c| c.word));
    };
    let Some(info) = lookup_cmd(first) else {
        return Vec::new();
    };
    let args = &words[1..];
    let n = args.len();
    let lower = |i: usize| args.get(i).map(|a| a.to_ascii_lowercase()).unwrap_or_default();
    match info.cmd {
        Cmd::WsaStartup => {
            if n == 0 {
                starting(partial, ["2.2", "1.1"])
            } else {
                Vec::new()
            }
        }
        Cmd::WsaCleanup | Cmd::Alarm | Cmd::Mark => Vec::new(),
        Cmd::Link => match n {
            0 => starting(partial, ["down", "up"]),
            _ => Vec::new(),
        },
        Cmd::PortRange => match n {
            0 => starting(partial, ["40000"]),
            1 => starting(partial, ["40001"]),
            _ => Vec::new(),
        },
        Cmd::Firewall => match n {
            0 => starting(partial, ["drop", "clear"]),
            1 if lower(0) == "drop" => starting(partial, ["127.0.0.2", "198.51.100.7"]),
            _ => Vec::new(),
        },
        Cmd::Pipe => match n {
            0 => starting(partial, ["as"]),
            _ => Vec::new(),
        },
        Cmd::After => match n {
            0 => starting(partial, ["100", "300", "1000"]),
            _ => candidates(&args[1..], partial, names),
        },
        Cmd::Socket => match n {
            0 => starting(partial, ["tcp", "udp"]),
            1 => starting(partial, ["v4", "v6", "af=", "as"]),
            2 if lower(1) != "as" => starting(partial, ["as"]),
            _ => Vec::new(),
        },
        Cmd::Ioctlsocket => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["FIONBIO"]),
            2 => starting(partial, ["1", "0"]),
            _ => Vec::new(),
        },
        Cmd::Nonblock => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["on", "off"]),
            _ => Vec::new(),
        },
        Cmd::Fionbio => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["1", "0"]),
            _ => Vec::new(),
        },
        Cmd::SetSockOpt | Cmd::GetSockOpt => match n {
            0 => socks(partial, names),
            1 => starting(partial, SockOpt::ALL.iter().map(|o| o.name())),
            2 if info.cmd == Cmd::SetSockOpt => starting(partial, ["on", "off", "optlen=", "optval=null"]),
            2 => starting(partial, ["optlen=", "optlen=null", "optval=null"]),
            3 if info.cmd == Cmd::SetSockOpt && !lower(2).starts_with("optlen") => starting(partial, ["optlen="]),
            _ => Vec::new(),
        },
        Cmd::Bind => match n {
            0 => socks(partial, names),
            1 => addr_cands(partial),
            _ => keyed_cands(&["namelen="], &args[2..], partial, names),
        },
        Cmd::SendTo => match n {
            0 => socks(partial, names),
            1 => addr_cands(partial),
            _ => Vec::new(),
        },
        Cmd::Connect | Cmd::WsaConnect | Cmd::ConnectEx => match n {
            0 => socks(partial, names),
            1 => addr_cands(partial),
            _ => {
                let keys: &[&str] = match info.cmd {
                    Cmd::Connect => &["namelen="],
                    Cmd::WsaConnect => &["namelen=", "data=", "callee=", "sqos", "gqos"],
                    _ => &["namelen=", "send=", "overlapped=NULL"],
                };
                keyed_cands(keys, &args[2..], partial, names)
            }
        },
        Cmd::Accept => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["as"]),
            _ => Vec::new(),
        },
        Cmd::Select => {
            keyed_cands(&["read=", "write=", "except=", "timeout=", "tv_sec=", "tv_usec="], args, partial, names)
        }
        Cmd::WsaPoll => match n {
            0 => {
                // args3: the mask of an entry (`l:POLLIN,#-1:POLLE`).
                let last = partial.rfind(',').map_or(0, |i| i + 1);
                if let Some(colon) = partial[last..].find(':') {
                    let at = last + colon + 1;
                    return poll_event_cands(&partial[..at], &partial[at..]);
                }
                let mut v = sock_list_cands("", partial, names);
                // args2: a NULL array.
                v.extend(starting(partial, ["null"]));
                v
            }
            1 if args[0].eq_ignore_ascii_case("null") => starting(partial, ["n="]),
            _ if args[0].eq_ignore_ascii_case("null") || args[0].contains(':') => {
                keyed_cands(&["timeout="], &args[1..], partial, names)
            }
            _ => match partial.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case("events") => poll_event_cands(&format!("{k}="), v),
                _ => keyed_cands(&["timeout=", "events="], &args[1..], partial, names),
            },
        },
        Cmd::Epoll => match n {
            0 => sock_list_cands("", partial, names),
            _ => keyed_cands(&["timeout="], &args[1..], partial, names),
        },
        Cmd::WsaEventSelect | Cmd::WsaAsyncSelect => match n {
            0 => socks(partial, names),
            1 => event_cands(partial),
            _ => Vec::new(),
        },
        // winapi-args: namelen=N or name=null after the socket.
        Cmd::GetSockName | Cmd::GetPeerName if n >= 1 => {
            if n == 1 {
                starting(partial, ["namelen=", "namelen=null", "name=null"])
            } else {
                Vec::new()
            }
        }
        Cmd::Listen
        | Cmd::WsaEnumNetworkEvents
        | Cmd::GetSockName
        | Cmd::GetPeerName
        | Cmd::Send
        | Cmd::Recv
        | Cmd::RecvFrom
        | Cmd::CloseSocket => {
            if n == 0 {
                socks(partial, names)
            } else {
                Vec::new()
            }
        }
        Cmd::Shutdown => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["send", "receive", "both"]),
            _ => Vec::new(),
        },
        Cmd::Wait => match n {
            0 => socks(partial, names),
            1 if !args[0].starts_with(|c: char| c.is_ascii_digit()) => {
                starting(partial, ["connected", "failed", "event"])
            }
            _ => Vec::new(),
        },
        Cmd::Expect => expect_cands(args, partial, names),
        // ---- winapi-ov ----
        Cmd::Overlapped => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["set=0xdeadbeef"]),
            _ => Vec::new(),
        },
        Cmd::GetOverlappedResult | Cmd::WsaGetOverlappedResult => match n {
            0 => socks(partial, names),
            1 => {
                let mut c = starting(partial, ["wait"]);
                c.extend(ov_cands(partial, names));
                c
            }
            2 if lower(1) == "wait" => ov_cands(partial, names),
            _ => Vec::new(),
        },
        Cmd::CreateIoCompletionPort => match n {
            0 => {
                let mut c = starting(partial, ["as"]);
                c.extend(socks(partial, names));
                c
            }
            1 if lower(0) != "as" => socks(partial, names),
            2 if lower(0) != "as" => starting(partial, ["key="]),
            _ => Vec::new(),
        },
        Cmd::WsaRecv => match n {
            0 => socks(partial, names),
            1 => {
                let mut c = ov_cands(partial, names);
                c.extend(starting(partial, ["routine", "bufs=4,5"]));
                c
            }
            2 if lower(1).starts_with("ov=") => starting(partial, ["routine", "bufs=4,5"]),
            2 | 3 => starting(partial, ["bufs=4,5"]),
            _ => Vec::new(),
        },
        Cmd::WsaSend => match n {
            0 => socks(partial, names),
            2.. => wsa_io_cands(&["routine", "bufs="], &args[2..], partial, names),
            _ => Vec::new(),
        },
        // ---- wsaio3 ----
        Cmd::WsaSendTo => match n {
            0 => socks(partial, names),
            1 => addr_cands(partial),
            3.. => wsa_io_cands(&["overlapped=NULL", "routine", "bufs=", "bytes=NULL"], &args[3..], partial, names),
            _ => Vec::new(),
        },
        Cmd::WsaRecvFrom => match n {
            0 => socks(partial, names),
            _ => wsa_io_cands(&["overlapped=NULL", "routine", "bufs=4,5"], &args[1..], partial, names),
        },
        Cmd::SleepEx => match n {
            0 => starting(partial, ["0", "1000"]),
            1 => starting(partial, ["alertable"]),
            _ => Vec::new(),
        },
        Cmd::AcceptEx => match n {
            0 | 1 => socks(partial, names),
            _ => keyed_cands(
                &["recv=", "local=", "remote=", "overlapped=NULL", "buffer=NULL"],
                &args[2..],
                partial,
                names,
            ),
        },
        // ---- acceptex2 ----
        Cmd::WsaAccept => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["cf=accept", "cf=reject", "cf=defer", "as"]),
            2 if lower(1).starts_with("cf=") => starting(partial, ["as"]),
            _ => Vec::new(),
        },
        Cmd::GetAcceptExSockaddrs | Cmd::CancelIo | Cmd::CancelIoEx => match n {
            0 => socks(partial, names),
            _ => Vec::new(),
        },
        Cmd::DisconnectEx => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["reuse", "overlapped=NULL"]),
            2 if lower(1) == "reuse" => starting(partial, ["overlapped=NULL"]),
            _ => Vec::new(),
        },
        Cmd::GetQueuedCompletionStatus => match n {
            0 => socks(partial, names),
            1 => starting(partial, ["timeout=0", "timeout=1000", "timeout=inf"]),
            _ => Vec::new(),
        },
        Cmd::GetQueuedCompletionStatusEx => match n {
            0 => socks(partial, names),
            _ => keyed_cands(&["count=", "timeout=", "alertable"], &args[1..], partial, names),
        },
        Cmd::PostQueuedCompletionStatus => match n {
            0 => socks(partial, names),
            1..=3 => {
                let mut c = starting(partial, ["key=", "bytes=", "ov=NULL"]);
                if let Some(rest) = partial.strip_prefix("ov=") {
                    c.extend(socks(rest, names).into_iter().map(|s| format!("ov={s}")));
                }
                c
            }
            _ => Vec::new(),
        },
        Cmd::CloseHandle => match n {
            0 => socks(partial, names),
            _ => Vec::new(),
        },
    }
}

fn expect_cands(args: &[String], partial: &str, names: &Names) -> Vec<String> {
    // Skip the personality list, if any.
    let mut rest: Vec<String> = args.to_vec();
    let mut has_list = false;
    if args.first().is_some_and(|a| a.contains(':') || a.ends_with(',')) {
        match args.iter().position(|a| a.contains(':')) {
            Some(i) => {
                has_list = true;
                let after = args[i].split_once(':').map(|(_, r)| r.to_string()).unwrap_or_default();
                rest = args[i + 1..].to_vec();
                if !after.is_empty() {
                    rest.insert(0, after);
                }
            }
            None if args.last().is_some_and(|a| a.ends_with(',')) => {
                return personality_cands(partial);
            }
            None => return Vec::new(),
        }
    }
    let Some(check) = rest.first().map(|c| c.to_ascii_lowercase()) else {
        let mut v = starting(partial, CHECKS.iter().copied());
        if !has_list {
            v.extend(personality_cands(partial));
        }
        return v;
    };
    let n = rest.len();
    match check.as_str() {
        "ret" if n == 1 => starting(partial, ["0", "-1", "1", "true", "false", "SOCKET_ERROR"]),
        "error" if n == 1 => code_cands("", partial),
        "state" => match n {
            1 => socks(partial, names),
            2 => starting(partial, State::ALL.iter().map(|s| s.name())),
            _ => Vec::new(),
        },
        "select" => keyed_cands(&["read=", "write=", "except="], &rest[1..], partial, names),
        "event" => match n {
            1 => socks(partial, names),
            2 => event_cands(partial),
            _ => keyed_cands(&["error="], &rest[3..], partial, names),
        },
        "noevent" => match n {
            1 => socks(partial, names),
            2 => event_cands(partial),
            _ => Vec::new(),
        },
        "completion" => match n {
            1 => socks(partial, names),
            _ => keyed_cands(&["error=", "bytes="], &rest[2..], partial, names),
        },
        "elapsed" if n == 1 => starting(partial, [">=", "<"]),
        _ => Vec::new(),
    }
}

/// `linux:`, ... and, inside a list (`linux,win`), the rest of the list.
fn personality_cands(partial: &str) -> Vec<String> {
    let (head, piece) = match partial.rfind(',') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    starting(piece, PersonalityId::ALL.iter().map(|p| p.name())).into_iter().map(|p| format!("{head}{p}:")).collect()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Names {
        list.iter().copied().collect()
    }

    fn stmt(line: &str, known: &[&str]) -> Stmt {
        let mut n = names(known);
        match parse_line(line, 1, &mut n) {
            Ok(Some(s)) => s,
            other => panic!("`{line}` did not parse: {other:?}"),
        }
    }

    fn call(line: &str) -> Call {
        match stmt(line, &["s", "c", "l"]).kind {
            StmtKind::Call(c) => c,
            other => panic!("`{line}` is not a call: {other:?}"),
        }
    }

    fn expect(line: &str) -> Expect {
        match stmt(line, &["s", "c", "l"]).kind {
            StmtKind::Expect(e) => e,
            other => panic!("`{line}` is not an expect: {other:?}"),
        }
    }

    fn what(line: &str) -> ExpectWhat {
        expect(line).what
    }

    fn wait(line: &str) -> Wait {
        match stmt(line, &["s", "c", "l"]).kind {
            StmtKind::Wait(w) => w,
            other => panic!("`{line}` is not a wait: {other:?}"),
        }
    }

    /// The error for `line` with sockets `s`, `c` defined.
    fn error(line: &str) -> ParseError {
        let mut n = names(&["s", "c"]);
        match parse_line(line, 3, &mut n) {
            Err(e) => e,
            Ok(s) => panic!("`{line}` parsed: {s:?}"),
        }
    }

    fn at(line: &str, col: usize, contains: &str) {
        let e = error(line);
        assert_eq!((e.line, e.col), (3, col), "`{line}`: {e}");
        assert!(e.message.contains(contains), "`{line}`: message `{}` lacks `{contains}`", e.message);
    }

    fn name(n: &str) -> SockRef {
        SockRef::Name(n.to_string())
    }

    fn inet(a: &str) -> SockAddrArg {
        SockAddrArg::inet(a.parse().unwrap())
    }

    fn target(t: NamedTarget) -> SockAddrArg {
        SockAddrArg { kind: AddrKind::Target(t), len: None }
    }

    // ===== lexing ===============================================================================

    #[test]
    fn blank_and_comment_lines_are_none() {
        let mut n = Names::default();
        for line in ["", "   ", "\t", "# a comment", "   # indented comment"] {
            assert_eq!(parse_line(line, 1, &mut n), Ok(None), "`{line}`");
        }
    }

    #[test]
    fn comment_after_a_statement_is_dropped_from_text() {
        let s = stmt("  connect s @refuse   # refused at once", &["s"]);
        assert_eq!(s.text, "connect s @refuse");
        assert_eq!(s.span, Span { line: 1, col: 3 });
    }

    #[test]
    fn quoted_data_with_escapes() {
        assert_eq!(
            call(r#"send s "hello world\n\\ \"q\"""#),
            Call::Send { sock: name("s"), data: b"hello world\n\\ \"q\"".to_vec() }
        );
        assert_eq!(call("send s hi#there"), Call::Send { sock: name("s"), data: b"hi#there".to_vec() });
        assert_eq!(
            call(r##"send s "# not a comment""##),
            Call::Send { sock: name("s"), data: b"# not a comment".to_vec() }
        );
        assert_eq!(call(r#"send s """#), Call::Send { sock: name("s"), data: Vec::new() });
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(
            call("CONNECT s @Accept"),
            Call::Connect { sock: name("s"), addr: target(NamedTarget::Accept), api: ConnectApi::Connect }
        );
        assert_eq!(call("IoctlSocket s fionbio 1"), Call::Fionbio { sock: name("s"), on: true });
    }

    // ===== calls ================================================================================

    #[test]
    fn wsastartup_and_cleanup() {
        assert_eq!(call("wsastartup"), Call::WsaStartup { major: 2, minor: 2 });
        assert_eq!(call("wsastartup 1.1"), Call::WsaStartup { major: 1, minor: 1 });
        assert_eq!(call("WSAStartup 2.0"), Call::WsaStartup { major: 2, minor: 0 });
        assert_eq!(call("wsacleanup"), Call::WsaCleanup);
    }

    #[test]
    fn socket_forms_and_default_names() {
        let mut n = Names::default();
        let mut sock = |line: &str| match parse_line(line, 1, &mut n).unwrap().unwrap().kind {
            StmtKind::Call(c) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(sock("socket tcp"), Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() });
        assert_eq!(sock("socket udp v6"), Call::Socket { proto: Proto::Udp, family: Family::V6, name: "s2".into() });
        assert_eq!(
            sock("socket tcp v4 as c"),
            Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "c".into() }
        );
        assert_eq!(sock("socket tcp as s3"), Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s3".into() });
        assert_eq!(sock("socket tcp"), Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s4".into() });
        assert_eq!(
            sock("socket stream ipv6"),
            Call::Socket { proto: Proto::Tcp, family: Family::V6, name: "s5".into() }
        );
        assert_eq!(n.iter().collect::<Vec<_>>(), ["s", "s2", "c", "s3", "s4", "s5"]);
    }

    #[test]
    fn fionbio_forms() {
        assert_eq!(call("ioctlsocket s FIONBIO 1"), Call::Fionbio { sock: name("s"), on: true });
        assert_eq!(call("ioctlsocket s FIONBIO 0"), Call::Fionbio { sock: name("s"), on: false });
        assert_eq!(call("nonblock s"), Call::Fionbio { sock: name("s"), on: true });
        assert_eq!(call("nonblock s off"), Call::Fionbio { sock: name("s"), on: false });
        assert_eq!(call("fionbio c 1"), Call::Fionbio { sock: name("c"), on: true });
        assert_eq!(call("fionbio #7 0"), Call::Fionbio { sock: SockRef::Raw(7), on: false });
    }

    #[test]
    fn sockopts() {
        assert_eq!(
            call("setsockopt s SO_BROADCAST"),
            Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_BROADCAST, value: 1, optlen: None }
        );
        assert_eq!(
            call("setsockopt s so_reuseaddr off"),
            Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_REUSEADDR, value: 0, optlen: None }
        );
        assert_eq!(
            call("setsockopt s TCP_SYNCNT 2"),
            Call::SetSockOpt { sock: name("s"), opt: SockOpt::TCP_SYNCNT, value: 2, optlen: None }
        );
        assert_eq!(
            call("setsockopt s IPV6_V6ONLY true"),
            Call::SetSockOpt { sock: name("s"), opt: SockOpt::IPV6_V6ONLY, value: 1, optlen: None }
        );
        assert_eq!(
            call("getsockopt s SO_ERROR"),
            Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None }
        );
    }

    #[test]
    fn bind_listen_accept() {
        assert_eq!(call("bind s 0.0.0.0:0"), Call::Bind { sock: name("s"), addr: inet("0.0.0.0:0") });
        let mut short = inet("127.0.0.1:0");
        short.len = Some(15);
        assert_eq!(call("bind s 127.0.0.1:0 namelen=15"), Call::Bind { sock: name("s"), addr: short });
        assert_eq!(call("listen s"), Call::Listen { sock: name("s"), backlog: 5 });
        assert_eq!(call("listen s 0"), Call::Listen { sock: name("s"), backlog: 0 });
        let mut n = names(&["l"]);
        let s = parse_line("accept l", 1, &mut n).unwrap().unwrap();
        assert_eq!(s.kind, StmtKind::Call(Call::Accept { sock: name("l"), name: "a1".into(), cond: None }));
        let s = parse_line("accept l", 2, &mut n).unwrap().unwrap();
        assert_eq!(s.kind, StmtKind::Call(Call::Accept { sock: name("l"), name: "a2".into(), cond: None }));
        let s = parse_line("accept l as peer", 3, &mut n).unwrap().unwrap();
        assert_eq!(s.kind, StmtKind::Call(Call::Accept { sock: name("l"), name: "peer".into(), cond: None }));
        assert!(n.contains("a1") && n.contains("a2") && n.contains("peer"));
    }

    #[test]
    fn addresses() {
        let a = |text: &str| match call(&format!("connect s {text}")) {
            Call::Connect { addr, .. } => addr,
            other => panic!("{other:?}"),
        };
        assert_eq!(a("127.0.0.1:80"), inet("127.0.0.1:80"));
        assert_eq!(a("[::1]:80"), inet("[::1]:80"));
        assert_eq!(a("0.0.0.0:0"), inet("0.0.0.0:0"));
        assert_eq!(a("255.255.255.255:9"), inet("255.255.255.255:9"));
        assert_eq!(a("[::ffff:127.0.0.1]:80"), inet("[::ffff:127.0.0.1]:80"));
        assert_eq!(a("[fe80::1%2]:80"), inet("[fe80::1%2]:80"));
        for t in NamedTarget::ALL {
            assert_eq!(a(&t.to_string()), target(*t));
        }
        assert_eq!(a("af_unspec"), SockAddrArg { kind: AddrKind::Unspec, len: None });
        assert_eq!(a("UNSPEC"), SockAddrArg { kind: AddrKind::Unspec, len: None });
        assert_eq!(a("null"), SockAddrArg { kind: AddrKind::Null, len: None });
    }

    #[test]
    fn connect_family() {
        assert_eq!(
            call("connect s @refuse"),
            Call::Connect { sock: name("s"), addr: target(NamedTarget::Refuse), api: ConnectApi::Connect }
        );
        assert_eq!(
            call("connect s 127.0.0.1:9 namelen=8"),
            Call::Connect {
                sock: name("s"),
                addr: SockAddrArg { kind: AddrKind::Inet("127.0.0.1:9".parse().unwrap()), len: Some(8) },
                api: ConnectApi::Connect
            }
        );
        assert_eq!(
            call("wsaconnect s @accept"),
            Call::Connect {
                sock: name("s"),
                addr: target(NamedTarget::Accept),
                api: ConnectApi::WsaConnect { caller_data: None, sqos: false, gqos: false, callee: None }
            }
        );
        assert_eq!(
            call(r#"wsaconnect s @accept gqos data="hi there" namelen=16 sqos"#),
            Call::Connect {
                sock: name("s"),
                addr: SockAddrArg { kind: AddrKind::Target(NamedTarget::Accept), len: Some(16) },
                api: ConnectApi::WsaConnect {
                    caller_data: Some(b"hi there".to_vec()),
                    sqos: true,
                    gqos: true,
                    callee: None
                }
            }
        );
        assert_eq!(
            call("connectex s @slow"),
            Call::Connect {
                sock: name("s"),
                addr: target(NamedTarget::Slow),
                api: ConnectApi::ConnectEx { send: None, null_overlapped: false }
            }
        );
        assert_eq!(
            call("connectex s @echo send=ping namelen=0"),
            Call::Connect {
                sock: name("s"),
                addr: SockAddrArg { kind: AddrKind::Target(NamedTarget::Echo), len: Some(0) },
                api: ConnectApi::ConnectEx { send: Some(b"ping".to_vec()), null_overlapped: false }
            }
        );
    }

    #[test]
    fn select_and_poll() {
        assert_eq!(call("select"), Call::Select { read: vec![], write: vec![], except: vec![], timeout: None });
        assert_eq!(
            call("select read=s,c write=c except=#9 timeout=0"),
            Call::Select {
                read: vec![name("s"), name("c")],
                write: vec![name("c")],
                except: vec![SockRef::Raw(9)],
                timeout: Some(Duration::ZERO)
            }
        );
        // args3: `write=` with nothing is a set present but empty, not a NULL one.
        assert_eq!(
            call("select write= timeout=inf"),
            Call::SelectEmptySets { read: false, write: true, except: false, timeout: None }
        );
        assert_eq!(
            call("select timeout=2s write=s"),
            Call::Select {
                read: vec![],
                write: vec![name("s")],
                except: vec![],
                timeout: Some(Duration::from_secs(2))
            }
        );
        assert_eq!(
            call("wsapoll s,c timeout=500"),
            Call::Poll { socks: vec![name("s"), name("c")], timeout: Some(Duration::from_millis(500)), events: None }
        );
        assert_eq!(call("poll s"), Call::Poll { socks: vec![name("s")], timeout: None, events: None });
    }

    #[test]
    fn event_selects() {
        let both = FdEvents::CONNECT | FdEvents::WRITE;
        assert_eq!(
            call("wsaeventselect s FD_CONNECT|FD_WRITE"),
            Call::WsaEventSelect { sock: name("s"), events: both }
        );
        assert_eq!(call("wsaeventselect s connect,write"), Call::WsaEventSelect { sock: name("s"), events: both });
        assert_eq!(call("wsaeventselect s 0"), Call::WsaEventSelect { sock: name("s"), events: FdEvents::empty() });
        assert_eq!(
            call("wsaasyncselect c fd_read|close"),
            Call::WsaAsyncSelect { sock: name("c"), events: FdEvents::READ | FdEvents::CLOSE }
        );
        assert_eq!(
            call("wsaasyncselect c FD_ALL_EVENTS"),
            Call::WsaAsyncSelect { sock: name("c"), events: FdEvents(0x3F) }
        );
        assert_eq!(call("wsaenumnetworkevents s"), Call::WsaEnumNetworkEvents { sock: name("s") });
    }

    #[test]
    fn data_and_lifecycle_calls() {
        assert_eq!(call("getsockname s"), Call::GetSockName { sock: name("s"), namelen: None });
        assert_eq!(call("getpeername s"), Call::GetPeerName { sock: name("s"), namelen: None });
        assert_eq!(call("send s hello"), Call::Send { sock: name("s"), data: b"hello".to_vec() });
        assert_eq!(
            call("sendto s @echo ping"),
            Call::SendTo { sock: name("s"), addr: target(NamedTarget::Echo), data: b"ping".to_vec() }
        );
        assert_eq!(call("recv s"), Call::Recv { sock: name("s") });
        assert_eq!(call("recvfrom s"), Call::RecvFrom { sock: name("s") });
        for (word, how) in [
            ("send", How::Write),
            ("wr", How::Write),
            ("SD_SEND", How::Write),
            ("receive", How::Read),
            ("rd", How::Read),
            ("sd_receive", How::Read),
            ("both", How::Both),
            ("rdwr", How::Both),
            ("shut_rdwr", How::Both),
        ] {
            assert_eq!(call(&format!("shutdown s {word}")), Call::Shutdown { sock: name("s"), how });
        }
        assert_eq!(call("closesocket s"), Call::Close { sock: name("s") });
        assert_eq!(call("close c"), Call::Close { sock: name("c") });
        assert_eq!(call("closesocket #999"), Call::Close { sock: SockRef::Raw(999) });
        assert_eq!(call("closesocket #-1"), Call::Close { sock: SockRef::Raw(-1) });
    }

    #[test]
    fn closed_names_stay_defined() {
        let stmts = parse_script("socket tcp as x\nclosesocket x\nclosesocket x\nconnect x @accept\n").unwrap();
        assert_eq!(stmts.len(), 4);
    }

    // ===== wait and expect ======================================================================

    #[test]
    fn waits() {
        assert_eq!(wait("wait 500"), Wait::For(Duration::from_millis(500)));
        assert_eq!(wait("wait 2s"), Wait::For(Duration::from_secs(2)));
        assert_eq!(wait("wait 1500ms"), Wait::For(Duration::from_millis(1500)));
        assert_eq!(wait("wait s connected"), Wait::Until { sock: "s".into(), until: WaitUntil::Connected });
        assert_eq!(wait("wait c FAILED"), Wait::Until { sock: "c".into(), until: WaitUntil::Failed });
        assert_eq!(wait("wait c event"), Wait::Until { sock: "c".into(), until: WaitUntil::Event });
    }

    #[test]
    fn marks() {
        assert_eq!(stmt("mark refused", &[]).kind, StmtKind::Mark("refused".into()));
        assert_eq!(stmt("mark  the second   connect # comment", &[]).kind, StmtKind::Mark("the second connect".into()));
        assert_eq!(stmt("MARK \"a # b\"", &[]).kind, StmtKind::Mark("a # b".into()));
        at("mark", 5, "missing label");
    }

    #[test]
    fn expect_simple_checks() {
        assert_eq!(expect("expect ok"), Expect { only: None, what: ExpectWhat::Ok });
        assert_eq!(what("expect ret 0"), ExpectWhat::Ret(0));
        assert_eq!(what("expect ret -1"), ExpectWhat::Ret(-1));
        assert_eq!(what("expect ret SOCKET_ERROR"), ExpectWhat::Ret(-1));
        assert_eq!(what("expect ret true"), ExpectWhat::Ret(1));
        assert_eq!(what("expect ret FALSE"), ExpectWhat::Ret(0));
        assert_eq!(what("expect error WSAEWOULDBLOCK"), ExpectWhat::Error(Code::WSAEWOULDBLOCK));
        assert_eq!(what("expect error econnrefused"), ExpectWhat::Error(Code::ECONNREFUSED));
        assert_eq!(what("expect error 10035"), ExpectWhat::Error(Code::WSAEWOULDBLOCK));
        assert_eq!(what("expect error 115"), ExpectWhat::Error(Code::EINPROGRESS));
        assert_eq!(what("expect na"), ExpectWhat::NotApplicable);
        assert_eq!(what("expect state s pending"), ExpectWhat::State { sock: "s".into(), state: State::Pending });
        assert_eq!(what("expect state c Connected"), ExpectWhat::State { sock: "c".into(), state: State::Connected });
    }

    #[test]
    fn expect_personality_lists() {
        assert_eq!(
            expect("expect linux: error EINPROGRESS"),
            Expect { only: Some(vec![PersonalityId::Linux]), what: ExpectWhat::Error(Code::EINPROGRESS) }
        );
        let both = Some(vec![PersonalityId::Winsock, PersonalityId::Windows]);
        assert_eq!(expect("expect winsock,windows: error WSAEALREADY").only, both);
        assert_eq!(expect("expect winsock, windows: error WSAEALREADY").only, both);
        assert_eq!(expect("expect Winsock,WINDOWS,winsock: ok").only, both);
        assert_eq!(
            expect("expect winsock1:error WSAEINVAL"),
            Expect { only: Some(vec![PersonalityId::Winsock1]), what: ExpectWhat::Error(Code::WSAEINVAL) }
        );
    }

    #[test]
    fn expect_select_event_completion() {
        assert_eq!(
            what("expect select read= write=s,c"),
            ExpectWhat::Select { read: Some(vec![]), write: Some(vec!["s".into(), "c".into()]), except: None }
        );
        assert_eq!(
            what("expect select except=s"),
            ExpectWhat::Select { read: None, write: None, except: Some(vec!["s".into()]) }
        );
        assert_eq!(
            what("expect event s FD_CONNECT"),
            ExpectWhat::Event { sock: "s".into(), event: FdEvents::CONNECT, error: None }
        );
        assert_eq!(
            what("expect event s FD_CONNECT error=WSAECONNREFUSED"),
            ExpectWhat::Event { sock: "s".into(), event: FdEvents::CONNECT, error: Some(Some(Code::WSAECONNREFUSED)) }
        );
        assert_eq!(
            what("expect event s write error=0"),
            ExpectWhat::Event { sock: "s".into(), event: FdEvents::WRITE, error: Some(None) }
        );
        assert_eq!(what("expect completion s"), ExpectWhat::Completion { sock: "s".into(), error: None, bytes: None });
        assert_eq!(
            what("expect completion s error=0 bytes=4"),
            ExpectWhat::Completion { sock: "s".into(), error: Some(None), bytes: Some(4) }
        );
        assert_eq!(
            what("expect completion s bytes=0 error=WSAETIMEDOUT"),
            ExpectWhat::Completion { sock: "s".into(), error: Some(Some(Code::WSAETIMEDOUT)), bytes: Some(0) }
        );
    }

    #[test]
    fn expect_value_and_elapsed() {
        assert_eq!(what("expect value 127.0.0.1:7001"), ExpectWhat::Value("127.0.0.1:7001".into()));
        assert_eq!(what("expect value   0xFFFFFFFF   # mask"), ExpectWhat::Value("0xFFFFFFFF".into()));
        assert_eq!(what("expect value two words"), ExpectWhat::Value("two words".into()));
        assert_eq!(what(r#"expect value "quoted  text""#), ExpectWhat::Value("quoted  text".into()));
        assert_eq!(
            expect("expect linux:value WSAECONNREFUSED"),
            Expect { only: Some(vec![PersonalityId::Linux]), what: ExpectWhat::Value("WSAECONNREFUSED".into()) }
        );
        assert_eq!(what("expect elapsed >=2000"), ExpectWhat::Elapsed { at_least: true, ms: 2000 });
        assert_eq!(what("expect elapsed >= 2000"), ExpectWhat::Elapsed { at_least: true, ms: 2000 });
        assert_eq!(what("expect elapsed <500"), ExpectWhat::Elapsed { at_least: false, ms: 500 });
        assert_eq!(what("expect elapsed < 2s"), ExpectWhat::Elapsed { at_least: false, ms: 2000 });
    }

    // ===== errors ===============================================================================

    #[test]
    fn error_display() {
        let e = error("connect x @accept");
        assert_eq!(
            e.to_string(),
            "line 3, column 9: unknown socket `x`: expected one of s, c (or create it with `socket tcp as x`)"
        );
    }

    #[test]
    fn unknown_command() {
        at("conect s @accept", 1, "did you mean `connect`?");
        at("  xyzzy", 3, "expected one of: wsastartup, wsacleanup, socket");
        assert!(!error("xyzzy").message.contains("did you mean"));
    }

    #[test]
    fn missing_arguments() {
        at("connect s", 10, "missing address");
        at("connect", 8, "missing socket");
        at("connect s   # comment", 10, "missing address");
        at("socket", 7, "missing protocol");
        at("socket tcp as", 14, "missing name after `as`");
        at("send s", 7, "missing data");
        at("ioctlsocket s FIONBIO", 22, "missing FIONBIO value");
        at("shutdown s", 11, "missing direction");
        at("wait", 5, "missing duration or socket");
        at("wait s", 7, "missing condition");
        at("expect", 7, "missing check");
        at("expect linux:", 14, "missing check");
        at("expect error", 13, "missing error code");
        at("expect state s", 15, "missing state");
        at("expect value", 13, "missing value");
        at("expect elapsed >=", 18, "missing milliseconds");
        at("wsaeventselect s", 17, "missing events");
    }

    #[test]
    fn extra_arguments() {
        at("listen s 5 6", 12, "unexpected `6`");
        at("closesocket s now", 15, "usage: closesocket NAME");
        at("wsacleanup 1", 12, "unexpected `1`");
        at("connect s @accept bogus", 19, "expected namelen=N");
        at("socket tcp v4 v6", 15, "expected `as NAME`");
        at("socket tcp raw", 12, "expected v4, v6, af=N or `as NAME`");
        at("expect ok then", 11, "unexpected `then`");
        at("wait 500 s", 10, "unexpected `s`");
    }

    #[test]
    fn unknown_socket_names() {
        at("connect x @accept", 9, "unknown socket `x`: expected one of s, c");
        at("select read=s,zz", 15, "unknown socket `zz`");
        at("wsapoll s,c,q", 13, "unknown socket `q`");
        at("wait q connected", 6, "unknown socket `q`");
        at("expect state q pending", 14, "unknown socket `q`");
        at("expect select write=s,q", 23, "unknown socket `q`");
        at("connect S @accept", 9, "unknown socket `S`"); // names are case-sensitive
        at("connect @accept", 9, "expected a socket name");
        let mut n = Names::default();
        let e = parse_line("connect s @accept", 1, &mut n).unwrap_err();
        assert_eq!(e.col, 9);
        assert!(e.message.contains("no socket is defined yet"), "{e}");
    }

    #[test]
    fn socket_name_definitions() {
        at("socket tcp as s", 15, "already in use");
        at("socket tcp as 9lives", 15, "not a valid socket name");
        at("accept s as c", 13, "already in use");
        at("wait #3 connected", 6, "not a descriptor");
    }

    #[test]
    fn malformed_addresses() {
        at("connect s 127.0.0.1", 11, "has no port");
        at("connect s 127.0.0.1", 11, "expected an address like 127.0.0.1:80, [::1]:80 or a target like @accept");
        at("connect s 127.0.0.300:80", 11, "not an IPv4 address");
        at("connect s localhost:80", 11, "unknown host `localhost`");
        at("connect s ::1:80", 11, "need brackets");
        at("connect s [::1:80", 11, "missing `]`");
        at("connect s [::1]", 11, "has no port");
        at("connect s [::g]:80", 12, "not an IPv6 address");
        at("connect s @nowhere", 11, "unknown target `@nowhere`: expected one of @accept");
        at("connect s banana", 11, "expected an address like");
        at("connect s slow", 11, "did you mean the target `@slow`?");
        at("bind s 127.0.0.1:", 18, "missing port");
        at("sendto s 127.0.0.1:http x", 20, "bad port `http`");
        at("connect s 127.0.0.1:9 namelen=-1", 31, "bad namelen");
    }

    #[test]
    fn port_out_of_range() {
        at("connect s 127.0.0.1:70000", 21, "port 70000 out of range 0-65535");
        at("connect s [::1]:65536", 17, "port 65536 out of range 0-65535");
        at("bind s 0.0.0.0:99999999999999999999", 16, "out of range 0-65535");
    }

    #[test]
    fn linger_structure() {
        let linger = |l: &str| match call(l) {
            Call::SetSockOpt { opt: SockOpt::SO_LINGER, value, .. } => value,
            c => panic!("{c:?}"),
        };
        assert_eq!(linger("setsockopt s SO_LINGER 1,0"), LINGER_ABORT);
        assert_eq!(linger("setsockopt s SO_LINGER on,0"), LINGER_ABORT);
        assert_eq!(linger("setsockopt s SO_LINGER 1,5"), 5);
        assert_eq!(linger("setsockopt s SO_LINGER 0,5"), 0);
        assert_eq!(linger("setsockopt s SO_LINGER 3"), 3);
        at("setsockopt s SO_LINGER 1,x", 24, "bad SO_LINGER value `1,x`");
        at("setsockopt s SO_LINGER ,0", 24, "expected ONOFF,SECONDS");
        at("setsockopt s SO_LINGER 1,70000", 24, "bad SO_LINGER value");
        let c = call("setsockopt s SO_LINGER 1,0");
        assert_eq!(crate::script::unparse::call_line(&c).unwrap(), "setsockopt s SO_LINGER 1,0");
    }

    #[test]
    fn unknown_error_codes() {
        at("expect error WSAEFOO", 14, "unknown error code `WSAEFOO`");
        at("expect error WSAEWOULDBLOK", 14, "did you mean `WSAEWOULDBLOCK`?");
        at("expect error 12345", 14, "unknown error number 12345");
        at("expect error 0", 14, "0 is not an error code");
        at("expect event s FD_CONNECT error=ECONNREFUSD", 33, "unknown error code");
        at("expect completion s error=NOPE", 27, "unknown error code `NOPE`");
    }

    #[test]
    fn bad_personalities() {
        at("expect linx: ok", 8, "unknown personality `linx`: did you mean `linux`?");
        at("expect winsock,macos: ok", 16, "unknown personality `macos`");
        at("expect : ok", 8, "missing personality before `:`");
        at("expect linux, ok", 15, "missing `:` after the personality list, found `ok`");
        at("expect linux,", 14, "missing `:`");
        at("expect eror EINPROGRESS", 8, "did you mean `error`?");
    }

    #[test]
    fn unterminated_quotes_and_bad_escapes() {
        at(r#"send s "hello"#, 8, "unterminated quote");
        at(r#"send s "trailing\"#, 8, "unterminated quote");
        at(r#"wsaconnect s @accept data="x y"#, 27, "unterminated quote");
        at(r#"send s "a\qb""#, 10, "unknown escape `\\q`");
    }

    #[test]
    fn other_bad_values() {
        at("wsastartup two", 12, "expected a version like 2.2");
        at("socket sctp", 8, "unknown protocol `sctp`");
        at("ioctlsocket s FIONREAD 1", 15, "unsupported ioctl");
        at("ioctlsocket s FIONBIO yes", 23, "expected 1 or 0");
        at("setsockopt s SO_BRODCAST", 14, "did you mean `SO_BROADCAST`?");
        at("setsockopt s SO_LINGER maybe", 24, "bad option value");
        at("listen s many", 10, "bad backlog");
        at("select read=s bogus", 15, "expected read=A,B");
        at("select read=s read=c", 15, "given twice");
        at("select timeout=soon", 16, "bad timeout `soon`");
        at("select read=s,,c", 15, "empty socket name");
        at("wsapoll timeout=5", 9, "missing sockets");
        at("wsaeventselect s FD_CONNECT|FD_WRTE", 29, "unknown event `FD_WRTE`");
        at("wsaeventselect s FD_CONNECT|", 29, "missing event name");
        at("wsaeventselect s FD_CONECT", 18, "did you mean `FD_CONNECT`?");
        at("wsaeventselect s write,conect", 24, "did you mean `FD_CONNECT`?");
        at("connect s @acept", 11, "did you mean `@accept`?");
        at("shutdown s sideways", 12, "unknown direction");
        at("wait 5x", 6, "bad duration");
        at("wait s done", 8, "unknown condition `done`");
        at("expect ret maybe", 12, "bad return value");
        at("expect state s asleep", 16, "unknown state `asleep`");
        at("expect select", 14, "missing select set");
        at("expect event s 0", 16, "not 0");
        at("expect elapsed > 5", 16, "expected >= MS or < MS");
        at("expect elapsed <=5", 16, "expected >= MS or < MS");
        at("expect completion s bytes=-1", 27, "bad byte count");
        at("closesocket #12x", 12, "missing socket"); // `#12x` begins a comment
        at("closesocket #99999999999999999999", 13, "bad descriptor");
        at("select read=#x", 13, "bad descriptor `#x`");
        at("wsaconnect s @accept sqos=1", 22, "takes no value");
        at("connectex s @accept send", 21, "missing value of `send`");
        at("connectex s @accept send=a send=b", 28, "given twice");
    }

    #[test]
    fn script_reports_every_error() {
        let src = "\
socket tcp as c          # line 1: fine
ioctlsocket c FIONBIO 1
conect c @refuse         # line 3: typo
connect x @refuse        # line 4: unknown socket
connect c 127.0.0.1:70000
expect linux: error EINPROGRESS

expect wat: ok           # line 8: bad personality
send c \"oops
";
        let errors = parse_script(src).unwrap_err();
        let places: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.col)).collect();
        assert_eq!(places, [(3, 1), (4, 9), (5, 21), (8, 8), (9, 8)], "{errors:#?}");
        assert!(errors[4].message.contains("unterminated quote"));
    }

    #[test]
    fn script_parses_to_statements_with_spans() {
        let src = "# demo\nsocket tcp\r\nnonblock s\n\n  connect s @pending\nexpect winsock: error WSAEWOULDBLOCK\n";
        let stmts = parse_script(src).unwrap();
        let spans: Vec<(usize, usize)> = stmts.iter().map(|s| (s.span.line, s.span.col)).collect();
        assert_eq!(spans, [(2, 1), (3, 1), (5, 3), (6, 1)]);
        assert_eq!(stmts[0].text, "socket tcp");
    }

    #[test]
    fn failed_lines_define_no_name() {
        let mut n = Names::default();
        assert!(parse_line("socket tcp as x extra", 1, &mut n).is_err());
        assert!(!n.contains("x"));
        assert!(n.is_empty());
    }

    // ===== winapi-ov: OVERLAPPED and completion ports ===========================================

    #[test]
    fn parses_overlapped_and_completion_port_lines() {
        assert_eq!(call("overlapped s"), Call::Overlapped { sock: name("s"), set: None });
        assert_eq!(call("overlapped s set=0xdeadbeef"), Call::Overlapped { sock: name("s"), set: Some(0xdead_beef) });
        assert_eq!(call("overlapped s set=7"), Call::Overlapped { sock: name("s"), set: Some(7) });
        assert_eq!(
            call("getoverlappedresult s wait"),
            Call::GetOverlappedResult { sock: name("s"), wait: true, wsa: false, ov: None }
        );
        assert_eq!(
            call("wsagetoverlappedresult c"),
            Call::GetOverlappedResult { sock: name("c"), wait: false, wsa: true, ov: None }
        );
        assert_eq!(
            call("createiocompletionport s l key=125"),
            Call::AssociatePort { sock: name("s"), port: name("l"), key: 125 }
        );
        assert_eq!(
            call("createiocompletionport s l"),
            Call::AssociatePort { sock: name("s"), port: name("l"), key: 0 }
        );
        assert_eq!(
            call("getqueuedcompletionstatus l timeout=100"),
            Call::GetQueuedCompletionStatus { port: name("l"), timeout: Some(Duration::from_millis(100)) }
        );
        assert_eq!(
            call("getqueuedcompletionstatus l"),
            Call::GetQueuedCompletionStatus { port: name("l"), timeout: None }
        );
        assert_eq!(
            call("connectex s @accept overlapped=NULL"),
            Call::Connect {
                sock: name("s"),
                addr: SockAddrArg { kind: AddrKind::Target(NamedTarget::Accept), len: None },
                api: ConnectApi::ConnectEx { send: None, null_overlapped: true }
            }
        );
        assert_eq!(call("wsarecv s"), Call::WsaRecv { sock: name("s"), ov: None, routine: false, bufs: None });
        assert_eq!(
            call("wsasend s hi"),
            Call::WsaSend { sock: name("s"), data: b"hi".to_vec(), ov: None, routine: false, bufs: None }
        );
        assert_eq!(
            call("wsarecv s ov=r1"),
            Call::WsaRecv { sock: name("s"), ov: Some("r1".into()), routine: false, bufs: None }
        );
        assert_eq!(
            call("wsasend s hi ov=w1 routine"),
            Call::WsaSend { sock: name("s"), data: b"hi".to_vec(), ov: Some("w1".into()), routine: true, bufs: None }
        );
        assert_eq!(call("sleepex 0 alertable"), Call::SleepEx { ms: 0, alertable: true });
        assert_eq!(
            call("wsarecv s bufs=4,5"),
            Call::WsaRecv { sock: name("s"), ov: None, routine: false, bufs: Some(vec![4, 5]) }
        );
        assert_eq!(
            call("acceptex s c"),
            Call::AcceptEx {
                listener: name("s"),
                sock: name("c"),
                null_overlapped: false,
                recv: 0,
                local: None,
                remote: None,
                null_buffer: false
            }
        );
        assert_eq!(
            call("acceptex s c overlapped=NULL"),
            Call::AcceptEx {
                listener: name("s"),
                sock: name("c"),
                null_overlapped: true,
                recv: 0,
                local: None,
                remote: None,
                null_buffer: false
            }
        );
        assert_eq!(
            call("disconnectex s"),
            Call::DisconnectEx { sock: name("s"), reuse: false, null_overlapped: false }
        );
        assert_eq!(
            call("disconnectex s reuse overlapped=NULL"),
            Call::DisconnectEx { sock: name("s"), reuse: true, null_overlapped: true }
        );
        assert_eq!(
            call("disconnectex s TF_REUSE_SOCKET"),
            Call::DisconnectEx { sock: name("s"), reuse: true, null_overlapped: false }
        );
        // `createiocompletionport as NAME` defines a name later lines may use.
        let mut n = names(&["s"]);
        let st = parse_line("createiocompletionport as port", 1, &mut n).unwrap().unwrap();
        assert_eq!(st.kind, StmtKind::Call(Call::CreateIoCompletionPort { name: "port".into() }));
        assert!(parse_line("getqueuedcompletionstatus port timeout=0", 2, &mut n).is_ok());
    }

    #[test]
    fn overlapped_and_completion_port_errors_name_the_column() {
        at("overlapped s set=x", 18, "bad value `x`");
        at("overlapped s wait", 14, "expected set=N");
        at("getoverlappedresult s now", 23, "unexpected `now`");
        at("connectex s @accept overlapped=&ov", 32, "expected overlapped=NULL");
        at("createiocompletionport s c key=k", 32, "bad key `k`");
        at("createiocompletionport as s", 27, "already in use");
        at("getqueuedcompletionstatus c 100", 29, "expected timeout=MS");
        at("getqueuedcompletionstatus nosuch", 27, "unknown socket `nosuch`");
        at("disconnectex s now", 16, "expected reuse or overlapped=NULL");
        at("acceptex s c now", 14, "expected recv=N, local=N, remote=N, overlapped=NULL or buffer=NULL");
    }

    // ===== acceptex2: AcceptEx lengths, GetAcceptExSockaddrs, CancelIo, WSAAccept ==============

    #[test]
    fn parses_acceptex2_lines() {
        assert_eq!(
            call("acceptex s c recv=2 local=3 remote=0"),
            Call::AcceptEx {
                listener: name("s"),
                sock: name("c"),
                null_overlapped: false,
                recv: 2,
                local: Some(3),
                remote: Some(0),
                null_buffer: false
            }
        );
        assert_eq!(call("getacceptexsockaddrs c"), Call::GetAcceptExSockaddrs { sock: name("c") });
        assert_eq!(call("cancelio s"), Call::CancelIo { sock: name("s"), ex: false });
        assert_eq!(call("CancelIoEx s"), Call::CancelIo { sock: name("s"), ex: true });
        let mut n = names(&["l"]);
        let s = parse_line("wsaaccept l cf=defer as d", 1, &mut n).unwrap().unwrap();
        assert_eq!(
            s.kind,
            StmtKind::Call(Call::Accept { sock: name("l"), name: "d".into(), cond: Some(AcceptCond::Defer) })
        );
        let s = parse_line("wsaaccept l cf=CF_REJECT", 1, &mut n).unwrap().unwrap();
        assert!(matches!(s.kind, StmtKind::Call(Call::Accept { cond: Some(AcceptCond::Reject), .. })));
        let s = parse_line("wsaaccept l", 1, &mut n).unwrap().unwrap();
        assert!(matches!(s.kind, StmtKind::Call(Call::Accept { cond: Some(AcceptCond::Null), .. })));
    }

    #[test]
    fn acceptex2_errors_name_the_column() {
        at("acceptex s c recv=x", 19, "bad recv `x`");
        at("acceptex s c recv=4097", 19, "from 0 to 4096");
        at("acceptex s c local=257", 20, "from 0 to 256");
        at("acceptex s c recv=1 recv=2", 21, "`recv` given twice");
        at("wsaaccept s cf=maybe", 16, "unknown condition `maybe`");
        at("wsaaccept s now", 13, "unexpected `now`");
        at("cancelio s extra", 12, "extra");
    }

    #[test]
    fn parses_wsasendto_wsarecvfrom_and_gather() {
        let to = || SockAddrArg { kind: AddrKind::Target(NamedTarget::Echo), len: None };
        assert_eq!(
            call("wsasend s deadbeefs bufs=4,5"),
            Call::WsaSend {
                sock: name("s"),
                data: b"deadbeefs".to_vec(),
                ov: None,
                routine: false,
                bufs: Some(vec![4, 5])
            }
        );
        assert_eq!(
            call("wsasendto s @echo hi overlapped=NULL bytes=null"),
            Call::WsaSendTo {
                sock: name("s"),
                addr: to(),
                data: b"hi".to_vec(),
                bufs: None,
                null_overlapped: true,
                ov: None,
                routine: false,
                null_bytes: true
            }
        );
        assert_eq!(
            call("wsasendto s @echo hi bufs=1,1 routine ov=w1"),
            Call::WsaSendTo {
                sock: name("s"),
                addr: to(),
                data: b"hi".to_vec(),
                bufs: Some(vec![1, 1]),
                null_overlapped: false,
                ov: Some("w1".into()),
                routine: true,
                null_bytes: false
            }
        );
        assert_eq!(
            call("wsarecvfrom s overlapped=NULL bufs=4,5"),
            Call::WsaRecvFrom {
                sock: name("s"),
                bufs: Some(vec![4, 5]),
                null_overlapped: true,
                ov: None,
                routine: false
            }
        );
        // The buffers must cut the data; a plain call takes no OVERLAPPED name or routine.
        let e = parse_line("wsasend s deadbeefs bufs=4,4", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("add up to 8") && e.col == 21, "{e:?}");
        let e = parse_line("wsarecvfrom s overlapped=NULL routine", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("plain call") && e.col == 15, "{e:?}");
        let e = parse_line("wsasendto s @echo hi bytes=3", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("bytes=NULL"), "{e:?}");
        let e = parse_line("wsasend s hi overlapped=NULL", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("expected ov=OV"), "{e:?}");
        let e = parse_line("wsarecvfrom s routine routine", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("given twice"), "{e:?}");
    }

    #[test]
    fn parses_getqueuedcompletionstatusex() {
        assert_eq!(
            call("getqueuedcompletionstatusex l alertable count=2 timeout=0"),
            Call::GetQueuedCompletionStatusEx {
                port: name("l"),
                count: 2,
                timeout: Some(Duration::from_millis(0)),
                alertable: true
            }
        );
        assert_eq!(
            call("getqueuedcompletionstatusex l"),
            Call::GetQueuedCompletionStatusEx { port: name("l"), count: 16, timeout: None, alertable: false }
        );
        let e = parse_line("getqueuedcompletionstatusex s count=0", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("1 to 64") && e.col == 37, "{e:?}");
        let e = parse_line("getqueuedcompletionstatusex s alertable alertable", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("each once"), "{e:?}");
        let e = parse_line("acceptex s s buffer=0", 1, &mut names(&["s"])).unwrap_err();
        assert!(e.message.contains("buffer=NULL"), "{e:?}");
    }

    #[test]
    fn completes_wsaio3_lines() {
        let n = names(&["s"]);
        assert_eq!(completions("wsasendto s @ec", &n), ["@echo"]);
        assert_eq!(completions("wsasendto s @echo hi overlapped=NULL b", &n), ["bufs=", "bytes=NULL"]);
        assert_eq!(completions("wsarecvfrom s bufs=4,5 o", &n), ["ov=", "overlapped=NULL"]);
        assert_eq!(completions("wsasend s hi r", &n), ["routine"]);
        assert_eq!(completions("getqueuedcompletionstatusex s a", &n), ["alertable"]);
        assert_eq!(completions("acceptex s s recv=1 b", &n), ["buffer=NULL"]);
    }

    #[test]
    fn completes_acceptex2_lines() {
        let n = names(&["s", "port"]);
        assert_eq!(completions("acceptex s port r", &n), ["recv=", "remote="]);
        assert_eq!(completions("acceptex s port recv=2 r", &n), ["remote="]);
        assert_eq!(completions("wsaaccept s cf=d", &n), ["cf=defer"]);
        assert_eq!(completions("wsaaccept s cf=defer a", &n), ["as"]);
        assert_eq!(completions("cancelio p", &n), ["port"]);
        assert_eq!(completions("getacceptex", &n), ["getacceptexsockaddrs"]);
    }

    #[test]
    fn completes_overlapped_and_completion_port_lines() {
        let n = names(&["s", "port"]);
        assert_eq!(completions("getq", &n), ["getqueuedcompletionstatus", "getqueuedcompletionstatusex"]);
        assert_eq!(completions("disconnectex s r", &n), ["reuse"]);
        assert_eq!(completions("acceptex s p", &n), ["port"]);
        assert_eq!(completions("acceptex s port o", &n), ["overlapped=NULL"]);
        assert_eq!(completions("disconnectex s reuse o", &n), ["overlapped=NULL"]);
        assert_eq!(completions("getoverlappedresult s w", &n), ["wait"]);
        assert_eq!(completions("createiocompletionport ", &n), ["as", "s", "port"]);
        assert_eq!(completions("createiocompletionport s port k", &n), ["key="]);
        assert_eq!(completions("connectex s @accept over", &n), ["overlapped=NULL"]);
        assert_eq!(completions("getqueuedcompletionstatus port timeout=i", &n), ["timeout=inf"]);
    }

    // ===== completion ===========================================================================

    #[test]
    fn completes_commands() {
        let n = Names::default();
        assert_eq!(completions("con", &n), ["connect", "connectex"]);
        assert_eq!(completions("WSAE", &n), ["wsaeventselect", "wsaenumnetworkevents"]);
        assert_eq!(completions("", &n).len(), COMMANDS.len());
        assert!(completions("xyz", &n).is_empty());
    }

    #[test]
    fn completes_arguments() {
        let n = names(&["s", "c1", "c2"]);
        assert_eq!(completions("connect ", &n), ["s", "c1", "c2"]);
        assert_eq!(completions("connect c", &n), ["c1", "c2"]);
        assert_eq!(completions("connect s @re", &n), ["@refuse", "@reset"]);
        assert_eq!(completions("connect s @accept ", &n), ["namelen="]);
        assert_eq!(completions("wsaconnect s @accept sqos ", &n), ["namelen=", "data=", "callee=", "gqos"]);
        assert_eq!(completions("setsockopt s so_br", &n), ["SO_BROADCAST"]);
        assert_eq!(completions("getsockopt s so_bs", &n), ["SO_BSP_STATE"]);
        assert_eq!(completions("wsaeventselect s FD_CONNECT|FD_W", &n), ["FD_CONNECT|FD_WRITE"]);
        assert_eq!(completions("wsaeventselect s connect,cl", &n), ["connect,FD_CLOSE"]);
        assert_eq!(completions("select read=s,c", &n), ["read=s,c1", "read=s,c2"]);
        assert_eq!(completions("select read=s ", &n), ["write=", "except=", "timeout=", "tv_sec=", "tv_usec="]);
        assert_eq!(completions("wait s ", &n), ["connected", "failed", "event"]);
        assert_eq!(completions("socket tcp ", &n), ["v4", "v6", "af=", "as"]);
        assert!(completions("send s # note", &n).is_empty());
    }

    #[test]
    fn completes_expect() {
        let n = names(&["s"]);
        let first = completions("expect ", &n);
        assert!(first.contains(&"error".to_string()) && first.contains(&"linux:".to_string()), "{first:?}");
        assert_eq!(completions("expect win", &n), ["winsock:", "windows:", "winsock1:"]);
        assert_eq!(completions("expect linux,win", &n), ["linux,winsock:", "linux,windows:", "linux,winsock1:"]);
        assert_eq!(completions("expect linux: e", &n), ["error", "event", "elapsed"]);
        assert_eq!(completions("expect state s con", &n), ["connected"]);
        let mut codes = completions("expect error WSAECONNRE", &n);
        codes.sort(); // catalogue order is not this module's business
        assert_eq!(codes, ["WSAECONNREFUSED", "WSAECONNRESET"]);
        assert_eq!(completions("expect event s FD_CONNECT error=WSAECONNREF", &n), ["error=WSAECONNREFUSED"]);
        assert_eq!(completions("expect completion s ", &n), ["error=", "bytes="]);
    }

    // ===== names ================================================================================

    #[test]
    fn names_api() {
        let mut n = Names::default();
        assert_eq!(n.next_socket_name(), "s");
        assert!(n.insert("s"));
        assert!(!n.insert("s"));
        assert_eq!(n.next_socket_name(), "s2");
        n.insert("s3");
        n.insert("s2");
        assert_eq!(n.next_socket_name(), "s4");
        assert_eq!(n.next_accept_name(), "a1");
        assert!(n.contains("s3") && !n.contains("S3"));
        assert_eq!(n.iter().collect::<Vec<_>>(), ["s", "s3", "s2"]);
        assert!(is_valid_name("_x-1") && !is_valid_name("1x") && !is_valid_name("a.b") && !is_valid_name(""));
    }

    #[test]
    fn command_table_is_consistent() {
        for (word, usage) in commands() {
            assert!(usage.starts_with(word), "{word}: {usage}");
            assert!(completions(word, &Names::default()).iter().any(|c| c == word), "{word}");
            // lookup_cmd indexes the table by a lower-case ASCII first letter.
            assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{word}");
            assert_eq!(lookup_cmd(&word.to_ascii_uppercase()).map(|c| c.word), Some(word));
        }
        assert!(lookup_cmd("").is_none() && lookup_cmd("_x").is_none() && lookup_cmd("éx").is_none());
    }

    #[test]
    fn default_names_skip_the_names_taken_in_any_order() {
        let mut n = Names::default();
        for name in ["a2", "s4", "a1", "s", "s02", "a01", "s3", "s2"] {
            assert!(n.insert(name));
        }
        assert_eq!((n.next_socket_name(), n.next_accept_name()), ("s5".to_string(), "a3".to_string()));
        let mut n = Names::default();
        n.insert("s1");
        assert_eq!(n.next_socket_name(), "s");
    }

    #[test]
    fn columns_count_characters_past_quotes_and_wide_text() {
        // `é` is two bytes, one column; the unknown socket's column counts characters.
        at("send s \"é\" x", 12, "unexpected `x`");
        at("  é", 3, "unknown command `é`");
        at("connect\u{3000}x @accept", 9, "unknown socket `x`");
        assert_eq!(stmt("send s \"a b\"c=d", &["s"]).text, "send s \"a b\"c=d");
        assert!(matches!(call("send s x\"y\"z"), Call::Send { data, .. } if data == b"xyz"));
    }

    /// The lexer as it was before it read bytes (main at ed32acd, over a vector of characters),
    /// kept to show the byte lexer splits, unquotes, places and refuses every line alike.
    mod reference_lexer {
        use super::super::ParseError;

        /// text, col, end, end_byte, quoted, eq
        pub type OldTok = (String, usize, usize, usize, bool, Option<(usize, usize)>);

        /// Whether the word starting at `chars[0] == '#'` is a raw descriptor `#N` / `#-N`.
        fn old_is_raw_ref_word(chars: &[(usize, char)]) -> bool {
            let word: Vec<char> = chars.iter().map(|&(_, c)| c).take_while(|c| !c.is_whitespace()).collect();
            let digits = match word.get(1) {
                Some('-') => &word[2..],
                _ => &word[1.min(word.len())..],
            };
            // args3: `#-1:POLLERR,l:POLLIN` and `#-1=POLLNVAL` go on after the number.
            let end = digits.iter().position(|c| !c.is_ascii_digit()).unwrap_or(digits.len());
            let rest = &digits[end..];
            end > 0
                && (rest.is_empty()
                    || matches!(rest[0], ':' | '=' | ',')
                        && rest.get(1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '#'))
        }

        /// `\xHH` (ASCII, 00 to 7F) or `\u{H..}` at `chars[0] == '\\'`: the character and how many
        /// characters the escape takes.
        fn old_numeric_escape(chars: &[(usize, char)]) -> Option<(char, usize)> {
            let hex = |k: usize| chars.get(k).and_then(|&(_, c)| c.to_digit(16));
            match chars.get(1)?.1 {
                'x' => {
                    let v = hex(2)? * 16 + hex(3)?;
                    if v > 0x7f {
                        return None;
                    }
                    Some((char::from_u32(v)?, 4))
                }
                'u' => {
                    if chars.get(2)?.1 != '{' {
                        return None;
                    }
                    let mut v: u32 = 0;
                    let mut k = 3;
                    while let Some(d) = hex(k) {
                        v = v.checked_mul(16)?.checked_add(d)?;
                        k += 1;
                        if k > 9 {
                            return None;
                        }
                    }
                    if k == 3 || chars.get(k)?.1 != '}' {
                        return None;
                    }
                    Some((char::from_u32(v)?, k + 1))
                }
                _ => None,
            }
        }

        pub fn old_lex(line: &str, line_no: usize) -> Result<(Vec<OldTok>, usize), ParseError> {
            // Sized once (a line has at most one character per byte): collecting an iterator without
            // an exact size grew the vector several times per line.
            let mut chars: Vec<(usize, char)> = Vec::with_capacity(line.len());
            chars.extend(line.char_indices());
            let err = |i: usize, message: String| ParseError { line: line_no, col: i + 1, message };
            let mut toks = Vec::with_capacity(8);
            let mut code_end = line.len();
            let mut i = 0;
            while i < chars.len() {
                let (byte, c) = chars[i];
                if c.is_whitespace() {
                    i += 1;
                    continue;
                }
                if c == '#' && !old_is_raw_ref_word(&chars[i..]) {
                    code_end = byte;
                    break;
                }
                let start = i;
                let mut text = String::with_capacity(16);
                let mut quoted = false;
                let mut eq = None;
                let mut open_quote: Option<usize> = None;
                while i < chars.len() {
                    let c = chars[i].1;
                    match open_quote {
                        None if c.is_whitespace() => break,
                        None if c == '"' => {
                            open_quote = Some(i);
                            quoted = true;
                            i += 1;
                        }
                        None => {
                            if c == '=' && eq.is_none() {
                                eq = Some((text.len(), i + 2));
                            }
                            text.push(c);
                            i += 1;
                        }
                        Some(_) if c == '"' => {
                            open_quote = None;
                            i += 1;
                        }
                        Some(q) if c == '\\' => {
                            let Some(&(_, e)) = chars.get(i + 1) else {
                                return Err(err(
                                    q,
                                    "unterminated quote: expected a closing `\"` before the end of the line".into(),
                                ));
                            };
                            let (resolved, len) = match e {
                                'n' => ('\n', 2),
                                't' => ('\t', 2),
                                'r' => ('\r', 2),
                                '0' => ('\0', 2),
                                '\\' => ('\\', 2),
                                '"' => ('"', 2),
                                'x' | 'u' => old_numeric_escape(&chars[i..]).ok_or_else(|| {
                                    err(
                                        i,
                                        format!(
                                            "bad escape in quoted text: expected {}",
                                            if e == 'x' {
                                                "\\xHH with HH two hex digits 00 to 7F"
                                            } else {
                                                "\\u{HHHH} with a Unicode scalar value in hex"
                                            }
                                        ),
                                    )
                                })?,
                                other => {
                                    return Err(err(
                                        i,
                                        format!(
                                            "unknown escape `\\{}` in quoted text: expected \\n, \\t, \\r, \\0, \\\\, \\\", \\xHH or \\u{{HHHH}}",
                                            other.escape_default()
                                        ),
                                    ));
                                }
                            };
                            text.push(resolved);
                            i += len;
                        }
                        Some(_) => {
                            text.push(c);
                            i += 1;
                        }
                    }
                }
                if let Some(q) = open_quote {
                    return Err(err(
                        q,
                        "unterminated quote: expected a closing `\"` before the end of the line".into(),
                    ));
                }
                let end_byte = chars.get(i).map_or(line.len(), |&(b, _)| b);
                toks.push((text, start + 1, i + 1, end_byte, quoted, eq));
            }
            Ok((toks, code_end))
        }
    }

    fn same_as_the_reference_lexer(line: &str) {
        let new = lex(line, 7).map(|l| {
            let toks: Vec<reference_lexer::OldTok> =
                l.toks.iter().map(|t| (t.text.to_string(), t.col, t.end, t.end_byte, t.quoted, t.eq)).collect();
            (toks, l.code_end)
        });
        assert_eq!(new, reference_lexer::old_lex(line, 7), "`{line}`");
    }

    #[test]
    fn the_byte_lexer_agrees_with_the_reference_on_hard_lines() {
        for line in [
            "",
            " ",
            "connect s17 @accept",
            "send s \"a b\"c=d e=f=g",
            "x \"\\x41\\u{e9}\\n\" # c",
            "#5 #-3 #x",
            "wsapoll l:POLLIN,#-1:POLLERR,#7:POLLIN #12: a comment #3=x #4,#5",
            "a=\"=\"=b",
            "é\u{3000}ü=1 \"ß\"",
            "\"unterminated",
            "\"bad \\q\"",
            "\"bad \\x80\"",
            "\"\\u{110000}\"",
            "\"\\",
            "\t\x0b\x0ca\u{85}b",
            "a#b # c",
            "\"é\\é\"",
            "#",
            "#-",
            "w \"\\u{12345678}\"",
        ] {
            same_as_the_reference_lexer(line);
        }
    }

    // ===== robustness ===========================================================================

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Words that reach deep into the grammar, glued with random text.
        fn vocabulary() -> impl Strategy<Value = String> {
            let fixed = prop::sample::select(vec![
                "connect",
                "wsaconnect",
                "connectex",
                "expect",
                "select",
                "wait",
                "socket",
                "accept",
                "s",
                "c",
                "linux,",
                "winsock:",
                ":",
                "read=",
                "error=",
                "bytes=",
                "namelen=",
                "@accept",
                "[::1]:",
                "#",
                "#1",
                "\"",
                "\\",
                ">=",
                "<",
                "value",
                "state",
                "event",
                "as",
            ])
            .prop_map(String::from);
            let word = prop_oneof![fixed, "[a-z0-9:=,#@\\[\\]\"\\\\|.%-]{0,8}", "\\PC{0,4}"];
            prop::collection::vec(word, 0..8).prop_map(|w| w.join(" "))
        }

        proptest! {
            #[test]
            fn parse_line_never_panics(line in "\\PC{0,60}") {
                let mut n = names(&["s", "c"]);
                let _ = parse_line(&line, 1, &mut n);
                let _ = completions(&line, &n);
            }

            #[test]
            fn grammar_shaped_lines_never_panic(line in vocabulary()) {
                let mut n = names(&["s", "c"]);
                if let Err(e) = parse_line(&line, 1, &mut n) {
                    // A column points into the line or just past its end.
                    prop_assert!(e.col >= 1 && e.col <= line.chars().count() + 1, "{e} for {line:?}");
                }
                let _ = completions(&line, &n);
            }

            #[test]
            fn any_text_script_never_panics(src in "(\\PC{0,30}\n){0,5}") {
                let _ = parse_script(&src);
            }

            #[test]
            fn the_byte_lexer_agrees_with_the_reference(line in "[ \t\"\\\\#=xu{}0-9a-fé\u{3000}-]{0,24}") {
                same_as_the_reference_lexer(&line);
            }
        }
    }

    #[test]
    fn another_thread_and_the_world_parse_and_complete() {
        assert_eq!(
            call("after 300 closesocket s"),
            Call::After {
                after: Duration::from_millis(300),
                action: Box::new(Call::Close { sock: SockRef::Name("s".into()) })
            }
        );
        assert_eq!(call("pipe as p"), Call::Pipe { name: "p".into() });
        assert_eq!(call("link down"), Call::Link { up: false });
        assert_eq!(call("portrange 40000 40001"), Call::PortRange { lo: 40000, hi: 40001 });
        assert_eq!(call("firewall drop 127.0.0.2"), Call::Firewall { drop: Some("127.0.0.2".parse().unwrap()) });
        assert_eq!(call("firewall clear"), Call::Firewall { drop: None });
        let e = error("after 300 wait 5");
        assert_eq!((e.line, e.col), (3, 11), "{e}");
        assert!(error("after 300").message.contains("missing call"));
        assert!(error("after 300 socket tcp as x").message.contains("another thread"));
        assert!(error("after soon closesocket s").message.contains("bad duration"));
        let e = error("portrange 5 4");
        assert!(e.message.contains("empty"), "{e}");
        assert!(error("link sideways").message.contains("down or up"));
        assert!(error("firewall drop nowhere").message.contains("IP address"));
        assert!(error("pipe p").message.contains("as NAME"));
        assert_eq!(
            call("setsockopt s SO_BROADCAST optlen=1"),
            Call::SetSockOpt { sock: SockRef::Name("s".into()), opt: SockOpt::SO_BROADCAST, value: 1, optlen: Some(1) }
        );
        assert_eq!(
            call("getsockopt s SO_ERROR optlen=2"),
            Call::GetSockOpt { sock: SockRef::Name("s".into()), opt: SockOpt::SO_ERROR, optlen: Some(2) }
        );
        assert!(error("getsockopt s SO_ERROR namelen=1").message.contains("optlen=N"));
        assert_eq!(
            call("getsockname s namelen=15"),
            Call::GetSockName { sock: SockRef::Name("s".into()), namelen: Some(15) }
        );
        assert!(error("getpeername s optlen=3").message.contains("namelen=N"));
        assert!(error("setsockopt s SO_BROADCAST 1 optlen=x").message.contains("bad optlen"));
        let n = names(&["s"]);
        assert_eq!(completions("after 300 clo", &n), ["closesocket", "close", "closehandle"]);
        assert_eq!(completions("after 300 closesocket ", &n), ["s"]);
        assert_eq!(completions("link ", &n), ["down", "up"]);
        assert_eq!(completions("firewall ", &n), ["drop", "clear"]);
    }

    // ---- winapi-args: poll's request mask and af=N ----
    #[test]
    fn poll_events_and_family_numbers() {
        let s = SockRef::Name("s".into());
        assert_eq!(
            call("poll s events=POLLRDNORM|wrnorm timeout=0"),
            Call::Poll {
                socks: vec![s.clone()],
                timeout: Some(Duration::ZERO),
                events: Some(PollBits::RDNORM | PollBits::WRNORM)
            }
        );
        assert_eq!(
            call("wsapoll s timeout=5 events=0"),
            Call::Poll { socks: vec![s.clone()], timeout: Some(Duration::from_millis(5)), events: Some(PollBits(0)) }
        );
        let e = error("poll s events=POLLRDNROM");
        assert!(e.message.contains("did you mean `POLLRDNORM`"), "{e}");
        assert_eq!(e.col, 15, "{e}");
        assert!(error("poll s events=POLLIN events=POLLOUT").message.contains("unexpected"));
        assert!(error("epoll s events=POLLIN").message.contains("expected timeout=MS"));
        assert_eq!(
            call("connect s af=57005"),
            Call::Connect {
                sock: s.clone(),
                addr: SockAddrArg { kind: AddrKind::Family(57005), len: None },
                api: ConnectApi::Connect
            }
        );
        assert_eq!(
            call("bind s af=9999 namelen=28"),
            Call::Bind { sock: s, addr: SockAddrArg { kind: AddrKind::Family(9999), len: Some(28) } }
        );
        let e = error("bind s af=2");
        assert!(e.message.contains("from 64 to 65535"), "{e}");
        assert!(error("bind s af=70000").message.contains("bad address family"));
        let n = names(&["s"]);
        assert_eq!(completions("poll s ", &n), ["timeout=", "events="]);
        assert_eq!(completions("poll s events=POLLWR", &n), ["events=POLLWRNORM", "events=POLLWRBAND"]);
        assert_eq!(
            completions("poll s events=POLLIN|rd", &n),
            ["events=POLLIN|POLLRDNORM", "events=POLLIN|POLLRDBAND", "events=POLLIN|POLLRDHUP"]
        );
        assert!(completions("connect s a", &n).contains(&"af=".to_string()));
        assert_eq!(call("socket udp af=57005 as z"), Call::SocketAf { proto: Proto::Udp, af: 57005, name: "z".into() });
        assert!(error("socket tcp af=10 as z").message.contains("v4 or v6"));
        assert!(error("socket tcp af=70000 v6 as z").message.contains("bad address family"));
        assert!(completions("socket tcp ", &n).contains(&"af=".to_string()));
        assert_eq!(
            call("getpeername s name=null"),
            Call::NameNull { sock: SockRef::Name("s".into()), peer: true, len: false }
        );
        assert!(error("getsockname s name=x").message.contains("name=null"));
        assert_eq!(completions("getsockname s ", &n), ["namelen=", "namelen=null", "name=null"]);
        // args2: NULL length pointers, and a NULL optval with a length.
        assert_eq!(
            call("getpeername s namelen=null"),
            Call::NameNull { sock: SockRef::Name("s".into()), peer: true, len: true }
        );
        assert_eq!(
            call("getsockopt s SO_ERROR optlen=null"),
            Call::OptNull {
                sock: SockRef::Name("s".into()),
                opt: SockOpt::SO_ERROR,
                set: false,
                arg: OptNullArg::Optlen
            }
        );
        assert_eq!(
            call("setsockopt s SO_LINGER optval=null optlen=0"),
            Call::OptNull {
                sock: SockRef::Name("s".into()),
                opt: SockOpt::SO_LINGER,
                set: true,
                arg: OptNullArg::OptvalLen(0)
            }
        );
        assert!(error("setsockopt s SO_LINGER optlen=null").message.contains("not a pointer"));
        assert!(error("getsockopt s SO_ERROR optval=null optlen=4").message.contains("unexpected"));
        assert!(error("getsockname s namelen=nul").message.contains("bad namelen"));
        assert!(completions("getsockopt s SO_ERROR ", &n).contains(&"optlen=null".to_string()));
        assert_eq!(
            call("wsapoll null n=0 timeout=5"),
            Call::PollNull { n: 0, timeout: Some(Duration::from_millis(5)) }
        );
        assert_eq!(call("poll null n=2"), Call::PollNull { n: 2, timeout: None });
        assert!(error("wsapoll null").message.contains("n=N"));
        assert!(error("wsapoll null n=x").message.contains("bad n"));
        assert!(error("wsapoll null n=1 events=POLLIN").message.contains("expected timeout=MS"));
        assert!(completions("wsapoll nu", &n).contains(&"null".to_string()));
        // args3: sets present but empty.
        assert_eq!(
            call("select read= except= timeout=5"),
            Call::SelectEmptySets { read: true, write: false, except: true, timeout: Some(Duration::from_millis(5)) }
        );
        assert!(matches!(call("select read= write=s"), Call::Select { .. }));
        // esc3: the timeval's fields as written, out of range too; a missing one is 0.
        let s = || vec![SockRef::Name("s".into())];
        assert_eq!(
            call("select read=s tv_sec=0 tv_usec=1000000"),
            Call::SelectTimeval { read: s(), write: vec![], except: vec![], sec: 0, usec: 1_000_000 }
        );
        assert_eq!(
            call("select write=s except=s tv_usec=-1"),
            Call::SelectTimeval { read: vec![], write: s(), except: s(), sec: 0, usec: -1 }
        );
        at("select read=s timeout=5 tv_sec=1", 25, "both given");
        at("select read=s tv_sec=x", 22, "bad tv_sec `x`");
        at("select read=s tv_usec=1 tv_usec=2", 25, "given twice");
        at("select read= tv_sec=1", 14, "need a socket");
        // args3: a mask per entry, raw descriptors.
        assert_eq!(
            call("wsapoll s:POLLIN,#-1:POLLERR timeout=0"),
            Call::PollFds {
                fds: vec![
                    PollFd { sock: SockRef::Name("s".into()), events: PollBits::IN },
                    PollFd { sock: SockRef::Raw(-1), events: PollBits::ERR },
                ],
                timeout: Some(Duration::ZERO),
            }
        );
        assert!(error("wsapoll s:POLLIN,#-1").message.contains("has no mask"));
        assert!(error("wsapoll s:POLLIN events=POLLIN").message.contains("per entry"));
        assert!(error("wsapoll s:POLLX").message.contains("POLLX"));
        assert_eq!(completions("wsapoll s:POLLIN,#-1:POLLE", &n), ["s:POLLIN,#-1:POLLERR"]);
        assert_eq!(completions("wsapoll s:POLLIN ", &n), ["timeout="]);
        assert_eq!(completions("wsapoll null ", &n), ["n="]);
        assert_eq!(
            call("setsockopt s SO_LINGER optval=null"),
            Call::OptNull {
                sock: SockRef::Name("s".into()),
                opt: SockOpt::SO_LINGER,
                set: true,
                arg: OptNullArg::Optval
            }
        );
        assert!(error("getsockopt s SO_ERROR optval=3").message.contains("optval=null"));
    }
}
