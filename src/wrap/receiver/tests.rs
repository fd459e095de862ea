//! The receiver's threads: they run below the engine's priority once they serve.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::*;

/// The nice value of each of this process's threads named `name`.
fn niceness_of_threads(name: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // The fields after the command's closing parenthesis; nice is the 19th of all.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if let Some(nice) = after.split_whitespace().nth(16) {
            found.push(nice.parse().unwrap());
        }
    }
    found
}

#[cfg(target_os = "linux")]
#[test]
fn the_receivers_threads_run_below_the_engines_priority() {
    let receiver = Receiver::bind()
        .unwrap()
        .serve(
            Arc::new(|_: Vec<Span>, _| {}),
            Arc::new(|_, _| {}),
            None,
            None,
            DEFAULT_BODY_LIMIT,
        )
        .unwrap();
    // SAFETY: getpriority(2) of this thread reads its nice value.
    let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
    let mut stream = TcpStream::connect(receiver.addr).unwrap();
    let head = "POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // An empty request is decoded on a blocking thread the receiver's thread started.
    assert_eq!(
        niceness_of_threads("automagik-recei"),
        [own + RECEIVER_NICENESS]
    );
    let decoding = niceness_of_threads("automagik-decod");
    assert!(!decoding.is_empty());
    assert!(
        decoding.iter().all(|&nice| nice == own + RECEIVER_NICENESS),
        "{decoding:?}"
    );
    receiver.stop();
}
