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
    sock: String,
    key: u64,
    bytes: u32,
    error: Option<Code>,
}

#[derive(Clone, Debug)]
struct Port {
    name: String,
    queue: VecDeque<Packet>,
}

/// The OVERLAPPED structures and completion ports of one host.
#[derive(Clone, Debug, Default)]
pub(super) struct OvWorld {
    /// By socket name.
    structs: HashMap<String, OvStruct, Fnv>,
    ports: Vec<Port>,
    /// Socket serial -> (port index, key).
    assoc: HashMap<u64, (usize, u64), Fnv>,
    /// Pairs (local, peer) a DisconnectEx(TF_REUSE_SOCKET) left in TIME_WAIT, until when.
    pub(super) time_wait: Vec<(std::net::SocketAddr, std::net::SocketAddr, Duration)>,
}

impl OvWorld {
    fn port(&self, name: &str) -> Option<usize> {
        self.ports.iter().position(|p| p.name == name)
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
        self.notes.push(Notification::Completion { sock: name.clone(), op: op.into(), error, bytes, at: self.now });
        self.ov.structs.insert(
            name.clone(),
            OvStruct { internal: ntstatus(error), internal_high: u64::from(bytes), acceptex_refused: false },
        );
        if let Some(&(port, key)) = self.ov.assoc.get(&self.socks[h].serial) {
            self.ov.ports[port].queue.push_back(Packet { sock: name.clone(), key, bytes, error });
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

    pub(super) fn get_overlapped_result(&mut self, sock: &SockRef, wait: bool, wsa: bool, facts: &dyn Facts) -> Out {
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
        let name = name_of(sock);
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
        self.ov.ports.push(Port { name: name.to_string(), queue: VecDeque::new() });
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
            return failed(Code::WSA_INVALID_HANDLE);
        };
        let ready = |h: &Host| !h.ov.ports[p].queue.is_empty();
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
        let Some(pk) = self.ov.ports[p].queue.pop_front() else { return failed(Code::WAIT_TIMEOUT) };
        let value = Value::Packet { key: Some(pk.key), bytes: Some(u64::from(pk.bytes)), overlapped: Some(pk.sock) };
        match pk.error {
            None => Out { ret: Ret::Bool(true), ..Out::val(r::IOCP, value) },
            Some(e) => {
                let code = win32_error(e);
                let out = Out { value, ..failed(code) };
                if code == e { out } else { out.note(format!("Winsock view of the same status: {e}")) }
            }
        }
    }
}
