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
        self.write_pending(&name);
        self.socks[a].accept_on = Some((l, self.socks[l].serial));
        self.socks[l].accept_waiting.push_back(a);
        // A connection already waiting in the backlog is taken at once; the call still pends
        // and its completion follows immediately.
        self.serve_accepts(l);
        failed(Code::WSA_IO_PENDING)
    }

    /// Hand the listener's completed connections to the AcceptEx calls waiting on it, oldest
    /// first; each completes with 0 bytes.
    pub(super) fn serve_accepts(&mut self, l: usize) {
        while !self.socks[l].accept_waiting.is_empty() && !self.socks[l].backlog.is_empty() {
            let (Some(a), Some(client)) = (self.socks[l].accept_waiting.pop_front(), self.socks[l].backlog.pop_front())
            else {
                return;
            };
            self.socks[a].accept_on = None;
            self.socks[a].via_acceptex = true;
            self.socks[a].context_updated = false;
            self.connect_accepted(l, client, a, "AcceptEx");
            self.fd_event(a, FdEvents::WRITE, None);
            self.complete_accept(l, a, None);
        }
    }

    /// Cancel the AcceptEx calls waiting on listener `l` (it is closing): each completes with
    /// ERROR_OPERATION_ABORTED (test_AcceptEx).
    pub(super) fn abort_accepts_on(&mut self, l: usize) {
        while let Some(a) = self.socks[l].accept_waiting.pop_front() {
            self.socks[a].accept_on = None;
            self.complete_accept(l, a, Some(Code::WSA_OPERATION_ABORTED));
        }
    }

    /// Accept socket `a` is closing while an AcceptEx waits to accept into it: the call
    /// completes with ERROR_OPERATION_ABORTED (test_AcceptEx).
    pub(super) fn abort_accept_into(&mut self, a: usize) -> bool {
        let Some((l, serial)) = self.socks[a].accept_on.take() else { return false };
        if self.socks[l].serial == serial {
            self.socks[l].accept_waiting.retain(|&x| x != a);
            self.complete_accept(l, a, Some(Code::WSA_OPERATION_ABORTED));
        }
        true
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
