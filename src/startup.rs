//! What the binary does first, in place of the standard library's runtime set-up, which
//! it skips (`#![no_main]` in `main.rs`): that set-up reads `/proc/self/maps` to find the
//! main thread's stack and gives every thread an alternate signal stack, only to print
//! "has overflowed its stack" should one overflow (0.12 ms of every start here, 21
//! system calls, paid by each wrapped command). Kept from it: SIGPIPE ignored (a closed
//! pipe is an error to report, `Error::is_broken_pipe`, not a silent death), the standard
//! descriptors opened on `/dev/null` when closed, a panic's exit code 101, and stdout
//! flushed at exit. A stack overflow is then a plain SIGSEGV.

use std::panic::UnwindSafe;

/// The exit code of a command that panicked, as the standard library's `main` gives.
const PANICKED: i32 = 101;

/// Runs `main` as the standard library's runtime would, and exits with its code (101 if
/// it panicked; the panic hook has printed why). Call it from the process's entry.
pub fn run_as_main(main: impl FnOnce() -> i32 + UnwindSafe) -> ! {
    ignore_sigpipe();
    open_closed_standard_fds();
    let code = std::panic::catch_unwind(main).unwrap_or(PANICKED);
    // `exit` flushes stdout first, as returning from the standard library's `main` does.
    std::process::exit(code)
}

/// Writes to a closed pipe then fail with `EPIPE`, reported (or taken as success, for
/// `automagik-tracing traces list | head`), instead of killing the process. The wrapped
/// command gets SIGPIPE's default back (`wrap::spawn`).
fn ignore_sigpipe() {
    // SAFETY: sets the disposition of one signal to "ignore"; no handler runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Opens `/dev/null` on stdin, stdout or stderr when the process was started with one
/// closed, so the first file it opens does not take that number (and what it prints
/// does not land in a trace file or a socket). Aborts, as the standard library does,
/// should `/dev/null` not open.
fn open_closed_standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three `pollfd`; a zero timeout never blocks.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
    for pfd in fds {
        let closed = if polled >= 0 {
            pfd.revents & libc::POLLNVAL != 0
        } else {
            // SAFETY: asks for a descriptor's flags; no memory is passed.
            unsafe { libc::fcntl(pfd.fd, libc::F_GETFD) == -1 }
        };
        // SAFETY: a constant, NUL-terminated path; the descriptor is kept for the
        // process's life. The lowest free number is the closed one.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
            std::process::abort();
        }
    }
}
