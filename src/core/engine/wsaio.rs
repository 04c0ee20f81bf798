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

    pub(super) fn wsa_recv(&mut self, i: usize) -> Out {
        if let Some(out) = self.no_wsa_io("WSARecv") {
            return out;
        }
        let s = &self.socks[i];
        if s.proto != Proto::Tcp {
            return Out::na(r::WSA_IO, "socklab models overlapped WSARecv on TCP sockets only");
        }
        if s.recv_pending {
            return Out::na(
                r::WSA_IO,
                "this socket's OVERLAPPED is in use by a pending WSARecv: give it another name's OVERLAPPED (socklab keeps one per socket)",
            );
        }
        match s.state {
            State::Connected => {}
            // test_completion_port: a reset connection answers WSAECONNRESET at once, no packet.
            State::Failed if s.reset => return Out::err(r::WSA_IO, Code::WSAECONNRESET),
            // test_completion_port: a socket that never connected: WSAENOTCONN.
            _ => return Out::err(r::WSA_IO, Code::WSAENOTCONN),
        }
        if let Some((data, _)) = self.socks[i].rx.pop_front() {
            // test_completion_port: data already there: 0 at once, and the packet is queued.
            let n = data.len() as u32;
            self.complete_overlapped(i, "WSARecv", None, n);
            return Out { ret: Ret::Int(0), ..Out::val(r::WSA_IO, Value::Data { data, from: None }) }
                .note(format!("{n} byte(s) received at once; the completion is queued all the same"));
        }
        if self.socks[i].peer_closed {
            // test_completion_port: after the peer's graceful close, 0 bytes at once.
            self.complete_overlapped(i, "WSARecv", None, 0);
            return Out { ret: Ret::Int(0), ..Out::ok(r::WSA_IO) }
                .note("end of stream: 0 bytes; the completion is queued");
        }
        let name = self.socks[i].name.clone();
        self.write_pending(&name);
        self.socks[i].recv_pending = true;
        Out::err(r::WSA_IO, Code::WSA_IO_PENDING)
    }

    /// A pending WSARecv on socket `i` completes when data, the end of the stream or a reset
    /// arrives (called wherever the socket's readiness changes).
    pub(super) fn serve_recv(&mut self, i: usize) {
        if !self.socks[i].recv_pending {
            return;
        }
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
        s.recv_pending = false;
        self.complete_overlapped(i, "WSARecv", error, bytes);
    }

    /// Socket `i` closes while a WSARecv pends: ERROR_OPERATION_ABORTED.
    pub(super) fn abort_recv(&mut self, i: usize) -> bool {
        if !std::mem::take(&mut self.socks[i].recv_pending) {
            return false;
        }
        self.complete_overlapped(i, "WSARecv", Some(Code::WSA_OPERATION_ABORTED), 0);
        true
    }

    pub(super) fn wsa_send(&mut self, i: usize, data: &[u8]) -> Out {
        if let Some(out) = self.no_wsa_io("WSASend") {
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
                self.complete_overlapped(i, "WSASend", None, n);
                Out { ret: Ret::Int(0), ..Out::val(r::WSA_IO, Value::Transferred { bytes: u64::from(n) }) }
            }
            // test_completion_port: a reset connection: WSAECONNRESET at once, no packet.
            State::Failed if s.reset => Out::err(r::WSA_IO, Code::WSAECONNRESET),
            _ => Out::err(r::WSA_IO, Code::WSAENOTCONN),
        }
    }
}
