//! A traced session before and after its start: the receiver listens before it serves,
//! and the engine starts once.

use std::time::Duration;

use super::*;
use crate::export::memory::MemoryExporter;
use crate::wrap::child::Ended;

#[test]
fn the_receiver_listens_before_the_start_and_a_second_start_keeps_the_engine() {
    let memory = Arc::new(MemoryExporter::new("memory"));
    let plan = EnginePlan::new(vec![memory.clone()], crate::engine::tests::options());
    let spec = RunSpec {
        command: vec!["true".into()],
        receiver: true,
        adopt: true,
        ..Default::default()
    };
    let mut session = Session::traced(plan, &spec, None);
    let endpoint = session
        .child_env()
        .iter()
        .find(|(k, _)| k == "OTEL_EXPORTER_OTLP_ENDPOINT")
        .map(|(_, v)| v.trim_start_matches("http://").to_string())
        .expect("the command is pointed at the receiver");
    // Bound and listening before anything serves it: the command's first export waits
    // in the backlog, it is not refused.
    std::net::TcpStream::connect(&endpoint).expect("the receiver's socket listens");
    assert_eq!(session.start(), None);
    assert_eq!(session.start(), None, "a second start changes nothing");
    let ended = Ended {
        pid: 1,
        exit_code: Some(3),
        signal: None,
    };
    let report = session.finish(&Ok(ended), Duration::from_secs(5));
    assert_eq!(report.run.expect("traced").queued, 1, "the run span");
    let received = memory.received();
    let spans = received.iter().map(crate::span::span_count).sum::<usize>();
    assert_eq!(spans, 1);
}
