//! The command language written back from parsed calls: what the exports print for a call,
//! never the text a recording carries (which a crafted file can fill with anything).
//!
//! [`call_line`] of a call the parser produced parses back to the same call (a property test in
//! `tests/properties.rs` checks it). Every piece of text goes through [`quote`], the one escaping
//! routine of the command language: the result is a single line of printable characters.

use std::fmt::Write as _;
use std::time::Duration;

use crate::core::call::{
    AddrKind, Call, ConnectApi, Family, FdEvents, How, LINGER_ABORT, OptNullArg, SockAddrArg, SockOpt, SockRef,
};

use super::parse::{MAX_DURATION_MS, is_valid_name};

/// Why a call cannot be written in the command language (only a crafted recording has such
/// calls: the parser never makes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unwritable(pub String);

impl std::fmt::Display for Unwritable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text as one quoted word: `"..."` with `\"`, `\\`, `\n`, `\t`, `\r`, `\0`, `\xHH` for the
/// other ASCII control characters and `\u{H..}` for the other control and format characters
/// (C1 controls, bidirectional overrides, line separators). The output is printable and has
/// no line break.
pub fn quote(text: &str) -> String {
    let mut o = String::with_capacity(text.len() + 2);
    o.push('"');
    for c in text.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            '\0' => o.push_str("\\0"),
            c if c.is_ascii_control() => {
                let _ = write!(o, "\\x{:02x}", c as u32);
            }
            c if is_unsafe_char(c) => {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

pub use super::term::is_unsafe_char;

fn bytes(data: &[u8]) -> Result<String, Unwritable> {
    match std::str::from_utf8(data) {
        Ok(s) => Ok(quote(s)),
        Err(_) => Err(Unwritable("its data is not UTF-8 text, which the command language cannot write".into())),
    }
}

/// A socket name as the language writes it.
pub fn name(n: &str) -> Result<&str, Unwritable> {
    if is_valid_name(n) {
        Ok(n)
    } else {
        Err(Unwritable(format!("{} is not a socket name the command language accepts", quote(n))))
    }
}

/// ` ov=NAME` when a call names its OVERLAPPED (iocp2), else nothing.
fn ov_arg(ov: &Option<String>) -> Result<String, Unwritable> {
    match ov {
        Some(n) => Ok(format!(" ov={}", name(n)?)),
        None => Ok(String::new()),
    }
}

/// ` bufs=N,M` for a call's WSABUF lengths (iocp2, wsaio3), else nothing.
fn bufs_arg(bufs: &Option<Vec<u32>>) -> Result<String, Unwritable> {
    match bufs {
        Some(b) if b.is_empty() || b.len() > 16 || b.iter().any(|&n| !(1..=65536).contains(&n)) => {
            Err(Unwritable("buffer lengths outside 1 to 16 buffers of 1 to 65536 bytes".into()))
        }
        Some(b) => Ok(format!(" bufs={}", b.iter().map(u32::to_string).collect::<Vec<_>>().join(","))),
        None => Ok(String::new()),
    }
}

/// wsaio3: ` bufs=N,M` for a send's gather buffers, which must cut its data exactly.
fn gather_arg(data: &[u8], bufs: &Option<Vec<u32>>) -> Result<String, Unwritable> {
    if !crate::core::call::gather_fits(data, bufs.as_deref()) {
        return Err(Unwritable("gather buffers that do not add up to the data's length".into()));
    }
    bufs_arg(bufs)
}

fn sock(r: &SockRef) -> Result<String, Unwritable> {
    match r {
        SockRef::Name(n) => name(n).map(str::to_string),
        SockRef::Raw(v) => Ok(format!("#{v}")),
    }
}

fn list(refs: &[SockRef]) -> Result<String, Unwritable> {
    Ok(refs.iter().map(sock).collect::<Result<Vec<_>, _>>()?.join(","))
}

/// Milliseconds, when the duration is one the language can write (whole ms, within
/// [`MAX_DURATION_MS`]).
pub fn millis(d: Duration) -> Result<u64, Unwritable> {
    let ms = u64::try_from(d.as_millis()).ok().filter(|&ms| ms <= MAX_DURATION_MS);
    match ms {
        Some(ms) if d.subsec_nanos() % 1_000_000 == 0 => Ok(ms),
        _ => Err(Unwritable(format!("a duration of {d:?} is not whole milliseconds up to {MAX_DURATION_MS}"))),
    }
}

fn timeout(t: Option<Duration>) -> Result<String, Unwritable> {
    match t {
        None => Ok("timeout=inf".into()),
        Some(d) => Ok(format!("timeout={}", millis(d)?)),
    }
}

fn addr(a: &SockAddrArg) -> String {
    let mut s = match &a.kind {
        AddrKind::Inet(x) => x.to_string(),
        AddrKind::Target(t) => t.to_string(),
        AddrKind::Unspec => "AF_UNSPEC".into(),
        AddrKind::Null => "NULL".into(),
        AddrKind::Family(n) => format!("af={n}"),
    };
    if let Some(l) = a.len {
        let _ = write!(s, " namelen={l}");
    }
    s
}

fn events(e: FdEvents) -> Result<String, Unwritable> {
    if e.0 & !0x3f != 0 {
        // Bits no name stands for: only a crafted recording has them.
        return Err(Unwritable(format!("events 0x{:x} include bits no FD_ name stands for", e.0)));
    }
    Ok(e.to_string())
}

/// The command-language line of a call.
pub fn call_line(call: &Call) -> Result<String, Unwritable> {
    Ok(match call {
        Call::WsaStartup { major, minor } => format!("wsastartup {major}.{minor}"),
        Call::WsaCleanup => "wsacleanup".into(),
        Call::Socket { proto, family: Family::V4, name: n } => format!("socket {} as {}", proto.name(), name(n)?),
        Call::Socket { proto, family, name: n } => {
            format!("socket {} {} as {}", proto.name(), family.name(), name(n)?)
        }
        Call::Fionbio { sock: s, on } => format!("ioctlsocket {} FIONBIO {}", sock(s)?, u8::from(*on)),
        Call::SetSockOpt { sock: s, opt, value, optlen } => {
            let mut line = if *value == LINGER_ABORT && *opt == SockOpt::SO_LINGER {
                format!("setsockopt {} {} 1,0", sock(s)?, opt.name())
            } else {
                format!("setsockopt {} {} {value}", sock(s)?, opt.name())
            };
            if let Some(n) = optlen {
                let _ = write!(line, " optlen={n}");
            }
            line
        }
        Call::GetSockOpt { sock: s, opt, optlen } => {
            let mut line = format!("getsockopt {} {}", sock(s)?, opt.name());
            if let Some(n) = optlen {
                let _ = write!(line, " optlen={n}");
            }
            line
        }
        Call::Bind { sock: s, addr: a } => format!("bind {} {}", sock(s)?, addr(a)),
        Call::Listen { sock: s, backlog } => format!("listen {} {backlog}", sock(s)?),
        Call::Accept { sock: s, name: n, cond: None } => format!("accept {} as {}", sock(s)?, name(n)?),
        Call::Accept { sock: s, name: n, cond: Some(c) } => format!(
            "wsaaccept {}{} as {}",
            sock(s)?,
            c.word().map(|w| format!(" cf={w}")).unwrap_or_default(),
            name(n)?
        ),
        Call::Connect { sock: s, addr: a, api } => {
            let mut line = match api {
                ConnectApi::Connect => "connect",
                ConnectApi::WsaConnect { .. } => "wsaconnect",
                ConnectApi::ConnectEx { .. } => "connectex",
            }
            .to_string();
            let _ = write!(line, " {} {}", sock(s)?, addr(a));
            match api {
                ConnectApi::Connect => {}
                ConnectApi::WsaConnect { caller_data, sqos, gqos, callee } => {
                    if let Some(d) = caller_data {
                        let _ = write!(line, " data={}", bytes(d)?);
                    }
                    if let Some(n) = callee {
                        let _ = write!(line, " callee={n}");
                    }
                    if *sqos {
                        line.push_str(" sqos");
                    }
                    if *gqos {
                        line.push_str(" gqos");
                    }
                }
                ConnectApi::ConnectEx { send, null_overlapped } => {
                    if let Some(d) = send {
                        let _ = write!(line, " send={}", bytes(d)?);
                    }
                    if *null_overlapped {
                        line.push_str(" overlapped=NULL");
                    }
                }
            }
            line
        }
        // args3: `read=` with nothing is a set present but empty; three NULL sets are no key.
        Call::Select { read, write, except, timeout: t }
            if read.is_empty() && write.is_empty() && except.is_empty() =>
        {
            format!("select {}", timeout(*t)?)
        }
        Call::Select { read, write, except, timeout: t } => {
            format!("select read={} write={} except={} {}", list(read)?, list(write)?, list(except)?, timeout(*t)?)
        }
        Call::Poll { socks, timeout: t, .. } | Call::Epoll { socks, timeout: t } => {
            if socks.is_empty() {
                return Err(Unwritable(format!("{} of no socket", call.name())));
            }
            let word = if matches!(call, Call::Poll { .. }) { "wsapoll" } else { "epoll" };
            let mut line = format!("{word} {} {}", list(socks)?, timeout(*t)?);
            if let Call::Poll { events: Some(m), .. } = call {
                line.push_str(&format!(" events={}", m.names()));
            }
            line
        }
        Call::PollNull { n, timeout: t } => format!("wsapoll null n={n} {}", timeout(*t)?),
        // esc3: the timeval's fields as given.
        Call::SelectTimeval { read, write, except, sec, usec } => {
            if read.is_empty() && write.is_empty() && except.is_empty() {
                return Err(Unwritable("select with a timeval of no socket".into()));
            }
            format!(
                "select read={} write={} except={} tv_sec={sec} tv_usec={usec}",
                list(read)?,
                list(write)?,
                list(except)?
            )
        }
        // args3: sets present but empty.
        Call::SelectEmptySets { read, write, except, timeout: t } => {
            let mut line = "select".to_string();
            for (given, key) in [(read, "read"), (write, "write"), (except, "except")] {
                if *given {
                    line.push_str(&format!(" {key}="));
                }
            }
            if !(*read || *write || *except) {
                return Err(Unwritable("select with no set given is a select of NULL sets".into()));
            }
            format!("{line} {}", timeout(*t)?)
        }
        // args3: a mask per entry.
        Call::PollFds { fds, timeout: t } => {
            if fds.is_empty() {
                return Err(Unwritable("WSAPoll of no entry".into()));
            }
            let entries = fds
                .iter()
                .map(|f| Ok(format!("{}:{}", sock(&f.sock)?, f.events.names())))
                .collect::<Result<Vec<_>, Unwritable>>()?;
            format!("wsapoll {} {}", entries.join(","), timeout(*t)?)
        }
        Call::WsaEventSelect { sock: s, events: e } => format!("wsaeventselect {} {}", sock(s)?, events(*e)?),
        Call::WsaAsyncSelect { sock: s, events: e } => format!("wsaasyncselect {} {}", sock(s)?, events(*e)?),
        Call::WsaEnumNetworkEvents { sock: s } => format!("wsaenumnetworkevents {}", sock(s)?),
        Call::GetSockName { sock: s, namelen } | Call::GetPeerName { sock: s, namelen } => {
            let word = if matches!(call, Call::GetSockName { .. }) { "getsockname" } else { "getpeername" };
            let mut line = format!("{word} {}", sock(s)?);
            if let Some(n) = namelen {
                let _ = write!(line, " namelen={n}");
            }
            line
        }
        Call::Send { sock: s, data } => format!("send {} {}", sock(s)?, bytes(data)?),
        Call::SendTo { sock: s, addr: a, data } => {
            if a.len.is_some() {
                return Err(Unwritable("sendto with namelen= has no command-language spelling".into()));
            }
            format!("sendto {} {} {}", sock(s)?, addr(a), bytes(data)?)
        }
        Call::Recv { sock: s } => format!("recv {}", sock(s)?),
        Call::RecvFrom { sock: s } => format!("recvfrom {}", sock(s)?),
        Call::Shutdown { sock: s, how } => {
            let h = match how {
                How::Read => "receive",
                How::Write => "send",
                How::Both => "both",
            };
            format!("shutdown {} {h}", sock(s)?)
        }
        Call::Close { sock: s } => format!("closesocket {}", sock(s)?),
        Call::Alarm { after } => format!("alarm {}", millis(*after)?),
        Call::After { after, action } => {
            if matches!(**action, Call::After { .. } | Call::Alarm { .. } | Call::WsaStartup { .. } | Call::WsaCleanup)
                || matches!(**action, Call::Socket { .. } | Call::Accept { .. } | Call::Pipe { .. })
            {
                return Err(Unwritable(format!("after with {} has no command-language spelling", action.name())));
            }
            format!("after {} {}", millis(*after)?, call_line(action)?)
        }
        Call::Pipe { name: n } => format!("pipe as {}", name(n)?),
        Call::Link { up } => format!("link {}", if *up { "up" } else { "down" }),
        Call::PortRange { lo, hi } => {
            if *lo == 0 || hi < lo {
                return Err(Unwritable(format!("portrange {lo} {hi} is not a range the language accepts")));
            }
            format!("portrange {lo} {hi}")
        }
        Call::Firewall { drop: Some(ip) } => format!("firewall drop {ip}"),
        Call::Firewall { drop: None } => "firewall clear".into(),
        // ---- winapi-ov ----
        Call::Overlapped { sock: s, set } => match set {
            Some(v) => format!("overlapped {} set=0x{v:x}", sock(s)?),
            None => format!("overlapped {}", sock(s)?),
        },
        Call::GetOverlappedResult { sock: s, wait, wsa, ov } => format!(
            "{}getoverlappedresult {}{}{}",
            if *wsa { "wsa" } else { "" },
            sock(s)?,
            if *wait { " wait" } else { "" },
            ov_arg(ov)?
        ),
        Call::CreateIoCompletionPort { name: n } => format!("createiocompletionport as {}", name(n)?),
        Call::AssociatePort { sock: s, port, key } => {
            format!("createiocompletionport {} {} key={key}", sock(s)?, sock(port)?)
        }
        Call::GetQueuedCompletionStatusEx { port, count, timeout: t, alertable } => format!(
            "getqueuedcompletionstatusex {} count={count} {}{}",
            sock(port)?,
            timeout(*t)?,
            if *alertable { " alertable" } else { "" }
        ),
        Call::GetQueuedCompletionStatus { port, timeout: t } => {
            format!("getqueuedcompletionstatus {} {}", sock(port)?, timeout(*t)?)
        }
        Call::PostQueuedCompletionStatus { port, key, bytes, overlapped } => format!(
            "postqueuedcompletionstatus {} key={key} bytes={bytes}{}",
            sock(port)?,
            match overlapped {
                Some(n) => format!(" ov={}", name(n)?),
                None => String::new(),
            }
        ),
        Call::CloseHandle { handle } => format!("closehandle {}", sock(handle)?),
        Call::DisconnectEx { sock: s, reuse, null_overlapped } => format!(
            "disconnectex {}{}{}",
            sock(s)?,
            if *reuse { " reuse" } else { "" },
            if *null_overlapped { " overlapped=NULL" } else { "" }
        ), // ---- end winapi-ov ----
        Call::WsaRecv { sock: s, ov, routine, bufs } => {
            format!("wsarecv {}{}{}{}", sock(s)?, ov_arg(ov)?, if *routine { " routine" } else { "" }, bufs_arg(bufs)?)
        }
        Call::WsaSend { sock: s, data, ov, routine, bufs } => format!(
            "wsasend {} {}{}{}{}",
            sock(s)?,
            bytes(data)?,
            ov_arg(ov)?,
            if *routine { " routine" } else { "" },
            gather_arg(data, bufs)?
        ),
        // ---- wsaio3 ----
        Call::WsaSendTo { sock: s, addr: a, data, bufs, null_overlapped, ov, routine, null_bytes } => {
            if a.len.is_some() {
                return Err(Unwritable("wsasendto with namelen= has no command-language spelling".into()));
            }
            format!(
                "wsasendto {} {} {}{}{}{}{}{}",
                sock(s)?,
                addr(a),
                bytes(data)?,
                if *null_overlapped { " overlapped=NULL" } else { "" },
                ov_arg(ov)?,
                if *routine { " routine" } else { "" },
                gather_arg(data, bufs)?,
                if *null_bytes { " bytes=NULL" } else { "" }
            )
        }
        Call::WsaRecvFrom { sock: s, bufs, null_overlapped, ov, routine } => format!(
            "wsarecvfrom {}{}{}{}{}",
            sock(s)?,
            if *null_overlapped { " overlapped=NULL" } else { "" },
            ov_arg(ov)?,
            if *routine { " routine" } else { "" },
            bufs_arg(bufs)?
        ),
        Call::SleepEx { ms, alertable } => format!("sleepex {ms}{}", if *alertable { " alertable" } else { "" }),
        Call::AcceptEx { listener, sock: s, null_overlapped, recv, local, remote, null_buffer } => {
            let mut line = format!("acceptex {} {}", sock(listener)?, sock(s)?);
            if *recv != 0 {
                let _ = write!(line, " recv={recv}");
            }
            if let Some(n) = local {
                let _ = write!(line, " local={n}");
            }
            if let Some(n) = remote {
                let _ = write!(line, " remote={n}");
            }
            if *null_overlapped {
                line.push_str(" overlapped=NULL");
            }
            if *null_buffer {
                line.push_str(" buffer=NULL");
            }
            line
        }
        Call::GetAcceptExSockaddrs { sock: s } => format!("getacceptexsockaddrs {}", sock(s)?),
        Call::CancelIo { sock: s, ex } => format!("{} {}", if *ex { "cancelioex" } else { "cancelio" }, sock(s)?),
        Call::OptNull { sock: s, opt, set, arg } => {
            let tail = match arg {
                OptNullArg::Optval => "optval=null".to_string(),
                OptNullArg::OptvalLen(n) => format!("optval=null optlen={n}"),
                OptNullArg::Optlen => "optlen=null".to_string(),
            };
            format!("{} {} {} {tail}", if *set { "setsockopt" } else { "getsockopt" }, sock(s)?, opt.name())
        }
        Call::NameNull { sock: s, peer, len } => {
            let what = if *len { "namelen=null" } else { "name=null" };
            format!("{} {} {what}", if *peer { "getpeername" } else { "getsockname" }, sock(s)?)
        }
        Call::SocketAf { proto, af, name: n } => format!("socket {} af={af} as {}", proto.name(), name(n)?),
    })
}

/// `mark LABEL` with the label as one quoted word.
pub fn mark_line(label: &str) -> String {
    format!("mark {}", quote(label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ast::StmtKind;
    use crate::script::parse::{Names, parse_line};

    fn parsed(line: &str, names: &[&str]) -> Call {
        let mut known: Names = names.iter().copied().collect();
        match parse_line(line, 1, &mut known) {
            Ok(Some(stmt)) => match stmt.kind {
                StmtKind::Call(c) => c,
                other => panic!("{line}: {other:?}"),
            },
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn quoted_text_is_one_printable_line_that_reads_back() {
        let nasty = "a\"b\\c\nd\re\u{1b}[2J\u{9b}\u{202e}\u{2028}é*/ /* ??/ #x";
        let q = quote(nasty);
        assert!(!q.chars().any(is_unsafe_char), "{q}");
        let call = parsed(&format!("send s {q}"), &["s"]);
        assert_eq!(call, Call::Send { sock: SockRef::Name("s".into()), data: nasty.as_bytes().to_vec() });
    }

    #[test]
    fn a_mark_label_with_a_newline_stays_one_mark() {
        let line = mark_line("x\nsocket tcp as evil");
        assert!(!line.contains('\n'));
        let mut names = Names::default();
        let stmt = parse_line(&line, 1, &mut names).unwrap().unwrap();
        assert_eq!(stmt.kind, StmtKind::Mark("x\nsocket tcp as evil".into()));
    }

    #[test]
    fn names_the_parser_would_refuse_are_not_written() {
        let c = Call::Socket {
            proto: crate::core::call::Proto::Tcp,
            family: crate::core::call::Family::V4,
            name: "x\nsystem".into(),
        };
        assert!(call_line(&c).is_err());
        assert!(call_line(&Call::Send { sock: SockRef::Raw(3), data: vec![0xff] }).is_err());
    }
}
