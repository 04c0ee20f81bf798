//! Personality profiles: the table part of each personality. The engine's hooks
//! (`engine/`) read these fields; a new personality is a new profile plus, where its
//! semantics are structurally different, a new arm in the hooks.

use std::time::Duration;

use super::call::PollBits;
use super::codes::Code;
use super::personality::PersonalityId;

/// The facts that distinguish one personality from another.
#[derive(Debug)]
pub struct Profile {
    pub id: PersonalityId,
    /// Speaks Winsock: `WSAE*` codes, `SOCKET_ERROR`, WSAStartup required.
    pub winsock: bool,
    /// Winsock version started for the user (`None` on POSIX).
    pub version: Option<(u8, u8)>,
    /// Winsock 2 functions exist (WSAConnect, ConnectEx, WSAEventSelect, WSAPoll, ...).
    pub ws2: bool,
    /// IPv6 sockets exist.
    pub ipv6: bool,
    /// The error of a connect repeated while the first is pending on a nonblocking socket.
    pub pending_again: Code,
    /// Whether reading SO_ERROR clears it.
    pub so_error_clears: bool,
    /// Extra time a refused handshake takes because the SYN is retried after a reset.
    pub refused_retry: Duration,
    /// Default time before an unanswered SYN gives up.
    pub syn_timeout: Duration,
    /// revents WSAPoll / poll report for a failed connect.
    pub poll_failed: PollBits,
    /// `IPV6_V6ONLY` default.
    pub v6only_default: bool,
    /// First ephemeral port.
    pub ephemeral_base: u16,
}

/// Linux as measured (LINUX_TRUTH.md).
pub static LINUX: Profile = Profile {
    id: PersonalityId::Linux,
    winsock: false,
    version: None,
    ws2: false,
    ipv6: true,
    pending_again: Code::EALREADY,
    so_error_clears: true,
    refused_retry: Duration::ZERO,
    // tcp_syn_retries=6: SYNs at 0,1,3,7,15,31,63 s, give up at 127 s (LINUX_TRUTH 4b).
    syn_timeout: Duration::from_secs(127),
    poll_failed: PollBits(PollBits::IN.0 | PollBits::OUT.0 | PollBits::ERR.0 | PollBits::HUP.0 | PollBits::RDHUP.0),
    v6only_default: false,
    ephemeral_base: 32768,
};

/// Windows Sockets 2 as documented in the seeds.
pub static WINSOCK: Profile = Profile {
    id: PersonalityId::Winsock,
    winsock: true,
    version: Some((2, 2)),
    ws2: true,
    ipv6: true,
    pending_again: Code::WSAEALREADY,
    so_error_clears: true,
    refused_retry: Duration::ZERO,
    // Not documented; socklab uses the value Windows is measured to use (see `windows`).
    syn_timeout: Duration::from_secs(21),
    // The WSAPoll reference page says one thing about failed connects: as of Windows 10
    // version 2004 a TCP socket that fails to connect is reported as
    // POLLHUP|POLLERR|POLLWRNORM (learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsapoll,
    // Remarks). Earlier versions are not described there.
    poll_failed: PollBits(PollBits::ERR.0 | PollBits::HUP.0 | PollBits::OUT.0),
    v6only_default: true,
    ephemeral_base: 49152,
};

/// Windows as it really behaves. Each departure from WINSOCK cites its source.
pub static WINDOWS: Profile = Profile {
    id: PersonalityId::Windows,
    winsock: true,
    version: Some((2, 2)),
    ws2: true,
    ipv6: true,
    // Documented value. Real Windows also answers WSAEINVAL here, depending on timing
    // (warmcat/libwebsockets PR #2715, PR #291); the answer's note says so.
    pending_again: Code::WSAEALREADY,
    // Reading SO_ERROR does not clear it: dotnet/corefx #8464 (Windows returned
    // ConnectionRefused on two reads where Linux returned 111 then 0).
    so_error_clears: false,
    // After a RST Windows resends the SYN (MaxSynRetransmissions, default 4, no backoff), so a
    // refused connect takes about 2 s, on loopback too: libuv/libuv PR #2896 ("will retry for
    // 2s, even on loopback devices"), curl/curl #14144, msys2/MSYS2-packages #2355.
    refused_retry: Duration::from_secs(2),
    // An unanswered SYN fails after 21 s by default: nmap/nmap #2113, SciQLop/speasy PR #344
    // (7 s / 21 s / 123 s for MaxSynRetransmissions 2 / 4 / 6).
    syn_timeout: Duration::from_secs(21),
    // As documented (see WINSOCK): POLLHUP|POLLERR|POLLWRNORM since Windows 10 2004; Wine's
    // test_WSAPoll (interactive block, run on Windows) expects exactly these bits. Before 2004
    // WSAPoll reported nothing for a failed connect (MicrosoftDocs/sdk-api PR #764); the answer
    // says so where it reports a failed connect.
    poll_failed: PollBits(PollBits::ERR.0 | PollBits::HUP.0 | PollBits::OUT.0),
    v6only_default: true,
    ephemeral_base: 49152,
};

/// A Winsock 1.1 application (WSOCK32.DLL): no Winsock 2 functions, no IPv6, and
/// WSAEALREADY reported as WSAEINVAL (seed 002, the WSAEALREADY entry of connect).
pub static WINSOCK1: Profile = Profile {
    id: PersonalityId::Winsock1,
    winsock: true,
    version: Some((1, 1)),
    ws2: false,
    ipv6: false,
    pending_again: Code::WSAEINVAL,
    so_error_clears: true,
    refused_retry: Duration::ZERO,
    syn_timeout: Duration::from_secs(21),
    poll_failed: PollBits(0),
    v6only_default: true,
    ephemeral_base: 49152,
};

impl Profile {
    /// The profile of a personality.
    pub fn of(id: PersonalityId) -> &'static Profile {
        match id {
            PersonalityId::Linux => &LINUX,
            PersonalityId::Winsock => &WINSOCK,
            PersonalityId::Windows => &WINDOWS,
            PersonalityId::Winsock1 => &WINSOCK1,
        }
    }

    /// Pick the POSIX or the Winsock spelling of an error.
    pub fn pick(&self, posix: Code, winsock: Code) -> Code {
        if self.winsock { winsock } else { posix }
    }

    /// Names of poll bits as this personality's header spells them.
    pub fn poll_names(&self, bits: PollBits) -> String {
        let mut s = String::new();
        self.push_poll_names(&mut s, bits);
        s
    }

    /// [`Profile::poll_names`], appended to `s` (`0` when no bit is set).
    pub fn push_poll_names(&self, s: &mut String, bits: PollBits) {
        let start = s.len();
        for (_, n) in self.poll_table().iter().filter(|(b, _)| bits.contains(*b)) {
            if s.len() > start {
                s.push('|');
            }
            s.push_str(n);
        }
        if s.len() == start {
            s.push('0');
        }
    }

    /// The poll bits this personality names, in the order its names are written.
    pub(crate) fn poll_table(&self) -> &'static [(PollBits, &'static str)] {
        if self.winsock {
            &[
                (PollBits::IN, "POLLRDNORM"),
                (PollBits::OUT, "POLLWRNORM"),
                (PollBits::ERR, "POLLERR"),
                (PollBits::HUP, "POLLHUP"),
                (PollBits::NVAL, "POLLNVAL"),
            ]
        } else {
            &[
                (PollBits::IN, "POLLIN"),
                (PollBits::RDNORM, "POLLRDNORM"),
                (PollBits::PRI, "POLLPRI"),
                (PollBits::OUT, "POLLOUT"),
                (PollBits::WRNORM, "POLLWRNORM"),
                (PollBits::WRBAND, "POLLWRBAND"),
                (PollBits::ERR, "POLLERR"),
                (PollBits::HUP, "POLLHUP"),
                (PollBits::NVAL, "POLLNVAL"),
                (PollBits::RDHUP, "POLLRDHUP"),
                (PollBits::RDBAND, "POLLRDBAND"),
            ]
        }
    }
}
