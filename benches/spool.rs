//! Spool benchmarks (figures printed, nothing asserted): writing batches to the spool (each
//! record synced to disk before it counts) and flushing them to a discarding loopback sink,
//! in records/s and MiB/s, for 512-span batches and for single-span records.
//! Run with `cargo bench --bench spool`; `scripts/bench-wrap` times `run --wrap true` with
//! the provider down (it spools instead of exporting).

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use automagik_tracing::engine::flush::{Target, flush_spool};
use automagik_tracing::engine::spool::{self, DestinationKey, SpoolWriter};
use automagik_tracing::export::Payload;
use automagik_tracing::mask::{MaskMode, Masker};
use automagik_tracing::span::{Resource, Scope, into_request};
use common::{discarding_sink, genai_span, otlp_to};

fn main() {
    for (records, spans_per_record) in [(200, 512), (2_000, 1)] {
        bench(records, spans_per_record);
    }
}

fn bench(records: usize, spans_per_record: usize) {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let resource = Arc::new(Resource::service("bench"));
    let scope = Arc::new(Scope::default());
    // Encoded inside `append`, as a batch the engine spools for an exporter behind.
    let payloads: Vec<Payload> = (0..records)
        .map(|r| {
            Payload::new(into_request(
                (0..spans_per_record)
                    .map(|i| genai_span(&resource, &scope, r * spans_per_record + i))
                    .collect(),
            ))
        })
        .collect();

    let (url, received) = discarding_sink();
    let (_, exporter) = otlp_to(dir.path(), &url, false);
    let key = DestinationKey::new("otlp", exporter.endpoint(), "");
    let mut writer = SpoolWriter::new(
        spool::provider_dir(&data_dir, "otlp"),
        u64::MAX,
        key.clone(),
    );
    let start = Instant::now();
    for payload in &payloads {
        writer.append(payload).unwrap();
    }
    let write = start.elapsed();
    drop(writer);
    let pending = spool::pending(&spool::provider_dir(&data_dir, "otlp")).unwrap();
    let mib = pending.bytes as f64 / (1024.0 * 1024.0);
    common::figure(
        "spool.write",
        (records * spans_per_record) as f64 / write.as_secs_f64(),
        "spans/s",
    );
    println!(
        "spool write, {records} records of {spans_per_record} spans ({mib:.1} MiB, fsync each): {:.0} records/s, {:.1} MiB/s, {:.0} spans/s",
        records as f64 / write.as_secs_f64(),
        mib / write.as_secs_f64(),
        (records * spans_per_record) as f64 / write.as_secs_f64()
    );

    let target = Target {
        destination: spool::destination_of(&data_dir, &key).unwrap(),
        to_current: false,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let report = runtime.block_on(flush_spool(
        &spool::provider_dir(&data_dir, "otlp"),
        &data_dir,
        exporter.as_ref(),
        &Masker::new(MaskMode::None, &[]),
        &target,
        Instant::now() + Duration::from_secs(600),
        &mut |_| {},
    ));
    let flush = start.elapsed();
    assert_eq!(report.delivered_records, records as u64, "{report:?}");
    common::figure(
        "spool.flush",
        (records * spans_per_record) as f64 / flush.as_secs_f64(),
        "spans/s",
    );
    println!(
        "flush to a loopback sink ({:.1} MiB on the wire): {:.0} records/s, {:.1} MiB/s of spool, {:.0} spans/s",
        received.load(std::sync::atomic::Ordering::Relaxed) as f64 / (1024.0 * 1024.0),
        records as f64 / flush.as_secs_f64(),
        mib / flush.as_secs_f64(),
        (records * spans_per_record) as f64 / flush.as_secs_f64()
    );
}
