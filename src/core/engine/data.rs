//! Data: send/sendto, recv/recvfrom, and how a datagram or a TCP segment travels.

use super::*;

impl Host {
    pub(super) fn send(&mut self, i: usize, to: Option<&SockAddrArg>, data: &[u8], facts: &dyn Facts) -> Out {
        let len = data.len() as i64;
        if self.socks[i].proto == Proto::Tcp {
            return self.tcp_send(i, data, facts);
        }
        let p = self.p;
        let dst = match to {
            None => {
                if let (false, Some(f)) = (p.winsock, self.socks[i].icmp) {
                    if self.socks[i].state == State::Associated {
                        // 7h: the ICMP error of an earlier datagram, reported once.
                        self.socks[i].icmp = None;
                        return Out::err(r::UDP_ICMP, self.code(f));
                    }
                }
                match (self.socks[i].state, self.socks[i].peer) {
                    (State::Associated, Some(peer)) => peer,
                    // 7a/7f: no default destination.
                    _ => return Out::err(r::UDP_NO_PEER, p.pick(Code::EDESTADDRREQ, Code::WSAENOTCONN)),
                }
            }
            Some(arg) => {
                let a = match self.dest(i, arg, facts) {
                    Ok(Dest::Inet(a)) => a,
                    Ok(Dest::Unspec) => {
                        return Out::err(r::ADDR_FAMILY, p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT));
                    }
                    Err(e) => return e,
                };
                let a = if canon(a.ip()).is_unspecified() && !p.winsock {
                    SocketAddr::new(loopback_like(a.ip()), a.port())
                } else {
                    a
                };
                match self.route_of(facts, canon(a.ip())) {
                    RouteFact::Ok { broadcast: true, .. } if !self.socks[i].opts.broadcast => {
                        return Out::err(r::UDP_BROADCAST, p.pick(Code::EACCES, Code::WSAEACCES));
                    }
                    RouteFact::Ok { .. } => {}
                    RouteFact::NoRoute => return self.no_route(),
                    RouteFact::Unreachable => return Out::err(r::ROUTE_SYNC, self.code(Fault::HostUnreach)),
                    RouteFact::Prohibit => return Out::err(r::ROUTE_SYNC, self.code(Fault::Access)),
                }
                a
            }
        };
        if self.socks[i].local.is_none() {
            // Implicit bind by sendto.
            let Some(port) = self.take_port(i, true, None) else {
                return self.ports_exhausted(Code::EAGAIN);
            };
            let fam = self.socks[i].family;
            // wsaio3: the implicit bind takes a port only; the address stays the wildcard (the
            // kernel's getsockname answers 0.0.0.0:PORT, tests/scenarios/47_wsasendto.lab).
            let any =
                if fam == Family::V6 { IpAddr::V6(Ipv6Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::UNSPECIFIED) };
            self.socks[i].local = Some(SocketAddr::new(any, port));
            if self.socks[i].state == State::Unbound {
                self.set_state(i, State::Unassociated, Cause::Call("sendto (implicit bind)".into()), None);
            }
        }
        if self.firewalled(dst.ip()) {
            // The rule drops the datagram in the output path: linux EPERM, at once.
            return Out::err(r::FIREWALL, p.pick(Code::EPERM, Code::WSAEACCES));
        }
        let from = self.socks[i].local.unwrap_or(dst);
        // A socket bound to the wildcard sends from the route's source address.
        let from = if from.ip().is_unspecified() {
            match self.route_of(facts, canon(dst.ip())) {
                RouteFact::Ok { source, .. } => SocketAddr::new(family_ip(source, self.socks[i].family), from.port()),
                _ => from,
            }
        } else {
            from
        };
        self.route_datagram(i, from, dst, data.to_vec(), facts);
        Out { ret: Ret::Int(len), ..Out::ok(r::SEND) }
    }

    pub(super) fn route_datagram(
        &mut self,
        i: usize,
        from: SocketAddr,
        dst: SocketAddr,
        data: Vec<u8>,
        facts: &dyn Facts,
    ) {
        let associated = self.socks[i].state == State::Associated;
        let icmp_applies = self.p.winsock || associated;
        if let Some(j) = self.find_udp(dst) {
            let o = &self.socks[j];
            let filtered = o.state == State::Associated && o.peer.is_some_and(|pp| !same_endpoint(pp, from));
            if filtered {
                // 7c: no socket takes it; the sender gets ICMP port unreachable.
                if icmp_applies {
                    self.schedule(self.now, Timer::Icmp { sock: i, serial: self.socks[i].serial });
                }
            } else {
                self.schedule(self.now, Timer::Datagram { sock: j, serial: self.socks[j].serial, data, from });
            }
            return;
        }
        match facts.udp(dst) {
            UdpFact::Echo { after } => self.schedule(
                self.now.saturating_add(after),
                Timer::Datagram { sock: i, serial: self.socks[i].serial, data, from: dst },
            ),
            UdpFact::Swallowed => {}
            UdpFact::PortUnreachable { after } => {
                if icmp_applies {
                    self.schedule(
                        self.now.saturating_add(after),
                        Timer::Icmp { sock: i, serial: self.socks[i].serial },
                    );
                }
            }
        }
    }

    /// TCP data from connected socket `i` travels to the other end: its accepted socket, or,
    /// while that is still in a listener's queue, held until accept creates it. Data for a
    /// target outside the host goes nowhere the host can see.
    pub(super) fn transmit(&mut self, i: usize, data: Vec<u8>) {
        if data.is_empty() {
            return;
        }
        let s = &self.socks[i];
        if let Some(j) = s.partner {
            let from = s.local.unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
            self.schedule(self.now, Timer::Datagram { sock: j, serial: self.socks[j].serial, data, from });
        } else if self.listening.iter().any(|&l| self.socks[l].backlog.contains(&i)) {
            self.socks[i].unaccepted_tx.push(data);
        }
    }

    pub(super) fn tcp_send(&mut self, i: usize, data: &[u8], facts: &dyn Facts) -> Out {
        let p = self.p;
        let len = data.len() as i64;
        if !p.winsock && self.socks[i].state == State::Pending {
            if self.socks[i].nonblocking {
                return Out::err(r::TCP_SEND, Code::EAGAIN);
            }
            self.block_until(BLOCK_LIMIT, facts, |h| h.socks[i].state != State::Pending);
        }
        let s = &mut self.socks[i];
        match s.state {
            // A peer reset: the pending error first, then EPIPE (10c); windows answers
            // WSAECONNRESET every time (test_tcp_reset).
            State::Failed if s.reset => match s.so_error.take() {
                Some(e) => Out::err(r::TCP_SEND, e),
                None => Out::err(r::TCP_SEND, p.pick(Code::EPIPE, Code::WSAECONNRESET)),
            },
            State::Connected => {
                if s.shut_wr {
                    return Out::err(r::TCP_SEND, p.pick(Code::EPIPE, Code::WSAESHUTDOWN));
                }
                if s.peer_gone && !data.is_empty() {
                    // send.closed-peer: the data reaches a closed socket, whose host answers it
                    // with a reset; the send itself has already succeeded.
                    let attempt = s.attempt;
                    self.schedule(self.now, Timer::Reset { sock: i, attempt });
                    return Out { ret: Ret::Int(len), ..Out::ok(r::SEND_CLOSED_PEER) };
                }
                self.transmit(i, data.to_vec());
                Out { ret: Ret::Int(len), ..Out::ok(r::TCP_SEND_CONNECTED) }
            }
            State::Failed if !p.winsock => {
                // 3e: the pending error first, then EPIPE.
                match s.so_error.take() {
                    Some(e) => Out::err(r::TCP_SEND, e),
                    None => Out::err(r::TCP_SEND, Code::EPIPE),
                }
            }
            _ if !p.winsock => Out::err(r::TCP_SEND, Code::EPIPE),
            _ => Out::err(r::TCP_SEND, Code::WSAENOTCONN),
        }
    }

    pub(super) fn recv(&mut self, i: usize, with_from: bool, facts: &dyn Facts) -> Out {
        self.recv_after(i, with_from, false, facts)
    }

    /// recv; `blocked`: the call has already waited (what ended the wait decides the rule).
    fn recv_after(&mut self, i: usize, with_from: bool, blocked: bool, facts: &dyn Facts) -> Out {
        let p = self.p;
        let udp = self.socks[i].proto == Proto::Udp;
        if self.socks[i].state == State::Closed {
            // Winsock 2: another thread closed the socket while recv waited on it.
            return Out::err(r::CLOSED_WHILE_BLOCKED, Code::WSAEINTR);
        }
        // Errors reported before any data.
        {
            let s = &mut self.socks[i];
            if udp {
                if let Some(f) = s.icmp {
                    if p.winsock || s.state == State::Associated {
                        s.icmp = None;
                        // 7h: ECONNREFUSED (Linux, connected only) vs WSAECONNRESET.
                        let code = if p.winsock { Code::WSAECONNRESET } else { self.code(f) };
                        return Out::err(r::UDP_ICMP, code);
                    }
                }
                if p.winsock && s.disconnected && !with_from {
                    return Out::err(r::UDP_NO_PEER, Code::WSAENOTCONN);
                }
                if p.winsock && s.local.is_none() {
                    return Out::err(r::RECV, Code::WSAEINVAL);
                }
            } else {
                match s.state {
                    // A reset connection still has its reset (and any data) to report.
                    State::Connected | State::Pending => {}
                    State::Failed if s.reset => {}
                    State::Failed if !p.winsock && s.so_error.is_some() => {
                        let e = s.so_error.take();
                        return Out::err(r::RECV, e.unwrap_or(Code::ENOTCONN));
                    }
                    _ => return Out::err(r::RECV, p.pick(Code::ENOTCONN, Code::WSAENOTCONN)),
                }
                if s.state == State::Pending && p.winsock {
                    return Out::err(r::RECV, Code::WSAENOTCONN);
                }
            }
        }
        // recv.shutdown: after the socket's own shutdown(SD_RECEIVE / SHUT_RD), Winsock refuses
        // the call; linux answers the end of the stream once nothing is queued.
        if !udp && self.socks[i].shut_rd && (p.winsock || self.socks[i].rx.is_empty()) {
            let rule = if blocked { r::BLOCK_SHUTDOWN } else { r::RECV_SHUTDOWN };
            if p.winsock {
                return Out::err(rule, Code::WSAESHUTDOWN);
            }
            return Out { ret: Ret::Int(0), ..Out::ok(rule) };
        }
        let ready = |h: &Host| {
            let s = &h.socks[i];
            !s.rx.is_empty()
                || (s.shut_rd && s.proto == Proto::Tcp)
                || s.reset
                || s.peer_closed
                || s.icmp.is_some()
                || matches!(s.state, State::Failed | State::Closed)
        };
        if !ready(self) {
            if self.socks[i].nonblocking {
                return Out::err(r::RECV, p.pick(Code::EAGAIN, Code::WSAEWOULDBLOCK));
            }
            if !self.block_indefinitely(facts, ready) {
                return self.blocks_forever("recv");
            }
            return self.recv_after(i, with_from, true, facts);
        }
        let s = &mut self.socks[i];
        if let Some((data, from)) = s.rx.pop_front() {
            let n = data.len() as i64;
            return Out {
                ret: Ret::Int(n),
                ..Out::val(r::RECV, Value::Data { data, from: with_from.then_some(from) })
            };
        }
        if s.reset && s.reset_after_fin {
            // reset.after-fin: linux had the FIN first, so recv keeps answering the end of
            // the stream and the EPIPE waits in SO_ERROR; windows answers WSAECONNABORTED.
            return match p.id {
                PersonalityId::Linux => Out { ret: Ret::Int(0), ..Out::ok(r::RESET_AFTER_FIN) },
                PersonalityId::Windows => Out::err(r::RESET_AFTER_FIN, Code::WSAECONNABORTED),
                _ => Out::err(r::RESET_AFTER_FIN, Code::WSAECONNRESET),
            };
        }
        if s.reset {
            // 10c: the reset is reported once, then end of stream (Linux).
            if let Some(e) = s.so_error.take() {
                return Out::err(r::RECV, e);
            }
            if p.winsock {
                return Out::err(r::RECV, Code::WSAECONNRESET);
            }
            return Out { ret: Ret::Int(0), ..Out::ok(r::RECV) };
        }
        if s.peer_closed {
            return Out { ret: Ret::Int(0), ..Out::ok(r::RECV) };
        }
        self.recv_after(i, with_from, blocked, facts)
    }
}
