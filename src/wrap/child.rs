//! The wrapped child: spawned with stdin, stdout and stderr untouched; SIGINT, SIGTERM,
//! SIGHUP and SIGQUIT sent to the wrapper are forwarded to it; its exit code (128+N for a
//! signal) becomes the wrapper's. On Linux the child gets SIGTERM when the wrapper dies.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

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
    pid: libc::pid_t,
    mut signals: SignalsInfo<WithOrigin>,
) -> io::Result<ExitStatus> {
    loop {
        if let Some(status) = reap(pid, libc::WNOHANG)? {
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
            // SAFETY: kill(2) with a pid we spawned and have not reaped (`reap` above
            // said it had not exited).
            unsafe {
                libc::kill(pid, origin.signal);
            }
        }
    }
}

/// The child's status once it has ended (`None` with `WNOHANG` while it runs).
fn reap(pid: libc::pid_t, flags: libc::c_int) -> io::Result<Option<ExitStatus>> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child, writing its status to a local.
        match unsafe { libc::waitpid(pid, &mut status, flags) } {
            0 => return Ok(None),
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            -1 => return Err(io::Error::last_os_error()),
            _ => return Ok(Some(ExitStatus::from_raw(status))),
        }
    }
}

/// Starts the command, which the kernel sends SIGTERM should the wrapper die, even by
/// SIGKILL, as `tini` and `timeout` do, so a killed wrapper never leaves its command
/// running under PID 1 (`PR_SET_PDEATHSIG`, on Linux; the signal follows the death of the
/// thread that spawned, which is the one that waits for the child and forwards signals).
/// Elsewhere the child outlives a killed wrapper.
fn start(
    program: &OsString,
    args: &[OsString],
    env: &[(String, String)],
) -> io::Result<libc::pid_t> {
    #[cfg(target_os = "linux")]
    {
        super::spawn::spawn(program, args, env)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let child = std::process::Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .spawn()?;
        // Waited for by its pid; dropping the handle leaves it running.
        Ok(child.id() as libc::pid_t)
    }
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
    let pid = start(program, args, env).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => SpawnError::NotFound,
        io::ErrorKind::PermissionDenied => SpawnError::NotExecutable,
        _ if e.raw_os_error() == Some(libc::ENOEXEC) => SpawnError::NotExecutable,
        _ => SpawnError::Other(e),
    })?;
    // Signals that come meanwhile wait, and are forwarded once the wait begins.
    started(pid as u32);
    let status = match signals {
        Some(signals) => forward_until_exit(pid, signals),
        None => reap(pid, 0).map(|status| status.expect("a blocking wait returns a status")),
    };
    let status = status.map_err(SpawnError::Other)?;
    Ok(Ended {
        pid: pid as u32,
        exit_code: status.code(),
        signal: status.signal(),
    })
}
