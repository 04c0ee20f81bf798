//! The `socklab` command: the terminal laboratory (no subcommand), `shell`, `run`, `explain`,
//! `learn`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use socklab::core::personality::PersonalityId;
use socklab::net::live::judge::LiveKernel;
use socklab::net::sim::SimNet;
use socklab::script::parse::{Names, parse_line, parse_script};
use socklab::script::run::{Output, run};
use socklab::session::lab::Lab;
use socklab::tui::{LessonStart, TuiNet, TuiOptions, run_tui};

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
enum Net {
    /// The deterministic simulated network with virtual time.
    Sim,
    /// Real sockets on this host.
    Live,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => tui(cli.theme, cli.mouse, cli.net, None),
        Some(Command::Learn { lesson, tui: true, .. }) => {
            let start = match lesson {
                Some(n) => LessonStart::Number(n),
                None => LessonStart::Picker,
            };
            tui(cli.theme, cli.mouse, cli.net, Some(start))
        }
        Some(Command::Shell) => shell(),
        Some(Command::Run { file, personality, compare: _, net, json }) => run_file(&file, personality, net, json),
        Some(Command::Explain { code }) => socklab::learn::cli::explain(&code),
        Some(Command::Learn { lesson, list, restart, tui: false }) => socklab::learn::cli::learn(lesson, list, restart),
        Some(Command::Completions { shell }) => socklab::learn::cli::completions(shell, Cli::command()),
        Some(Command::Manpage) => socklab::learn::cli::manpage(Cli::command()),
    }
}

fn tui(theme: Option<String>, mouse: bool, net: Net, lesson: Option<LessonStart>) -> ExitCode {
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
    match run_tui(TuiOptions { net, theme, mouse, config: None, lesson }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("socklab: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_file(file: &PathBuf, personality: Option<Personality>, net: Net, json: bool) -> ExitCode {
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
    let mut lab = match net {
        Net::Sim => Lab::new(&ps, Box::new(SimNet)),
        Net::Live => match live_lab(&ps) {
            Ok(lab) => lab,
            Err(e) => {
                eprintln!("socklab: cannot start the live network: {e}; try --net sim");
                return ExitCode::from(2);
            }
        },
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(&stmts, &mut lab, output, &mut out) {
        Ok(report) if report.failures.is_empty() && report.disagreements.is_empty() => ExitCode::SUCCESS,
        Ok(report) => {
            let _ = out.flush();
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

/// A lab on real sockets: socklab's targets on loopback, the kernel judging the linux model.
fn live_lab(ps: &[PersonalityId]) -> Result<Lab, String> {
    match socklab::net::live::limits::raise_nofile_limit() {
        Ok(r) if r.is_low() => eprintln!("socklab: {r}"),
        Ok(_) => {}
        Err(e) => eprintln!("socklab: could not read the descriptor limit: {e}"),
    }
    let (kernel, facts) = LiveKernel::start().map_err(|e| e.to_string())?;
    Ok(Lab::live(ps, Box::new(facts), Box::new(kernel)))
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
