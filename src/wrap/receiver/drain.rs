//! The receiver after the command has exited: what it sent before is still taken in. A
//! command may send its last spans and exit without waiting for the answer (an SDK that
//! does not wait at exit, a program that writes and leaves): its request is then whole in
//! the socket, in a connection not yet accepted or not yet read. So the connections
//! waiting in the listen backlog are accepted, and every connection is served until it
//! ends, which one whose sender has exited does as soon as its last request is read
//! (the stream ends there). A connection another process keeps open (a daemon the
//! command started) is waited for at most [`DRAIN_MAX`].

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long the stop waits for connections to end: what a connection held open by a
/// process still running costs the command's exit code.
pub(super) const DRAIN_MAX: Duration = Duration::from_millis(100);

/// Whether a connection waits to be accepted on `listener`, now.
pub(super) fn waits(listener: &TcpListener) -> bool {
    let mut fd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll(2) on one descriptor the listener owns, through a local, no waiting.
    unsafe { libc::poll(&mut fd, 1, 0) > 0 }
}

/// Accepts every connection waiting on `backlog` (a second descriptor of the receiver's
/// listening socket, not waiting) and hands each to `serve` with a permit of
/// `connections`; past the permits, the rest are closed.
pub(super) fn accept_backlog(
    backlog: &TcpListener,
    connections: &Arc<Semaphore>,
    mut serve: impl FnMut(TcpStream, OwnedSemaphorePermit),
) {
    while let Ok((stream, _)) = backlog.accept() {
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            return;
        };
        let stream = stream
            .set_nonblocking(true)
            .and_then(|()| TcpStream::from_std(stream));
        if let Ok(stream) = stream {
            serve(stream, permit);
        }
    }
}

/// Waits until every connection has ended (all `total` permits are back), at most
/// [`DRAIN_MAX`].
pub(super) async fn until_served(connections: &Semaphore, total: usize) {
    let all = u32::try_from(total).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN_MAX, connections.acquire_many(all)).await;
}
