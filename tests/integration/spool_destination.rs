//! A spool belongs to its destination: records spooled in one project (its `.env`, its
//! keys) are not delivered by a flush run in another project, with other keys.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::engine::received_ids;
use crate::flush::{accepted_names, env_for, pending_spans, write_spool};
use crate::sink::Sink;
use crate::testenv::{TestEnv, wait_for};
use automagik_tracing::engine::spool;

fn langfuse_env(host: &str, key: &str) -> String {
    format!(
        "LANGFUSE_PUBLIC_KEY=pk-lf-7f3a9c21-{key}\nLANGFUSE_SECRET_KEY=sk-lf-0b5e44d8-{key}\nLANGFUSE_HOST={host}\n"
    )
}

fn in_dir(env: &TestEnv, dir: &Path) -> Command {
    let mut cmd = env.std_cmd();
    cmd.current_dir(dir);
    Command::from_std(cmd)
}

#[test]
fn a_spool_is_flushed_only_to_the_destination_it_was_spooled_for() {
    let (sink_a, sink_b) = (Sink::start(), Sink::start());
    let env = TestEnv::new();
    let data_dir = env.home.join("data");
    let env = env.var("AUTOMAGIK_DATA_DIR", &data_dir.display().to_string());
    let project_b = env.home.join("project-b");
    fs::create_dir_all(&project_b).unwrap();
    env.write_env_file(&langfuse_env(&sink_a.url(), "aaaa"));
    fs::write(project_b.join(".env"), langfuse_env(&sink_b.url(), "bbbb")).unwrap();

    // Project A's Langfuse is down during its run: the run span is spooled.
    sink_a.respond(503, "");
    env.cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "exit 0"])
        .env("AUTOMAGIK_FLUSH_TIMEOUT", "1")
        .assert()
        .code(0);
    let pending = || {
        spool::pending(&spool::provider_dir(&data_dir, "langfuse"))
            .unwrap()
            .spans
    };
    assert_eq!(pending(), 1);
    sink_a.respond(200, "{}");
    let sent_to_a = sink_a.requests().len();

    // A flush in project B sends none of it, with B's keys or anywhere else.
    in_dir(&env, &project_b)
        .arg("flush")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("another destination"))
        .stdout(predicate::str::contains(sink_a.url()))
        .stdout(predicate::str::contains("(key …aaaa)"))
        .stdout(predicate::str::contains("--to-current"));
    assert!(sink_b.requests().is_empty(), "B's Langfuse got A's spans");
    assert_eq!(sink_a.requests().len(), sent_to_a);
    assert_eq!(pending(), 1);
    let status = {
        let out = in_dir(&env, &project_b)
            .args(["status", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let waiting = &status["spool"][0]["destinations"][0];
    assert_eq!(waiting["current"], false, "{status}");
    assert_eq!(waiting["destination"]["key_hint"], "aaaa");
    assert!(waiting["oldest_age_secs"].is_u64());

    // A flush in project A delivers it to A.
    env.cmd()
        .arg("flush")
        .assert()
        .success()
        .stdout(predicate::str::contains("everything pending was delivered"));
    assert_eq!(pending(), 0);
    assert_eq!(accepted_names(&sink_a), ["sh"]);
    assert!(
        sink_a.requests()[sent_to_a..]
            .iter()
            .all(|r| r.header("authorization").is_some()),
        "sent with A's own keys"
    );
}

#[test]
fn a_run_that_reaches_its_provider_sends_what_waited_for_it_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let sink = Sink::start();
    let older = write_spool(&data_dir, &sink.url(), 3, 2, u64::MAX);
    // In the same segment, a record for another destination: it stays.
    let elsewhere = write_spool(&data_dir, "http://127.0.0.1:9", 1, 2, u64::MAX);
    env_for(&data_dir, &sink.url())
        .cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "exit 4"])
        .assert()
        .code(4);
    let received = || received_ids(&sink).into_iter().collect::<HashSet<_>>();
    wait_for(
        "the older spans to reach the provider without a flush",
        || older.is_subset(&received()),
    );
    wait_for(
        "the spool to hold only the other destination's record",
        || pending_spans(&data_dir) == 2,
    );
    assert!(
        received().is_disjoint(&elsewhere),
        "sent to the wrong destination"
    );
}
