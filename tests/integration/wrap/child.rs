//! The wrapped command as it would run alone: its exit code (or 128+signal), its options
//! after `run`, its stdin and stdout untouched, and a SIGTERM to the wrapper reaching it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::testenv::TestEnv;

#[test]
fn run_needs_no_wrap_flag_and_tells_where_the_trace_went() {
    // `uv run` and `doppler run --` need no such flag; `--wrap` is still accepted.
    let env = TestEnv::new();
    for args in [
        &["run", "sh", "-c", "exit 4"][..],
        &["run", "--wrap", "--", "sh", "-c", "exit 4"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("1 span → local store · automagik-tracing traces show last"),
            "{args:?}: {stderr}"
        );
    }
    let quiet = env.cmd().args(["run", "-q", "true"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("trace "));
    env.cmd()
        .args(["run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("run [OPTIONS] [--] CMD [ARGS...]"));
}

#[test]
fn exit_codes_are_the_childs() {
    let env = TestEnv::new();
    for (script, code) in [("exit 0", 0), ("exit 1", 1), ("exit 7", 7)] {
        env.cmd()
            .args(["run", "--wrap", "--", "sh", "-c", script])
            .assert()
            .code(code);
    }
    env.cmd()
        .args(["run", "--wrap", "no-such-command-here"])
        .assert()
        .code(127)
        .stderr(predicate::str::contains(
            "command not found: `no-such-command-here`",
        ));
    let script = env.project.join("not-executable.sh");
    std::fs::write(&script, "echo hi\n").unwrap();
    env.cmd()
        .args(["run", "--wrap"])
        .arg(&script)
        .assert()
        .code(126);
    env.cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "kill -INT $$"])
        .assert()
        .code(130);
    env.cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "kill -TERM $$"])
        .assert()
        .code(143);
}

#[test]
fn options_may_stand_on_either_side_and_the_rest_is_the_commands() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "run",
            "--name",
            "n",
            "--wrap",
            "--flush-timeout",
            "2",
            "sh",
            "-c",
            "echo \"$0 $1\"",
            "--verbose",
            "x",
        ])
        .assert()
        .success()
        .stdout("--verbose x\n");
}

#[test]
fn stdin_and_stdout_pass_straight_through() {
    let env = TestEnv::new();
    env.cmd()
        .args(["run", "--wrap", "--", "tr", "a-z", "A-Z"])
        .write_stdin("hello agent\n")
        .assert()
        .success()
        .stdout("HELLO AGENT\n");
}

#[test]
fn sigterm_to_the_wrapper_reaches_the_child_and_leaves_none_behind() {
    let env = TestEnv::new();
    let pid_file = env.project.join("child.pid");
    let script = format!(
        "echo $$ > {}; trap 'exit 42' TERM; while true; do sleep 0.05; done",
        pid_file.display()
    );
    let mut child = env
        .std_cmd()
        .args(["run", "--wrap", "--", "sh", "-c", &script])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&pid_file).map_or(true, |s| s.trim().is_empty()) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the child never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let child_pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(42),
        "the child's own exit code after its TERM trap"
    );
    // SAFETY: signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(child_pid, 0) } == 0;
    assert!(!alive, "the child is gone");
}
