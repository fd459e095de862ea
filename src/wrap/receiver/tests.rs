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
    let (receiver, _) = counting_receiver();
    // SAFETY: getpriority(2) of this thread reads its nice value.
    let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
    let mut stream = TcpStream::connect(receiver.addr).unwrap();
    let head = "POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // An empty request is decoded on a blocking thread the receiver's thread started.
    // Other tests' receivers may be waiting for a first connection, at the test's own
    // priority: this one serves, lowered.
    let receiving = niceness_of_threads("automagik-recei");
    assert!(
        receiving.contains(&(own + RECEIVER_NICENESS)),
        "{receiving:?}"
    );
    let decoding = niceness_of_threads("automagik-decod");
    assert!(!decoding.is_empty());
    assert!(
        decoding.iter().all(|&nice| nice == own + RECEIVER_NICENESS),
        "{decoding:?}"
    );
    receiver.stop();
}

/// A receiver whose sink counts the spans it is handed.
fn counting_receiver() -> (Receiver, Arc<AtomicU64>) {
    let taken = Arc::new(AtomicU64::new(0));
    let counter = taken.clone();
    let receiver = Receiver::bind()
        .unwrap()
        .serve(
            Arc::new(move |spans: Vec<Span>, _| {
                counter.fetch_add(spans.len() as u64, Relaxed);
            }),
            Arc::new(|_, _| {}),
            None,
            None,
            DEFAULT_BODY_LIMIT,
        )
        .unwrap();
    (receiver, taken)
}

/// Connects and writes a whole trace request of `spans` spans; returns the connection.
fn send(addr: SocketAddr, spans: usize) -> TcpStream {
    use prost::Message as _;
    let batch: Vec<Span> = (0..spans)
        .map(|i| {
            let mut span = Span::start(
                format!("span {i}"),
                None,
                Arc::new(crate::span::Resource::service("test")),
                Arc::new(crate::span::Scope::default()),
            );
            span.end();
            span
        })
        .collect();
    let body = crate::span::to_request(&batch).encode_to_vec();
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    stream
}

#[test]
fn what_a_command_sent_as_it_exited_is_taken_in_after_the_stop() {
    // Stopped before it served: the connection waits in the backlog, never accepted.
    let (receiver, taken) = counting_receiver();
    drop(send(receiver.addr, 3));
    assert!(receiver.stop_served(), "the waiting connection is served");
    assert_eq!(taken.load(Relaxed), 3);

    // Stopped while serving: one request answered, then one whose sender leaves at once.
    let (receiver, taken) = counting_receiver();
    let mut answered = send(receiver.addr, 2);
    let mut answer = [0u8; 12];
    answered.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    drop(answered);
    drop(send(receiver.addr, 5));
    receiver.stop();
    assert_eq!(taken.load(Relaxed), 7);
}
