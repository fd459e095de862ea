//! Delivering a provider's spool: records oldest first through the provider's exporter,
//! one at a time, stopping at the first failure (the provider is down or refuses; the rest
//! would fail the same way). Only records spooled for the current destination are sent
//! (or every record, when asked to send to the current destination anyway); the others
//! are left for a flush where their settings are. Each record is masked as the provider's
//! mask mode says *now* (a mode made stricter since the record was spooled applies), and a
//! 413 is answered by splitting as the workers do. Each delivered record is marked done in
//! place at once, so a flush stopped midway (Ctrl-C, kill -9) sends again at most the
//! record that was in flight; at the end a segment is deleted once each of its readable
//! records got a 2xx, or rewritten with what is left. Damaged records are copied to the
//! quarantine folder and never sent; empty segments are deleted.
//!
//! `report` holds what a flush is asked and tells; `send`, one record's request.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::time::{Duration, Instant};

use super::spool::{self, Claim, Entry, Segment, Taken};
use crate::export::{Cause, Exporter, Outcome, Payload, Records};
use crate::mask::{MaskMode, Masker};
use crate::span::{into_request, into_spans};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

mod report;
mod send;

pub use report::{FlushReport, Step, Target};
use send::{deliver, export_waiting_as_told};

/// The lock file in a provider's spool directory that one flush at a time holds.
pub const FLUSH_LOCK: &str = "flush.lock";
/// How many times one record may be sent again after a `Retry-After` that fits the time
/// left.
const RETRY_AFTER_ATTEMPTS: u32 = 3;

/// Flushes the spool in `dir` through `exporter`, each record masked by `masker`, giving
/// up at `deadline` (what is left stays). Damaged records go to the provider's quarantine
/// folder under `data_dir`.
pub async fn flush_spool(
    dir: &Path,
    data_dir: &Path,
    exporter: &dyn Exporter,
    masker: &Masker,
    target: &Target,
    deadline: Instant,
    on_step: &mut (dyn FnMut(&Step) + Send),
) -> FlushReport {
    let mut flush = Flush {
        report: FlushReport {
            provider: exporter.name().to_string(),
            endpoint: exporter.endpoint().to_string(),
            ..Default::default()
        },
        exporter,
        masker,
        target,
        data_dir,
        deadline,
        stopped: false,
        on_step,
    };
    // One flush of a provider at a time: a second one waits its turn (and then finds
    // what the first delivered gone), so both can tell what is really left.
    let _turn = match wait_for_turn(dir, deadline).await {
        Ok(lock) => lock,
        Err(why) => {
            flush.step(Step::Warning(why));
            for segment in spool::segments(dir).unwrap_or_default() {
                flush.skip_all(&segment);
            }
            return flush.report;
        }
    };
    spool::remove_empty(dir);
    match spool::segments(dir) {
        Ok(segments) => {
            for segment in &segments {
                flush.segment(segment).await;
            }
        }
        Err(err) => flush.step(Step::Warning(err.one_line())),
    }
    flush.report
}

/// The provider's flush lock, waited for until `deadline`.
async fn wait_for_turn(dir: &Path, deadline: Instant) -> Result<File, String> {
    let path = dir.join(FLUSH_LOCK);
    let file = crate::config::files::open_private(
        &path,
        OpenOptions::new().create(true).truncate(false).write(true),
    )
    .map_err(|e| crate::Error::io("cannot open", &path, e).one_line())?;
    loop {
        if file.try_lock().is_ok() {
            return Ok(file);
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "another flush of `{}` is still running: its records were left to it",
                dir.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Flush<'a> {
    report: FlushReport,
    exporter: &'a dyn Exporter,
    masker: &'a Masker,
    target: &'a Target,
    data_dir: &'a Path,
    deadline: Instant,
    /// A record failed: the rest of this provider's spool waits for the next flush.
    stopped: bool,
    on_step: &'a mut (dyn FnMut(&Step) + Send),
}

impl Flush<'_> {
    fn step(&mut self, step: Step) {
        let report = &mut self.report;
        match &step {
            Step::Delivered { spans } => {
                report.delivered_records += 1;
                report.delivered_spans += spans;
            }
            Step::Failed => report.failed_records += 1,
            Step::Skipped => report.skipped_records += 1,
            Step::Quarantined => report.quarantined_records += 1,
            Step::Elsewhere => report.elsewhere_records += 1,
            Step::Warning(text) => report.warnings.push(text.clone()),
        }
        (self.on_step)(&step);
    }

    fn skip_all(&mut self, segment: &Segment) {
        for _ in 0..spool::pending_in(&segment.path).records {
            self.step(Step::Skipped);
        }
    }

    async fn segment(&mut self, segment: &Segment) {
        let Some((mut claim, entries)) = self.claim(segment) else {
            return;
        };
        // Something was delivered or set aside: what is left is written back alone.
        let mut changed = false;
        let mut keep: Vec<Vec<u8>> = Vec::new();
        for entry in entries {
            match entry {
                Entry::Done => changed = true,
                Entry::Damaged { offset, bytes } => {
                    if self.quarantine(claim.path(), offset, &bytes) {
                        changed = true;
                    } else {
                        keep.push(bytes);
                    }
                }
                Entry::Record {
                    destination, raw, ..
                } if !self.target.takes(destination.as_ref()) => {
                    self.step(Step::Elsewhere);
                    keep.push(raw);
                }
                Entry::Record {
                    offset,
                    spans,
                    request,
                    records,
                    raw,
                    ..
                } => {
                    let delivered = match records {
                        Some(records) => self.records(spans, records).await,
                        None => self.record(spans, request).await,
                    };
                    if !delivered {
                        keep.push(raw);
                        continue;
                    }
                    changed = true;
                    if let Err(err) = claim.mark_done(offset) {
                        self.step(Step::Warning(err.one_line()));
                    }
                }
            }
        }
        self.finish(claim, &keep, changed);
    }

    /// The segment, held, and its entries; `None` when there is nothing to do with it
    /// (another process holds it, it is gone or unreadable, or it was empty and is
    /// deleted).
    fn claim(&mut self, segment: &Segment) -> Option<(Claim, Vec<Entry>)> {
        let mut claim = match Claim::take(segment) {
            Ok(Taken::Mine(claim)) => claim,
            Ok(Taken::Gone) => return None,
            Ok(Taken::Busy) => {
                self.report.busy_segments += 1;
                self.skip_all(segment);
                return None;
            }
            Err(err) => {
                self.step(Step::Warning(err.one_line()));
                self.skip_all(segment);
                return None;
            }
        };
        match claim.read() {
            Ok(entries) if entries.is_empty() => {
                // A segment with no record (empty, or a header alone) has nothing to keep.
                if let Err(err) = claim.remove() {
                    self.step(Step::Warning(err.one_line()));
                }
                None
            }
            Ok(entries) => Some((claim, entries)),
            Err(err) => {
                self.step(Step::Warning(err.one_line()));
                self.skip_all(segment);
                None
            }
        }
    }

    /// Deletes the segment when nothing is kept, or rewrites it with what is.
    fn finish(&mut self, claim: Claim, keep: &[Vec<u8>], changed: bool) {
        let kept: Vec<&[u8]> = keep.iter().map(Vec::as_slice).collect();
        let done = if kept.is_empty() {
            claim.remove()
        } else if changed {
            claim.keep_only(&kept)
        } else {
            Ok(())
        };
        if let Err(err) = done {
            self.step(Step::Warning(err.one_line()));
        }
    }

    /// Copies damaged bytes aside; false when even that failed (they stay in place).
    fn quarantine(&mut self, segment: &Path, offset: u64, bytes: &[u8]) -> bool {
        let provider = self.report.provider.clone();
        let (warning, copied) = match spool::quarantine(
            self.data_dir,
            &provider,
            segment,
            offset,
            bytes,
        ) {
            Ok(copy) => (
                format!(
                    "`{}`: a damaged record at byte {offset} was skipped and copied to `{}`",
                    segment.display(),
                    copy.display()
                ),
                true,
            ),
            Err(err) => (
                format!(
                    "`{}`: a damaged record at byte {offset} was skipped and left in place ({})",
                    segment.display(),
                    err.one_line()
                ),
                false,
            ),
        };
        self.step(Step::Warning(warning));
        self.step(Step::Quarantined);
        copied
    }

    /// Sends one record; true when it was delivered (and may leave the spool).
    async fn record(&mut self, spans: u64, request: Request) -> bool {
        if self.stopped || Instant::now() >= self.deadline {
            self.step(Step::Skipped);
            return false;
        }
        let (request, unmaskable) = self.masked(request);
        match deliver(self.exporter, self.deadline, request, false).await {
            Ok(too_large) => {
                self.report.dropped_spans += too_large + unmaskable;
                self.step(Step::Delivered { spans });
                true
            }
            Err(outcome) => {
                self.stopped = true;
                self.report.failure = Some(outcome);
                self.step(Step::Failed);
                false
            }
        }
    }

    /// Sends one record of log records or metrics (`count` of them), masked as the
    /// provider's mode says now; true when it may leave the spool. A provider that finds
    /// it too large (413) loses it, with a warning: such a record is never split.
    async fn records(&mut self, count: u64, mut records: Records) -> bool {
        let signal = records.signal();
        if self.stopped
            || Instant::now() >= self.deadline
            || !self.exporter.signals().accepts(signal)
        {
            self.step(Step::Skipped);
            return false;
        }
        let unmaskable = self.masker.mask_records(&mut records) as u64;
        let payload = Payload::of_records(records);
        match export_waiting_as_told(self.exporter, &payload, self.deadline).await {
            Outcome::Delivered { .. } => {
                let delivered = count.saturating_sub(unmaskable);
                *self
                    .report
                    .delivered_by_signal
                    .entry(signal.as_str().to_string())
                    .or_default() += delivered;
                self.step(Step::Delivered { spans: 0 });
                true
            }
            Outcome::Permanent {
                cause: Cause::Http(413),
                ..
            } => {
                self.step(Step::Warning(format!(
                    "{} refused a record of {count} {} as too large: it was dropped",
                    self.report.provider,
                    signal.as_str()
                )));
                true
            }
            outcome => {
                self.stopped = true;
                self.report.failure = Some(outcome);
                self.step(Step::Failed);
                false
            }
        }
    }

    /// The request as the provider's current mask mode says, and how many spans could
    /// not be masked (they are left out: masking fails closed).
    fn masked(&self, request: Request) -> (Request, u64) {
        if self.masker.mode() == MaskMode::None {
            return (request, 0);
        }
        let (mut spans, _) = into_spans(request);
        let failed = self.masker.mask_batch(&mut spans) as u64;
        (into_request(spans), failed)
    }
}
