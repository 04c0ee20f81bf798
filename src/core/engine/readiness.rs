//! Readiness: select, WSAPoll / poll and epoll.

use super::*;

impl Host {
    /// (readable, writable, exceptional) as select() reports them.
    pub(super) fn select_ready(&self, i: usize) -> (bool, bool, bool) {
        let s = &self.socks[i];
        let data = !s.rx.is_empty();
        if s.proto == Proto::Udp {
            return (data || s.icmp.is_some(), true, false);
        }
        let eof = s.reset || s.peer_closed;
        match (self.p.winsock, s.state) {
            // 1e: a never-connected socket is readable and writable on Linux (POLLOUT|POLLHUP).
            (false, State::Unbound | State::Bound) => (true, true, false),
            (true, State::Unbound | State::Bound) => (false, false, false),
            // A listener made from a failed socket keeps its error in exceptfds on Windows
            // (test_select, interactive block).
            (_, State::Listening) => {
                (!s.backlog.is_empty(), false, self.p.id == PersonalityId::Windows && s.so_error.is_some())
            }
            (_, State::Pending) => (false, false, false),
            (_, State::Connected) => (data || eof, true, false),
            // A reset connection is readable and writable, never exceptional (Linux: CLOSE
            // state; windows: test_tcp_reset).
            (_, State::Failed) if s.reset => (true, true, false),
            // 3b: Linux reports a failed connect as readable and writable, never exceptional;
            // Winsock reports it in exceptfds only.
            (false, State::Failed) => (true, true, false),
            (true, State::Failed) => (false, false, true),
            (_, State::Unassociated | State::Associated | State::Closed) => (false, false, false),
        }
    }

    /// poll/epoll bits (Linux) or WSAPoll bits (Winsock), in Linux's bit layout.
    pub(super) fn poll_bits(&self, i: usize) -> PollBits {
        let s = &self.socks[i];
        let mut b = PollBits(0);
        if !s.rx.is_empty() {
            b = b | PollBits::IN;
        }
        if s.proto == Proto::Udp {
            b = b | PollBits::OUT;
            if s.icmp.is_some() && (self.p.winsock || s.state == State::Associated) {
                b = b | PollBits::ERR;
            }
            return b;
        }
        let all_fail = PollBits::IN | PollBits::OUT | PollBits::ERR | PollBits::HUP | PollBits::RDHUP;
        match (self.p.winsock, s.state) {
            (false, State::Unbound | State::Bound) => PollBits::OUT | PollBits::HUP, // 1e
            (true, State::Unbound | State::Bound) => b,
            (_, State::Listening) => {
                if s.backlog.is_empty() {
                    b
                } else {
                    b | PollBits::IN
                }
            }
            (_, State::Pending) => b,
            (false, State::Connected) => {
                if s.reset {
                    // Peer reset: CLOSE state; ERR while the error is unread.
                    let base = PollBits::IN | PollBits::OUT | PollBits::HUP | PollBits::RDHUP;
                    if s.so_error.is_some() { base | PollBits::ERR } else { base }
                } else if s.peer_closed {
                    b | PollBits::IN | PollBits::OUT | PollBits::RDHUP
                } else {
                    b | PollBits::OUT
                }
            }
            (true, State::Connected) => {
                if s.reset || s.peer_closed {
                    b | PollBits::HUP | PollBits::OUT
                } else {
                    b | PollBits::OUT
                }
            }
            (false, State::Failed) if s.reset => {
                // Peer reset: CLOSE state; ERR while the error is unread (10c).
                let base = b | PollBits::IN | PollBits::OUT | PollBits::HUP | PollBits::RDHUP;
                if s.so_error.is_some() { base | PollBits::ERR } else { base }
            }
            (true, State::Failed) if s.reset => {
                if self.p.id == PersonalityId::Windows {
                    // test_tcp_reset: WSAPoll reports POLLERR|POLLHUP|POLLWRNORM after a reset.
                    b | PollBits::ERR | PollBits::HUP | PollBits::OUT
                } else {
                    // WSAPoll doc: POLLHUP for an aborted stream; still writable.
                    b | PollBits::HUP | PollBits::OUT
                }
            }
            // 3b/3c: ERR until SO_ERROR is read, then IN|OUT|HUP|RDHUP.
            (false, State::Failed) => {
                if s.so_error.is_some() {
                    all_fail
                } else {
                    PollBits::IN | PollBits::OUT | PollBits::HUP | PollBits::RDHUP
                }
            }
            (true, State::Failed) => self.p.poll_failed,
            (_, State::Unassociated | State::Associated | State::Closed) => b,
        }
    }

    pub(super) fn resolve_all(&self, refs: &[SockRef]) -> Result<Vec<usize>, Out> {
        refs.iter().map(|r| self.sock(r)).collect()
    }

    pub(super) fn select(
        &mut self,
        read: &[SockRef],
        write: &[SockRef],
        except: &[SockRef],
        timeout: Option<Duration>,
        facts: &dyn Facts,
    ) -> Out {
        let p = self.p;
        if p.winsock && read.is_empty() && write.is_empty() && except.is_empty() {
            // select doc: at least one set must hold a socket (openpbs PR #571: also when the
            // sets are present but empty).
            return Out::err(r::SELECT_EMPTY, Code::WSAEINVAL);
        }
        let (rs, ws, es) = match (self.resolve_all(read), self.resolve_all(write), self.resolve_all(except)) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
        };
        let sets = |h: &Host| -> (Vec<String>, Vec<String>, Vec<String>) {
            let pick = |ids: &[usize], k: usize| -> Vec<String> {
                ids.iter()
                    .filter(|&&i| {
                        let (r, w, e) = h.select_ready(i);
                        [r, w, e][k]
                    })
                    .map(|&i| h.socks[i].name.clone())
                    .collect()
            };
            (pick(&rs, 0), pick(&ws, 1), pick(&es, 2))
        };
        let any = |h: &Host| {
            rs.iter().any(|&i| h.select_ready(i).0)
                || ws.iter().any(|&i| h.select_ready(i).1)
                || es.iter().any(|&i| h.select_ready(i).2)
        };
        let limit = timeout.unwrap_or(BLOCK_LIMIT);
        let started = self.now;
        let met = self.block_until(limit, facts, any);
        let waited = self.now.saturating_sub(started);
        let (a, b, c) = sets(self);
        let n = (a.len() + b.len() + c.len()) as i64;
        let mut out = Out { ret: Ret::Int(n), ..Out::val(r::SELECT, Value::Select { read: a, write: b, except: c }) };
        if !met && timeout.is_none() {
            out = out.note("nothing became ready within a day of virtual time: a real select would still be waiting");
        }
        // A zero timeout reads zero after the call everywhere: nothing to show.
        if let Some(t) = timeout.filter(|t| !t.is_zero()) {
            out = out.note(select_timeout_after(p.winsock, t, waited));
        }
        out
    }

    /// esc3: select with a timeval of the script's, its fields as written (rule
    /// select.timeval). In range it is any select with that timeout. Out of range: linux (the
    /// kernel, glibc alike) refuses a negative field with EINVAL and adds the whole seconds of
    /// a tv_usec of 1000000 or more; Winsock calls such a time-out not valid: WSAEINVAL. Both
    /// check the timeval before the descriptors.
    pub(super) fn select_timeval(&mut self, sets: [&[SockRef]; 3], sec: i64, usec: i64, facts: &dyn Facts) -> Out {
        let [read, write, except] = sets;
        let as_duration =
            |s: i64, us: i64| Duration::from_secs(s as u64).saturating_add(Duration::from_micros(us as u64));
        if sec >= 0 && (0..1_000_000).contains(&usec) {
            return self.select(read, write, except, Some(as_duration(sec, usec)), facts);
        }
        if self.p.winsock {
            return Out::err(r::SELECT_TIMEVAL, Code::WSAEINVAL);
        }
        if sec < 0 || usec < 0 {
            return Out::err(r::SELECT_TIMEVAL, Code::EINVAL);
        }
        let d = as_duration(sec, usec);
        let out = self.select(read, write, except, Some(d), facts);
        if out.error.is_some() {
            return out;
        }
        let mut note =
            format!("a tv_usec of {usec}: linux adds its whole seconds to tv_sec, a timeout of {} ms", d.as_millis());
        if let Some(n) = &out.note {
            note = format!("{note}; {n}");
        }
        Out { rule: r::SELECT_TIMEVAL, ..out }.note(note)
    }

    pub(super) fn poll(
        &mut self,
        refs: &[SockRef],
        timeout: Option<Duration>,
        events: Option<PollBits>,
        facts: &dyn Facts,
    ) -> Out {
        let p = self.p;
        if p.winsock && !p.ws2 {
            return self.na_ws2("WSAPoll");
        }
        if let Some(out) = self.poll_mask_invalid(events) {
            return out;
        }
        let ids = match self.resolve_all(refs) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let bits = |h: &Host, i: usize| match events {
            None => h.poll_bits(i),
            Some(m) => h.poll_masked(i, m),
        };
        let ready = |h: &Host| ids.iter().any(|&i| !bits(h, i).is_empty());
        let met = self.block_until(timeout.unwrap_or(BLOCK_LIMIT), facts, ready);
        let revents: Vec<(String, PollBits)> =
            ids.iter().map(|&i| (self.socks[i].name.clone(), bits(self, i))).collect();
        let n = revents.iter().filter(|(_, b)| !b.is_empty()).count() as i64;
        let rule = if events.is_some() { r::POLL_EVENTS } else { r::POLL };
        let mut out = Out { ret: Ret::Int(n), ..Out::val(rule, Value::Poll { revents }) };
        if !met && timeout.is_none() {
            out = out.note("nothing became ready within a day of virtual time: a real poll would still be waiting");
        }
        let failed_connect = ids.iter().any(|&i| self.socks[i].state == State::Failed && !self.socks[i].reset);
        if p.winsock && failed_connect {
            // Only where it applies: a socket whose connect failed is among the answers.
            out = out.note(
                "a failed connect reads POLLHUP|POLLERR|POLLWRNORM as of Windows 10 version 2004 (WSAPoll \
                 reference page); earlier versions reported nothing for it",
            );
        }
        out
    }

    /// args2: WSAPoll / poll(2) with a NULL array of `n` entries (rule poll.null-array). Winsock
    /// refuses it: no entries WSAEINVAL, some WSAEFAULT (Wine sock.c test_WSAPoll, plain checks);
    /// linux reads no entry when there are none (poll waits out its timeout and answers 0), and
    /// EFAULT when it has to copy them.
    pub(super) fn poll_null(&mut self, n: u32, timeout: Option<Duration>, facts: &dyn Facts) -> Out {
        let p = self.p;
        if p.winsock && !p.ws2 {
            return self.na_ws2("WSAPoll");
        }
        if p.winsock {
            return Out::err(r::POLL_NULL, if n == 0 { Code::WSAEINVAL } else { Code::WSAEFAULT });
        }
        if n > 0 {
            return Out::err(r::POLL_NULL, Code::EFAULT);
        }
        let _ = self.block_until(timeout.unwrap_or(BLOCK_LIMIT), facts, |_| false);
        let out = Out { ret: Ret::Int(0), ..Out::ok(r::POLL_NULL) };
        if timeout.is_none() {
            return out
                .note("no descriptors and no timeout: a real poll would wait forever (a day of virtual time here)");
        }
        out
    }

    /// args3: WSAPoll / poll(2) with a descriptor and a request mask per entry (rule poll.fds).
    /// An entry is a live socket, an ignored negative descriptor, or an invalid one (a garbage
    /// `#N`, a closed socket). linux: a negative fd reads 0, an invalid one POLLNVAL, counted,
    /// and no mask is refused beyond poll.events' rules (there are none). Winsock (the
    /// reference page): a negative fd is ignored (revents 0), an invalid one reads POLLNVAL, and
    /// an array with no valid socket fails WSAEINVAL. windows (Wine sock.c test_WSAPoll, the
    /// four checks after "When no events are pending"): -1 reads POLLNVAL too, its mask
    /// unchecked; an invalid entry's POLLERR fails the call WSAEINVAL; no valid socket at all
    /// is WSAENOTSOCK; invalid entries are not counted in the answer.
    pub(super) fn poll_fds(&mut self, fds: &[PollFd], timeout: Option<Duration>, facts: &dyn Facts) -> Out {
        let p = self.p;
        if p.winsock && !p.ws2 {
            return self.na_ws2("WSAPoll");
        }
        let windows = p.id == PersonalityId::Windows;
        // Some(i): a live socket; None: invalid (POLLNVAL) or, when negative, ignored.
        let mut entries: Vec<(String, Option<usize>, bool, PollBits)> = Vec::new();
        for f in fds {
            let negative = matches!(f.sock, SockRef::Raw(v) if v < 0);
            let id = match &f.sock {
                SockRef::Raw(_) => None,
                SockRef::Name(n) if self.pipes.contains_key(n.as_str()) => {
                    return Out::err(r::NOT_SOCKET, p.pick(Code::ENOTSOCK, Code::WSAENOTSOCK));
                }
                r => self.sock(r).ok(),
            };
            entries.push((f.sock.to_string(), id, negative, f.events));
        }
        if p.winsock {
            if entries.iter().all(|e| e.1.is_none()) {
                return Out::err(r::POLL_FDS, if windows { Code::WSAENOTSOCK } else { Code::WSAEINVAL });
            }
            // The mask of every entry but a negative one is checked (a negative one is skipped).
            for e in &entries {
                if !e.2 && self.poll_mask_invalid(Some(e.3)).is_some() {
                    return Out::err(r::POLL_FDS, Code::WSAEINVAL);
                }
            }
        }
        let nval = |e: &(String, Option<usize>, bool, PollBits)| -> PollBits {
            match (e.1, e.2) {
                (Some(_), _) => PollBits::default(),
                (None, true) if !windows => PollBits::default(),
                (None, _) => PollBits::NVAL,
            }
        };
        let ids: Vec<(usize, PollBits)> = entries.iter().filter_map(|e| e.1.map(|i| (i, e.3))).collect();
        // linux counts a POLLNVAL entry, so poll answers at once; Winsock does not count it.
        let at_once = !p.winsock && entries.iter().any(|e| !nval(e).is_empty());
        let ready = |h: &Host| at_once || ids.iter().any(|&(i, m)| !h.poll_masked(i, m).is_empty());
        let met = self.block_until(timeout.unwrap_or(BLOCK_LIMIT), facts, ready);
        let revents: Vec<(String, PollBits)> =
            entries.iter().map(|e| (e.0.clone(), e.1.map_or_else(|| nval(e), |i| self.poll_masked(i, e.3)))).collect();
        let counted =
            |e: &(String, Option<usize>, bool, PollBits), b: &PollBits| e.1.is_some() || !p.winsock && !b.is_empty();
        let n = entries.iter().zip(&revents).filter(|(e, (_, b))| !b.is_empty() && counted(e, b)).count() as i64;
        let mut out = Out { ret: Ret::Int(n), ..Out::val(r::POLL_FDS, Value::Poll { revents }) };
        if !met && timeout.is_none() {
            out = out.note("nothing became ready within a day of virtual time: a real poll would still be waiting");
        }
        out
    }

    /// epoll on Linux: the same readiness as poll for these sockets (level-triggered), with
    /// the EPOLL names; Winsock has none.
    pub(super) fn epoll(&mut self, refs: &[SockRef], timeout: Option<Duration>, facts: &dyn Facts) -> Out {
        if self.p.winsock {
            return Out::na(
                r::EPOLL,
                "Winsock has no epoll; the closest are WSAPoll, WSAEventSelect and I/O completion ports",
            );
        }
        let out = self.poll(refs, timeout, None, facts);
        let value = match out.value {
            Value::Poll { revents } => Value::Epoll { events: revents },
            v => v,
        };
        Out { rule: r::EPOLL, value, note: None, ..out }
    }
}

// ---- winapi-args: select's timeval after the call ----
/// What the `timeout` structure holds when select returns. linux writes back the time not slept
/// (select(2), NOTES; tests/live_args.rs select_writes_back_the_time_not_slept); Winsock's
/// select takes a `const TIMEVAL *` and leaves it as given (Wine test_select: "select timeout
/// should not have changed").
fn select_timeout_after(winsock: bool, timeout: Duration, waited: Duration) -> String {
    if winsock {
        format!("timeout after the call: unchanged, {} ms (Winsock does not write it)", timeout.as_millis())
    } else {
        let left = timeout.saturating_sub(waited);
        format!("timeout after the call: {} ms, the time not slept (linux writes it back)", left.as_millis())
    }
}

// ---- winapi-args: poll's request mask (`events=`) ----
impl Host {
    /// Winsock: WSAPoll accepts only POLLRDNORM, POLLRDBAND and POLLWRNORM (POLLIN and POLLOUT
    /// are made of them) in `events`; any other bit, POLLPRI, POLLWRBAND, POLLERR, POLLHUP and
    /// POLLNVAL included, fails the call with WSAEINVAL (Wine test_WSAPoll, invalid_flags).
    /// poll(2) takes any mask.
    fn poll_mask_invalid(&self, events: Option<PollBits>) -> Option<Out> {
        let m = events?;
        let allowed = PollBits::IN | PollBits::OUT | PollBits::RDNORM | PollBits::RDBAND | PollBits::WRNORM;
        if self.p.winsock && m.0 & !allowed.0 != 0 {
            return Some(Out::err(r::POLL_EVENTS, Code::WSAEINVAL));
        }
        None
    }

    /// The `revents` of socket `i` for the request mask `m`. linux: the readiness bits with
    /// the bits the kernel sets beside them (POLLRDNORM with POLLIN, POLLWRNORM with POLLOUT,
    /// and POLLWRBAND for UDP), kept where asked, POLLERR, POLLHUP and POLLNVAL always (poll(2)).
    /// Winsock: POLLRDNORM reported when POLLRDNORM (or POLLIN) is asked, POLLWRNORM when
    /// POLLWRNORM (or POLLOUT) is, POLLERR, POLLHUP and POLLNVAL always (WSAPoll reference
    /// page; Wine test_WSAPoll: a listener with a connection waiting asked POLLRDBAND|POLLWRNORM
    /// answers 0, a peer's close asked 0 answers POLLHUP).
    pub(super) fn poll_masked(&self, i: usize, m: PollBits) -> PollBits {
        let b = self.poll_bits(i);
        let always = PollBits::ERR | PollBits::HUP | PollBits::NVAL;
        if self.p.winsock {
            let mut keep = always;
            if m.contains(PollBits::IN) || m.contains(PollBits::RDNORM) {
                keep = keep | PollBits::IN;
            }
            if m.contains(PollBits::OUT) || m.contains(PollBits::WRNORM) {
                keep = keep | PollBits::OUT;
            }
            return PollBits(b.0 & keep.0);
        }
        let mut full = b;
        if b.contains(PollBits::IN) {
            full = full | PollBits::RDNORM;
        }
        if b.contains(PollBits::OUT) {
            full = full | PollBits::WRNORM;
            if self.socks[i].proto == Proto::Udp {
                full = full | PollBits::WRBAND;
            }
        }
        PollBits(full.0 & (m | always).0)
    }
}
// ---- end winapi-args ----
