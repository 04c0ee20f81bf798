//! The real binary in a real terminal: tmux runs `socklab`, `send-keys` types, `capture-pane`
//! reads the screen. Create a TCP socket, make it nonblocking, connect to @refuse, let time
//! pass, see the failed state and the failure notification, open help, quit, and check that the
//! terminal was restored (the shell after it prints RESTORED on the normal screen).
//!
//! Each run uses its own tmux server (`-L socklab-test-<pid>-<n>`) and kills only that one.
//! Every wait is bounded (10 s). CI installs tmux (.ci/run); without it the test says so.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            // CI runs without a terminal: tell the tmux server what to emulate.
            .env("TERM", "xterm-256color")
            .arg("-u")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "lab"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "lab"];
        args.extend_from_slice(keys);
        let out = self.cmd(&args);
        assert!(out.status.success(), "send-keys {keys:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Poll the screen until `pred` holds (at most 10 s); the screen is in the panic message.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            last = self.capture();
            if pred(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("waited 10 s for {what}; the screen was:\n{last}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

fn start(name: &str, cols: u16, rows: u16, extra_env: &str) -> Tmux {
    start_with(name, cols, rows, extra_env, "")
}

/// `start` with arguments for socklab (`--net sim learn --tui 1`).
fn start_with(name: &str, cols: u16, rows: u16, extra_env: &str, args: &str) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_socklab");
    let home = std::env::temp_dir().join(format!("socklab-tmux-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let t = Tmux { socket: format!("socklab-test-{}-{name}", std::process::id()) };
    // A config dir of our own: the user's config must not change what the test sees.
    let script = format!(
        "cd '{h}' && env -u NO_COLOR HOME='{h}' XDG_CONFIG_HOME='{h}' LANG=C.UTF-8 TERM=xterm-256color {extra_env} '{bin}' {args}; echo RESTORED; sleep 30",
        h = home.display()
    );
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "lab",
        "-x",
        &cols.to_string(),
        "-y",
        &rows.to_string(),
        "sh",
        "-c",
        &script,
    ]);
    assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
    t
}

fn require_tmux() -> bool {
    if tmux_available() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "tmux is required in CI (.ci/run installs it)");
    eprintln!("tmux not installed: skipping the end-to-end terminal test");
    false
}

#[test]
fn refused_connect_in_a_real_terminal_then_help_then_quit_restores_the_terminal() {
    if !require_tmux() {
        return;
    }
    assert!(Path::new(env!("CARGO_BIN_EXE_socklab")).exists());
    let t = start("refuse", 100, 30, "");
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)") && s.contains("Call log"));

    t.keys(&["t"]);
    t.wait_for("a TCP socket", |s| s.contains("socket tcp") && s.contains("tcp4"));
    t.keys(&["n"]);
    t.wait_for("nonblocking mode", |s| s.contains("ioctlsocket s FIONBIO 1"));
    t.keys(&["c"]);
    t.wait_for("the target picker", |s| s.contains("connect s to") && s.contains("@refuse"));
    t.keys(&["2"]);
    t.wait_for("the connect line", |s| s.contains("connect s @refuse") && s.contains("WSAEWOULDBLOCK"));
    // Time passes only when asked: windows retries the refused SYN for about 2 s.
    t.keys(&["w", "w", "w"]);
    let s = t.wait_for("the failed state and its notification", |s| {
        s.contains("failed◀") && s.contains("wait 1000") && s.contains("WSAECONNREFUSED (10061)")
    });
    assert!(s.contains("✗ failed"), "the socket list shows the failed state with its symbol:\n{s}");
    assert!(s.contains("readiness") || s.contains("STATE"), "a failure notification is listed:\n{s}");
    assert!(s.contains("last: pending → failed"), "the last transition is labelled:\n{s}");

    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| s.contains("Help") && s.contains("toggle nonblocking"));
    t.keys(&["Escape"]);
    t.wait_for("help closed", |s| !s.contains("toggle nonblocking"));
    t.keys(&["q"]);
    let s = t.wait_for("the shell after socklab", |s| s.contains("RESTORED"));
    assert!(!s.contains("Call log"), "the alternate screen is gone:\n{s}");
    let alt = t.cmd(&["display-message", "-p", "-t", "lab", "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0", "alternate screen still on");
}

#[test]
fn sigterm_restores_the_terminal_at_80x24() {
    if !require_tmux() {
        return;
    }
    let t = start("term", 80, 24, "");
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)"));
    t.keys(&["t", "n", "c", "3"]);
    t.wait_for("a pending connect", |s| s.contains("connect s @pending") && s.contains("[pending]"));
    let pid = t.cmd(&["display-message", "-p", "-t", "lab", "#{pane_pid}"]);
    let shell_pid = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    // The pane runs `sh -c '...'`; socklab is its child (found through /proc, no pgrep needed).
    let socklab_pid = child_of(&shell_pid).unwrap_or_else(|| panic!("no child of {shell_pid}"));
    let killed = Command::new("kill").args(["-TERM", &socklab_pid]).status().expect("kill");
    assert!(killed.success());
    let s = t.wait_for("the shell after SIGTERM", |s| s.contains("RESTORED"));
    assert!(!s.contains("Call log"), "the alternate screen is gone:\n{s}");
}

/// The first child process of `ppid` (Linux /proc).
fn child_of(ppid: &str) -> Option<String> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        if rest.split_whitespace().nth(1) == Some(ppid) {
            return Some(name);
        }
    }
    None
}

/// Total CPU time (user + system, in clock ticks) of a process, from /proc.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

/// Issue 12 item 4, issue 14 item 10: on the live network (the default) a blocking connect to
/// @pending shows at once in the log with a running clock, every view stays usable (help opens
/// and closes), it costs no CPU while it waits, Esc gives up on it (another thread shuts the
/// socket down and closes it: each personality answers that, the kernel for real, and the
/// recording holds it so that a replay shows the same), and q quits, restoring the terminal.
#[test]
fn a_blocking_live_connect_shows_its_clock_stays_usable_and_esc_gives_up() {
    if !require_tmux() {
        return;
    }
    let t = start_with("blocking", 100, 30, "", "--record esc.ndjson");
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)") && s.contains("live"));
    t.keys(&["t"]);
    t.wait_for("a TCP socket", |s| s.contains("socket tcp") && s.contains("tcp4"));
    t.keys(&["c", "3"]);
    t.wait_for("the pending row", |s| s.contains("connect s @pending") && s.contains("waiting for the kernel"));
    t.wait_for("its clock running", |s| s.contains("kernel: 2 s") || s.contains("kernel: 3 s"));
    // Views stay usable while the call blocks.
    t.keys(&["?"]);
    t.wait_for("the help", |s| s.contains("Keys (from the key map"));
    t.keys(&["Escape"]);
    t.wait_for("the help closed, the call still pending", |s| {
        !s.contains("Keys (from the key map") && s.contains("waiting for the kernel")
    });
    // No CPU while it waits: at most 2 ticks (20 ms) over 2 s, for the clock's redraws.
    let pane_pid = String::from_utf8_lossy(&t.cmd(&["display-message", "-p", "-t", "lab", "#{pane_pid}"]).stdout)
        .trim()
        .to_string();
    let pid = child_of(&pane_pid).expect("socklab runs in the pane");
    let before = cpu_ticks(&pid);
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(&pid) - before;
    assert!(used <= 2, "socklab used {used} clock ticks of CPU in 2 s while a connect blocked");
    // Esc gives up: another thread shuts the socket down and closes it; the kernel's connect
    // wakes (ECONNRESET: Linux wakes at the shutdown), the Winsock models' at the close.
    t.keys(&["Escape"]);
    let s = t.wait_for("the call given up from another thread", |s| {
        s.contains("gave up on `connect s @pending`") && s.contains("shutdown s")
    });
    assert!(!s.contains("waiting for the kernel"), "{s}");
    assert!(s.contains("(gave up)"), "the row says it was given up:\n{s}");
    assert!(s.contains("after") && s.contains("closesocket"), "the close from the side is in the log:\n{s}");
    assert!(s.contains("ECONNRESET"), "the kernel's answer:\n{s}");
    assert!(s.contains("EINTR"), "Winsock's answer (WSAEINTR):\n{s}");
    t.keys(&["q"]);
    let s = t.wait_for("the shell after q", |s| s.contains("RESTORED"));
    assert!(!s.contains("Call log"), "the alternate screen is gone:\n{s}");
    drop(t);
    // The recording holds the other thread's calls before the connect, with the answers.
    let file = std::env::temp_dir().join(format!("socklab-tmux-{}-blocking/esc.ndjson", std::process::id()));
    let bin = env!("CARGO_BIN_EXE_socklab");
    let o = Command::new(bin).args(["replay", file.to_str().unwrap(), "--headless"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    let at = |needle: &str| out.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the replay:\n{out}"));
    assert!(at("shutdown s both") < at("connect s @pending"), "{out}");
    let connect = &out[at("connect s @pending")..];
    let row = connect.lines().next().unwrap_or("");
    assert!(row.contains("ECONNRESET") && row.contains("WSAEINTR"), "the connect's answers replayed:\n{out}");
}

/// Issue 12 item 9: on the live network the status line's clock follows the real one while
/// nothing is due (before, `t=` froze until the next step).
#[test]
fn the_live_status_clock_runs_while_idle() {
    if !require_tmux() {
        return;
    }
    let t = start("idle-clock", 100, 30, "");
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)") && s.contains("live"));
    let clock = |s: &str| -> Option<u64> {
        let at = s.rfind(" t=")?;
        s[at + 3..].split(" ms").next()?.parse().ok()
    };
    let first = clock(&t.wait_for("a clock", |s| clock(s).is_some())).unwrap();
    let s = t.wait_for("the clock 2 s on", |s| clock(s).is_some_and(|c| c >= first + 2000));
    assert!(s.contains("live"), "{s}");
    t.keys(&["q"]);
    t.wait_for("the shell after q", |s| s.contains("RESTORED"));
}

/// q quits at once even while a live call blocks.
#[test]
fn q_quits_while_a_live_connect_blocks() {
    if !require_tmux() {
        return;
    }
    let t = start("blocking-q", 80, 24, "");
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)") && s.contains("live"));
    t.keys(&["t"]);
    t.wait_for("a TCP socket", |s| s.contains("socket tcp"));
    t.keys(&["c", "3"]);
    t.wait_for("the pending row", |s| s.contains("waiting for"));
    t.keys(&["q"]);
    let s = t.wait_for("the shell after q", |s| s.contains("RESTORED"));
    assert!(!s.contains("Call log"), "the alternate screen is gone:\n{s}");
}

#[test]
fn a_lesson_in_the_screen_checks_a_step_and_keeps_the_progress() {
    if !require_tmux() {
        return;
    }
    let data = std::env::temp_dir().join(format!("socklab-tmux-{}-lesson-data", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let env = format!("SOCKLAB_DATA_DIR='{}'", data.display());
    let t = start_with("lesson", 80, 24, &env, "--net sim learn --tui 1");
    t.wait_for("lesson 1 in its panel", |s| s.contains("Lesson 1 ·") && s.contains("Step 1 of"));
    t.keys(&[":", "socket tcp as b", "Enter"]);
    let s = t.wait_for("the step checked", |s| s.contains("Step 1 done") && s.contains("socket tcp as b"));
    assert!(s.contains("Step 2 of"), "the panel moved to step 2:\n{s}");
    t.keys(&["Escape"]);
    t.wait_for("the lesson closed", |s| !s.contains("Lesson 1 ·"));
    t.keys(&["q"]);
    t.wait_for("the shell after socklab", |s| s.contains("RESTORED"));
    let saved = std::fs::read_to_string(data.join("progress.toml")).expect("progress saved");
    assert!(saved.contains("lesson = \"blocking\"") && saved.contains("step = 1"), "{saved}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn r_mid_session_records_from_the_start_and_the_recording_replays_in_the_screen() {
    if !require_tmux() {
        return;
    }
    let t = start_with("record", 100, 30, "", "--net sim");
    t.wait_for("the welcome line", |s| s.contains("Welcome"));
    t.keys(&["t", "n", "c", "2"]);
    t.wait_for("the refused connect", |s| s.contains("connect s @refuse"));
    t.keys(&["R"]);
    let s = t.wait_for("the recording indicator", |s| s.contains("● REC"));
    assert!(s.contains("entries so far written first"), "{s}");
    t.keys(&["M"]);
    t.wait_for("the prompt with mark", |s| s.contains(":mark"));
    t.keys(&["done", "Enter"]);
    t.wait_for("the marker", |s| s.contains("marker `done` added"));
    t.keys(&["w"]);
    t.wait_for("the wait", |s| s.contains("wait 1000"));
    t.keys(&["R"]);
    t.wait_for("the recording stopped", |s| s.contains("recording stopped"));
    t.keys(&["q"]);
    t.wait_for("the shell after socklab", |s| s.contains("RESTORED"));
    drop(t);
    let home = std::env::temp_dir().join(format!("socklab-tmux-{}-record", std::process::id()));
    let file = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "ndjson"))
        .expect("R wrote a recording in the current directory");
    let bin = env!("CARGO_BIN_EXE_socklab");
    let o = Command::new(bin).args(["replay", file.to_str().unwrap(), "--headless"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("socket tcp") && out.contains("done") && out.contains("wait 1000"), "{out}");
    // The same file in the screen: the bar, then ] jumps to the marker.
    let t = start_with("replay", 100, 30, "", &format!("replay '{}'", file.display()));
    t.wait_for("the replay bar", |s| s.contains("entry 0/"));
    t.keys(&["]"]);
    let s = t.wait_for("the marker", |s| s.contains("marker 1 `done`"));
    assert!(s.contains("connect s @refuse"), "{s}");
    // Space plays the rest, paced (the recorded 1 s wait), to the end.
    t.keys(&["Space"]);
    let s = t.wait_for("the end of the recording", |s| s.contains("end of the recording"));
    assert!(s.contains("wait 1000"), "{s}");
    t.keys(&["q"]);
    t.wait_for("the shell after socklab", |s| s.contains("RESTORED"));
}

/// Issue 12 item 7: a live recording holds what happened, not the clock's ticks. A pending
/// connect keeps the models' clocks running; 30 s of idling then adds one wait, not hundreds.
#[test]
fn an_idle_live_recording_holds_only_a_few_entries() {
    if !require_tmux() {
        return;
    }
    let t = start_with("idle-rec", 100, 30, "", "--record idle.ndjson");
    let file = std::env::temp_dir().join(format!("socklab-tmux-{}-idle-rec/idle.ndjson", std::process::id()));
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)") && s.contains("REC"));
    t.keys(&["t", "n", "c", "3"]);
    t.wait_for("a pending connect", |s| s.contains("connect s @pending"));
    let before = std::fs::read_to_string(&file).map(|s| s.lines().count()).unwrap_or(0);
    std::thread::sleep(Duration::from_secs(30));
    t.keys(&["q"]);
    t.wait_for("the shell after q", |s| s.contains("RESTORED"));
    let text = std::fs::read_to_string(&file).expect("the recording exists");
    let waits = text.lines().filter(|l| l.contains(r#""kind":"wait""#)).count();
    let total = text.lines().count();
    assert!(waits <= 2, "{waits} wait entries after 30 s idle:\n{text}");
    assert!(total <= before + 2 * 5, "{before} entries before the idle, {total} after:\n{text}");
    // And it replays: every recorded answer reproduced.
    let out = Command::new(env!("CARGO_BIN_EXE_socklab")).args(["replay", "--headless"]).arg(&file).output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("reproduced every recorded answer"), "{out}");
}

/// The pid of socklab in the pane.
fn socklab_pid(t: &Tmux) -> String {
    let pane_pid = String::from_utf8_lossy(&t.cmd(&["display-message", "-p", "-t", "lab", "#{pane_pid}"]).stdout)
        .trim()
        .to_string();
    child_of(&pane_pid).unwrap_or_else(|| panic!("no child of {pane_pid}"))
}

fn pane_flag(t: &Tmux, flag: &str) -> String {
    String::from_utf8_lossy(&t.cmd(&["display-message", "-p", "-t", "lab", &format!("#{{{flag}}}")]).stdout)
        .trim()
        .to_string()
}

fn kill(sig: &str, pid: &str) {
    assert!(Command::new("kill").args([&format!("-{sig}"), pid]).status().expect("kill").success());
}

/// Issue 14 item 11: SIGQUIT and SIGALRM end socklab with the terminal restored (alternate
/// screen off, cursor shown); SIGUSR1 ends nothing.
#[test]
fn quit_alarm_and_usr1_never_leave_the_terminal_raw() {
    if !require_tmux() {
        return;
    }
    for sig in ["QUIT", "ALRM"] {
        let t = start(&format!("sig-{sig}"), 80, 24, "");
        t.wait_for("the fresh screen", |s| s.contains("Sockets (0)"));
        kill(sig, &socklab_pid(&t));
        let s = t.wait_for("the shell after the signal", |s| s.contains("RESTORED"));
        assert!(!s.contains("Call log"), "SIG{sig}: the alternate screen is gone:\n{s}");
        assert_eq!(pane_flag(&t, "alternate_on"), "0", "SIG{sig}");
        assert_eq!(pane_flag(&t, "cursor_flag"), "1", "SIG{sig}: the cursor is shown");
    }
    let t = start("sig-USR1", 80, 24, "");
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)"));
    kill("USR1", &socklab_pid(&t));
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["t"]);
    t.wait_for("socklab still running after SIGUSR1", |s| s.contains("socket tcp"));
    t.keys(&["q"]);
    t.wait_for("the shell after q", |s| s.contains("RESTORED"));
}

/// Issue 14 item 11: SIGTSTP restores the terminal before stopping; SIGCONT enters the screen
/// again and redraws it.
#[test]
fn tstp_restores_the_terminal_and_cont_redraws() {
    if !require_tmux() {
        return;
    }
    let t = start("sig-TSTP", 80, 24, "");
    t.wait_for("the fresh screen", |s| s.contains("Sockets (0)"));
    let pid = socklab_pid(&t);
    kill("TSTP", &pid);
    for _ in 0..100 {
        if pane_flag(&t, "alternate_on") == "0" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(pane_flag(&t, "alternate_on"), "0", "stopped: the normal screen is back");
    assert_eq!(pane_flag(&t, "cursor_flag"), "1", "stopped: the cursor is shown");
    kill("CONT", &pid);
    t.wait_for("the screen again after SIGCONT", |s| s.contains("Sockets (0)") && s.contains("Call log"));
    assert_eq!(pane_flag(&t, "alternate_on"), "1");
    // Ctrl-Z (no signal in raw mode) suspends the same way.
    t.keys(&["C-z"]);
    for _ in 0..100 {
        if pane_flag(&t, "alternate_on") == "0" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(pane_flag(&t, "alternate_on"), "0", "Ctrl-Z: the normal screen is back");
    kill("CONT", &pid);
    t.wait_for("the screen again after Ctrl-Z and SIGCONT", |s| s.contains("Call log"));
    t.keys(&["q"]);
    t.wait_for("the shell after q", |s| s.contains("RESTORED"));
}
