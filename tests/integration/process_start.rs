//! What the binary's own start-up (`startup`, in place of the standard library's) keeps:
//! SIGPIPE ignored, so a closed pipe is a clean exit, not a death by signal; closed
//! standard descriptors opened on `/dev/null`, so nothing the wrapper opens takes their
//! number. And what loading it costs: no `libgcc_s` nor `libm` to load.

use std::os::unix::process::CommandExt as _;
use std::process::Stdio;

use crate::testenv::{BIN, TestEnv};

#[test]
fn a_closed_pipe_on_stdout_ends_the_command_with_success_not_a_signal() {
    let env = TestEnv::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = env
        .std_cmd()
        .args(["completions", "bash"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    // Killed by SIGPIPE, the status would have no code.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_wrapper_started_with_stdout_closed_gives_the_command_a_usable_one() {
    let env = TestEnv::new();
    let mut cmd = env.std_cmd();
    cmd.args(["run", "--", "sh", "-c", "echo ok"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only closes a descriptor, in the child between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    // Left closed, the wrapper's first socket or file would take number 1, and the
    // command's `echo` would fail on it.
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Libraries the binary no longer loads at each start: gcc's unwinder (`build.rs` links it
/// in) and glibc's `libm` (its one function, `pow`, is defined in `main.rs`), 0.10 and
/// 0.065 ms of every start. A binary that loads one names it among those it needs.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_loads_neither_the_shared_unwinder_nor_libm() {
    let binary = std::fs::read(BIN).unwrap();
    let names = |library: &str| {
        binary
            .windows(library.len())
            .any(|w| w == library.as_bytes())
    };
    assert!(!names("libm.so.6"), "{BIN} needs libm.so.6");
    if std::env::var_os("AUTOMAGIK_TRACING_SHARED_LIBGCC").is_none_or(|v| v != "1") {
        assert!(!names("libgcc_s.so.1"), "{BIN} needs libgcc_s.so.1");
    }
}
