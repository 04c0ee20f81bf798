//! The terminal front ends: `socklab learn` (line-based; works with piped input too),
//! `socklab explain`, and the generated man page and shell completions.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use super::explain::explain_query;
use super::lesson::{self, Lesson};
use super::progress::Progress;
use super::run::{DEFAULT_WIDTH, Layout, LessonRun, StepOutcome};

/// Words that end a `socklab learn` session (progress is kept).
pub const QUIT_WORDS: &[&str] = &["quit", "exit", "q"];

/// `socklab learn [N] [--list] [--restart]`, on the process's terminal.
pub fn learn(number: Option<usize>, list: bool, restart: bool) -> ExitCode {
    let stdin = io::stdin();
    let interactive = stdin.is_terminal();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let path = Progress::default_path();
    // The compare columns need about 170 characters; a narrower terminal gets one line per
    // personality instead.
    let (layout, width) = match crossterm::terminal::size() {
        Ok((w, _)) if io::stdout().is_terminal() => {
            let w = usize::from(w);
            (if w < 170 { Layout::Rows } else { Layout::Columns }, w.saturating_sub(1).min(DEFAULT_WIDTH))
        }
        _ => (Layout::Columns, DEFAULT_WIDTH),
    };
    let result =
        learn_with(number, list, restart, &mut stdin.lock(), &mut out, path.as_deref(), interactive, (layout, width));
    let _ = out.flush();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("socklab: {e}");
            ExitCode::from(2)
        }
    }
}

/// The lesson list, one per line: number, two spaces, title, and the learner's status.
pub fn list_lines(progress: &Progress) -> Vec<String> {
    lesson::all()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut line = format!("{}  {}", i + 1, l.title);
            if progress.is_complete(&l.id) {
                line.push_str("  (done)");
            } else if let Some(c) = progress.current.as_ref().filter(|c| c.lesson == l.id && c.step > 0) {
                line.push_str(&format!("  (stopped at step {} of {})", c.step + 1, l.steps.len()));
            }
            line
        })
        .collect()
}

/// `socklab learn` with its input, output and progress file given (for tests and other
/// front ends). `progress_path: None` keeps no progress.
#[allow(clippy::too_many_arguments)]
pub fn learn_with(
    number: Option<usize>,
    list: bool,
    restart: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    progress_path: Option<&Path>,
    interactive: bool,
    (layout, width): (Layout, usize),
) -> io::Result<ExitCode> {
    let mut progress = match progress_path {
        Some(p) => {
            let loaded = Progress::load(p);
            if let Some(w) = &loaded.warning {
                eprintln!("socklab: {w}");
                if let Err(e) = loaded.progress.save(p) {
                    eprintln!("socklab: could not replace {}: {e}", p.display());
                }
            }
            loaded.progress
        }
        None => Progress::default(),
    };
    if list {
        for l in list_lines(&progress) {
            writeln!(out, "{l}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let count = lesson::all().len();
    let n = match number {
        Some(n) if (1..=count).contains(&n) => n,
        Some(n) => {
            eprintln!(
                "socklab: there is no lesson {n}: the lessons are numbered 1 to {count} (`socklab learn --list`)"
            );
            return Ok(ExitCode::from(2));
        }
        None => pick_lesson(&progress),
    };
    let lesson = &lesson::all()[n - 1];
    let start = if restart { 0 } else { progress.resume_step(&lesson.id) };
    let mut run = LessonRun::resume(lesson, start);
    run.set_layout(layout);
    run.set_width(width);
    intro(out, n, lesson, start, width)?;
    writeln!(out, "{}", run.instruction())?;
    let mut save_failed = false;
    let mut save = |progress: &Progress, out: &mut dyn Write| -> io::Result<()> {
        if let Some(p) = progress_path {
            if let Err(e) = progress.save(p) {
                if !save_failed {
                    save_failed = true;
                    writeln!(out, "(could not save your progress to {}: {e})", p.display())?;
                }
            }
        }
        Ok(())
    };
    let mut line = String::new();
    loop {
        write!(out, "\nlesson {n}, step {}> ", run.step_index() + 1)?;
        out.flush()?;
        line.clear();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            break;
        }
        let typed = line.trim_end_matches(['\n', '\r']);
        if !interactive {
            writeln!(out, "{typed}")?;
        }
        if QUIT_WORDS.contains(&typed.trim().to_ascii_lowercase().as_str()) {
            break;
        }
        let outcome = run.feed(typed);
        writeln!(out, "{outcome}")?;
        if matches!(typed.trim().to_ascii_lowercase().as_str(), "help" | "?") {
            writeln!(out, "  {:<6} stop here; `socklab learn` continues where you stopped", QUIT_WORDS[0])?;
        }
        if let StepOutcome::Passed(_) = &outcome {
            if run.is_finished() {
                progress.complete(&lesson.id);
                save(&progress, out)?;
                match lesson::all().get(n) {
                    Some(next) => writeln!(out, "\nNext lesson: `socklab learn {}` ({}).", n + 1, next.title)?,
                    None => writeln!(out, "\nThat was the last lesson. `socklab learn --list` shows them all.")?,
                }
                return Ok(ExitCode::SUCCESS);
            }
            progress.at(&lesson.id, run.step_index());
            save(&progress, out)?;
            writeln!(out, "\n{}", run.instruction())?;
        }
    }
    // Leaving before the first step is done changes nothing.
    if !run.is_finished() && run.step_index() > 0 {
        progress.at(&lesson.id, run.step_index());
        save(&progress, out)?;
        if progress_path.is_some() {
            writeln!(
                out,
                "Stopped at step {} of {}. `socklab learn {n}` continues from there.",
                run.step_index() + 1,
                run.step_count()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Without a number: the lesson in progress, else the first one not complete, else the first.
fn pick_lesson(progress: &Progress) -> usize {
    let all = lesson::all();
    if let Some(c) = &progress.current {
        if let Some(i) = all.iter().position(|l| l.id == c.lesson) {
            return i + 1;
        }
    }
    all.iter().position(|l| !progress.is_complete(&l.id)).map(|i| i + 1).unwrap_or(1)
}

fn intro(out: &mut dyn Write, n: usize, lesson: &Lesson, start: usize, width: usize) -> io::Result<()> {
    writeln!(out, "Lesson {n} of {}: {}", lesson::all().len(), lesson.title)?;
    writeln!(out)?;
    write!(out, "{}", super::run::reflow(&lesson.goal, width, "  "))?;
    writeln!(out)?;
    writeln!(
        out,
        "Type the command each step asks for and press Enter. Every command runs in four\n\
         personalities at once: linux, winsock, windows and winsock1; ≠ marks a command where they\n\
         differ, ≈ one where they mean the same in their own words. Stuck? `hint` gives a hint,\n\
         `show` the exact command, `skip` types it for you. `quit` stops; your progress is kept."
    )?;
    if start > 0 {
        writeln!(
            out,
            "\nWelcome back: resuming at step {}. The earlier steps were replayed for you\n(`socklab learn {n} --restart` starts the lesson over).",
            start + 1
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// `socklab explain CODE`.
pub fn explain(query: &str) -> ExitCode {
    let found = explain_query(query);
    if found.is_empty() {
        eprintln!(
            "socklab: `{query}` is not a code socklab knows: expected a name such as WSAEALREADY or EINPROGRESS, or a number such as 10035 or 0x2733"
        );
        return ExitCode::from(2);
    }
    let width = match crossterm::terminal::size() {
        Ok((w, _)) if io::stdout().is_terminal() => usize::from(w).saturating_sub(1).max(40),
        _ => 100,
    };
    let texts: Vec<String> = found
        .iter()
        .map(|e| e.lines().iter().flat_map(|l| super::run::wrap_hanging(l, width)).collect::<Vec<_>>().join("\n"))
        .collect();
    println!("{}", texts.join("\n\n"));
    ExitCode::SUCCESS
}

/// `socklab manpage`: the man page (roff) generated from the command-line definition.
pub fn manpage(cmd: clap::Command) -> ExitCode {
    let mut out = io::stdout().lock();
    match clap_mangen::Man::new(cmd).render(&mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("socklab: {e}");
            ExitCode::from(2)
        }
    }
}

/// `socklab completions SHELL`: a completion script for the shell, from the same definition.
pub fn completions(shell: clap_complete::Shell, mut cmd: clap::Command) -> ExitCode {
    let mut out = io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "socklab", &mut out);
    ExitCode::SUCCESS
}

/// The text of `docs/lessons.md`, generated from the lessons (a test keeps the file in step).
pub fn lessons_markdown() -> String {
    let mut s = String::from(
        "# Lessons\n\n\
         <!-- Generated from src/learn/lessons.toml; `SOCKLAB_BLESS=1 cargo test --test learn` rewrites it. -->\n\n\
         `socklab learn N` plays lesson N in the terminal: it asks for one command at a time, runs it in\n\
         all four personalities on the simulated network, checks what happened and explains it.\n\
         `socklab learn` alone continues where you stopped; `socklab learn --list` lists the lessons.\n\
         Progress is kept in `~/.local/share/socklab/progress.toml` (or under `$XDG_DATA_HOME`, or\n\
         `$SOCKLAB_DATA_DIR`). At any step: `hint`, `show` (the exact command), `skip`, `quit`.\n\n\
         | # | lesson | steps |\n|---|---|---|\n",
    );
    for (i, l) in lesson::all().iter().enumerate() {
        s.push_str(&format!("| {} | {} | {} |\n", i + 1, l.title, l.steps.len()));
    }
    for (i, l) in lesson::all().iter().enumerate() {
        s.push_str(&format!("\n## {}. {}\n\n", i + 1, l.title));
        s.push_str(&l.goal.trim().replace('\n', " "));
        s.push_str("\n\n");
        let codes: Vec<String> = l.codes().iter().map(|c| format!("`{}`", c.name())).collect();
        if !codes.is_empty() {
            s.push_str(&format!("Codes it shows: {}.\n\n", codes.join(", ")));
        }
        s.push_str("The lesson as a script, with its checks (run by `cargo test`):\n\n```lab\n");
        s.push_str(&l.script());
        s.push_str("```\n");
    }
    s
}
