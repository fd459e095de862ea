//! Where the engine delivers: on the export threads once it has sent a batch while
//! running, on its own thread when it stops before its first (the one span a short
//! `run --wrap` records as it ends), so a short run starts no export threads.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{options, span};
use crate::engine::{Engine, EngineOptions};
use crate::export::{BoxFuture, Exporter, Outcome, Payload};

/// Delivers everything, noting the name of the thread each export ran on.
#[derive(Default)]
struct ThreadNoting {
    threads: Mutex<Vec<String>>,
    spans: Mutex<usize>,
}

impl ThreadNoting {
    fn threads(&self) -> Vec<String> {
        let mut names = crate::sync::lock(&self.threads).clone();
        names.dedup();
        names
    }

    fn spans(&self) -> usize {
        *crate::sync::lock(&self.spans)
    }
}

impl Exporter for ThreadNoting {
    fn name(&self) -> &str {
        "noting"
    }

    fn endpoint(&self) -> &str {
        "memory"
    }

    fn export<'a>(&'a self, payload: &'a Payload) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let thread = std::thread::current().name().unwrap_or("?").to_string();
            crate::sync::lock(&self.threads).push(thread);
            *crate::sync::lock(&self.spans) += payload.count();
            Outcome::Delivered { status: None }
        })
    }
}

fn noting_engine(options: EngineOptions) -> (Engine, Arc<ThreadNoting>) {
    let noting = Arc::new(ThreadNoting::default());
    let exporter: Arc<dyn Exporter> = noting.clone();
    (Engine::start_with(vec![exporter], options).unwrap(), noting)
}

#[test]
fn an_engine_stopped_before_its_first_batch_delivers_on_its_own_thread() {
    let (engine, noting) = noting_engine(options());
    for i in 0..3 {
        engine.record(span(&format!("s{i}")));
    }
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.exporters[0].exported, 3);
    assert_eq!(noting.threads(), vec!["automagik-engine".to_string()]);
}

#[test]
fn a_batch_sent_while_running_goes_out_on_the_export_threads() {
    let (engine, noting) = noting_engine(EngineOptions {
        batch_timeout: Duration::from_millis(20),
        ..options()
    });
    engine.record(span("early"));
    let start = Instant::now();
    while noting.spans() == 0 {
        assert!(start.elapsed() < Duration::from_secs(5), "never delivered");
        std::thread::sleep(Duration::from_millis(5));
    }
    engine.record(span("late"));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.exporters[0].exported, 2);
    assert_eq!(noting.threads(), vec!["automagik-export".to_string()]);
}

#[test]
fn more_than_a_batch_left_at_the_stop_goes_out_on_the_export_threads() {
    let (engine, noting) = noting_engine(options());
    let recorder = engine.recorder();
    for i in 0..2_000 {
        recorder.record(span(&format!("s{i}")));
    }
    let run = engine.shutdown(Duration::from_secs(10));
    assert_eq!(run.exporters[0].exported, 2_000);
    assert_eq!(noting.threads(), vec!["automagik-export".to_string()]);
}
