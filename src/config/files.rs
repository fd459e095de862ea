//! Safe, private file writes: an exclusive lock, then a temp file in the same directory
//! renamed over the original, so a reader never sees half a file and a crash never loses
//! one. Everything the tool writes is 0600 in 0700 directories ([`private_dir`],
//! [`open_private`]): the store and the spool hold prompts, `.env` and `tracing.toml`
//! keys; a file or directory an earlier version left wider is tightened when next used.
//!
//! Settings files are read only when they are regular files, and only up to
//! [`MAX_SETTINGS_FILE`]: a `.env` that is a FIFO or a link to `/dev/zero` is refused,
//! not waited on or read until memory runs out.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write};
use std::path::Path;

use crate::error::{Error, Result};

mod spare;
pub use spare::{read_through_spare, write_through_spare};

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

/// The mode of every file the tool writes.
pub const PRIVATE_FILE: u32 = 0o600;
/// The mode of every directory the tool creates for its files.
pub const PRIVATE_DIR: u32 = 0o700;

/// Creates `dir` and its missing parents readable by this user only, and tightens `dir`
/// itself when an earlier version left it wider. For the tool's own directories only
/// (never a project directory).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    // Mostly there already (every run checks four): one look, not a `mkdir` and two.
    if let Ok(meta) = fs::metadata(dir)
        && meta.is_dir()
    {
        #[cfg(unix)]
        tighten(&meta, dir, PRIVATE_DIR);
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR);
    builder.create(dir)?;
    #[cfg(unix)]
    tighten(&fs::metadata(dir)?, dir, PRIVATE_DIR);
    Ok(())
}

/// Opens `path` with `options`, a created file getting mode 0600 and an existing one
/// tightened to 0600 when it is wider.
pub fn open_private(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, PRIVATE_FILE);
    let file = options.open(path)?;
    #[cfg(unix)]
    tighten(&file.metadata()?, path, PRIVATE_FILE);
    Ok(file)
}

/// Sets `mode` when the current one lets group or others in. Best effort: a file of
/// another user's cannot be changed, and that is no reason to fail a write.
#[cfg(unix)]
fn tighten(meta: &fs::Metadata, path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o077 != 0 {
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
    }
}

/// Locks `path`, hands its current text (`None` when absent) to `edit`, and writes what
/// `edit` returns atomically, mode 0600. Concurrent updaters of the same file run one
/// after another.
///
/// Returns the old and new text. Nothing is written when `edit` fails or changes nothing
/// (a wider mode is still tightened).
pub fn update(
    path: &Path,
    edit: impl FnOnce(Option<&str>) -> Result<String>,
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
    // A missing directory is created private; an existing one (a project's) is left.
    if !dir.exists() {
        private_dir(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    }
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
    if created && new.is_empty() {
        // Nothing to write into a file that did not exist: leave no empty file behind.
        drop(lock);
        let _ = fs::remove_file(path);
        return Ok((None, new));
    }
    if old.as_deref() == Some(new.as_str()) {
        #[cfg(unix)]
        if let Ok(meta) = lock.metadata() {
            tighten(&meta, path, PRIVATE_FILE);
        }
        return Ok((old, new));
    }
    write_atomically(dir, path, new.as_bytes(), PRIVATE_FILE)?;
    drop(lock);
    Ok((old, new))
}

/// Opens (creating if needed) and locks `path`, retrying when another process replaced
/// the file between our open and our lock. Returns the locked handle and whether we
/// created the file.
fn lock_path(path: &Path) -> Result<(File, bool)> {
    loop {
        let existed = path.exists();
        let file = open_private(
            path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )
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

/// Whether this user may create files in `dir` (`access(2)`, `W_OK`): a cache that could
/// not be written is not worth making.
#[cfg(unix)]
pub fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `path` is NUL-terminated and outlives the call, which keeps no pointer.
    unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
pub fn writable(_dir: &Path) -> bool {
    true
}

/// Writes `bytes` to a temp file in `dir` with `mode`, syncs it, and renames it to `path`.
pub fn write_atomically(dir: &Path, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_replacing(dir, path, bytes, mode, true)
}

/// Like [`write_atomically`] without the syncs: readers never see half a file, but a
/// crash may lose the update, and a reader may find no file for the moment between the
/// old one's removal and the rename. For figures that the next run rewrites (metrics),
/// where a sync would cost every run milliseconds.
///
/// The old file is removed before the rename because ext4 (`auto_da_alloc`) starts
/// writing the new file out when a rename replaces one, which is the sync by another
/// name: a median of 3.5 ms here against 15 µs for a rename to a free name.
pub fn write_atomically_unsynced(dir: &Path, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_replacing(dir, path, bytes, mode, false)
}

fn write_replacing(dir: &Path, path: &Path, bytes: &[u8], mode: u32, sync: bool) -> Result<()> {
    let tmp = temp_beside(dir, path, bytes, mode)?;
    if sync {
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    } else {
        // Gone already is fine; anything else shows in the rename below.
        let _ = fs::remove_file(path);
    }
    tmp.persist(path)
        .map_err(|e| Error::io("cannot replace", path, e.error))?;
    if sync && let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file in `dir` holding `bytes` with `mode`, named after `path` (`.NAME.XXXXXX.tmp`),
/// to be put in its place; removed if dropped before.
fn temp_beside(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<tempfile::NamedTempFile> {
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
        .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    Ok(tmp)
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
mod tests;
