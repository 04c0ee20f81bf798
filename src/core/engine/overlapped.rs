//! Overlapped I/O made visible, and I/O completion ports (issue 10, items 1 and 2).
//!
//! Every socket name owns one OVERLAPPED structure: the one its overlapped calls (ConnectEx)
//! are given, as a C program keeps one `OVERLAPPED ov` per socket. It lives in the program's
//! memory, not in the socket: it keeps its last values after the socket is closed, and a new
//! socket of the same name uses it again. `Internal` holds an NTSTATUS (STATUS_PENDING while
//! the call runs), `InternalHigh` the bytes transferred.
//!
//! A completion port queues one packet per overlapped completion of the sockets associated with
//! it; `GetQueuedCompletionStatus` dequeues them, waiting in virtual time up to its timeout.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::*;

/// `STATUS_PENDING`: the value Internal holds while the operation runs.
pub const STATUS_PENDING: u64 = 0x103;

/// NTSTATUS, Winsock error and Win32 error of each failure an overlapped call can complete
/// with. The NTSTATUS to Winsock pairs are the map_status table of Wine's
/// dlls/ws2_32/tests/sock.c (test_WSAGetOverlappedResult, run on Windows); the Win32 errors are
/// what GetOverlappedResult reports for those statuses (ERROR_CONNECTION_REFUSED in
/// test_connect and test_connect_completion_port, ERROR_NETNAME_DELETED in test_completion_port).
const STATUSES: &[(u64, Code, Code)] = &[
    (0xC000_0236, Code::WSAECONNREFUSED, Code::ERROR_CONNECTION_REFUSED), // STATUS_CONNECTION_REFUSED
    (0xC000_00B5, Code::WSAETIMEDOUT, Code::ERROR_SEM_TIMEOUT),           // STATUS_IO_TIMEOUT
    (0xC000_023C, Code::WSAENETUNREACH, Code::ERROR_NETWORK_UNREACHABLE), // STATUS_NETWORK_UNREACHABLE
    (0xC000_023D, Code::WSAEHOSTUNREACH, Code::ERROR_HOST_UNREACHABLE),   // STATUS_HOST_UNREACHABLE
    (0xC000_0022, Code::WSAEACCES, Code::ERROR_ACCESS_DENIED),            // STATUS_ACCESS_DENIED
    (0xC000_020D, Code::WSAECONNRESET, Code::ERROR_NETNAME_DELETED),      // STATUS_CONNECTION_RESET
    (0xC000_0207, Code::WSAEADDRNOTAVAIL, Code::ERROR_INVALID_NETNAME),   // STATUS_INVALID_ADDRESS_COMPONENT
    (0xC000_0120, Code::WSA_OPERATION_ABORTED, Code::WSA_OPERATION_ABORTED), // STATUS_CANCELLED
    (0xC000_0023, Code::WSAEFAULT, Code::ERROR_INSUFFICIENT_BUFFER),      // STATUS_BUFFER_TOO_SMALL (acceptex2)
];

/// The NTSTATUS an overlapped call completes with (0 is STATUS_SUCCESS).
pub fn ntstatus(error: Option<Code>) -> u64 {
    match error {
        None => 0,
        Some(c) => STATUSES.iter().find(|(_, w, _)| *w == c).map_or(0xC000_0001, |(s, _, _)| *s),
    }
}

/// The Win32 spelling (GetLastError after GetOverlappedResult or GetQueuedCompletionStatus) of
/// a Winsock error an overlapped call completed with.
pub fn win32_error(code: Code) -> Code {
    STATUSES.iter().find(|(_, w, _)| *w == code).map_or(code, |(_, _, e)| *e)
}

/// One OVERLAPPED structure.
#[derive(Clone, Copy, Debug, Default)]
struct OvStruct {
    internal: u64,
    internal_high: u64,
    /// Last written by an AcceptEx refused at once (rule acceptex.overlapped-high).
    acceptex_refused: bool,
}

/// One completion packet waiting at a port.
#[derive(Clone, Debug)]
struct Packet {
    /// Whose OVERLAPPED the packet points to (`None`: a NULL pointer, posted by the program).
    sock: Option<String>,
    key: u64,
    bytes: u32,
    error: Option<Code>,
    /// Queued by PostQueuedCompletionStatus.
    posted: bool,
}

#[derive(Clone, Debug)]
struct Port {
    name: String,
    queue: VecDeque<Packet>,
    /// CloseHandle was called: the name no longer opens it, though associated sockets keep
    /// the port itself alive (rule iocp.close).
    closed: bool,
}

/// The OVERLAPPED structures and completion ports of one host.
#[derive(Clone, Debug, Default)]
pub(super) struct OvWorld {
    /// By socket name.
    structs: HashMap<String, OvStruct, Fnv>,
    ports: Vec<Port>,
    /// Socket serial -> (port index, key).
    assoc: HashMap<u64, (usize, u64), Fnv>,
    /// iocp2: completion routines queued to the thread (user APCs), run by an alertable wait:
    /// socket, call, error, bytes.
    pub(super) apcs: Vec<(String, String, Option<Code>, u32)>,
    /// Pairs (local, peer) a DisconnectEx(TF_REUSE_SOCKET) left in TIME_WAIT, until when.
    pub(super) time_wait: Vec<(std::net::SocketAddr, std::net::SocketAddr, Duration)>,
}

impl OvWorld {
    fn port(&self, name: &str) -> Option<usize> {
        self.ports.iter().position(|p| p.name == name && !p.closed)
    }

    fn get(&self, name: &str) -> OvStruct {
        self.structs.get(name).copied().unwrap_or_default()
    }
}

fn name_of(r: &SockRef) -> String {
    r.to_string()
}

impl Host {
    /// Where a personality has no overlapped I/O at all: the answer for every call of this file.
    pub(super) fn no_overlapped(&self, what: &str) -> Option<Out> {
        if !self.p.winsock {
            return Some(Out::na(
                r::OV_LINUX,
                &format!(
                    "Linux has no {what}: the closest are epoll(7) for readiness and io_uring(7), whose completion queue hands back each operation's result with the user_data it was given"
                ),
            ));
        }
        if !self.p.ws2 {
            return Some(Out::na(
                r::OV_WINSOCK1,
                &format!(
                    "{what}: a Winsock 1.1 application has no overlapped socket calls (ConnectEx, WSARecv and WSASend are Winsock 2), so there is nothing to ask about"
                ),
            ));
        }
        None
    }

    /// The one place an overlapped call completes: the completion is notified, written into the
    /// socket's OVERLAPPED and queued at its completion port, if it has one.
    pub(super) fn complete_overlapped(&mut self, i: usize, op: &str, error: Option<Code>, bytes: u32) {
        self.complete_on(i, i, op, error, bytes);
    }

    /// An AcceptEx into socket `a` on listener `l` completes: the accept socket's OVERLAPPED,
    /// the listener's completion port.
    pub(super) fn complete_accept(&mut self, l: usize, a: usize, error: Option<Code>, bytes: u32) {
        self.complete_on(a, l, "AcceptEx", error, bytes);
    }

    /// STATUS_PENDING written into the OVERLAPPED of socket name `name`.
    pub(super) fn write_pending(&mut self, name: &str) {
        let st = self.ov.structs.entry(name.to_string()).or_default();
        st.internal = STATUS_PENDING;
        st.acceptex_refused = false;
    }

    /// A refused AcceptEx's write: STATUS_PENDING into Internal, InternalHigh left alone.
    pub(super) fn write_pending_refused_acceptex(&mut self, name: &str) {
        self.write_pending(name);
        if let Some(st) = self.ov.structs.get_mut(name) {
            st.acceptex_refused = true;
        }
    }

    /// A completion written into socket `i`'s OVERLAPPED and queued at the port handle `h` is
    /// associated with.
    fn complete_on(&mut self, i: usize, h: usize, op: &str, error: Option<Code>, bytes: u32) {
        let name = self.socks[i].name.clone();
        self.complete_into(i, h, &name, op, error, bytes);
    }

    /// A completion of socket `i`'s call written into the OVERLAPPED named `ov` (iocp2: a call
    /// may name one other than the socket's own) and queued at the port handle `h` is
    /// associated with.
    pub(super) fn complete_into(&mut self, i: usize, h: usize, ov: &str, op: &str, error: Option<Code>, bytes: u32) {
        self.complete_call(i, h, ov, op, error, bytes, false);
    }

    /// As [`Host::complete_into`]; with a completion `routine` the call queues it to the thread
    /// instead (an APC, run by the next alertable wait, which then tells of the completion) and
    /// queues no packet (rule wsaio.routine).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn complete_call(
        &mut self,
        i: usize,
        h: usize,
        ov: &str,
        op: &str,
        error: Option<Code>,
        bytes: u32,
        routine: bool,
    ) {
        let sock = self.socks[i].name.clone();
        let name = ov.to_string();
        self.ov.structs.insert(
            name.clone(),
            OvStruct { internal: ntstatus(error), internal_high: u64::from(bytes), acceptex_refused: false },
        );
        if routine {
            self.ov.apcs.push((sock, op.into(), error, bytes));
            return;
        }
        self.notes.push(Notification::Completion { sock, op: op.into(), error, bytes, at: self.now });
        if let Some(&(port, key)) = self.ov.assoc.get(&self.socks[h].serial) {
            if self.ov.ports[port].closed {
                // The port lives on (the socket references it), but no handle can dequeue.
                return;
            }
            self.ov.ports[port].queue.push_back(Packet { sock: Some(name.clone()), key, bytes, error, posted: false });
            let port = self.ov.ports[port].name.clone();
            self.notes.push(Notification::Packet { port, sock: name, key, error, bytes, at: self.now });
        }
    }

    /// ConnectEx as it treats its OVERLAPPED (Winsock 2 personalities only): a NULL pointer is
    /// refused first; a call that pends writes STATUS_PENDING into Internal; on windows a call
    /// that fails at once writes it too and leaves InternalHigh alone.
    pub(super) fn connectex_overlapped(
        &mut self,
        sock: &SockRef,
        addr: &SockAddrArg,
        api: &ConnectApi,
        facts: &dyn Facts,
    ) -> Out {
        if let ConnectApi::ConnectEx { null_overlapped: true, .. } = api {
            // test_connect: "ConnectEx on a NULL overlapped" (sock.c); checked before anything else.
            return Out { ret: Ret::Bool(false), ..Out::err(r::OV_NULL, Code::WSA_INVALID_PARAMETER) };
        }
        let i = match self.sock(sock) {
            Ok(i) => i,
            Err(e) => return as_api(api, e),
        };
        let name = self.socks[i].name.clone();
        let out = self.connect(i, addr, api, facts);
        let pending = out.error == Some(Code::WSA_IO_PENDING);
        let out = match pending.then(|| self.delay_for_time_wait(i)).flatten() {
            Some(d) => out.note(format!(
                "this socket's pair with the peer is in TIME_WAIT for another {} ms (DisconnectEx with TF_REUSE_SOCKET): the handshake starts then (rule {})",
                d.as_millis(),
                r::TIME_WAIT_REUSE
            )),
            None => out,
        };
        if pending || (out.error.is_some() && self.p.id == PersonalityId::Windows) {
            let st = self.ov.structs.entry(name).or_default();
            st.internal = STATUS_PENDING;
            st.acceptex_refused = false;
            if !pending {
                return out.note(format!(
                    "OVERLAPPED.Internal = STATUS_PENDING (0x103) written although the call failed; InternalHigh untouched (rule {})",
                    r::OV_FIELDS
                ));
            }
        }
        out
    }

    pub(super) fn read_overlapped(&mut self, sock: &SockRef, set: Option<u64>) -> Out {
        if let Some(out) = self.no_overlapped("OVERLAPPED structure") {
            return out;
        }
        let name = name_of(sock);
        if let Some(v) = set {
            self.ov.structs.insert(name.clone(), OvStruct { internal: v, internal_high: v, acceptex_refused: false });
        }
        let st = self.ov.get(&name);
        let rule = if st.acceptex_refused { r::ACCEPTEX_OV_HIGH } else { r::OV_FIELDS };
        Out::val(rule, Value::Overlapped { internal: st.internal, internal_high: st.internal_high })
    }

    pub(super) fn get_overlapped_result(
        &mut self,
        sock: &SockRef,
        wait: bool,
        wsa: bool,
        ov: Option<&str>,
        facts: &dyn Facts,
    ) -> Out {
        let what = if wsa { "WSAGetOverlappedResult" } else { "GetOverlappedResult" };
        if let Some(out) = self.no_overlapped(what) {
            return out;
        }
        let failed = |code: Code| Out { ret: Ret::Bool(false), ..Out::err(r::OV_RESULT, code) };
        // WSAGetOverlappedResult checks its socket first (test_WSAGetOverlappedResult);
        // GetOverlappedResult only reads the OVERLAPPED unless it has to wait.
        if wsa {
            if let Err(e) = self.sock(sock) {
                return Out { ret: Ret::Bool(false), rule: r::OV_RESULT, ..e };
            }
        }
        let name = ov.map_or_else(|| name_of(sock), str::to_string);
        if self.ov.get(&name).internal == STATUS_PENDING {
            if !wait {
                return failed(Code::WSA_IO_INCOMPLETE);
            }
            let done = self.block_indefinitely(facts, |h| h.ov.get(&name).internal != STATUS_PENDING);
            if !done {
                return self.blocks_forever(&format!("{what} with bWait = TRUE (Internal is STATUS_PENDING)"));
            }
        }
        let st = self.ov.get(&name);
        let value = Value::Transferred { bytes: st.internal_high };
        // NT_SUCCESS: below 0x80000000 (STATUS_PENDING was dealt with above).
        if st.internal < 0x8000_0000 {
            return Out { ret: Ret::Bool(true), ..Out::val(r::OV_RESULT, value) };
        }
        match STATUSES.iter().find(|(s, _, _)| *s == st.internal) {
            Some(&(_, winsock, win32)) => {
                let (code, other, view) = if wsa { (winsock, win32, "Win32") } else { (win32, winsock, "Winsock") };
                let out = Out { value, ..failed(code) };
                if code == other { out } else { out.note(format!("{view} view of the same status: {other}")) }
            }
            // test_WSAGetOverlappedResult: an error status with no mapping gives WSAEINVAL.
            None if wsa => Out { value, ..failed(Code::WSAEINVAL) },
            None => Out { value, ..failed(Code::WSAEINVAL) }.note(format!(
                "NTSTATUS {:#x}: socklab does not know its Win32 error; WSAGetOverlappedResult would say WSAEINVAL",
                st.internal
            )),
        }
    }

    pub(super) fn create_port(&mut self, name: &str) -> Out {
        if let Some(out) = self.no_overlapped("I/O completion port") {
            return Out { ret: Ret::NotApplicable, ..out };
        }
        let h = self.next_handle;
        self.next_handle += 4;
        self.ov.ports.push(Port { name: name.to_string(), queue: VecDeque::new(), closed: false });
        Out { ret: Ret::Handle(Some(h)), ..Out::ok(r::IOCP) }
    }

    pub(super) fn associate_port(&mut self, sock: &SockRef, port: &SockRef, key: u64) -> Out {
        if let Some(out) = self.no_overlapped("I/O completion port") {
            return out;
        }
        let null = |code: Code| Out { ret: Ret::Handle(None), ..Out::err(r::IOCP, code) };
        let i = match self.sock(sock) {
            Ok(i) => i,
            // Not a handle at all: ERROR_INVALID_HANDLE (6).
            Err(_) => return null(Code::WSA_INVALID_HANDLE),
        };
        let Some(p) = self.ov.port(&name_of(port)) else {
            return null(Code::WSA_INVALID_PARAMETER);
        };
        let serial = self.socks[i].serial;
        if self.ov.assoc.contains_key(&serial) {
            // A handle is associated with one port for its whole life.
            return null(Code::WSA_INVALID_PARAMETER).note("the socket is already associated with a completion port");
        }
        self.ov.assoc.insert(serial, (p, key));
        let h = self.next_handle;
        Out { ret: Ret::Handle(Some(h)), ..Out::ok(r::IOCP) }
    }

    pub(super) fn dequeue_packet(&mut self, port: &SockRef, timeout: Option<Duration>, facts: &dyn Facts) -> Out {
        if let Some(out) = self.no_overlapped("GetQueuedCompletionStatus") {
            return out;
        }
        let failed = |code: Code| Out { ret: Ret::Bool(false), ..Out::err(r::IOCP, code) };
        let Some(p) = self.ov.port(&name_of(port)) else {
            // Nothing dequeued: the OVERLAPPED pointer NULL, key and bytes untouched (the
            // GetQueuedCompletionStatus page; Wine agrees, tests/scenarios/40_post_close_port.lab).
            let value = Value::Packet { key: None, bytes: None, overlapped: None };
            return Out { value, ..failed(Code::WSA_INVALID_HANDLE) };
        };
        let ready = |h: &Host| !h.ov.ports[p].queue.is_empty() || h.ov.ports[p].closed;
        let got = match timeout {
            Some(t) => self.block_until(t, facts, ready),
            None => self.block_indefinitely(facts, ready),
        };
        if !got {
            if timeout.is_none() {
                return self.blocks_forever("GetQueuedCompletionStatus with INFINITE");
            }
            // test_completion_port: key and bytes untouched, the OVERLAPPED pointer NULL.
            return Out {
                value: Value::Packet { key: None, bytes: None, overlapped: None },
                ..failed(Code::WAIT_TIMEOUT)
            };
        }
        if self.ov.ports[p].closed {
            // test_completion_port_scheduling (ntdll sync.c): the handle closed during the wait.
            return Out {
                value: Value::Packet { key: None, bytes: None, overlapped: None },
                rule: r::IOCP_CLOSE,
                ..failed(Code::ERROR_ABANDONED_WAIT_0)
            };
        }
        let Some(pk) = self.ov.ports[p].queue.pop_front() else { return failed(Code::WAIT_TIMEOUT) };
        let rule = if pk.posted { r::IOCP_POST } else { r::IOCP };
        let value = Value::Packet { key: Some(pk.key), bytes: Some(u64::from(pk.bytes)), overlapped: pk.sock };
        match pk.error {
            None => Out { ret: Ret::Bool(true), ..Out::val(rule, value) },
            Some(e) => {
                let code = win32_error(e);
                let out = Out { value, ..failed(code) };
                if code == e { out } else { out.note(format!("Winsock view of the same status: {e}")) }
            }
        }
    }

    /// wsaio3: GetQueuedCompletionStatusEx (rule iocp.ex): up to `count` packets at once, each
    /// an OVERLAPPED_ENTRY with its own status; TRUE even when a packet carries an error.
    /// Alertable, it runs the queued completion routines when no packet is there and answers
    /// FALSE with WAIT_IO_COMPLETION; a packet comes first and leaves the routines queued.
    pub(super) fn dequeue_packets(
        &mut self,
        port: &SockRef,
        count: u32,
        timeout: Option<Duration>,
        alertable: bool,
        facts: &dyn Facts,
    ) -> Out {
        if let Some(out) = self.no_overlapped("GetQueuedCompletionStatusEx") {
            return out;
        }
        let failed = |code: Code| Out { ret: Ret::Bool(false), ..Out::err(r::IOCP_EX, code) };
        let Some(p) = self.ov.port(&name_of(port)) else { return failed(Code::WSA_INVALID_HANDLE) };
        let ready =
            |h: &Host| !h.ov.ports[p].queue.is_empty() || h.ov.ports[p].closed || (alertable && !h.ov.apcs.is_empty());
        let got = match timeout {
            Some(t) => self.block_until(t, facts, ready),
            None => self.block_indefinitely(facts, ready),
        };
        if !got {
            if timeout.is_none() {
                return self.blocks_forever("GetQueuedCompletionStatusEx with INFINITE");
            }
            // test_post_completion (file.c 6046-6050): FALSE, WAIT_TIMEOUT; the count is at most 1.
            return failed(Code::WAIT_TIMEOUT).note("ulNumEntriesRemoved is not to be read (Windows leaves 0 or 1)");
        }
        if self.ov.ports[p].closed {
            // test_completion_port_scheduling (ntdll sync.c 995-1001).
            return failed(Code::ERROR_ABANDONED_WAIT_0);
        }
        if self.ov.ports[p].queue.is_empty() {
            // test_post_completion (file.c 6094-6099): an alertable wait runs the APCs and
            // fails with WAIT_IO_COMPLETION.
            let mut out = failed(Code::WAIT_IO_COMPLETION);
            for (sock, op, error, bytes) in std::mem::take(&mut self.ov.apcs) {
                out = out.note(format!(
                    "{sock}'s {op} completion routine ran: dwError {}, {bytes} bytes",
                    error.map_or(0, |c| c.number())
                ));
                self.notes.push(Notification::Completion { sock, op, error, bytes, at: self.now });
            }
            return out;
        }
        // file.c 6057-6083: every packet queued, up to the array's size, in the order queued.
        let n = (count as usize).min(self.ov.ports[p].queue.len());
        let entries: Vec<PacketEntry> = self.ov.ports[p]
            .queue
            .drain(..n)
            .map(|pk| PacketEntry {
                key: pk.key,
                bytes: u64::from(pk.bytes),
                overlapped: pk.sock,
                internal: ntstatus(pk.error),
            })
            .collect();
        let out = Out { ret: Ret::Bool(true), ..Out::val(r::IOCP_EX, Value::Packets { entries }) };
        let left = self.ov.ports[p].queue.len();
        let out = if left > 0 { out.note(format!("{left} packet(s) stay queued")) } else { out };
        if alertable && !self.ov.apcs.is_empty() {
            // file.c 6101-6110: a packet there: the routines stay queued.
            out.note("the queued completion routines did not run: a packet was there")
        } else {
            out
        }
    }

    /// PostQueuedCompletionStatus: a packet of the program's own (rule iocp.post).
    pub(super) fn post_packet(&mut self, port: &SockRef, key: u64, bytes: u32, overlapped: Option<&str>) -> Out {
        if let Some(out) = self.no_overlapped("PostQueuedCompletionStatus") {
            return out;
        }
        let Some(p) = self.ov.port(&name_of(port)) else {
            return Out { ret: Ret::Bool(false), ..Out::err(r::IOCP_POST, Code::WSA_INVALID_HANDLE) };
        };
        let sock = overlapped.map(str::to_string);
        self.ov.ports[p].queue.push_back(Packet { sock: sock.clone(), key, bytes, error: None, posted: true });
        let port = self.ov.ports[p].name.clone();
        let sock = sock.unwrap_or_else(|| port.clone());
        self.notes.push(Notification::Packet { port, sock, key, error: None, bytes, at: self.now });
        Out { ret: Ret::Bool(true), ..Out::ok(r::IOCP_POST) }
    }

    /// CloseHandle on a completion port (rule iocp.close).
    pub(super) fn close_handle(&mut self, handle: &SockRef) -> Out {
        if let Some(out) = self.no_overlapped("CloseHandle of a completion port") {
            return out;
        }
        let name = name_of(handle);
        match self.ov.port(&name) {
            Some(p) => {
                let port = &mut self.ov.ports[p];
                port.closed = true;
                let dropped = std::mem::take(&mut port.queue).len();
                let out = Out { ret: Ret::Bool(true), ..Out::ok(r::IOCP_CLOSE) };
                if dropped > 0 {
                    out.note(format!("{dropped} packet(s) still queued are lost with the handle"))
                } else {
                    out
                }
            }
            None if self.sock(handle).is_ok() => Out::na(
                r::IOCP_CLOSE,
                "socklab models CloseHandle on completion ports only: closesocket closes a socket",
            ),
            None => Out { ret: Ret::Bool(false), ..Out::err(r::IOCP_CLOSE, Code::WSA_INVALID_HANDLE) },
        }
    }

    /// Whether socket `i` is associated with a completion port (iocp2: a call on it may not
    /// take a completion routine).
    pub(super) fn has_port(&self, i: usize) -> bool {
        self.ov.assoc.contains_key(&self.socks[i].serial)
    }

    /// SleepEx (rule wsaio.routine): alertable, it returns WAIT_IO_COMPLETION (192) as soon as
    /// completion routines are queued, after running them all; otherwise 0 after `ms`.
    pub(super) fn sleep_ex(&mut self, ms: u64, alertable: bool, facts: &dyn Facts) -> Out {
        if !self.p.winsock {
            return Out::na(
                r::WSA_ROUTINE,
                "Linux has no SleepEx and no APCs: nanosleep(2) sleeps; a signal handler, or io_uring's completion queue read after the wait, is the closest to a completion routine",
            );
        }
        let got = self.block_until(Duration::from_millis(ms), facts, |h| alertable && !h.ov.apcs.is_empty());
        if !got {
            let out = Out { ret: Ret::Int(0), ..Out::ok(r::WSA_ROUTINE) };
            return match self.ov.apcs.len() {
                0 => out,
                n => out.note(format!("{n} completion routine(s) wait for an alertable wait")),
            };
        }
        let mut out = Out { ret: Ret::Int(192), ..Out::ok(r::WSA_ROUTINE) };
        for (sock, op, error, bytes) in std::mem::take(&mut self.ov.apcs) {
            out = out.note(format!(
                "{sock}'s {op} completion routine ran: dwError {}, {bytes} bytes",
                error.map_or(0, |c| c.number())
            ));
            self.notes.push(Notification::Completion { sock, op, error, bytes, at: self.now });
        }
        out.note("WAIT_IO_COMPLETION (192): the wait ended to run completion routines")
    }
}
