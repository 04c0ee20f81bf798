//! Time, timers and the one door for state changes: the virtual clock's queue, `set_state`,
//! and what a finished handshake, a reset or an arriving datagram does to a socket.

use super::*;

impl Host {
    pub(super) fn schedule(&mut self, at: Duration, timer: Timer) {
        self.seq += 1;
        self.timers.push(Reverse(Due { at, seq: self.seq, timer }));
    }

    pub(super) fn run_until(&mut self, until: Duration, facts: &dyn Facts) {
        loop {
            match (self.next_event(), self.after_due()) {
                (t, Some(a)) if a <= until && t.is_none_or(|t| a < t) => self.fire_after(facts),
                (Some(t), _) if t <= until => self.fire_next(facts),
                _ => break,
            }
        }
        if until > self.now {
            self.now = until;
        }
    }

    pub(super) fn fire_next(&mut self, facts: &dyn Facts) {
        let Some(Reverse(Due { at, timer, .. })) = self.timers.pop() else { return };
        if at > self.now {
            self.now = at;
        }
        match timer {
            Timer::Handshake { sock, attempt, result } => {
                if self.socks[sock].attempt == attempt && self.socks[sock].state == State::Pending {
                    self.finish_handshake(sock, result, facts);
                }
            }
            Timer::Reset { sock, attempt } => {
                let s = &self.socks[sock];
                if s.attempt == attempt && s.state == State::Connected && !s.reset {
                    self.peer_reset(sock);
                }
            }
            Timer::Datagram { sock, serial, data, from } => {
                if self.socks[sock].serial == serial {
                    self.deliver_datagram(sock, data, from);
                }
            }
            Timer::Icmp { sock, serial } => {
                if self.socks[sock].serial == serial && self.socks[sock].state != State::Closed {
                    self.socks[sock].icmp = Some(Fault::Refused);
                    self.readiness_changed(sock);
                }
            }
        }
    }

    /// The one place a socket changes state; it records from, to and cause.
    pub(super) fn set_state(&mut self, i: usize, to: State, cause: Cause, error: Option<Code>) {
        let s = &mut self.socks[i];
        let from = s.state;
        if from == to && error.is_none() {
            return;
        }
        s.state = to;
        if from == State::Listening {
            self.listening.retain(|&l| l != i);
        }
        if to == State::Listening {
            self.listening.push(i);
        }
        self.trans.push(Transition { sock: s.name.clone(), from, to, cause, error, at: self.now });
    }

    pub(super) fn code(&self, f: Fault) -> Code {
        let p = self.p;
        match f {
            Fault::Refused => p.pick(Code::ECONNREFUSED, Code::WSAECONNREFUSED),
            Fault::TimedOut => p.pick(Code::ETIMEDOUT, Code::WSAETIMEDOUT),
            Fault::NetUnreach => p.pick(Code::ENETUNREACH, Code::WSAENETUNREACH),
            Fault::HostUnreach => p.pick(Code::EHOSTUNREACH, Code::WSAEHOSTUNREACH),
            Fault::Access => p.pick(Code::EACCES, Code::WSAEACCES),
            Fault::Reset => p.pick(Code::ECONNRESET, Code::WSAECONNRESET),
            Fault::AddrNotAvail => p.pick(Code::EADDRNOTAVAIL, Code::WSAEADDRNOTAVAIL),
        }
    }

    /// Record a network event for WSAEventSelect and post a WSAAsyncSelect message.
    pub(super) fn fd_event(&mut self, i: usize, ev: FdEvents, error: Option<Code>) {
        let s = &mut self.socks[i];
        if s.event_select.contains(ev) {
            s.ev_reported |= ev;
            s.recorded.retain(|(e, _)| *e != ev);
            s.recorded.push((ev, error));
            self.notes.push(Notification::NetworkEvent { sock: s.name.clone(), event: ev, error, at: self.now });
        }
        let s = &self.socks[i];
        if s.async_select.contains(ev) {
            self.notes.push(Notification::WindowMessage { sock: s.name.clone(), event: ev, error, at: self.now });
        }
    }

    pub(super) fn readiness_changed(&mut self, i: usize) {
        if self.p.winsock {
            // wsaio: a pending overlapped WSARecv takes what arrived.
            self.serve_recv(i);
            // acceptex2: an AcceptEx waiting for the client's first data takes it.
            self.serve_accept_data(i);
        }
        if !self.p.winsock {
            let bits = self.poll_bits(i);
            let name = self.socks[i].name.clone();
            self.notes.push(Notification::Readiness { sock: name, bits, at: self.now });
        }
    }

    pub(super) fn finish_handshake(&mut self, i: usize, result: Result<(), Fault>, facts: &dyn Facts) {
        match result {
            Ok(()) => {
                let peer = self.socks[i].peer;
                self.socks[i].success_unreported = true;
                self.socks[i].connect_succeeded = true;
                // A successful connection clears SO_ERROR (test_select: the only thing that
                // resets it on Windows).
                self.socks[i].so_error = None;
                self.socks[i].so_error_other = None;
                self.socks[i].connected_at = Some(self.now);
                self.set_state(i, State::Connected, Cause::Net("handshake completed".into()), None);
                // Both ends on this host: queue the server side on the listener.
                if let Some(peer) = peer {
                    if let Some(l) = self.find_listener(peer) {
                        self.enqueue_accept(l, i);
                    } else if let TcpFact::Accepts { reset_after: Some(d), .. } = facts.tcp(peer) {
                        let attempt = self.socks[i].attempt;
                        self.schedule(self.now.saturating_add(d), Timer::Reset { sock: i, attempt });
                    }
                }
                if let Some(data) = self.socks[i].overlapped.take() {
                    let bytes = data.len() as u32;
                    // ConnectEx's buffer is sent once the connection is up: the accepted socket
                    // receives it (test_connect, sock.c: "123" arrives).
                    self.transmit(i, data);
                    self.complete_overlapped(i, "ConnectEx", None, bytes);
                } else {
                    self.fd_event(i, FdEvents::CONNECT, None);
                    // FD_WRITE is recorded when a socket is first connected (WSAEventSelect doc).
                    self.fd_event(i, FdEvents::WRITE, None);
                }
                self.readiness_changed(i);
            }
            Err(f) => {
                let code = self.code(f);
                let s = &mut self.socks[i];
                s.so_error = Some(code);
                s.failure_reported = false;
                self.set_state(i, State::Failed, Cause::Net(fault_text(f).into()), Some(code));
                if self.socks[i].overlapped.take().is_some() {
                    self.complete_overlapped(i, "ConnectEx", Some(code), 0);
                } else {
                    self.fd_event(i, FdEvents::CONNECT, Some(code));
                }
                self.readiness_changed(i);
            }
        }
    }

    pub(super) fn peer_reset(&mut self, i: usize) {
        let windows = self.p.id == PersonalityId::Windows;
        // reset.after-fin: a reset that follows the peer's FIN (the peer shut down sending,
        // or closed, before it reset) finds the connection half closed: linux records EPIPE
        // (tcp_reset in CLOSE_WAIT, measured in tests/live_tcp.rs row_close_unread), windows'
        // recv answers WSAECONNABORTED (Wine sock.c test_shutdown, "Send data to a peer which
        // is closed").
        let after_fin = self.socks[i].peer_closed;
        let code = match (after_fin, self.p.winsock) {
            (true, false) => Code::EPIPE,
            (true, true) if windows => Code::WSAECONNABORTED,
            _ => self.code(Fault::Reset),
        };
        let s = &mut self.socks[i];
        s.reset = true;
        s.reset_after_fin = after_fin;
        // windows: SO_ERROR reads 0 after a reset; recv and send report WSAECONNRESET
        // themselves, every time (rule reset.windows, Wine test_tcp_reset). Elsewhere the
        // error waits in SO_ERROR (row_10c in tests/live_tcp.rs).
        s.so_error = if windows { None } else { Some(code) };
        // The connection is gone: the socket is `failed` with the reset's error. connect()
        // still answers EISCONN (`connect.isconn`), recv reports the reset.
        self.set_state(i, State::Failed, Cause::Net("reset by peer".into()), Some(code));
        if !after_fin {
            // windows: FD_CLOSE carries WSAECONNABORTED for a reset (rule reset.fd-close, Wine
            // test_close_events "Trigger RST"); the documentation's WSAECONNRESET elsewhere.
            let fd_code = if windows { Code::WSAECONNABORTED } else { code };
            self.fd_event(i, FdEvents::CLOSE, Some(fd_code));
        }
        self.readiness_changed(i);
    }

    pub(super) fn deliver_datagram(&mut self, i: usize, data: Vec<u8>, from: SocketAddr) {
        let s = &self.socks[i];
        if s.state == State::Closed {
            return;
        }
        // A socket with a default peer only receives from that peer (both platforms; 7c).
        if s.state == State::Associated && s.peer.is_some_and(|p| !same_endpoint(p, from)) {
            return;
        }
        self.socks[i].rx.push_back((data, from));
        self.fd_event(i, FdEvents::READ, None);
        self.readiness_changed(i);
    }

    pub(super) fn enqueue_accept(&mut self, listener: usize, client: usize) {
        self.socks[listener].backlog.push_back(client);
        if !self.socks[listener].accept_waiting.is_empty() {
            // acceptex: an AcceptEx waiting on the listener takes the connection (acceptex2:
            // unless its address lengths are too short: the connection then stays queued).
            self.serve_accepts(listener);
            if !self.socks[listener].backlog.contains(&client) {
                return;
            }
        }
        self.fd_event(listener, FdEvents::ACCEPT, None);
        self.readiness_changed(listener);
    }

    pub(super) fn find_listener(&self, dst: SocketAddr) -> Option<usize> {
        // The most specific listener wins (a listener on the address itself before one on the
        // wildcard), then the one that listened first (Wine test_reuseaddr).
        let on = |exact: bool| {
            self.listening.iter().copied().find(|&i| {
                self.socks[i].local.is_some_and(|l| {
                    l.port() == dst.port() && if exact { same_ip(l.ip(), dst.ip()) } else { l.ip().is_unspecified() }
                })
            })
        };
        on(true).or_else(|| on(false))
    }

    pub(super) fn find_udp(&self, dst: SocketAddr) -> Option<usize> {
        self.socks.iter().position(|s| {
            s.proto == Proto::Udp
                && s.state != State::Closed
                && s.local
                    .is_some_and(|l| l.port() == dst.port() && (l.ip().is_unspecified() || same_ip(l.ip(), dst.ip())))
        })
    }
}

pub(super) fn fault_text(f: Fault) -> &'static str {
    match f {
        Fault::Refused => "reset (connection refused)",
        Fault::TimedOut => "no answer: connect timed out",
        Fault::NetUnreach => "network unreachable",
        Fault::HostUnreach => "host unreachable",
        Fault::Access => "access denied",
        Fault::Reset => "reset by peer",
        Fault::AddrNotAvail => "a v6-only socket cannot reach a v4-mapped address",
    }
}

/// Compare addresses, treating `::ffff:a.b.c.d` and `a.b.c.d` as the same host.
pub(super) fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    canon(a) == canon(b)
}

pub(super) fn canon(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(a),
        v4 => v4,
    }
}

pub(super) fn same_endpoint(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && same_ip(a.ip(), b.ip())
}
