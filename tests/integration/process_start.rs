//! What the binary's own start-up (`startup`, in place of the standard library's) keeps:
//! SIGPIPE ignored, so a closed pipe is a clean exit, not a death by signal; closed
//! standard descriptors opened on `/dev/null`, so nothing the wrapper opens takes their
//! number. And what loading it costs: no `libgcc_s` to load (`build.rs`).

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

/// `build.rs` links gcc's unwinder into the binary: the shared one cost every start
/// 0.10 ms. A binary that loads it names it among the libraries it needs.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_loads_no_shared_unwinder() {
    if std::env::var_os("AUTOMAGIK_TRACING_SHARED_LIBGCC").is_some_and(|v| v == "1") {
        return;
    }
    let binary = std::fs::read(BIN).unwrap();
    let named = binary.windows(13).any(|w| w == b"libgcc_s.so.1");
    assert!(!named, "{BIN} needs libgcc_s.so.1");
}
