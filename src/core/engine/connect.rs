//! connect, WSAConnect and ConnectEx: TCP handshakes (blocking, nonblocking, overlapped) and
//! UDP association.

use super::*;

impl Host {
    pub(super) fn connect(&mut self, i: usize, arg: &SockAddrArg, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        let mut note = None;
        match api {
            ConnectApi::Connect => {}
            ConnectApi::WsaConnect { caller_data, sqos, gqos, callee } => {
                if !p.winsock {
                    if caller_data.is_some() || callee.is_some() || *sqos || *gqos {
                        return Out::na(
                            r::WSACONNECT_LINUX,
                            "Linux has no connect data and no per-connect QoS; the closest call is plain connect(2)",
                        );
                    }
                    note = Some("Linux has no WSAConnect: answered as connect(2)".to_string());
                } else if !p.ws2 {
                    return self.na_ws2("WSAConnect");
                } else {
                    let s = &self.socks[i];
                    if *gqos {
                        return Out::err(r::WSACONNECT_QOS, Code::WSAEINVAL);
                    }
                    if s.proto == Proto::Tcp {
                        if caller_data.is_some() {
                            // TCP/IP on Windows does not carry connect data.
                            return Out::err(r::WSACONNECT_DATA, Code::WSAEPROTONOSUPPORT);
                        }
                        if *sqos {
                            return Out::err(r::WSACONNECT_QOS, Code::WSAEOPNOTSUPP);
                        }
                    }
                }
            }
            ConnectApi::ConnectEx { .. } => {
                if !p.winsock {
                    return Out::na(
                        r::CONNECTEX_LINUX,
                        "Linux has no ConnectEx; the closest is TCP Fast Open: sendto(MSG_FASTOPEN) on an \
                         unconnected socket, or TCP_FASTOPEN_CONNECT then connect(2) and send(2)",
                    );
                }
                if !p.ws2 {
                    return self.na_ws2("ConnectEx");
                }
            }
        }
        let dest = match self.dest(i, arg, facts) {
            Ok(d) => d,
            Err(e) => return as_api(api, e),
        };
        let out = match self.socks[i].proto {
            Proto::Tcp => self.tcp_connect(i, dest, api, facts),
            Proto::Udp => self.udp_connect(i, dest, api, facts),
        };
        let mut out = as_api(api, out);
        // esc3: lpCalleeData->len once the connection is made: 0, no user data came back (TCP/IP
        // carries none). Valid only once the connect has completed (a nonblocking one's
        // WSAEWOULDBLOCK: not yet; shown with a connect that succeeded).
        if let ConnectApi::WsaConnect { callee: Some(_), .. } = api {
            if out.error.is_none() && out.ret == Ret::Int(0) {
                out = Out { rule: r::WSACONNECT_CALLEE, value: Value::CalleeLen { len: 0 }, ..out };
            }
        }
        match (note, out.note.is_none()) {
            (Some(n), true) => out.note(n),
            _ => out,
        }
    }

    pub(super) fn tcp_connect(&mut self, i: usize, dest: Dest, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        let connectex = matches!(api, ConnectApi::ConnectEx { .. });
        let dst = match dest {
            Dest::Unspec => return self.linux_unspec_tcp(i),
            Dest::Inet(a) => a,
        };
        if let Some(out) = self.accept_pending_into(i) {
            return out;
        }
        let s = &self.socks[i];
        if s.indeterminate {
            return Out::err(r::WS1_CANCELLED, Code::WSAEINVAL);
        }
        match s.state {
            State::Closed => return self.not_a_socket(),
            State::Failed if s.reset => {
                // 10c: after a peer reset connect still answers EISCONN.
                return Out::err(r::CONNECT_AFTER_RESET, p.pick(Code::EISCONN, Code::WSAEISCONN));
            }
            State::Listening => {
                // 8a: a listening socket cannot connect.
                return Out::err(r::CONNECT_LISTENING, p.pick(Code::EISCONN, Code::WSAEINVAL));
            }
            State::Connected => {
                if !p.winsock && s.success_unreported {
                    // 2b/2e: the first connect after a nonblocking handshake completed reports
                    // the success (sock->state moves from SS_CONNECTING to SS_CONNECTED).
                    self.socks[i].success_unreported = false;
                    return Out::ok(r::LINUX_ONCE_ZERO);
                }
                if p.id == PersonalityId::Windows && s.via_connectex && !s.context_updated && !connectex {
                    // connect() on a socket ConnectEx connected, before SO_UPDATE_CONNECT_CONTEXT:
                    // WSAEINVAL (test_connect, sock.c; todo_wine there).
                    return Out::err(r::CONNECTEX_MIXED_WINDOWS, Code::WSAEINVAL);
                }
                return Out::err(r::ISCONN, p.pick(Code::EISCONN, Code::WSAEISCONN));
            }
            State::Pending => {
                if !p.winsock {
                    if s.nonblocking {
                        return Out::err(r::PENDING_AGAIN, Code::EALREADY); // 4a
                    }
                    // 13d / 4d: a blocking connect while one is in progress waits for it.
                    return self.linux_wait_pending(i, Code::EALREADY, facts);
                }
                if s.overlapped.is_some() || connectex {
                    if p.id == PersonalityId::Windows {
                        // ConnectEx while connect() pends, connect() while ConnectEx pends, and a
                        // second ConnectEx: WSAEINVAL (test_connecting_socket, sock.c).
                        return Out::err(r::CONNECTEX_MIXED_WINDOWS, Code::WSAEINVAL);
                    }
                    // The ConnectEx page: "a ConnectEx call is in progress" (WSAEALREADY).
                    return Out::err(r::PENDING_AGAIN, Code::WSAEALREADY);
                }
                let out = Out::err(r::PENDING_AGAIN, p.pending_again);
                return if p.id == PersonalityId::Windows {
                    out.note(
                        "real Windows sometimes answers WSAEINVAL here, depending on timing (libwebsockets PR #2715)",
                    )
                } else {
                    out
                };
            }
            State::Failed if !p.winsock => {
                // 3d: Linux reports the failure once more before it starts a new attempt.
                if let Some(e) = self.socks[i].so_error.take() {
                    self.socks[i].success_unreported = false;
                    self.socks[i].failure_reported = true;
                    return Out::err(r::LINUX_FAILED_REPORT, e);
                }
                if !self.socks[i].failure_reported {
                    self.socks[i].failure_reported = true;
                    return Out::err(r::LINUX_FAILED_REPORT, Code::ECONNABORTED);
                }
            }
            State::Unbound if connectex => {
                return Out::err(r::CONNECTEX_UNBOUND, Code::WSAEINVAL);
            }
            State::Failed | State::Unbound | State::Bound | State::Unassociated | State::Associated => {}
        }
        self.tcp_attempt(i, dst, api, facts)
    }

    /// A new handshake.
    pub(super) fn tcp_attempt(&mut self, i: usize, dst: SocketAddr, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        let connectex = matches!(api, ConnectApi::ConnectEx { .. });
        let mut dst = dst;
        if dst.ip().is_unspecified() || canon(dst.ip()).is_unspecified() {
            if p.winsock {
                // 5a/5b: the all-zero address is not a valid destination.
                return Out::err(r::ZERO_ADDR_TCP, Code::WSAEADDRNOTAVAIL);
            }
            // 5a/5b: Linux treats INADDR_ANY / in6addr_any as this host.
            dst = SocketAddr::new(loopback_like(dst.ip()), dst.port());
        }
        if dst.port() == 0 && p.winsock {
            return Out::err(r::PORT_ZERO_WINSOCK, Code::WSAEADDRNOTAVAIL);
        }
        let v6only_mapped = self.v6only_to_mapped(i, dst);
        if v6only_mapped && !p.winsock {
            // 14c: IPV6_V6ONLY (or a bind to ::1) and a v4-mapped destination: no route.
            return Out::err(r::V6ONLY_MAPPED, Code::ENETUNREACH);
        }
        let ip = canon(dst.ip());
        if ip.is_multicast() || is_broadcast(ip, facts) {
            // 6e: TCP to a broadcast or multicast address fails at once.
            return Out::err(r::TCP_BROADCAST, p.pick(Code::ENETUNREACH, Code::WSAENETUNREACH));
        }
        let source = match self.route_of(facts, ip) {
            RouteFact::Ok { source, .. } => source,
            RouteFact::NoRoute => return self.no_route(),
            RouteFact::Unreachable => return Out::err(r::ROUTE_SYNC, self.code(Fault::HostUnreach)),
            RouteFact::Prohibit => return Out::err(r::ROUTE_SYNC, self.code(Fault::Access)),
        };
        // Implicit bind (1d), or fill in the source address of a wildcard bind.
        let local = match self.socks[i].local {
            Some(l) if !l.ip().is_unspecified() => l,
            Some(l) => SocketAddr::new(family_ip(source, self.socks[i].family), l.port()),
            None => {
                let Some(port) = self.take_port(i, true, Some(dst)) else {
                    return self.ports_exhausted(Code::EADDRNOTAVAIL);
                };
                SocketAddr::new(family_ip(source, self.socks[i].family), port)
            }
        };
        // 16: two sockets may share a local address (only an explicit bind can make them), but
        // not the same 4-tuple.
        let dup = self.socks[i].port_explicit
            && self.socks.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.proto == Proto::Tcp
                    && matches!(o.state, State::Pending | State::Connected)
                    && o.local.is_some_and(|l| same_endpoint(l, local))
                    && o.peer.is_some_and(|pp| same_endpoint(pp, dst))
            });
        if dup {
            return Out::err(r::FOUR_TUPLE, p.pick(Code::EADDRNOTAVAIL, Code::WSAEADDRINUSE));
        }
        let firewalled = self.firewalled(dst.ip());
        if firewalled && p.winsock {
            // The filtering platform refuses the connection before it starts.
            return Out::err(r::FIREWALL, Code::WSAEACCES);
        }
        // What the network does with the SYN.
        let self_connect = same_endpoint(local, dst);
        let result_at: (Result<(), Fault>, Duration) = if firewalled {
            // linux: the rule drops every SYN, retransmissions too: the connect times out
            // (measured: tests/live_seed_errors.rs).
            (Err(Fault::TimedOut), self.syn_timeout(i))
        } else if v6only_mapped {
            // Windows starts the attempt and fails it with WSAEADDRNOTAVAIL: a nonblocking
            // connect answers WSAEWOULDBLOCK, then SO_ERROR says 10049 (libwebsockets #2223); a
            // blocking one answers 10049 (ACE_TAO #1267).
            (Err(Fault::AddrNotAvail), Duration::ZERO)
        } else if same_endpoint(local, dst) {
            // 12a: simultaneous open with itself.
            (Ok(()), Duration::ZERO)
        } else if let Some(l) = self.find_listener(dst) {
            let full = self.socks[l].backlog.len() > self.socks[l].backlog_max;
            if !full {
                (Ok(()), Duration::ZERO)
            } else if p.winsock {
                // listen doc: a full queue refuses further connection requests.
                (Err(Fault::Refused), p.refused_retry)
            } else {
                (Err(Fault::TimedOut), self.syn_timeout(i))
            }
        } else {
            match facts.tcp(dst) {
                TcpFact::Accepts { after, .. } => (Ok(()), after),
                TcpFact::Refused { after } => {
                    let total = after + p.refused_retry;
                    match self.maxrt(i) {
                        // A TCP_MAXRT shorter than the retries wins (nmap/nmap #2113).
                        Some(m) if p.id == PersonalityId::Windows && m < total => (Err(Fault::TimedOut), m),
                        _ => (Err(Fault::Refused), total),
                    }
                }
                TcpFact::Silent => (Err(Fault::TimedOut), self.syn_timeout(i)),
                TcpFact::NoArpReply { after } => (Err(Fault::HostUnreach), after),
            }
        };
        let s = &mut self.socks[i];
        s.local = Some(local);
        s.peer = Some(dst);
        s.attempt = next_serial(&mut self.serials);
        if p.id != PersonalityId::Windows {
            s.so_error = None;
        }
        // windows: a new connect does not reset SO_ERROR; only a successful connection does
        // (rule so-error.kept-by-connect).
        s.failure_reported = false;
        s.success_unreported = false;
        s.reset = false;
        s.via_connectex = connectex;
        s.context_updated = false;
        s.connected_at = None;
        s.overlapped = match api {
            ConnectApi::ConnectEx { send, .. } => Some(send.clone().unwrap_or_default()),
            _ => None,
        };
        let attempt = s.attempt;
        let nonblocking = s.nonblocking;
        let sndtimeo = s.opts.sndtimeo_ms;
        let (result, after) = result_at;
        self.set_state(i, State::Pending, Cause::Call(api.name().into()), None);
        self.schedule(self.now.saturating_add(after), Timer::Handshake { sock: i, attempt, result });
        let out = self.tcp_attempt_answer(i, connectex, nonblocking, sndtimeo, facts);
        if self_connect { Out { rule: r::SELF_CONNECT, ..out } } else { out }
    }

    /// What the call that started an attempt answers: at once, or when a blocking one ends.
    fn tcp_attempt_answer(
        &mut self,
        i: usize,
        connectex: bool,
        nonblocking: bool,
        sndtimeo: i64,
        facts: &dyn Facts,
    ) -> Out {
        let p = self.p;
        if connectex {
            // socklab's ConnectEx always completes through the OVERLAPPED structure (the ConnectEx page:
            // it may also return TRUE when it finishes at once).
            return Out { ret: Ret::Bool(false), ..Out::err(r::CONNECTEX_PENDING, Code::WSA_IO_PENDING) };
        }
        if nonblocking {
            return Out::err(r::NONBLOCKING_PENDING, p.pick(Code::EINPROGRESS, Code::WSAEWOULDBLOCK));
        }
        if !p.winsock {
            self.socks[i].success_unreported = false;
            if sndtimeo > 0 {
                return self.linux_wait_pending(i, Code::EINPROGRESS, facts);
            }
        }
        // A blocking connect returns when the outcome is known (or when the alarm cuts it short
        // where something can).
        let (_, interrupted) = self.block_connect(i, BLOCK_LIMIT, facts);
        if interrupted {
            return self.interrupted(i);
        }
        self.blocking_result(i)
    }

    /// Linux: a blocking connect waits (bounded by SO_SNDTIMEO) for the attempt in progress.
    pub(super) fn linux_wait_pending(&mut self, i: usize, on_timeout: Code, facts: &dyn Facts) -> Out {
        let limit = match self.socks[i].opts.sndtimeo_ms {
            ms if ms > 0 => Duration::from_millis(ms as u64),
            _ => BLOCK_LIMIT,
        };
        let (done, interrupted) = self.block_connect(i, limit, facts);
        if interrupted {
            return self.interrupted(i);
        }
        if !done {
            // 4d: SO_SNDTIMEO bounds a blocking connect; the handshake carries on.
            return Out::err(r::LINUX_SNDTIMEO, on_timeout);
        }
        self.blocking_result(i)
    }

    pub(super) fn blocking_result(&mut self, i: usize) -> Out {
        let s = &mut self.socks[i];
        match s.state {
            // Winsock 2: another thread closed the socket while the call waited on it.
            State::Closed => Out::err(r::CLOSED_WHILE_BLOCKED, Code::WSAEINTR),
            State::Connected => {
                s.success_unreported = false;
                Out::ok(r::BLOCKING)
            }
            State::Failed => {
                // The call itself reports the error; a retry may follow at once (3e).
                let e = s.so_error.take();
                s.failure_reported = true;
                Out::err(r::CONNECT_FAILURE_TIMING, e.unwrap_or(Code::ECONNABORTED))
            }
            _ => Out::err(r::BLOCKING, self.p.pick(Code::ETIMEDOUT, Code::WSAETIMEDOUT))
                .note("nothing answered within a day of virtual time"),
        }
    }

    /// A v6-only socket (or, on Linux, one bound to ::1) aiming at a v4-mapped address.
    pub(super) fn v6only_to_mapped(&self, i: usize, dst: SocketAddr) -> bool {
        let s = &self.socks[i];
        let IpAddr::V6(v6) = dst.ip() else { return false };
        if s.family != Family::V6 || v6.to_ipv4_mapped().is_none() {
            return false;
        }
        let bound_v6_loopback = s.local.is_some_and(|l| l.ip() == IpAddr::V6(Ipv6Addr::LOCALHOST));
        s.opts.v6only || (!self.p.winsock && bound_v6_loopback)
    }

    pub(super) fn syn_timeout(&self, i: usize) -> Duration {
        let s = &self.socks[i];
        if self.p.winsock {
            return self.maxrt(i).unwrap_or(self.p.syn_timeout);
        }
        if let Some(ms) = s.opts.user_timeout_ms {
            return Duration::from_millis(ms as u64); // 4c
        }
        match s.opts.syncnt {
            // n retries: 1 + 2 + 4 + ... + 2^n seconds (4b: TCP_SYNCNT=1 gives 3 s).
            Some(n) => Duration::from_secs((1u64 << (n.min(62) + 1)) - 1),
            None => self.p.syn_timeout,
        }
    }

    pub(super) fn maxrt(&self, i: usize) -> Option<Duration> {
        self.socks[i].opts.maxrt_s.filter(|s| *s >= 0).map(|s| Duration::from_secs(s as u64))
    }

    /// 10d / 8b: Linux's `connect(AF_UNSPEC)` on a TCP socket.
    pub(super) fn linux_unspec_tcp(&mut self, i: usize) -> Out {
        let s = &mut self.socks[i];
        s.attempt = next_serial(&mut self.serials);
        s.peer = None;
        s.so_error = None;
        s.success_unreported = false;
        s.backlog.clear();
        let partner = s.partner.take();
        let from = s.state;
        if from == State::Listening && !s.port_explicit {
            s.local = None;
        }
        if let Some(j) = partner {
            // The peer sees a reset.
            self.socks[j].partner = None;
            self.peer_reset(j);
        }
        if from != State::Unbound {
            let to = if self.socks[i].local.is_some() { State::Bound } else { State::Unbound };
            self.set_state(i, to, Cause::Call("connect(AF_UNSPEC)".into()), None);
        }
        Out::ok(r::UNSPEC_TCP)
    }

    /// Winsock's UDP disconnect: no peer any more; send and recv answer WSAENOTCONN.
    fn winsock_udp_disconnect(&mut self, i: usize, api: &ConnectApi, rule: &'static str) -> Out {
        let s = &mut self.socks[i];
        s.peer = None;
        s.icmp = None;
        s.disconnected = true;
        let to = if s.local.is_some() { State::Unassociated } else { State::Unbound };
        self.set_state(i, to, Cause::Call(format!("{} (zero address)", api.name()).into()), None);
        Out::ok(rule)
    }

    pub(super) fn udp_connect(&mut self, i: usize, dest: Dest, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        if matches!(api, ConnectApi::ConnectEx { .. }) {
            return Out::err(r::CONNECTEX_DGRAM, Code::WSAEINVAL);
        }
        let dst = match dest {
            Dest::Unspec if p.winsock => {
                // A zero-filled AF_UNSPEC structure dissolves the association and keeps the
                // local address (the WSAConnect page; windows: test_connect_udp, sock.c).
                return self.winsock_udp_disconnect(i, api, r::UDP_ZERO_WINSOCK);
            }
            Dest::Unspec => {
                // 7f/7g: AF_UNSPEC dissolves the association; a kernel-chosen port is released.
                let s = &mut self.socks[i];
                s.peer = None;
                s.icmp = None;
                if !s.port_explicit {
                    s.local = None;
                }
                let to = if s.local.is_some() { State::Unassociated } else { State::Unbound };
                self.set_state(i, to, Cause::Call("connect(AF_UNSPEC)".into()), None);
                return Out::ok(r::UDP_UNSPEC);
            }
            Dest::Inet(a) => a,
        };
        let wsaconnect = matches!(api, ConnectApi::WsaConnect { .. });
        let mut dst = dst;
        if canon(dst.ip()).is_unspecified() {
            if p.winsock {
                if wsaconnect {
                    // The WSAConnect page: WSAConnect disconnects only when the entire structure is zero,
                    // the family too (an AF_UNSPEC structure); an AF_INET ADDR_ANY is "not a
                    // valid address".
                    return Out::err(r::UDP_ZERO_WINSOCK, Code::WSAEADDRNOTAVAIL);
                }
                if p.id == PersonalityId::Windows && dst.port() != 0 {
                    // Real Windows refuses INADDR_ANY with a port and keeps the association
                    // (libuv PR #2981, test-udp-connect.c).
                    return Out::err(r::UDP_ANY_PORT_WINDOWS, Code::WSAEADDRNOTAVAIL);
                }
                // The connect page: an all-zero address member dissolves the association
                // (assumed for windows: nothing on record shows Windows doing it).
                return self.winsock_udp_disconnect(i, api, r::UDP_ZERO_INET);
            }
            // 5d/5e: Linux connects to this host, even to port 0.
            dst = SocketAddr::new(loopback_like(dst.ip()), dst.port());
        }
        if self.v6only_to_mapped(i, dst) {
            // 14c on Linux; Winsock: socklab's reading of the dual-stack page (v4-mapped
            // addresses need IPV6_V6ONLY = 0), with the error Windows gives TCP.
            return Out::err(r::V6ONLY_MAPPED_UDP, p.pick(Code::ENETUNREACH, Code::WSAEADDRNOTAVAIL));
        }
        let mut rule_override = None;
        let source = match self.route_of(facts, canon(dst.ip())) {
            RouteFact::Ok { broadcast, source } => {
                let limited = canon(dst.ip()) == IpAddr::V4(Ipv4Addr::BROADCAST);
                if broadcast && !self.socks[i].opts.broadcast {
                    if p.id == PersonalityId::Windows && limited {
                        // Real Windows does not check SO_BROADCAST when connecting to the limited
                        // broadcast; sendto there still needs it, send on the connected socket
                        // does not (test_broadcast, sock.c).
                        rule_override = Some(r::UDP_LIMITED_BROADCAST_WINDOWS);
                    } else {
                        return Out::err(r::UDP_BROADCAST, p.pick(Code::EACCES, Code::WSAEACCES)); // 6a
                    }
                }
                source
            }
            RouteFact::NoRoute => return self.no_route(),
            RouteFact::Unreachable => return Out::err(r::ROUTE_SYNC, self.code(Fault::HostUnreach)),
            RouteFact::Prohibit => return Out::err(r::ROUTE_SYNC, self.code(Fault::Access)),
        };
        let family = self.socks[i].family;
        if self.socks[i].local.is_none() {
            let Some(port) = self.take_port(i, true, None) else {
                return self.ports_exhausted(Code::EAGAIN);
            };
            self.socks[i].local = Some(SocketAddr::new(family_ip(source, family), port));
        }
        let s = &mut self.socks[i];
        let changed = s.peer.is_some_and(|old| !same_endpoint(old, dst));
        let mut rule = r::UDP_CONNECT;
        if changed && p.winsock && !s.rx.is_empty() {
            // Winsock docs: queued datagrams are discarded when the destination changes;
            // Linux keeps them (7d).
            s.rx.clear();
            rule = r::UDP_RECONNECT_DISCARDS;
        }
        s.peer = Some(dst);
        s.disconnected = false;
        s.icmp = None;
        self.set_state(i, State::Associated, Cause::Call(api.name().into()), None);
        self.windows_udp_connected(i);
        Out::ok(rule_override.unwrap_or(rule))
    }
}

/// Give an answer the return type of the API that was called (ConnectEx returns BOOL).
pub(super) fn as_api(api: &ConnectApi, out: Out) -> Out {
    match (api, out.ret) {
        (ConnectApi::ConnectEx { .. }, Ret::Int(v)) => Out { ret: Ret::Bool(v == 0 && out.error.is_none()), ..out },
        _ => out,
    }
}

pub(super) fn loopback_like(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

/// The source address in the socket's family (a v4 source on a v6 socket is v4-mapped).
pub(super) fn family_ip(source: IpAddr, family: Family) -> IpAddr {
    match (source, family) {
        (IpAddr::V4(v4), Family::V6) => IpAddr::V6(v4.to_ipv6_mapped()),
        (ip, _) => ip,
    }
}

pub(super) fn is_broadcast(ip: IpAddr, facts: &dyn Facts) -> bool {
    matches!(facts.route(ip), RouteFact::Ok { broadcast: true, .. })
}
