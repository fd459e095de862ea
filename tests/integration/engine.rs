//! The engine in process, exporting to test sinks: retries, Retry-After, 413 splitting,
//! a dead provider beside a live one, and shutdown that does not wait on the dead.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automagik_tracing::engine::{Engine, EngineOptions, Intake, intake};
use automagik_tracing::export;
use automagik_tracing::span::{Resource, Scope, Span, from_request};
use automagik_tracing::{Config, LoadOptions, Settings};

use crate::sink::Sink;
use crate::testenv::wait_for;

fn settings(vars: &[(&str, &str)]) -> (Settings, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LoadOptions {
        cwd: dir.path().to_path_buf(),
        ..Default::default()
    };
    options.env.insert(
        "AUTOMAGIK_CONFIG_DIR".into(),
        dir.path().join("config").display().to_string(),
    );
    options.env.insert(
        "AUTOMAGIK_DATA_DIR".into(),
        dir.path().join("data").display().to_string(),
    );
    for (k, v) in vars {
        options.env.insert(k.to_string(), v.to_string());
    }
    (Config::load(options).unwrap().settings().unwrap(), dir)
}

/// An engine exporting to each of these otlp base URLs, batches leaving after 20 ms; the
/// temp dir holds its data dir at `data/`.
pub fn engine_to(
    urls: &[String],
    tune: impl FnOnce(&mut EngineOptions),
) -> (Engine, tempfile::TempDir) {
    let mut exporters = Vec::new();
    let mut keep = None;
    for url in urls {
        let (settings, dir) = settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", url)]);
        let otlp = settings.observability.provider("otlp").unwrap();
        exporters.push(export::build(&settings, otlp).unwrap());
        keep = Some((settings, dir));
    }
    let (settings, dir) = keep.unwrap();
    let mut options = EngineOptions::from_settings(&settings);
    options.batch_timeout = Duration::from_millis(20);
    tune(&mut options);
    (Engine::start_with(exporters, options).unwrap(), dir)
}

pub fn spans(n: usize) -> Vec<Span> {
    let resource = Arc::new(Resource::service("engine-test"));
    let scope = Arc::new(Scope::default());
    (0..n)
        .map(|i| {
            let mut s = Span::start(format!("span {i}"), None, resource.clone(), scope.clone());
            s.set("gen_ai.operation.name", "chat");
            s.end();
            s
        })
        .collect()
}

/// The span ids of the requests the sink accepted.
pub fn received_ids(sink: &Sink) -> Vec<String> {
    sink.requests()
        .iter()
        .filter(|r| r.status < 300)
        .flat_map(|r| from_request(&r.decode()).0)
        .map(|s| s.span_id.to_hex())
        .collect()
}

#[test]
fn service_unavailable_then_ok_delivers_exactly_once() {
    let sink = Sink::start();
    sink.script(&[(503, None)]);
    let (engine, _dir) = engine_to(&[sink.url()], |_| {});
    let batch = spans(10);
    for s in &batch {
        engine.record(s.clone());
    }
    wait_for("the retry", || sink.requests().len() >= 2);
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(sink.requests().len(), 2);
    assert_eq!(run.exporters[0].exported, 10);
    assert_eq!(run.exporters[0].retries, 1);
    let ids: HashSet<_> = received_ids(&sink).into_iter().collect();
    assert_eq!(ids.len(), 10);
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let sink = Sink::start();
    sink.script(&[(429, Some("1"))]);
    let (engine, _dir) = engine_to(&[sink.url()], |_| {});
    engine.record(spans(1).remove(0));
    wait_for("the retry", || sink.requests().len() >= 2);
    let requests = sink.requests();
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(900),
        "retried after {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "retried after {waited:?}");
    engine.shutdown(Duration::from_secs(5));
}

#[test]
fn unauthorized_is_not_retried() {
    let sink = Sink::start();
    sink.respond(401, "");
    let (engine, dir) = engine_to(&[sink.url()], |_| {});
    engine.record(spans(1).remove(0));
    wait_for("the attempt", || !sink.requests().is_empty());
    let run = engine.shutdown(Duration::from_secs(5));
    // Shutdown waits for the worker, which spools a refused batch at once and would
    // have counted any retry before that.
    assert_eq!(run.exporters[0].retries, 0, "{:?}", run.exporters[0]);
    assert_eq!(sink.requests().len(), 1);
    // Kept, so the user can fix the key and `flush`.
    assert_eq!(run.exporters[0].spooled, 1);
    assert!(
        run.exporters[0].dropped.is_empty(),
        "{:?}",
        run.exporters[0]
    );
    assert_eq!(spooled_spans(&dir), 1);
}

#[test]
fn one_huge_span_is_isolated_truncated_and_sent() {
    let sink = Sink::start();
    sink.reject_over(64 * 1024);
    let (engine, _dir) = engine_to(&[sink.url()], |o| {
        o.intake = Intake::new(1.0, 1000, 4 * 1024 * 1024);
        o.batch_timeout = Duration::from_secs(5);
    });
    let mut batch = spans(512);
    batch[300].set("prompt", "x".repeat(1024 * 1024));
    let want: HashSet<String> = batch.iter().map(|s| s.span_id.to_hex()).collect();
    for s in batch {
        engine.record(s);
    }
    let run = engine.shutdown(Duration::from_secs(20));
    let got: HashSet<String> = received_ids(&sink).into_iter().collect();
    assert_eq!(got, want, "every span of the batch arrived");
    assert_eq!(run.exporters[0].exported, 512);
    let huge = sink
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .flat_map(|r| from_request(&r.decode()).0)
        .find(|s| s.name == "span 300")
        .unwrap();
    let prompt = format!("{:?}", huge.attribute("prompt").unwrap());
    assert!(prompt.contains("[truncated"), "the huge value was cut");
}

#[test]
fn a_dead_provider_never_delays_a_live_one() {
    let live = Sink::start();
    let dead = Sink::start();
    dead.delay(Duration::from_secs(300));
    let (engine, _dir) = engine_to(&[dead.url(), live.url()], |_| {});
    let recorder = engine.recorder();
    let start = Instant::now();
    for round in 0..5 {
        for s in spans(100) {
            recorder.record(s);
        }
        wait_for("the live sink", || {
            received_ids(&live).len() == (round + 1) * 100
        });
    }
    // Generous: the dead provider's 10 s request timeout would show up here.
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "took {:?}",
        start.elapsed()
    );
    let started = Instant::now();
    let run = engine.shutdown(Duration::from_secs(1));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
    assert_eq!(run.exporters[1].exported, 500);
    let dead_run = &run.exporters[0];
    assert_eq!(
        dead_run.exported + dead_run.spooled + dead_run.dropped.values().sum::<u64>(),
        500,
        "{dead_run:?}"
    );
}

#[test]
fn shutdown_with_a_refused_provider_returns_at_once() {
    for spool in [true, false] {
        let port = crate::testenv::free_port();
        let (engine, dir) = engine_to(&[format!("http://127.0.0.1:{port}")], |o| {
            o.batch_timeout = Duration::from_secs(5);
            if !spool {
                o.spool_dir = None;
            }
        });
        for s in spans(50) {
            engine.record(s);
        }
        let start = Instant::now();
        let run = engine.shutdown(Duration::from_secs(5));
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "shutdown waited {:?}",
            start.elapsed()
        );
        if spool {
            assert_eq!(run.exporters[0].spooled, 50);
            assert_eq!(spooled_spans(&dir), 50);
        } else {
            assert_eq!(run.exporters[0].dropped.get("shutdown"), Some(&50));
        }
    }
}

/// Spans waiting in the otlp spool of the test's data dir.
fn spooled_spans(dir: &tempfile::TempDir) -> u64 {
    let spool = automagik_tracing::engine::spool::provider_dir(&dir.path().join("data"), "otlp");
    automagik_tracing::engine::spool::pending(&spool)
        .unwrap()
        .spans
}

#[test]
fn attribute_values_over_the_limit_are_truncated_on_the_way_in() {
    let sink = Sink::start();
    let (engine, _dir) = engine_to(&[sink.url()], |o| {
        o.intake = Intake::new(1.0, 1000, intake::DEFAULT_VALUE_LIMIT)
    });
    let mut s = spans(1).remove(0);
    s.set("prompt", "y".repeat(100_000));
    engine.record(s);
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.truncated_values, 1);
    let got = from_request(&sink.requests()[0].decode()).0;
    let value = format!("{:?}", got[0].attribute("prompt").unwrap());
    assert!(
        value.contains("[truncated 34464 bytes]"),
        "{}",
        &value[value.len() - 40..]
    );
}
