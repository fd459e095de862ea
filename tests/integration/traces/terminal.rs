//! What reaches the terminal: each `traces` command's help ends with examples, and escape
//! sequences a child put in its spans are never printed.

use std::fs;

use automagik_tracing::span::{Status, StatusCode};

use super::{AGENT_TRACE, Builder, env, line, stdout_of};
use crate::testenv::{TestEnv, files_below};

#[test]
fn every_traces_command_teaches_with_examples() {
    let env = TestEnv::new();
    for args in [
        &["traces"][..],
        &["traces", "list"],
        &["traces", "show"],
        &["traces", "tail"],
    ] {
        env.cmd()
            .args(args)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicates::str::contains("Examples:\n  automagik-tracing "));
    }
    assert!(files_below(&env.home).is_empty());
}

#[test]
fn escape_sequences_in_a_childs_span_never_reach_the_terminal() {
    let (env, store) = env();
    // Wide enough that `list` shows the root's name whole.
    let env = env.var("COLUMNS", "200");
    fs::create_dir_all(&store).unwrap();
    let mut b = Builder::new(AGENT_TRACE, "svc\x1b]0;pwned\x07");
    let hostile = "\x1b]0;pwned\x07\x1b[2J\r\u{9b}31m\x1b]8;;https://evil.example\x07link";
    let mut root = b.span(&format!("run {hostile}"), None, 0, 100);
    root.set("gen_ai.request.model", hostile)
        .set("gen_ai.tool.name", hostile)
        .set("gen_ai.usage.input_tokens", 3i64);
    root.status = Status {
        code: StatusCode::Error,
        message: hostile.into(),
    };
    fs::write(store.join("traces-2026-01-05.jsonl"), line(&[root])).unwrap();
    for args in [
        &["traces", "list"][..],
        &["traces", "show", "last"],
        &["traces", "show", "4bf9"],
        &["traces", "list", "--json"],
        &["traces", "show", "last", "--json"],
    ] {
        let out = stdout_of(&env, args);
        assert!(out.contains("pwned"), "{args:?}: the span is shown: {out}");
        for c in ['\x1b', '\x07', '\r', '\u{9b}'] {
            assert!(!out.contains(c), "{args:?} printed {c:?}: {out:?}");
        }
    }
}
