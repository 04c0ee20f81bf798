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
        if state == State::Connected || (s.proto == Proto::Udp && state != State::Unbound) {
            self.fd_event(i, FdEvents::WRITE, None);
        }
        if has_data {
            self.fd_event(i, FdEvents::READ, None);
        }
        if backlog {
            self.fd_event(i, FdEvents::ACCEPT, None);
        }
        Out::ok(if async_msg { r::ASYNC_SELECT } else { r::EVENT_SELECT })
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
        Out::val(r::ENUM_EVENTS, Value::NetworkEvents { events, errors: rec })
    }
}
