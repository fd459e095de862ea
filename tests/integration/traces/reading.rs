//! The store as the commands read it: a corrupt line skipped with a warning, an absent
//! store left absent, nothing ever written, a deeply nested value shown whole.

use std::fs;

use automagik_tracing::span::{Attribute, Value, to_request};

use super::{AGENT_TRACE, Builder, env, line, stdout_of, write_store};
use crate::testenv::files_below;

#[test]
fn a_corrupt_line_is_skipped_with_a_warning_naming_file_and_line() {
    let (env, store) = env();
    fs::create_dir_all(&store).unwrap();
    let mut b = Builder::new(AGENT_TRACE, "a");
    let file = store.join("traces-2026-01-05.jsonl");
    let good = line(&[b.span("kept", None, 0, 10)]);
    fs::write(&file, format!("{good}{{\"resourceSpans\": [tru\n{good}")).unwrap();
    let out = env.cmd().args(["traces", "list"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "warning: skipped a corrupt line at {}:2: ",
            file.display()
        )),
        "{stderr}"
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("kept"));
}

#[test]
fn an_absent_store_has_no_traces_yet_and_stays_absent() {
    let (env, store) = env();
    for args in [&["traces", "list"][..], &["traces", "show", "last"]] {
        env.cmd()
            .args(args)
            .assert()
            .success()
            .stdout(predicates::str::starts_with(format!(
                "no traces yet in {}\nhint: trace a command with `automagik-tracing run -- CMD`",
                store.display()
            )));
    }
    env.cmd()
        .args(["traces", "list", "--json"])
        .assert()
        .success()
        .stdout("{\n  \"traces\": []\n}\n");
    assert!(
        files_below(&env.home).is_empty(),
        "{:?}",
        files_below(&env.home)
    );
}

#[test]
fn reading_the_store_writes_nothing_but_indexes() {
    let (env, store) = env();
    write_store(&store);
    let before = files_below(&env.home);
    for args in [
        &["traces", "list"][..],
        &["traces", "show", "last"],
        &["traces", "show", "4bf9", "--json"],
    ] {
        env.cmd().args(args).assert().success();
    }
    // The index of a finished store file is a cache beside it (`traces_index` tests it).
    let mut after = files_below(&env.home);
    after.retain(|f| f.extension().is_none_or(|e| e != "idx"));
    assert_eq!(after, before);
}

#[test]
fn a_batch_with_an_attribute_nested_30_levels_deep_is_shown_whole() {
    let (env, store) = env();
    let mut b = Builder::new(AGENT_TRACE, "deep");
    let run = b.span("run agent", None, 0, 100);
    let mut child = b.span("deep child", Some(&run), 10, 90);
    let mut value = Value::from("bottom-of-the-well");
    for _ in 0..30 {
        value = Value::Map(vec![Attribute::new("k", value)]);
    }
    child.set("nested", value);
    let writer = automagik_tracing::export::local::LocalStore::new(store.clone(), 1 << 30, 30);
    writer.append(&to_request(&[run, child])).unwrap();

    let shown = stdout_of(&env, &["traces", "show", "last"]);
    assert!(
        shown.contains("run agent") && shown.contains("deep child"),
        "{shown}"
    );
    let json = stdout_of(&env, &["traces", "show", "last", "--json"]);
    assert!(json.contains("bottom-of-the-well"), "{json}");
}
