//! The explanation of one log row, as data: what each personality answered and by which rule,
//! what every code involved means (the full text of `socklab explain CODE`: each platform, the
//! calls that return it and when, the rules that answer with it, counterparts, lessons), the
//! rules' summaries and sources, and why the personalities differ. The explain view only lays these lines out.

use crate::core::codes::Code;
use crate::core::compare::Mark;
use crate::core::format::answer_text;
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;
use crate::core::rules;

use super::{App, Body, LogEntry, Tone, assumed};

/// A titled group of lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub lines: Vec<(Tone, String)>,
}

/// The whole explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub title: String,
    pub sections: Vec<Section>,
}

fn push_code(codes: &mut Vec<Code>, c: Code) {
    if !codes.contains(&c) {
        codes.push(c);
    }
}

/// Explain log row `idx`.
pub fn explain(app: &App, idx: usize) -> Option<Explanation> {
    let e: &LogEntry = app.log().get(idx)?;
    let ps = app.personalities();
    let width = ps.iter().map(|p| p.name().len()).max().unwrap_or(8);
    let mut sections = Vec::new();
    let mut codes: Vec<Code> = Vec::new();
    let mut rule_ids: Vec<(&'static str, Vec<PersonalityId>)> = Vec::new();
    let mut answers = Vec::new();
    match &e.body {
        Body::Call { records, .. } => {
            for r in records {
                let p = Profile::of(r.personality);
                let a = &r.answer;
                let mut line = format!("{:<width$}  {}", r.personality.name(), answer_text(a, p));
                if assumed(a.rule, r.personality) {
                    line.push_str("  ? assumed");
                }
                if r.before != r.after {
                    let st = |s: Option<crate::core::model::State>| s.map(|s| s.name()).unwrap_or("-");
                    line.push_str(&format!("  [{} → {}]", st(r.before), st(r.after)));
                }
                line.push_str(&format!("  rule {}", a.rule));
                let tone = if a.is_ok() { Tone::Ok } else { Tone::Error };
                answers.push((tone, line));
                if let Some(n) = &a.note {
                    answers.push((Tone::Quiet, format!("{:<width$}  note: {n}", "")));
                }
                if let Some(crate::session::lab::KernelAnswer::NotPerformed { why }) = &r.kernel {
                    if a.ret == crate::core::model::Ret::NotApplicable {
                        // Nothing to stand in for: the kernel's side says why it made no call.
                        answers.push((Tone::Quiet, format!("{:<width$}  kernel: not called: {why}", "")));
                    } else {
                        answers.push((
                            Tone::Error,
                            format!("{:<width$}  ⊘ not made for real: {why}; this is the model's answer", ""),
                        ));
                    }
                }
                if let Some(c) = a.error {
                    push_code(&mut codes, c);
                }
                for t in &a.transitions {
                    if let Some(c) = t.error {
                        push_code(&mut codes, c);
                    }
                }
                match rule_ids.iter_mut().find(|(id, _)| *id == a.rule) {
                    Some((_, v)) => v.push(r.personality),
                    None => rule_ids.push((a.rule, vec![r.personality])),
                }
            }
        }
        Body::Wait { records, .. } => {
            for (k, r) in records.iter().enumerate() {
                let cell = e.cell(k);
                answers.push((cell.tone, format!("{:<width$}  {}", r.personality.name(), cell.full)));
                for t in &r.events.transitions {
                    answers.push((
                        Tone::Quiet,
                        format!(
                            "{:<width$}  t={} ms  {}: {} → {} ({})",
                            "",
                            t.at.as_millis(),
                            t.sock,
                            t.from,
                            t.to,
                            t.cause
                        ),
                    ));
                    if let Some(c) = t.error {
                        push_code(&mut codes, c);
                    }
                }
            }
        }
        Body::Expect { results } => {
            for (k, r) in results.iter().enumerate() {
                let (tone, text) = match r {
                    None => (Tone::Quiet, "not checked".to_string()),
                    Some(Ok(())) => (Tone::Ok, "pass".to_string()),
                    Some(Err(m)) => (Tone::Error, format!("FAIL: {m}")),
                };
                answers.push((tone, format!("{:<width$}  {text}", ps[k].name())));
            }
        }
    }
    sections.push(Section { heading: "Answers".into(), lines: answers });
    if let Some(g) = &e.gave_up {
        sections.push(Section {
            heading: "Given up (Esc)".into(),
            lines: vec![
                (Tone::Error, g.clone()),
                (
                    Tone::Quiet,
                    "The linux column is the kernel's answer to the call cut short; the models answered the call \
                     run to its end, so the model's prediction may differ from the kernel here."
                        .to_string(),
                ),
                (
                    Tone::Quiet,
                    "On Windows a call blocked in one thread fails with WSAEINTR (10004) when another thread \
                     closes its socket; Linux leaves a blocked connect running after close() and wakes it only \
                     on shutdown()."
                        .to_string(),
                ),
            ],
        });
    }

    // Why they differ: the verdict of core::compare, aspect by aspect.
    let mut why = Vec::new();
    let mark = e.mark();
    match mark {
        Mark::Same => why.push((Tone::Ok, "= Every personality answered the same.".to_string())),
        Mark::Words => why.push((
            Tone::Ok,
            "≈ The same meaning, in each platform's words (nothing a porter must handle differently):".to_string(),
        )),
        Mark::Differs => why.push((Tone::Error, "≠ The personalities differ, in:".to_string())),
    }
    if let Some(v) = e.verdict() {
        for f in &v.findings {
            let tone = if f.mark == Mark::Differs { Tone::Error } else { Tone::Quiet };
            why.push((tone, format!("{} {}: {}", f.mark.symbol(), f.aspect, f.text)));
        }
    }
    if mark == Mark::Differs {
        if rule_ids.len() == 1 {
            let (id, _) = &rule_ids[0];
            let summary = rules::find(id).map(|r| r.summary).unwrap_or("");
            // The summary names its rule already (`select: ...`).
            let summary = summary.strip_prefix(&format!("{id}: ")).unwrap_or(summary);
            why.push((Tone::Quiet, format!("One rule, answered per personality: {id}: {summary}")));
        } else {
            for (id, who) in &rule_ids {
                let names = who.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
                let summary = rules::find(id).map(|r| r.summary).unwrap_or("");
                why.push((Tone::Quiet, format!("{names}: rule {id}: {summary}")));
            }
        }
    }
    sections.push(Section { heading: "Why".into(), lines: why });

    // Codes: everything `socklab explain CODE` says (meaning on each platform, the calls that
    // return it and when, socklab's rules, counterparts, the lessons that show it).
    for c in &codes {
        let lines = crate::learn::explain(*c).lines().into_iter().map(|l| (Tone::Quiet, l)).collect();
        sections.push(Section { heading: format!("{c}: socklab explain {}", c.name()), lines });
    }

    // Rules.
    for (id, who) in &rule_ids {
        let Some(r) = rules::find(id) else { continue };
        let mut lines = vec![(Tone::Quiet, r.summary.to_string()), (Tone::Quiet, format!("source: {}", r.source))];
        let names = who.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
        lines.push((Tone::Quiet, format!("answered by: {names}")));
        if !r.assumed.is_empty() {
            let a = r.assumed.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
            lines.push((Tone::Error, format!("? assumed (not documented nor measured) for: {a}")));
        }
        sections.push(Section { heading: format!("rule {id}"), lines });
    }

    Some(Explanation { title: format!("line {}: {}", e.line_no, e.text), sections })
}

#[cfg(test)]
mod tests {
    use super::super::keys::Action;
    use super::super::{AppOptions, Msg};
    use super::*;

    #[test]
    fn pending_connect_is_explained_with_codes_and_rules() {
        let mut app = App::new(AppOptions::default());
        for l in ["socket tcp", "ioctlsocket s FIONBIO 1", "connect s @pending"] {
            app.update(Msg::Line(l.into()));
        }
        let x = explain(&app, 2).expect("row 2");
        assert_eq!(x.title, "line 3: connect s @pending");
        let heads: Vec<_> = x.sections.iter().map(|s| s.heading.as_str()).collect();
        assert!(heads.iter().any(|h| h.starts_with("WSAEWOULDBLOCK (10035)")), "{heads:?}");
        assert!(heads.iter().any(|h| h.starts_with("EINPROGRESS (115)")), "{heads:?}");
        // The code's full explanation, as `socklab explain` prints it.
        let full = crate::learn::explain(crate::core::codes::Code::EINPROGRESS).lines();
        let sec = x.sections.iter().find(|s| s.heading.starts_with("EINPROGRESS")).unwrap();
        let texts: Vec<&str> = sec.lines.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, full.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(heads.iter().any(|h| h.starts_with("rule ")), "{heads:?}");
        app.update(Msg::Key(Action::Explain));
        assert!(matches!(app.overlay(), Some(super::super::Overlay::Explain { entry: 2, .. })));
    }
}
