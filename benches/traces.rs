//! `traces` over a large local store: builds a store of 1,000,000 GenAI spans (a week of
//! daily files, about 1 GB; 9,800 traces of 100 spans and two of 10,000: one in the middle
//! of the week, one the newest), then times the release binary: `traces list` (target under
//! 1 s) and `traces show` of a 10,000-span trace (target under 200 ms): the newest as
//! `last`, by full id and by short prefix (which looks at every file), and the mid-week
//! one by full id (which looks back to its day). A prefix is timed twice: the first
//! lookup, which reads every file as text and writes the index of each finished day's
//! file beside it (the indexes are deleted before each run), and the next ones, which
//! read those indexes and today's file. Prints figures; asserts nothing.
//! Run with `cargo bench --bench traces`; `BENCH_RUNS` sets the runs per command (5),
//! `BENCH_STORE_DIR` keeps the store in that directory and reuses it next time (while its
//! manifest matches the files; otherwise it is rebuilt, in a few seconds).

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use automagik_tracing::export::local::file_name;
use automagik_tracing::span::{Resource, Scope, Span, SpanId, TraceId, to_request};
use common::genai_span;

const BIN: &str = env!("CARGO_BIN_EXE_automagik-tracing");
const SPANS: usize = 1_000_000;
const BIG_TRACE: usize = 10_000;
const BIG_TRACES: usize = 2;
const TRACE_SPANS: usize = 100;
/// Spans a line, as the engine's batches hold at most 512.
const LINE_SPANS: usize = 500;
/// A trace starts every minute.
const TRACE_EVERY_NANOS: u64 = 60_000_000_000;
const SPAN_EVERY_NANOS: u64 = 250_000_000;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    // BENCH_STORE_DIR keeps the store there and reuses it on the next run.
    let data =
        std::env::var_os("BENCH_STORE_DIR").map_or_else(|| dir.path().join("data"), PathBuf::from);
    let store = data.join("traces");
    let manifest = data.join("store-manifest");
    let big = reuse_or_build(&store, &manifest);
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let (middle, newest) = (big[0].to_hex(), big[1].to_hex());
    let list = |extra: &[&'static str]| [&["traces", "list"][..], extra].concat();
    let show = |id: &str, extra: &[&str]| -> Vec<String> {
        ["traces", "show", id]
            .iter()
            .chain(extra)
            .map(|a| a.to_string())
            .collect()
    };
    let cold = |args: Vec<String>| (args, Indexes::Deleted);
    let warm = |args: Vec<String>| (args, Indexes::Made);
    let cases = vec![
        ("list", warm(strings(&list(&[]))), 1000.0),
        (
            "list --limit 200",
            warm(strings(&list(&["--limit", "200"]))),
            1000.0,
        ),
        (
            "show last (newest, 10,000 spans)",
            warm(show("last", &[])),
            200.0,
        ),
        ("show FULL-ID (newest)", warm(show(&newest, &[])), 200.0),
        (
            "first show PREFIX (indexes every file)",
            cold(show(&newest[..8], &[])),
            f64::INFINITY,
        ),
        (
            "show PREFIX (newest; indexed)",
            warm(show(&newest[..8], &[])),
            200.0,
        ),
        (
            "show FULL-ID (mid-week, 10,000 spans)",
            warm(show(&middle, &[])),
            200.0,
        ),
        (
            "show last --json (newest)",
            warm(show("last", &["--json"])),
            200.0,
        ),
    ];
    for (what, (args, indexes), target) in cases {
        if indexes == Indexes::Made {
            // One lookup of a prefix reads every file, and indexes the finished ones.
            time(&data, &show(&newest[..8], &[]), 1, &|| {});
        }
        let before = || {
            if indexes == Indexes::Deleted {
                delete_indexes(&store);
            }
        };
        let times = time(&data, &args, runs, &before);
        report(what, &times, target);
    }
}

/// The store the last run built, when `manifest` says it is whole; else a new one. The
/// ids of the two big traces: mid-week, newest.
fn reuse_or_build(store: &Path, manifest: &Path) -> Vec<TraceId> {
    match reusable(store, manifest) {
        Some(big) => {
            println!("store: reusing {}", store.display());
            big
        }
        None => {
            // Whatever is there (an older layout, a build cut short) is rebuilt.
            let _ = std::fs::remove_dir_all(store);
            std::fs::create_dir_all(store).unwrap();
            let started = Instant::now();
            let (big, bytes) = build_store(store);
            let ids: Vec<String> = big.iter().map(|id| id.to_hex()).collect();
            std::fs::write(manifest, format!("{SPANS} {bytes} {}", ids.join(" "))).unwrap();
            let files = std::fs::read_dir(store).unwrap().count();
            println!(
                "store: {SPANS} spans, {:.0} MB in {files} daily files, built in {:.1} s",
                bytes as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
            big
        }
    }
}

/// Prints a case's median, range and verdict against its target, and records the figure.
fn report(what: &str, times: &[f64], target: f64) {
    let median = times[times.len() / 2];
    common::figure(&format!("traces.{what}"), median, "ms");
    let verdict = if target.is_infinite() {
        "no target".to_string()
    } else if median < target {
        format!("target < {target:.0} ms, met")
    } else {
        format!("target < {target:.0} ms, MISSED")
    };
    println!(
        "traces {what:<40} median {median:>7.1} ms  min {:>7.1} ms  max {:>7.1} ms  ({verdict})",
        times[0],
        times[times.len() - 1],
    );
}

/// Whether a case runs with the indexes `traces show` writes beside the finished files.
#[derive(PartialEq, Clone, Copy)]
enum Indexes {
    /// Deleted before each run: the first lookup.
    Deleted,
    /// Made before the first run: every later lookup.
    Made,
}

/// Deletes the indexes beside the store's files (`traces-….jsonl.idx`).
fn delete_indexes(store: &Path) {
    for entry in std::fs::read_dir(store).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "idx") {
            std::fs::remove_file(path).unwrap();
        }
    }
}

/// The big traces' ids of a store built earlier, if its manifest (`SPANS BYTES ID ID`)
/// names as many spans as this bench builds and the store's files still hold its bytes.
fn reusable(store: &Path, manifest: &Path) -> Option<Vec<TraceId>> {
    let manifest = std::fs::read_to_string(manifest).ok()?;
    let mut words = manifest.split_whitespace();
    let spans: usize = words.next()?.parse().ok()?;
    let bytes: u64 = words.next()?.parse().ok()?;
    let big: Vec<TraceId> = words.map(TraceId::from_hex).collect::<Option<_>>()?;
    // The store's own files: not the indexes that `traces show` writes beside them.
    let on_disk: u64 = std::fs::read_dir(store)
        .ok()?
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        })
        .map(|entry| entry.ok()?.metadata().ok().map(|m| m.len()))
        .sum::<Option<u64>>()?;
    (spans == SPANS && on_disk == bytes && big.len() == BIG_TRACES).then_some(big)
}

/// Writes the store the way `export/local.rs` does (one OTLP-JSON request a line, daily
/// files named by UTC date); returns the big traces' ids (mid-week, newest) and the bytes
/// written.
fn build_store(store: &Path) -> (Vec<TraceId>, u64) {
    let resource = Arc::new(Resource::service("bench-agent"));
    let scope = Arc::new(Scope {
        name: "bench".into(),
        ..Default::default()
    });
    let traces = (SPANS - BIG_TRACES * BIG_TRACE) / TRACE_SPANS + BIG_TRACES;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let first = now - (traces as u64 + 1) * TRACE_EVERY_NANOS;
    let big_at = [traces / 2, traces - 1];
    let mut big = Vec::new();
    let mut writer = Writer::new(store);
    for t in 0..traces {
        let start = first + t as u64 * TRACE_EVERY_NANOS;
        let size = if big_at.contains(&t) {
            BIG_TRACE
        } else {
            TRACE_SPANS
        };
        let spans = trace(&resource, &scope, start, size);
        if big_at.contains(&t) {
            big.push(spans[0].trace_id);
        }
        for span in spans {
            writer.push(span);
        }
    }
    writer.flush();
    (big, writer.bytes)
}

/// A trace of `size` spans: a root, then LLM and tool calls under it, in end order.
fn trace(resource: &Arc<Resource>, scope: &Arc<Scope>, start: u64, size: usize) -> Vec<Span> {
    let trace_id = TraceId::random();
    let root_id = SpanId::random();
    let step = SPAN_EVERY_NANOS * TRACE_SPANS as u64 / size as u64;
    let mut spans: Vec<Span> = (1..size)
        .map(|i| {
            let mut span = genai_span(resource, scope, i);
            span.trace_id = trace_id;
            span.parent_span_id = Some(root_id);
            span.start_unix_nanos = start + i as u64 * step;
            span.end_unix_nanos = span.start_unix_nanos + step / 2;
            span
        })
        .collect();
    let mut root = genai_span(resource, scope, 0);
    root.name = "invoke_agent support".into();
    root.trace_id = trace_id;
    root.span_id = root_id;
    root.start_unix_nanos = start;
    root.end_unix_nanos = start + size as u64 * step;
    spans.push(root);
    spans
}

/// Lines of `LINE_SPANS` spans, each in the daily file of its last span's end.
struct Writer<'a> {
    store: &'a Path,
    batch: Vec<Span>,
    file: Option<(String, BufWriter<File>)>,
    bytes: u64,
}

impl Writer<'_> {
    fn new(store: &Path) -> Writer<'_> {
        Writer {
            store,
            batch: Vec::with_capacity(LINE_SPANS),
            file: None,
            bytes: 0,
        }
    }

    fn push(&mut self, span: Span) {
        self.batch.push(span);
        if self.batch.len() == LINE_SPANS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let Some(last) = self.batch.last() else {
            return;
        };
        let name = file_name(std::time::UNIX_EPOCH + Duration::from_nanos(last.end_unix_nanos));
        if self.file.as_ref().is_none_or(|(n, _)| *n != name) {
            let file = File::create(self.store.join(&name)).unwrap();
            self.file = Some((name, BufWriter::new(file)));
        }
        let mut line = serde_json::to_vec(&to_request(&self.batch)).unwrap();
        line.push(b'\n');
        self.bytes += line.len() as u64;
        self.file.as_mut().unwrap().1.write_all(&line).unwrap();
        self.batch.clear();
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Wall times of `runs` runs, each after `before`, sorted, in milliseconds.
fn time(data: &Path, args: &[String], runs: usize, before: &dyn Fn()) -> Vec<f64> {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            before();
            let started = Instant::now();
            let status = Command::new(BIN)
                .args(args)
                .env_clear()
                .env("HOME", data)
                .env("AUTOMAGIK_DATA_DIR", data)
                // Usage telemetry is not what is measured (and must not leave the machine).
                .env("DO_NOT_TRACK", "1")
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{args:?} failed");
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}
