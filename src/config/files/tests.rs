//! The file helpers' tests: private modes, updates under a lock, atomic writes, writable directories.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .expect("the test made it")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_directory_is_writable_unless_its_mode_forbids_this_user() {
    let dir = tempfile::tempdir().unwrap();
    assert!(writable(dir.path()));
    assert!(!writable(&dir.path().join("missing")));
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o500)).unwrap();
    // SAFETY: geteuid has no preconditions. Root may write anywhere.
    let root = unsafe { libc::geteuid() } == 0;
    assert_eq!(writable(dir.path()), root);
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn updated_files_are_0600_and_an_older_wider_file_is_tightened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings");
    fs::write(&path, "a").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    update(&path, |_| Ok("b".into())).unwrap();
    assert_eq!(mode(&path), 0o600);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    update(&path, |old| Ok(old.unwrap().into())).unwrap();
    assert_eq!(
        mode(&path),
        0o600,
        "tightened even when the text is unchanged"
    );
    let fresh = dir.path().join("new/sub/tracing.toml");
    update(&fresh, |_| Ok("c".into())).unwrap();
    assert_eq!(mode(&fresh), 0o600);
    assert_eq!(mode(fresh.parent().unwrap()), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
}

#[test]
fn private_dirs_and_files_tighten_what_an_older_version_left() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("traces");
    fs::create_dir(&store).unwrap();
    fs::set_permissions(&store, fs::Permissions::from_mode(0o755)).unwrap();
    private_dir(&store).unwrap();
    assert_eq!(mode(&store), 0o700);
    let file = store.join("traces-2026-01-01.jsonl");
    fs::write(&file, "{}\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    open_private(&file, OpenOptions::new().append(true)).unwrap();
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn a_linked_file_is_written_through_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.env");
    fs::write(&real, "A=1\n").unwrap();
    let link = dir.path().join(".env");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    update(&link, |_| Ok("A=2\n".into())).unwrap();
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
                update(path, |old| Ok(format!("{}{i}\n", old.unwrap_or("")))).unwrap();
            });
        }
    });
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 8, "{text}");
}
