//! Headless replay and re-run: `socklab replay FILE --headless` and `socklab replay FILE --rerun`.
//!
//! Both stream the recording step by step (see [`crate::session::replay`]) and print the
//! transcript in the same form as `socklab run`.

use std::io::{BufRead, Write};
use std::net::{IpAddr, SocketAddr};

use crate::core::format::{ret_text, value_text};
use crate::core::model::{Ret, State, Value};
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;
use crate::session::lab::{CallRecord, Lab};
use crate::session::record::{AnswerEntry, Entry, HeaderFacts, Network, ReadError, Reader, WaitSpec, from_ms};
use crate::session::replay::{Divergence, Outcome, Player, StepReader};

use super::ast::{Span, Stmt, StmtKind};
use super::run::{Output, print_call, print_mark, print_wait};

/// Divergences kept in a report (the rest are counted).
pub const KEEP_DIVERGENCES: usize = 1000;

/// What a headless replay found.
#[derive(Debug, Default)]
pub struct ReplayReport {
    pub entries: usize,
    pub calls: usize,
    pub waits: usize,
    pub markers: usize,
    /// The first [`KEEP_DIVERGENCES`] divergences.
    pub divergences: Vec<Divergence>,
    /// All divergences, counted.
    pub diverged: usize,
    /// The recording ends inside a step (it was cut short).
    pub incomplete: bool,
    /// Why the recording could not be read to its end; everything before was replayed.
    pub error: Option<ReadError>,
}

fn stmt(line: Option<usize>, entry_line: usize, text: &str) -> Stmt {
    // The transcript shows the script's line; a call typed at the prompt shows the entry's.
    Stmt {
        span: Span { line: line.unwrap_or(entry_line.saturating_sub(1)), col: 1 },
        kind: StmtKind::Mark(String::new()),
        text: text.to_string(),
    }
}

/// [`stmt`] in place: `st` made to say `text` at the line shown for it.
fn restate<'a>(st: &'a mut Stmt, line: Option<usize>, entry_line: usize, text: &str) -> &'a Stmt {
    st.span = stmt(line, entry_line, "").span;
    st.text.clear();
    st.text.push_str(text);
    st
}

fn transcript_head(ps: &[PersonalityId], output: Output, w: &mut dyn Write) -> std::io::Result<()> {
    if output == Output::Compare {
        let mut head = format!("{:>4}  {:<34}", "line", "call");
        for p in ps {
            head.push_str(&format!(" | {:<30}", p.name()));
        }
        writeln!(w, "{}", head.trim_end())?;
    }
    Ok(())
}

/// The transcript style for a recording's columns.
pub fn output_for(ps: &[PersonalityId], json: bool) -> Output {
    if json {
        Output::Json
    } else if ps.len() == 1 {
        Output::Single
    } else {
        Output::Compare
    }
}

/// Replay a recording through the core, print the transcript and check every answer.
pub fn replay<R: BufRead>(reader: Reader<R>, json: bool, w: &mut dyn Write) -> std::io::Result<ReplayReport> {
    let header = reader.header().clone();
    let output = output_for(&header.personalities, json);
    transcript_head(&header.personalities, output, w)?;
    let mut player = Player::new(&header, reader.numbered());
    let mut report = ReplayReport::default();
    // One statement for the transcript, its text's buffer reused from step to step.
    let mut st = stmt(None, 0, "");
    while let Some(step) = player.next_step() {
        let a = match step {
            Ok(a) => a,
            Err(e) => {
                report.error = Some(e);
                break;
            }
        };
        report.entries += a.entries.len();
        report.incomplete |= a.incomplete;
        match a.outcome {
            Outcome::Call { entry, records } => {
                report.calls += 1;
                print_call(restate(&mut st, entry.line, a.line, &entry.text), &entry.call, records, output, w)?;
            }
            Outcome::Wait { entry, records } => {
                report.waits += 1;
                print_wait(restate(&mut st, entry.line, a.line, &entry.text), &records, output, w)?;
            }
            Outcome::Marker(m) => {
                report.markers += 1;
                let text = format!("mark {}", m.label);
                print_mark(&stmt(m.line, a.line, &text), &m.label, output, w)?;
            }
            Outcome::Other => {}
        }
        for d in a.divergences {
            if output != Output::Json {
                writeln!(w, "        DIVERGES: {d}")?;
            } else {
                let v = serde_json::json!({"kind": "divergence", "entry": d.entry(), "line": d.line,
                    "personality": d.personality.map(|p| p.name()), "what": d.what,
                    "recorded": d.recorded, "replayed": d.replayed});
                writeln!(w, "{v}")?;
            }
            report.diverged += 1;
            if report.divergences.len() < KEEP_DIVERGENCES {
                report.divergences.push(d);
            }
        }
    }
    if output != Output::Json {
        let net = match header.network {
            Network::Live => " (live recording: the kernel's recorded answers fill the linux column)",
            Network::Sim => "",
        };
        writeln!(
            w,
            "replay: {} entries ({} calls, {} waits, {} markers){net}: {}",
            report.entries,
            report.calls,
            report.waits,
            report.markers,
            if report.diverged == 0 {
                "the core reproduced every recorded answer".to_string()
            } else {
                format!("{} divergences", report.diverged)
            }
        )?;
        if report.incomplete {
            writeln!(w, "replay: the recording ends inside its last step (it was cut short)")?;
        }
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Re-run
// ---------------------------------------------------------------------------------------------

/// What a re-run found.
#[derive(Debug, Default)]
pub struct RerunReport {
    pub calls: usize,
    pub waits: usize,
    /// Answers (one per call and personality) that differ from the recording.
    pub differences: usize,
    pub error: Option<ReadError>,
}

/// Addresses that change from run to run: the targets' ports, ephemeral ports, descriptors.
struct Normal<'a> {
    recorded: &'a HeaderFacts,
    today: &'a HeaderFacts,
}

impl Normal<'_> {
    fn addr(&self, a: SocketAddr) -> String {
        let unmap = |a: SocketAddr| match a.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, |v4| SocketAddr::new(IpAddr::V4(v4), a.port())),
            _ => a,
        };
        let a = unmap(a);
        for facts in [self.recorded, self.today] {
            for (name, t) in &facts.targets {
                if [t.v4, t.v6].iter().flatten().any(|&x| unmap(x) == a) {
                    return format!("@{name}");
                }
            }
        }
        if a.port() >= 32768 { format!("{}:*", a.ip()) } else { a.to_string() }
    }

    fn value(&self, v: &Value, p: &Profile) -> String {
        match v {
            Value::Addr { addr } => self.addr(*addr),
            Value::Data { data, from: Some(f) } => {
                format!("{:?} from {}", String::from_utf8_lossy(data), self.addr(*f))
            }
            _ => value_text(v, p),
        }
    }

    fn answer(
        &self,
        p: PersonalityId,
        ret: Ret,
        error: Option<crate::core::codes::Code>,
        value: &Value,
        after: Option<State>,
    ) -> String {
        let prof = Profile::of(p);
        let mut s = match ret {
            Ret::Handle(Some(_)) => "a descriptor".to_string(),
            r => ret_text(&r, prof),
        };
        if let Some(e) = error {
            s.push_str(&format!(" {e}"));
        }
        let v = self.value(value, prof);
        if !v.is_empty() {
            s.push_str(&format!("  {v}"));
        }
        if let Some(st) = after {
            s.push_str(&format!("  [{st}]"));
        }
        s
    }

    fn recorded(&self, a: &AnswerEntry) -> String {
        self.answer(a.p, a.ret, a.code(), &a.value, a.after)
    }

    fn today(&self, r: &CallRecord) -> String {
        self.answer(r.personality, r.answer.ret, r.answer.error, &r.answer.value, r.after)
    }
}

/// Perform a recording's calls again in `lab` (the live network, now) and print, step by
/// step, today's answers and where they differ from the recorded ones. `today` holds the live
/// targets' addresses, so that a target's port is not reported as a difference.
pub fn rerun<R: BufRead>(
    reader: Reader<R>,
    lab: &mut Lab,
    today: &HeaderFacts,
    w: &mut dyn Write,
) -> std::io::Result<RerunReport> {
    let header = reader.header().clone();
    let norm = Normal { recorded: &header.facts, today };
    let ps = lab.personalities();
    let output = output_for(&ps, false);
    transcript_head(&ps, output, w)?;
    let mut steps = StepReader::new(reader.numbered());
    let mut report = RerunReport::default();
    while let Some(step) = steps.next_step() {
        let entries = match step {
            Ok(x) => x.entries,
            Err(e) => {
                report.error = Some(e);
                break;
            }
        };
        let (line, first) = &entries[0];
        match first {
            Entry::Call(c) => {
                report.calls += 1;
                let recs = lab.call(&c.call);
                print_call(&stmt(c.line, *line, &c.text), &c.call, recs, output, w)?;
                for r in recs {
                    let rec = entries.iter().find_map(|(l, e)| match e {
                        Entry::Answer(a) if a.p == r.personality => Some((l, a)),
                        _ => None,
                    });
                    let today_text = norm.today(r);
                    match rec {
                        Some((l, a)) => {
                            let then = norm.recorded(a);
                            if then != today_text {
                                report.differences += 1;
                                writeln!(
                                    w,
                                    "        ≠ [{}] entry {} (line {l}): recorded `{then}`, today `{today_text}`",
                                    r.personality,
                                    l - 1
                                )?;
                            }
                        }
                        None => writeln!(w, "        [{}] not in the recording; today `{today_text}`", r.personality)?,
                    }
                }
            }
            Entry::Wait(wt) => {
                report.waits += 1;
                let recs = match &wt.wait {
                    WaitSpec::For { ms } => lab.wait_for(from_ms(*ms)),
                    WaitSpec::Until { sock, until } => lab.wait_until(sock, (*until).into()),
                };
                print_wait(&stmt(wt.line, *line, &wt.text), &recs, output, w)?;
                for r in &recs {
                    let rec = entries.iter().find_map(|(l, e)| match e {
                        Entry::Events(ev) if ev.p == r.personality => Some((l, ev)),
                        _ => None,
                    });
                    if let Some((l, ev)) = rec {
                        let moves = |t: &[crate::core::model::Transition]| {
                            t.iter()
                                .map(|t| format!("{}: {} -> {}", t.sock, t.from, t.to))
                                .collect::<Vec<_>>()
                                .join("; ")
                        };
                        let (then, now) = (
                            format!("met={} [{}]", ev.met, moves(&ev.transitions)),
                            format!("met={} [{}]", r.met, moves(&r.events.transitions)),
                        );
                        if then != now {
                            report.differences += 1;
                            writeln!(
                                w,
                                "        ≠ [{}] entry {} (line {l}): recorded `{then}`, today `{now}`",
                                r.personality,
                                l - 1
                            )?;
                        }
                    }
                }
            }
            Entry::Marker(m) => {
                let text = format!("mark {}", m.label);
                print_mark(&stmt(m.line, *line, &text), &m.label, output, w)?;
            }
            _ => {}
        }
    }
    writeln!(
        w,
        "rerun: {} calls and {} waits performed again on the live network: {}",
        report.calls,
        report.waits,
        if report.differences == 0 {
            "every answer is as recorded".to_string()
        } else {
            format!("{} answers differ from the recording", report.differences)
        }
    )?;
    Ok(report)
}
