//! `traces tail`: a span appended after it started is printed, and Ctrl-C ends it with 0.

use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use super::{Builder, env, line, write_store};

#[test]
fn tail_prints_a_span_appended_after_it_started_and_stops_cleanly_on_ctrl_c() {
    let (env, store) = env();
    write_store(&store);
    let mut child = env
        .std_cmd()
        .args(["traces", "tail"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let started = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = started.send(format!("stderr: {line}"));
        }
    });
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(format!("stdout: {line}"));
        }
    });
    let wait_for = |what: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no line with `{what}` within 30 s"),
            }
        }
    };
    wait_for("stderr: following ");
    let mut b = Builder::new("7a11000000000000000000000000000a", "tailed");
    let mut span = b.span("appended later", None, 0, 1500);
    span.set("gen_ai.request.model", "gpt-4o");
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(store.join("traces-2026-01-05.jsonl"))
        .unwrap();
    file.write_all(line(&[span]).as_bytes()).unwrap();
    let printed = wait_for("appended later");
    assert_eq!(
        printed,
        "stdout: 14:03:22.000  7a110000  appended later                      1.50 s  gpt-4o"
    );
    // SAFETY: kill(2) on the child we spawned and have not reaped.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "Ctrl-C ends tail with 0");
}
