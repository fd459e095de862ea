//! The receiver before its first connection: its thread waits in one `poll(2)` on the
//! listening socket and on the stop signal, and the tokio runtime is built only once a
//! connection comes. A command that never sends (`run --wrap true`) so costs the wrapper
//! no runtime to build and tear down after it exits; one that connects at once is served
//! as before, its connection waiting in the listen backlog (the socket listens from before
//! the spawn) while the runtime comes up. A wait that lasts has something done meanwhile
//! (the price data loaded beside the command).

use std::io;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{
    AtomicU8,
    Ordering::{AcqRel, Acquire},
};
use std::time::Duration;

/// Whether the receiver's thread still waits for a first connection, shared by the thread
/// and the receiver's handle: the first of them to move it decides. A thread that was
/// never needed is not waited for when the receiver stops (waking it and waiting for its
/// end cost the command's exit code a thread hand-off), and never serves after that.
#[derive(Debug, Default)]
pub(super) struct State(AtomicU8);

const WAITING: u8 = 0;
const SERVING: u8 = 1;
const ABANDONED: u8 = 2;

impl State {
    /// The thread, at a first connection: whether it may serve (the receiver was not
    /// stopped first).
    pub(super) fn serve(&self) -> bool {
        self.0
            .compare_exchange(WAITING, SERVING, AcqRel, Acquire)
            .is_ok()
    }

    /// The handle, as it stops the receiver: whether the thread never served (it is then
    /// left to end by itself, and never serves).
    pub(super) fn abandon(&self) -> bool {
        self.0
            .compare_exchange(WAITING, ABANDONED, AcqRel, Acquire)
            .is_ok()
    }
}

/// What ended the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Woken {
    /// A connection waits to be accepted (or the wait failed: the runtime takes over).
    Connection,
    /// The receiver was stopped first.
    Stopped,
}

/// The two ends of the stop signal: the receiver's handle keeps the first and closes it
/// to stop; the thread watches the second, which then reads as closed.
pub(super) fn stop_signal() -> io::Result<(UnixStream, UnixStream)> {
    UnixStream::pair()
}

/// What the wait does if no connection has come after `after`: once, then it waits on.
pub(super) struct Meanwhile<F: FnOnce()> {
    pub(super) after: Duration,
    pub(super) run: F,
}

/// Waits until `listener` has a connection to accept or `stop`'s other end is closed,
/// running `meanwhile` once should neither come within its time. A connection waiting
/// wins over a stop: what the command sent before it ended is still taken in (`drain`).
pub(super) fn first_connection(
    listener: &TcpListener,
    stop: &UnixStream,
    meanwhile: Meanwhile<impl FnOnce()>,
) -> Woken {
    let mut fds = [
        libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: stop.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let mut meanwhile = Some(meanwhile);
    loop {
        let timeout = meanwhile.as_ref().map_or(-1, |m| {
            libc::c_int::try_from(m.after.as_millis()).unwrap_or(libc::c_int::MAX)
        });
        // SAFETY: poll(2) on two descriptors this thread owns, through a local array.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Woken::Connection;
        }
        if ready == 0 {
            // An interrupted poll starts its time again: at worst `after` comes later.
            if let Some(due) = meanwhile.take() {
                (due.run)();
            }
            continue;
        }
        if fds[0].revents != 0 {
            return Woken::Connection;
        }
        if fds[1].revents != 0 {
            return Woken::Stopped;
        }
    }
}

/// Inside the runtime: resolves once `stop`'s other end is closed, or at once should the
/// runtime not take the socket (the receiver then ends rather than outlive its handle).
pub(super) async fn stopped(stop: UnixStream) {
    let Ok(stop) = stop
        .set_nonblocking(true)
        .and_then(|()| tokio::net::UnixStream::from_std(stop))
    else {
        return;
    };
    let _ = stop.readable().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    #[test]
    fn a_connection_wakes_the_wait() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (_keep, watch) = stop_signal().unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let meanwhile = Meanwhile {
            after: Duration::from_secs(600),
            run: || panic!("a connection came first"),
        };
        assert_eq!(
            first_connection(&listener, &watch, meanwhile),
            Woken::Connection
        );
    }

    #[test]
    fn a_wait_past_its_time_runs_meanwhile_once_and_waits_on() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (_keep, watch) = stop_signal().unwrap();
        let (ran_tx, ran_rx) = std::sync::mpsc::channel();
        let waiting = std::thread::spawn(move || {
            let meanwhile = Meanwhile {
                after: Duration::from_millis(1),
                run: move || ran_tx.send(()).unwrap(),
            };
            first_connection(&listener, &watch, meanwhile)
        });
        ran_rx.recv().unwrap();
        let _client = TcpStream::connect(addr).unwrap();
        assert_eq!(waiting.join().unwrap(), Woken::Connection);
        assert!(ran_rx.try_recv().is_err(), "ran once");
    }

    /// A receiver that drops what it takes.
    fn bound_and_served(bound: crate::wrap::receiver::Bound) -> crate::wrap::receiver::Receiver {
        bound
            .serve(
                std::sync::Arc::new(|_: Vec<crate::span::Span>, _| {}),
                std::sync::Arc::new(|_, _| {}),
                None,
                None,
                crate::wrap::receiver::DEFAULT_BODY_LIMIT,
            )
            .unwrap()
    }

    #[test]
    fn a_receiver_nobody_sends_to_builds_no_runtime() {
        let receiver = bound_and_served(crate::wrap::receiver::Receiver::bind().unwrap());
        assert!(!receiver.stop_served());
    }

    #[test]
    fn a_connection_made_before_serving_is_answered() {
        // The command connects as soon as it starts, before the receiver is served: its
        // request waits in the backlog and is answered once the runtime is up.
        use std::io::{Read as _, Write as _};
        let bound = crate::wrap::receiver::Receiver::bind().unwrap();
        let addr = bound.addr;
        let mut client = TcpStream::connect(addr).unwrap();
        client
            .write_all(
                format!(
                    "POST /v1/traces HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .unwrap();
        let receiver = bound_and_served(bound);
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(receiver.stop_served());
    }

    #[test]
    fn a_thread_left_waiting_never_serves() {
        let state = State::default();
        assert!(state.abandon());
        assert!(
            !state.serve(),
            "stopped first: the connection is not served"
        );
        let served = State::default();
        assert!(served.serve());
        assert!(
            !served.abandon(),
            "serving: the handle waits for the thread"
        );
    }

    #[test]
    fn closing_the_kept_end_stops_the_wait() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (keep, watch) = stop_signal().unwrap();
        let waiting = std::thread::spawn(move || {
            let meanwhile = Meanwhile {
                after: Duration::from_secs(600),
                run: || {},
            };
            first_connection(&listener, &watch, meanwhile)
        });
        drop(keep);
        assert_eq!(waiting.join().unwrap(), Woken::Stopped);
    }
}
