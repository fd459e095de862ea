//! What the benchmarks share: a GenAI span with 10 attributes, and a discarding sink.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use automagik_tracing::span::{Resource, Scope, Span};

/// One figure for `scripts/bench`'s table, beside the bench's own words:
/// `figure<TAB>NAME<TAB>VALUE<TAB>UNIT`. The script knows each figure's target and peer.
pub fn figure(name: &str, value: f64, unit: &str) {
    println!("figure\t{name}\t{value}\t{unit}");
}

/// The benches run with the binary's allocator (see `src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub fn genai_span(resource: &Arc<Resource>, scope: &Arc<Scope>, i: usize) -> Span {
    let mut span = Span::start(
        format!("chat gpt-4o #{i}"),
        None,
        resource.clone(),
        scope.clone(),
    );
    span.set("gen_ai.operation.name", "chat")
        .set("gen_ai.provider.name", "openai")
        .set("gen_ai.request.model", "gpt-4o")
        .set("gen_ai.response.model", "gpt-4o-2024-08-06")
        .set("gen_ai.usage.input_tokens", 1200i64 + i as i64)
        .set("gen_ai.usage.output_tokens", 345i64)
        .set("gen_ai.agent.name", "support-agent")
        .set("gen_ai.conversation.id", format!("conv-{i:08}"))
        .set("gen_ai.response.finish_reasons", "stop")
        .set("gen_ai.request.temperature", 0.2);
    span.end();
    span
}

/// An HTTP server on 127.0.0.1 that reads each body, counts its bytes, answers 200, and
/// keeps nothing. Returns its base URL and the byte counter.
pub fn discarding_sink() -> (String, Arc<AtomicU64>) {
    let bytes = Arc::new(AtomicU64::new(0));
    let counter = bytes.clone();
    let url = loopback_server(move |body| {
        counter.fetch_add(body.len() as u64, Ordering::Relaxed);
        200
    });
    (url, bytes)
}

/// A [`discarding_sink`] that answers each request `delay` after reading it, as a
/// provider across a network does: an exporter slower than its producer.
pub fn slow_sink(delay: std::time::Duration) -> String {
    answering_after(delay, |_| 200)
}

/// An HTTP server on 127.0.0.1 that reads each body and answers with the status `answer`
/// gives for it (and an empty body). Returns its base URL.
pub fn loopback_server(
    answer: impl Fn(hyper::body::Bytes) -> u16 + Send + Sync + 'static,
) -> String {
    answering_after(std::time::Duration::ZERO, answer)
}

/// [`loopback_server`], each answer `delay` after the body was read (requests on other
/// connections are served meanwhile).
fn answering_after(
    delay: std::time::Duration,
    answer: impl Fn(hyper::body::Bytes) -> u16 + Send + Sync + 'static,
) -> String {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    // Named, so the engine bench's per-thread figures tell it from the producer.
    let server = std::thread::Builder::new().name("bench-sink".into());
    let _ = server.spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let answer = answer.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let answer = answer.clone();
                            async move {
                                let body = req
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                if !delay.is_zero() {
                                    tokio::time::sleep(delay).await;
                                }
                                let mut response = hyper::Response::new(Full::new(Bytes::new()));
                                *response.status_mut() =
                                    hyper::StatusCode::from_u16(answer(body)).unwrap();
                                Ok::<_, std::convert::Infallible>(response)
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    url
}

/// CPU seconds this process has used (user + system), from /proc.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

/// Peak resident memory of this process in MiB, from /proc.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Settings whose only provider is `otlp` at `url` (gzip or not), with config and data
/// dirs inside `dir`, and that provider's exporter.
pub fn otlp_to(
    dir: &std::path::Path,
    url: &str,
    gzip: bool,
) -> (
    automagik_tracing::Settings,
    Arc<dyn automagik_tracing::export::Exporter>,
) {
    let mut options = automagik_tracing::LoadOptions {
        cwd: dir.to_path_buf(),
        ..Default::default()
    };
    for (k, v) in [
        ("AUTOMAGIK_CONFIG_DIR", dir.join("c").display().to_string()),
        ("AUTOMAGIK_DATA_DIR", dir.join("d").display().to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", url.to_string()),
        (
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            if gzip { "gzip" } else { "none" }.to_string(),
        ),
    ] {
        options.env.insert(k.into(), v);
    }
    let settings = automagik_tracing::Config::load(options)
        .unwrap()
        .settings()
        .unwrap();
    let otlp = settings.observability.provider("otlp").unwrap();
    let exporter = automagik_tracing::export::build(&settings, otlp).unwrap();
    (settings, exporter)
}

/// CPU time and time spent runnable but waiting for a core, per thread name, of this
/// process, from /proc (`schedstat`: nanoseconds), with the number of threads of the
/// name. Threads of one name are summed (`automagik-export` is two). The wait tells a
/// starved pipeline (a shared machine) from a serial one: a thread that waits on
/// another sleeps instead.
pub fn thread_times() -> std::collections::BTreeMap<String, (f64, f64, usize)> {
    let mut times = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return times;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        let mut fields = stat
            .split_whitespace()
            .map(|f| f.parse::<f64>().unwrap_or(0.0));
        let (run, wait) = (fields.next().unwrap_or(0.0), fields.next().unwrap_or(0.0));
        let entry = times
            .entry(name.trim().to_string())
            .or_insert((0.0, 0.0, 0));
        entry.0 += run / 1e9;
        entry.1 += wait / 1e9;
        entry.2 += 1;
    }
    times
}

/// What each thread name did in the `secs` between two [`thread_times`]:
/// `name cpu s (+wait s for a core, sleep s)`, the sleep being the rest of the time of
/// each thread (of those alive at the end): blocked, waiting for work or for another
/// thread.
pub fn thread_line(
    before: &std::collections::BTreeMap<String, (f64, f64, usize)>,
    after: &std::collections::BTreeMap<String, (f64, f64, usize)>,
    secs: f64,
) -> String {
    after
        .iter()
        .map(|(name, (run, wait, threads))| {
            let (run0, wait0, _) = before.get(name).copied().unwrap_or((0.0, 0.0, 0));
            let (run, wait) = (run - run0, wait - wait0);
            let sleep = (secs * *threads as f64 - run - wait).max(0.0);
            format!("{name} {run:.2} s (+{wait:.2} s waiting for a core, {sleep:.2} s asleep)")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
