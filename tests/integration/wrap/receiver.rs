//! The loopback receiver: a wrapped `sleep` to post to (`Sleeper`, shared with other tests),
//! raw HTTP posts, and the receiver refusing bad input while it keeps serving.

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use automagik_tracing::span::Span;

use crate::testenv::TestEnv;

/// A wrapped `sleep` whose stderr is kept, and the receiver endpoint it was given.
pub struct Sleeper {
    child: std::process::Child,
    endpoint: String,
}

impl Sleeper {
    pub fn start(env: &TestEnv, extra: &[&str]) -> Sleeper {
        let mut child = env
            .std_cmd()
            .arg("run")
            .args(extra)
            .args([
                "--wrap",
                "--",
                "sh",
                "-c",
                "echo $OTEL_EXPORTER_OTLP_ENDPOINT; exec sleep 30",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        Sleeper {
            child,
            endpoint: line.trim().to_string(),
        }
    }

    pub fn traces(&self) -> String {
        format!("{}/v1/traces", self.endpoint)
    }

    /// The receiver's URL for `path` (`/v1/logs`, `/v1/metrics`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    /// The wrapper's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The wrapper's peak resident memory, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .expect("VmHWM in /proc status")
            / 1024.0
    }

    /// SIGTERM (forwarded to the sleep); returns the wrapper's stderr.
    pub fn stop(mut self) -> String {
        use std::io::Read as _;
        // SAFETY: kill(2) on a child we spawned and have not reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        self.child.wait().unwrap();
        stderr
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw HTTP/1.1 POST; returns the status code (0 when there was no answer).
pub fn post(url: &str, content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> u16 {
    use std::io::Read as _;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(e) = encoding {
        head.push_str(&format!("content-encoding: {e}\r\n"));
    }
    head.push_str("\r\n");
    // The server may answer (413) and close before the whole body is written.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

pub fn a_small_request()
-> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    use automagik_tracing::span::{Resource, Scope};
    use std::sync::Arc;
    let mut span = Span::start(
        "posted",
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    span.end();
    automagik_tracing::span::to_request(&[span])
}

#[test]
fn the_receiver_rejects_bad_input_and_keeps_serving() {
    let env = TestEnv::new();
    let wrapped = Sleeper::start(&env, &[]);
    let traces = wrapped.traces();
    let pb = "application/x-protobuf";
    assert_eq!(
        post(&traces, pb, None, b"\xff\xff\xff garbage".to_vec()),
        400
    );
    let good = a_small_request();
    let mut truncated = prost::Message::encode_to_vec(&good);
    truncated.truncate(truncated.len() / 2);
    assert_eq!(post(&traces, pb, None, truncated), 400);
    assert_eq!(post(&traces, "text/plain", None, b"hi".to_vec()), 415);
    // A gzip bomb: 64 MiB of zeros in a small body.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 64 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    assert_eq!(post(&traces, pb, Some("gzip"), bomb), 413);
    assert_eq!(post(&traces, pb, None, vec![0u8; 100 << 20]), 413);
    // Still serving, in protobuf, gzip and JSON.
    assert_eq!(
        post(&traces, pb, None, prost::Message::encode_to_vec(&good)),
        200
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&prost::Message::encode_to_vec(&good)).unwrap();
    assert_eq!(post(&traces, pb, Some("gzip"), gz.finish().unwrap()), 200);
    assert_eq!(
        post(
            &traces,
            "application/json",
            None,
            serde_json::to_vec(&good).unwrap()
        ),
        200
    );
    assert_eq!(
        post(
            &format!("{}/v1/metrics", wrapped.endpoint),
            pb,
            None,
            Vec::new()
        ),
        200
    );
    assert_eq!(
        post(
            &format!("{}/v1/logs", wrapped.endpoint),
            "application/json",
            None,
            b"{}".to_vec()
        ),
        200
    );
}
