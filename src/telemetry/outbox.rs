//! The outbox: recorded telemetry events waiting for the background sender, one JSON line
//! each in `telemetry/events.jsonl` under the data dir. Small and capped (1,000 events or
//! 1 MiB; the oldest go first, with slack: past a cap the file is cut to 800 events and
//! 800 KiB, so an outbox kept full while offline is rewritten once every 200 events, not at
//! every command). Every read or write holds the file's lock for a moment only, so a
//! command appending never waits on a sender that is sending.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::events::Event;
use crate::config::files;
use crate::error::{Error, Result};

/// Events kept in the outbox at most; the oldest are dropped beyond it.
pub const MAX_EVENTS: usize = 1_000;
/// Bytes the outbox file holds at most (1 MiB); the oldest lines are dropped beyond it.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Events kept when an append takes the outbox past [`MAX_EVENTS`]: the slack makes the
/// next rewrite 200 events away (a rewrite of a full outbox cost a wrapped run 2 ms here).
pub const TRIM_TO_EVENTS: usize = 800;
/// Bytes kept when an append takes the outbox past [`MAX_BYTES`] (800 KiB).
pub const TRIM_TO_BYTES: usize = MAX_BYTES / 5 * 4;
/// Fewer bytes than any event's line takes (its ids alone are longer).
const MIN_LINE: usize = 128;

/// The telemetry directory in the data dir, which holds the outbox.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("telemetry")
}

/// The outbox file, `telemetry/events.jsonl` in the data dir.
pub fn path(data_dir: &Path) -> PathBuf {
    dir(data_dir).join("events.jsonl")
}

/// Appends events; past a cap, drops the oldest down to [`TRIM_TO_EVENTS`] and
/// [`TRIM_TO_BYTES`].
pub fn append(data_dir: &Path, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::new();
    for event in events {
        lines.extend(serde_json::to_vec(event).expect("events serialise"));
        lines.push(b'\n');
    }
    let dir = dir(data_dir);
    files::private_dir(&dir).map_err(|e| Error::io("cannot create directory", &dir, e))?;
    let path = path(data_dir);
    let mut file = open_locked(&path)?;
    file.seek(SeekFrom::End(0))
        .and_then(|_| file.write_all(&lines))
        .map_err(|e| Error::io("cannot write", &path, e))?;
    let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    // An event's line is well over MIN_LINE bytes: below that size the count cap cannot
    // be reached, and the file is not read back.
    let past_the_caps = size > MAX_BYTES
        || (size > MIN_LINE * MAX_EVENTS
            && more_lines_than(&mut file, MAX_EVENTS)
                .map_err(|e| Error::io("cannot read", &path, e))?);
    if past_the_caps {
        let mut bytes = Vec::with_capacity(size);
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| Error::io("cannot read", &path, e))?;
        rewrite(
            &mut file,
            &path,
            newest_within(&bytes, TRIM_TO_EVENTS, TRIM_TO_BYTES),
        )?;
    }
    Ok(())
}

/// Bytes read at a time to count an outbox's lines.
const COUNT_CHUNK: usize = 32 * 1024;

/// Whether `file` holds more than `lines` lines (ended by a newline). Counted through a
/// small buffer: an outbox kept near its cap is counted at every command, and a buffer of
/// its whole size cost a page fault per 4 KiB (0.15 ms of a `run --wrap true` here).
fn more_lines_than(file: &mut File, lines: usize) -> std::io::Result<bool> {
    file.seek(SeekFrom::Start(0))?;
    let mut chunk = vec![0; COUNT_CHUNK];
    let mut seen = 0;
    loop {
        let read = match file.read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        seen += memchr::memchr_iter(b'\n', &chunk[..read]).count();
        if seen > lines {
            return Ok(true);
        }
    }
}

/// The newest whole lines of `bytes` within the caps.
#[cfg(test)]
fn newest_within_caps(bytes: &[u8]) -> &[u8] {
    newest_within(bytes, MAX_EVENTS, MAX_BYTES)
}

/// The newest whole lines of `bytes`, `events` of them and `max_bytes` in all at most.
/// Lines are kept as written, never decoded: an outbox grown full while offline costs a
/// command a scan, not a parse of a thousand events, and a line this version cannot read
/// (a newer version's event) is the sender's to judge.
fn newest_within(bytes: &[u8], events: usize, max_bytes: usize) -> &[u8] {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    // Where each line starts, the newest first.
    let starts = memchr::memrchr_iter(b'\n', body)
        .map(|newline| newline + 1)
        .chain(std::iter::once(0));
    let (mut kept, mut lines) = (bytes.len(), 0);
    for start in starts {
        if lines == events || bytes.len() - start > max_bytes {
            break;
        }
        (kept, lines) = (start, lines + 1);
    }
    &bytes[kept..]
}

/// Replaces the file's content (under its lock) with `bytes`: written over the start, then
/// cut to their length. Not emptied first: ext4 writes out a file emptied and rewritten
/// when it is closed (`auto_da_alloc`, its guard for replace-by-truncate), which the
/// command would wait for. A crash midway leaves a torn line, which readers skip.
fn rewrite(file: &mut File, path: &Path, bytes: &[u8]) -> Result<()> {
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.write_all(bytes))
        .and_then(|()| file.set_len(bytes.len() as u64))
        .map_err(|e| Error::io("cannot write", path, e))
}

/// Every pending event, oldest first; lines that do not parse are skipped.
pub fn read(data_dir: &Path) -> Result<Vec<Event>> {
    let path = path(data_dir);
    match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(mut file) => {
            file.lock()
                .map_err(|e| Error::io("cannot lock", &path, e))?;
            read_from(&mut file, &path)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("cannot open", &path, e)),
    }
}

/// How many events are pending, without locking or creating anything (for `status`).
pub fn count(data_dir: &Path) -> usize {
    fs::read_to_string(path(data_dir)).map_or(0, |text| text.lines().count())
}

/// Removes the events with these ids (they were delivered).
pub fn remove(data_dir: &Path, ids: &HashSet<String>) -> Result<()> {
    let path = path(data_dir);
    let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("cannot open", &path, e)),
    };
    file.lock()
        .map_err(|e| Error::io("cannot lock", &path, e))?;
    let kept: Vec<Event> = read_from(&mut file, &path)?
        .into_iter()
        .filter(|e| !ids.contains(&e.id))
        .collect();
    write_capped(&mut file, &path, kept)
}

/// Forgets every pending event (a new anonymous ID must not be sent beside the old one).
pub fn clear(data_dir: &Path) -> Result<()> {
    match fs::remove_file(path(data_dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("cannot delete", &path(data_dir), e))
        }
        _ => Ok(()),
    }
}

/// Opens (creating) and locks the outbox, again when it was deleted (`id --reset`) between
/// the open and the lock, so nothing is appended to a file nobody will read.
fn open_locked(path: &Path) -> Result<File> {
    loop {
        let file = files::open_private(
            path,
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true),
        )
        .map_err(|e| Error::io("cannot open", path, e))?;
        file.lock().map_err(|e| Error::io("cannot lock", path, e))?;
        if files::same_file(&file, path) {
            return Ok(file);
        }
    }
}

fn read_from(file: &mut File, path: &Path) -> Result<Vec<Event>> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut text))
        .map_err(|e| Error::io("cannot read", path, e))?;
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

/// Rewrites the file in place (under its lock) with the newest events that fit the caps.
fn write_capped(file: &mut File, path: &Path, mut events: Vec<Event>) -> Result<()> {
    if events.len() > MAX_EVENTS {
        events.drain(..events.len() - MAX_EVENTS);
    }
    let mut lines: Vec<Vec<u8>> = events
        .iter()
        .map(|e| {
            let mut line = serde_json::to_vec(e).expect("events serialise");
            line.push(b'\n');
            line
        })
        .collect();
    while lines.iter().map(Vec::len).sum::<usize>() > MAX_BYTES {
        lines.remove(0);
    }
    rewrite(file, path, &lines.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::events::EventType;

    fn event(n: usize) -> Event {
        Event {
            id: format!("id-{n}"),
            event_type: EventType::FeatureUsed,
            time_unix_nanos: n as u64,
            anonymous_id: "a".into(),
            session_id: "s".into(),
            attributes: Default::default(),
        }
    }

    /// As long as real events' lines (their ids are UUIDs).
    fn full(n: usize) -> Event {
        Event {
            anonymous_id: "a".repeat(36),
            session_id: "s".repeat(36),
            ..event(n)
        }
    }

    #[test]
    fn appended_events_read_back_and_delivered_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &[event(1), event(2)]).unwrap();
        append(dir.path(), &[event(3)]).unwrap();
        assert_eq!(read(dir.path()).unwrap().len(), 3);
        remove(dir.path(), &["id-1".to_string(), "id-3".to_string()].into()).unwrap();
        let left = read(dir.path()).unwrap();
        assert_eq!(left, vec![event(2)]);
    }

    #[test]
    fn the_oldest_go_past_a_thousand_events_down_to_eight_hundred() {
        let dir = tempfile::tempdir().unwrap();
        let events: Vec<Event> = (0..1_200).map(full).collect();
        append(dir.path(), &events).unwrap();
        let kept = read(dir.path()).unwrap();
        assert_eq!(kept.len(), TRIM_TO_EVENTS);
        assert_eq!(kept[0].id, "id-400");
    }

    #[test]
    fn a_full_outbox_is_cut_once_per_two_hundred_events() {
        // Offline, every command appends to a full outbox: it is cut with slack, so the
        // next cut (a rewrite of the file) is 200 events away, not at the next command.
        let dir = tempfile::tempdir().unwrap();
        let events: Vec<Event> = (0..MAX_EVENTS).map(full).collect();
        append(dir.path(), &events).unwrap();
        let lines = || {
            fs::read_to_string(path(dir.path()))
                .unwrap()
                .lines()
                .count()
        };
        assert_eq!(lines(), MAX_EVENTS, "at the cap, nothing goes");
        append(dir.path(), &[full(MAX_EVENTS)]).unwrap();
        assert_eq!(lines(), TRIM_TO_EVENTS);
        for n in 1..=MAX_EVENTS - TRIM_TO_EVENTS {
            append(dir.path(), &[full(MAX_EVENTS + n)]).unwrap();
            assert_eq!(lines(), TRIM_TO_EVENTS + n, "no cut below the cap");
        }
        append(dir.path(), &[full(5_000)]).unwrap();
        assert_eq!(lines(), TRIM_TO_EVENTS);
        let kept = read(dir.path()).unwrap();
        assert_eq!(kept.last().unwrap().id, "id-5000");
        // 1,202 events appended, two cuts: the newest 800 are 402 to 1,200 and 5,000.
        assert_eq!(kept[0].id, "id-402");
    }

    #[test]
    fn a_cut_leaves_no_old_bytes_behind() {
        // Written over the start of the file, then cut to length: nothing of the old
        // content may follow what is kept.
        let dir = tempfile::tempdir().unwrap();
        let events: Vec<Event> = (0..MAX_EVENTS + 1).map(full).collect();
        append(dir.path(), &events).unwrap();
        let text = fs::read_to_string(path(dir.path())).unwrap();
        assert!(text.ends_with(&format!(
            "{}\n",
            serde_json::to_string(&full(MAX_EVENTS)).unwrap()
        )));
        assert_eq!(text.lines().count(), TRIM_TO_EVENTS);
    }

    #[test]
    fn a_trim_keeps_the_lines_it_cannot_read() {
        // Another version's event (or one this version cannot parse) is the sender's to
        // judge: trimming the oldest must not drop it, nor rewrite the lines it keeps.
        let dir = tempfile::tempdir().unwrap();
        let events: Vec<Event> = (0..MAX_EVENTS).map(full).collect();
        append(dir.path(), &events).unwrap();
        let foreign = "{\"id\":\"from-a-newer-version\",\"type\":\"not.known.here\"}";
        let mut file = OpenOptions::new()
            .append(true)
            .open(path(dir.path()))
            .unwrap();
        writeln!(file, "{foreign}").unwrap();
        append(dir.path(), &[full(5_000)]).unwrap();
        let text = fs::read_to_string(path(dir.path())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), TRIM_TO_EVENTS);
        assert_eq!(lines[TRIM_TO_EVENTS - 2], foreign);
        assert!(lines[0].contains("\"id-202\""), "the oldest went first");
        assert_eq!(read(dir.path()).unwrap().len(), TRIM_TO_EVENTS - 1);
    }

    #[test]
    fn the_newest_lines_within_the_caps_are_kept() {
        let line = |n: usize| format!("{n:0>9}\n");
        let text: String = (0..MAX_EVENTS + 5).map(line).collect();
        let kept = newest_within_caps(text.as_bytes());
        assert_eq!(kept.len(), MAX_EVENTS * 10);
        assert!(kept.starts_with(line(5).as_bytes()));
        assert_eq!(newest_within_caps(b""), b"");
        assert_eq!(
            newest_within_caps(b"a\nb"),
            b"a\nb",
            "a partial last line counts"
        );
        let big = format!("{}\n{}\n", "x".repeat(MAX_BYTES), "y");
        assert_eq!(newest_within_caps(big.as_bytes()), b"y\n");
    }

    #[test]
    fn lines_are_counted_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let file_path = dir.path().join("lines");
        // Lines of 100 bytes: 1,001 of them span four chunks.
        let line = format!("{}\n", "x".repeat(99));
        fs::write(&file_path, line.repeat(1_001)).unwrap();
        let mut file = File::open(&file_path).unwrap();
        assert!(more_lines_than(&mut file, 1_000).unwrap());
        assert!(!more_lines_than(&mut file, 1_001).unwrap());
        fs::write(&file_path, format!("{}unended", line.repeat(3))).unwrap();
        let mut file = File::open(&file_path).unwrap();
        assert!(more_lines_than(&mut file, 2).unwrap());
        assert!(
            !more_lines_than(&mut file, 3).unwrap(),
            "an unended line is not counted"
        );
    }

    #[test]
    fn nothing_pending_reads_as_empty_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_empty());
        assert!(!path(dir.path()).exists());
    }
}
