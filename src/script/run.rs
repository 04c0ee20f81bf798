//! The headless runner: `socklab run FILE.lab`.
//!
//! Every statement is run through a [`Lab`]; the transcript (or one JSON object per step and
//! personality) goes to the writer, and failed `expect` lines are counted.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::core::call::Call;
use crate::core::compare::Mark;
use crate::core::format::{
    answer_text, error_text, notification_event, notification_text, push_answer_text, push_code_text, push_int,
    push_millis, push_notification_text, push_value_after, ret_text, value_text,
};
use crate::core::model::{Cause, Notification, Ret, State, Transition};
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;
use crate::core::rules;
use crate::session::lab::{CallRecord, JudgeKind, KernelAnswer, Lab, Until, WaitRecord};
use crate::session::record::{Journal, NoJournal, WaitSpec, to_ms};

use super::ast::{Expect, ExpectWhat, Stmt, StmtKind, Wait};

/// How the transcript is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// One personality: one line per step.
    Single,
    /// Several personalities: one column each, differences marked.
    Compare,
    /// One JSON object per step and personality.
    Json,
}

/// What a run found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Statements run.
    pub steps: usize,
    /// Expectations checked (per personality).
    pub checks: usize,
    /// Failed expectations, each a full sentence.
    pub failures: Vec<String>,
    /// Live network: calls where the `linux` model and the kernel disagreed, each a sentence.
    pub disagreements: Vec<String>,
    /// Live network: calls the kernel judged (the model agreed or not).
    pub judged: usize,
    /// Live network: calls socklab did not make for real, with the reason.
    pub not_performed: usize,
}

impl Report {
    /// Count a judge's disagreement with a personality's answer to a statement, if there was one.
    fn disagree(&mut self, stmt: &Stmt, p: PersonalityId, why: Option<&str>) {
        if let Some(d) = why {
            self.disagreements.push(format!("line {}: `{}`: {}: {d}", stmt.span.line, stmt.text, p.name()));
        }
    }
}

/// Run parsed statements in a lab and write the transcript.
pub fn run(stmts: &[Stmt], lab: &mut Lab, output: Output, w: &mut dyn Write) -> std::io::Result<Report> {
    run_recorded(stmts, lab, output, w, &mut NoJournal)
}

/// [`run`], telling `journal` every call, wait and marker as it happens (`socklab run --record`).
pub fn run_recorded(
    stmts: &[Stmt],
    lab: &mut Lab,
    output: Output,
    w: &mut dyn Write,
    journal: &mut dyn Journal,
) -> std::io::Result<Report> {
    let mut report = Report::default();
    let ps = lab.personalities();
    // A terminal too narrow for the columns: long lines wrap under themselves.
    let mut wrapped;
    let w: &mut dyn Write = if output == Output::Compare && narrow(ps.len()) {
        wrapped = Wrapping { inner: w, line: Vec::new(), width: WIDTH.load(Ordering::Relaxed) };
        &mut wrapped
    } else {
        w
    };
    if output == Output::Compare && narrow(ps.len()) {
        writeln!(w, "line  call, then each personality's answer on its own line")?;
    } else if output == Output::Compare {
        let mut head = format!("{:>4}  {:<34}", "line", "call");
        for p in &ps {
            let name = if lab.is_live() && *p == PersonalityId::Linux {
                "linux (the kernel)"
            } else if lab.has_winsock_judge() && *p == PersonalityId::Windows {
                "windows (Winsock)"
            } else {
                p.name()
            };
            head.push_str(&format!(" | {:<30}", name));
        }
        writeln!(w, "{}", head.trim_end())?;
    }
    // A statement's lines are made in memory and written at once: each formatting fragment
    // went through two dynamic writers before.
    let mut lines: Vec<u8> = Vec::with_capacity(1024);
    for stmt in stmts {
        report.steps += 1;
        match &stmt.kind {
            StmtKind::Call(call) => {
                let recs = lab.call(call);
                for r in recs {
                    match &r.kernel {
                        Some(KernelAnswer::Performed { .. }) => report.judged += 1,
                        Some(KernelAnswer::NotPerformed { .. }) => report.not_performed += 1,
                        None => {}
                    }
                    report.disagree(stmt, r.personality, r.disagreement.as_deref());
                }
                journal.call(Some(stmt.span.line), &stmt.text, call, recs)?;
                print_call(stmt, call, recs, output, &mut lines)?;
                w.write_all(&lines)?;
                lines.clear();
            }
            StmtKind::Wait(wait) => {
                let (never, recs) = match wait {
                    Wait::For(d) => (None, lab.wait_for(*d)),
                    Wait::Until { sock, until } => lab.wait_until_why(sock, Until::from(*until)),
                };
                for r in &recs {
                    report.disagree(stmt, r.personality, r.disagreement.as_deref());
                }
                journal.wait(Some(stmt.span.line), &stmt.text, &wait_spec(wait), &recs)?;
                print_wait_why(stmt, &recs, never.as_deref(), output, &mut lines)?;
                w.write_all(&lines)?;
                lines.clear();
            }
            StmtKind::Mark(label) => {
                journal.marker(Some(stmt.span.line), label)?;
                print_mark(stmt, label, output, w)?;
            }
            StmtKind::Expect(e) => {
                for (k, p) in ps.iter().enumerate() {
                    if let Some(only) = &e.only {
                        if !only.contains(p) {
                            continue;
                        }
                    }
                    report.checks += 1;
                    let res = check(lab, k, *p, e);
                    if output == Output::Json {
                        let v = json!({
                            "line": stmt.span.line, "text": stmt.text, "kind": "expect",
                            "personality": p.name(), "ok": res.is_ok(),
                            "message": res.as_ref().err(),
                        });
                        writeln!(w, "{v}")?;
                    }
                    if let Err(msg) = res {
                        let full = format!("line {}: `{}` failed for {}: {}", stmt.span.line, stmt.text, p.name(), msg);
                        if output != Output::Json {
                            writeln!(w, "{:>4}  FAILED {full}", stmt.span.line)?;
                        }
                        report.failures.push(full);
                    }
                }
            }
        }
    }
    if output != Output::Json {
        if lab.is_live() || lab.has_winsock_judge() {
            let judges = match (lab.is_live(), lab.has_winsock_judge()) {
                (true, true) => "the kernel and Winsock",
                (false, true) => "Winsock",
                _ => "the kernel",
            };
            writeln!(
                w,
                "live: {judges} judged {} calls, the models disagreed {} times; {} calls were not made for real",
                report.judged,
                report.disagreements.len(),
                report.not_performed
            )?;
        }
        writeln!(
            w,
            "{} {}, {} {}: {} passed, {} failed",
            report.steps,
            if report.steps == 1 { "step" } else { "steps" },
            report.checks,
            if report.checks == 1 { "check" } else { "checks" },
            report.checks - report.failures.len(),
            report.failures.len()
        )?;
    }
    Ok(report)
}

/// Whether a personality's answer rests on an assumed rule.
fn assumed(rule: &str, p: PersonalityId) -> bool {
    rules::assumed(rule, p)
}

/// [`assumed`] for a rule id the core answered with: the lookup (a walk through every rule)
/// is remembered by the id's address, which for a `&'static str` always holds the same text.
fn assumed_static(rule: &'static str, p: PersonalityId) -> bool {
    type Slot = Option<(usize, usize, Option<&'static rules::Rule>)>;
    thread_local! {
        static SEEN: std::cell::RefCell<[Slot; 64]> = const { std::cell::RefCell::new([None; 64]) };
    }
    let key = (rule.as_ptr() as usize, rule.len());
    // Where the linker put the ids decides their slots: a few ids that collide in one slot
    // would walk the rules on every call, so each id may sit in one of four neighbouring slots.
    let home = (((key.0 ^ key.1) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize;
    let found = SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        let mut free = None;
        for k in 0..4 {
            let i = (home + k) % 64;
            match seen[i] {
                Some((ptr, len, r)) if (ptr, len) == key => return r,
                None if free.is_none() => free = Some(i),
                _ => {}
            }
        }
        let r = rules::find(rule);
        seen[free.unwrap_or(home)] = Some((key.0, key.1, r));
        r
    });
    found.is_some_and(|r| r.assumed.contains(&p))
}

/// The cell of one personality for one call: answer, `?` when assumed. A failed `int` call
/// shows only its error (SOCKET_ERROR / -1 goes without saying) to keep columns narrow.
fn cell(rec: &CallRecord) -> String {
    let mut s = String::new();
    push_cell(&mut s, rec);
    s
}

/// [`cell`], appended to `s` (the compare rows are written in place).
fn push_cell(s: &mut String, rec: &CallRecord) {
    let p = Profile::of(rec.personality);
    let a = &rec.answer;
    if rec.disagreement.is_some() {
        // Up front, so narrow columns never cut it off.
        s.push_str("≠MODEL ");
    }
    match (a.ret, a.error) {
        (Ret::Int(-1), Some(e)) => {
            push_code_text(s, e);
            push_value_after(s, &a.value, p);
        }
        _ => push_answer_text(s, a, p),
    }
    if assumed_static(rec.answer.rule, rec.personality) {
        s.push_str(" ?");
    }
}

/// How the personalities' answers relate, by the one definition of [`crate::core::compare`].
pub fn differs(recs: &[CallRecord]) -> Mark {
    crate::session::lab::differences(recs).mark
}

fn state_text(s: Option<State>) -> &'static str {
    s.map_or("-", State::name)
}

/// A row's real differences (`≠` findings), one line each under the row.
fn push_differences(out: &mut String, verdict: &crate::core::compare::Verdict) {
    for f in verdict.findings.iter().filter(|f| f.mark == Mark::Differs) {
        out.push_str("        ≠ ");
        out.push_str(f.aspect);
        out.push_str(": ");
        out.push_str(&f.text);
        out.push('\n');
    }
}

/// A transition as the transcript shows it (`t=0 ms  s: pending -> connected  (net: ...)`),
/// appended to `s`.
fn push_transition(s: &mut String, t: &Transition) {
    s.push_str("t=");
    push_millis(s, t.at);
    s.push_str(" ms  ");
    s.push_str(&t.sock);
    s.push_str(": ");
    s.push_str(t.from.name());
    s.push_str(" -> ");
    s.push_str(t.to.name());
    s.push_str("  (");
    match &t.cause {
        Cause::Call(c) => s.push_str(c),
        Cause::Net(n) => {
            s.push_str("net: ");
            s.push_str(n);
        }
    }
    s.push(')');
    if let Some(e) = t.error {
        s.push(' ');
        push_code_text(s, e);
    }
}

/// `{:>4}` of a line number, appended to `s`.
fn push_line_number(s: &mut String, line: usize) {
    // The padding first: no digits moved after they are written.
    let pad = match line {
        0..=9 => 3,
        10..=99 => 2,
        100..=999 => 1,
        _ => 0,
    };
    s.push_str(&"   "[..pad]);
    match i64::try_from(line) {
        Ok(n) => push_int(s, n),
        Err(_) => s.push_str(&line.to_string()),
    }
}

pub(crate) fn print_call(
    stmt: &Stmt,
    call: &Call,
    recs: &[CallRecord],
    output: Output,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match output {
        Output::Json => {
            for r in recs {
                let p = Profile::of(r.personality);
                let a = &r.answer;
                let v = json!({
                    "line": stmt.span.line,
                    "text": stmt.text,
                    "kind": "call",
                    "call": call.name(),
                    "personality": r.personality.name(),
                    "ret": ret_text(&a.ret, p),
                    "ret_value": match a.ret { Ret::Int(v) => Some(v), Ret::Bool(b) => Some(b as i64), Ret::Handle(h) => Some(h.unwrap_or(-1)), Ret::NotApplicable => None },
                    "error": a.error.map(|e| json!({"name": e.name(), "number": e.number()})),
                    "value": value_text(&a.value, p),
                    "state_before": r.before.map(|s| s.name()),
                    "state_after": r.after.map(|s| s.name()),
                    "transitions": a.transitions,
                    "notifications": a.notifications.iter().map(|n| notification_text(n, p)).collect::<Vec<_>>(),
                    "vtime_ms": r.at.as_secs_f64() * 1000.0,
                    "elapsed_ms": a.elapsed.as_secs_f64() * 1000.0,
                    "rule": a.rule,
                    "assumed": assumed(a.rule, r.personality),
                    "note": a.note,
                    "kernel": r.kernel.as_ref().map(|k| match k {
                        KernelAnswer::Performed { tcp_state, .. } => json!({"performed": true, "tcp_state": tcp_state}),
                        KernelAnswer::NotPerformed { why } => json!({"performed": false, "why": why}),
                    }),
                    "model_expected": r.model.as_ref().map(|m| answer_text(m, p)),
                    "disagreement": r.disagreement,
                    "judge": r.judge.map(|j| j.who()),
                    "judge_notifications": r.judge_notes.iter().map(|n| notification_text(n, p)).collect::<Vec<_>>(),
                });
                writeln!(w, "{v}")?;
            }
        }
        Output::Single => {
            let r = &recs[0];
            let p = Profile::of(r.personality);
            // The lines are made in one string, padded by hand and without `core::fmt`.
            let mut out = String::with_capacity(256);
            push_line_number(&mut out, stmt.span.line);
            out.push_str("  ");
            push_padded(&mut out, &stmt.text, 34);
            out.push(' ');
            push_cell(&mut out, r);
            if r.before != r.after {
                out.push_str("   [");
                out.push_str(state_text(r.before));
                out.push_str(" -> ");
                out.push_str(state_text(r.after));
                out.push(']');
            }
            if r.answer.elapsed >= std::time::Duration::from_millis(1) {
                out.push_str("   (blocked ");
                push_millis(&mut out, r.answer.elapsed);
                out.push_str(" ms)");
            }
            out.push('\n');
            if let Some(n) = &r.answer.note {
                out.push_str("        note: ");
                out.push_str(n);
                out.push('\n');
            }
            push_kernel_lines(&mut out, r, None);
            for t in r.answer.transitions.iter().filter(|t| matches!(t.cause, Cause::Net(_))) {
                out.push_str("        ");
                push_transition(&mut out, t);
                out.push('\n');
            }
            for n in &r.answer.notifications {
                out.push_str("        ");
                push_notification_text(&mut out, n, p);
                out.push('\n');
            }
            w.write_all(out.as_bytes())?;
        }
        Output::Compare => {
            // Only the `≠` findings are printed: the `≈` ones' texts are not made.
            let verdict = crate::session::lab::differences(recs);
            let mark = verdict.mark.symbol();
            if narrow(recs.len()) {
                // One personality per line: nothing cut at the terminal's width.
                writeln!(w, "{:>4}{} {}", stmt.span.line, mark, stmt.text)?;
                for r in recs {
                    writeln!(w, "        {:<9} {}", r.personality.name(), cell(r))?;
                }
                // What differs, when the cells alone may not show it (cut, or the same text).
                for f in verdict.findings.iter().filter(|f| f.mark == Mark::Differs) {
                    writeln!(w, "        ≠ {}: {}", f.aspect, f.text)?;
                }
            } else {
                // The row and the lines under it are written into one string, written once.
                let mut out = String::with_capacity(64 + 33 * recs.len());
                push_line_number(&mut out, stmt.span.line);
                out.push_str(mark);
                out.push(' ');
                push_column(&mut out, &stmt.text, 34);
                for r in recs {
                    out.push_str(" | ");
                    let start = out.len();
                    push_cell(&mut out, r);
                    fit_column(&mut out, start, 30);
                }
                out.truncate(out.trim_end().len());
                out.push('\n');
                // What differs, when the cells alone may not show it (cut, or the same text).
                push_differences(&mut out, &verdict);
                w.write_all(out.as_bytes())?;
            }
            let mut out = String::with_capacity(256);
            for r in recs {
                let p = Profile::of(r.personality);
                let tag = |out: &mut String| {
                    out.push_str("        [");
                    out.push_str(r.personality.name());
                    out.push_str("] ");
                };
                for t in r.answer.transitions.iter().filter(|t| matches!(t.cause, Cause::Net(_))) {
                    tag(&mut out);
                    push_transition(&mut out, t);
                    out.push('\n');
                }
                if let Some(n) = &r.answer.note {
                    tag(&mut out);
                    out.push_str("note: ");
                    out.push_str(n);
                    out.push('\n');
                }
                if r.kernel.is_some() || r.disagreement.is_some() {
                    push_kernel_lines(&mut out, r, Some(r.personality));
                }
                for n in &r.answer.notifications {
                    tag(&mut out);
                    push_notification_text(&mut out, n, p);
                    out.push('\n');
                }
            }
            w.write_all(out.as_bytes())?;
        }
    }
    Ok(())
}

/// What the judge (the kernel, or a Winsock agent) said about a call on the live network, and
/// any disagreement with the model, appended to `out`; each line tagged `[personality] ` in a
/// compare transcript (`tag`).
fn push_kernel_lines(out: &mut String, r: &CallRecord, tag: Option<PersonalityId>) {
    let (who, loud) = match r.judge {
        Some(JudgeKind::Winsock) => ("Winsock", "WINSOCK"),
        _ => ("kernel", "THE KERNEL"),
    };
    let lead = |out: &mut String| {
        out.push_str("        ");
        if let Some(t) = tag {
            out.push('[');
            out.push_str(t.name());
            out.push_str("] ");
        }
    };
    match &r.kernel {
        Some(KernelAnswer::NotPerformed { why }) => {
            lead(out);
            out.push_str(who);
            out.push_str(": not called: ");
            out.push_str(why);
            out.push('\n');
        }
        Some(KernelAnswer::Performed { tcp_state: Some(t), .. }) => {
            lead(out);
            out.push_str(who);
            out.push_str(": TCP state ");
            out.push_str(t);
            out.push('\n');
        }
        _ => {}
    }
    let p = Profile::of(r.personality);
    for n in &r.judge_notes {
        lead(out);
        out.push_str(who);
        out.push_str(": ");
        push_notification_text(out, n, p);
        out.push('\n');
    }
    if let Some(d) = &r.disagreement {
        lead(out);
        out.push_str("MODEL DISAGREES WITH ");
        out.push_str(loud);
        out.push_str(": ");
        out.push_str(d);
        out.push('\n');
    }
}

pub(crate) fn print_wait(stmt: &Stmt, recs: &[WaitRecord], output: Output, w: &mut dyn Write) -> std::io::Result<()> {
    print_wait_why(stmt, recs, None, output, w)
}

/// [`print_wait`], with why the condition can never be met when it cannot (the wait ended at
/// once).
fn print_wait_why(
    stmt: &Stmt,
    recs: &[WaitRecord],
    never: Option<&str>,
    output: Output,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    if let Some(why) = never {
        match output {
            Output::Json => {
                let v = json!({ "line": stmt.span.line, "text": stmt.text, "kind": "wait", "never": why });
                writeln!(w, "{v}")?;
            }
            Output::Single | Output::Compare => {
                writeln!(w, "{:>4}  {}", stmt.span.line, stmt.text)?;
                writeln!(w, "        never reached: {why}")?;
            }
        }
        return Ok(());
    }
    for r in recs {
        let p = Profile::of(r.personality);
        match output {
            Output::Json => {
                let v = json!({
                    "line": stmt.span.line, "text": stmt.text, "kind": "wait",
                    "personality": r.personality.name(), "met": r.met,
                    "kernel_met": r.kernel.map(|k| k.0),
                    "judge_notifications": r.judge_notes.iter().map(|n| notification_text(n, p)).collect::<Vec<_>>(),
                    "disagreement": r.disagreement,
                    "kernel_elapsed_ms": r.kernel.map(|k| k.1.as_secs_f64() * 1000.0),
                    "transitions": r.events.transitions,
                    "notifications": r.events.notifications.iter().map(|n| notification_text(n, p)).collect::<Vec<_>>(),
                    "vtime_ms": r.at.as_secs_f64() * 1000.0,
                });
                writeln!(w, "{v}")?;
            }
            Output::Single | Output::Compare => {
                // Made in one string without `core::fmt`, as the call lines are.
                let mut out = String::with_capacity(128);
                let tag = |out: &mut String| {
                    out.push_str("        ");
                    if output == Output::Compare {
                        out.push('[');
                        out.push_str(r.personality.name());
                        out.push_str("] ");
                    }
                };
                if std::ptr::eq(r, &recs[0]) {
                    let verdict = if output == Output::Compare {
                        crate::session::lab::wait_differences(recs)
                    } else {
                        Default::default()
                    };
                    push_line_number(&mut out, stmt.span.line);
                    out.push_str(verdict.mark.symbol());
                    out.push(' ');
                    out.push_str(&stmt.text);
                    out.push('\n');
                    push_differences(&mut out, &verdict);
                }
                for t in &r.events.transitions {
                    tag(&mut out);
                    push_transition(&mut out, t);
                    out.push('\n');
                }
                for n in &r.events.notifications {
                    tag(&mut out);
                    push_notification_text(&mut out, n, p);
                    out.push('\n');
                }
                for n in &r.judge_notes {
                    tag(&mut out);
                    out.push_str("Winsock: ");
                    push_notification_text(&mut out, n, p);
                    out.push('\n');
                }
                if let Some(d) = &r.disagreement {
                    tag(&mut out);
                    out.push_str("MODEL DISAGREES WITH ");
                    out.push_str(if r.personality == PersonalityId::Linux { "THE KERNEL" } else { "WINSOCK" });
                    out.push_str(": ");
                    out.push_str(d);
                    out.push('\n');
                }
                if !r.met {
                    tag(&mut out);
                    out.push_str("not reached within ");
                    push_int(&mut out, crate::session::lab::WAIT_LIMIT.as_secs() as i64);
                    out.push_str(" s of virtual time\n");
                }
                w.write_all(out.as_bytes())?;
            }
        }
    }
    Ok(())
}

/// A marker line: `  12  mark LABEL`, or a JSON object.
pub(crate) fn print_mark(stmt: &Stmt, label: &str, output: Output, w: &mut dyn Write) -> std::io::Result<()> {
    match output {
        Output::Json => {
            writeln!(w, "{}", json!({"line": stmt.span.line, "text": stmt.text, "kind": "marker", "label": label}))
        }
        Output::Single | Output::Compare => writeln!(w, "{:>4}  {}", stmt.span.line, stmt.text),
    }
}

/// How a recording spells a `wait` statement.
fn wait_spec(wait: &Wait) -> WaitSpec {
    match wait {
        Wait::For(d) => WaitSpec::For { ms: to_ms(*d) },
        Wait::Until { sock, until } => WaitSpec::Until { sock: sock.clone(), until: Until::from(*until).into() },
    }
}

/// `*` in an expected value matches any run of characters (`127.0.0.1:*`: any port, for
/// values that are the kernel's choice on the live network).
fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return false;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// The terminal's width for `--compare` (0: no limit, as in a pipe or a file).
static WIDTH: AtomicUsize = AtomicUsize::new(0);

/// Tell the compare transcript how wide the terminal is (`None`: not a terminal).
pub fn set_terminal_width(w: Option<usize>) {
    WIDTH.store(w.unwrap_or(0), Ordering::Relaxed);
}

/// Whether the compare columns (34 for the call, 33 per personality) are wider than the terminal.
fn narrow(personalities: usize) -> bool {
    let w = WIDTH.load(Ordering::Relaxed);
    w != 0 && w < 6 + 34 + 33 * personalities
}

/// Wraps each line longer than `width` at spaces, continuing 10 columns in.
struct Wrapping<'a> {
    inner: &'a mut dyn Write,
    line: Vec<u8>,
    width: usize,
}

impl Write for Wrapping<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                if line.chars().count() <= self.width {
                    writeln!(self.inner, "{line}")?;
                    continue;
                }
                let indent = line.len() - line.trim_start().len();
                let mut cur = line[..indent].to_string();
                let mut fresh = true;
                for word in line.trim_start().split(' ') {
                    let len = cur.chars().count();
                    if !fresh && len + 1 + word.chars().count() > self.width {
                        writeln!(self.inner, "{}", cur.trim_end())?;
                        cur = " ".repeat(indent + 2);
                        fresh = true;
                    }
                    if !fresh {
                        cur.push(' ');
                    }
                    cur.push_str(word);
                    fresh = false;
                }
                writeln!(self.inner, "{}", cur.trim_end())?;
            } else {
                self.line.push(b);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.write_all(b"\n")?;
        }
        self.inner.flush()
    }
}

/// `text` padded with spaces to `n` characters, as `{:<n}` prints it (never cut), appended to
/// `line`.
fn push_padded(line: &mut String, text: &str, n: usize) {
    line.push_str(text);
    // Every byte counts one character in ASCII text.
    let chars = if text.is_ascii() { text.len() } else { text.chars().count() };
    push_spaces(line, n.saturating_sub(chars));
}

/// [`push_column`] for text already at the end of `line`, from byte `start`: cut to `n`
/// characters (the last one then `…`) or padded with spaces to `n`.
fn fit_column(line: &mut String, start: usize, n: usize) {
    let text = &line[start..];
    // Every byte counts one character in ASCII text.
    let chars = if text.is_ascii() { text.len() } else { text.chars().count() };
    if chars <= n {
        push_spaces(line, n - chars);
    } else {
        let cut = text.char_indices().nth(n - 1).map_or(text.len(), |(i, _)| i);
        line.truncate(start + cut);
        line.push('…');
    }
}

/// `pad` spaces appended to `line`.
fn push_spaces(line: &mut String, pad: usize) {
    const SPACES: &str = "                                        ";
    if pad <= SPACES.len() {
        line.push_str(&SPACES[..pad]);
    } else {
        line.extend(std::iter::repeat_n(' ', pad));
    }
}

/// A compare-mode column: `text` cut to `n` characters (the last one then `…`) and padded with
/// spaces to `n`, written in place (it was three strings per cell).
fn push_column(line: &mut String, text: &str, n: usize) {
    let chars = text.chars().count();
    if chars <= n {
        line.push_str(text);
        push_spaces(line, n - chars);
    } else {
        let cut = text.char_indices().nth(n - 1).map_or(text.len(), |(i, _)| i);
        line.push_str(&text[..cut]);
        line.push('…');
    }
}

/// Check one expectation against one personality: `k` is the personality's column in the lab.
/// `Err` says what was expected and what came. (Also used by the lessons, `crate::learn`.)
pub fn check(lab: &Lab, k: usize, p: PersonalityId, e: &Expect) -> Result<(), String> {
    let prof = Profile::of(p);
    let last = lab.last(k);
    let got = || last.map(|a| answer_text(a, prof)).unwrap_or_else(|| "no call yet".into());
    match &e.what {
        ExpectWhat::Ok => match last {
            Some(a) if a.is_ok() => Ok(()),
            _ => Err(format!("expected success, got {}", got())),
        },
        ExpectWhat::Ret(v) => {
            let actual = last.map(|a| match a.ret {
                Ret::Int(x) => Some(x),
                Ret::Bool(b) => Some(b as i64),
                Ret::Handle(h) => Some(h.unwrap_or(-1)),
                Ret::NotApplicable => None,
            });
            if actual == Some(Some(*v)) { Ok(()) } else { Err(format!("expected return value {v}, got {}", got())) }
        }
        ExpectWhat::Error(c) => {
            if last.and_then(|a| a.error) == Some(*c) {
                Ok(())
            } else {
                Err(format!("expected error {c}, got {}", got()))
            }
        }
        ExpectWhat::NotApplicable => match last {
            Some(a) if a.ret == Ret::NotApplicable => Ok(()),
            _ => Err(format!("expected the call not to exist (n/a), got {}", got())),
        },
        ExpectWhat::State { sock, state } => {
            let actual = lab.hosts()[k].state(sock);
            if actual == Some(*state) {
                Ok(())
            } else {
                Err(format!("expected {sock} to be {state}, it is {}", state_text(actual)))
            }
        }
        ExpectWhat::Select { read, write, except } => {
            let Some(crate::core::model::Value::Select { read: r, write: w, except: x }) = last.map(|a| &a.value)
            else {
                return Err(format!("expected a select result, the last answer was {}", got()));
            };
            let same = |want: &Option<Vec<String>>, have: &Vec<String>| {
                want.as_ref().is_none_or(|want| {
                    let mut a = want.clone();
                    let mut b = have.clone();
                    a.sort();
                    b.sort();
                    a == b
                })
            };
            if same(read, r) && same(write, w) && same(except, x) {
                Ok(())
            } else {
                Err(format!("select left read={} write={} except={}", r.join(","), w.join(","), x.join(",")))
            }
        }
        ExpectWhat::Event { sock, event, error } => {
            let recent = lab.recent(k);
            let found = recent
                .iter()
                .filter(|n| n.sock() == sock)
                .filter_map(notification_event)
                .any(|(ev, err)| ev == *event && error.as_ref().is_none_or(|want| *want == err));
            if found {
                Ok(())
            } else {
                let seen: Vec<String> = recent.iter().map(|n| notification_text(n, prof)).collect();
                let want = match error {
                    Some(e) => format!("{event} with error {}", error_text(*e)),
                    None => event.to_string(),
                };
                Err(format!("expected {want} for {sock}; notifications since the last call: [{}]", seen.join("; ")))
            }
        }
        ExpectWhat::NoEvent { sock, event } => {
            let recent = lab.recent(k);
            let hit: Vec<String> = recent
                .iter()
                .filter(|n| n.sock() == sock)
                .filter(|n| notification_event(n).is_some_and(|(ev, _)| event.is_none_or(|want| ev.contains(want))))
                .map(|n| notification_text(n, prof))
                .collect();
            if hit.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "expected no {} for {sock}; got [{}]",
                    event.map_or("event".to_string(), |e| e.to_string()),
                    hit.join("; ")
                ))
            }
        }
        ExpectWhat::Completion { sock, error, bytes } => {
            let recent = lab.recent(k);
            let found = recent.iter().any(|n| match n {
                Notification::Completion { sock: s, error: err, bytes: b, .. } => {
                    s == sock && error.as_ref().is_none_or(|want| want == err) && bytes.is_none_or(|want| want == *b)
                }
                _ => false,
            });
            if found {
                Ok(())
            } else {
                let seen: Vec<String> = recent.iter().map(|n| notification_text(n, prof)).collect();
                Err(format!(
                    "expected an overlapped completion for {sock}; notifications since the last call: [{}]",
                    seen.join("; ")
                ))
            }
        }
        ExpectWhat::Value(text) => {
            let v = last.map(|a| value_text(&a.value, prof)).unwrap_or_default();
            let num = |s: &str| -> Option<i64> {
                let s = s.trim();
                match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(h) => i64::from_str_radix(h, 16).ok(),
                    None => s.parse().ok(),
                }
            };
            // `expect value "x"` loses its quotes in the parser; data prints quoted.
            let equal = v == text.trim()
                || v == format!("{:?}", text.trim())
                || glob(text.trim(), &v)
                || matches!((num(&v), num(text)), (Some(a), Some(b)) if a == b);
            if equal { Ok(()) } else { Err(format!("expected value {text}, got {v:?}")) }
        }
        ExpectWhat::Elapsed { at_least, ms } => {
            let el = last.map(|a| a.elapsed.as_millis() as u64).unwrap_or(0);
            let ok = if *at_least { el >= *ms } else { el < *ms };
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "expected the call to block {} {ms} ms, it blocked {el} ms",
                    if *at_least { ">=" } else { "<" }
                ))
            }
        }
    }
}

#[cfg(test)]
mod column_tests {
    use super::{fit_column, push_column, push_line_number, push_padded};

    fn col(text: &str, n: usize) -> String {
        let mut s = String::new();
        push_column(&mut s, text, n);
        s
    }

    #[test]
    fn line_numbers_and_padded_text_match_the_formatter() {
        for (text, n) in [("", 34), ("connect s17 @accept", 34), ("é≠", 5), ("x".repeat(40).as_str(), 34), ("ab", 90)]
        {
            let mut out = String::from("x");
            push_padded(&mut out, text, n);
            assert_eq!(out, format!("x{text:<n$}"));
        }
    }

    #[test]
    fn a_column_is_padded_or_cut_to_its_width_in_characters() {
        assert_eq!(col("0", 4), "0   ");
        assert_eq!(col("abcd", 4), "abcd");
        assert_eq!(col("abcde", 4), "abc…");
        assert_eq!(col("≠MODEL x", 8), "≠MODEL x");
        assert_eq!(col("≠MODEL xy", 8), "≠MODEL …");
        assert_eq!(col("é", 3), "é  ");
        assert_eq!(col("", 50).len(), 50);
    }

    #[test]
    fn a_column_fitted_in_place_is_the_same_column() {
        for text in ["", "0", "abcd", "abcde", "≠MODEL x", "≠MODEL xy", "é", "WSAEWOULDBLOCK (10035)  read= write=s"]
        {
            for n in [1, 3, 4, 8, 30] {
                let mut line = String::from("  1  x | ");
                let start = line.len();
                line.push_str(text);
                fit_column(&mut line, start, n);
                assert_eq!(line, format!("  1  x | {}", col(text, n)), "{text:?} in {n}");
            }
        }
    }

    #[test]
    fn the_remembered_rule_lookup_answers_as_the_walk_does() {
        use crate::core::personality::PersonalityId;
        use crate::core::rules::{RULES, assumed};
        // Every id, several rounds, interleaved: more ids than slots, so ids share slots and
        // displace each other.
        for round in 0..3 {
            for (i, r) in RULES.iter().enumerate() {
                for &p in PersonalityId::ALL {
                    assert_eq!(super::assumed_static(r.id, p), assumed(r.id, p), "{} {p} round {round}", r.id);
                }
                let back = RULES[(i * 7 + round) % RULES.len()].id;
                assert_eq!(super::assumed_static(back, PersonalityId::Windows), assumed(back, PersonalityId::Windows));
            }
        }
        assert!(!super::assumed_static("no.such.rule", PersonalityId::Linux));
    }

    #[test]
    fn line_numbers_are_right_aligned_in_four_columns() {
        for n in [0, 1, 9, 10, 999, 1000, 12345, usize::MAX] {
            let mut s = String::from("x");
            push_line_number(&mut s, n);
            assert_eq!(s, format!("x{n:>4}"));
        }
    }
}
