//! Free TCP ports on the loopback interface.

use std::io;
use std::net::TcpListener;

/// Asks the kernel for a TCP port on 127.0.0.1 that is free right now. Another process may take
/// it before we use it; [`Cluster::start`](crate::Cluster::start) retries when that happens.
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
