//! The `socklab` command: the terminal laboratory, `shell`, `explain`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use socklab::app::lang::{Names, parse_line};
use socklab::core::codes::Code;
use socklab::core::personality::PersonalityId;
use socklab::net::sim::SimNet;
use socklab::script::run::{Output, run};
use socklab::session::lab::Lab;
use socklab::tui::{TuiNet, TuiOptions, run_tui};

/// A terminal laboratory for the semantics of connect() on Windows Sockets and POSIX.
#[derive(Debug, Parser)]
#[command(name = "socklab", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Theme: a built-in name (default, light, high-contrast, monochrome, colorblind) or a path.
    #[arg(long, global = true)]
    theme: Option<String>,
    /// Capture the mouse (wheel scrolls the log); off by default because it breaks selection.
    #[arg(long, global = true)]
    mouse: bool,
    /// Which network answers in the TUI.
    #[arg(long, value_enum, default_value_t = Net::Sim, global = true)]
    net: Net,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The lab without a terminal UI: one command per line, every personality side by side.
    Shell,
    /// Explain an error code on each platform (`WSAEALREADY`, `EINPROGRESS`, `10035`).
    Explain {
        /// A Winsock name, an errno name or a number.
        code: String,
    },
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
        None => {
            let net = match cli.net {
                Net::Sim => TuiNet::Sim,
                Net::Live => TuiNet::Live,
            };
            match run_tui(TuiOptions { net, theme: cli.theme, mouse: cli.mouse, config: None }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("socklab: {e:?}");
                    ExitCode::from(1)
                }
            }
        }
        Some(Command::Shell) => shell(),
        Some(Command::Explain { code }) => explain(&code),
    }
}

fn explain(query: &str) -> ExitCode {
    let codes = Code::lookup(query);
    if codes.is_empty() {
        eprintln!(
            "socklab: `{query}` is not a code socklab knows: expected a name such as WSAEALREADY or EINPROGRESS, or a number such as 10035"
        );
        return ExitCode::from(2);
    }
    for c in codes {
        println!("{c}  [{}]", c.platform());
        println!("  {}", c.meaning());
        if let Some(o) = c.counterpart() {
            println!("  on {}: {o}: {}", o.platform(), o.meaning());
        }
        for s in c.see_also() {
            println!("  compare {s}: {}", s.meaning());
        }
    }
    ExitCode::SUCCESS
}

/// The interactive lab without a terminal UI: one command per line, all personalities side by
/// side on the simulated network.
fn shell() -> ExitCode {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        println!(
            "socklab shell: type commands (`socket tcp as s`, `ioctlsocket s FIONBIO 1`, `connect s @refuse`, `wait 3000`); Ctrl-D quits."
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
