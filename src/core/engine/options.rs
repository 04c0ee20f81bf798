//! Socket options: setsockopt and getsockopt, and which options a personality has at all.

use super::*;
use crate::core::codes::Platform;

impl Host {
    /// The answer when this personality has no such option at all (for get and set alike).
    pub(super) fn missing_option(&self, opt: SockOpt) -> Option<Out> {
        let p = self.p;
        match opt {
            SockOpt::TCP_SYNCNT | SockOpt::TCP_USER_TIMEOUT if p.winsock => {
                Some(Out::err(r::OPT_LINUX_ONLY, Code::WSAENOPROTOOPT))
            }
            SockOpt::TCP_MAXRT if !p.winsock => {
                Some(Out::na(r::OPT_WINDOWS_ONLY, "Linux has no TCP_MAXRT; closest: TCP_USER_TIMEOUT or TCP_SYNCNT"))
            }
            SockOpt::SO_CONNECT_TIME if !p.winsock => {
                Some(Out::na(r::CONNECTEX_LINUX, "Linux has no SO_CONNECT_TIME; closest: TCP_INFO (tcpi_state)"))
            }
            SockOpt::SO_EXCLUSIVEADDRUSE if !p.winsock => Some(Out::na(
                r::BIND_EXCLUSIVE,
                "Linux has no SO_EXCLUSIVEADDRUSE: without SO_REUSEADDR a port is already exclusive, wildcard included",
            )),
            SockOpt::SO_UPDATE_CONNECT_CONTEXT if !p.winsock => Some(Out::na(
                r::CONNECTEX_LINUX,
                "Linux has no SO_UPDATE_CONNECT_CONTEXT: a connected socket is complete",
            )),
            SockOpt::SO_BSP_STATE if !p.winsock => Some(Out::na(
                r::BSP_STATE,
                "Linux has no SO_BSP_STATE; its parts are getsockname, getpeername, SO_TYPE and SO_PROTOCOL",
            )),
            // Winsock 1.1 lists no SO_BSP_STATE (it came with Windows Vista).
            SockOpt::SO_BSP_STATE if !p.ws2 => Some(Out::err(r::BSP_STATE, Code::WSAENOPROTOOPT)),
            SockOpt::SO_UPDATE_ACCEPT_CONTEXT if !p.winsock => {
                Some(Out::na(r::ACCEPTEX, "Linux has no SO_UPDATE_ACCEPT_CONTEXT: accept(2) returns a complete socket"))
            }
            // Windows extensions a Winsock 1.1 application does not see.
            SockOpt::TCP_MAXRT
            | SockOpt::SO_CONNECT_TIME
            | SockOpt::SO_UPDATE_CONNECT_CONTEXT
            | SockOpt::SO_UPDATE_ACCEPT_CONTEXT
            | SockOpt::SO_EXCLUSIVEADDRUSE
                if !p.ws2 =>
            {
                Some(Out::err(r::OPT_WINDOWS_ONLY, Code::WSAENOPROTOOPT))
            }
            _ => None,
        }
    }

    /// linux: an option of a level the socket's protocol or family does not have. The kernel
    /// hands IPPROTO_TCP options on a UDP socket, and IPPROTO_IPV6 options on an AF_INET one,
    /// to the IP layer, which answers ENOPROTOOPT to a set and (AF_INET) EOPNOTSUPP to a get;
    /// measured by tests/live_sockopts.rs on every option, protocol and family.
    fn linux_wrong_level(&self, i: usize, opt: SockOpt, get: bool) -> Option<Out> {
        if self.p.winsock {
            return None;
        }
        let s = &self.socks[i];
        let tcp_level = matches!(opt, SockOpt::TCP_NODELAY | SockOpt::TCP_SYNCNT | SockOpt::TCP_USER_TIMEOUT);
        let wrong = (tcp_level && s.proto == Proto::Udp) || (opt == SockOpt::IPV6_V6ONLY && s.family == Family::V4);
        if !wrong {
            return None;
        }
        let code = if get && s.family == Family::V4 { Code::EOPNOTSUPP } else { Code::ENOPROTOOPT };
        Some(Out::err(r::OPT_LINUX_LEVEL, code))
    }

    pub(super) fn setsockopt(&mut self, i: usize, opt: SockOpt, value: i64) -> Out {
        if let Some(out) = self.missing_option(opt) {
            return out;
        }
        if let Some(out) = self.linux_wrong_level(i, opt, false) {
            return out;
        }
        let p = self.p;
        let s = &mut self.socks[i];
        let on = value != 0;
        match opt {
            SockOpt::SO_BROADCAST => s.opts.broadcast = on,
            SockOpt::SO_REUSEADDR | SockOpt::SO_EXCLUSIVEADDRUSE if p.winsock => {
                // SO_REUSEADDR and SO_EXCLUSIVEADDRUSE exclude each other: setting one while the
                // other is on fails with WSAEINVAL (Wine test_reuseaddr; SO_EXCLUSIVEADDRUSE
                // reference page).
                let other = if opt == SockOpt::SO_REUSEADDR { s.opts.exclusive } else { s.opts.reuseaddr };
                if on && other {
                    return Out::err(r::BIND_EXCLUSIVE, Code::WSAEINVAL);
                }
                if opt == SockOpt::SO_REUSEADDR {
                    s.opts.reuseaddr = on;
                } else {
                    s.opts.exclusive = on;
                }
            }
            SockOpt::SO_REUSEADDR => s.opts.reuseaddr = on,
            // (Linux has no such option: answered by missing_option.)
            SockOpt::SO_EXCLUSIVEADDRUSE => s.opts.exclusive = on,
            SockOpt::SO_KEEPALIVE => s.opts.keepalive = on,
            SockOpt::SO_LINGER => {
                s.opts.linger = value;
                if value != 0 {
                    s.opts.linger_secs = if value == LINGER_ABORT { 0 } else { value };
                }
            }
            SockOpt::SO_SNDTIMEO => s.opts.sndtimeo_ms = value,
            SockOpt::TCP_NODELAY => s.opts.nodelay = on,
            SockOpt::SO_ERROR if p.id == PersonalityId::Windows => {
                // test_set_getsockopt (Wine's dlls/ws2_32/tests/sock.c): Windows accepts a
                // setsockopt of SO_ERROR and getsockopt reads the stored value back.
                s.so_error_other = None;
                s.so_error = match value {
                    0 => None,
                    v => match Code::ALL
                        .iter()
                        .copied()
                        .find(|c| c.platform() == Platform::Winsock && i64::from(c.number()) == v)
                    {
                        Some(c) => Some(c),
                        None => {
                            s.so_error_other = Some(value);
                            None
                        }
                    },
                };
                return Out::ok(r::SO_ERROR_SETTABLE);
            }
            SockOpt::SO_ERROR | SockOpt::SO_CONNECT_TIME | SockOpt::SO_BSP_STATE => {
                // Read-only options.
                return Out::err(r::OPT_READONLY, p.pick(Code::ENOPROTOOPT, Code::WSAENOPROTOOPT));
            }
            SockOpt::TCP_SYNCNT | SockOpt::TCP_USER_TIMEOUT => {
                if opt == SockOpt::TCP_SYNCNT {
                    if !(1..=127).contains(&value) {
                        return Out::err(r::OPT_LINUX_ONLY, Code::EINVAL);
                    }
                    s.opts.syncnt = Some(value);
                } else {
                    s.opts.user_timeout_ms = if value > 0 { Some(value) } else { None };
                }
            }
            SockOpt::TCP_MAXRT => s.opts.maxrt_s = if value >= 0 { Some(value) } else { None },
            SockOpt::IPV6_V6ONLY => {
                // Real Windows keeps the option on an AF_INET socket too (test_ipv6only, sock.c).
                let windows_v4 = p.id == PersonalityId::Windows && s.family == Family::V4;
                if s.family != Family::V6 && !windows_v4 {
                    return Out::err(r::V6ONLY, p.pick(Code::ENOPROTOOPT, Code::WSAEINVAL));
                }
                if s.state != State::Unbound && p.winsock {
                    return Out::err(r::V6ONLY, Code::WSAEINVAL);
                }
                s.opts.v6only = on;
            }
            SockOpt::SO_UPDATE_CONNECT_CONTEXT => {
                if !(s.via_connectex && s.state == State::Connected) {
                    return Out::err(r::UPDATE_CONTEXT, Code::WSAENOTCONN)
                        .note("only meaningful on a socket connected by ConnectEx (socklab's reading of the docs)");
                }
                s.context_updated = true;
                return Out::ok(r::UPDATE_CONTEXT);
            }
            SockOpt::SO_UPDATE_ACCEPT_CONTEXT => {
                if !(s.via_acceptex && s.state == State::Connected) {
                    return Out::err(r::ACCEPT_CONTEXT, Code::WSAENOTCONN)
                        .note("only meaningful on a socket AcceptEx connected (socklab's reading of the docs)");
                }
                s.context_updated = true;
                return Out::ok(r::ACCEPT_CONTEXT);
            }
        }
        Out::ok(r::SETSOCKOPT)
    }

    pub(super) fn getsockopt(&mut self, i: usize, opt: SockOpt) -> Out {
        if let Some(out) = self.missing_option(opt) {
            return out;
        }
        if let Some(out) = self.linux_wrong_level(i, opt, true) {
            return out;
        }
        let p = self.p;
        let now = self.now;
        let s = &mut self.socks[i];
        let v = |value: i64| Out::val(r::GETSOCKOPT, Value::Int { value });
        match opt {
            SockOpt::SO_ERROR => {
                if let Some(value) = s.so_error_other {
                    // A number stored by setsockopt that names no Winsock error.
                    return Out::val(r::SO_ERROR_SETTABLE, Value::Int { value });
                }
                let e = s.so_error;
                if p.so_error_clears {
                    // Linux: once the error is consumed here, the next connect answers
                    // ECONNABORTED before it retries (LINUX_TRUTH 3d).
                    s.so_error = None;
                    Out::val(r::SO_ERROR_CLEARS, Value::Error { error: e })
                } else if s.reset && p.id == PersonalityId::Windows {
                    // test_tcp_reset: SO_ERROR reads 0 after a reset.
                    Out::val(r::RESET_WINDOWS, Value::Error { error: e })
                } else if s.state == State::Pending && e.is_some() {
                    // The error of an earlier attempt, still there while a new one runs.
                    Out::val(r::SO_ERROR_KEPT, Value::Error { error: e })
                } else {
                    Out::val(r::SO_ERROR_STAYS, Value::Error { error: e })
                }
            }
            SockOpt::SO_CONNECT_TIME => match (s.state, s.connected_at) {
                (State::Connected, Some(t)) => {
                    Out::val(r::CONNECT_TIME, Value::Int { value: (now - t).as_secs() as i64 })
                }
                _ => Out::val(r::CONNECT_TIME, Value::Int { value: 0xFFFF_FFFF }),
            },
            SockOpt::SO_BROADCAST => v(s.opts.broadcast as i64),
            SockOpt::SO_REUSEADDR => v(s.opts.reuseaddr as i64),
            SockOpt::SO_EXCLUSIVEADDRUSE => v(s.opts.exclusive as i64),
            SockOpt::SO_KEEPALIVE => v(s.opts.keepalive as i64),
            // The whole structure: {1, N} when on, and when off {0, the time last set}.
            SockOpt::SO_LINGER => {
                let (on, secs) = (s.opts.linger != 0, s.opts.linger_secs);
                let rule = if !on && secs != 0 { r::LINGER_OFF_KEEPS } else { r::GETSOCKOPT };
                Out::val(rule, Value::Linger { on, secs })
            }
            SockOpt::SO_SNDTIMEO => v(s.opts.sndtimeo_ms),
            SockOpt::TCP_NODELAY => v(s.opts.nodelay as i64),
            SockOpt::TCP_SYNCNT => v(s.opts.syncnt.unwrap_or(6)),
            SockOpt::TCP_USER_TIMEOUT => v(s.opts.user_timeout_ms.unwrap_or(0)),
            SockOpt::TCP_MAXRT => v(s.opts.maxrt_s.unwrap_or(-1)),
            SockOpt::IPV6_V6ONLY => {
                let windows_v4 = p.id == PersonalityId::Windows && s.family == Family::V4;
                if s.family != Family::V6 && !windows_v4 {
                    return Out::err(r::V6ONLY, p.pick(Code::ENOPROTOOPT, Code::WSAEINVAL));
                }
                if windows_v4 {
                    return Out::val(r::V6ONLY_V4_WINDOWS, Value::Int { value: s.opts.v6only as i64 });
                }
                Out::val(r::V6ONLY, Value::Int { value: s.opts.v6only as i64 })
            }
            SockOpt::SO_UPDATE_CONNECT_CONTEXT | SockOpt::SO_UPDATE_ACCEPT_CONTEXT => {
                Out::err(r::OPT_READONLY, p.pick(Code::ENOPROTOOPT, Code::WSAENOPROTOOPT))
            }
            SockOpt::SO_BSP_STATE => {
                let remote = match s.state {
                    State::Connected | State::Associated => s.peer,
                    _ => None,
                };
                Out::val(r::BSP_STATE, Value::CsAddr { local: s.local, remote, stream: s.proto == Proto::Tcp })
            }
        }
    }
}

// ---- bsp: SO_BSP_STATE and its optlen ----
/// sizeof(CSADDR_INFO) on 64-bit Windows: two SOCKET_ADDRESS (a pointer and an INT, padded to
/// 16 bytes each), iSocketType and iProtocol.
pub const CSADDR_INFO_SIZE: u32 = 40;

impl Host {
    /// getsockopt SO_BSP_STATE with `optlen` (`None`: a buffer large enough for anything).
    /// winsock: the page asks for at least sizeof(CSADDR_INFO); windows also wants room for
    /// both addresses after it (Wine test_set_getsockopt), else WSAEFAULT.
    pub(super) fn bsp_state(&mut self, i: usize, optlen: Option<u32>) -> Out {
        let out = self.getsockopt(i, SockOpt::SO_BSP_STATE);
        if out.error.is_some() || !matches!(out.value, Value::CsAddr { .. }) {
            return out;
        }
        let sockaddr = match self.socks[i].family {
            Family::V4 => 16,
            Family::V6 => 28,
        };
        let (need, rule) = match self.p.id {
            PersonalityId::Windows if sockaddr == 16 => (CSADDR_INFO_SIZE + 2 * sockaddr, r::BSP_STATE_OPTLEN),
            PersonalityId::Windows => (CSADDR_INFO_SIZE + 2 * sockaddr, r::BSP_STATE_OPTLEN_V6),
            _ => (CSADDR_INFO_SIZE, r::BSP_STATE_OPTLEN),
        };
        match optlen {
            Some(n) if n < need => Out::err(rule, Code::WSAEFAULT)
                .note(format!("optlen {n}: this personality needs {need} bytes for the CSADDR_INFO")),
            _ => out,
        }
    }
}

// ---- winapi-args: a NULL optval ----
impl Host {
    /// setsockopt / getsockopt with a NULL `optval` (rule `sockopt.optval-null`).
    pub(super) fn optval_null(&mut self, i: usize, opt: SockOpt, set: bool) -> Out {
        if let Some(out) = self.missing_option(opt) {
            return out;
        }
        if let Some(out) = self.linux_wrong_level(i, opt, !set) {
            return out;
        }
        if !self.p.winsock && set && opt == SockOpt::IPV6_V6ONLY {
            // do_ipv6_setsockopt takes a NULL optval as the value 0.
            let out = self.setsockopt(i, opt, 0);
            return Out { rule: r::OPTVAL_NULL, ..out }.note("linux reads a NULL optval as 0 for IPv6 options");
        }
        let rule = if !set && opt == SockOpt::SO_ERROR { r::OPTVAL_NULL_SO_ERROR } else { r::OPTVAL_NULL };
        Out::err(rule, self.p.pick(Code::EFAULT, Code::WSAEFAULT))
    }

    /// args2: setsockopt with a NULL optval and the length `n` (rule sockopt.optval-null-len).
    /// linux checks the length first (below an int: EINVAL), then reads the value (EFAULT);
    /// Winsock refuses the NULL pointer whatever the length (WSAEFAULT).
    pub(super) fn optval_null_len(&mut self, i: usize, opt: SockOpt, n: u32) -> Out {
        if let Some(out) = self.missing_option(opt) {
            return out;
        }
        if let Some(out) = self.linux_wrong_level(i, opt, false) {
            return out;
        }
        if !self.p.winsock {
            if n < 4 {
                return Out::err(r::OPTVAL_NULL_LEN, Code::EINVAL);
            }
            if opt == SockOpt::IPV6_V6ONLY {
                // do_ipv6_setsockopt takes a NULL optval as the value 0.
                let out = self.setsockopt(i, opt, 0);
                return Out { rule: r::OPTVAL_NULL_LEN, ..out }.note("linux reads a NULL optval as 0 for IPv6 options");
            }
        }
        Out::err(r::OPTVAL_NULL_LEN, self.p.pick(Code::EFAULT, Code::WSAEFAULT))
    }

    /// args2: getsockopt with a NULL optlen pointer (rule sockopt.optlen-null): the length is
    /// read before anything else of the option, so EFAULT / WSAEFAULT.
    pub(super) fn optlen_null(&mut self, i: usize, opt: SockOpt) -> Out {
        if let Some(out) = self.missing_option(opt) {
            return out;
        }
        if let Some(out) = self.linux_wrong_level(i, opt, true) {
            return out;
        }
        Out::err(r::OPTLEN_NULL, self.p.pick(Code::EFAULT, Code::WSAEFAULT))
    }
}
