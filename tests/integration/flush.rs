//! The spool and `flush`: what a dead provider could not take is kept on disk, and `flush`
//! delivers it later, exactly those spans, once each (at least once after a crash), with
//! damaged records quarantined and a refused key kept for the next try. Here the helpers
//! that write and read a spool; a file per behaviour in `flush/`.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use automagik_tracing::engine::spool::{self, DestinationKey, SpoolWriter};
use automagik_tracing::span::{Span, into_request};

use crate::engine::spans;
use crate::sink::Sink;
use crate::testenv::TestEnv;

mod delivery;
mod faults;
mod refusals;

/// A TestEnv whose data dir is `data_dir` and whose otlp provider is `url`.
pub fn env_for(data_dir: &Path, url: &str) -> TestEnv {
    TestEnv::new()
        .var("AUTOMAGIK_DATA_DIR", &data_dir.display().to_string())
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", url)
}

/// The destination of the otlp provider at `url` with no headers, as `flush` sees it.
pub fn otlp_at(url: &str) -> DestinationKey {
    DestinationKey::new("otlp", &format!("{url}/v1/traces"), "")
}

/// A writer to the otlp spool under `data_dir`, bound to the otlp provider at `url`.
pub fn otlp_writer(data_dir: &Path, url: &str) -> SpoolWriter {
    SpoolWriter::new(
        spool::provider_dir(data_dir, "otlp"),
        u64::MAX,
        otlp_at(url),
    )
}

/// Writes `records` records of `spans_per_record` spans each to the otlp spool for `url`,
/// a new segment once one holds `segment_target` bytes; returns every span id written.
pub fn write_spool(
    data_dir: &Path,
    url: &str,
    records: usize,
    spans_per_record: usize,
    segment_target: u64,
) -> HashSet<String> {
    let mut ids = HashSet::new();
    {
        let mut writer = otlp_writer(data_dir, url).with_segment_target(segment_target);
        for _ in 0..records {
            let batch: Vec<Span> = spans(spans_per_record);
            ids.extend(batch.iter().map(|s| s.span_id.to_hex()));
            writer.append(&into_request(batch).into()).unwrap();
        }
    }
    ids
}

/// Writes three 5-span batches as three records of one otlp segment for `url`; returns
/// the segment, its bytes (to damage) and the batches.
pub fn three_batches(data_dir: &Path, url: &str) -> (PathBuf, Vec<u8>, Vec<Vec<Span>>) {
    let mut writer = otlp_writer(data_dir, url);
    let batches: Vec<Vec<Span>> = (0..3).map(|_| spans(5)).collect();
    for batch in &batches {
        writer.append(&into_request(batch.clone()).into()).unwrap();
    }
    drop(writer);
    let segment = segment_files(data_dir).remove(0);
    let bytes = fs::read(&segment).unwrap();
    (segment, bytes, batches)
}

/// The names of the spans a sink accepted (2xx), in order.
pub fn accepted_names(sink: &Sink) -> Vec<String> {
    sink.requests()
        .iter()
        .filter(|r| r.status < 300)
        .flat_map(|r| automagik_tracing::span::from_request(&r.decode()).0)
        .map(|s| s.name)
        .collect()
}

pub fn segment_files(data_dir: &Path) -> Vec<PathBuf> {
    spool::segments(&spool::provider_dir(data_dir, "otlp"))
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect()
}

pub fn pending_spans(data_dir: &Path) -> u64 {
    spool::pending(&spool::provider_dir(data_dir, "otlp"))
        .unwrap()
        .spans
}
