//! The local trace store: OTLP-JSON lines in daily files (`traces-YYYY-MM-DD.jsonl`) in
//! the data dir, capped by total size and by age. What `traces` reads. Log records and
//! metrics go to daily files of their own (`logs-…`, `metrics-…`) under the same caps, so
//! what lists and follows traces never reads them; `traces show` reads a trace's logs.
//!
//! Whole lines or nothing: a write that fails or falls short (a full disk) is cut back to
//! where its line began, and a line left unfinished by a process that died mid-write is
//! closed before the next is appended, so one bad write never glues itself onto the next
//! run's line. What is written is what the reader can read: attribute values nested
//! deeper than [`super::nesting::MAX_VALUE_DEPTH`] are cut there.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use super::nesting::cut_too_deep;
use super::{BoxFuture, Cause, Exporter, Outcome, Payload, Records};
use crate::config::files;
use crate::error::{Error, Result};
use crate::presets::{self, Signal, Signals};

const FILE_SUFFIX: &str = ".jsonl";
/// What the index of a store file adds to its name.
const INDEX_SUFFIX: &str = ".idx";

/// The `local` provider: each batch becomes one OTLP-JSON line in today's store file.
pub struct LocalStore {
    dir: PathBuf,
    endpoint: String,
    max_bytes: u64,
    max_age_days: u64,
    appending: Mutex<()>,
}

impl LocalStore {
    /// A store in `dir` (created on first append, 0700) keeping at most `max_bytes` in all
    /// and files at most `max_age_days` days old.
    pub fn new(dir: PathBuf, max_bytes: u64, max_age_days: u64) -> LocalStore {
        LocalStore {
            endpoint: dir.display().to_string(),
            dir,
            max_bytes,
            max_age_days,
            appending: Mutex::new(()),
        }
    }

    /// Appends the request as one JSON line to today's file, then enforces the caps.
    pub fn append(&self, request: &ExportTraceServiceRequest) -> Result<PathBuf> {
        let cut = cut_too_deep(request);
        let line = serde_json::to_vec(cut.as_ref().unwrap_or(request))
            .map_err(|e| Error::failed(format!("cannot encode spans as JSON: {e}")))?;
        self.append_line(Signal::Traces, line)
    }

    /// Appends log records or metrics as one JSON line to today's file of their signal.
    pub fn append_records(&self, records: &Records) -> Result<PathBuf> {
        let line = match records {
            Records::Logs(request) => serde_json::to_vec(request),
            Records::Metrics(request) => serde_json::to_vec(request),
        }
        .map_err(|e| {
            Error::failed(format!(
                "cannot encode {} as JSON: {e}",
                records.signal().as_str()
            ))
        })?;
        self.append_line(records.signal(), line)
    }

    /// Appends `line` and a newline to today's file of `signal`, then enforces the caps.
    /// One append at a time: the engine delivers batches side by side, and a line must
    /// neither interleave with another nor land in a file the caps are deleting.
    fn append_line(&self, signal: Signal, mut line: Vec<u8>) -> Result<PathBuf> {
        line.push(b'\n');
        let _one_at_a_time = self
            .appending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The store holds full prompts: this user's only.
        files::private_dir(&self.dir)
            .map_err(|e| Error::io("cannot create directory", &self.dir, e))?;
        let path = self.dir.join(signal_file_name(signal, SystemTime::now()));
        let mut file = files::open_private(
            &path,
            OpenOptions::new().create(true).append(true).read(true),
        )
        .map_err(|e| Error::io("cannot open", &path, e))?;
        // Another process (a second wrapped run) may append to the same file: one line at
        // a time across processes too, so cutting back a failed line never cuts theirs.
        file.lock()
            .map_err(|e| Error::io("cannot lock", &path, e))?;
        append_whole_line(&mut file, &line).map_err(|e| Error::io("cannot write", &path, e))?;
        drop(file);
        self.enforce_caps(&path)?;
        Ok(path)
    }

    /// Deletes files older than the age cap, then the oldest files until under the size
    /// cap; the file just written is kept.
    fn enforce_caps(&self, current: &Path) -> Result<()> {
        // One listing for every signal and the indexes: this runs after every append.
        let is_store_file = |name: &str| {
            Signal::ALL
                .iter()
                .any(|signal| is_signal_file(name, *signal))
        };
        let mut files = files_named(&self.dir, |name| {
            is_store_file(name) || name.strip_suffix(INDEX_SUFFIX).is_some_and(is_store_file)
        })?;
        // A file's index counts against the size cap with it, and goes with it.
        let indexes: HashMap<PathBuf, u64> = files
            .extract_if(.., |(path, _, _)| {
                path.as_os_str()
                    .as_encoded_bytes()
                    .ends_with(INDEX_SUFFIX.as_bytes())
            })
            .map(|(path, size, _)| (path.with_extension(""), size))
            .collect();
        for (path, size, _) in &mut files {
            *size += indexes.get(path).copied().unwrap_or(0);
        }
        // Oldest day first, whatever the signal.
        files.sort_by(|a, b| day_of(&a.0).cmp(day_of(&b.0)));
        let max_age = Duration::from_secs(self.max_age_days * 86_400);
        let now = SystemTime::now();
        files.retain(|(path, _, modified)| {
            let old = now.duration_since(*modified).unwrap_or_default() > max_age;
            if old && path != current {
                remove_with_index(path);
                return false;
            }
            true
        });
        let mut total: u64 = files.iter().map(|(_, size, _)| size).sum();
        for (path, size, _) in &files {
            if total <= self.max_bytes {
                break;
            }
            if path != current && remove_with_index(path) {
                total -= size;
            }
        }
        Ok(())
    }
}

/// Deletes a store file and the index `traces` made of it (none for logs and metrics);
/// whether the file was deleted.
fn remove_with_index(path: &Path) -> bool {
    let removed = fs::remove_file(path).is_ok();
    let _ = fs::remove_file(index_path(path));
    removed
}

/// Where `traces` keeps the index of the trace ids in a store file: beside it, under a
/// name no listing of store files takes (`traces-YYYY-MM-DD.jsonl.idx`).
pub fn index_path(store_file: &Path) -> PathBuf {
    let mut name = store_file.as_os_str().to_owned();
    name.push(INDEX_SUFFIX);
    PathBuf::from(name)
}

impl Exporter for LocalStore {
    fn name(&self) -> &str {
        crate::presets::LOCAL
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn signals(&self) -> Signals {
        presets::LOCAL_SIGNALS
    }

    fn uses_sockets(&self) -> bool {
        false
    }

    fn export<'a>(&'a self, payload: &'a Payload) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let appended = match payload.records() {
                Some(records) => self.append_records(records),
                None => self.append(payload.request()),
            };
            match appended {
                Ok(_) => Outcome::Delivered { status: None },
                Err(err) => Outcome::Permanent {
                    cause: Cause::Storage,
                    message: err.to_string(),
                },
            }
        })
    }
}

/// A file a line is appended to: the store's file, or a test's stand-in.
trait LineFile: Write {
    fn size(&self) -> io::Result<u64>;
    fn byte_at(&self, offset: u64) -> io::Result<u8>;
    fn cut_to(&self, size: u64) -> io::Result<()>;
}

impl LineFile for File {
    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn byte_at(&self, offset: u64) -> io::Result<u8> {
        let mut byte = [0u8];
        self.read_exact_at(&mut byte, offset)?;
        Ok(byte[0])
    }

    fn cut_to(&self, size: u64) -> io::Result<()> {
        self.set_len(size)
    }
}

/// Appends `line` (ending in a newline) whole, or leaves the file as it was: after a
/// failed or short write the file is cut back to where the line began. A last line left
/// unfinished by an earlier writer is ended first, so it stays one unreadable line of
/// its own instead of spoiling this one.
fn append_whole_line(file: &mut impl LineFile, line: &[u8]) -> io::Result<()> {
    let start = file.size()?;
    let unfinished = start > 0 && file.byte_at(start - 1)? != b'\n';
    let written = if unfinished {
        file.write_all(b"\n").and_then(|()| file.write_all(line))
    } else {
        file.write_all(line)
    };
    let written = written.and_then(|()| file.flush());
    if let Err(e) = written {
        // Best effort: if even this fails, the reader still skips the partial line by name.
        let _ = file.cut_to(start);
        return Err(e);
    }
    Ok(())
}

/// The store's files, oldest first, with size and modification time.
pub fn store_files(dir: &Path) -> Result<Vec<(PathBuf, u64, SystemTime)>> {
    signal_files(dir, Signal::Traces)
}

/// The store's files of `signal` (`traces-…`, `logs-…`, `metrics-…`), oldest first.
pub fn signal_files(dir: &Path, signal: Signal) -> Result<Vec<(PathBuf, u64, SystemTime)>> {
    files_named(dir, |name| is_signal_file(name, signal))
}

/// Whether `name` is a store file of `signal`: `<signal>-YYYY-MM-DD.jsonl`.
fn is_signal_file(name: &str, signal: Signal) -> bool {
    name.strip_prefix(signal.as_str())
        .is_some_and(|rest| rest.starts_with('-'))
        && name.ends_with(FILE_SUFFIX)
}

/// The files in `dir` whose names `wanted` takes, sorted by name, with size and
/// modification time; none when `dir` does not exist.
fn files_named(
    dir: &Path,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<(PathBuf, u64, SystemTime)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("cannot read", dir, e)),
    };
    let mut files: Vec<_> = entries
        .flatten()
        .filter(|e| wanted(&e.file_name().to_string_lossy()))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.len(), meta.modified().unwrap_or(UNIX_EPOCH)))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// `traces-YYYY-MM-DD.jsonl` for the UTC day of `time`.
pub fn file_name(time: SystemTime) -> String {
    signal_file_name(Signal::Traces, time)
}

/// `logs-YYYY-MM-DD.jsonl` (or `traces-`, `metrics-`) for the UTC day of `time`.
pub fn signal_file_name(signal: Signal, time: SystemTime) -> String {
    let days = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{}-{y:04}-{m:02}-{d:02}{FILE_SUFFIX}", signal.as_str())
}

/// The `YYYY-MM-DD.jsonl` part of a store file's name, for ordering files of every signal.
fn day_of(path: &Path) -> &str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.split_once('-').map_or(name, |(_, day)| day)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
#[path = "local_tests.rs"]
mod tests;
