//! AcceptEx and SO_UPDATE_ACCEPT_CONTEXT (issue 10, item 3): the overlapped accept into a
//! socket the caller created beforehand, the other half of every ConnectEx experiment.
//!
//! The OVERLAPPED an AcceptEx is given is the accept socket's (`getoverlappedresult ACCEPTSOCK`);
//! its completion packet goes to the completion port of the listening socket, the handle the
//! I/O was issued on.

use super::*;

impl Host {
    pub(super) fn accept_ex(
        &mut self,
        listener: &SockRef,
        sock: &SockRef,
        null_overlapped: bool,
        lens: (u32, Option<u32>, Option<u32>),
        null_buffer: bool,
        _facts: &dyn Facts,
    ) -> Out {
        if !self.p.winsock {
            return Out::na(
                r::ACCEPTEX,
                "Linux has no AcceptEx: accept(2) (or accept4) creates the connected socket itself; io_uring's IORING_OP_ACCEPT is the closest completion-based accept",
            );
        }
        if !self.p.ws2 {
            return self.na_ws2("AcceptEx");
        }
        let failed = |code: Code| Out { ret: Ret::Bool(false), ..Out::err(r::ACCEPTEX, code) };
        if null_overlapped {
            // test_AcceptEx: "AcceptEx on a NULL overlapped" gives ERROR_INVALID_PARAMETER.
            return failed(Code::WSA_INVALID_PARAMETER);
        }
        let windows = self.p.id == PersonalityId::Windows;
        let name = sock.to_string();
        // test_AcceptEx: every refusal below still writes STATUS_PENDING into Internal.
        let refuse = |h: &mut Host, code: Code| {
            if windows {
                h.write_pending_refused_acceptex(&name);
                failed(code).note(format!(
                    "OVERLAPPED.Internal = STATUS_PENDING (0x103) written although the call failed (rule {}); InternalHigh untouched (rule {})",
                    r::OV_FIELDS,
                    r::ACCEPTEX_OV_HIGH
                ))
            } else {
                failed(code)
            }
        };
        let l = match self.sock(listener) {
            Ok(l) => l,
            // test_AcceptEx: an invalid listening socket gives WSAENOTSOCK.
            Err(e) if windows => return refuse(self, e.error.unwrap_or(Code::WSAENOTSOCK)),
            Err(e) => return Out { ret: Ret::Bool(false), rule: r::ACCEPTEX, ..e },
        };
        if self.socks[l].state != State::Listening {
            // test_AcceptEx: a socket that is not listening gives WSAEINVAL.
            return refuse(self, Code::WSAEINVAL);
        }
        let a = match self.sock(sock) {
            Ok(a) => a,
            // test_AcceptEx: an invalid accept socket gives WSAENOTSOCK.
            Err(e) if windows => return refuse(self, e.error.unwrap_or(Code::WSAENOTSOCK)),
            Err(e) => return Out { ret: Ret::Bool(false), rule: r::ACCEPTEX, ..e },
        };
        let s = &self.socks[a];
        if s.proto != Proto::Tcp || s.state != State::Unbound || s.accept_on.is_some() || a == l {
            // test_AcceptEx: a UDP socket, a bound one, a connected one, and a socket an
            // AcceptEx already waits on all give WSAEINVAL.
            return refuse(self, Code::WSAEINVAL);
        }
        if null_buffer {
            // wsaio3, test_AcceptEx (sock.c 9035-9040): a NULL lpOutputBuffer: WSAEFAULT at once,
            // STATUS_PENDING written all the same (9041); nothing waits on the listener.
            return Out { rule: r::ACCEPTEX_NULL_BUFFER, ..refuse(self, Code::WSAEFAULT) };
        }
        // acceptex2: the reference page asks for the address length plus 16 bytes.
        let need = addr_len(self.socks[l].family) + 16;
        let (recv, local, remote) = lens;
        if remote == Some(0) {
            // test_AcceptEx: a remote address length of 0 fails at once with WSAEFAULT.
            return Out { rule: r::ACCEPTEX_ADDRLEN, ..refuse(self, Code::WSAEFAULT) };
        }
        self.socks[a].accept_lens = (recv, local.unwrap_or(need), remote.unwrap_or(need));
        self.write_pending(&name);
        self.socks[a].accept_on = Some((l, self.socks[l].serial));
        self.socks[l].accept_waiting.push_back(a);
        // A connection already waiting in the backlog is taken at once; the call still pends
        // and its completion follows immediately.
        self.serve_accepts(l);
        failed(Code::WSA_IO_PENDING)
    }

    /// Hand the listener's completed connections to the AcceptEx calls waiting on it, oldest
    /// first; each completes with 0 bytes, or (acceptex2) with a receive length waits for the
    /// client's first data, or with an address length too short fails and leaves the
    /// connection queued.
    pub(super) fn serve_accepts(&mut self, l: usize) {
        let need = addr_len(self.socks[l].family) + 16;
        while !self.socks[l].accept_waiting.is_empty() && !self.socks[l].backlog.is_empty() {
            let Some(a) = self.socks[l].accept_waiting.pop_front() else { return };
            self.socks[a].accept_on = None;
            let (recv, local, remote) = self.socks[a].accept_lens;
            if (local != 0 && local < need) || remote < need {
                // test_AcceptEx: a local address length of 3 (or 20): STATUS_BUFFER_TOO_SMALL,
                // 0 bytes, and accept() still gets the connection.
                self.complete_accept(l, a, Some(Code::WSAEFAULT), 0);
                continue;
            }
            let Some(client) = self.socks[l].backlog.pop_front() else { return };
            self.socks[a].via_acceptex = true;
            self.socks[a].context_updated = false;
            self.connect_accepted(l, client, a, "AcceptEx");
            self.fd_event(a, FdEvents::WRITE, None);
            if recv == 0 {
                self.fill_accept_buf(a);
                self.complete_accept(l, a, None, 0);
            } else {
                // test_AcceptEx "Test short reads": still pending after the connect.
                self.socks[a].accept_data = Some((l, self.socks[l].serial, recv));
                self.serve_accept_data(a);
            }
        }
    }

    /// acceptex2: what GetAcceptExSockaddrs will read out of socket `a`'s AcceptEx buffer.
    fn fill_accept_buf(&mut self, a: usize) {
        let s = &self.socks[a];
        let local = if s.accept_lens.1 == 0 { None } else { s.local };
        let buf = AcceptBuf { local, remote: s.peer };
        self.accept_bufs.insert(s.name.clone(), buf);
    }

    /// acceptex2: an AcceptEx with a receive length completes once the client's first data
    /// (or the end of its stream) reaches accept socket `a`.
    pub(super) fn serve_accept_data(&mut self, a: usize) {
        let Some((l, serial, max)) = self.socks[a].accept_data else { return };
        let s = &mut self.socks[a];
        let (error, bytes) = if let Some((mut data, from)) = s.rx.pop_front() {
            let n = data.len().min(max as usize);
            if data.len() > n {
                s.rx.push_front((data.split_off(n), from));
            }
            (None, n as u32)
        } else if s.reset {
            (Some(Code::WSAECONNRESET), 0)
        } else if s.peer_closed {
            // test_AcceptEx "Disconnect during receive?": success with 0 bytes.
            (None, 0)
        } else {
            return;
        };
        self.socks[a].accept_data = None;
        self.fill_accept_buf(a);
        let h = if self.socks[l].serial == serial { l } else { a };
        self.complete_accept(h, a, error, bytes);
    }

    /// Cancel the AcceptEx calls issued on listener `l` (it is closing, or CancelIo): each
    /// completes with ERROR_OPERATION_ABORTED (test_AcceptEx). Whether there was one.
    pub(super) fn abort_accepts_on(&mut self, l: usize) -> bool {
        let mut any = false;
        while let Some(a) = self.socks[l].accept_waiting.pop_front() {
            self.socks[a].accept_on = None;
            self.complete_accept(l, a, Some(Code::WSA_OPERATION_ABORTED), 0);
            any = true;
        }
        let serial = self.socks[l].serial;
        for a in 0..self.socks.len() {
            if self.socks[a].accept_data.is_some_and(|(x, s, _)| x == l && s == serial) {
                self.socks[a].accept_data = None;
                self.complete_accept(l, a, Some(Code::WSA_OPERATION_ABORTED), 0);
                any = true;
            }
        }
        any
    }

    /// Accept socket `a` is closing while an AcceptEx waits to accept into it (or, acceptex2,
    /// for its first data): the call completes with ERROR_OPERATION_ABORTED (test_AcceptEx).
    pub(super) fn abort_accept_into(&mut self, a: usize) -> bool {
        if let Some((l, serial, _)) = self.socks[a].accept_data.take() {
            let h = if self.socks[l].serial == serial { l } else { a };
            self.complete_accept(h, a, Some(Code::WSA_OPERATION_ABORTED), 0);
            return true;
        }
        let Some((l, serial)) = self.socks[a].accept_on.take() else { return false };
        if self.socks[l].serial == serial {
            self.socks[l].accept_waiting.retain(|&x| x != a);
            self.complete_accept(l, a, Some(Code::WSA_OPERATION_ABORTED), 0);
        }
        true
    }

    /// acceptex2: `GetAcceptExSockaddrs` on the buffer of the last AcceptEx into `sock`.
    pub(super) fn get_acceptex_sockaddrs(&mut self, sock: &SockRef) -> Out {
        if !self.p.winsock {
            return Out::na(
                r::ACCEPTEX_ADDRS,
                "Linux has no GetAcceptExSockaddrs: accept(2) writes the peer's address, getsockname the local one",
            );
        }
        if !self.p.ws2 {
            return self.na_ws2("GetAcceptExSockaddrs");
        }
        let buf = match sock {
            SockRef::Name(n) => self.accept_bufs.get(n).cloned(),
            SockRef::Raw(_) => None,
        };
        match buf {
            Some(b) => Out::val(r::ACCEPTEX_ADDRS, Value::AcceptAddrs { local: b.local, remote: b.remote })
                .note("GetAcceptExSockaddrs returns nothing (void): the addresses are what it wrote"),
            None => Out::na(
                r::ACCEPTEX_ADDRS,
                &format!("no AcceptEx completed into {sock}: its buffer holds no addresses to read"),
            ),
        }
    }

    /// acceptex2: `CancelIo(sock)` / `CancelIoEx(sock, NULL)`.
    pub(super) fn cancel_io(&mut self, sock: &SockRef, ex: bool) -> Out {
        let what = if ex { "CancelIoEx" } else { "CancelIo" };
        if !self.p.winsock {
            return Out::na(
                r::CANCEL_IO,
                &format!(
                    "Linux has no {what}: io_uring's IORING_OP_ASYNC_CANCEL cancels a submitted operation; close(2) ends everything on a descriptor"
                ),
            );
        }
        if let Some(out) = self.no_overlapped(what) {
            return out;
        }
        let failed = |code: Code| Out { ret: Ret::Bool(false), ..Out::err(r::CANCEL_IO, code) };
        let i = match sock {
            SockRef::Name(n) if self.pipes.contains_key(n) => None,
            _ => match self.sock(sock) {
                Ok(i) => Some(i),
                Err(_) => return failed(Code::WSA_INVALID_HANDLE),
            },
        };
        let mut cancelled = Vec::new();
        let mut rule = r::CANCEL_IO;
        if let Some(i) = i {
            if self.socks[i].overlapped.take().is_some() {
                rule = r::CANCEL_IO_CONNECTEX;
                // The handshake stops; the socket is left failed (no document says more).
                self.socks[i].attempt = next_serial(&mut self.serials);
                self.set_state(i, State::Failed, Cause::Call(what.into()), Some(Code::WSA_OPERATION_ABORTED));
                self.complete_overlapped(i, "ConnectEx", Some(Code::WSA_OPERATION_ABORTED), 0);
                cancelled.push("ConnectEx");
            }
            if self.abort_recv(i) {
                cancelled.push("WSARecv");
            }
            if self.abort_accepts_on(i) {
                cancelled.push("AcceptEx");
            }
        }
        if cancelled.is_empty() {
            // test_AcceptEx: CancelIo on the accept socket leaves its AcceptEx pending.
            let why = if i.is_some_and(|i| self.socks[i].accept_on.is_some()) {
                "the AcceptEx into this socket was issued on the listener: cancel the listener's I/O"
            } else {
                "nothing was pending on this handle"
            };
            if ex {
                // test_send_buffering: CancelIoEx with nothing pending: ERROR_NOT_FOUND.
                return failed(Code::ERROR_NOT_FOUND).note(why);
            }
            return Out { ret: Ret::Bool(true), ..Out::ok(r::CANCEL_IO) }
                .note(format!("{why}: CancelIo succeeds all the same"));
        }
        Out { ret: Ret::Bool(true), ..Out::ok(rule) }
            .note(format!("cancelled: {} (each completes with ERROR_OPERATION_ABORTED)", cancelled.join(", ")))
    }

    /// acceptex2: `WSAAccept` with a condition function answering `cond`.
    pub(super) fn wsa_accept(&mut self, i: usize, name: &str, cond: AcceptCond, facts: &dyn Facts) -> Out {
        let handle = |out: Out| Out { ret: Ret::Handle(None), ..out };
        if !self.p.winsock {
            return Out::na(
                r::WSAACCEPT,
                "Linux has no WSAAccept or condition function: accept(2) takes every connection; close the accepted socket to refuse one",
            );
        }
        if !self.p.ws2 {
            return self.na_ws2("WSAAccept");
        }
        if matches!(cond, AcceptCond::Null | AcceptCond::Accept) {
            let out = self.accept(i, name, facts);
            if cond == AcceptCond::Accept && out.error.is_none() {
                return Out { rule: r::WSAACCEPT, ..out };
            }
            return out;
        }
        if self.socks[i].state != State::Listening {
            return handle(Out::err(r::ACCEPT, Code::WSAEINVAL));
        }
        if self.socks[i].backlog.is_empty() {
            if self.socks[i].nonblocking {
                // The condition function is called only once a connection waits.
                return handle(Out::err(r::ACCEPT, Code::WSAEWOULDBLOCK));
            }
            if !self.block_indefinitely(facts, |h| !h.socks[i].backlog.is_empty()) {
                return self.blocks_forever("WSAAccept");
            }
        }
        if cond == AcceptCond::Defer {
            // test_accept: WSATRY_AGAIN; the connection stays first in the queue.
            return handle(Out::err(r::WSAACCEPT, Code::WSATRY_AGAIN))
                .note("CF_DEFER: the connection stays queued for the next accept, WSAAccept or AcceptEx");
        }
        let Some(client) = self.socks[i].backlog.pop_front() else {
            return handle(Out::err(r::ACCEPT, Code::WSAEINVAL));
        };
        if self.socks[client].state == State::Connected {
            self.socks[client].partner = None;
            self.peer_reset(client);
        }
        handle(Out::err(r::WSAACCEPT_REJECT, Code::WSAECONNREFUSED)).note("CF_REJECT: the connection is reset")
    }

    /// `connect` / ConnectEx on a socket an AcceptEx waits to accept into: WSAEINVAL
    /// (test_AcceptEx).
    pub(super) fn accept_pending_into(&self, i: usize) -> Option<Out> {
        let windows = self.p.id == PersonalityId::Windows;
        (self.p.winsock && self.socks[i].accept_on.is_some()).then(|| {
            let out = Out::err(r::ACCEPTEX_BUSY, Code::WSAEINVAL);
            if windows { out } else { out.note("socklab follows Windows here: the documentation does not say") }
        })
    }
}

/// The size of a socket address structure of `family` (sockaddr_in, sockaddr_in6).
fn addr_len(family: Family) -> u32 {
    match family {
        Family::V4 => 16,
        Family::V6 => 28,
    }
}
