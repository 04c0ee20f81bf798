//! The `socklab` command: the terminal laboratory (no subcommand), `shell`, `run`, `replay`,
//! `export`, `explain`, `learn`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use socklab::core::personality::PersonalityId;
use socklab::net::live::judge::LiveKernel;
use socklab::net::sim::SimNet;
use socklab::script::parse::{Names, parse_line, parse_script};
use socklab::script::run::{Output, run, run_recorded};
use socklab::session::lab::Lab;
use socklab::session::record::{Header, Network, Recorder, Tap};
use socklab::tui::{LessonStart, ReplayStart, TuiNet, TuiOptions, run_tui};

/// A terminal laboratory for the semantics of connect() on Windows Sockets and POSIX.
#[derive(Debug, Parser)]
#[command(name = "socklab", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// TUI theme: a built-in name (default, light, high-contrast, monochrome, colorblind) or a
    /// path to a theme file. Overrides the config file and NO_COLOR.
    #[arg(long)]
    theme: Option<String>,
    /// TUI: capture the mouse (the wheel scrolls the log). Off by default: it breaks selecting
    /// text with the mouse.
    #[arg(long)]
    mouse: bool,
    /// TUI: which network answers: real sockets on loopback with socklab's own targets (the
    /// default), or the deterministic simulated network.
    #[arg(long, value_enum, default_value_t = Net::Live)]
    net: Net,
    /// TUI: record the whole session from its start (NDJSON, see docs/recording-format.md);
    /// `R` stops and starts recording, `M` adds a marker.
    #[arg(long, value_name = "OUT.ndjson")]
    record: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The lab without a terminal UI: one command per line, every personality side by side.
    Shell,
    /// Run a script headless and print what every personality answered.
    Run {
        /// The script (`.lab`), written in the command language.
        file: PathBuf,
        /// Answer as one personality only.
        #[arg(long, value_enum, conflicts_with = "compare")]
        personality: Option<Personality>,
        /// One column per personality, differences marked (the default).
        #[arg(long)]
        compare: bool,
        /// Which network answers: real sockets on loopback with socklab's own targets (the
        /// kernel judges the linux model), or the deterministic simulated network.
        #[arg(long, value_enum, default_value_t = Net::Live)]
        net: Net,
        /// One JSON object per step and personality instead of a transcript.
        #[arg(long)]
        json: bool,
        /// Record the session (NDJSON, see docs/recording-format.md); `mark LABEL` lines
        /// become markers.
        #[arg(long, value_name = "OUT.ndjson")]
        record: Option<PathBuf>,
    },
    /// Replay a recording: check that the core reproduces every recorded answer, or perform
    /// the recorded calls again on the live network.
    Replay {
        /// The recording (`.ndjson`).
        file: PathBuf,
        /// Print the transcript instead of opening the TUI; exits 1 when an answer diverges.
        #[arg(long)]
        headless: bool,
        /// Perform the recorded calls again on the live network now and show where today's
        /// answers differ from the recording.
        #[arg(long, conflicts_with = "headless")]
        rerun: bool,
        /// Re-run a recording whose calls name addresses beyond this host (socklab's live
        /// network still sends nothing beyond loopback: those calls are not made).
        #[arg(long, requires = "rerun")]
        allow_remote: bool,
        /// One JSON object per step and personality (with --headless).
        #[arg(long)]
        json: bool,
        /// TUI replay: idle gaps longer than this many seconds are shortened to it.
        #[arg(long, value_name = "SECS", default_value_t = 2.0)]
        idle_limit: f64,
    },
    /// Turn a recording into a handout, a C program or a script.
    Export {
        /// The recording (`.ndjson`).
        file: PathBuf,
        /// What to write.
        #[arg(long, value_enum)]
        to: ExportTo,
        /// Where to write it (standard output when absent).
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Explain an error code on each platform (`WSAEALREADY`, `EINPROGRESS`, `10035`).
    Explain {
        /// A Winsock name, an errno name or a number.
        code: String,
    },
    /// Guided lessons: step by step, checked and explained (`--list` lists them).
    Learn {
        /// The lesson's number (default: where you stopped, or the next one to do).
        lesson: Option<usize>,
        /// Print the lessons, one per line, numbered.
        #[arg(long)]
        list: bool,
        /// Start the lesson from its first step.
        #[arg(long)]
        restart: bool,
        /// Play the lesson in the terminal UI's lesson panel (without a number: the lesson
        /// picker); the rest of the screen shows the lesson's lab.
        #[arg(long, conflicts_with_all = ["list", "restart"])]
        tui: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), generated from these definitions.
    Manpage,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Personality {
    Linux,
    Winsock,
    Windows,
    Winsock1,
}

impl From<Personality> for PersonalityId {
    fn from(p: Personality) -> Self {
        match p {
            Personality::Linux => PersonalityId::Linux,
            Personality::Winsock => PersonalityId::Winsock,
            Personality::Windows => PersonalityId::Windows,
            Personality::Winsock1 => PersonalityId::Winsock1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExportTo {
    /// A Markdown handout: each call, the answers per personality, the state transitions.
    Md,
    /// A C program for POSIX making the same calls and printing each result.
    CPosix,
    /// A C program for Winsock making the same calls and printing each result.
    CWinsock,
    /// A command-language script that reproduces the session and checks its answers.
    Script,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Net {
    /// The deterministic simulated network with virtual time.
    Sim,
    /// Real sockets on this host.
    Live,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => tui(cli.theme, cli.mouse, cli.net, None, cli.record, None),
        Some(Command::Learn { lesson, tui: true, .. }) => {
            let start = match lesson {
                Some(n) => LessonStart::Number(n),
                None => LessonStart::Picker,
            };
            tui(cli.theme, cli.mouse, cli.net, Some(start), cli.record, None)
        }
        Some(Command::Shell) => shell(),
        Some(Command::Run { file, personality, compare: _, net, json, record }) => {
            run_file(&file, personality, net, json, record.as_deref())
        }
        Some(Command::Replay { file, headless: _, rerun: true, allow_remote, .. }) => rerun_file(&file, allow_remote),
        Some(Command::Replay { file, headless: true, rerun: false, json, .. }) => replay_file(&file, json),
        Some(Command::Replay { file, idle_limit, .. }) => {
            // A file that cannot be opened, or whose header is unreadable, has nothing to show.
            if let Err(e) = socklab::session::record::open(&file) {
                eprintln!("socklab: {}: {e}", file.display());
                return ExitCode::from(2);
            }
            let idle = if idle_limit.is_finite() && idle_limit > 0.0 { idle_limit } else { 2.0 };
            let start = ReplayStart { file, idle_limit: std::time::Duration::from_secs_f64(idle) };
            tui(cli.theme, cli.mouse, Net::Sim, None, None, Some(start))
        }
        Some(Command::Export { file, to, output }) => export_file(&file, to, output.as_deref()),
        Some(Command::Explain { code }) => socklab::learn::cli::explain(&code),
        Some(Command::Learn { lesson, list, restart, tui: false }) => socklab::learn::cli::learn(lesson, list, restart),
        Some(Command::Completions { shell }) => socklab::learn::cli::completions(shell, Cli::command()),
        Some(Command::Manpage) => socklab::learn::cli::manpage(Cli::command()),
    }
}

fn tui(
    theme: Option<String>,
    mouse: bool,
    net: Net,
    lesson: Option<LessonStart>,
    record: Option<PathBuf>,
    replay: Option<ReplayStart>,
) -> ExitCode {
    if let Some(LessonStart::Number(n)) = lesson {
        let count = socklab::learn::lesson::all().len();
        if !(1..=count).contains(&n) {
            eprintln!(
                "socklab: there is no lesson {n}: the lessons are numbered 1 to {count} (`socklab learn --list`)"
            );
            return ExitCode::from(2);
        }
    }
    let net = match net {
        Net::Sim => TuiNet::Sim,
        Net::Live => TuiNet::Live,
    };
    match run_tui(TuiOptions { net, theme, mouse, config: None, lesson, record, replay }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("socklab: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_file(
    file: &PathBuf,
    personality: Option<Personality>,
    net: Net,
    json: bool,
    record: Option<&std::path::Path>,
) -> ExitCode {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("socklab: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let stmts = match parse_script(&src) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("{}: {e}", file.display());
            }
            return ExitCode::from(2);
        }
    };
    let ps: Vec<PersonalityId> = match personality {
        Some(p) => vec![p.into()],
        None => PersonalityId::ALL.to_vec(),
    };
    let output = if json {
        Output::Json
    } else if ps.len() == 1 {
        Output::Single
    } else {
        Output::Compare
    };
    // A recording taps the lab's network: the facts and kernel answers go into the file.
    let tap = Tap::default();
    let tapped = |f: Box<dyn socklab::core::facts::Facts + Send>| if record.is_some() { tap.facts(f) } else { f };
    let (mut lab, header) = match net {
        Net::Sim => {
            let header = Header::new(&ps, Network::Sim, started_at(), &SimNet);
            (Lab::new(&ps, tapped(Box::new(SimNet))), header)
        }
        Net::Live => match live_network() {
            Ok((kernel, facts)) => {
                let header = Header::new(&ps, Network::Live, started_at(), &facts);
                let kernel: Box<dyn socklab::session::lab::Kernel> =
                    if record.is_some() { tap.kernel(Box::new(kernel)) } else { Box::new(kernel) };
                (Lab::live(&ps, tapped(Box::new(facts)), kernel), header)
            }
            Err(e) => {
                eprintln!("socklab: cannot start the live network: {e}; try --net sim");
                return ExitCode::from(2);
            }
        },
    };
    let mut recorder = match record {
        None => None,
        Some(path) => {
            let mut header = header;
            header.source = Some(file.display().to_string());
            // Offsets: real time on the live network, virtual time on the simulated one.
            let clock: Option<socklab::session::record::Clock> = match net {
                Net::Live => {
                    let sw = socklab::net::live::Stopwatch::start();
                    Some(Box::new(move || sw.elapsed()))
                }
                Net::Sim => None,
            };
            match Recorder::create(path, &header, tap.clone(), clock) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("socklab: cannot record to {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    };
    // A terminal sees every line as it is made; a pipe or a file gets the transcript in 64 KB
    // writes (a write per line was a third of the connect storm's system calls).
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = if stdout.is_terminal() {
        Box::new(stdout.lock())
    } else {
        Box::new(std::io::BufWriter::with_capacity(1 << 16, stdout.lock()))
    };
    let result = match recorder.as_mut() {
        Some(r) => run_recorded(&stmts, &mut lab, output, &mut *out, r),
        None => run(&stmts, &mut lab, output, &mut *out),
    };
    if let Some(r) = recorder {
        if let Err(e) = r.stop() {
            eprintln!("socklab: cannot finish the recording: {e}");
        }
    }
    let flushed = out.flush();
    drop(out);
    // The process ends here: its sockets close with it (the kernel's exit is cheaper than one
    // close(2) each, and the targets' threads need no goodbye), so the lab is not dropped.
    std::mem::forget(lab);
    if let (Ok(_), Err(e)) = (&result, &flushed) {
        eprintln!("socklab: {e}");
        return ExitCode::from(2);
    }
    match result {
        Ok(report) if report.failures.is_empty() && report.disagreements.is_empty() => ExitCode::SUCCESS,
        Ok(report) => {
            for f in &report.failures {
                eprintln!("{f}");
            }
            for d in &report.disagreements {
                eprintln!("model disagrees with the kernel: {d}");
            }
            ExitCode::from(if report.failures.is_empty() { 3 } else { 1 })
        }
        Err(e) => {
            eprintln!("socklab: {e}");
            ExitCode::from(2)
        }
    }
}

/// Real sockets: socklab's targets on loopback, and the kernel that judges the linux model.
fn live_network() -> Result<(LiveKernel, socklab::net::live::judge::LiveFacts), String> {
    match socklab::net::live::limits::raise_nofile_limit() {
        Ok(r) if r.is_low() => eprintln!("socklab: {r}"),
        Ok(_) => {}
        Err(e) => eprintln!("socklab: could not read the descriptor limit: {e}"),
    }
    LiveKernel::start().map_err(|e| e.to_string())
}

/// Now, in RFC 3339 (UTC, seconds): the one wall-clock read of the command line, for
/// recordings' `started_at`.
fn started_at() -> String {
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    let secs = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    socklab::session::record::rfc3339(secs)
}

fn open_recording(
    file: &std::path::Path,
) -> Result<socklab::session::record::Reader<std::io::BufReader<std::fs::File>>, ExitCode> {
    socklab::session::record::open(file).map_err(|e| {
        eprintln!("socklab: {}: {e}", file.display());
        ExitCode::from(2)
    })
}

/// `socklab replay FILE --headless`: 0 when every answer is reproduced, 1 on a divergence,
/// 2 when the file cannot be read to its end (what could be read was replayed).
fn replay_file(file: &std::path::Path, json: bool) -> ExitCode {
    let reader = match open_recording(file) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let report = socklab::script::replay::replay(reader, json, &mut out);
    let _ = out.flush();
    drop(out);
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("socklab: {e}");
            return ExitCode::from(2);
        }
    };
    for d in report.divergences.iter().take(20) {
        eprintln!("{}: diverges: {d}", file.display());
    }
    if report.diverged > 20 {
        eprintln!("{}: ... {} divergences in all", file.display(), report.diverged);
    }
    if let Some(e) = &report.error {
        eprintln!("socklab: {}: {e}; the {} entries before it were replayed", file.display(), report.entries);
        return ExitCode::from(2);
    }
    if report.diverged > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// `socklab replay FILE --rerun`: 0 when today's answers are the recorded ones, 1 when some
/// differ, 2 when the recording cannot be re-run (unreadable, or remote without
/// `--allow-remote`).
fn rerun_file(file: &std::path::Path, allow_remote: bool) -> ExitCode {
    let reader = match open_recording(file) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let header = reader.header().clone();
    let remote = match socklab::session::replay::remote_addresses(&header, reader.numbered()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("socklab: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let safety = "socklab's live network sends nothing beyond loopback: those calls are reported as not made";
    if !remote.is_empty() {
        for r in &remote {
            eprintln!("{}:{}: `{}` reaches {}, beyond this host", file.display(), r.line, r.text, r.addr);
        }
        if !allow_remote {
            eprintln!(
                "socklab: refusing to re-run a recording whose calls reach beyond this host; pass --allow-remote to re-run it anyway ({safety})"
            );
            return ExitCode::from(2);
        }
        eprintln!("socklab: --allow-remote: re-running anyway; {safety}");
    }
    let (kernel, facts) = match live_network() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("socklab: cannot start the live network: {e}");
            return ExitCode::from(2);
        }
    };
    let today = socklab::session::record::HeaderFacts::from_facts(&facts);
    let mut lab = Lab::live(&header.personalities, Box::new(facts), Box::new(kernel));
    let reader = match open_recording(file) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match socklab::script::replay::rerun(reader, &mut lab, &today, &mut out) {
        Ok(r) => {
            if let Some(e) = &r.error {
                eprintln!("socklab: {}: {e}; the calls before it were re-run", file.display());
                return ExitCode::from(2);
            }
            if r.differences > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(e) => {
            eprintln!("socklab: {e}");
            ExitCode::from(2)
        }
    }
}

/// `socklab export FILE --to ...`.
fn export_file(file: &std::path::Path, to: ExportTo, output: Option<&std::path::Path>) -> ExitCode {
    use socklab::session::export::{Format, export};
    let reader = match open_recording(file) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let format = match to {
        ExportTo::Md => Format::Markdown,
        ExportTo::CPosix => Format::CPosix,
        ExportTo::CWinsock => Format::CWinsock,
        ExportTo::Script => Format::Script,
    };
    let mut buf = Vec::new();
    if let Err(e) = export(reader, format, &mut buf) {
        eprintln!("socklab: {}: {e}", file.display());
        return ExitCode::from(2);
    }
    let written = match output {
        Some(path) => std::fs::write(path, &buf),
        None => std::io::stdout().lock().write_all(&buf),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("socklab: cannot write the export: {e}");
            ExitCode::from(2)
        }
    }
}

/// The interactive lab without a terminal UI: one command per line, all personalities side by
/// side on the simulated network.
fn shell() -> ExitCode {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    if interactive {
        println!(
            "socklab: type commands (`socket tcp as s`, `ioctlsocket s FIONBIO 1`, `connect s @refuse`, `wait 3000`); Ctrl-D quits."
        );
    }
    let mut lab = Lab::new(PersonalityId::ALL, Box::new(SimNet));
    let mut names = Names::default();
    let stdout = std::io::stdout();
    for (n, line) in stdin.lock().lines().enumerate() {
        let Ok(line) = line else { break };
        match parse_line(&line, n + 1, &mut names) {
            Ok(Some(stmt)) => {
                let mut out = stdout.lock();
                if let Err(e) = run(std::slice::from_ref(&stmt), &mut lab, Output::Compare, &mut out) {
                    eprintln!("socklab: {e}");
                }
            }
            Ok(None) => {}
            Err(e) => eprintln!("{e}"),
        }
    }
    ExitCode::SUCCESS
}
