//! The command language as the TUI needs it: `parse_line`, `completions`, `Names`.
//!
//! This is the adapter between the prompt and the parser in `script::parse` (shared with
//! `socklab run`). Until that parser lands on `main`, a small stand-in below understands the lines
//! the keys produce and the common calls, with the same signatures; switching over is replacing
//! the `mod fallback` re-export with `pub use crate::script::parse::{...}`.

pub use fallback::{Names, ParseError, completions, parse_line};

mod fallback {
    use std::fmt;
    use std::net::SocketAddr;
    use std::time::Duration;

    use crate::core::call::{
        AddrKind, Call, ConnectApi, Family, FdEvents, NamedTarget, Proto, SockAddrArg, SockOpt, SockRef,
    };
    use crate::script::ast::{Span, Stmt, StmtKind, Wait, WaitUntil};

    /// A mistake in one line: where, and what was expected.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ParseError {
        pub line: usize,
        pub col: usize,
        pub message: String,
    }

    impl fmt::Display for ParseError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "line {}, column {}: {}", self.line, self.col, self.message)
        }
    }

    impl std::error::Error for ParseError {}

    /// The socket names defined so far, in definition order.
    #[derive(Clone, Debug, Default)]
    pub struct Names {
        order: Vec<String>,
    }

    impl Names {
        /// Define a name; `false` if it was already defined.
        pub fn insert(&mut self, name: impl Into<String>) -> bool {
            let name = name.into();
            if self.contains(&name) {
                return false;
            }
            self.order.push(name);
            true
        }
        /// Whether the name is defined.
        pub fn contains(&self, name: &str) -> bool {
            self.order.iter().any(|n| n == name)
        }
        /// The names in definition order.
        pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
            self.order.iter().map(String::as_str)
        }
        /// `s`, then `s2`, `s3`, ...
        pub fn next_socket_name(&self) -> String {
            (1..)
                .map(|k| if k == 1 { "s".to_string() } else { format!("s{k}") })
                .find(|n| !self.contains(n))
                .unwrap_or_default()
        }
    }

    const COMMANDS: &[(&str, &str)] = &[
        ("socket", "socket tcp|udp [v4|v6] [as NAME]"),
        ("ioctlsocket", "ioctlsocket NAME FIONBIO 1|0"),
        ("setsockopt", "setsockopt NAME OPTION [VALUE]"),
        ("getsockopt", "getsockopt NAME OPTION"),
        ("connect", "connect NAME ADDR"),
        ("select", "select [read=A,B] [write=C] [except=D] [timeout=MS|inf]"),
        ("wsaeventselect", "wsaeventselect NAME EVENTS"),
        ("wsaasyncselect", "wsaasyncselect NAME EVENTS"),
        ("wsaenumnetworkevents", "wsaenumnetworkevents NAME"),
        ("getsockname", "getsockname NAME"),
        ("getpeername", "getpeername NAME"),
        ("closesocket", "closesocket NAME"),
        ("wait", "wait MS | wait NAME connected|failed|event"),
    ];

    struct P<'a> {
        line: usize,
        toks: Vec<(usize, &'a str)>,
        pos: usize,
        end_col: usize,
        usage: &'static str,
    }

    impl<'a> P<'a> {
        fn err<T>(&self, col: usize, msg: impl Into<String>) -> Result<T, ParseError> {
            Err(ParseError { line: self.line, col, message: msg.into() })
        }
        fn next(&mut self, what: &str) -> Result<(usize, &'a str), ParseError> {
            match self.toks.get(self.pos) {
                Some(t) => {
                    self.pos += 1;
                    Ok(*t)
                }
                None => self.err(self.end_col, format!("expected {what} (usage: {})", self.usage)),
            }
        }
        fn opt(&mut self) -> Option<(usize, &'a str)> {
            let t = self.toks.get(self.pos).copied();
            self.pos += t.is_some() as usize;
            t
        }
        fn sock(&mut self, names: &Names) -> Result<SockRef, ParseError> {
            let (c, t) = self.next("a socket name")?;
            if let Some(raw) = t.strip_prefix('#') {
                return raw.parse().map(SockRef::Raw).or_else(|_| self.err(c, "expected a descriptor number after #"));
            }
            if !names.contains(t) {
                return self.err(c, format!("no socket named `{t}`: expected one of {}", names.order.join(", ")));
            }
            Ok(SockRef::Name(t.to_string()))
        }
        fn done(&self) -> Result<(), ParseError> {
            match self.toks.get(self.pos) {
                Some((c, t)) => {
                    self.err(*c, format!("unexpected `{t}`: expected the end of the line (usage: {})", self.usage))
                }
                None => Ok(()),
            }
        }
    }

    fn addr(c: usize, t: &str, line: usize) -> Result<SockAddrArg, ParseError> {
        if t.starts_with('@') {
            return NamedTarget::from_name(t)
                .map(|n| SockAddrArg { kind: AddrKind::Target(n), len: None })
                .ok_or_else(|| ParseError { line, col: c, message: format!("unknown target `{t}`") });
        }
        t.parse::<SocketAddr>().map(SockAddrArg::inet).map_err(|_| ParseError {
            line,
            col: c,
            message: format!(
                "`{t}` is not an address: expected an address like 127.0.0.1:80, [::1]:80 or a target like @accept"
            ),
        })
    }

    fn ms(c: usize, t: &str, line: usize) -> Result<Duration, ParseError> {
        let t = t.trim_end_matches("ms");
        t.parse::<u64>().map(Duration::from_millis).map_err(|_| ParseError {
            line,
            col: c,
            message: format!("`{t}` is not a duration: expected milliseconds like 500"),
        })
    }

    /// Parse one line; `Ok(None)` for a blank or comment line.
    pub fn parse_line(line: &str, line_no: usize, names: &mut Names) -> Result<Option<Stmt>, ParseError> {
        let code = match line.find(" #").or(if line.trim_start().starts_with('#') { Some(0) } else { None }) {
            Some(i) => &line[..i],
            None => line,
        };
        let mut toks = Vec::new();
        let mut col = 1;
        let mut start = None;
        for (i, ch) in code.char_indices() {
            if ch.is_whitespace() {
                if let Some((c, s)) = start.take() {
                    toks.push((c, &code[s..i]));
                }
            } else if start.is_none() {
                start = Some((col, i));
            }
            col += 1;
        }
        if let Some((c, s)) = start {
            toks.push((c, &code[s..]));
        }
        let Some(&(first_col, first)) = toks.first() else { return Ok(None) };
        let word = first.to_ascii_lowercase();
        let word = match word.as_str() {
            "close" => "closesocket".to_string(),
            "nonblock" | "fionbio" => "ioctlsocket".to_string(),
            _ => word,
        };
        let Some(&(_, usage)) = COMMANDS.iter().find(|(w, _)| *w == word) else {
            return Err(ParseError {
                line: line_no,
                col: first_col,
                message: format!(
                    "unknown command `{first}`: expected one of {}",
                    COMMANDS.iter().map(|(w, _)| *w).collect::<Vec<_>>().join(", ")
                ),
            });
        };
        let mut p = P { line: line_no, toks, pos: 1, end_col: col + 1, usage };
        let mut define = None;
        let kind = match word.as_str() {
            "socket" => {
                let (c, t) = p.next("tcp or udp")?;
                let proto = match t.to_ascii_lowercase().as_str() {
                    "tcp" | "stream" => Proto::Tcp,
                    "udp" | "dgram" => Proto::Udp,
                    _ => return p.err(c, format!("unexpected `{t}`: expected tcp or udp")),
                };
                let mut family = Family::V4;
                let mut name = names.next_socket_name();
                while let Some((c, t)) = p.opt() {
                    match t.to_ascii_lowercase().as_str() {
                        "v4" | "ipv4" => family = Family::V4,
                        "v6" | "ipv6" => family = Family::V6,
                        "as" => {
                            let (c, n) = p.next("a name")?;
                            if names.contains(n) {
                                return p.err(c, format!("`{n}` is already defined"));
                            }
                            name = n.to_string();
                        }
                        _ => return p.err(c, format!("unexpected `{t}`: expected v4, v6 or `as NAME`")),
                    }
                }
                define = Some(name.clone());
                StmtKind::Call(Call::Socket { proto, family, name })
            }
            "ioctlsocket" => {
                let sock = p.sock(names)?;
                if first.eq_ignore_ascii_case("ioctlsocket") {
                    let (c, t) = p.next("FIONBIO")?;
                    if !t.eq_ignore_ascii_case("fionbio") {
                        return p.err(c, "expected FIONBIO");
                    }
                }
                let (c, t) = p.next("1 or 0")?;
                let on = match t.to_ascii_lowercase().as_str() {
                    "1" | "on" => true,
                    "0" | "off" => false,
                    _ => return p.err(c, format!("unexpected `{t}`: expected 1 or 0")),
                };
                StmtKind::Call(Call::Fionbio { sock, on })
            }
            "setsockopt" | "getsockopt" => {
                let sock = p.sock(names)?;
                let (c, t) = p.next("an option")?;
                let Some(opt) = SockOpt::from_name(t) else { return p.err(c, format!("unknown option `{t}`")) };
                if word == "getsockopt" {
                    StmtKind::Call(Call::GetSockOpt { sock, opt })
                } else {
                    let value = match p.opt() {
                        Some((c, v)) => v.parse().or_else(|_| p.err(c, "expected a number"))?,
                        None => 1,
                    };
                    StmtKind::Call(Call::SetSockOpt { sock, opt, value })
                }
            }
            "connect" => {
                let sock = p.sock(names)?;
                let (c, t) = p.next("an address")?;
                StmtKind::Call(Call::Connect { sock, addr: addr(c, t, line_no)?, api: ConnectApi::Connect })
            }
            "select" => {
                let (mut read, mut write, mut except, mut timeout) = (vec![], vec![], vec![], None);
                while let Some((c, t)) = p.opt() {
                    let Some((k, v)) = t.split_once('=') else {
                        return p.err(c, "expected read=, write=, except= or timeout=");
                    };
                    let list =
                        || v.split(',').filter(|s| !s.is_empty()).map(|s| SockRef::Name(s.to_string())).collect();
                    match k.to_ascii_lowercase().as_str() {
                        "read" => read = list(),
                        "write" => write = list(),
                        "except" => except = list(),
                        "timeout" if v == "inf" => timeout = None,
                        "timeout" => timeout = Some(ms(c, v, line_no)?),
                        _ => return p.err(c, "expected read=, write=, except= or timeout="),
                    }
                }
                StmtKind::Call(Call::Select { read, write, except, timeout })
            }
            "wsaeventselect" | "wsaasyncselect" => {
                let sock = p.sock(names)?;
                let (c, t) = p.next("events")?;
                let mut events = FdEvents::empty();
                for e in t.split(['|', ',']) {
                    match FdEvents::from_name(e) {
                        Some(ev) => events |= ev,
                        None => return p.err(c, format!("unknown event `{e}`")),
                    }
                }
                StmtKind::Call(if word == "wsaeventselect" {
                    Call::WsaEventSelect { sock, events }
                } else {
                    Call::WsaAsyncSelect { sock, events }
                })
            }
            "wsaenumnetworkevents" => StmtKind::Call(Call::WsaEnumNetworkEvents { sock: p.sock(names)? }),
            "getsockname" => StmtKind::Call(Call::GetSockName { sock: p.sock(names)? }),
            "getpeername" => StmtKind::Call(Call::GetPeerName { sock: p.sock(names)? }),
            "closesocket" => StmtKind::Call(Call::Close { sock: p.sock(names)? }),
            _ => {
                // wait
                let (c, t) = p.next("milliseconds or a socket name")?;
                if t.chars().next().is_some_and(|ch| ch.is_ascii_digit()) {
                    StmtKind::Wait(Wait::For(ms(c, t, line_no)?))
                } else {
                    p.pos -= 1;
                    let sock = p.sock(names)?.to_string();
                    let (c, u) = p.next("connected, failed or event")?;
                    let until = match u.to_ascii_lowercase().as_str() {
                        "connected" => WaitUntil::Connected,
                        "failed" => WaitUntil::Failed,
                        "event" => WaitUntil::Event,
                        _ => return p.err(c, "expected connected, failed or event"),
                    };
                    StmtKind::Wait(Wait::Until { sock, until })
                }
            }
        };
        p.done()?;
        if let Some(n) = define {
            names.insert(n);
        }
        Ok(Some(Stmt { span: Span { line: line_no, col: first_col }, kind, text: code.trim().to_string() }))
    }

    /// Candidates for the word being typed at the end of `prefix_line`.
    pub fn completions(prefix_line: &str, names: &Names) -> Vec<String> {
        let open = prefix_line.is_empty() || prefix_line.ends_with(char::is_whitespace);
        let mut words: Vec<&str> = prefix_line.split_whitespace().collect();
        let partial = if open { "" } else { words.pop().unwrap_or("") };
        let pool: Vec<String> = match words.first().map(|w| w.to_ascii_lowercase()) {
            None => COMMANDS.iter().map(|(w, _)| w.to_string()).collect(),
            Some(cmd) => match (cmd.as_str(), words.len()) {
                ("socket", 1) => vec!["tcp".into(), "udp".into()],
                ("socket", _) => vec!["v4".into(), "v6".into(), "as".into()],
                ("wait", 1) => names.iter().map(String::from).chain(["1000".to_string()]).collect(),
                ("wait", 2) => vec!["connected".into(), "failed".into(), "event".into()],
                ("connect", 2) => NamedTarget::ALL.iter().map(|t| t.to_string()).collect(),
                ("setsockopt" | "getsockopt", 2) => SockOpt::ALL.iter().map(|o| o.name().to_string()).collect(),
                ("ioctlsocket", 2) => vec!["FIONBIO".into()],
                ("select", _) => names
                    .iter()
                    .flat_map(|n| ["read=", "write=", "except="].map(|k| format!("{k}{n}")))
                    .chain(["timeout=0".to_string()])
                    .collect(),
                (_, 1) => names.iter().map(String::from).collect(),
                _ => Vec::new(),
            },
        };
        pool.into_iter().filter(|c| c.to_ascii_lowercase().starts_with(&partial.to_ascii_lowercase())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ast::StmtKind;

    #[test]
    fn the_lines_keys_produce_parse() {
        let mut names = Names::default();
        for (i, l) in [
            "socket tcp",
            "socket udp",
            "ioctlsocket s FIONBIO 1",
            "setsockopt s2 SO_BROADCAST 1",
            "connect s @refuse",
            "select read=s write=s except=s timeout=0",
            "wait 1000",
            "closesocket s",
        ]
        .iter()
        .enumerate()
        {
            let stmt = parse_line(l, i + 1, &mut names).unwrap_or_else(|e| panic!("{l}: {e}")).unwrap();
            assert!(matches!(stmt.kind, StmtKind::Call(_) | StmtKind::Wait(_)));
        }
        let e = parse_line("connect nosuch @refuse", 9, &mut names).unwrap_err();
        assert_eq!((e.line, e.col), (9, 9));
        assert_eq!(completions("conn", &names), vec!["connect".to_string()]);
        assert!(completions("connect s @re", &names).contains(&"@refuse".to_string()));
    }
}
