//! Overlapped WSARecv and WSASend (issue 10, item 3): a receive that pends until data, the end
//! of the stream or a reset arrives, and a send that completes at once, each through an
//! OVERLAPPED (the socket's own, or one the call names: iocp2) and the completion port, or a
//! completion routine. TCP and UDP; a receive may scatter into several buffers.

use super::*;

/// The capacity of socklab's single receive buffer (a call with no `bufs=`).
const ONE_BUFFER: usize = 2048;

/// An overlapped WSARecv waiting on a socket.
#[derive(Clone, Debug)]
pub(super) struct PendingRecv {
    /// The OVERLAPPED it was given, by name.
    ov: String,
    /// It has a completion routine.
    routine: bool,
    /// Its buffers' lengths.
    bufs: Option<Vec<u32>>,
}

/// What a receive into `bufs` takes of `data`: the bytes, and a note telling how they were
/// scattered when there are several buffers.
fn scatter(data: &[u8], bufs: Option<&[u32]>) -> (usize, Option<String>) {
    let cap = bufs.map_or(ONE_BUFFER, |b| b.iter().map(|&n| n as usize).sum());
    let n = data.len().min(cap);
    let Some(b) = bufs.filter(|b| b.len() > 1) else { return (n, None) };
    let mut parts = Vec::new();
    let mut at = 0;
    for (k, &len) in b.iter().enumerate() {
        let take = (len as usize).min(n - at);
        if take == 0 {
            break;
        }
        parts.push(format!("buffer {}: {:?}", k + 1, String::from_utf8_lossy(&data[at..at + take])));
        at += take;
    }
    (n, Some(format!("scattered: {}", parts.join(", "))))
}

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

    /// The next arrival a receive into `bufs` takes from socket `i`: TCP takes what fits and
    /// leaves the rest of the stream; UDP takes one datagram (iocp2: one that does not fit is
    /// not modelled, so socklab takes it whole).
    fn take_arrival(&mut self, i: usize, bufs: Option<&[u32]>) -> Option<(Vec<u8>, Option<String>)> {
        let (mut data, from) = self.socks[i].rx.pop_front()?;
        let (n, note) = scatter(&data, bufs);
        if self.socks[i].proto == Proto::Tcp && n < data.len() {
            let rest = data.split_off(n);
            self.socks[i].rx.push_front((rest, from));
        }
        Some((data, note))
    }

    pub(super) fn wsa_recv(&mut self, i: usize, ov: Option<&str>, routine: bool, bufs: Option<&[u32]>) -> Out {
        if let Some(out) = self.no_wsa_io("WSARecv") {
            return out;
        }
        let ov = ov.map_or_else(|| self.socks[i].name.clone(), str::to_string);
        if let Some(out) = self.routine_refused(i, routine) {
            return out;
        }
        let s = &mut self.socks[i];
        if s.proto == Proto::Udp {
            // iocp2: a UDP socket needs a local address (the WSARecv page: WSAEINVAL when the
            // socket is not bound); a port unreachable reported by ICMP comes first, as for recv.
            if s.local.is_none() {
                return Out::err(r::WSA_UDP_UNBOUND, Code::WSAEINVAL);
            }
            if s.icmp.take().is_some() {
                return Out::err(r::UDP_ICMP, Code::WSAECONNRESET);
            }
        } else {
            match s.state {
                State::Connected => {}
                // test_completion_port: a reset connection answers WSAECONNRESET at once, no packet.
                State::Failed if s.reset => return Out::err(r::WSA_IO, Code::WSAECONNRESET),
                // test_completion_port: a socket that never connected: WSAENOTCONN.
                _ => return Out::err(r::WSA_IO, Code::WSAENOTCONN),
            }
        }
        // iocp2: a receive already pending on the socket goes first (test_WSARecv pends two).
        let queued = !self.socks[i].recv_pending.is_empty();
        if !queued {
            if let Some((data, note)) = self.take_arrival(i, bufs) {
                // test_completion_port: data already there: 0 at once, and the packet is queued.
                let n = data.len() as u32;
                self.complete_call(i, i, &ov, "WSARecv", None, n, routine);
                let then = if routine { "its completion routine is queued" } else { "the completion is queued" };
                let out = Out { ret: Ret::Int(0), ..Out::val(r::WSA_IO, Value::Data { data, from: None }) }
                    .note(format!("{n} byte(s) received at once; {then} all the same"));
                return match note {
                    Some(t) => Out { rule: r::WSA_UDP_SCATTER, ..out.note(t) },
                    None => out,
                };
            }
            if self.socks[i].peer_closed {
                // test_completion_port: after the peer's graceful close, 0 bytes at once.
                self.complete_call(i, i, &ov, "WSARecv", None, 0, routine);
                return Out { ret: Ret::Int(0), ..Out::ok(r::WSA_IO) }
                    .note("end of stream: 0 bytes; the completion is queued");
            }
        }
        self.write_pending(&ov);
        let bufs = bufs.map(<[u32]>::to_vec);
        self.socks[i].recv_pending.push_back(PendingRecv { ov, routine, bufs });
        Out::err(if queued { r::OV_NAMED } else { r::WSA_IO }, Code::WSA_IO_PENDING)
    }

    /// A pending WSARecv on socket `i` completes when data, the end of the stream or a reset
    /// arrives (called wherever the socket's readiness changes). Several may pend: each takes
    /// the next arrival, in the order they were made (iocp2).
    pub(super) fn serve_recv(&mut self, i: usize) {
        while let Some(front) = self.socks[i].recv_pending.front() {
            let bufs = front.bufs.clone();
            let (error, bytes) = if let Some((data, _)) = self.take_arrival(i, bufs.as_deref()) {
                (None, data.len() as u32)
            } else if self.socks[i].proto == Proto::Udp && self.socks[i].icmp.take().is_some() {
                // iocp2: a port unreachable ends a pending UDP receive as it fails a recv.
                (Some(Code::WSAECONNRESET), 0)
            } else if self.socks[i].reset {
                // test_completion_port: the reset ends it with ERROR_NETNAME_DELETED, 0 bytes.
                (Some(Code::WSAECONNRESET), 0)
            } else if self.socks[i].peer_closed {
                (None, 0)
            } else {
                return;
            };
            let Some(p) = self.socks[i].recv_pending.pop_front() else { return };
            self.complete_call(i, i, &p.ov, "WSARecv", error, bytes, p.routine);
        }
    }

    /// Socket `i` closes while WSARecvs pend: each ends with ERROR_OPERATION_ABORTED.
    pub(super) fn abort_recv(&mut self, i: usize) -> bool {
        let pending = std::mem::take(&mut self.socks[i].recv_pending);
        for p in &pending {
            self.complete_call(i, i, &p.ov, "WSARecv", Some(Code::WSA_OPERATION_ABORTED), 0, p.routine);
        }
        !pending.is_empty()
    }

    pub(super) fn wsa_send(
        &mut self,
        i: usize,
        data: &[u8],
        ov: Option<&str>,
        routine: bool,
        facts: &dyn Facts,
    ) -> Out {
        if let Some(out) = self.no_wsa_io("WSASend") {
            return out;
        }
        if let Some(out) = self.routine_refused(i, routine) {
            return out;
        }
        let ov = ov.map_or_else(|| self.socks[i].name.clone(), str::to_string);
        if self.socks[i].proto == Proto::Udp {
            // iocp2: a datagram to the socket's default peer, as send() makes it; it completes
            // at once.
            let out = self.send(i, None, data, facts);
            if out.error.is_some() {
                return Out { rule: r::WSA_UDP_SCATTER, ..out };
            }
            let n = data.len() as u32;
            self.complete_call(i, i, &ov, "WSASend", None, n, routine);
            let value = Value::Transferred { bytes: u64::from(n) };
            return Out { ret: Ret::Int(0), ..Out::val(r::WSA_UDP_SCATTER, value) };
        }
        let s = &self.socks[i];
        match s.state {
            State::Connected if s.shut_wr => Out::err(r::WSA_IO, Code::WSAESHUTDOWN),
            State::Connected => {
                // test_completion_port: a send the stack takes at once returns 0 with the
                // count, and its completion is queued.
                let n = data.len() as u32;
                self.transmit(i, data.to_vec());
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
