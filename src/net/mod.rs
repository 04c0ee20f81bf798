//! Facts from the world: the deterministic simulated network (and live sockets).

pub mod sim;
