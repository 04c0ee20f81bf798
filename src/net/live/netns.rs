//! Experiments inside a private network namespace, for what loopback cannot show: no route
//! (`ENETUNREACH`), reject routes (`EHOSTUNREACH`, `EACCES`, `EINVAL`), a host that never
//! answers ARP (`EHOSTUNREACH` after ~3 s) and a real subnet broadcast with a receiver.
//!
//! # How
//!
//! A program (socklab itself, a helper, or a test binary) is re-executed under
//! `unshare -r -n` (an unprivileged user namespace plus a network namespace) or, as root,
//! `unshare -n`. No closure crosses the boundary: the outer side calls [`run`] with a program
//! and its arguments; the inner side, at its start, calls [`enter`], which
//!
//! 1. refuses to do anything if it finds itself in the namespace it was started from (the
//!    outer side passes its namespace id in `SOCKLAB_NETNS_HOST`), and
//! 2. builds the [`Topology`] named in `SOCKLAB_NETNS_TOPOLOGY` with iproute2 (`ip`).
//!
//! The inner side reports what it saw as a [`Report`] (one marked JSON line on stdout), which
//! the outer side parses and judges. An inner side never decides on its own that all is well:
//! the outer side asserts on the report.
//!
//! ```text
//!   outer (host netns)                      inner (private netns, vanishes on exit)
//!   run(LAB, exe, args) --unshare -r -n-->  enter() -> ip link/addr/route ...
//!                                           experiments -> Report::emit()
//!   Report::parse(stdout) <---------------  "SOCKLAB-NETNS-REPORT {json}"
//! ```
//!
//! # Network safety
//!
//! The namespace has no link to the outside: only `lo` and a veth pair whose both ends are in
//! it. It uses documentation ranges only: 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.
//! The namespace (and every address in it) disappears when the inner process exits.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::clock::Stopwatch;
use super::raw::Errno;
use super::sys;

/// Environment variable naming the topology the inner side must build.
pub const ENV_TOPOLOGY: &str = "SOCKLAB_NETNS_TOPOLOGY";
/// Environment variable carrying the outer side's network namespace id.
pub const ENV_HOST_NS: &str = "SOCKLAB_NETNS_HOST";
/// Prefix of the report line on the inner side's stdout.
pub const REPORT_MARKER: &str = "SOCKLAB-NETNS-REPORT ";

/// Whether private network namespaces can be made here, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetnsSupport {
    /// Running as root: `unshare -n`.
    Root,
    /// Unprivileged user namespaces are allowed: `unshare -r -n`.
    UserNamespace,
    /// Neither works; the reason says what was tried and what failed.
    Unavailable(String),
}

impl NetnsSupport {
    /// Finds out (once per process) by really creating a namespace with `unshare` and checking
    /// that `ip` is there.
    pub fn detect() -> Self {
        static DETECTED: OnceLock<NetnsSupport> = OnceLock::new();
        DETECTED.get_or_init(detect_uncached).clone()
    }

    /// Whether namespaces can be made.
    #[must_use]
    pub fn is_available(&self) -> bool {
        !matches!(self, Self::Unavailable(_))
    }

    /// The `unshare` arguments that make the namespace (none when unavailable).
    fn unshare_args(&self) -> &'static [&'static str] {
        match self {
            Self::Root => &["-n", "--"],
            Self::UserNamespace => &["-r", "-n", "--"],
            Self::Unavailable(_) => &[],
        }
    }
}

impl fmt::Display for NetnsSupport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("private network namespaces: yes (root, `unshare -n`)"),
            Self::UserNamespace => {
                f.write_str("private network namespaces: yes (unprivileged user namespaces, `unshare -r -n`)")
            }
            Self::Unavailable(why) => write!(f, "private network namespaces: unavailable: {why}"),
        }
    }
}

fn try_unshare(args: &[&str]) -> Result<(), String> {
    let out = Command::new("unshare")
        .args(args)
        .arg("true")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `unshare`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`unshare {} true` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn detect_uncached() -> NetnsSupport {
    if let Err(why) = sys::netns_platform() {
        return NetnsSupport::Unavailable(why);
    }
    match Command::new("ip").arg("-V").stdin(Stdio::null()).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return NetnsSupport::Unavailable(format!("`ip -V` failed ({})", o.status));
        }
        Err(e) => {
            return NetnsSupport::Unavailable(format!("iproute2's `ip` is needed to set up the namespace: {e}"));
        }
    }
    let mut reasons = Vec::new();
    if sys::is_root() {
        match try_unshare(&["-n", "--"]) {
            Ok(()) => return NetnsSupport::Root,
            Err(why) => reasons.push(why),
        }
    } else {
        reasons.push("not root".to_owned());
    }
    match try_unshare(&["-r", "-n", "--"]) {
        Ok(()) => NetnsSupport::UserNamespace,
        Err(why) => {
            reasons.push(why);
            reasons.push(
                "unprivileged user namespaces look disabled (see /proc/sys/user/max_user_namespaces, \
                 kernel.unprivileged_userns_clone, or AppArmor's restrict_unprivileged_userns)"
                    .to_owned(),
            );
            NetnsSupport::Unavailable(reasons.join("; "))
        }
    }
}

/// The lab network inside a namespace, with its well-known addresses.
///
/// `lo` is up; a veth pair `v0`/`v1` is up with `198.51.100.1/24` (broadcast `.255`) on `v0`
/// and no address on `v1`, so on-link hosts never answer ARP; reject routes cover
/// `203.0.113.0/24` and `2001:db8:1::/48` ... `2001:db8:3::/48`. There is no default route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// The lab network described above.
    Lab,
}

impl Topology {
    /// This namespace's own address on `v0`.
    pub const HOST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
    /// The subnet broadcast address of `v0` (LINUX_TRUTH 6a, 6b).
    pub const SUBNET_BROADCAST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 255);
    /// An on-link host that never answers ARP (9f): `EHOSTUNREACH` after ~3 s.
    pub const SILENT_HOST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 99);
    /// A second silent host, for a parallel experiment.
    pub const SILENT_HOST_2: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 98);
    /// No route at all (9a): `ENETUNREACH`.
    pub const NO_ROUTE: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 225);
    /// `unreachable 203.0.113.0/26` (9b): `EHOSTUNREACH`.
    pub const UNREACHABLE: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
    /// `prohibit 203.0.113.64/26` (9c): `EACCES`.
    pub const PROHIBIT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 65);
    /// `blackhole 203.0.113.128/26` (9d): `EINVAL`.
    pub const BLACKHOLE: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 129);
    /// `throw 203.0.113.192/27` (9e): `ENETUNREACH`.
    pub const THROW: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 193);
    /// No IPv6 route (9a).
    pub const NO_ROUTE6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 4, 0, 0, 0, 0, 1);
    /// `unreachable 2001:db8:1::/48` (9b).
    pub const UNREACHABLE6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
    /// `prohibit 2001:db8:2::/48` (9c).
    pub const PROHIBIT6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1);
    /// `blackhole 2001:db8:3::/48` (9d).
    pub const BLACKHOLE6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 3, 0, 0, 0, 0, 1);

    /// The name passed in [`ENV_TOPOLOGY`].
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Lab => "lab",
        }
    }

    /// Parses a name from [`Topology::name`].
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "lab" => Some(Self::Lab),
            _ => None,
        }
    }

    /// The iproute2 commands that build it (each is `ip` plus these arguments).
    #[must_use]
    pub fn commands(self) -> Vec<Vec<&'static str>> {
        match self {
            Self::Lab => vec![
                vec!["link", "set", "lo", "up"],
                vec!["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
                vec!["addr", "add", "198.51.100.1/24", "brd", "+", "dev", "v0"],
                vec!["link", "set", "v0", "up"],
                vec!["link", "set", "v1", "up"],
                vec!["route", "add", "unreachable", "203.0.113.0/26"],
                vec!["route", "add", "prohibit", "203.0.113.64/26"],
                vec!["route", "add", "blackhole", "203.0.113.128/26"],
                vec!["route", "add", "throw", "203.0.113.192/27"],
                vec!["-6", "route", "add", "unreachable", "2001:db8:1::/48"],
                vec!["-6", "route", "add", "prohibit", "2001:db8:2::/48"],
                vec!["-6", "route", "add", "blackhole", "2001:db8:3::/48"],
            ],
        }
    }

    /// Whether an address may be used inside the namespace (documentation ranges and
    /// loopback only). The inner side checks every target against this.
    #[must_use]
    pub fn allows(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => {
                let o = a.octets();
                a.is_loopback()
                    || a.is_unspecified()
                    || (o[0] == 198 && o[1] == 51 && o[2] == 100)
                    || (o[0] == 203 && o[1] == 0 && o[2] == 113)
            }
            IpAddr::V6(a) => {
                let s = a.segments();
                a.is_loopback() || a.is_unspecified() || (s[0] == 0x2001 && s[1] == 0x0db8)
            }
        }
    }
}

/// What went wrong on either side.
#[derive(Debug)]
pub enum NetnsError {
    /// Namespaces cannot be made here.
    Unavailable(String),
    /// The inner side found itself in the outer side's namespace and refused to run.
    NotIsolated,
    /// The environment did not name a known topology.
    UnknownTopology(String),
    /// An `ip` command failed while building the topology.
    Setup { command: String, stderr: String },
    /// Starting the process failed.
    Spawn(std::io::Error),
    /// The inner process did not finish in time and was killed; what it wrote until then.
    Timeout { stdout: String, stderr: String },
}

impl fmt::Display for NetnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(why) => write!(f, "private network namespaces unavailable: {why}"),
            Self::NotIsolated => {
                f.write_str("refusing to run: this process is still in the namespace it was started from")
            }
            Self::UnknownTopology(n) => write!(f, "unknown namespace topology {n:?}"),
            Self::Setup { command, stderr } => write!(f, "`{command}` failed: {stderr}"),
            Self::Spawn(e) => write!(f, "cannot start the namespace process: {e}"),
            Self::Timeout { stderr, .. } => {
                write!(f, "the namespace process did not finish in time; stderr: {stderr}")
            }
        }
    }
}

impl std::error::Error for NetnsError {}

/// What the inner process left behind.
#[derive(Debug, Clone)]
pub struct NetnsOutput {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl NetnsOutput {
    /// The report the inner side emitted, if any.
    #[must_use]
    pub fn report(&self) -> Option<Report> {
        Report::parse(&self.stdout)
    }
}

/// Runs `program args...` in a fresh private network namespace in which it will build
/// `topology` (by calling [`enter`]), waits at most `timeout` (killing it after that) and
/// returns its output.
pub fn run(
    topology: Topology,
    program: &Path,
    args: &[OsString],
    timeout: Duration,
) -> Result<NetnsOutput, NetnsError> {
    let support = NetnsSupport::detect();
    let unshare_args = match &support {
        NetnsSupport::Unavailable(why) => return Err(NetnsError::Unavailable(why.clone())),
        NetnsSupport::Root | NetnsSupport::UserNamespace => support.unshare_args(),
    };
    let host = sys::netns_id().ok_or_else(|| NetnsError::Unavailable("cannot read /proc/self/ns/net".to_owned()))?;
    let mut child = Command::new("unshare")
        .args(unshare_args)
        .arg(program)
        .args(args)
        .env(ENV_TOPOLOGY, topology.name())
        .env(ENV_HOST_NS, host)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(NetnsError::Spawn)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out_t = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err_t = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let sw = Stopwatch::start();
    let status = loop {
        match child.try_wait().map_err(NetnsError::Spawn)? {
            Some(status) => break Some(status),
            None if sw.elapsed() >= timeout => break None,
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let status = match status {
        Some(s) => s,
        None => {
            // Our own child (unshare exec()s the program, so this is the program itself).
            let _ = child.kill();
            let _ = child.wait();
            let stdout = out_t.join().unwrap_or_default();
            let stderr = err_t.join().unwrap_or_default();
            return Err(NetnsError::Timeout { stdout, stderr });
        }
    };
    Ok(NetnsOutput { status, stdout: out_t.join().unwrap_or_default(), stderr: err_t.join().unwrap_or_default() })
}

/// The inner side's first call. `None`: this process was not started by [`run`] (the caller
/// then acts as the outer side). `Some(Ok(topology))`: we are in a private namespace, different
/// from the one we were started from, and the topology is built. `Some(Err(_))`: something
/// failed; nothing must be sent.
#[must_use]
pub fn enter() -> Option<Result<Topology, NetnsError>> {
    let name = std::env::var(ENV_TOPOLOGY).ok()?;
    Some(enter_named(&name))
}

fn enter_named(name: &str) -> Result<Topology, NetnsError> {
    let host = std::env::var(ENV_HOST_NS).map_err(|_| NetnsError::NotIsolated)?;
    let here = sys::netns_id().ok_or(NetnsError::NotIsolated)?;
    if here == host {
        return Err(NetnsError::NotIsolated);
    }
    let topology = Topology::from_name(name).ok_or_else(|| NetnsError::UnknownTopology(name.to_owned()))?;
    for args in topology.commands() {
        let out = Command::new("ip").args(&args).stdin(Stdio::null()).output().map_err(NetnsError::Spawn)?;
        if !out.status.success() {
            return Err(NetnsError::Setup {
                command: format!("ip {}", args.join(" ")),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
    }
    wait_link_up("v0")?;
    Ok(topology)
}

/// Waits (bounded: 100 x 20 ms) until `ip -o link show DEV` says `state UP`, so that the
/// first experiment does not race the link coming up.
fn wait_link_up(dev: &str) -> Result<(), NetnsError> {
    let mut last = String::new();
    for _ in 0..100 {
        let out = Command::new("ip")
            .args(["-o", "link", "show", dev])
            .stdin(Stdio::null())
            .output()
            .map_err(NetnsError::Spawn)?;
        last = String::from_utf8_lossy(&out.stdout).into_owned();
        if last.contains("state UP") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(NetnsError::Setup {
        command: format!("ip -o link show {dev}"),
        stderr: format!("link not up within 2 s: {}", last.trim()),
    })
}

/// The id of the network namespace this process is in (`net:[4026531840]`), if readable.
#[must_use]
pub fn current_netns_id() -> Option<String> {
    sys::netns_id()
}

/// One thing the inner side saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The LINUX_TRUTH row (`9c`).
    pub row: String,
    /// What was done (`tcp blocking connect 203.0.113.65:80`).
    pub call: String,
    /// The answer: `ok`, a value, or an error name (`EACCES`).
    pub answer: String,
    /// How long the call took, in milliseconds.
    pub ms: f64,
}

/// What the inner side saw, sent to the outer side as one marked JSON line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The observations, in order.
    pub observations: Vec<Observation>,
}

impl Report {
    /// An empty report.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one observation.
    pub fn record(&mut self, row: &str, call: impl Into<String>, answer: impl fmt::Display, took: Duration) {
        self.observations.push(Observation {
            row: row.to_owned(),
            call: call.into(),
            answer: answer.to_string(),
            ms: took.as_secs_f64() * 1000.0,
        });
    }

    /// Records the answer of a raw call: `ok` or the error's name.
    pub fn record_result<T>(&mut self, row: &str, call: impl Into<String>, r: &Result<T, Errno>, took: Duration) {
        self.record(row, call, answer_name(r), took);
    }

    /// Writes the report line to stdout (the only thing the outer side reads).
    pub fn emit(&self) {
        let json = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned());
        // On a line of its own: a test harness may have printed half a line before.
        println!("\n{REPORT_MARKER}{json}");
    }

    /// Finds the report line in a process's stdout.
    #[must_use]
    pub fn parse(stdout: &str) -> Option<Self> {
        stdout
            .lines()
            .find_map(|l| l.find(REPORT_MARKER).map(|i| &l[i + REPORT_MARKER.len()..]))
            .and_then(|json| serde_json::from_str(json).ok())
    }

    /// The first observation of `call` (exact) in `row`.
    #[must_use]
    pub fn get(&self, row: &str, call: &str) -> Option<&Observation> {
        self.observations.iter().find(|o| o.row == row && o.call == call)
    }
}

/// `ok` for success, the error's name otherwise.
#[must_use]
pub fn answer_name<T>(r: &Result<T, Errno>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_survive_a_harness_line_prefix() {
        let mut r = Report::new();
        r.record("9c", "tcp connect", "EACCES", Duration::from_micros(3));
        r.record_result::<()>("9a", "udp connect", &Err(Errno::ENETUNREACH), Duration::ZERO);
        let json = serde_json::to_string(&r).unwrap();
        let stdout = format!("running 1 test\ntest x ... {REPORT_MARKER}{json}\nok\n");
        let back = Report::parse(&stdout).expect("parsed");
        assert_eq!(back, r);
        assert_eq!(back.get("9c", "tcp connect").unwrap().answer, "EACCES");
        assert_eq!(back.get("9a", "udp connect").unwrap().answer, Errno::ENETUNREACH.name());
        assert!(Report::parse("no report here").is_none());
    }

    #[test]
    fn the_lab_uses_documentation_ranges_only() {
        let lab = [
            IpAddr::V4(Topology::HOST),
            IpAddr::V4(Topology::SUBNET_BROADCAST),
            IpAddr::V4(Topology::SILENT_HOST),
            IpAddr::V4(Topology::SILENT_HOST_2),
            IpAddr::V4(Topology::NO_ROUTE),
            IpAddr::V4(Topology::UNREACHABLE),
            IpAddr::V4(Topology::PROHIBIT),
            IpAddr::V4(Topology::BLACKHOLE),
            IpAddr::V4(Topology::THROW),
            IpAddr::V6(Topology::NO_ROUTE6),
            IpAddr::V6(Topology::UNREACHABLE6),
            IpAddr::V6(Topology::PROHIBIT6),
            IpAddr::V6(Topology::BLACKHOLE6),
        ];
        for ip in lab {
            assert!(Topology::allows(ip), "{ip}");
        }
        for cmd in Topology::Lab.commands() {
            for arg in cmd.iter().filter(|a| a.contains('/')) {
                let ip: IpAddr = arg.split('/').next().unwrap().parse().unwrap();
                assert!(Topology::allows(ip), "ip {}", cmd.join(" "));
            }
        }
        assert_eq!(Topology::from_name(Topology::Lab.name()), Some(Topology::Lab));
    }
}
