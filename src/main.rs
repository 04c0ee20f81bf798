//! The `socklab` command: the terminal laboratory (no subcommand), `shell`, `run`, `replay`,
//! `export`, `explain`, `learn`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use socklab::core::personality::PersonalityId;
use socklab::net::live::judge::LiveKernel;
use socklab::net::sim::SimNet;
use socklab::script::parse::{Names, decode_script, parse_line, parse_script};
use socklab::script::run::{Output, run, run_recorded};
use socklab::script::term::{SafeWriter, visible};
use socklab::session::lab::Lab;
use socklab::session::record::{Header, Network, Recorder, Tap};
use socklab::tui::{LessonStart, ReplayStart, TuiNet, TuiOptions, run_tui};

/// `eprintln!` with the text made safe for a terminal: messages quote file names, script words
/// and recorded text, whose control characters are shown, not sent.
macro_rules! say {
    ($($t:tt)*) => {
        eprintln!("{}", socklab::script::term::visible_lines(&format!($($t)*)))
    };
}

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
    /// TUI: let a Winsock agent judge the windows column (e.g. `wine64 agent/socklab-agent.exe`;
    /// see docs/winsock-agent.md).
    #[arg(long, value_name = "COMMAND")]
    winsock_judge: Option<String>,
    /// Replace an output file (`--record`, `-o`) that already exists. An input is never
    /// written, and nothing is written through a symbolic link.
    #[arg(long, global = true)]
    force: bool,
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
        /// Start COMMAND, a Winsock agent (e.g. `wine64 agent/socklab-agent.exe`), and let it
        /// judge the windows column as the kernel judges linux; exits 3 on a disagreement.
        #[arg(long, value_name = "COMMAND", conflicts_with = "record")]
        winsock_judge: Option<String>,
    },
    /// Serve socklab's targets on loopback until interrupted, printing their addresses (for
    /// the Winsock agent, exported C programs and any other client).
    Targets {
        /// Stop after this many seconds instead of waiting for Ctrl-C.
        #[arg(long, value_name = "SECS")]
        for_secs: Option<u64>,
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
    let force = cli.force;
    // The TUI's `--record FILE` is checked (and, with --force, cleared) only once a terminal
    // is there to run in: a TUI that cannot start leaves the file as it was.
    if cli.record.is_some() && matches!(cli.command, None | Some(Command::Learn { tui: true, .. })) {
        if let Err(code) = tui_can_start() {
            return code;
        }
        if let Some(path) = &cli.record {
            // The theme file, when one is named, is an input too.
            let theme = cli.theme.as_deref().map(std::path::Path::new);
            let inputs: Vec<&std::path::Path> = theme.into_iter().collect();
            match socklab::files::check_output(path, socklab::files::Policy { force, inputs: &inputs }) {
                Ok(true) => {
                    if let Err(e) = std::fs::remove_file(path) {
                        say!("socklab: cannot replace {}: {e}", path.display());
                        return ExitCode::from(2);
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    say!("socklab: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    match cli.command {
        None => tui(cli.theme, cli.mouse, cli.net, None, cli.record, None, cli.winsock_judge),
        Some(Command::Learn { lesson, tui: true, .. }) => {
            let start = match lesson {
                Some(n) => LessonStart::Number(n),
                None => LessonStart::Picker,
            };
            tui(cli.theme, cli.mouse, cli.net, Some(start), cli.record, None, cli.winsock_judge)
        }
        Some(Command::Shell) => shell(),
        Some(Command::Run { file, personality, compare: _, net, json, record, winsock_judge }) => {
            run_file(&file, personality, net, json, record.as_deref(), winsock_judge.as_deref(), force)
        }
        Some(Command::Targets { for_secs }) => socklab::net::live::agent::serve_targets(for_secs),
        Some(Command::Replay { file, headless: _, rerun: true, allow_remote, .. }) => rerun_file(&file, allow_remote),
        Some(Command::Replay { file, headless: true, rerun: false, json, .. }) => replay_file(&file, json),
        Some(Command::Replay { file, idle_limit, .. }) => {
            // A file that cannot be opened, or whose header is unreadable, has nothing to show.
            if let Err(e) = socklab::session::record::open(&file) {
                say!("socklab: {}: {e}", file.display());
                return ExitCode::from(2);
            }
            let Some(idle) = idle_limit_of(idle_limit) else {
                say!(
                    "socklab: --idle-limit {idle_limit}: expected a number of seconds greater than 0 and at most {MAX_IDLE_LIMIT_SECS}"
                );
                return ExitCode::from(2);
            };
            let start = ReplayStart { file, idle_limit: idle };
            tui(cli.theme, cli.mouse, Net::Sim, None, None, Some(start), None)
        }
        Some(Command::Export { file, to, output }) => export_file(&file, to, output.as_deref(), force),
        Some(Command::Explain { code }) => socklab::learn::cli::explain(&code),
        Some(Command::Learn { lesson, list, restart, tui: false }) => socklab::learn::cli::learn(lesson, list, restart),
        Some(Command::Completions { shell }) => socklab::learn::cli::completions(shell, Cli::command()),
        Some(Command::Manpage) => socklab::learn::cli::manpage(Cli::command()),
    }
}

/// The longest `--idle-limit`: a day (a gap longer than that is not idle, it is a break).
const MAX_IDLE_LIMIT_SECS: f64 = 86_400.0;

/// `--idle-limit SECS` as a duration: positive, finite, at most [`MAX_IDLE_LIMIT_SECS`].
fn idle_limit_of(secs: f64) -> Option<std::time::Duration> {
    if secs.is_finite() && secs > 0.0 && secs <= MAX_IDLE_LIMIT_SECS {
        std::time::Duration::try_from_secs_f64(secs).ok()
    } else {
        None
    }
}

/// The TUI needs a terminal on standard input and output; say so before touching anything.
fn tui_can_start() -> Result<(), ExitCode> {
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Ok(())
    } else {
        say!(
            "socklab: the terminal UI needs a terminal on standard input and output; for a script use `socklab run FILE`, for a recording `socklab replay FILE --headless`"
        );
        Err(ExitCode::from(2))
    }
}

fn tui(
    theme: Option<String>,
    mouse: bool,
    net: Net,
    lesson: Option<LessonStart>,
    record: Option<PathBuf>,
    replay: Option<ReplayStart>,
    winsock_judge: Option<String>,
) -> ExitCode {
    if let Some(LessonStart::Number(n)) = lesson {
        let count = socklab::learn::lesson::all().len();
        if !(1..=count).contains(&n) {
            say!("socklab: there is no lesson {n}: the lessons are numbered 1 to {count} (`socklab learn --list`)");
            return ExitCode::from(2);
        }
    }
    // A bad --theme is a bad flag: say so and stop, as for any other.
    if let Some(t) = &theme {
        let choice = socklab::ui::theme::ThemeChoice { cli: Some(t.clone()), no_color: false, config: None };
        if let (_, Some(w)) =
            socklab::ui::theme::resolve(&choice, &|p| std::fs::read_to_string(p).map_err(|e| e.to_string()))
        {
            say!("socklab: --theme {t}: {}", w.trim_end_matches("; using the default theme"));
            return ExitCode::from(2);
        }
    }
    let net = match net {
        Net::Sim => TuiNet::Sim,
        Net::Live => TuiNet::Live,
    };
    match run_tui(TuiOptions { net, theme, mouse, config: None, lesson, record, replay, winsock_judge }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("socklab: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// How many errors of a file are printed (the count of the rest follows).
const MAX_ERRORS_SHOWN: usize = 20;

fn run_file(
    file: &std::path::Path,
    personality: Option<Personality>,
    net: Net,
    json: bool,
    record: Option<&std::path::Path>,
    winsock_judge: Option<&str>,
    force: bool,
) -> ExitCode {
    if winsock_judge.is_some() && net == Net::Sim {
        say!("socklab: --winsock-judge needs the live network: the agent's calls are real");
        return ExitCode::from(2);
    }
    // `--compare` fits the terminal (COLUMNS, else the terminal's size when stdout is one).
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()).or_else(|| {
        use std::io::IsTerminal;
        std::io::stdout().is_terminal().then(|| crossterm::terminal::size().ok().map(|(w, _)| w as usize)).flatten()
    });
    socklab::script::run::set_terminal_width(width);
    let shown = visible(&file.display().to_string()).into_owned();
    let bytes = match read_script(file) {
        Ok(b) => b,
        Err(e) => {
            say!("socklab: cannot read {shown}: {e}");
            return ExitCode::from(2);
        }
    };
    let stmts = match decode_script(&bytes).map_err(|e| vec![e]).and_then(parse_script) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors.iter().take(MAX_ERRORS_SHOWN) {
                say!("{shown}: {e}");
            }
            if errors.len() > MAX_ERRORS_SHOWN {
                say!("{shown}: ... {} errors in all", errors.len());
            }
            return ExitCode::from(2);
        }
    };
    // The recording is created before the run, new: never the script, never through a link.
    let record_file = match record {
        None => None,
        Some(path) => {
            let inputs = [file];
            match socklab::files::create_new(path, socklab::files::Policy { force, inputs: &inputs }) {
                Ok(f) => Some(f),
                Err(e) => {
                    say!("socklab: cannot record: {e}");
                    return ExitCode::from(2);
                }
            }
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
                let judge = match winsock_judge.map(|c| {
                    socklab::net::live::agent::WinsockAgent::start(c, facts.target_addrs(), Some(kernel.targets()))
                }) {
                    Some(Err(e)) => {
                        say!("socklab: {e}");
                        return ExitCode::from(2);
                    }
                    Some(Ok(agent)) => Some(agent),
                    None => None,
                };
                let kernel: Box<dyn socklab::session::lab::Kernel> =
                    if record.is_some() { tap.kernel(Box::new(kernel)) } else { Box::new(kernel) };
                let lab = Lab::live(&ps, tapped(Box::new(facts)), kernel);
                (
                    match judge {
                        Some(j) => lab.with_winsock_judge(Box::new(j)),
                        None => lab,
                    },
                    header,
                )
            }
            Err(e) => {
                say!("socklab: cannot start the live network: {e}; try --net sim");
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
            let f = record_file.expect("created above when --record is given");
            match Recorder::with_tap(std::io::BufWriter::new(f), &header, tap.clone(), clock) {
                Ok(r) => Some(r),
                Err(e) => {
                    say!("socklab: cannot record to {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    };
    // A terminal sees every line as it is made; a pipe or a file gets the transcript in 64 KB
    // writes (a write per line was a third of the connect storm's system calls), filtered
    // (`SafeWriter`) a block at a time rather than a formatting fragment at a time.
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = if stdout.is_terminal() {
        Box::new(SafeWriter::for_output(stdout.lock(), json))
    } else {
        Box::new(std::io::BufWriter::with_capacity(1 << 16, SafeWriter::for_output(stdout.lock(), json)))
    };
    let result = match recorder.as_mut() {
        Some(r) => run_recorded(&stmts, &mut lab, output, &mut out, r),
        None => run(&stmts, &mut lab, output, &mut out),
    };
    if let Some(r) = recorder {
        if let Err(e) = r.stop() {
            say!("socklab: cannot finish the recording: {e}");
        }
    }
    let flushed = out.flush();
    drop(out);
    // The process ends here: its sockets close with it (the kernel's exit is cheaper than one
    // close(2) each, and the targets' threads need no goodbye), so the lab is not dropped (nor
    // are the parsed statements: 20,000 of them took 3 M instructions to free one by one). A
    // Winsock agent is another process: dropping the lab tells it to quit and waits for it
    // (bounded), so no agent is left running after `run`.
    if lab.has_winsock_judge() {
        drop(lab);
    } else {
        std::mem::forget(lab);
    }
    std::mem::forget(stmts);
    if let (Ok(_), Err(e)) = (&result, &flushed) {
        say!("socklab: {e}");
        return ExitCode::from(2);
    }
    match result {
        Ok(report) if report.failures.is_empty() && report.disagreements.is_empty() => ExitCode::SUCCESS,
        Ok(report) => {
            for f in &report.failures {
                say!("{f}");
            }
            for d in &report.disagreements {
                say!("model disagrees with its judge: {d}");
            }
            ExitCode::from(if report.failures.is_empty() { 3 } else { 1 })
        }
        Err(e) => {
            say!("socklab: {e}");
            ExitCode::from(2)
        }
    }
}

/// Real sockets: socklab's targets on loopback, and the kernel that judges the linux model.
fn live_network() -> Result<(LiveKernel, socklab::net::live::judge::LiveFacts), String> {
    match socklab::net::live::limits::raise_nofile_limit() {
        Ok(r) if r.is_low() => say!("socklab: {r}"),
        Ok(_) => {}
        Err(e) => say!("socklab: could not read the descriptor limit: {e}"),
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
        say!("socklab: {}: {e}", file.display());
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
    let mut out = std::io::BufWriter::with_capacity(1 << 16, SafeWriter::for_output(stdout.lock(), json));
    let report = socklab::script::replay::replay(reader, json, &mut out);
    // The transcript is the output: failing to write it (a full disk, a closed pipe) is an
    // error, as it is for `run` and `export`.
    let flushed = out.flush();
    drop(out);
    let report = match (report, flushed) {
        (Ok(r), Ok(())) => r,
        (Err(e), _) | (Ok(_), Err(e)) => {
            say!("socklab: cannot write the transcript: {e}");
            return ExitCode::from(2);
        }
    };
    for d in report.divergences.iter().take(20) {
        say!("{}: diverges: {d}", file.display());
    }
    if report.diverged > 20 {
        say!("{}: ... {} divergences in all", file.display(), report.diverged);
    }
    if let Some(e) = &report.error {
        say!("socklab: {}: {e}; the {} entries before it were replayed", file.display(), report.entries);
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
            say!("socklab: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let safety = "socklab's live network sends nothing beyond loopback: those calls are reported as not made";
    if !remote.is_empty() {
        for r in &remote {
            say!("{}:{}: `{}` reaches {}, beyond this host", file.display(), r.line, r.text, r.addr);
        }
        if !allow_remote {
            say!(
                "socklab: refusing to re-run a recording whose calls reach beyond this host; pass --allow-remote to re-run it anyway ({safety})"
            );
            return ExitCode::from(2);
        }
        say!("socklab: --allow-remote: re-running anyway; {safety}");
    }
    let (kernel, facts) = match live_network() {
        Ok(x) => x,
        Err(e) => {
            say!("socklab: cannot start the live network: {e}");
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
    let mut out = SafeWriter::new(stdout.lock());
    match socklab::script::replay::rerun(reader, &mut lab, &today, &mut out) {
        Ok(r) => {
            if let Some(e) = &r.error {
                say!("socklab: {}: {e}; the calls before it were re-run", file.display());
                return ExitCode::from(2);
            }
            if r.differences > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(e) => {
            say!("socklab: {e}");
            ExitCode::from(2)
        }
    }
}

/// `socklab export FILE --to ...`: written whole to a new file (atomically; never the
/// recording itself, never through a link; an existing file only with --force), or to standard
/// output, where the Markdown handout's text is made safe for a terminal.
fn export_file(file: &std::path::Path, to: ExportTo, output: Option<&std::path::Path>, force: bool) -> ExitCode {
    use socklab::session::export::{Format, export};
    if let Some(path) = output {
        // Refused before the recording is read: nothing is lost, nothing is half-written.
        let inputs = [file];
        if let Err(e) = socklab::files::check_output(path, socklab::files::Policy { force, inputs: &inputs }) {
            say!("socklab: {e}");
            return ExitCode::from(2);
        }
    }
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
        say!("socklab: {}: {e}", visible(&file.display().to_string()));
        return ExitCode::from(2);
    }
    let written = match output {
        Some(path) => {
            let inputs = [file];
            socklab::files::write_atomic(path, &buf, socklab::files::Policy { force, inputs: &inputs })
                .map_err(|e| e.to_string())
        }
        None => {
            let mut out = SafeWriter::new(std::io::stdout().lock());
            out.write_all(&buf).and_then(|()| out.flush()).map_err(|e| format!("cannot write the export: {e}"))
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("socklab: {e}");
            ExitCode::from(2)
        }
    }
}

/// The largest script `socklab run` reads (a larger file is not a script someone wrote).
const MAX_SCRIPT_BYTES: u64 = 64 << 20;

/// A script's bytes, at most [`MAX_SCRIPT_BYTES`] (so `/dev/zero` is an error, not a hang).
fn read_script(file: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)?.take(MAX_SCRIPT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(std::io::Error::other(format!("larger than {MAX_SCRIPT_BYTES} bytes: not a script")));
    }
    Ok(bytes)
}

/// The interactive lab without a terminal UI: one command per line, all personalities side by
/// side on the simulated network.
fn shell() -> ExitCode {
    use socklab::files::{Line, read_line_capped};
    use socklab::script::parse::MAX_LINE_BYTES;
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
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    let mut errors = 0usize;
    let mut n = 0usize;
    // Every line in error is reported (the first MAX_ERRORS_SHOWN of them) and makes the exit
    // status 1; a line that cannot be read ends the session with status 2.
    let report = |e: &dyn std::fmt::Display, errors: &mut usize| {
        *errors += 1;
        if *errors <= MAX_ERRORS_SHOWN {
            say!("{e}");
        } else if *errors == MAX_ERRORS_SHOWN + 1 {
            say!("socklab: more errors follow; only the first {MAX_ERRORS_SHOWN} are shown");
        }
    };
    loop {
        n += 1;
        let line = match read_line_capped(&mut input, &mut buf, MAX_LINE_BYTES + 2, 1 << 30) {
            Ok(Line::End) => break,
            Ok(Line::Read) => {
                while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                    buf.pop();
                }
                match decode_script(&buf) {
                    Ok(text) => text.to_string(),
                    Err(mut e) => {
                        e.line = n;
                        report(&e, &mut errors);
                        continue;
                    }
                }
            }
            Ok(Line::TooLong) => {
                report(&format!("line {n}: longer than {MAX_LINE_BYTES} bytes: not read"), &mut errors);
                continue;
            }
            Err(e) => {
                say!("socklab: cannot read line {n}: {e}");
                return ExitCode::from(2);
            }
        };
        match parse_line(&line, n, &mut names) {
            Ok(Some(stmt)) => {
                let mut out = SafeWriter::new(stdout.lock());
                if let Err(e) =
                    run(std::slice::from_ref(&stmt), &mut lab, Output::Compare, &mut out).and_then(|_| out.flush())
                {
                    say!("socklab: cannot write: {e}");
                    return ExitCode::from(2);
                }
            }
            Ok(None) => {}
            Err(e) => report(&e, &mut errors),
        }
    }
    if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
