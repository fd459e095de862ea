//! Spool benchmarks (figures printed, nothing asserted). Writing: 512-span records and
//! single-span records synced one by one (what one `fsync` costs), and single-span records
//! group-committed as the engine's spooler writes them (one sync for up to 64 batches).
//! Flushing: a full spool at the default cap (`AUTOMAGIK_SPOOL_MAX_BYTES`, 200 MiB) of
//! 512-span records to a discarding loopback sink, in records/s, MiB/s and spans/s.
//! Run with `cargo bench --bench spool`; `scripts/bench-wrap` times `run --wrap true` with
//! the provider down (it spools instead of exporting).

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automagik_tracing::engine::flush::{Target, flush_spool};
use automagik_tracing::engine::spool::{self, DestinationKey, SpoolWriter};
use automagik_tracing::export::{Exporter, Payload};
use automagik_tracing::mask::{MaskMode, Masker};
use automagik_tracing::span::{Resource, Scope, into_request};
use common::{discarding_sink, figure, genai_span, otlp_to};

/// Batches the engine's spooler takes at once at most (its `QUEUE_BATCHES`), so one
/// group commit syncs up to this many records.
const GROUP: usize = 64;
const MIB: f64 = 1024.0 * 1024.0;

fn main() {
    let (url, received) = discarding_sink();
    let dir = tempfile::tempdir().unwrap();
    let (settings, exporter) = otlp_to(dir.path(), &url, false);
    let key = DestinationKey::new("otlp", exporter.endpoint(), "");
    let case = |name, records, spans, group| {
        let data_dir = tempfile::tempdir().unwrap();
        let writer = writer(data_dir.path(), &key, u64::MAX);
        write(name, writer, &payload(spans), records, group);
    };
    case("batch512.sync_each", 200, 512, 1);
    case("single.sync_each", 2_000, 1, 1);
    case("single.group_commit", 100 * GROUP, 1, GROUP);

    // A full spool at the default cap, flushed.
    let cap = settings.limits.spool_max_bytes.value;
    let data_dir = dir.path().join("full");
    let batch = payload(512);
    let records = (cap / batch.protobuf().len() as u64) as usize;
    // No cap on the writer: the last records must not evict the first.
    let writer = writer(&data_dir, &key, u64::MAX);
    write("batch512.group_commit", writer, &batch, records, GROUP);
    let before = received.load(std::sync::atomic::Ordering::Relaxed);
    let name = format!("spool.flush.{}mib", cap >> 20);
    flush(&name, &data_dir, &key, exporter.as_ref(), records);
    let sent = received.load(std::sync::atomic::Ordering::Relaxed) - before;
    println!("  ({:.1} MiB on the wire)", sent as f64 / MIB);
}

/// One request of `spans` GenAI spans, encoded once (as the engine hands it over).
fn payload(spans: usize) -> Payload {
    let resource = Arc::new(Resource::service("bench"));
    let scope = Arc::new(Scope::default());
    let payload = Payload::new(into_request(
        (0..spans)
            .map(|i| genai_span(&resource, &scope, i))
            .collect(),
    ));
    payload.protobuf();
    payload
}

fn writer(data_dir: &Path, key: &DestinationKey, cap: u64) -> SpoolWriter {
    SpoolWriter::new(spool::provider_dir(data_dir, "otlp"), cap, key.clone())
}

/// Appends `records` copies of `payload`, `group` records a sync, and prints the rate.
fn write(name: &str, mut writer: SpoolWriter, payload: &Payload, records: usize, group: usize) {
    let spans = payload.span_count();
    let start = Instant::now();
    let mut left = records;
    while left > 0 {
        let n = left.min(group);
        writer.append_all(&vec![payload; n]).unwrap();
        left -= n;
    }
    let secs = start.elapsed().as_secs_f64();
    let dir = writer.dir().to_path_buf();
    drop(writer);
    let mib = spool::pending(&dir).unwrap().bytes as f64 / MIB;
    let rate = (records * spans) as f64 / secs;
    figure(&format!("spool.write.{name}"), rate, "spans/s");
    println!(
        "spool write {name}: {records} records of {spans} spans, {group} a sync ({mib:.1} MiB): {:.0} records/s, {:.1} MiB/s, {rate:.0} spans/s",
        records as f64 / secs,
        mib / secs,
    );
}

/// Flushes the spool under `data_dir` to `exporter` and prints the rates.
fn flush(
    name: &str,
    data_dir: &Path,
    key: &DestinationKey,
    exporter: &dyn Exporter,
    records: usize,
) {
    let dir = spool::provider_dir(data_dir, "otlp");
    let mib = spool::pending(&dir).unwrap().bytes as f64 / MIB;
    let target = Target {
        destination: spool::destination_of(data_dir, key).unwrap(),
        to_current: false,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let report = runtime.block_on(flush_spool(
        &dir,
        data_dir,
        exporter,
        &Masker::new(MaskMode::None, &[]),
        &target,
        Instant::now() + Duration::from_secs(600),
        &mut |_| {},
    ));
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(report.delivered_records, records as u64, "{report:?}");
    figure(
        &format!("{name}.records"),
        records as f64 / secs,
        "records/s",
    );
    figure(&format!("{name}.mib"), mib / secs, "MiB/s");
    figure(
        &format!("{name}.spans"),
        report.delivered_spans as f64 / secs,
        "spans/s",
    );
    println!(
        "flush {mib:.1} MiB ({records} records, {} spans) to a loopback sink: {:.0} records/s, {:.1} MiB/s, {:.0} spans/s",
        report.delivered_spans,
        records as f64 / secs,
        mib / secs,
        report.delivered_spans as f64 / secs
    );
}
