//! Replacing a small file that is rewritten at every run (the last run's metrics) without
//! creating a file each time: the new bytes go into a spare file kept beside it, and one
//! `renameat2(RENAME_EXCHANGE)` swaps the two names, so readers always find a whole file
//! and the old one becomes the next write's spare. A new file costs ext4 an inode
//! allocation and the removed one its eviction (about 60 µs of a `run --wrap true`, after
//! the command's exit), and a rename over the old file would have ext4 write the new
//! one out at once (`auto_da_alloc`, 3.5 ms median here); an exchange does neither.
//!
//! A reader holds a shared lock on the file it opened while it reads: once swapped out,
//! that file is the next write's spare, which a writer writes only with its lock, so a
//! reader never reads a file being rewritten under it (the writer, finding it locked,
//! swaps a new file in instead, and never waits).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::{open_private, same_file, temp_beside, write_atomically_unsynced};
use crate::error::{Error, Result};

/// The spare of `path`: `.NAME.spare` in `dir`.
pub fn spare_path(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    dir.join(format!(".{name}.spare"))
}

/// Writes `bytes` to `path` in `dir` (0600) as [`write_atomically_unsynced`] does, through
/// the spare file: no file created or removed once both exist. Never waits: while the
/// spare is locked (another run writing it, or a reader still on it since it was swapped
/// out) a new file is swapped in instead; where the exchange is not supported (another
/// system, an older kernel, a filesystem without it), writes as
/// [`write_atomically_unsynced`].
pub fn write_through_spare(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let spare = spare_path(dir, path);
    let Some(mut file) = lock_spare(&spare)? else {
        return swap_in_new(dir, path, bytes);
    };
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.write_all(bytes))
        .and_then(|()| file.set_len(bytes.len() as u64))
        .map_err(|e| Error::io("cannot write", &spare, e))?;
    match exchange(&spare, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::rename(&spare, path).map_err(|e| Error::io("cannot replace", path, e))
        }
        Err(_) => write_atomically_unsynced(dir, path, bytes, super::PRIVATE_FILE),
    }
}

/// Writes `bytes` to a new file in `dir` and swaps it in for `path`, the old one then
/// removed: while the spare is taken, still no moment without the file (a rename over it
/// would also have ext4 write the new one out at once). Where the exchange is not
/// supported, as [`write_atomically_unsynced`].
fn swap_in_new(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let new = temp_beside(dir, path, bytes, super::PRIVATE_FILE)?;
    match exchange(new.path(), path) {
        // The old file, now at the temporary name, goes with it.
        Ok(()) => Ok(()),
        Err(_) => write_atomically_unsynced(dir, path, bytes, super::PRIVATE_FILE),
    }
}

/// Reads `path`, written by [`write_through_spare`], whole: under a shared lock, opened
/// again when a writer swapped it out between the open and the lock.
pub fn read_through_spare(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open_current(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens `path` with a shared lock, again until the file locked is the one at `path`.
fn open_current(path: &Path) -> std::io::Result<File> {
    loop {
        let file = File::open(path)?;
        file.lock_shared()?;
        if same_file(&file, path) {
            return Ok(file);
        }
    }
}

/// Opens (creating) and locks the spare, again when another writer's exchange moved it
/// between the open and the lock (the file locked is then the one now at `path`); `None`
/// while someone else holds it.
fn lock_spare(spare: &Path) -> Result<Option<File>> {
    loop {
        let file = open_private(
            spare,
            OpenOptions::new().create(true).truncate(false).write(true),
        )
        .map_err(|e| Error::io("cannot open", spare, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(Error::io("cannot lock", spare, e)),
        }
        if same_file(&file, spare) {
            return Ok(Some(file));
        }
    }
}

/// Swaps the names `a` and `b` atomically; `NotFound` when `b` does not exist.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: renameat2(2) with two NUL-terminated paths that outlive the call.
    let done = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn the_file_is_replaced_whole_and_no_file_is_created_once_both_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last-run.json");
        write_through_spare(dir.path(), &path, b"first, and longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first, and longer");
        write_through_spare(dir.path(), &path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        // From now on the two files only swap names: no inode is made or freed.
        let inodes = |d: &Path| {
            let mut all: Vec<u64> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().metadata().unwrap().ino())
                .collect();
            all.sort_unstable();
            all
        };
        let before = inodes(dir.path());
        assert_eq!(before.len(), 2, "the file and its spare");
        write_through_spare(dir.path(), &path, b"third").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        assert_eq!(inodes(dir.path()), before);
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_file_being_read_is_not_written_again_as_the_spare() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last-run.json");
        write_through_spare(dir.path(), &path, b"first").unwrap();
        write_through_spare(dir.path(), &path, b"second").unwrap();
        let mut reading = open_current(&path).unwrap();
        // The next write swaps the file being read out: it is now the spare...
        write_through_spare(dir.path(), &path, b"third").unwrap();
        assert!(same_file(&reading, &spare_path(dir.path(), &path)));
        // ...and the one after leaves it as it is, without waiting for the reader.
        write_through_spare(dir.path(), &path, b"fourth, and longer").unwrap();
        let mut read = Vec::new();
        reading.read_to_end(&mut read).unwrap();
        assert_eq!(read, b"second");
        assert_eq!(read_through_spare(&path).unwrap(), b"fourth, and longer");
        drop(reading);
        write_through_spare(dir.path(), &path, b"fifth").unwrap();
        assert_eq!(read_through_spare(&path).unwrap(), b"fifth");
    }

    #[test]
    fn concurrent_writers_each_leave_a_whole_file_and_a_reader_always_finds_one() {
        use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let texts: Vec<String> = (0..8).map(|i| format!("{i}").repeat(100 + i)).collect();
        write_through_spare(dir.path(), &path, texts[0].as_bytes()).unwrap();
        let writing = AtomicBool::new(true);
        std::thread::scope(|s| {
            let (path, texts, writing) = (&path, &texts, &writing);
            let reader = s.spawn(move || {
                let mut reads = 0;
                while writing.load(Relaxed) || reads == 0 {
                    let read = String::from_utf8(read_through_spare(path).unwrap()).unwrap();
                    assert!(texts.contains(&read), "a torn file: {read}");
                    reads += 1;
                }
            });
            let writers: Vec<_> = texts
                .iter()
                .map(|text| {
                    let dir = dir.path();
                    s.spawn(move || {
                        for _ in 0..20 {
                            write_through_spare(dir, path, text.as_bytes()).unwrap();
                        }
                    })
                })
                .collect();
            for writer in writers {
                writer.join().unwrap();
            }
            writing.store(false, Relaxed);
            reader.join().unwrap();
        });
        let left = std::fs::read_to_string(&path).unwrap();
        assert!(texts.contains(&left), "a torn file: {left}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "the file and its spare, nothing left over: {names:?}"
        );
    }
}
