//! Facts about the network, as the core needs them. The simulated network answers them from
//! a fixed description; the live network from what really happened on this host.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::call::{Family, NamedTarget};

/// What a route lookup for a destination says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteFact {
    /// A route exists. `broadcast`: the destination is a broadcast address on that route.
    Ok { broadcast: bool, source: IpAddr },
    /// No route at all (Linux: ENETUNREACH, synchronously).
    NoRoute,
    /// An `unreachable` route (Linux: EHOSTUNREACH, synchronously).
    Unreachable,
    /// A `prohibit` route (Linux: EACCES, synchronously).
    Prohibit,
}

/// What happens to a TCP handshake towards a destination that is not one of the host's own
/// sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpFact {
    /// The peer answers SYN-ACK after `after`; then the connection stays or is reset.
    Accepts { after: Duration, reset_after: Option<Duration> },
    /// The peer answers RST after `after` (closed port).
    Refused { after: Duration },
    /// Nothing comes back: SYNs are dropped until the connect times out.
    Silent,
    /// An on-link host that never answers ARP: the kernel gives up after `after`.
    NoArpReply { after: Duration },
}

/// What happens to a datagram sent to a destination that is not one of the host's own sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpFact {
    /// The datagram comes back from the destination after `after`.
    Echo { after: Duration },
    /// The datagram is received and nothing comes back.
    Swallowed,
    /// ICMP port unreachable comes back after `after`.
    PortUnreachable { after: Duration },
}

/// Everything the core asks the network.
pub trait Facts {
    /// The address of a named target for a socket of `family`.
    fn resolve(&self, target: NamedTarget, family: Family) -> Option<SocketAddr>;
    /// Route lookup (also tells broadcast destinations and the source address to use).
    fn route(&self, dst: IpAddr) -> RouteFact;
    /// Whether `ip` is an address of this host (bind succeeds on it).
    fn is_local(&self, ip: IpAddr) -> bool;
    /// TCP handshake outcome.
    fn tcp(&self, dst: SocketAddr) -> TcpFact;
    /// Datagram outcome.
    fn udp(&self, dst: SocketAddr) -> UdpFact;
}
