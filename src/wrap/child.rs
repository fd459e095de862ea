//! The wrapped child: spawned with stdin, stdout and stderr untouched; SIGINT, SIGTERM,
//! SIGHUP and SIGQUIT sent to the wrapper are forwarded to it; its exit code (128+N for a
//! signal) becomes the wrapper's. On Linux the child gets SIGTERM when the wrapper dies.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    /// The child's process id.
    pub pid: u32,
    /// Its exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
}

impl Ended {
    /// The code the wrapper exits with: the child's, or 128+N for signal N.
    pub fn wrapper_code(&self) -> u8 {
        match (self.exit_code, self.signal) {
            (Some(code), _) => (code & 0xff) as u8,
            (None, Some(sig)) => (128 + sig).min(255) as u8,
            _ => 1,
        }
    }
}

/// Why the child could not be started, with the shell's exit codes.
#[derive(Debug)]
pub enum SpawnError {
    /// 127
    NotFound,
    /// 126
    NotExecutable,
    /// Any other reason it could not start (126).
    Other(io::Error),
}

impl SpawnError {
    /// The wrapper's exit code for it: 127 not found, 126 otherwise, as shells do.
    pub fn code(&self) -> u8 {
        match self {
            SpawnError::NotFound => 127,
            SpawnError::NotExecutable | SpawnError::Other(_) => 126,
        }
    }
}

/// Waits for the child on this thread, sending it every signal the wrapper gets from
/// another process meanwhile. `SIGCHLD` wakes the wait, so no thread is needed, and a
/// signal is only ever forwarded to a child not yet reaped (its pid cannot have been
/// reused).
fn forward_until_exit(
    child: &mut std::process::Child,
    mut signals: SignalsInfo<WithOrigin>,
) -> io::Result<std::process::ExitStatus> {
    let pid = child.id();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        // Returns at once when a signal came since the last look (SIGCHLD included); may
        // also return with none.
        for origin in signals.wait() {
            // A signal from the terminal (Ctrl-C, hang-up) already reached the child, which
            // is in the same process group: forwarding it would deliver it twice.
            if origin.signal == SIGCHLD || origin.cause == Cause::Kernel {
                continue;
            }
            // SAFETY: kill(2) with a pid we spawned and have not reaped (`try_wait` above
            // said it had not exited).
            unsafe {
                libc::kill(pid as libc::pid_t, origin.signal);
            }
        }
    }
}

/// Asks the kernel to send the child SIGTERM when the wrapper dies, even by SIGKILL, as
/// `tini` and `timeout` do, so a killed wrapper never leaves its command running under
/// PID 1. Linux only (`PR_SET_PDEATHSIG`); the signal follows the death of the thread
/// that spawned, which is the one that waits for the child (and forwards signals). Elsewhere the child outlives
/// a killed wrapper.
fn end_with_the_wrapper(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: getpid (here), prctl, getppid and raise are async-signal-safe, as the
        // code between fork and exec must be; nothing is allocated.
        let wrapper = unsafe { libc::getpid() };
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(io::Error::last_os_error());
                }
                // The wrapper died between fork and prctl: nothing will signal us now.
                if libc::getppid() != wrapper {
                    libc::raise(libc::SIGTERM);
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// Runs `program args` with `env` added, calls `started(pid)` once it runs (the
/// wrapper's own start-up, beside the command), forwards signals until it ends, and says
/// how it ended.
pub fn run(
    program: &OsString,
    args: &[OsString],
    env: &[(String, String)],
    started: impl FnOnce(u32),
) -> Result<Ended, SpawnError> {
    // Registered before the spawn, so a signal in between is not lost and never kills the
    // wrapper first. Should that fail, the command still runs, only without forwarding.
    let signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD]).ok();
    let mut command = Command::new(program);
    command.args(args).envs(env.iter().map(|(k, v)| (k, v)));
    end_with_the_wrapper(&mut command);
    let mut child = command.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => SpawnError::NotFound,
        io::ErrorKind::PermissionDenied => SpawnError::NotExecutable,
        _ if e.raw_os_error() == Some(libc::ENOEXEC) => SpawnError::NotExecutable,
        _ => SpawnError::Other(e),
    })?;
    let pid = child.id();
    // Signals that come meanwhile wait, and are forwarded once the wait begins.
    started(pid);
    let status = match signals {
        Some(signals) => forward_until_exit(&mut child, signals),
        None => child.wait(),
    };
    let status = status.map_err(SpawnError::Other)?;
    Ok(Ended {
        pid,
        exit_code: status.code(),
        signal: status.signal(),
    })
}
