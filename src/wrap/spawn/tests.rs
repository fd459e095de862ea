//! The spawn does what `execvp` after a fork did: the search, the errors, scripts without
//! a `#!` line, the environment, and a child that starts with default signal handling.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use super::*;

fn os(items: &[&str]) -> Vec<OsString> {
    items.iter().map(OsString::from).collect()
}

/// Runs and reaps `program args`; its exit code.
fn exit_code(program: &str, args: &[&str], env: &[(&str, &str)]) -> io::Result<i32> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let pid = spawn(OsStr::new(program), &os(args), &env)?;
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "status {status:#x}");
    Ok(libc::WEXITSTATUS(status))
}

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_program_is_found_on_the_path_and_gets_its_arguments() {
    assert_eq!(
        exit_code("sh", &["-c", "exit $1", "sh", "3"], &[]).unwrap(),
        3
    );
    assert_eq!(exit_code("/bin/sh", &["-c", "exit 4"], &[]).unwrap(), 4);
}

#[test]
fn a_missing_program_is_not_found_and_one_without_the_x_bit_is_denied() {
    let err = exit_code("no-such-program-here", &[], &[]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("plain.sh");
    std::fs::write(&script, "exit 0\n").unwrap();
    let err = exit_code(script.to_str().unwrap(), &[], &[]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    let err = exit_code("a\0b", &[], &[]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn a_script_without_a_shebang_runs_through_the_shell_and_the_path_is_searched_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    executable(&second.join("job"), "exit 5\n");
    // Not executable where the search looks first: skipped, as execvp skips it.
    std::fs::write(first.join("job"), "exit 6\n").unwrap();
    let path = format!("{}:{}:/bin:/usr/bin", first.display(), second.display());
    assert_eq!(exit_code("job", &[], &[("PATH", &path)]).unwrap(), 5);
}

#[test]
fn the_child_gets_the_added_variables_the_last_value_winning() {
    let check = r#"test "$ADDED" = two && test -n "$PATH""#;
    let env = [("ADDED", "one"), ("ADDED", "two")];
    assert_eq!(exit_code("sh", &["-c", check], &env).unwrap(), 0);
}

#[test]
fn the_child_starts_with_no_signal_blocked_and_sigpipe_not_ignored() {
    // The test harness ignores SIGPIPE, as the wrapper does: the command must not inherit
    // that, nor a mask.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("status");
    // `exec`: a shell blocks every signal while it forks, so nothing may fork here.
    let script = format!(
        "exec grep -E '^Sig(Blk|Ign)' /proc/self/status > {}",
        out.display()
    );
    assert_eq!(exit_code("sh", &["-c", &script], &[]).unwrap(), 0);
    let status = std::fs::read_to_string(&out).unwrap();
    let mask = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    assert_eq!(mask("SigBlk:"), 0, "{status}");
    let sigpipe = 1u64 << (libc::SIGPIPE - 1);
    assert_eq!(mask("SigIgn:") & sigpipe, 0, "{status}");
}
