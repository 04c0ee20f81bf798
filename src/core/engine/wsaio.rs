//! Overlapped WSARecv and WSASend (issue 10, item 3): a receive that pends until data, the end
//! of the stream or a reset arrives, and a send that completes at once, each through an
//! OVERLAPPED (the socket's own, or one the call names: iocp2) and the completion port, or a
//! completion routine. TCP and UDP; a receive may scatter into several buffers, a send gather
//! from several (wsaio3). WSASendTo and WSARecvFrom (wsaio3), overlapped or plain.

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
    /// WSARecv or WSARecvFrom (wsaio3).
    op: &'static str,
}

/// wsaio3: how a WSASendTo / WSARecvFrom is made: `plain` (lpOverlapped NULL), or overlapped
/// with the OVERLAPPED `ov` (the socket's own when `None`) and maybe a completion routine; and
/// for a send, whether lpNumberOfBytesSent is NULL.
#[derive(Clone, Copy, Debug)]
pub(super) struct WsaHow<'a> {
    pub plain: bool,
    pub ov: Option<&'a str>,
    pub routine: bool,
    pub null_bytes: bool,
}

/// wsaio3: the note telling how gather buffers cut the data a send took (several buffers only).
fn gather_note(data: &[u8], bufs: Option<&[u32]>) -> Option<String> {
    let b = bufs.filter(|b| b.len() > 1)?;
    let pieces = crate::core::call::gather_pieces(data, Some(b));
    let parts: Vec<String> =
        pieces.iter().enumerate().map(|(k, p)| format!("buffer {}: {:?}", k + 1, String::from_utf8_lossy(p))).collect();
    Some(format!("gathered: {} ({} byte(s) in all)", parts.join(", "), data.len()))
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
    fn take_arrival(&mut self, i: usize, bufs: Option<&[u32]>) -> Option<(Vec<u8>, Option<String>, SocketAddr)> {
        let (mut data, from) = self.socks[i].rx.pop_front()?;
        let (n, note) = scatter(&data, bufs);
        if self.socks[i].proto == Proto::Tcp && n < data.len() {
            let rest = data.split_off(n);
            self.socks[i].rx.push_front((rest, from));
        }
        Some((data, note, from))
    }

    pub(super) fn wsa_recv(&mut self, i: usize, ov: Option<&str>, routine: bool, bufs: Option<&[u32]>) -> Out {
        self.wsa_recv_as(i, ov, routine, bufs, false)
    }

    /// WSARecv, or with `with_from` WSARecvFrom (wsaio3: a datagram taken at once shows its
    /// source; TCP ignores lpFrom).
    fn wsa_recv_as(&mut self, i: usize, ov: Option<&str>, routine: bool, bufs: Option<&[u32]>, with_from: bool) -> Out {
        let op = if with_from { "WSARecvFrom" } else { "WSARecv" };
        if let Some(out) = self.no_wsa_io(op) {
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
            if let Some((data, note, from)) = self.take_arrival(i, bufs) {
                // test_completion_port: data already there: 0 at once, and the packet is queued.
                let n = data.len() as u32;
                self.complete_call(i, i, &ov, op, None, n, routine);
                let then = if routine { "its completion routine is queued" } else { "the completion is queued" };
                let from = (with_from && self.socks[i].proto == Proto::Udp).then_some(from);
                let rule = if with_from { r::WSA_SENDTO } else { r::WSA_IO };
                let out = Out { ret: Ret::Int(0), ..Out::val(rule, Value::Data { data, from }) }
                    .note(format!("{n} byte(s) received at once; {then} all the same"));
                return match note {
                    Some(t) => Out { rule: r::WSA_UDP_SCATTER, ..out.note(t) },
                    None => out,
                };
            }
            if self.socks[i].peer_closed {
                // test_completion_port: after the peer's graceful close, 0 bytes at once.
                self.complete_call(i, i, &ov, op, None, 0, routine);
                return Out { ret: Ret::Int(0), ..Out::ok(r::WSA_IO) }
                    .note("end of stream: 0 bytes; the completion is queued");
            }
        }
        self.write_pending(&ov);
        let bufs = bufs.map(<[u32]>::to_vec);
        self.socks[i].recv_pending.push_back(PendingRecv { ov, routine, bufs, op });
        Out::err(if queued { r::OV_NAMED } else { r::WSA_IO }, Code::WSA_IO_PENDING)
    }

    /// A pending WSARecv on socket `i` completes when data, the end of the stream or a reset
    /// arrives (called wherever the socket's readiness changes). Several may pend: each takes
    /// the next arrival, in the order they were made (iocp2).
    pub(super) fn serve_recv(&mut self, i: usize) {
        while let Some(front) = self.socks[i].recv_pending.front() {
            let bufs = front.bufs.clone();
            let (error, bytes) = if let Some((data, _, _)) = self.take_arrival(i, bufs.as_deref()) {
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
            self.complete_call(i, i, &p.ov, p.op, error, bytes, p.routine);
        }
    }

    /// Socket `i` closes while WSARecvs pend: each ends with ERROR_OPERATION_ABORTED.
    pub(super) fn abort_recv(&mut self, i: usize) -> bool {
        let pending = std::mem::take(&mut self.socks[i].recv_pending);
        for p in &pending {
            self.complete_call(i, i, &p.ov, p.op, Some(Code::WSA_OPERATION_ABORTED), 0, p.routine);
        }
        !pending.is_empty()
    }

    pub(super) fn wsa_send(
        &mut self,
        i: usize,
        data: &[u8],
        ov: Option<&str>,
        routine: bool,
        bufs: Option<&[u32]>,
        facts: &dyn Facts,
    ) -> Out {
        if let Some(out) = self.no_wsa_io("WSASend") {
            return out;
        }
        let out = self.wsa_send_one(i, data, ov, routine, facts);
        with_gather(out, data, bufs)
    }

    fn wsa_send_one(&mut self, i: usize, data: &[u8], ov: Option<&str>, routine: bool, facts: &dyn Facts) -> Out {
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

    // ---- wsaio3 ----

    /// WSASendTo (rule wsasendto): plain, it sends as sendto does (linux makes it as sendto(2),
    /// or sendmsg(2) for several buffers) and answers 0 with the count on Winsock; overlapped,
    /// as WSASend, to the address given. TCP ignores the address (WSASend's answer).
    pub(super) fn wsa_send_to(
        &mut self,
        i: usize,
        to: &SockAddrArg,
        data: &[u8],
        bufs: Option<&[u32]>,
        how: WsaHow<'_>,
        facts: &dyn Facts,
    ) -> Out {
        let null_bytes = how.null_bytes;
        if !how.plain {
            if let Some(out) = self.no_wsa_io("WSASendTo") {
                return out;
            }
            if let Some(out) = self.routine_refused(i, how.routine) {
                return out;
            }
            if self.socks[i].proto == Proto::Tcp {
                let out = self.wsa_send_one(i, data, how.ov, how.routine, facts);
                return with_gather(Out { rule: r::WSA_SENDTO, ..out }, data, bufs);
            }
            let ov = how.ov.map_or_else(|| self.socks[i].name.clone(), str::to_string);
            let out = self.send(i, Some(to), data, facts);
            if out.error.is_some() {
                return out;
            }
            let n = data.len() as u32;
            self.complete_call(i, i, &ov, "WSASendTo", None, n, how.routine);
            let value = if null_bytes { Value::None } else { Value::Transferred { bytes: u64::from(n) } };
            let out = Out { ret: Ret::Int(0), ..Out::val(r::WSA_SENDTO, value) };
            return with_gather(out, data, bufs);
        }
        if !self.p.winsock {
            // linux: sendto(2), or sendmsg(2) with an iovec; lpNumberOfBytesSent has no
            // counterpart (the count is the return value).
            let out = self.send(i, Some(to), data, facts);
            let out = if out.error.is_none() { Out { rule: r::WSA_SENDTO, ..out } } else { out };
            let out = with_gather(out, data, bufs);
            return if null_bytes {
                out.note("bytes=NULL has no counterpart: sendto(2) returns the count")
            } else {
                out
            };
        }
        if !self.p.ws2 {
            return self.na_ws2("WSASendTo");
        }
        if null_bytes {
            // test_WSASendTo (sock.c 7800-7803): no OVERLAPPED and no lpNumberOfBytesSent.
            return Out::err(r::WSA_SENDTO_NULL_BYTES, Code::WSAEFAULT)
                .note("without an OVERLAPPED, lpNumberOfBytesSent may not be NULL");
        }
        let out = self.send(i, Some(to), data, facts);
        if out.error.is_some() {
            return out;
        }
        let n = u64::try_from(data.len()).unwrap_or(u64::MAX);
        let out = Out { ret: Ret::Int(0), ..Out::val(r::WSA_SENDTO, Value::Transferred { bytes: n }) };
        with_gather(out, data, bufs)
    }

    /// WSARecvFrom (rule wsasendto): plain, it receives as recvfrom does (linux: recvfrom(2), or
    /// recvmsg(2) for several buffers) into the buffers given, answering 0 with the bytes on
    /// Winsock; overlapped, as WSARecv, with the source address of what it takes at once.
    pub(super) fn wsa_recv_from(&mut self, i: usize, bufs: Option<&[u32]>, how: WsaHow<'_>, facts: &dyn Facts) -> Out {
        if !how.plain {
            return self.wsa_recv_as(i, how.ov, how.routine, bufs, true);
        }
        if self.p.winsock && !self.p.ws2 {
            return self.na_ws2("WSARecvFrom");
        }
        let out = self.recv(i, true, facts);
        let Value::Data { mut data, from } = out.value else { return out };
        if out.error.is_some() {
            return Out { value: Value::Data { data, from }, ..out };
        }
        let (n, note) = scatter(&data, bufs);
        if bufs.is_some() && self.socks[i].proto == Proto::Tcp && n < data.len() {
            // The rest of the stream stays for the next receive.
            let rest = data.split_off(n);
            self.socks[i]
                .rx
                .push_front((rest, from.unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))));
        }
        // TCP fills no source address: Winsock ignores lpFrom, Linux writes a length of 0.
        let from = from.filter(|_| self.socks[i].proto == Proto::Udp);
        let len = data.len() as i64;
        let ret = if self.p.winsock { Ret::Int(0) } else { Ret::Int(len) };
        let out = Out { ret, ..Out::val(r::WSA_SENDTO, Value::Data { data, from }) };
        match note {
            Some(t) => out.note(t),
            None => out,
        }
    }
}

/// wsaio3: a send's answer with its gather note (several buffers, success only).
fn with_gather(out: Out, data: &[u8], bufs: Option<&[u32]>) -> Out {
    if out.error.is_some() {
        return out;
    }
    match gather_note(data, bufs) {
        Some(t) => Out { rule: r::WSA_GATHER, ..out }.note(t),
        None => out,
    }
}
