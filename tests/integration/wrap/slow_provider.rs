//! A provider that does not answer, or refuses the connection, delays the wrapped run by
//! no more than the flush timeout.

use std::time::{Duration, Instant};

use crate::testenv::TestEnv;

#[test]
fn a_blackholed_provider_costs_at_most_the_flush_timeout() {
    let blackhole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let env = TestEnv::new().var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        &format!("http://{}", blackhole.local_addr().unwrap()),
    );
    let start = Instant::now();
    env.cmd()
        .args([
            "run",
            "--wrap",
            "--flush-timeout",
            "1",
            "--",
            "sh",
            "-c",
            "exit 5",
        ])
        .assert()
        .code(5);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_refused_provider_adds_nothing_noticeable() {
    let port = crate::testenv::free_port();
    let env = TestEnv::new().var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        &format!("http://127.0.0.1:{port}"),
    );
    let start = Instant::now();
    env.cmd()
        .args(["run", "--wrap", "--", "true"])
        .assert()
        .success();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
}
