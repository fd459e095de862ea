//! Safe file updates: an exclusive lock, then a temp file in the same directory renamed
//! over the original, so a reader never sees half a file and a crash never loses one.
//!
//! Settings files are read only when they are regular files, and only up to
//! [`MAX_SETTINGS_FILE`]: a `.env` that is a FIFO or a link to `/dev/zero` is refused,
//! not waited on or read until memory runs out.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// The most a settings file (`.env`, `tracing.toml`) may hold.
pub const MAX_SETTINGS_FILE: u64 = 1024 * 1024;

/// The text of a settings file; `Ok(None)` when it does not exist. Anything but a
/// regular UTF-8 file of at most [`MAX_SETTINGS_FILE`] bytes is bad input (exit 2) that
/// names the file (and for bad encoding, the line).
pub fn read_settings_text(path: &Path) -> Result<Option<String>> {
    let mut options = OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading blocks until a writer comes: do not wait for one.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read", path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| Error::io("cannot read", path, e))?;
    if !meta.is_file() {
        return Err(Error::bad_input(format!(
            "`{}` is not a regular file ({})",
            path.display(),
            file_kind(&meta)
        ))
        .with_hint("replace it with a regular file, or point --env-file at one"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SETTINGS_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("cannot read", path, e))?;
    if bytes.len() as u64 > MAX_SETTINGS_FILE {
        return Err(Error::bad_input(format!(
            "`{}` is larger than {} MiB, too large for a settings file",
            path.display(),
            MAX_SETTINGS_FILE / (1024 * 1024)
        ))
        .with_hint("check that the path names the settings file you meant"));
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        Error::bad_input(format!(
            "`{}` is not UTF-8 text: bad bytes at line {line}, column {column}",
            path.display()
        ))
        .with_hint("save the file as UTF-8 (the file was left as it is)")
    })
}

/// What a non-regular file is, in words.
fn file_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// What an update decided: the new text and whether it holds a secret.
pub struct NewContent {
    pub text: String,
    pub holds_secret: bool,
}

/// Locks `path`, hands its current text (`None` when absent) to `edit`, and writes what
/// `edit` returns atomically. Concurrent updaters of the same file run one after another.
///
/// Returns the old and new text. Nothing is written when `edit` fails or changes nothing.
pub fn update(
    path: &Path,
    edit: impl FnOnce(Option<&str>) -> Result<NewContent>,
) -> Result<(Option<String>, String)> {
    // Write through a symbolic link to its target, so a linked `.env` stays linked.
    let target;
    let path = if path.is_symlink() {
        target =
            fs::canonicalize(path).map_err(|e| Error::io("cannot follow the link", path, e))?;
        target.as_path()
    } else {
        path
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        // Refused before it is opened for writing (a FIFO would block the lock).
        read_settings_text(path)?;
    }
    let (lock, created) = lock_path(path)?;
    let old = read_settings_text(path)?.unwrap_or_default();
    let old = (!created || !old.is_empty()).then_some(old);
    let new = match edit(old.as_deref()) {
        Ok(new) => new,
        Err(err) => {
            if created {
                let _ = fs::remove_file(path);
            }
            return Err(err);
        }
    };
    if created && new.text.is_empty() {
        // Nothing to write into a file that did not exist: leave no empty file behind.
        drop(lock);
        let _ = fs::remove_file(path);
        return Ok((None, new.text));
    }
    if old.as_deref() == Some(new.text.as_str())
        && !(new.holds_secret && mode_of(&lock) != Some(0o600))
    {
        return Ok((old, new.text));
    }
    let mode = if new.holds_secret {
        0o600
    } else if created {
        0o644
    } else {
        mode_of(&lock).unwrap_or(0o644)
    };
    write_atomically(dir, path, new.text.as_bytes(), mode)?;
    drop(lock);
    Ok((old, new.text))
}

/// Opens (creating if needed) and locks `path`, retrying when another process replaced
/// the file between our open and our lock. Returns the locked handle and whether we
/// created the file.
fn lock_path(path: &Path) -> Result<(File, bool)> {
    loop {
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io("cannot open", path, e))?;
        file.lock().map_err(|e| Error::io("cannot lock", path, e))?;
        if same_file(&file, path) {
            return Ok((file, !existed));
        }
    }
}

/// Whether `path` still names the file `file` has open (not deleted or replaced since).
#[cfg(unix)]
pub fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
pub fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(unix)]
fn mode_of(file: &File) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    file.metadata().ok().map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_file: &File) -> Option<u32> {
    None
}

/// Writes `bytes` to a temp file in `dir` with `mode`, syncs it, and renames it to `path`.
pub fn write_atomically(dir: &Path, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_replacing(dir, path, bytes, mode, true)
}

/// Like [`write_atomically`] without the syncs: readers still never see half a file, but
/// a crash may lose the update. For figures that the next run rewrites (metrics), where
/// a sync would cost every run milliseconds.
pub fn write_atomically_unsynced(dir: &Path, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_replacing(dir, path, bytes, mode, false)
}

fn write_replacing(dir: &Path, path: &Path, bytes: &[u8], mode: u32, sync: bool) -> Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    set_mode(tmp.as_file(), mode)
        .map_err(|e| Error::io("cannot set permissions on", tmp.path(), e))?;
    tmp.write_all(bytes)
        .and_then(|()| {
            if sync {
                tmp.as_file().sync_all()
            } else {
                Ok(())
            }
        })
        .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot replace", path, e.error))?;
    if sync && let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secret_files_are_0600_and_others_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings");
        fs::write(&path, "a").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        update(&path, |_| {
            Ok(NewContent {
                text: "b".into(),
                holds_secret: false,
            })
        })
        .unwrap();
        assert_eq!(mode(&path), 0o640);
        update(&path, |_| {
            Ok(NewContent {
                text: "c".into(),
                holds_secret: true,
            })
        })
        .unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap(), "c");
    }

    #[test]
    fn a_linked_file_is_written_through_its_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.env");
        fs::write(&real, "A=1\n").unwrap();
        let link = dir.path().join(".env");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        update(&link, |_| {
            Ok(NewContent {
                text: "A=2\n".into(),
                holds_secret: true,
            })
        })
        .unwrap();
        assert!(link.is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "A=2\n");
        assert_eq!(mode(&real), 0o600);
    }

    #[test]
    fn a_failed_edit_leaves_no_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        let err = update(&path, |_| Err(Error::bad_input("no")));
        assert!(err.is_err());
        assert!(!path.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn concurrent_updates_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list");
        std::thread::scope(|s| {
            for i in 0..8 {
                let path = &path;
                s.spawn(move || {
                    update(path, |old| {
                        Ok(NewContent {
                            text: format!("{}{i}\n", old.unwrap_or("")),
                            holds_secret: false,
                        })
                    })
                    .unwrap();
                });
            }
        });
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 8, "{text}");
    }
}
