//! Overlapped WSARecv and WSASend (issue 10, item 3): a receive that pends until data, the end
//! of the stream or a reset arrives, and a send that completes at once, each through the
//! socket's OVERLAPPED and completion port.

use super::*;

impl Host {
    fn no_wsa_io(&self, what: &str) -> Option<Out> {
        if !self.p.winsock {
            return Some(Out::na(
                r::WSA_IO,
                &format!(
                    "Linux has no overlapped {what}: recv(2)/send(2) with epoll, or io_uring's IORING_OP_RECV/IORING_OP_SEND, are the closest"
                ),
            ));
        }
        if !self.p.ws2 {
            return Some(self.na_ws2(what));
        }
        None
    }

    pub(super) fn wsa_recv(&mut self, i: usize, ov: Option<&str>, routine: bool) -> Out {
        if let Some(out) = self.no_wsa_io("WSARecv") {
            return out;
        }
        let s = &self.socks[i];
        if s.proto != Proto::Tcp {
            return Out::na(r::WSA_IO, "socklab models overlapped WSARecv on TCP sockets only");
        }
        let ov = ov.map_or_else(|| s.name.clone(), str::to_string);
        if let Some(out) = self.routine_refused(i, routine) {
            return out;
        }
        let s = &self.socks[i];
        match s.state {
            State::Connected => {}
            // test_completion_port: a reset connection answers WSAECONNRESET at once, no packet.
            State::Failed if s.reset => return Out::err(r::WSA_IO, Code::WSAECONNRESET),
            // test_completion_port: a socket that never connected: WSAENOTCONN.
            _ => return Out::err(r::WSA_IO, Code::WSAENOTCONN),
        }
        // iocp2: a receive already pending on the socket goes first (test_WSARecv pends two).
        let queued = !self.socks[i].recv_pending.is_empty();
        if let Some((data, _)) = self.socks[i].rx.pop_front().filter(|_| !queued) {
            // test_completion_port: data already there: 0 at once, and the packet is queued.
            let n = data.len() as u32;
            self.complete_call(i, i, &ov, "WSARecv", None, n, routine);
            let then = if routine { "its completion routine is queued" } else { "the completion is queued" };
            return Out { ret: Ret::Int(0), ..Out::val(r::WSA_IO, Value::Data { data, from: None }) }
                .note(format!("{n} byte(s) received at once; {then} all the same"));
        }
        if self.socks[i].peer_closed && !queued {
            // test_completion_port: after the peer's graceful close, 0 bytes at once.
            self.complete_call(i, i, &ov, "WSARecv", None, 0, routine);
            return Out { ret: Ret::Int(0), ..Out::ok(r::WSA_IO) }
                .note("end of stream: 0 bytes; the completion is queued");
        }
        self.write_pending(&ov);
        self.socks[i].recv_pending.push_back((ov, routine));
        Out::err(if queued { r::OV_NAMED } else { r::WSA_IO }, Code::WSA_IO_PENDING)
    }

    /// A pending WSARecv on socket `i` completes when data, the end of the stream or a reset
    /// arrives (called wherever the socket's readiness changes).
    /// Several may pend: each takes the next arrival, in the order they were made (iocp2).
    pub(super) fn serve_recv(&mut self, i: usize) {
        while !self.socks[i].recv_pending.is_empty() {
            let s = &mut self.socks[i];
            let (error, bytes) = if let Some((data, _)) = s.rx.pop_front() {
                (None, data.len() as u32)
            } else if s.reset {
                // test_completion_port: the reset ends it with ERROR_NETNAME_DELETED, 0 bytes.
                (Some(Code::WSAECONNRESET), 0)
            } else if s.peer_closed {
                (None, 0)
            } else {
                return;
            };
            let Some((ov, routine)) = s.recv_pending.pop_front() else { return };
            self.complete_call(i, i, &ov, "WSARecv", error, bytes, routine);
        }
    }

    /// Socket `i` closes while WSARecvs pend: each ends with ERROR_OPERATION_ABORTED.
    pub(super) fn abort_recv(&mut self, i: usize) -> bool {
        let pending = std::mem::take(&mut self.socks[i].recv_pending);
        for (ov, routine) in &pending {
            self.complete_call(i, i, ov, "WSARecv", Some(Code::WSA_OPERATION_ABORTED), 0, *routine);
        }
        !pending.is_empty()
    }

    pub(super) fn wsa_send(&mut self, i: usize, data: &[u8], ov: Option<&str>, routine: bool) -> Out {
        if let Some(out) = self.no_wsa_io("WSASend") {
            return out;
        }
        if let Some(out) = self.routine_refused(i, routine) {
            return out;
        }
        let s = &self.socks[i];
        if s.proto != Proto::Tcp {
            return Out::na(r::WSA_IO, "socklab models overlapped WSASend on TCP sockets only");
        }
        match s.state {
            State::Connected if s.shut_wr => Out::err(r::WSA_IO, Code::WSAESHUTDOWN),
            State::Connected => {
                // test_completion_port: a send the stack takes at once returns 0 with the
                // count, and its completion is queued.
                let n = data.len() as u32;
                self.transmit(i, data.to_vec());
                let ov = ov.map_or_else(|| self.socks[i].name.clone(), str::to_string);
                self.complete_call(i, i, &ov, "WSASend", None, n, routine);
                Out { ret: Ret::Int(0), ..Out::val(r::WSA_IO, Value::Transferred { bytes: u64::from(n) }) }
            }
            // test_completion_port: a reset connection: WSAECONNRESET at once, no packet.
            State::Failed if s.reset => Out::err(r::WSA_IO, Code::WSAECONNRESET),
            _ => Out::err(r::WSA_IO, Code::WSAENOTCONN),
        }
    }

    /// test_WSARecv (sock.c 8052-8060): a completion routine on a socket associated with a
    /// completion port: WSAEINVAL at once, and the routine never runs.
    fn routine_refused(&self, i: usize, routine: bool) -> Option<Out> {
        (routine && self.has_port(i)).then(|| {
            Out::err(r::WSA_ROUTINE, Code::WSAEINVAL)
                .note("a socket associated with a completion port cannot take a completion routine")
        })
    }
}
