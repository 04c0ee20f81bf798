//! DisconnectEx, with and without TF_REUSE_SOCKET, and the TIME_WAIT a reused socket's next
//! ConnectEx to the same peer waits out (issue 10, item 3).

use super::*;

/// `TcpTimedWaitDelay`'s default: twice the maximum segment lifetime of 120 s (the ConnectEx
/// reference page).
pub const TIME_WAIT: Duration = Duration::from_secs(240);

impl Host {
    pub(super) fn disconnect_ex(&mut self, sock: &SockRef, reuse: bool, null_overlapped: bool) -> Out {
        if !self.p.winsock {
            return Out::na(
                r::DISCONNECTEX,
                "Linux has no DisconnectEx: shutdown(SHUT_WR) ends the sending side; a TCP socket is not reused for a second connection (connect(AF_UNSPEC) drops it, then a new connect(2) starts over)",
            );
        }
        if !self.p.ws2 {
            return self.na_ws2("DisconnectEx");
        }
        let failed = |code: Code| Out { ret: Ret::Bool(false), ..Out::err(r::DISCONNECTEX, code) };
        let i = match self.sock(sock) {
            Ok(i) => i,
            // test_DisconnectEx: an invalid handle gives WSAENOTSOCK.
            Err(e) => return Out { ret: Ret::Bool(false), ..e },
        };
        if self.socks[i].state != State::Connected || self.socks[i].proto != Proto::Tcp {
            // test_DisconnectEx: a socket that never connected gives WSAENOTCONN.
            return failed(Code::WSAENOTCONN);
        }
        // The sending side ends: the peer reads the end of the stream.
        let partner = self.socks[i].partner;
        if !self.socks[i].shut_wr {
            self.socks[i].shut_wr = true;
            if let Some(j) = partner {
                self.socks[j].peer_closed = true;
                self.fd_event(j, FdEvents::CLOSE, None);
                self.readiness_changed(j);
            }
        }
        if reuse {
            // TF_REUSE_SOCKET: the connection is closed and the socket is bound again, ready for
            // a ConnectEx; this end keeps the pair in TIME_WAIT.
            let now = self.now;
            let s = &mut self.socks[i];
            if let (Some(local), Some(peer)) = (s.local, s.peer) {
                self.ov.time_wait.retain(|&(l, p, _)| (l, p) != (local, peer));
                self.ov.time_wait.push((local, peer, now.saturating_add(TIME_WAIT)));
            }
            let s = &mut self.socks[i];
            s.attempt = next_serial(&mut self.serials);
            s.peer = None;
            s.partner = None;
            s.so_error = None;
            s.shut_rd = false;
            s.shut_wr = false;
            s.peer_closed = false;
            s.reset = false;
            s.rx.clear();
            s.via_connectex = false;
            s.context_updated = false;
            s.connected_at = None;
            s.success_unreported = false;
            if let Some(j) = partner {
                self.socks[j].partner = None;
            }
            self.set_state(i, State::Bound, Cause::Call("DisconnectEx(TF_REUSE_SOCKET)".into()), None);
        }
        if null_overlapped {
            // test_DisconnectEx: with no OVERLAPPED the call is synchronous and returns TRUE.
            return Out { ret: Ret::Bool(true), ..Out::ok(r::DISCONNECTEX) };
        }
        // With an OVERLAPPED it pends, and completes at once with 0 bytes (test_DisconnectEx).
        self.complete_overlapped(i, "DisconnectEx", None, 0);
        failed(Code::WSA_IO_PENDING)
    }

    /// A ConnectEx from a socket whose pair with this peer is still in TIME_WAIT (a socket reused
    /// by DisconnectEx): the handshake starts only once TIME_WAIT is over (the ConnectEx reference page: "a TCP
    /// socket may be subject to the TCP TIME_WAIT state, causing the ConnectEx call to be
    /// delayed").
    pub(super) fn delay_for_time_wait(&mut self, i: usize) -> Option<Duration> {
        let (local, peer) = (self.socks[i].local?, self.socks[i].peer?);
        let now = self.now;
        self.ov.time_wait.retain(|&(_, _, until)| until > now);
        let until = self.ov.time_wait.iter().find(|&&(l, p, _)| (l, p) == (local, peer)).map(|&(_, _, u)| u)?;
        let delay = until - now;
        let attempt = self.socks[i].attempt;
        let (at, result) = self.timers.iter().find_map(|Reverse(d)| match &d.timer {
            Timer::Handshake { sock, attempt: a, result } if *sock == i && *a == attempt => Some((d.at, *result)),
            _ => None,
        })?;
        // The scheduled handshake belongs to an attempt that is now stale; the new one starts later.
        let attempt = next_serial(&mut self.serials);
        self.socks[i].attempt = attempt;
        self.schedule(at.saturating_add(delay), Timer::Handshake { sock: i, attempt, result });
        Some(delay)
    }
}
