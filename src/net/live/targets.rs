//! socklab's own lab network on loopback: targets started on demand, each at its real address.
//!
//! | target     | what it is                                                                  |
//! |------------|-----------------------------------------------------------------------------|
//! | `@accept`  | TCP listener that accepts and keeps the accepted sockets open (bounded)      |
//! | `@refuse`  | a closed TCP port: bound, never listening, kept bound so nobody else takes it |
//! | `@pending` | `listen(0)` plus one connection left unaccepted: the accept queue is full, so |
//! |            | SYNs are dropped and a connect stays pending (SYN_SENT) until it times out    |
//! |            | (LINUX_TRUTH 4a; ~127 s by default, see `TCP_SYNCNT`/`TCP_USER_TIMEOUT`)      |
//! | `@slow`    | the same full queue, opened on request: see below                           |
//! | `@reset`   | accepts, then closes with `SO_LINGER{on, 0}`: the client sees RST            |
//! | `@echo`    | UDP, sends every datagram back to its sender                                 |
//! | `@sink`    | UDP, receives and counts, never replies                                      |
//!
//! # `@slow`: the real delay
//!
//! `@slow` keeps its accept queue full, like `@pending`, so a client's SYN is dropped. A client
//! cannot be seen while its SYNs are being dropped, so the gate is opened on request:
//! [`Targets::arm_slow`] (call it right before connecting) makes the target accept the queued
//! connection `slow_delay` later, which frees the one place in the queue. The client's connect
//! then completes at its **next SYN retransmission** after that moment, not at `slow_delay`
//! itself: Linux retransmits a SYN 1 s, 3 s, 7 s, 15 s ... after the first one, so with the
//! default `slow_delay` of 500 ms the connect completes about **1 s** after it started (and with
//! a delay between 1 s and 3 s, at about 3 s). The client's connection then fills the queue
//! again, closing the gate for the next client. If no client comes within `slow_window` after
//! the gate opened, the target closes it again with a fresh filler connection. Without an arm,
//! `@slow` behaves like `@pending`.
//!
//! # Threads, not tokio
//!
//! Each target runs on its own std thread with a poll(2) loop. A target must decide exactly
//! when (and whether) `accept` is called, since `@pending` and `@slow` are made of *not*
//! accepting, and must use the raw layer (`listen(0)`, `SO_LINGER{on,0}`); a tokio listener
//! would accept on its own schedule. Threads also work the same whether or not the caller has a
//! tokio runtime (tests are synchronous; the application has one), and stopping them is a
//! bounded join. Each loop sleeps in poll until a socket or its waker (a loopback UDP socket)
//! is ready, so idle targets use no CPU.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::clock::Stopwatch;
use super::raw::{Errno, Family, Kind, OptValue, RawSocket, SockAddrArg, SockOpt};
use super::readiness::{self, PollBits};

/// The names of socklab's targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetName {
    /// `@accept`
    Accept,
    /// `@refuse`
    Refuse,
    /// `@pending`
    Pending,
    /// `@slow`
    Slow,
    /// `@reset`
    Reset,
    /// `@echo`
    Echo,
    /// `@sink`
    Sink,
}

impl TargetName {
    /// Every target, in display order.
    pub const ALL: [Self; 7] =
        [Self::Accept, Self::Refuse, Self::Pending, Self::Slow, Self::Reset, Self::Echo, Self::Sink];

    /// The name with its `@` (`@accept`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "@accept",
            Self::Refuse => "@refuse",
            Self::Pending => "@pending",
            Self::Slow => "@slow",
            Self::Reset => "@reset",
            Self::Echo => "@echo",
            Self::Sink => "@sink",
        }
    }

    /// Parses `@accept` (or `accept`), case-insensitively.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let bare = s.strip_prefix('@').unwrap_or(s);
        Self::ALL.into_iter().find(|t| t.name()[1..].eq_ignore_ascii_case(bare))
    }

    /// TCP or UDP.
    #[must_use]
    pub fn kind(self) -> Kind {
        match self {
            Self::Accept | Self::Refuse | Self::Pending | Self::Slow | Self::Reset => Kind::Tcp,
            Self::Echo | Self::Sink => Kind::Udp,
        }
    }
}

impl fmt::Display for TargetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Knobs of the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetsConfig {
    /// `@accept` keeps at most this many accepted sockets open (the oldest is closed first).
    pub accept_keep: usize,
    /// `@slow`: time from [`Targets::arm_slow`] to opening the gate (see the module docs for
    /// the real delay a client sees).
    pub slow_delay: Duration,
    /// `@slow`: how long an opened gate waits for a client before it is closed again.
    pub slow_window: Duration,
    /// Prefer the lab ports 7001-7007 (as on the simulated network); off: any free port.
    pub lab_ports: bool,
}

impl Default for TargetsConfig {
    fn default() -> Self {
        Self {
            accept_keep: 1024,
            slow_delay: Duration::from_millis(500),
            slow_window: Duration::from_secs(10),
            lab_ports: true,
        }
    }
}

/// Counters kept by the targets.
#[derive(Debug, Default)]
struct Stats {
    accepted: AtomicU64,
    reset: AtomicU64,
    echoed: AtomicU64,
    sunk: AtomicU64,
    slow_completed: AtomicU64,
}

/// A snapshot of what the targets have done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetStats {
    /// Connections `@accept` accepted.
    pub accepted: u64,
    /// Connections `@reset` accepted and reset (counted just before the reset).
    pub reset: u64,
    /// Datagrams `@echo` sent back (counted just before sending).
    pub echoed: u64,
    /// Datagrams `@sink` received.
    pub sunk: u64,
    /// Client connections `@slow` let through.
    pub slow_completed: u64,
}

/// One started target.
#[derive(Debug)]
struct Running {
    addr: SocketAddr,
    /// Sockets owned without a thread (`@refuse`, `@pending`).
    _held: Vec<RawSocket>,
    worker: Option<Worker>,
}

#[derive(Debug)]
struct Worker {
    stop: Arc<AtomicBool>,
    waker: SocketAddr,
    done: Receiver<()>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Asks the worker to stop and waits at most `limit` for it.
    fn stop(self, limit: Duration) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(s) = RawSocket::udp(Family::V4) {
            let _ = s.send_to(b"stop", self.waker);
        }
        if self.done.recv_timeout(limit).is_ok() {
            let _ = self.handle.join();
        }
        // Otherwise the handle is dropped, which detaches the thread: bounded either way.
    }
}

/// socklab's targets on loopback. Each starts on first use; all stop when this is dropped.
#[derive(Debug)]
pub struct Targets {
    config: TargetsConfig,
    running: Mutex<HashMap<TargetName, Running>>,
    stats: Arc<Stats>,
    slow_arm: Mutex<Option<Sender<()>>>,
}

const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

fn any_port() -> SocketAddr {
    SocketAddr::from((LOOPBACK, 0))
}

/// Bind to the target's lab port (7001-7007, the same as on the simulated network, so scripts
/// mean the same thing on both) when it is free, else to any free port.
fn bind_lab(s: &RawSocket, port: Option<u16>) -> Result<(), Errno> {
    if let Some(p) = port {
        if s.bind(SocketAddr::from((LOOPBACK, p))).is_ok() {
            return Ok(());
        }
    }
    s.bind(any_port())
}

impl TargetName {
    /// The port this target prefers on 127.0.0.1 (the simulated network uses the same ones).
    #[must_use]
    pub fn lab_port(self) -> u16 {
        match self {
            Self::Accept => 7001,
            Self::Refuse => 7002,
            Self::Pending => 7003,
            Self::Slow => 7004,
            Self::Reset => 7005,
            Self::Echo => 7006,
            Self::Sink => 7007,
        }
    }
}

fn local(s: &RawSocket) -> Result<SocketAddr, Errno> {
    s.local_addr()?.inet().ok_or(Errno::EAFNOSUPPORT)
}

impl Targets {
    /// No target is started yet.
    #[must_use]
    pub fn new(config: TargetsConfig) -> Self {
        Self {
            config,
            running: Mutex::new(HashMap::new()),
            stats: Arc::new(Stats::default()),
            slow_arm: Mutex::new(None),
        }
    }

    /// All targets started at once.
    pub fn start_all(config: TargetsConfig) -> Result<Self, Errno> {
        let t = Self::new(config);
        for name in TargetName::ALL {
            t.start(name)?;
        }
        Ok(t)
    }

    /// The knobs in force.
    #[must_use]
    pub fn config(&self) -> TargetsConfig {
        self.config
    }

    /// Starts a target (if it is not running yet) and returns its address. Failures are the
    /// kernel's answers (for example `EMFILE`).
    pub fn start(&self, name: TargetName) -> Result<SocketAddr, Errno> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(r) = running.get(&name) {
            return Ok(r.addr);
        }
        let port = self.config.lab_ports.then(|| name.lab_port());
        let r = match name {
            TargetName::Accept => self.start_accept(port)?,
            TargetName::Refuse => start_refuse(port)?,
            TargetName::Pending => start_pending(port)?,
            TargetName::Slow => self.start_slow(port)?,
            TargetName::Reset => self.start_reset(port)?,
            TargetName::Echo => self.start_echo(port)?,
            TargetName::Sink => self.start_sink(port)?,
        };
        let addr = r.addr;
        running.insert(name, r);
        Ok(addr)
    }

    /// The address of a target by name (`@accept` or `accept`), starting it on first use.
    /// `None` for an unknown name or when it could not be started (see [`Targets::start`]
    /// for the reason).
    #[must_use]
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.start(TargetName::parse(name)?).ok()
    }

    /// The targets running now, with their addresses.
    #[must_use]
    pub fn running(&self) -> Vec<(TargetName, SocketAddr)> {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<_> = running.iter().map(|(n, r)| (*n, r.addr)).collect();
        v.sort();
        v
    }

    /// `@slow`: open the gate `slow_delay` from now (starting the target if needed). Call it
    /// right before connecting to `@slow`.
    pub fn arm_slow(&self) -> Result<(), Errno> {
        self.start(TargetName::Slow)?;
        // Lock order: `running` before `slow_arm`, as in `start`; never both at once here.
        let waker = {
            let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
            running.get(&TargetName::Slow).and_then(|r| r.worker.as_ref()).map(|w| w.waker)
        };
        let tx = self.slow_arm.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let (Some(tx), Some(waker)) = (tx, waker) {
            let _ = tx.send(());
            let s = RawSocket::udp(Family::V4)?;
            s.send_to(b"arm", waker)?;
        }
        Ok(())
    }

    /// What the targets have done so far.
    #[must_use]
    pub fn stats(&self) -> TargetStats {
        let s = &self.stats;
        TargetStats {
            accepted: s.accepted.load(Ordering::SeqCst),
            reset: s.reset.load(Ordering::SeqCst),
            echoed: s.echoed.load(Ordering::SeqCst),
            sunk: s.sunk.load(Ordering::SeqCst),
            slow_completed: s.slow_completed.load(Ordering::SeqCst),
        }
    }

    /// Stops every target (bounded: at most ~1 s per target thread).
    pub fn stop_all(&self) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, r) in running.drain() {
            if let Some(w) = r.worker {
                w.stop(Duration::from_secs(1));
            }
        }
    }

    fn start_accept(&self, port: Option<u16>) -> Result<Running, Errno> {
        let l = listener(4096, port)?;
        let addr = local(&l)?;
        let keep = self.config.accept_keep.max(1);
        let stats = Arc::clone(&self.stats);
        let mut held: VecDeque<RawSocket> = VecDeque::new();
        let worker = spawn_worker("accept", vec![l], move |socks, _| {
            let mut took = 0;
            for _ in 0..ACCEPT_BATCH {
                match socks[0].accept() {
                    Ok((s, _)) => {
                        took += 1;
                        stats.accepted.fetch_add(1, Ordering::SeqCst);
                        held.push_back(s);
                        if held.len() > keep {
                            held.pop_front();
                        }
                    }
                    Err(_) => break,
                }
            }
            // A client's handshake completes in the kernel whether or not we have accepted yet:
            // letting a burst queue up for a moment costs nobody an answer, and spares a
            // wake-up (and the caller's core) per connection.
            if took > 0 {
                std::thread::sleep(ACCEPT_PAUSE);
            }
        })?;
        Ok(Running { addr, _held: Vec::new(), worker: Some(worker) })
    }

    fn start_reset(&self, port: Option<u16>) -> Result<Running, Errno> {
        let l = listener(128, port)?;
        let addr = local(&l)?;
        let stats = Arc::clone(&self.stats);
        let worker = spawn_worker("reset", vec![l], move |socks, _| {
            for _ in 0..64 {
                match socks[0].accept() {
                    Ok((s, _)) => {
                        // Counted before the effect, so a client that saw the RST sees the count.
                        stats.reset.fetch_add(1, Ordering::SeqCst);
                        let linger = OptValue::Linger { on: true, secs: 0 };
                        let _ = s.setsockopt(SockOpt::Linger, linger);
                        let _ = s.close();
                    }
                    Err(_) => break,
                }
            }
        })?;
        Ok(Running { addr, _held: Vec::new(), worker: Some(worker) })
    }

    fn start_echo(&self, port: Option<u16>) -> Result<Running, Errno> {
        let u = udp_bound(port)?;
        let addr = local(&u)?;
        let stats = Arc::clone(&self.stats);
        let worker = spawn_worker("echo", vec![u], move |socks, _| {
            let mut buf = [0u8; 65536];
            for _ in 0..64 {
                match socks[0].recv_from(&mut buf, Duration::ZERO) {
                    Ok((n, from)) => {
                        if let Some(to) = from.inet() {
                            // Counted before the effect, so a client that got its echo sees it.
                            stats.echoed.fetch_add(1, Ordering::SeqCst);
                            if socks[0].send_to(&buf[..n], to).is_err() {
                                stats.echoed.fetch_sub(1, Ordering::SeqCst);
                            }
                        }
                    }
                    Err(e) if e == Errno::EAGAIN => break,
                    // An ICMP error reported on the echo socket: consumed, keep going.
                    Err(_) => {}
                }
            }
        })?;
        Ok(Running { addr, _held: Vec::new(), worker: Some(worker) })
    }

    fn start_sink(&self, port: Option<u16>) -> Result<Running, Errno> {
        let u = udp_bound(port)?;
        let addr = local(&u)?;
        let stats = Arc::clone(&self.stats);
        let worker = spawn_worker("sink", vec![u], move |socks, _| {
            let mut buf = [0u8; 65536];
            for _ in 0..64 {
                match socks[0].recv_from(&mut buf, Duration::ZERO) {
                    Ok(_) => {
                        stats.sunk.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) if e == Errno::EAGAIN => break,
                    Err(_) => {}
                }
            }
        })?;
        Ok(Running { addr, _held: Vec::new(), worker: Some(worker) })
    }

    fn start_slow(&self, port: Option<u16>) -> Result<Running, Errno> {
        let l = listener(0, port)?;
        let addr = local(&l)?;
        let filler = fill_queue(addr)?;
        let (tx, rx) = mpsc::channel::<()>();
        *self.slow_arm.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx);
        let stats = Arc::clone(&self.stats);
        let mut slow = SlowGate {
            listener: l,
            addr,
            filler: Some(filler),
            held: VecDeque::new(),
            arms: rx,
            opens_at: VecDeque::new(),
            open_since: None,
            delay: self.config.slow_delay,
            window: self.config.slow_window,
            clock: Stopwatch::start(),
            stats,
        };
        let worker = spawn_slow(move |waker, stop| slow.run(waker, stop))?;
        Ok(Running { addr, _held: Vec::new(), worker: Some(worker) })
    }
}

impl Drop for Targets {
    fn drop(&mut self) {
        self.stop_all();
    }
}

fn listener(backlog: i32, port: Option<u16>) -> Result<RawSocket, Errno> {
    let l = RawSocket::tcp(Family::V4)?;
    // A listener may take its lab port back despite connections still in TIME_WAIT; Linux
    // never lets two listeners share a port through SO_REUSEADDR alone.
    l.set_int(SockOpt::ReuseAddr, 1)?;
    bind_lab(&l, port)?;
    if let Err(e) = l.listen(backlog) {
        // Two socklabs starting at once can both bind a free lab port (SO_REUSEADDR allows it
        // while neither listens); the second to listen loses it: take any free port instead.
        if port.is_some() && e == Errno::EADDRINUSE {
            return listener(backlog, None);
        }
        return Err(e);
    }
    l.set_nonblocking(true)?;
    Ok(l)
}

fn udp_bound(port: Option<u16>) -> Result<RawSocket, Errno> {
    let u = RawSocket::udp(Family::V4)?;
    bind_lab(&u, port)?;
    u.set_nonblocking(true)?;
    Ok(u)
}

fn start_refuse(port: Option<u16>) -> Result<Running, Errno> {
    let s = RawSocket::tcp(Family::V4)?;
    bind_lab(&s, port)?;
    let addr = local(&s)?;
    Ok(Running { addr, _held: vec![s], worker: None })
}

fn start_pending(port: Option<u16>) -> Result<Running, Errno> {
    let l = listener(0, port)?;
    let addr = local(&l)?;
    let filler = fill_queue(addr)?;
    Ok(Running { addr, _held: vec![l, filler], worker: None })
}

/// A connection left unaccepted in a `listen(0)` queue: the queue is then full and further
/// SYNs are dropped (LINUX_TRUTH 4a).
fn fill_queue(addr: SocketAddr) -> Result<RawSocket, Errno> {
    let f = RawSocket::tcp(Family::V4)?;
    f.connect(&SockAddrArg::Inet(addr))?;
    Ok(f)
}

/// Runs `on_ready(sockets, stop)` each time one of `sockets` is readable, until stopped.
/// `@accept` takes at most this many connections per wake-up...
const ACCEPT_BATCH: usize = 256;
/// ...then lets the queue fill this long (its backlog is 4096; loopback connects come at most
/// a few per 10 µs).
const ACCEPT_PAUSE: Duration = Duration::from_millis(1);

fn spawn_worker(
    name: &str,
    sockets: Vec<RawSocket>,
    mut on_ready: impl FnMut(&[RawSocket], &AtomicBool) + Send + 'static,
) -> Result<Worker, Errno> {
    spawn_loop(name, move |waker, stop| {
        let mut fds: Vec<_> = sockets.iter().map(|s| (s.fd(), PollBits::IN)).collect();
        fds.push((waker.fd(), PollBits::IN));
        while !stop.load(Ordering::SeqCst) {
            let Ok(ready) = readiness::poll(&fds, 1000) else {
                break;
            };
            // Only a stop wakes the waker: reading it after every accept cost a call each.
            if ready.last().is_some_and(|b| !b.is_empty()) {
                drain_waker(waker);
            }
            if ready[..sockets.len()].iter().any(|b| !b.is_empty()) {
                on_ready(&sockets, stop);
            }
        }
    })
}

fn spawn_slow(body: impl FnOnce(&RawSocket, &AtomicBool) + Send + 'static) -> Result<Worker, Errno> {
    spawn_loop("slow", body)
}

fn spawn_loop(name: &str, body: impl FnOnce(&RawSocket, &AtomicBool) + Send + 'static) -> Result<Worker, Errno> {
    let waker = udp_bound(None)?;
    let waker_addr = local(&waker)?;
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done) = mpsc::channel();
    let stop2 = Arc::clone(&stop);
    let handle = std::thread::Builder::new()
        .name(format!("socklab-target-{name}"))
        .spawn(move || {
            body(&waker, &stop2);
            let _ = done_tx.send(());
        })
        .map_err(|e| Errno::from_io(&e))?;
    Ok(Worker { stop, waker: waker_addr, done, handle })
}

fn drain_waker(waker: &RawSocket) {
    let mut buf = [0u8; 16];
    for _ in 0..64 {
        if waker.recv_from(&mut buf, Duration::ZERO).is_err() {
            break;
        }
    }
}

/// The `@slow` worker's state (see the module docs).
struct SlowGate {
    listener: RawSocket,
    addr: SocketAddr,
    /// Our own connection filling the queue, while there is one.
    filler: Option<RawSocket>,
    /// Client connections let through, kept open (bounded).
    held: VecDeque<RawSocket>,
    arms: Receiver<()>,
    /// When (on `clock`) to open the gate, one entry per arm.
    opens_at: VecDeque<Duration>,
    /// When the gate was opened, while it is open (the queue has room).
    open_since: Option<Duration>,
    delay: Duration,
    window: Duration,
    clock: Stopwatch,
    stats: Arc<Stats>,
}

impl SlowGate {
    fn run(&mut self, waker: &RawSocket, stop: &AtomicBool) {
        while !stop.load(Ordering::SeqCst) {
            while self.arms.try_recv().is_ok() {
                self.opens_at.push_back(self.clock.elapsed() + self.delay);
            }
            let now = self.clock.elapsed();
            // Sleep until the next opening, the end of the open window, or 1 s.
            let mut wake = Duration::from_secs(1);
            if let Some(&at) = self.opens_at.front() {
                wake = wake.min(at.saturating_sub(now));
            }
            if let Some(since) = self.open_since {
                wake = wake.min((since + self.window).saturating_sub(now));
            }
            let mut fds = vec![(waker.fd(), PollBits::IN)];
            if self.open_since.is_some() {
                // Only while the gate is open: a connection arriving then closes it.
                fds.push((self.listener.fd(), PollBits::IN));
            }
            let ms = u32::try_from(wake.as_millis()).unwrap_or(1000);
            let Ok(ready) = readiness::poll(&fds, ms) else {
                break;
            };
            drain_waker(waker);
            if ready.get(1).is_some_and(|b| !b.is_empty()) {
                // A client's SYN got through: its connection now fills the queue.
                self.open_since = None;
                self.stats.slow_completed.fetch_add(1, Ordering::SeqCst);
            }
            let now = self.clock.elapsed();
            if self.opens_at.front().is_some_and(|&at| at <= now) {
                self.opens_at.pop_front();
                self.open(now);
            }
            if self.open_since.is_some_and(|since| now >= since + self.window) {
                self.close_gate();
            }
        }
    }

    /// Accepts the one queued connection (ours or a client's), which frees the queue.
    fn open(&mut self, now: Duration) {
        if self.open_since.is_some() {
            return;
        }
        if let Ok((s, _)) = self.listener.accept() {
            self.held.push_back(s);
            if self.held.len() > 64 {
                self.held.pop_front();
            }
        }
        // Our filler's server side was just accepted (or a client's): drop our client end.
        self.filler = None;
        self.open_since = Some(now);
    }

    /// Nobody came: fill the queue again with a connection of our own.
    fn close_gate(&mut self) {
        self.open_since = None;
        self.filler = fill_queue(self.addr).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync>() {}

    #[test]
    fn targets_and_sockets_can_be_shared_between_threads() {
        shareable::<Targets>();
        shareable::<RawSocket>();
    }

    #[test]
    fn nothing_runs_until_asked_for() {
        let t = Targets::new(TargetsConfig::default());
        assert!(t.running().is_empty());
        assert_eq!(t.stats(), TargetStats::default());
        assert_eq!(t.config(), TargetsConfig::default());
    }
}
