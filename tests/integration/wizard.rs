//! The interactive wizard, driven through a real pseudo-terminal.

use std::fs;

use crate::testenv::{BIN, TestEnv, mode, wait_for};

const PUBLIC: &str = "pk-lf-wizard-0123456789";
const SECRET: &str = "sk-lf-wizard-abcdefghijkl";

/// Types into the terminal once the prompt has switched it out of line mode (raw, or
/// echo off for a secret): keys typed before that are flushed by the terminal and lost.
fn send(
    session: &mut rexpect::session::PtySession,
    keys: &str,
) -> Result<(), rexpect::error::Error> {
    let terminal = session.process().get_file_handle()?;
    wait_for("the prompt to read keys", || reading_keys(&terminal));
    session.send(keys)?;
    session.flush()
}

/// Whether the program on the other side of the pseudo-terminal has left cooked mode (the
/// master reports the terminal's settings).
fn reading_keys(terminal: &fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: tcgetattr writes a termios for a valid descriptor, which `terminal` holds
    // for the duration of the call; the zeroed struct is a valid initial value.
    let mut mode: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(terminal.as_raw_fd(), &mut mode) } != 0 {
        return false;
    }
    mode.c_lflag & (libc::ICANON | libc::ECHO) != (libc::ICANON | libc::ECHO)
}

#[test]
fn wizard_writes_provider_keys_and_the_telemetry_choice() {
    let env = TestEnv::new();
    env.write_env_file("# keep this comment\nOTHER=1\n");
    // rexpect turns the terminal's echo off; a terminal a person types in has it on, and
    // `send` tells a prompt waiting for keys by its switching echo or line mode off.
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear()
        .env("HOME", &env.home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .current_dir(&env.project)
        .args(["-c", "stty echo && exec \"$0\" configure", BIN]);
    // A generous bound: each prompt appears in milliseconds.
    let mut session = rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn in a pty");
    session.exp_string("Where should traces go?").unwrap();
    send(&mut session, " ").unwrap(); // select the first provider, Langfuse
    send(&mut session, "\r").unwrap();
    session
        .exp_string("Keep a copy of every trace on this machine")
        .unwrap();
    send(&mut session, "\r").unwrap(); // the default: yes
    session.exp_string("Langfuse public_key").unwrap();
    send(&mut session, &format!("{PUBLIC}\r")).unwrap();
    session.exp_string("Langfuse secret_key").unwrap();
    send(&mut session, &format!("{SECRET}\r")).unwrap();
    session.exp_string("Langfuse host").unwrap();
    send(&mut session, "\r").unwrap(); // keep the default
    session.exp_string("anonymous usage telemetry").unwrap();
    send(&mut session, "n").unwrap();
    let preview = session.exp_string("Write these changes?").unwrap();
    assert!(
        !preview.contains(SECRET),
        "the preview masks secrets: {preview}"
    );
    assert!(preview.contains("+LANGFUSE_SECRET_KEY="), "{preview}");
    send(&mut session, "y").unwrap();
    let rest = session.exp_eof().unwrap();
    assert!(!rest.contains(SECRET), "{rest}");

    let text = fs::read_to_string(env.env_file()).unwrap();
    assert_eq!(
        text,
        format!(
            "# keep this comment\nOTHER=1\nAUTOMAGIK_LOCAL_COPY=true\nLANGFUSE_PUBLIC_KEY={PUBLIC}\nLANGFUSE_SECRET_KEY={SECRET}\n"
        )
    );
    assert_eq!(mode(&env.env_file()), 0o600);
    let json = env.status_json(&[]);
    assert_eq!(json["observability"]["providers"][0]["active"], true);
    assert_eq!(json["telemetry"]["enabled"], false);
    let providers = json["observability"]["providers"].as_array().unwrap();
    let local = providers.iter().find(|p| p["name"] == "local").unwrap();
    assert_eq!(local["active"], true, "the local copy is kept: {local}");
}
