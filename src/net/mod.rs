//! Facts from the world: the simulated network and (later) live sockets.
