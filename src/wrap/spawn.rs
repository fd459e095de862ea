//! Starting the wrapped command on Linux the way `posix_spawn` does: the child shares the
//! wrapper's memory until it execs (`CLONE_VM | CLONE_VFORK`), so no page table is copied
//! and no page is written twice after it (a fork cost the wrapper about half a
//! millisecond), and in between it asks for `PR_SET_PDEATHSIG`, which `posix_spawn`
//! cannot. `std::process::Command` forks as soon as the child needs a `pre_exec` step.
//!
//! Everything the child needs is built here before the clone: it only calls
//! async-signal-safe functions on memory the parent does not touch until it execs.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};

/// The child's own stack while it shares the wrapper's memory (it calls a few functions
/// and `execve`; `posix_spawn` in glibc takes about as much).
const CHILD_STACK: usize = 64 * 1024;
/// Signals are numbered below it (Linux).
const NSIG: libc::c_int = 65;
/// The search path when the environment has none, as glibc's `execvp` uses.
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// What the child reads, all of it made before the clone.
struct Plan {
    /// The paths to try, in order (one for a program with a slash, else one per `PATH`
    /// entry), as `execvp` would.
    candidates: Vec<CString>,
    /// The pointers `execve` takes, each list ending in null; `argv` and `envp` point
    /// into `_strings`.
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    /// For each candidate, `/bin/sh` running it as a script: a file without a `#!` line
    /// runs through the shell, as `execvp` does.
    scripts: Vec<Vec<*const libc::c_char>>,
    sh: CString,
    /// The wrapper's pid: a child that finds another parent missed its death.
    wrapper: libc::pid_t,
    /// The `errno` of the exec that failed, written by the child before it exits.
    error: AtomicI32,
    _strings: Vec<CString>,
}

/// Spawns `program args` with `env` added to the wrapper's environment; returns its pid
/// once it has exec'd, or why it could not (the child has been reaped then).
pub fn spawn(
    program: &OsStr,
    args: &[OsString],
    env: &[(String, String)],
) -> io::Result<libc::pid_t> {
    let plan = Plan::new(program, args, env)?;
    let mut stack = vec![0u8; CHILD_STACK];
    // SAFETY: the stack grows down from its end, which is aligned to 16 as the ABI asks.
    let top = unsafe { stack.as_mut_ptr().add(CHILD_STACK) };
    let top = (top as usize & !15) as *mut libc::c_void;
    let blocked = block_signals();
    // SAFETY: CLONE_VFORK suspends this thread until the child execs or exits, so `plan`
    // and `stack` outlive every use the child makes of them; the child only calls
    // async-signal-safe functions (`child_main`).
    let pid = unsafe {
        libc::clone(
            child_main,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::from_ref(&plan).cast_mut().cast(),
        )
    };
    let cloned = io::Error::last_os_error();
    restore_signals(&blocked);
    if pid == -1 {
        return Err(cloned);
    }
    match plan.error.load(Relaxed) {
        0 => Ok(pid),
        errno => {
            let mut status = 0;
            // SAFETY: reaping the child we just started, which has exited.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            Err(io::Error::from_raw_os_error(errno))
        }
    }
}

impl Plan {
    fn new(program: &OsStr, args: &[OsString], env: &[(String, String)]) -> io::Result<Plan> {
        let mut strings = Vec::new();
        let mut pointers = |items: &mut dyn Iterator<Item = Vec<u8>>| {
            let mut list = Vec::new();
            for item in items {
                let text = c_string(item)?;
                list.push(text.as_ptr());
                strings.push(text);
            }
            list.push(std::ptr::null());
            io::Result::Ok(list)
        };
        let argv = pointers(
            &mut std::iter::once(program)
                .chain(args.iter().map(OsString::as_os_str))
                .map(|a| a.as_bytes().to_vec()),
        )?;
        let envp = pointers(&mut environment(env).into_iter())?;
        let path = env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| OsString::from(v))
            .or_else(|| std::env::var_os("PATH"));
        let candidates = candidates(program, path.as_deref())?;
        let sh = c_string(b"/bin/sh".to_vec())?;
        let scripts = candidates
            .iter()
            .map(|script| {
                let mut argv_sh = vec![sh.as_ptr(), script.as_ptr()];
                argv_sh.extend(argv.iter().skip(1));
                argv_sh
            })
            .collect();
        Ok(Plan {
            candidates,
            argv,
            envp,
            scripts,
            sh,
            // SAFETY: getpid cannot fail.
            wrapper: unsafe { libc::getpid() },
            error: AtomicI32::new(0),
            _strings: strings,
        })
    }
}

/// `KEY=VALUE` for the wrapper's environment with `added` on top (a key given again
/// replaces the wrapper's value).
fn environment(added: &[(String, String)]) -> Vec<Vec<u8>> {
    let replaced = |key: &OsStr| added.iter().any(|(k, _)| k.as_bytes() == key.as_bytes());
    let mut all: Vec<Vec<u8>> = std::env::vars_os()
        .filter(|(k, _)| !replaced(k))
        .map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()].concat())
        .collect();
    let mut seen = std::collections::HashSet::new();
    // The last value of a key given twice wins, as `Command::env` does.
    for (k, v) in added.iter().rev() {
        if seen.insert(k) {
            all.push(format!("{k}={v}").into_bytes());
        }
    }
    all
}

/// Where `execvp` would look for `program`: itself when it holds a slash, else in each
/// `PATH` entry (an empty entry is the working directory).
fn candidates(program: &OsStr, path: Option<&OsStr>) -> io::Result<Vec<CString>> {
    let name = program.as_bytes();
    if name.is_empty() {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    if name.contains(&b'/') {
        return Ok(vec![c_string(name.to_vec())?]);
    }
    let path = path.map_or(DEFAULT_PATH.as_bytes(), OsStr::as_bytes);
    path.split(|b| *b == b':')
        .map(|dir| match dir {
            b"" => c_string(name.to_vec()),
            dir => c_string([dir, b"/", name].concat()),
        })
        .collect()
}

fn c_string(bytes: Vec<u8>) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "an argument or variable holds a nul byte",
        )
    })
}

/// Blocks every signal on this thread while the child shares its memory, so no handler
/// of the wrapper runs in the child (the child sets them back before it execs); returns
/// the mask to restore.
fn block_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigfillset and pthread_sigmask only write to it.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        old
    }
}

fn restore_signals(old: &libc::sigset_t) {
    // SAFETY: `old` is the mask pthread_sigmask returned.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut());
    }
}

/// The child, on its own stack in the wrapper's memory: the wrapper's signal handlers
/// and its ignored SIGPIPE back to the defaults, an empty signal mask (as
/// `std::process::Command` leaves it), SIGTERM when the wrapper dies, then `execvp`'s
/// search. Nothing here allocates, locks or unwinds.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `Plan` the parent keeps alive, suspended, until we exec or exit.
    let plan = unsafe { &*arg.cast::<Plan>() };
    // SAFETY: sigaction, sigprocmask, prctl, getppid, getpid, kill, execve and _exit are
    // async-signal-safe; every pointer passed is to memory owned by `plan`.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        for signal in 1..NSIG {
            if libc::sigaction(signal, std::ptr::null(), &mut action) == 0
                && action.sa_sigaction != libc::SIG_DFL
                && (action.sa_sigaction != libc::SIG_IGN || signal == libc::SIGPIPE)
            {
                action.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
            fail(plan);
        }
        // The wrapper died before the prctl: nothing will signal us now.
        if libc::getppid() != plan.wrapper {
            // kill, not raise: a libc may take raise's thread from the parent it shares.
            libc::kill(libc::getpid(), libc::SIGTERM);
        }
        exec_first(plan);
        fail(plan)
    }
}

/// Tries each candidate as `execvp` does: on to the next when it is not there, through
/// `/bin/sh` when it is not a binary; EACCES is kept for the end when none ran.
fn exec_first(plan: &Plan) {
    let mut denied = false;
    for (candidate, script) in plan.candidates.iter().zip(&plan.scripts) {
        // SAFETY: argv and envp are null-terminated lists of live C strings.
        unsafe { libc::execve(candidate.as_ptr(), plan.argv.as_ptr(), plan.envp.as_ptr()) };
        match errno() {
            libc::ENOEXEC => {
                // SAFETY: as above.
                unsafe { libc::execve(plan.sh.as_ptr(), script.as_ptr(), plan.envp.as_ptr()) };
                return;
            }
            libc::EACCES => denied = true,
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return,
        }
    }
    if denied {
        set_errno(libc::EACCES);
    }
}

/// Tells the parent why (the errno of the last failure) and exits.
fn fail(plan: &Plan) -> ! {
    plan.error.store(errno().max(1), Relaxed);
    // SAFETY: _exit ends this process at once, without running the parent's exit handlers.
    unsafe { libc::_exit(127) }
}

fn errno() -> libc::c_int {
    // SAFETY: the calling thread's errno location is always valid.
    unsafe { *libc::__errno_location() }
}

fn set_errno(value: libc::c_int) {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = value }
}

#[cfg(test)]
mod tests;
