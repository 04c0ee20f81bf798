//! Addresses: validating a destination, bind (and the ephemeral port), listen, accept,
//! getsockname and getpeername.

use super::*;

impl Host {
    /// Let virtual time pass inside a blocking call until `pred` holds or `limit` passes.
    pub(super) fn block_until(&mut self, limit: Duration, facts: &dyn Facts, pred: impl Fn(&Host) -> bool) -> bool {
        let deadline = self.now.saturating_add(limit);
        if self.run_events_until(deadline, facts, &pred) {
            return true;
        }
        self.now = deadline;
        pred(self)
    }

    /// Block with no timeout: let the queued network events happen until `pred` holds. `false`
    /// when nothing left in the queue (within [`BLOCK_LIMIT`]) can make it hold: the real call
    /// would wait forever, and the clock stays at the last event instead of jumping ahead.
    pub(super) fn block_indefinitely(&mut self, facts: &dyn Facts, pred: impl Fn(&Host) -> bool) -> bool {
        let deadline = self.now.saturating_add(BLOCK_LIMIT);
        self.run_events_until(deadline, facts, &pred)
    }

    /// Fire the queued network events and `after` calls due by `deadline`, in time order, until
    /// `pred` holds (`true`) or nothing more is due (`false`, the clock at the last event).
    fn run_events_until(&mut self, deadline: Duration, facts: &dyn Facts, pred: &impl Fn(&Host) -> bool) -> bool {
        loop {
            if pred(self) {
                return true;
            }
            match (self.next_event(), self.after_due()) {
                (t, Some(a)) if a <= deadline && t.is_none_or(|t| a < t) => self.fire_after(facts),
                (Some(t), _) if t <= deadline => self.fire_next(facts),
                _ => return false,
            }
        }
    }

    /// The answer of a blocking call that would never return (issue 9: not WSAEWOULDBLOCK, which
    /// a blocking socket never answers, and no day of virtual time passing).
    pub(super) fn blocks_forever(&self, what: &str) -> Out {
        Out::na(
            r::BLOCKS_FOREVER,
            &format!(
                "{what} would block forever: nothing can arrive; socklab does not wait (set FIONBIO, or use select with a timeout)"
            ),
        )
    }

    /// Check a `name`/`namelen` pair against the socket, the way each platform does.
    pub(super) fn dest(&self, i: usize, arg: &SockAddrArg, facts: &dyn Facts) -> Result<Dest, Out> {
        let p = self.p;
        let s = &self.socks[i];
        let len = arg.effective_len();
        let inval = |rule| Err(Out::err(rule, p.pick(Code::EINVAL, Code::WSAEFAULT)));
        let addr = match &arg.kind {
            AddrKind::Null => {
                // 8h: a NULL name pointer.
                let code = if p.winsock {
                    Code::WSAEFAULT
                } else if len == 0 {
                    Code::EINVAL
                } else {
                    Code::EFAULT
                };
                return Err(Out::err(r::ADDR_NULL, code));
            }
            AddrKind::Unspec => {
                if p.winsock {
                    if s.proto == Proto::Udp {
                        // A zero-filled structure (family AF_UNSPEC included) disconnects a UDP
                        // socket: the WSAConnect page ("the entire name structure is all zeros"), the connect page
                        // (its address member is zero); windows: test_connect_udp in Wine's
                        // dlls/ws2_32/tests/sock.c. The callers other than connect refuse it.
                        return Ok(Dest::Unspec);
                    }
                    return Err(Out::err(r::UNSPEC_WINSOCK, Code::WSAEAFNOSUPPORT));
                }
                if len < 2 {
                    return inval(r::ADDR_SHORT);
                }
                return Ok(Dest::Unspec);
            }
            AddrKind::Target(t) => match facts.resolve(*t, s.family) {
                Some(a) => a,
                None => return Err(Out::err(r::ADDR_FAMILY, p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT))),
            },
            AddrKind::Inet(a) => *a,
            AddrKind::Family(_) => {
                // af=N: namelen against the socket's own structure first (linux: 16, or 24 for
                // a v6 socket; Winsock: 16 or 28), then the family (rule addr.af-number).
                let need = match (s.family, p.winsock) {
                    (Family::V4, _) => 16,
                    (Family::V6, false) => 24,
                    (Family::V6, true) => 28,
                };
                if len < need || (!p.winsock && len > 128) {
                    return inval(r::ADDR_SHORT);
                }
                // bind answers it under addr.af-number (Wine's test_bind checks it on Windows).
                return Err(Out::err(r::AF_NUMBER_DEST, p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT)));
            }
        };
        if !p.winsock && len > 128 {
            return inval(r::ADDR_SHORT); // 8e: longer than sockaddr_storage
        }
        match (s.family, Family::of(&addr)) {
            (Family::V4, Family::V4) => {
                if len < 16 {
                    return inval(r::ADDR_SHORT); // 8d: EINVAL vs WSAEFAULT
                }
                Ok(Dest::Inet(addr))
            }
            (Family::V4, Family::V6) => {
                if len < 16 {
                    return inval(r::ADDR_SHORT);
                }
                Err(Out::err(r::ADDR_FAMILY, p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT))) // 8c
            }
            (Family::V6, Family::V6) => {
                // Linux accepts 24 bytes (no scope id); Winsock's "namelen too small" is read
                // against sizeof(sockaddr_in6) = 28.
                if len < if p.winsock { 28 } else { 24 } {
                    return inval(r::ADDR_SHORT);
                }
                Ok(Dest::Inet(addr))
            }
            (Family::V6, Family::V4) => {
                if p.winsock {
                    return inval(r::ADDR_SHORT);
                }
                // 8f: length is checked before family on a TCP socket; 8g: a dual-stack UDP
                // socket maps a plain sockaddr_in to ::ffff:a.b.c.d.
                if s.proto == Proto::Tcp {
                    return inval(r::ADDR_SHORT);
                }
                if s.opts.v6only {
                    return Err(Out::err(r::ADDR_FAMILY, Code::EAFNOSUPPORT));
                }
                let IpAddr::V4(v4) = addr.ip() else { unreachable!("family checked") };
                Ok(Dest::Inet(SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), addr.port())))
            }
        }
    }

    /// A local port for socket `i`, or `None` when the ephemeral range (`portrange`) has no
    /// free one. `dst`: the destination of a TCP connect, which on linux may share a port with
    /// connections to other destinations (measured: tests/live_seed_errors.rs).
    pub(super) fn take_port(&mut self, i: usize, for_connect: bool, dst: Option<SocketAddr>) -> Option<u16> {
        let Some((lo, hi)) = self.port_range else {
            return Some(self.alloc_port(for_connect));
        };
        let proto = self.socks[i].proto;
        let linux = !self.p.winsock;
        (lo..=hi).find(|&port| {
            !self.socks.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.state != State::Closed
                    && o.proto == proto
                    && o.local.is_some_and(|l| l.port() == port)
                    && match (linux, dst) {
                        // Shared with a connection elsewhere, not with a bound or listening socket.
                        (true, Some(d)) => o.port_explicit || o.peer.is_none_or(|p| same_endpoint(p, d)),
                        _ => true,
                    }
            })
        })
    }

    /// The answer when `portrange` left no free port: linux EADDRINUSE for bind/listen,
    /// EADDRNOTAVAIL for a TCP connect, EAGAIN for UDP; Winsock WSAENOBUFS.
    pub(super) fn ports_exhausted(&self, linux: Code) -> Out {
        Out::err(r::PORTS_EXHAUSTED, self.p.pick(linux, Code::WSAENOBUFS))
    }

    pub(super) fn alloc_port(&mut self, for_connect: bool) -> u16 {
        // LINUX_TRUTH 1d: connect() picked even ports, bind(port 0) odd ones.
        let linux = !self.p.winsock;
        let slot = if linux && !for_connect { &mut self.next_port_odd } else { &mut self.next_port_even };
        let port = *slot;
        *slot = slot.wrapping_add(if linux { 2 } else { 1 });
        if linux && for_connect {
            self.next_port_odd = self.next_port_odd.max(self.next_port_even.saturating_sub(1));
        } else if !linux {
            self.next_port_odd = self.next_port_even;
        }
        port
    }

    pub(super) fn bind(&mut self, i: usize, arg: &SockAddrArg, facts: &dyn Facts) -> Out {
        let p = self.p;
        let addr = match self.dest(i, arg, facts) {
            Ok(Dest::Inet(a)) => a,
            Ok(Dest::Unspec) => return Out::err(r::BIND, p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT)),
            Err(e) if e.rule == r::AF_NUMBER_DEST => return Out { rule: r::AF_NUMBER, ..e },
            Err(e) => return e,
        };
        let s = &self.socks[i];
        if s.local.is_some() {
            return Out::err(r::BIND, p.pick(Code::EINVAL, Code::WSAEINVAL));
        }
        // ::ffff:0.0.0.0 is the IPv4 wildcard seen from a dual-stack socket.
        if !canon(addr.ip()).is_unspecified() && !facts.is_local(canon(addr.ip())) {
            return Out::err(r::BIND, p.pick(Code::EADDRNOTAVAIL, Code::WSAEADDRNOTAVAIL));
        }
        let proto = s.proto;
        let reuse = s.opts.reuseaddr;
        let family = s.family;
        if addr.port() != 0 && p.id == PersonalityId::Windows {
            if let Some(code) = self.windows_bind_conflict(i, addr) {
                return Out::err(r::BIND_WINDOWS, code);
            }
        } else if addr.port() != 0 {
            let clash = self.socks.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.proto == proto
                    // A v6-only socket shares no port with an AF_INET one (test_ipv6only).
                    && !(o.family != family && if o.family == Family::V6 { o.opts.v6only } else { s.opts.v6only })
                    && o.state != State::Closed
                    && o.local.is_some_and(|l| {
                        l.port() == addr.port()
                            && (l.ip().is_unspecified() || addr.ip().is_unspecified() || same_ip(l.ip(), addr.ip()))
                    })
                    // Linux needs SO_REUSEADDR on both sockets (and no listener); Winsock on the
                    // new one.
                    && !(reuse && (p.winsock || (o.opts.reuseaddr && o.state != State::Listening)))
            });
            if clash {
                return Out::err(r::BIND, p.pick(Code::EADDRINUSE, Code::WSAEADDRINUSE));
            }
        }
        let port = if addr.port() == 0 {
            match self.take_port(i, false, None) {
                Some(p) => p,
                None => return self.ports_exhausted(Code::EADDRINUSE),
            }
        } else {
            addr.port()
        };
        let s = &mut self.socks[i];
        s.local = Some(SocketAddr::new(addr.ip(), port));
        s.port_explicit = addr.port() != 0;
        let to = if proto == Proto::Tcp { State::Bound } else { State::Unassociated };
        self.set_state(i, to, Cause::Call("bind".into()), None);
        Out::ok(r::BIND)
    }

    /// windows: whether another socket's address keeps socket `i` from binding `addr` (rule
    /// `bind.windows-conflicts`; every case of Wine's test_reuseaddr `tests_exclusive` table,
    /// which runs on Windows, is reproduced by these four questions).
    fn windows_bind_conflict(&self, i: usize, addr: SocketAddr) -> Option<Code> {
        let me = &self.socks[i];
        let mine = canon(addr.ip());
        // Whether an address bound by socket `s` covers another address without being it: a
        // wildcard covers its own family; a dual-stack [::] covers IPv4 as well.
        let covers = |s: &Sock, a: IpAddr, b: IpAddr| {
            let dual = s.family == Family::V6 && !s.opts.v6only && a.is_ipv6();
            a.is_unspecified() && a != b && (a.is_ipv4() == b.is_ipv4() || (dual && b.is_ipv4()))
        };
        self.socks.iter().enumerate().find_map(|(j, o)| {
            let l = o.local.filter(|l| l.port() == addr.port())?;
            if j == i || o.proto != me.proto || o.state == State::Closed {
                return None;
            }
            let theirs = canon(l.ip());
            if theirs == mine {
                // The same address: both need SO_REUSEADDR; the newcomer alone asking for it
                // is refused with WSAEACCES.
                return match (o.opts.reuseaddr, me.opts.reuseaddr) {
                    (true, true) => None,
                    (false, true) => Some(Code::WSAEACCES),
                    _ => Some(Code::WSAEADDRINUSE),
                };
            }
            if o.opts.exclusive && covers(o, theirs, mine) {
                return Some(Code::WSAEACCES);
            }
            if me.opts.exclusive && covers(me, mine, theirs) {
                return Some(Code::WSAEADDRINUSE);
            }
            None
        })
    }

    pub(super) fn listen(&mut self, i: usize, backlog: i32) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        if s.proto == Proto::Udp {
            return Out::err(r::LISTEN, p.pick(Code::EOPNOTSUPP, Code::WSAEOPNOTSUPP));
        }
        match s.state {
            State::Listening => {
                self.socks[i].backlog_max = backlog.max(0) as usize;
                return Out::ok(r::LISTEN);
            }
            State::Connected | State::Pending => return Out::err(r::LISTEN, p.pick(Code::EINVAL, Code::WSAEISCONN)),
            State::Failed if p.id == PersonalityId::Windows && s.local.is_some() => {
                // Real Windows lets a socket whose connect failed listen, and keeps its SO_ERROR
                // (test_select, interactive block, sock.c; todo_wine there: Linux forbids it).
                self.socks[i].backlog_max = backlog.max(0) as usize;
                self.set_state(i, State::Listening, Cause::Call("listen".into()), None);
                return Out::ok(r::LISTEN_AFTER_FAILURE_WINDOWS);
            }
            State::Failed => return Out::err(r::LISTEN, p.pick(Code::EINVAL, Code::WSAEINVAL)),
            State::Unbound if p.winsock => return Out::err(r::LISTEN, Code::WSAEINVAL),
            State::Unbound => {
                // Linux binds an unbound socket to a free port on listen.
                let family = s.family;
                let Some(port) = self.take_port(i, false, None) else {
                    return self.ports_exhausted(Code::EADDRINUSE);
                };
                let any = match family {
                    Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                };
                self.socks[i].local = Some(SocketAddr::new(any, port));
            }
            State::Bound => {}
            State::Unassociated | State::Associated | State::Closed => {
                return Out::err(r::LISTEN, p.pick(Code::EINVAL, Code::WSAEINVAL));
            }
        }
        self.socks[i].backlog_max = backlog.max(0) as usize;
        self.set_state(i, State::Listening, Cause::Call("listen".into()), None);
        Out::ok(r::LISTEN)
    }

    pub(super) fn accept(&mut self, i: usize, name: &str, facts: &dyn Facts) -> Out {
        let p = self.p;
        if self.socks[i].state != State::Listening {
            return Out { ret: Ret::Handle(None), ..Out::err(r::ACCEPT, p.pick(Code::EINVAL, Code::WSAEINVAL)) };
        }
        if self.socks[i].backlog.is_empty() {
            if self.socks[i].nonblocking {
                return Out {
                    ret: Ret::Handle(None),
                    ..Out::err(r::ACCEPT, p.pick(Code::EAGAIN, Code::WSAEWOULDBLOCK))
                };
            }
            let listening = |h: &Host| h.socks[i].state == State::Listening;
            if !self.block_indefinitely(facts, |h| !h.socks[i].backlog.is_empty() || !listening(h)) {
                return self.blocks_forever("accept");
            }
            match self.socks[i].state {
                State::Listening => {}
                // block.closed-by-other-thread: Winsock ends the waiting call with WSAEINTR;
                // a close does not wake it on linux.
                State::Closed if p.winsock => {
                    return Out { ret: Ret::Handle(None), ..Out::err(r::CLOSED_WHILE_BLOCKED, Code::WSAEINTR) };
                }
                State::Closed => return self.blocks_forever("accept"),
                // block.shutdown: another thread shut the listener down (linux: it stops
                // listening, and the waiting accept fails with EINVAL).
                _ => return Out { ret: Ret::Handle(None), ..Out::err(r::BLOCK_SHUTDOWN, Code::EINVAL) },
            }
        }
        let Some(client) = self.socks[i].backlog.pop_front() else { return Out::err(r::ACCEPT, Code::EINVAL) };
        let listener = self.socks[i].clone();
        let out = self.socket(listener.proto, listener.family, name);
        let j = self.created;
        // Winsock: the accepted socket inherits WSAAsyncSelect/WSAEventSelect registrations.
        if p.winsock {
            let a = &mut self.socks[j];
            a.event_select = listener.event_select;
            a.async_select = listener.async_select;
            a.nonblocking = listener.nonblocking;
        }
        self.connect_accepted(i, client, j, "accept");
        // FD_WRITE is recorded when a socket is first accepted (WSAAsyncSelect doc); with the
        // listener's registration inherited, the new socket signals it at once (Wine
        // test_accept_events).
        self.fd_event(j, FdEvents::WRITE, None);
        Out { rule: r::ACCEPT, ..out }
    }
}

impl Host {
    /// Socket `j` becomes the accepted end of `client`'s connection to listener `i` (accept
    /// creates `j`; AcceptEx was given it).
    pub(super) fn connect_accepted(&mut self, i: usize, client: usize, j: usize, by: &'static str) {
        let listener_local = self.socks[i].local;
        let client_local = self.socks[client].local;
        let client_peer = self.socks[client].peer;
        let a = &mut self.socks[j];
        a.local = client_peer.or(listener_local);
        a.peer = client_local;
        a.partner = Some(client);
        a.connected_at = Some(self.now);
        self.socks[client].partner = Some(j);
        // What the client sent before this accept (ConnectEx's buffer, send) is waiting here.
        let early = std::mem::take(&mut self.socks[client].unaccepted_tx);
        let from = client_local.unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
        self.socks[j].rx.extend(early.into_iter().map(|d| (d, from)));
        self.set_state(j, State::Connected, Cause::Call(by.into()), None);
    }

    pub(super) fn getsockname(&mut self, i: usize) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        let connected = matches!(s.state, State::Connected | State::Pending | State::Associated);
        match s.local {
            None if p.winsock => Out::err(r::GETSOCKNAME_UNBOUND, Code::WSAEINVAL), // 1b
            None => {
                // 1b: Linux answers the wildcard address and port 0.
                let any = match s.family {
                    Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                };
                Out::val(r::GETSOCKNAME_UNBOUND, Value::Addr { addr: SocketAddr::new(any, 0) })
            }
            Some(l) if p.id == PersonalityId::Windows && l.ip().is_unspecified() && !connected => {
                // Real Windows answers 0.0.0.0 and the chosen port after bind(0.0.0.0:0)
                // (test_getsockname, sock.c).
                Out::val(r::GETSOCKNAME_ANY_WINDOWS, Value::Addr { addr: l })
            }
            Some(l) if p.winsock && l.ip().is_unspecified() && !connected => {
                // 1c: the documentation: bound to ADDR_ANY and not yet connected.
                Out::err(r::GETSOCKNAME_UNBOUND, Code::WSAEINVAL)
            }
            Some(l) => Out::val(r::GETSOCKNAME, Value::Addr { addr: l }),
        }
    }

    pub(super) fn getpeername(&mut self, i: usize) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        let notconn = Out::err(r::GETPEERNAME, p.pick(Code::ENOTCONN, Code::WSAENOTCONN));
        if p.winsock && s.via_connectex && !s.context_updated && s.state == State::Connected {
            // SO_UPDATE_CONNECT_CONTEXT doc; cosmopolitan PR #1164, Nim #15022.
            return Out::err(r::UPDATE_CONTEXT, Code::WSAENOTCONN)
                .note("set SO_UPDATE_CONNECT_CONTEXT after ConnectEx before using getpeername");
        }
        if p.winsock && s.via_acceptex && !s.context_updated && s.state == State::Connected {
            return Out::err(r::ACCEPT_CONTEXT, Code::WSAENOTCONN)
                .note("set SO_UPDATE_ACCEPT_CONTEXT after AcceptEx before using getpeername");
        }
        match (s.state, s.peer) {
            (State::Connected, Some(peer)) => Out::val(r::GETPEERNAME, Value::Addr { addr: peer }),
            (State::Pending, Some(peer)) if p.id == PersonalityId::Windows && s.overlapped.is_none() => {
                // While a plain connect() pends Windows already answers the peer; with a ConnectEx
                // pending it says WSAENOTCONN (test_connecting_socket, sock.c).
                Out::val(r::GETPEERNAME_PENDING_WINDOWS, Value::Addr { addr: peer })
            }
            (State::Associated, Some(peer)) => {
                if !p.winsock && peer.port() == 0 {
                    // 5e: Linux reports ENOTCONN for a peer with port 0, yet sends go there.
                    return Out::err(r::LINUX_UDP_PORT0, Code::ENOTCONN);
                }
                Out::val(r::GETPEERNAME, Value::Addr { addr: peer })
            }
            _ => notconn,
        }
    }
}
