//! Live steps that wait for the kernel: a blocking connect to `@pending`, a `select` with a long
//! timeout, `wait NAME failed`. The app never blocks: it lends the lab's kernel to the terminal
//! layer ([`Effect::RunJob`], [`App::take_job`]), shows the step at once in the log with a
//! running clock ([`Msg::JobClock`]), keeps every view usable, and completes the step when the
//! kernel answers ([`App::kernel_done`]). Esc gives up ([`Effect::Interrupt`]): the terminal
//! layer cuts the call short from another thread. A blocked connect: another thread shuts its
//! socket down (which wakes it on Linux) and closes it (which wakes it on Windows, WSAEINTR);
//! the log and a recording get those two calls as `after MS ...` rows before the connect, and
//! every personality answers them ([`App::answer_given_up`]). Another call on one socket: that
//! socket is shut down, then closed everywhere. A wait or a select: socklab stops waiting (the
//! Winsock agent's select, WSAPoll or GetQueuedCompletionStatus is woken by a socket or a
//! completion packet of its own, and answered as given up).

use std::time::Duration;

use super::lang::parse_line;
use crate::core::call::{Call, SockRef};
use crate::core::model::{Ret, Value};
use crate::script::ast::{Stmt, StmtKind};
use crate::session::lab::{Interrupt, Kernel, KernelAnswer, KernelDone, KernelJob};

#[allow(unused_imports)]
use super::Msg;
use super::{App, Effect, Level};

/// The step waiting for the kernel.
#[derive(Debug)]
pub struct Pending {
    pub stmt: Stmt,
    pub from_key: bool,
    /// Real time it has waited so far (from [`Msg::JobClock`]).
    pub elapsed: Duration,
    /// The user gave up: what socklab did about it.
    pub gave_up: Option<String>,
    /// The status line once this step completes (the account of a give-up, kept over the
    /// `closesocket` that follows it).
    pub status_after: Option<String>,
}

/// The kernel lent for a job, until the terminal layer takes it.
pub struct Lent(pub KernelJob, pub Box<dyn Kernel>);

impl std::fmt::Debug for Lent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Lent").field(&self.0).finish_non_exhaustive()
    }
}

/// What the log shows of the pending step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingView {
    pub line_no: usize,
    pub text: String,
    pub secs: u64,
    pub giving_up: bool,
}

impl App {
    /// Live: lend the kernel for `job` and show the step as pending. `false` on the simulated
    /// network (the caller runs the step at once).
    pub(super) fn start_job(&mut self, job: KernelJob, stmt: &Stmt, from_key: bool) -> bool {
        if !self.ws.lab.is_live() || self.replay.is_some() {
            return false;
        }
        let Some(k) = self.ws.lab.take_kernel() else { return false };
        self.job = Some(Lent(job, k));
        self.pending =
            Some(Pending { stmt: stmt.clone(), from_key, elapsed: Duration::ZERO, gave_up: None, status_after: None });
        self.effects.push(Effect::RunJob);
        self.set_status(
            format!(
                "{}: {} waits for the kernel (real time): Esc gives up on it, q quits; every view works meanwhile",
                stmt.span.line, stmt.text
            ),
            Level::Info,
        );
        true
    }

    /// The step waiting for the kernel, if any.
    pub fn pending(&self) -> Option<PendingView> {
        self.pending.as_ref().map(|p| PendingView {
            line_no: p.stmt.span.line,
            text: p.stmt.text.clone(),
            secs: p.elapsed.as_secs(),
            giving_up: p.gave_up.is_some(),
        })
    }

    /// The terminal layer takes the kernel and its job (after [`Effect::RunJob`]), with the
    /// handle that can cut it short.
    #[allow(clippy::type_complexity)]
    pub fn take_job(&mut self) -> Option<(KernelJob, Box<dyn Kernel>, Option<Box<dyn Interrupt>>)> {
        let Lent(job, k) = self.job.take()?;
        let stop = k.interrupter(&job);
        Some((job, k, stop))
    }

    /// Run a taken job here, blocking (tests, and callers without a worker).
    pub fn run_job_here(&mut self) -> Vec<Effect> {
        let Some((job, mut k, _)) = self.take_job() else { return Vec::new() };
        let done = job.run(&mut *k);
        self.kernel_done(k, done)
    }

    pub(super) fn job_clock(&mut self, d: Duration) -> bool {
        let Some(p) = self.pending.as_mut() else { return false };
        let before = p.elapsed.as_secs();
        p.elapsed = d;
        // First tick (the step has lasted long enough to be drawn), then once a second.
        before != d.as_secs() || d < Duration::from_secs(1)
    }

    /// Esc while a step blocks.
    pub(super) fn give_up(&mut self) -> bool {
        let Some(p) = self.pending.as_mut() else { return false };
        if p.gave_up.is_some() {
            return false;
        }
        p.gave_up = Some(String::new());
        let text = format!("giving up on `{}`…", p.stmt.text);
        self.effects.push(Effect::Interrupt);
        self.set_status(text, Level::Warn);
        true
    }

    /// The terminal layer cut the step short and says how.
    pub fn interrupted(&mut self, what: String) {
        if let Some(p) = self.pending.as_mut() {
            p.gave_up = Some(what);
        }
    }

    /// The kernel answered the pending step: complete it as if it had run at once.
    pub fn kernel_done(&mut self, k: Box<dyn Kernel>, done: KernelDone) -> Vec<Effect> {
        self.ws.lab.put_kernel(k);
        let Some(p) = self.pending.take() else { return vec![Effect::Redraw] };
        let secs = p.elapsed.as_secs_f64();
        let sock = match &p.stmt.kind {
            StmtKind::Call(c) if !matches!(c, Call::Select { .. } | Call::Poll { .. } | Call::Epoll { .. }) => {
                match c.sock() {
                    Some(SockRef::Name(n)) => Some(n.clone()),
                    _ => None,
                }
            }
            _ => None,
        };
        let kernel_said = match &done {
            KernelDone::Call(crate::session::lab::KernelAnswer::Performed { error, .. }) => {
                Some(error.map(|e| e.to_string()).unwrap_or_else(|| "success".into()))
            }
            _ => None,
        };
        let text = p.stmt.text.clone();
        // A blocking connect, recv or accept given up by shutting its socket down from the
        // side: the other thread's acts go in the log and the recording before the call, and
        // every personality answers them as its platform does. A connect's socket is closed
        // by that thread too; a recv's or an accept's by socklab afterwards.
        let side = match (&p.gave_up, &p.stmt.kind, &sock) {
            (Some(what), StmtKind::Call(c), Some(s))
                if what.starts_with("shut ")
                    && matches!(
                        c,
                        Call::Connect { .. }
                            | Call::Recv { .. }
                            | Call::RecvFrom { .. }
                            | Call::WsaRecvFrom { null_overlapped: true, .. }
                            | Call::Accept { .. }
                    ) =>
            {
                Some((s.clone(), matches!(c, Call::Connect { .. })))
            }
            _ => None,
        };
        let status_after = p.status_after.clone();
        let gave_up = p.gave_up.clone();
        match &side {
            Some((s, closes)) => self.answer_given_up(p, s, *closes, done),
            None => self.run_stmt(p.stmt, p.from_key, Some(done)),
        }
        if let Some(m) = status_after {
            self.set_status(m, Level::Warn);
        }
        if let Some(what) = gave_up {
            let mut msg = format!("gave up on `{text}` after {secs:.1} s: {what}");
            if let Some(k) = kernel_said.as_ref().filter(|_| side.is_none()) {
                msg.push_str(&format!("; the kernel's call answered {k}"));
            }
            if let Some(e) = self.ws.log.iter_mut().rev().find(|e| e.text == text) {
                e.gave_up = Some(msg.clone());
            }
            match (&side, sock) {
                (Some((s, true)), _) => msg.push_str(&format!(
                    ". Another thread shut {s} down, then closed it: linux's connect wakes at the shutdown \
                     (a close alone would not wake it), Winsock's at the close with WSAEINTR; later calls on {s} \
                     answer EBADF / WSAENOTSOCK; e explains"
                )),
                (Some((s, false)), _) => {
                    msg.push_str(&format!(
                        ". Another thread shut {s} down: linux wakes a recv with 0 and a listener's accept with EINVAL; \
                         Winsock answers the recv WSAESHUTDOWN and cannot shut a listener down. Then socklab closed {s} \
                         everywhere; e explains"
                    ));
                    self.run_line(&format!("closesocket {s}"), true);
                }
                (None, Some(s)) if what.contains("shut") => {
                    msg.push_str(&format!(
                        ". Then socklab closed {s} everywhere: on Windows a call blocked in another thread fails \
                         with WSAEINTR (10004) when its socket is closed; later calls on {s} answer WSAENOTSOCK / EBADF"
                    ));
                    self.run_line(&format!("closesocket {s}"), true);
                }
                _ => msg.push_str(". The models answered the step run to its end; e explains"),
            }
            match self.pending.as_mut() {
                // The closesocket waits for the kernel in turn: the account stays until it is done.
                Some(next) => next.status_after = Some(msg),
                None => self.set_status(msg, Level::Warn),
            }
        }
        let mut fx = vec![Effect::Redraw];
        fx.append(&mut self.effects);
        if self.quit {
            fx.push(Effect::Quit);
        }
        fx
    }
    /// The rows of a call given up with Esc: `after T shutdown S both` and, for a connect
    /// (`closes`), `after T closesocket S` (T: the real time it had waited), then the call
    /// itself, which each model answers with the other thread's calls made at T; the kernel's
    /// answer is what the real shutdown did. A model whose call had already ended by T (in its virtual time) gets
    /// a `wait` up to T, so the other thread's calls are made there too.
    fn answer_given_up(&mut self, p: Pending, s: &str, closes: bool, done: KernelDone) {
        let ms = p.elapsed.as_millis();
        // The kernel made both for real: the shutdown (it succeeded: the interrupter says so)
        // while the call blocked, the close once it had returned.
        let made = KernelAnswer::Performed {
            ret: Ret::Int(0),
            error: None,
            value: Value::None,
            elapsed: Duration::ZERO,
            tcp_state: None,
        };
        let mut lines = vec![format!("after {ms} shutdown {s} both")];
        if closes {
            lines.push(format!("after {ms} closesocket {s}"));
        }
        if let Some(mut k) = self.ws.lab.take_kernel() {
            // A recording files these answers under the rows, before the call's.
            k.file_first(vec![made.clone(); lines.len()]);
            self.ws.lab.put_kernel(k);
        }
        // Under a Winsock judge the agent's answer belongs to the call: its stdin thread made
        // the rows' calls as the kernel's side did, answering nothing itself (as for a script's
        // `after`).
        let agents = self.ws.lab.take_winsock_answer();
        let side_made = agents.as_ref().map(|_| KernelAnswer::NotPerformed {
            why: "the agent made the call from its other thread while the call blocked".into(),
        });
        for line in lines {
            let n = self.ws.log.len() + 1;
            self.ws.lab.put_winsock_answer(side_made.clone());
            match parse_line(&line, n, &mut self.ws.names) {
                Ok(Some(st)) => self.run_stmt(st, true, Some(KernelDone::Call(made.clone()))),
                _ => {
                    self.ws.lab.put_winsock_answer(agents);
                    return self.run_stmt(p.stmt, p.from_key, Some(done));
                }
            }
        }
        self.ws.lab.put_winsock_answer(agents);
        let mut stmt = p.stmt;
        stmt.span.line = self.ws.log.len() + 1;
        self.run_stmt(stmt, p.from_key, Some(done));
        let shortest = self
            .ws
            .log
            .last()
            .and_then(|e| match &e.body {
                super::Body::Call { records, .. } => records
                    .iter()
                    .filter_map(|r| if r.kernel.is_some() { r.model.as_ref() } else { Some(&r.answer) })
                    .map(|a| a.elapsed)
                    .min(),
                _ => None,
            })
            .unwrap_or(p.elapsed);
        if shortest.as_millis() < p.elapsed.as_millis() {
            let wait = p.elapsed.as_millis() - shortest.as_millis();
            let n = self.ws.log.len() + 1;
            if let Ok(Some(st)) = parse_line(&format!("wait {wait}"), n, &mut self.ws.names) {
                self.run_stmt(st, true, Some(KernelDone::Slept));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Body;
    use super::super::keys::{Action, Key, KeyCode};
    use super::super::{AppOptions, Msg, NetKind, Overlay};
    use super::*;
    use crate::core::codes::Code;
    use crate::core::personality::PersonalityId;
    use crate::session::lab::{KernelAnswer, Until};

    /// A kernel that answers every call at once; a connect answers ECONNRESET, as Linux does
    /// when its socket is shut down from the side during the handshake.
    struct Instant;

    struct Stop;

    impl Interrupt for Stop {
        fn interrupt(&self) -> String {
            "shut s down from another thread".into()
        }
    }

    impl Kernel for Instant {
        fn perform(&mut self, call: &Call) -> KernelAnswer {
            let error = matches!(call, Call::Connect { .. }).then_some(Code::ECONNRESET);
            let ret = match call {
                Call::Socket { .. } => Ret::Handle(Some(3)),
                _ if error.is_some() => Ret::Int(-1),
                _ => Ret::Int(0),
            };
            KernelAnswer::Performed { ret, error, value: Value::None, elapsed: Duration::ZERO, tcp_state: None }
        }
        fn sleep(&mut self, _d: Duration) {}
        fn wait_until(&mut self, _sock: &str, _until: Until, _limit: Duration) -> (bool, Duration) {
            (false, Duration::ZERO)
        }
        fn tcp_state(&self, _sock: &str) -> Option<String> {
            None
        }
        fn interrupter(&self, _job: &KernelJob) -> Option<Box<dyn Interrupt>> {
            Some(Box::new(Stop))
        }
    }

    /// A kernel that does not make connects (as for a destination beyond loopback).
    struct NotMade;

    impl Kernel for NotMade {
        fn perform(&mut self, call: &Call) -> KernelAnswer {
            match call {
                Call::Connect { .. } => KernelAnswer::NotPerformed { why: "outside loopback".into() },
                c => Instant.perform(c),
            }
        }
        fn sleep(&mut self, _d: Duration) {}
        fn wait_until(&mut self, _sock: &str, _until: Until, _limit: Duration) -> (bool, Duration) {
            (false, Duration::ZERO)
        }
        fn tcp_state(&self, _sock: &str) -> Option<String> {
            None
        }
    }

    /// Issue 12 item 3: a call not made for real says so in the log, the state panel's data
    /// and explain, instead of looking like the kernel's answer.
    #[test]
    fn a_call_not_made_is_marked_as_such() {
        let mut app =
            App::new(AppOptions { kernel: Some(Box::new(NotMade)), net: NetKind::Live, ..AppOptions::default() });
        for l in ["socket udp as u", "connect u 255.255.255.255:7006"] {
            app.update(Msg::Line(l.into()));
            app.run_job_here();
        }
        let e = &app.log()[1];
        let c = e.cell(0);
        assert!(c.short.starts_with('⊘') && c.full.contains("not made (outside loopback)"), "{c:?}");
        assert!(!e.cell(1).short.starts_with('⊘'), "only the kernel's column");
        let s = &app.sockets()[0];
        assert_eq!(app.not_made(s).as_deref(), Some("outside loopback"));
        let x = crate::app::explain::explain(&app, 1).unwrap();
        let all: Vec<&str> = x.sections.iter().flat_map(|s| s.lines.iter().map(|(_, t)| t.as_str())).collect();
        assert!(all.iter().any(|t| t.contains("not made for real: outside loopback")), "{all:?}");
    }

    /// A Winsock agent that answers at once: a connect WSAEINTR, as Windows does when another
    /// thread closes the socket; its interrupter says when Esc reached it.
    struct Agent(std::sync::Arc<std::sync::atomic::AtomicBool>);

    struct AgentStop(std::sync::Arc<std::sync::atomic::AtomicBool>);

    impl Interrupt for AgentStop {
        fn interrupt(&self) -> String {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            "shut s down from another thread, then closed it (Winsock agent)".into()
        }
    }

    impl Kernel for Agent {
        fn perform(&mut self, call: &Call) -> KernelAnswer {
            let error = matches!(call, Call::Connect { .. }).then_some(Code::WSAEINTR);
            let ret = match call {
                Call::Socket { .. } => Ret::Handle(Some(0x100)),
                _ if error.is_some() => Ret::Int(-1),
                _ => Ret::Int(0),
            };
            KernelAnswer::Performed { ret, error, value: Value::None, elapsed: Duration::ZERO, tcp_state: None }
        }
        fn sleep(&mut self, _d: Duration) {}
        fn wait_until(&mut self, _sock: &str, _until: Until, _limit: Duration) -> (bool, Duration) {
            (false, Duration::ZERO)
        }
        fn tcp_state(&self, _sock: &str) -> Option<String> {
            None
        }
        fn interrupter(&self, _job: &KernelJob) -> Option<Box<dyn Interrupt>> {
            Some(Box::new(AgentStop(self.0.clone())))
        }
    }

    /// Esc under a Winsock judge: the agent's side is interrupted too, and its answer judges
    /// the connect, not the give-up rows recorded before it (which its other thread made).
    #[test]
    fn esc_reaches_the_winsock_judge_and_its_answer_stays_with_the_connect() {
        let reached = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut app = App::new(AppOptions {
            kernel: Some(Box::new(Instant)),
            winsock_judge: Some(Box::new(Agent(reached.clone()))),
            net: NetKind::Live,
            ..AppOptions::default()
        });
        app.update(Msg::Line("socket tcp as s".into()));
        app.run_job_here();
        app.update(Msg::Line("connect s @pending".into()));
        app.update(Msg::JobClock(Duration::from_millis(1500)));
        let (job, k, stop) = app.take_job().expect("the connect waits for the kernel");
        let what = stop.expect("both sides can be given up").interrupt();
        assert!(what.starts_with("shut s down") && what.contains("Winsock agent"), "{what}");
        assert!(reached.load(std::sync::atomic::Ordering::SeqCst), "Esc reached the agent");
        app.interrupted(what);
        let mut k = k;
        let done = job.run(&mut *k);
        app.kernel_done(k, done);
        let log = app.log();
        let texts: Vec<&str> = log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            ["socket tcp as s", "after 1500 shutdown s both", "after 1500 closesocket s", "connect s @pending"],
        );
        let windows = |i: usize| {
            let Body::Call { records, .. } = &log[i].body else { panic!("a call row") };
            records.iter().find(|r| r.personality == PersonalityId::Windows).expect("a windows record").clone()
        };
        for i in [1, 2] {
            let r = windows(i);
            assert!(r.disagreement.is_none(), "{}: {:?}", log[i].text, r.disagreement);
            assert!(matches!(r.kernel, Some(KernelAnswer::NotPerformed { .. })), "{}: {:?}", log[i].text, r.kernel);
        }
        let r = windows(3);
        assert!(
            matches!(r.kernel, Some(KernelAnswer::Performed { error: Some(Code::WSAEINTR), .. })),
            "the agent's answer judges the connect: {:?}",
            r.kernel
        );
        assert!(r.disagreement.is_none(), "{:?}", r.disagreement);
    }

    /// Esc on a blocking recv: the shutdown from the side is a row before the recv, which each
    /// model answers as its platform does after it (scenario 44), then socklab closes the socket.
    #[test]
    fn esc_on_a_blocking_recv_records_the_shutdown_before_it() {
        let mut app = live();
        for l in ["socket tcp as c", "connect c @accept"] {
            app.update(Msg::Line(l.into()));
            app.run_job_here();
        }
        app.update(Msg::Line("recv c".into()));
        app.update(Msg::JobClock(Duration::from_millis(800)));
        app.interrupted("shut c down from another thread".into());
        app.run_job_here();
        app.run_job_here(); // the closesocket that follows
        let log = app.log();
        let texts: Vec<&str> = log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            ["socket tcp as c", "connect c @accept", "after 800 shutdown c both", "recv c", "closesocket c"]
        );
        let Body::Call { records, .. } = &log[3].body else { panic!("a call row") };
        let rec = |p: PersonalityId| records.iter().find(|r| r.personality == p).expect("a record");
        assert_eq!(rec(PersonalityId::Linux).answer.ret, Ret::Int(0), "linux: the end of the stream");
        assert_eq!(rec(PersonalityId::Winsock).answer.error, Some(Code::WSAESHUTDOWN));
        assert_eq!(rec(PersonalityId::Windows).answer.error, Some(Code::WSAESHUTDOWN));
        assert!(rec(PersonalityId::Linux).disagreement.is_none(), "{:?}", rec(PersonalityId::Linux).disagreement);
    }

    fn live() -> App {
        App::new(AppOptions { kernel: Some(Box::new(Instant)), net: NetKind::Live, ..AppOptions::default() })
    }

    #[test]
    fn a_live_step_is_pending_until_the_kernel_answers_and_the_app_stays_usable() {
        let mut app = live();
        let fx = app.update(Msg::Line("socket tcp as s".into()));
        assert!(fx.contains(&Effect::RunJob), "{fx:?}");
        assert_eq!(app.pending().map(|p| p.text), Some("socket tcp as s".to_string()));
        assert!(app.log().is_empty(), "the row is completed when the kernel answers");
        app.run_job_here();
        assert!(app.pending().is_none());
        assert_eq!(app.log().len(), 1);

        let fx = app.update(Msg::Line("connect s @pending".into()));
        assert!(fx.contains(&Effect::RunJob));
        app.update(Msg::JobClock(Duration::from_millis(3200)));
        assert_eq!(app.pending().map(|p| p.secs), Some(3));
        // Another line waits; the views work.
        app.update(Msg::Line("socket udp".into()));
        assert!(app.status().text.contains("still blocking"), "{}", app.status().text);
        app.update(Msg::Key(Action::Help));
        assert!(matches!(app.overlay(), Some(Overlay::Help { .. })));
        let esc = Key { code: KeyCode::Esc, ctrl: false, alt: false };
        app.update(Msg::Input(esc));
        assert!(app.overlay().is_none(), "Esc closes the overlay first");
        let fx = app.update(Msg::Input(esc));
        assert!(fx.contains(&Effect::Interrupt), "the next Esc gives up: {fx:?}");
        app.interrupted("shut s down from another thread".into());
        let fx = app.run_job_here();
        assert!(!fx.contains(&Effect::RunJob), "nothing more waits for the kernel: {fx:?}");
        // The other thread's acts come before the connect, each personality answering them.
        let log = app.log();
        let texts: Vec<&str> = log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            ["socket tcp as s", "after 3200 shutdown s both", "after 3200 closesocket s", "connect s @pending"],
        );
        assert_eq!(log.iter().map(|e| e.line_no).collect::<Vec<_>>(), [1, 2, 3, 4]);
        let connect = &log[3];
        assert!(connect.gave_up.as_deref().is_some_and(|g| g.contains("shut s down")), "{:?}", connect.gave_up);
        let Body::Call { records, .. } = &connect.body else { panic!("a call row") };
        let err = |p: PersonalityId| records.iter().find(|r| r.personality == p).and_then(|r| r.answer.error);
        // The kernel (this test's stands in for Linux's) and the linux model: ECONNRESET, as
        // the shutdown wakes it; Winsock 2: the close wakes it with WSAEINTR.
        assert_eq!(err(PersonalityId::Linux), Some(Code::ECONNRESET));
        assert_eq!(err(PersonalityId::Winsock), Some(Code::WSAEINTR));
        assert_eq!(err(PersonalityId::Windows), Some(Code::WSAEINTR));
        assert!(records.iter().all(|r| r.disagreement.is_none()), "the kernel agrees with the linux model");
        assert!(app.status().text.contains("gave up on `connect s @pending`"), "{}", app.status().text);
        assert!(app.status().text.contains("WSAEINTR"), "{}", app.status().text);
        // The socket is closed everywhere: a later call says so.
        app.update(Msg::Line("closesocket s".into()));
        app.run_job_here();
        let last = app.log().last().unwrap();
        let Body::Call { records, .. } = &last.body else { panic!("a call row") };
        assert!(records.iter().any(|r| r.answer.error == Some(Code::WSAENOTSOCK)), "{records:?}");
    }
}
