//! Log records and metrics in the engine: the producers' door
//! ([`Recorder::record_records`]), their queue beside the spans', batches of one signal,
//! and the hand-over to the lanes of the exporters that take the signal (masked once per
//! mask mode among them; the others count them as not accepted).

use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value as V};

use super::Recorder;
use super::background::{Background, Batch, Outbox};
use super::fanout::{self, FanOut};
use super::intake::truncate_string;
use super::metrics::reason;
use crate::export::{Budget, Records};
use crate::presets::Signal;

/// Requests of log records or metrics the queue holds at most (the byte cap bounds them
/// too): a child sends a few a second, each of many records.
pub const RECORDS_QUEUE_REQUESTS: usize = 1024;

/// A queued request of log records or metrics, and its encoded size (counted in the byte
/// bound as a span's estimate is).
pub(super) struct QueuedRecords {
    pub(super) records: Records,
    pub(super) size: u64,
}

impl Recorder {
    /// Hands log records or metrics to the engine, as [`record`](Self::record) does
    /// spans: never blocks, never fails; a request that does not fit (by count of
    /// requests or by bytes) is dropped and its records counted. Not sampled; log bodies
    /// and attribute values longer than `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` are cut as a
    /// span's are, so one huge log line cannot cost a batch a 413.
    pub fn record_records(&self, records: Records) {
        self.record_records_held(records, 0);
    }

    /// [`Recorder::record_records`] of a request whose room in the byte budget was taken
    /// ahead (by the wrapper's receiver before it decoded it): its size comes out of
    /// `held` first, so no other producer can take the room between, and what is left of
    /// `held` is given back.
    pub(crate) fn record_records_held(&self, mut records: Records, held: u64) {
        let count = records.count() as u64;
        if count == 0 {
            return self.release(held);
        }
        let cut = truncate_log_values(&mut records, self.intake.value_limit());
        if cut > 0 {
            self.metrics.truncated_values.fetch_add(cut as u64, Relaxed);
        }
        let signal = records.signal();
        let size = records.encoded_len() as u64;
        let dropped = || self.metrics.records_dropped_queue_full.add(signal, count);
        let ahead = size.min(held);
        self.release(held - ahead);
        if size > ahead && !self.reserve(size - ahead) {
            self.release(ahead);
            return dropped();
        }
        match self.records_tx.try_send(QueuedRecords { records, size }) {
            Ok(()) => self.metrics.records_queued.add(signal, count),
            Err(_) => {
                self.queued_bytes.fetch_sub(size, Relaxed);
                dropped();
            }
        }
    }

    /// Hands a child's log records to the engine ([`record_records`](Self::record_records)).
    pub fn record_logs(&self, request: ExportLogsServiceRequest) {
        self.record_records(Records::Logs(request));
    }

    /// Hands a child's metrics to the engine ([`record_records`](Self::record_records)).
    pub fn record_metrics(&self, request: ExportMetricsServiceRequest) {
        self.record_records(Records::Metrics(request));
    }
}

impl Background {
    /// Adds a request of log records or metrics to the batch of its signal, which leaves
    /// once it is as full as a batch of spans may be (in records, or bytes).
    pub(super) async fn add_records(
        &self,
        batch: &mut Batch,
        item: QueuedRecords,
        out: &mut Outbox,
    ) {
        batch.first_at.get_or_insert_with(Instant::now);
        let slot = &mut batch.records[usize::from(item.records.signal() == Signal::Metrics)];
        let full = match slot {
            Some((held, bytes)) => {
                // The slot holds this signal only, so nothing is given back.
                let _ = held.absorb(item.records);
                *bytes += item.size;
                self.records_full(held, *bytes)
            }
            None => {
                let full = self.records_full(&item.records, item.size);
                *slot = Some((item.records, item.size));
                full
            }
        };
        if full && let Some((records, bytes)) = slot.take() {
            self.start_exports(out, true);
            self.dispatch_records(records, bytes, &out.fan_out).await;
        }
    }

    fn records_full(&self, records: &Records, bytes: u64) -> bool {
        records.count() >= self.options.batch_max_spans
            || bytes >= self.options.batch_max_bytes as u64
    }

    /// Hands log records or metrics to the lanes of the exporters that take their
    /// signal, masked once per mask mode among them; the others count them as not
    /// accepted.
    pub(super) async fn dispatch_records(&self, records: Records, bytes: u64, fan_out: &FanOut) {
        let signal = records.signal();
        let count = records.count() as u64;
        let takes = |index: usize| self.accepts[index].accepts(signal);
        for (index, stats) in self.metrics.exporters.iter().enumerate() {
            if !takes(index) {
                stats.not_accepted(signal, count);
            }
        }
        let total = &self.queued_bytes;
        let budgets = std::iter::once(Budget::holding(total.clone(), bytes)).chain(
            std::iter::repeat_with(|| Budget::counting(total.clone(), bytes)),
        );
        let groups = self.masks.convert_records(records, budgets, |exporters| {
            exporters.iter().any(|&i| takes(i))
        });
        if groups.is_empty() {
            return;
        }
        fan_out
            .wait_for_room(Instant::now() + fanout::ROOM_WAIT)
            .await;
        for group in groups {
            for &index in group.exporters.iter().filter(|&&i| takes(i)) {
                let stats = &self.metrics.exporters[index];
                stats.handed(signal, count);
                if group.failed > 0 {
                    stats.dropped_of(signal, group.failed, reason::MASK_FAILED);
                }
                if count > group.failed {
                    fan_out.send(index, &group.payload);
                }
            }
        }
    }
}

/// Cuts the string and bytes values of log records (bodies and attributes) longer than
/// `limit`, as the intake does a span's; returns how many were cut. Metrics carry no
/// content worth the walk.
fn truncate_log_values(records: &mut Records, limit: usize) -> usize {
    let Records::Logs(request) = records else {
        return 0;
    };
    request
        .resource_logs
        .iter_mut()
        .flat_map(|r| &mut r.scope_logs)
        .flat_map(|s| &mut s.log_records)
        .map(|record| {
            let attributes = record
                .attributes
                .iter_mut()
                .filter_map(|a| a.value.as_mut());
            record
                .body
                .iter_mut()
                .chain(attributes)
                .map(|v| truncate_any(v, limit))
                .sum::<usize>()
        })
        .sum()
}

fn truncate_any(value: &mut AnyValue, limit: usize) -> usize {
    match &mut value.value {
        Some(V::StringValue(s)) if s.len() > limit => {
            truncate_string(s, limit);
            1
        }
        Some(V::BytesValue(b)) if b.len() > limit => {
            b.truncate(limit);
            1
        }
        Some(V::ArrayValue(array)) => array
            .values
            .iter_mut()
            .map(|v| truncate_any(v, limit))
            .sum(),
        Some(V::KvlistValue(list)) => list
            .values
            .iter_mut()
            .filter_map(|kv| kv.value.as_mut())
            .map(|v| truncate_any(v, limit))
            .sum(),
        _ => 0,
    }
}
