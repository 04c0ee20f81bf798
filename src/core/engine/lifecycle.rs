//! A socket's life outside connect: WSAStartup/WSACleanup, socket(), FIONBIO, shutdown and
//! closesocket.

use super::*;

impl Host {
    // ----- WSAStartup / WSACleanup -----

    pub(super) fn wsa_startup(&mut self, major: u8, minor: u8) -> Out {
        if !self.p.winsock {
            return Out::na(r::POSIX_NO_STARTUP, "POSIX sockets need no initialisation");
        }
        // ws2_32 refuses only a major version of 0; 1.0 and everything from 1.1 up is accepted
        // (test_startup in Wine's dlls/ws2_32/tests/protocol.c; the documentation's version
        // table lists 1.0 as well).
        let _ = minor;
        if major == 0 {
            return Out {
                ret: Ret::Int(Code::WSAVERNOTSUPPORTED.number() as i64),
                ..Out::err(r::STARTUP, Code::WSAVERNOTSUPPORTED)
            };
        }
        self.started += 1;
        Out::ok(r::STARTUP)
    }

    pub(super) fn wsa_cleanup(&mut self) -> Out {
        if !self.p.winsock {
            return Out::na(r::POSIX_NO_STARTUP, "POSIX sockets need no clean-up");
        }
        self.started -= 1;
        if self.started == 0 {
            // The last WSACleanup closes every socket the application still has open.
            for i in 0..self.socks.len() {
                if self.socks[i].state != State::Closed {
                    self.set_state(i, State::Closed, Cause::Call("WSACleanup".into()), None);
                }
            }
        }
        Out::ok(r::STARTUP)
    }

    // ----- socket, options -----

    pub(super) fn socket(&mut self, proto: Proto, family: Family, name: &str) -> Out {
        if family == Family::V6 && !self.p.ipv6 {
            return Out { ret: Ret::Handle(None), ..Out::err(r::WS1_NO_IPV6, Code::WSAEAFNOSUPPORT) };
        }
        let handle = self.next_handle;
        self.next_handle += if self.p.winsock { 4 } else { 1 };
        let state = State::Unbound;
        let sock = Sock {
            name: name.to_string(),
            handle,
            proto,
            family,
            state,
            nonblocking: false,
            // Windows reports IPV6_V6ONLY = 1 on an AF_INET socket too (test_ipv6only, sock.c).
            opts: Opts {
                v6only: self.p.v6only_default && (family == Family::V6 || self.p.id == PersonalityId::Windows),
                ..Opts::default()
            },
            local: None,
            port_explicit: false,
            peer: None,
            so_error: None,
            so_error_other: None,
            failure_reported: false,
            success_unreported: false,
            attempt: 0,
            serial: next_serial(&mut self.serials),
            overlapped: None,
            via_connectex: false,
            context_updated: false,
            accept_on: None,
            via_acceptex: false,
            recv_pending: VecDeque::new(),
            accept_lens: (0, 0, 0),
            accept_data: None,
            connected_at: None,
            event_select: FdEvents::empty(),
            async_select: FdEvents::empty(),
            recorded: Vec::new(),
            ev_reported: FdEvents::empty(),
            connect_succeeded: false,
            rx: VecDeque::new(),
            backlog: VecDeque::new(),
            accept_waiting: VecDeque::new(),
            backlog_max: 0,
            partner: None,
            shut_rd: false,
            shut_wr: false,
            peer_closed: false,
            peer_gone: false,
            reset: false,
            reset_after_fin: false,
            icmp: None,
            disconnected: false,
            unaccepted_tx: Vec::new(),
            indeterminate: false,
        };
        let i = match self.free.pop() {
            Some(slot) => {
                self.socks[slot] = sock;
                slot
            }
            None => {
                self.socks.push(sock);
                self.socks.len() - 1
            }
        };
        self.created = i;
        self.names.insert(name.to_string(), i);
        self.closed_names.remove(name);
        self.trans.push(Transition {
            sock: name.to_string(),
            from: State::Closed,
            to: State::Unbound,
            cause: Cause::Call("socket".into()),
            error: None,
            at: self.now,
        });
        Out { ret: Ret::Handle(Some(handle)), ..Out::ok(r::SOCKET) }
    }

    pub(super) fn fionbio(&mut self, i: usize, on: bool) -> Out {
        let s = &mut self.socks[i];
        if self.p.winsock && !on && !(s.event_select.is_empty() && s.async_select.is_empty()) {
            // ioctlsocket doc: FIONBIO cannot clear nonblocking mode while WSAAsyncSelect or
            // WSAEventSelect is active.
            return Out::err(r::FIONBIO_AFTER_SELECT, Code::WSAEINVAL);
        }
        s.nonblocking = on;
        Out::ok(r::FIONBIO)
    }
}

impl Host {
    pub(super) fn shutdown(&mut self, i: usize, how: How) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        if p.winsock && s.via_connectex && !s.context_updated && s.state == State::Connected {
            return Out::err(r::UPDATE_CONTEXT, Code::WSAENOTCONN)
                .note("set SO_UPDATE_CONNECT_CONTEXT after ConnectEx before using shutdown");
        }
        if p.winsock && s.via_acceptex && !s.context_updated && s.state == State::Connected {
            return Out::err(r::ACCEPT_CONTEXT, Code::WSAENOTCONN)
                .note("set SO_UPDATE_ACCEPT_CONTEXT after AcceptEx before using shutdown");
        }
        if !p.winsock && s.state == State::Listening && matches!(how, How::Read | How::Both) {
            // block.shutdown: linux stops listening (inet_shutdown disconnects a listener when
            // the receive side is shut down): the connections waiting in its queue are reset
            // and a waiting accept fails with EINVAL (measured in tests/live_scenarios.rs).
            let backlog: Vec<usize> = self.socks[i].backlog.drain(..).collect();
            self.set_state(i, State::Bound, Cause::Call("shutdown".into()), None);
            for c in backlog {
                if self.socks[c].state == State::Connected {
                    self.socks[c].partner = None;
                    self.peer_reset(c);
                }
            }
            self.readiness_changed(i);
            return Out::ok(r::BLOCK_SHUTDOWN);
        }
        let ok_state = matches!(s.state, State::Connected | State::Associated);
        if !ok_state {
            return Out::err(r::SHUTDOWN, p.pick(Code::ENOTCONN, Code::WSAENOTCONN)); // 10e
        }
        let partner = s.partner;
        let s = &mut self.socks[i];
        if matches!(how, How::Read | How::Both) {
            s.shut_rd = true;
        }
        if matches!(how, How::Write | How::Both) && !s.shut_wr {
            s.shut_wr = true;
            if let Some(j) = partner.filter(|&j| self.socks[j].state == State::Connected) {
                self.socks[j].peer_closed = true;
                self.fd_event(j, FdEvents::CLOSE, None);
                self.readiness_changed(j);
            }
        }
        Out::ok(r::SHUTDOWN)
    }

    pub(super) fn close(&mut self, i: usize) -> Out {
        let s = &mut self.socks[i];
        s.attempt = next_serial(&mut self.serials);
        let aborted = s.overlapped.is_some();
        if s.overlapped.take().is_some() {
            // A pending ConnectEx is cancelled: its completion arrives with the abort.
            self.complete_overlapped(i, "ConnectEx", Some(Code::WSA_OPERATION_ABORTED), 0);
        }
        // acceptex: an AcceptEx into this socket, or waiting on this listener, is cancelled.
        let accept_aborted = self.abort_accept_into(i) | self.abort_recv(i);
        self.abort_accepts_on(i);
        let s = &mut self.socks[i];
        // close.abort: a connected TCP socket closed with received data still unread, or with
        // SO_LINGER {1, 0}, resets the connection instead of ending it (tcp_close in Linux,
        // measured in tests/live_tcp.rs row_close_unread; RFC 1122 "Closing a Connection").
        let abortive =
            s.proto == Proto::Tcp && s.state == State::Connected && (!s.rx.is_empty() || s.opts.linger == LINGER_ABORT);
        s.rx.clear();
        let partner = s.partner.take();
        let backlog: Vec<usize> = s.backlog.drain(..).collect();
        self.set_state(i, State::Closed, Cause::Call("closesocket".into()), None);
        if let Some(j) = partner {
            if self.socks[j].state == State::Connected {
                self.socks[j].partner = None;
                if abortive {
                    self.peer_reset(j);
                } else {
                    self.socks[j].peer_gone = true;
                    if !std::mem::replace(&mut self.socks[j].peer_closed, true) {
                        // One FD_CLOSE per connection: after the peer's shutdown(SD_SEND) its
                        // closesocket records nothing more (test_close_events).
                        self.fd_event(j, FdEvents::CLOSE, None);
                        self.readiness_changed(j);
                    }
                }
            }
        }
        for c in backlog {
            // Connections nobody accepted are reset when the listener closes.
            if self.socks[c].state == State::Connected {
                self.socks[c].partner = None;
                self.peer_reset(c);
            }
        }
        self.free_slot(i);
        Out::ok(if aborted {
            r::CONNECTEX_ABORTED
        } else if accept_aborted {
            r::ACCEPTEX
        } else if abortive {
            r::CLOSE_ABORT
        } else {
            r::CLOSE
        })
    }

    /// A closed socket's slot becomes free for the next socket; its name keeps answering as
    /// closed. Nothing may point at the slot afterwards.
    pub(super) fn free_slot(&mut self, i: usize) {
        for &l in &self.listening {
            self.socks[l].backlog.retain(|&c| c != i);
        }
        let s = &self.socks[i];
        if self.names.get(&s.name) == Some(&i) {
            let name = s.name.clone();
            self.closed_names.insert(name.clone(), (s.proto, s.family, s.handle));
            self.names.remove(&name);
        }
        let s = &mut self.socks[i];
        s.rx = VecDeque::new();
        s.backlog = VecDeque::new();
        s.recorded = Vec::new();
        self.free.push(i);
    }
}
