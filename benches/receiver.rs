//! Receiver throughput: spans/s accepted over loopback from one load generator sending
//! 512-span protobuf requests (OTLP/HTTP, then OTLP/gRPC to the same port), the receiver (inside `run --wrap`) pinned to core 0 and the
//! generator to core 1 — beside `rotel` (the Rust OTLP collector from PyPI) under the same
//! load, forwarding to the same discarding sink (like for like) and with its `blackhole`
//! exporter (decode and drop). Also the wrapper's memory while the load
//! runs, and how many of the spans it accepted it forwarded (the rest the full queue
//! dropped, and how many requests it asked to retry as the queue was full). Prints
//! figures; asserts nothing. `BENCH_SECS` sets each run's length (default 10);
//! `BENCH_QUEUE_MAX_BYTES` the wrapper's queue cap (`AUTOMAGIK_QUEUE_MAX_BYTES`);
//! `BENCH_WRAPPER_BIN` another build of the binary to measure (an older one, for A/B runs
//! alternated with the same bench); `BENCH_ONLY_OURS=1` leaves rotel out.
//! Needs `taskset` (util-linux) and the Python peers (`scripts/python-peers`).

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use automagik_tracing::span::{Resource, Scope, to_request};
use common::{discarding_sink, genai_span};
use prost::Message;

const CONNECTIONS: usize = 8;

struct Killed(Child);

impl Drop for Killed {
    /// SIGTERM, which the wrapper forwards to its child, so no `sleep` is left behind.
    fn drop(&mut self) {
        // SAFETY: kill(2) on a child we spawned and have not reaped.
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

fn pin_to(core: usize) {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Where the load goes, and how.
enum Target {
    /// OTLP/HTTP protobuf to this `/v1/traces` URL, over HTTP/1.1.
    Http(String),
    /// OTLP/gRPC to this `host:port`, one HTTP/2 connection per sender.
    Grpc(String),
}

/// Sends `body` over `CONNECTIONS` connections for `secs`, one request at a time on each;
/// returns requests accepted, and samples the target's memory once a second.
/// CPU seconds (user and system) the process `pid` has used so far.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name (in parentheses, which may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

/// What one load run measured: requests accepted, the target's memory once a second, and
/// the CPU seconds it used meanwhile.
struct Measured {
    requests: u64,
    memory: Vec<f64>,
    cpu: f64,
}

fn load(target: &Target, body: Arc<Vec<u8>>, secs: u64, pid: u32) -> Measured {
    let cpu_before = cpu_secs(pid);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .tls_certs_only(Vec::new())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut memory = Vec::new();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..CONNECTIONS {
            let (body, accepted) = (body.clone(), accepted.clone());
            tasks.push(match target {
                Target::Http(url) => tokio::spawn(post_http(
                    client.clone(),
                    url.clone(),
                    body,
                    deadline,
                    accepted,
                )),
                Target::Grpc(addr) => {
                    tokio::spawn(call_grpc(addr.clone(), body, deadline, accepted))
                }
            });
        }
        while Instant::now() < deadline {
            memory.push(rss_mib(pid));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        for task in tasks {
            let _ = task.await;
        }
    });
    Measured {
        requests: accepted.load(Relaxed),
        memory,
        cpu: cpu_secs(pid) - cpu_before,
    }
}

async fn post_http(
    client: reqwest::Client,
    url: String,
    body: Arc<Vec<u8>>,
    deadline: Instant,
    accepted: Arc<AtomicU64>,
) {
    while Instant::now() < deadline {
        let sent = client
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(body.as_ref().clone())
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            accepted.fetch_add(1, Relaxed);
        }
    }
}

/// Unary `TraceService/Export` calls on one HTTP/2 connection (h2c), the message framed
/// as gRPC frames it (a flag byte, a 4-byte length); accepted when `grpc-status` is 0.
async fn call_grpc(addr: String, body: Arc<Vec<u8>>, deadline: Instant, accepted: Arc<AtomicU64>) {
    use http_body_util::{BodyExt, Full};
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(body.len() as u32).to_be_bytes());
    framed.extend_from_slice(&body);
    let framed = hyper::body::Bytes::from(framed);
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let uri = format!("http://{addr}/opentelemetry.proto.collector.trace.v1.TraceService/Export");
    while Instant::now() < deadline {
        let request = hyper::Request::post(&uri)
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(Full::new(framed.clone()))
            .unwrap();
        let Ok(response) = sender.send_request(request).await else {
            break;
        };
        let Ok(collected) = response.into_body().collect().await else {
            continue;
        };
        let ok = collected
            .trailers()
            .and_then(|t| t.get("grpc-status"))
            .is_some_and(|v| v == "0");
        if ok {
            accepted.fetch_add(1, Relaxed);
        }
    }
}

fn wait_listening(addr: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing listens at {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn report(what: &str, measured: &Measured, secs: u64) {
    let (requests, memory) = (measured.requests, &measured.memory[..]);
    let grpc = if what.contains("gRPC") { "_grpc" } else { "" };
    let name = match what {
        w if w.starts_with("automagik") => format!("receiver.ours{grpc}"),
        w if w.contains("blackhole") => format!("receiver.rotel_blackhole{grpc}"),
        _ => "receiver.rotel_forwarding".to_string(),
    };
    let name = name.as_str();
    common::figure(name, (requests * 512) as f64 / secs as f64, "spans/s");
    let max_rss = memory.iter().copied().fold(0.0, f64::max);
    common::figure(&format!("{name}.rss"), max_rss, "MiB");
    let spans = requests * 512;
    let (first, max, last) = (
        memory.first().copied().unwrap_or(0.0),
        memory.iter().copied().fold(0.0, f64::max),
        memory.last().copied().unwrap_or(0.0),
    );
    println!(
        "{what:<34} {:>9.0} spans/s  ({requests} requests in {secs} s)  RSS first {first:.1} / max {max:.1} / last {last:.1} MiB  CPU {:.2} s per million spans",
        spans as f64 / secs as f64,
        measured.cpu * 1e6 / spans.max(1) as f64
    );
}

fn main() {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let resource = Arc::new(Resource::service("load"));
    let scope = Arc::new(Scope::default());
    let spans: Vec<_> = (0..512).map(|i| genai_span(&resource, &scope, i)).collect();
    let body = Arc::new(to_request(&spans).encode_to_vec());
    pin_to(1);
    let (sink, _) = discarding_sink();
    let home = tempfile::tempdir().unwrap();
    let (wrapper, pid, endpoint) = start_wrapper(&sink, home.path());
    let url = Target::Http(format!("{endpoint}/v1/traces"));
    let measured = load(&url, body.clone(), secs, pid);
    report("automagik-tracing run --wrap", &measured, secs);
    let addr = Target::Grpc(endpoint.trim_start_matches("http://").to_string());
    let measured = load(&addr, body.clone(), secs, pid);
    report("automagik-tracing run --wrap, gRPC", &measured, secs);
    drop(wrapper);
    report_forwarded(home.path());
    if std::env::var_os("BENCH_ONLY_OURS").is_some() {
        return;
    }
    measure_rotel(&sink, &body, secs, home.path());
}

/// automagik-tracing's receiver of `run --wrap` pinned to core 0, exporting to `sink`:
/// the wrapper, its pid and the endpoint its child was given.
fn start_wrapper(sink: &str, home: &Path) -> (Killed, u32, String) {
    let binary = std::env::var("BENCH_WRAPPER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_automagik-tracing").to_string());
    let mut wrapper = Command::new("taskset");
    wrapper
        .args([
            "-c",
            "0",
            &binary,
            "run",
            "--wrap",
            "--flush-timeout",
            "1",
            "--",
        ])
        .args([
            "sh",
            "-c",
            "echo $OTEL_EXPORTER_OTLP_ENDPOINT; exec sleep 3600",
        ])
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", sink)
        // Usage telemetry is not what is measured here (and must not leave the machine).
        .env("DO_NOT_TRACK", "1")
        .stdout(Stdio::piped());
    if let Ok(cap) = std::env::var("BENCH_QUEUE_MAX_BYTES") {
        wrapper.env("AUTOMAGIK_QUEUE_MAX_BYTES", cap);
    }
    let mut wrapper = wrapper.spawn().expect("taskset runs (util-linux)");
    let mut line = String::new();
    std::io::BufReader::new(wrapper.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid = wrapper.id();
    (Killed(wrapper), pid, line.trim().to_string())
}

/// rotel receiving the same load the same way: forwarding to `sink`, and discarding.
fn measure_rotel(sink: &str, body: &Arc<Vec<u8>>, secs: u64, home: &Path) {
    let python = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/python-peers"))
        .output()
        .unwrap();
    let python = String::from_utf8(python.stdout).unwrap();
    let agent = Command::new(python.trim())
        .args([
            "-c",
            "import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), 'rotel-agent'))",
        ])
        .output()
        .unwrap();
    let agent = String::from_utf8(agent.stdout).unwrap();
    // Like for like: rotel forwarding to the same discarding sink over OTLP/HTTP, as we do
    // (decode, batch, encode, send). Its blackhole exporter only decodes and drops.
    let forward = [
        "--exporter",
        "otlp",
        "--otlp-exporter-protocol",
        "http",
        "--otlp-exporter-compression",
        "none",
        "--otlp-exporter-endpoint",
        sink,
    ];
    for (label, exporter) in [
        (
            "rotel 0.0.1a15 (otlp exporter, to the same sink)",
            &forward[..],
        ),
        (
            "rotel 0.0.1a15 (blackhole exporter)",
            &["--exporter", "blackhole"][..],
        ),
    ] {
        let measured = run_rotel(agent.trim(), exporter, body, secs, home, false);
        report(label, &measured, secs);
    }
    let blackhole = ["--exporter", "blackhole"];
    let measured = run_rotel(agent.trim(), &blackhole, body, secs, home, true);
    report("rotel 0.0.1a15 (blackhole exporter), gRPC", &measured, secs);
}

/// Runs rotel pinned to core 0 with these exporter arguments under the same load.
fn run_rotel(
    agent: &str,
    exporter: &[&str],
    body: &Arc<Vec<u8>>,
    secs: u64,
    home: &Path,
    over_grpc: bool,
) -> Measured {
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, grpc) = (free(), free());
    let rotel = Command::new("taskset")
        .args(["-c", "0", agent, "start"])
        .args(exporter)
        .args(["--otlp-http-endpoint", &format!("127.0.0.1:{port}")])
        .args(["--otlp-grpc-endpoint", &format!("127.0.0.1:{grpc}")])
        .args(["--pid-file", &home.join("rotel.pid").display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = rotel.id();
    let rotel = Killed(rotel);
    wait_listening(&format!("127.0.0.1:{port}"));
    wait_listening(&format!("127.0.0.1:{grpc}"));
    let target = if over_grpc {
        Target::Grpc(format!("127.0.0.1:{grpc}"))
    } else {
        Target::Http(format!("http://127.0.0.1:{port}/v1/traces"))
    };
    let measured = load(&target, body.clone(), secs, pid);
    drop(rotel);
    measured
}

/// What the wrapper did with what it accepted (its last-run metrics, read by `status`):
/// a request is answered 200 once its spans are queued, and a span that finds the queue
/// full is dropped, so the rates above are spans accepted; this says how many went on.
fn report_forwarded(home: &std::path::Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_automagik-tracing"))
        .args(["status", "--json"])
        .env_clear()
        .env("HOME", home)
        .env("DO_NOT_TRACK", "1")
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let run = &status["last_run"];
    let exported = run["exporters"][0]["exported"].as_u64().unwrap_or(0);
    let spooled = run["exporters"][0]["spooled"].as_u64().unwrap_or(0);
    let dropped = run["dropped_queue_full"].as_u64().unwrap_or(0);
    let retried = run["refused_requests"]["queue_full"].as_u64().unwrap_or(0);
    let accepted = exported + spooled + dropped;
    let share = 100.0 * dropped as f64 / accepted.max(1) as f64;
    common::figure("receiver.ours.dropped_queue_full", share, "%");
    println!(
        "  of the spans accepted over HTTP and gRPC: {exported} forwarded, {spooled} spooled at exit, {dropped} dropped as the queue was full ({share:.1} %); {retried} requests asked to retry as the queue was full"
    );
}
