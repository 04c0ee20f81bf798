//! The simulated lab network: fixed, deterministic facts.
//!
//! ```text
//! 127.0.0.0/8, ::1     this host; targets on port 7001.. (see `SimNet::PORTS`)
//! 198.51.100.0/24      an on-link lab subnet; this host is .1, .255 is its broadcast;
//!                      .2 accepts TCP, .3 refuses, .4 drops SYNs, other hosts never answer ARP
//! 203.0.113.0/24       an `unreachable` route (EHOSTUNREACH)
//! 198.18.0.0/15        a `prohibit` route (EACCES)
//! 255.255.255.255      the limited broadcast, sent out of the lab interface (the host has an
//!                      interface, so it routes: LINUX_TRUTH 6d with a route)
//! anything else        no route (ENETUNREACH); there is no default route
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::core::call::{Family, NamedTarget};
use crate::core::facts::{Facts, RouteFact, TcpFact, UdpFact};

/// The deterministic simulated network.
#[derive(Clone, Debug, Default)]
pub struct SimNet;

/// Delay before `@slow` completes its handshake (what the live `@slow` shows: one SYN
/// retransmission on Linux).
pub const SLOW_DELAY: Duration = Duration::from_millis(1000);
/// Delay before `@reset` resets an accepted connection.
pub const RESET_DELAY: Duration = Duration::from_millis(100);
/// How long an on-link host that never answers ARP takes to fail (LINUX_TRUTH 9f).
pub const ARP_TIMEOUT: Duration = Duration::from_secs(3);

impl SimNet {
    /// The loopback port of each target.
    pub const PORTS: &'static [(NamedTarget, u16)] = &[
        (NamedTarget::Accept, 7001),
        (NamedTarget::Refuse, 7002),
        (NamedTarget::Pending, 7003),
        (NamedTarget::Slow, 7004),
        (NamedTarget::Reset, 7005),
        (NamedTarget::Echo, 7006),
        (NamedTarget::Sink, 7007),
    ];

    fn target_at(dst: SocketAddr) -> Option<NamedTarget> {
        if !is_loopback(dst.ip()) {
            return None;
        }
        SimNet::PORTS.iter().find(|(_, p)| *p == dst.port()).map(|(t, _)| *t)
    }
}

fn v4(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(a) => a.to_ipv4_mapped(),
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match v4(ip) {
        Some(a) => a.is_loopback(),
        None => ip == IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

fn in_lab_subnet(a: Ipv4Addr) -> bool {
    a.octets()[..3] == [198, 51, 100]
}

impl Facts for SimNet {
    fn resolve(&self, target: NamedTarget, family: Family) -> Option<SocketAddr> {
        let port = SimNet::PORTS.iter().find(|(t, _)| *t == target).map(|(_, p)| *p)?;
        let ip = match family {
            Family::V4 => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Family::V6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        Some(SocketAddr::new(ip, port))
    }

    fn route(&self, dst: IpAddr) -> RouteFact {
        let Some(a) = v4(dst) else {
            return if dst == IpAddr::V6(Ipv6Addr::LOCALHOST) {
                RouteFact::Ok { broadcast: false, source: dst }
            } else {
                RouteFact::NoRoute
            };
        };
        let o = a.octets();
        if a.is_loopback() {
            return RouteFact::Ok { broadcast: o[1..] == [255, 255, 255], source: IpAddr::V4(Ipv4Addr::LOCALHOST) };
        }
        if a.is_unspecified() {
            return RouteFact::Ok { broadcast: false, source: IpAddr::V4(Ipv4Addr::LOCALHOST) };
        }
        if a.is_broadcast() {
            // The limited broadcast leaves through the host's interface: SO_BROADCAST decides
            // (LINUX_TRUTH 6d, "with a default route or SO_BINDTODEVICE").
            return RouteFact::Ok { broadcast: true, source: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)) };
        }
        if in_lab_subnet(a) {
            return RouteFact::Ok { broadcast: o[3] == 255, source: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)) };
        }
        if o[..3] == [203, 0, 113] {
            return RouteFact::Unreachable;
        }
        if o[0] == 198 && (o[1] == 18 || o[1] == 19) {
            return RouteFact::Prohibit;
        }
        RouteFact::NoRoute
    }

    fn is_local(&self, ip: IpAddr) -> bool {
        is_loopback(ip) || v4(ip) == Some(Ipv4Addr::new(198, 51, 100, 1))
    }

    fn tcp(&self, dst: SocketAddr) -> TcpFact {
        if let Some(t) = SimNet::target_at(dst) {
            return match t {
                NamedTarget::Accept => TcpFact::Accepts { after: Duration::ZERO, reset_after: None },
                NamedTarget::Pending => TcpFact::Silent,
                NamedTarget::Slow => TcpFact::Accepts { after: SLOW_DELAY, reset_after: None },
                NamedTarget::Reset => TcpFact::Accepts { after: Duration::ZERO, reset_after: Some(RESET_DELAY) },
                NamedTarget::Refuse | NamedTarget::Echo | NamedTarget::Sink => {
                    TcpFact::Refused { after: Duration::ZERO }
                }
            };
        }
        if is_loopback(dst.ip()) {
            return TcpFact::Refused { after: Duration::ZERO };
        }
        match v4(dst.ip()).map(|a| a.octets()[3]) {
            Some(2) => TcpFact::Accepts { after: Duration::from_millis(1), reset_after: None },
            Some(3) => TcpFact::Refused { after: Duration::from_millis(1) },
            Some(4) => TcpFact::Silent,
            _ => TcpFact::NoArpReply { after: ARP_TIMEOUT },
        }
    }

    fn udp(&self, dst: SocketAddr) -> UdpFact {
        match SimNet::target_at(dst) {
            Some(NamedTarget::Echo) => UdpFact::Echo { after: Duration::ZERO },
            Some(NamedTarget::Sink) => UdpFact::Swallowed,
            Some(_) => UdpFact::PortUnreachable { after: Duration::ZERO },
            None if is_loopback(dst.ip()) => UdpFact::PortUnreachable { after: Duration::ZERO },
            None => UdpFact::Swallowed,
        }
    }
}
