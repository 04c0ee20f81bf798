//! Events and messages: WSAEventSelect, WSAAsyncSelect and WSAEnumNetworkEvents.

use super::*;

impl Host {
    pub(super) fn event_select(&mut self, i: usize, events: FdEvents, async_msg: bool) -> Out {
        let p = self.p;
        if !p.winsock {
            let closest = if async_msg {
                "Linux has no window messages; the closest is epoll, or O_ASYNC with SIGIO"
            } else {
                "Linux has no WSAEventSelect; the closest is epoll_ctl + epoll_wait (see the readiness notifications)"
            };
            return Out::na(r::EVENTS_LINUX, closest);
        }
        if !p.ws2 && !async_msg {
            return self.na_ws2("WSAEventSelect");
        }
        let s = &mut self.socks[i];
        // Either registration cancels the other and clears the record; both make the socket
        // nonblocking (behaviour 15).
        s.recorded.clear();
        if async_msg {
            s.async_select = events;
            s.event_select = FdEvents::empty();
        } else {
            s.event_select = events;
            s.async_select = FdEvents::empty();
        }
        if !events.is_empty() {
            s.nonblocking = true;
        }
        // Conditions already true are recorded at once.
        let state = s.state;
        let has_data = !s.rx.is_empty();
        let backlog = !s.backlog.is_empty();
        let writable = state == State::Connected || (s.proto == Proto::Udp && state != State::Unbound);
        if p.id == PersonalityId::Windows {
            self.windows_reenable(i, events, async_msg);
        } else if writable {
            self.fd_event(i, FdEvents::WRITE, None);
        }
        if has_data {
            self.fd_event(i, FdEvents::READ, None);
        }
        if backlog {
            self.fd_event(i, FdEvents::ACCEPT, None);
        }
        let rule = match (p.id == PersonalityId::Windows, async_msg) {
            (true, _) => r::EVENTS_REENABLE_WINDOWS,
            (false, true) => r::ASYNC_SELECT,
            (false, false) => r::EVENT_SELECT,
        };
        Out::ok(rule)
    }

    /// windows: what a new WSAEventSelect / WSAAsyncSelect registration records or posts at
    /// once for FD_CONNECT and FD_WRITE (rule `events.windows-reenable`, from Wine's
    /// test_connect_events and test_write_events, which run on Windows):
    /// - event mode records FD_CONNECT (after a successful connect) and FD_WRITE (a connected
    ///   TCP socket, a bound UDP one) only if they were not recorded before: registering the
    ///   same mask again records nothing;
    /// - message mode posts FD_WRITE on every registration while the socket is writable, an
    ///   unbound UDP socket included, and never FD_CONNECT.
    fn windows_reenable(&mut self, i: usize, events: FdEvents, async_msg: bool) {
        let s = &self.socks[i];
        let writable = match s.proto {
            Proto::Tcp => s.state == State::Connected,
            Proto::Udp => async_msg || s.state != State::Unbound,
        };
        let connect_done = s.connect_succeeded && s.state == State::Connected
            || (s.proto == Proto::Udp && s.state == State::Associated);
        if async_msg {
            if writable && events.contains(FdEvents::WRITE) {
                self.fd_event(i, FdEvents::WRITE, None);
            }
            return;
        }
        let fresh = |ev: FdEvents| events.contains(ev) && !s.ev_reported.contains(ev);
        let (connect, write) = (connect_done && fresh(FdEvents::CONNECT), writable && fresh(FdEvents::WRITE));
        if connect {
            self.fd_event(i, FdEvents::CONNECT, None);
        }
        if write {
            self.fd_event(i, FdEvents::WRITE, None);
        }
    }

    /// windows: a UDP connect signals FD_CONNECT and FD_WRITE in event mode, FD_WRITE alone as
    /// a window message (Wine test_connect_events, "Test with UDP sockets").
    pub(super) fn windows_udp_connected(&mut self, i: usize) {
        if self.p.id != PersonalityId::Windows {
            return;
        }
        let s = &self.socks[i];
        if !s.async_select.is_empty() {
            if s.async_select.contains(FdEvents::WRITE) {
                self.fd_event(i, FdEvents::WRITE, None);
            }
            return;
        }
        self.fd_event(i, FdEvents::CONNECT, None);
        if !self.socks[i].ev_reported.contains(FdEvents::WRITE) {
            self.fd_event(i, FdEvents::WRITE, None);
        }
    }

    pub(super) fn enum_events(&mut self, i: usize) -> Out {
        let p = self.p;
        if !p.winsock {
            return Out::na(r::EVENTS_LINUX, "Linux has no WSAEnumNetworkEvents; the closest is epoll_wait");
        }
        if !p.ws2 {
            return self.na_ws2("WSAEnumNetworkEvents");
        }
        let rec = std::mem::take(&mut self.socks[i].recorded);
        let mut events = FdEvents::empty();
        for (e, _) in &rec {
            events |= *e;
        }
        let array = error_array(&rec);
        Out::val(r::ENUM_EVENTS, Value::NetworkEvents { events, errors: rec }).note(array)
    }
}

// ---- winapi-args: WSAEnumNetworkEvents' whole iErrorCode array ----
/// `FD_MAX_EVENTS`: the length of `WSANETWORKEVENTS.iErrorCode` (winsock2.h).
const FD_MAX_EVENTS: usize = 10;

/// The whole `iErrorCode` array as a note: one entry per FD_ bit, in winsock2.h's order
/// (FD_READ .. FD_CLOSE, then FD_QOS, FD_GROUP_QOS, FD_ROUTING_INTERFACE_CHANGE,
/// FD_ADDRESS_LIST_CHANGE); an entry whose event is not reported is not written, the caller's
/// value stays (`-`; Wine test_WSAEnumNetworkEvents fills it with 0xAB first and finds it so).
fn error_array(rec: &[(FdEvents, Option<Code>)]) -> String {
    let mut cells = vec!["-".to_string(); FD_MAX_EVENTS];
    for (e, err) in rec {
        if let Some(k) = (0..FD_MAX_EVENTS).find(|k| e.0 == 1 << k) {
            cells[k] = err.map_or("0".to_string(), |c| c.number().to_string());
        }
    }
    format!(
        "iErrorCode[{FD_MAX_EVENTS}] = {{{}}} (FD_ bit order; -: not written, the caller's value stays)",
        cells.join(", ")
    )
}
