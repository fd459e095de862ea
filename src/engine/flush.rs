//! Delivering a provider's spool: records oldest first through the provider's exporter,
//! one at a time, stopping at the first failure (the provider is down or refuses; the rest
//! would fail the same way). A segment is deleted once each of its readable records got a
//! 2xx; a partly delivered one is rewritten with what is left, so it is not sent twice.
//! Damaged records are copied to the quarantine folder and never sent.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::spool::{self, Claim, Entry};
use crate::export::{Cause, Exporter, Outcome};

/// What happened to one record, as it happens (for a progress bar).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Delivered {
        spans: u64,
    },
    Failed,
    /// Not attempted: after a failure, past the deadline, or held by another process.
    Skipped,
    /// Damaged bytes, copied to this file (`None` when even the copy failed: then they
    /// stay in the segment).
    Quarantined(Option<PathBuf>),
    /// Something the user should read, naming the file.
    Warning(String),
}

/// One provider's flush, in figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlushReport {
    pub provider: String,
    pub endpoint: String,
    pub delivered_records: u64,
    pub delivered_spans: u64,
    pub failed_records: u64,
    pub skipped_records: u64,
    pub quarantined_records: u64,
    /// Segments another process held (a run still writing, another flush).
    pub busy_segments: u64,
    /// The failure that stopped this provider, if one did.
    #[serde(skip)]
    pub failure: Option<Outcome>,
    pub warnings: Vec<String>,
}

impl FlushReport {
    /// Every readable record was delivered.
    pub fn complete(&self) -> bool {
        self.failed_records == 0 && self.skipped_records == 0 && self.busy_segments == 0
    }
}

/// Flushes the spool in `dir` through `exporter`, giving up at `deadline` (what is left
/// stays). Damaged records go to `quarantine` (a provider's quarantine dir).
pub async fn flush_spool(
    dir: &Path,
    data_dir: &Path,
    exporter: &dyn Exporter,
    deadline: Instant,
    on_step: &mut dyn FnMut(&Step),
) -> FlushReport {
    let mut report = FlushReport {
        provider: exporter.name().to_string(),
        endpoint: exporter.endpoint().to_string(),
        ..Default::default()
    };
    let mut step = |report: &mut FlushReport, step: Step| {
        match &step {
            Step::Delivered { spans } => {
                report.delivered_records += 1;
                report.delivered_spans += spans;
            }
            Step::Failed => report.failed_records += 1,
            Step::Skipped => report.skipped_records += 1,
            Step::Quarantined(_) => report.quarantined_records += 1,
            Step::Warning(text) => report.warnings.push(text.clone()),
        }
        on_step(&step);
    };
    let segments = match spool::segments(dir) {
        Ok(segments) => segments,
        Err(err) => {
            step(&mut report, Step::Warning(err.one_line()));
            return report;
        }
    };
    let mut stopped = false;
    for segment in segments {
        let Some(mut claim) = Claim::take(&segment) else {
            report.busy_segments += 1;
            let records = spool::pending_in(&segment.path).records;
            for _ in 0..records {
                step(&mut report, Step::Skipped);
            }
            continue;
        };
        let entries = match claim.read() {
            Ok(entries) => entries,
            Err(err) => {
                step(&mut report, Step::Warning(err.one_line()));
                for _ in 0..spool::pending_in(&segment.path).records {
                    step(&mut report, Step::Skipped);
                }
                continue;
            }
        };
        let mut keep: Vec<&[u8]> = Vec::new();
        for entry in &entries {
            match entry {
                Entry::Damaged { offset, bytes } => {
                    let copied =
                        spool::quarantine(data_dir, &report.provider, claim.path(), *offset, bytes);
                    let warning = match &copied {
                        Ok(copy) => format!(
                            "`{}`: a damaged record at byte {offset} was skipped and copied to `{}`",
                            claim.path().display(),
                            copy.display()
                        ),
                        Err(err) => {
                            keep.push(bytes);
                            format!(
                                "`{}`: a damaged record at byte {offset} was skipped and left in place ({})",
                                claim.path().display(),
                                err.one_line()
                            )
                        }
                    };
                    step(&mut report, Step::Warning(warning));
                    step(&mut report, Step::Quarantined(copied.ok()));
                }
                Entry::Record {
                    spans,
                    request,
                    raw,
                } => {
                    if stopped || Instant::now() >= deadline {
                        keep.push(raw);
                        step(&mut report, Step::Skipped);
                        continue;
                    }
                    let outcome =
                        match tokio::time::timeout_at(deadline.into(), exporter.export(request))
                            .await
                        {
                            Ok(outcome) => outcome,
                            Err(_) => Outcome::Retryable {
                                cause: Cause::Timeout,
                                retry_after: None,
                                message: "the flush timeout ran out".into(),
                            },
                        };
                    if outcome.is_delivered() {
                        step(&mut report, Step::Delivered { spans: *spans });
                    } else {
                        keep.push(raw);
                        stopped = true;
                        report.failure = Some(outcome);
                        step(&mut report, Step::Failed);
                    }
                }
            }
        }
        let outcome = if keep.is_empty() {
            claim.remove()
        } else if keep.len() < entries.len() {
            claim.keep_only(&keep)
        } else {
            Ok(())
        };
        if let Err(err) = outcome {
            step(&mut report, Step::Warning(err.one_line()));
        }
    }
    report
}
