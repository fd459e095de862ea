//! `traces show PREFIX` through the index of the trace ids that the first lookup writes
//! beside each finished store file: the same answers as a search of the text (found,
//! ambiguous, absent, or only in the file still being written today), and an index made
//! before its file changed never trusted.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::time::SystemTime;

use automagik_tracing::export::local;

use crate::testenv::{TestEnv, mode};
use crate::traces::{Builder, env, line, stdout_of};

const A: &str = "abcd1111000000000000000000000001";
const B: &str = "abcd2222000000000000000000000002";
const C: &str = "0123456789abcdef0123456789abcdef";
/// A day long over: its file is indexed by the first lookup that reads it.
const FINISHED: &str = "traces-2026-01-05.jsonl";

fn trace_line(id: &str, name: &str) -> String {
    line(&[Builder::new(id, "svc").span(name, None, 0, 10)])
}

/// `traces show PREFIX` fails with `code`, and its stderr holds each of `texts`.
fn fails_with(env: &TestEnv, prefix: &str, code: i32, texts: &[&str]) {
    let out = env.cmd().args(["traces", "show", prefix]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    for text in texts {
        assert!(stderr.contains(text), "{text:?} in {stderr}");
    }
}

fn index_of(store: &Path, name: &str) -> std::path::PathBuf {
    local::index_path(&store.join(name))
}

#[test]
fn a_prefix_answers_the_same_through_the_index() {
    let (env, store) = env();
    fs::create_dir_all(&store).unwrap();
    let finished = [trace_line(A, "first"), trace_line(C, "other")].concat();
    fs::write(store.join(FINISHED), finished).unwrap();
    let first = stdout_of(&env, &["traces", "show", "abcd"]);
    assert!(first.contains("first"), "{first}");
    let index = index_of(&store, FINISHED);
    assert_eq!(mode(&index), 0o600, "the index is private");
    // The next lookups read the index.
    assert_eq!(stdout_of(&env, &["traces", "show", "abcd"]), first);
    assert!(stdout_of(&env, &["traces", "show", "0123"]).contains("other"));
    fails_with(&env, "ffff", 1, &["no trace id starts with `ffff`"]);
    // A trace of today's file, still being written: searched as text, never indexed.
    let today = local::file_name(SystemTime::now());
    fs::write(store.join(&today), trace_line(B, "second")).unwrap();
    fails_with(&env, "abcd", 2, &["`abcd` starts 2 trace ids:", A, B]);
    assert!(stdout_of(&env, &["traces", "show", "abcd2"]).contains("second"));
    assert!(!index_of(&store, &today).exists());
}

#[test]
fn an_index_made_before_its_file_grew_is_not_trusted() {
    let (env, store) = env();
    fs::create_dir_all(&store).unwrap();
    let path = store.join(FINISHED);
    fs::write(&path, trace_line(A, "first")).unwrap();
    assert!(stdout_of(&env, &["traces", "show", "abcd"]).contains("first"));
    assert!(index_of(&store, FINISHED).exists());
    // A late line in a finished day (a writer stalled past midnight, a clock set back).
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(trace_line(B, "late").as_bytes()).unwrap();
    drop(file);
    fails_with(&env, "abcd", 2, &["`abcd` starts 2 trace ids:", A, B]);
    assert!(stdout_of(&env, &["traces", "show", B]).contains("late"));
}

#[test]
fn a_damaged_index_is_read_as_no_index() {
    let (env, store) = env();
    fs::create_dir_all(&store).unwrap();
    fs::write(store.join(FINISHED), trace_line(A, "first")).unwrap();
    let index = index_of(&store, FINISHED);
    fs::write(&index, b"not an index").unwrap();
    assert!(stdout_of(&env, &["traces", "show", "abcd"]).contains("first"));
    assert_ne!(fs::read(&index).unwrap(), b"not an index", "made again");
}

#[test]
fn a_store_this_user_cannot_write_to_answers_without_an_index() {
    use std::os::unix::fs::PermissionsExt as _;
    let (env, store) = env();
    fs::create_dir_all(&store).unwrap();
    fs::write(store.join(FINISHED), trace_line(A, "first")).unwrap();
    fs::set_permissions(&store, fs::Permissions::from_mode(0o500)).unwrap();
    let found = stdout_of(&env, &["traces", "show", "abcd"]);
    let again = stdout_of(&env, &["traces", "show", "abcd"]);
    fs::set_permissions(&store, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(found.contains("first"), "{found}");
    assert_eq!(again, found);
    // Root writes anywhere, and so indexes even this store.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert_eq!(index_of(&store, FINISHED).exists(), root);
}
