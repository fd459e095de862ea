//! The loopback OTLP/HTTP receiver of `run --wrap`: the child's own OpenTelemetry SDK sends
//! here, and what arrives goes into the same engine as everything else.
//!
//! 127.0.0.1 only, an ephemeral port. `POST /v1/traces` in protobuf or JSON, gzip or not,
//! answered per the OTLP/HTTP spec: 200 with an `ExportTraceServiceResponse`, 400
//! malformed, 413 too large (compressed or not), 415 wrong content type. `/v1/metrics` and
//! `/v1/logs` get a 200 so the child's SDK does not log errors, and are counted.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::JoinHandle;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::span::{Span, into_spans};

/// The largest request body accepted, compressed or not.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What the receiver hands its spans to.
pub type SpanSink = Arc<dyn Fn(Vec<Span>) + Send + Sync>;

/// What the receiver saw.
#[derive(Debug, Default)]
pub struct ReceiverStats {
    pub spans: AtomicU64,
    pub requests: AtomicU64,
    pub rejected_requests: AtomicU64,
    /// Requests to `/v1/metrics` and `/v1/logs`, answered and not forwarded.
    pub other_signals: AtomicU64,
}

pub struct Receiver {
    pub addr: SocketAddr,
    pub stats: Arc<ReceiverStats>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Starts listening on 127.0.0.1 on a free port.
    pub fn start(sink: SpanSink, body_limit: usize) -> Result<Receiver> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| Error::failed(format!("cannot open the loopback receiver: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::failed(format!("cannot open the loopback receiver: {e}")))?;
        let stats = Arc::new(ReceiverStats::default());
        let (stop_tx, stop_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            sink,
            body_limit,
            stats: stats.clone(),
        });
        let thread = std::thread::Builder::new()
            .name("automagik-receiver".into())
            .spawn(move || serve(listener, shared, stop_rx))
            .map_err(|e| Error::failed(format!("cannot start the receiver thread: {e}")))?;
        Ok(Receiver {
            addr,
            stats,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, what the child's `OTEL_EXPORTER_OTLP_ENDPOINT` becomes.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Shared {
    sink: SpanSink,
    body_limit: usize,
    stats: Arc<ReceiverStats>,
}

fn serve(listener: std::net::TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        loop {
            tokio::select! {
                _ = &mut stop => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let shared = shared.clone();
                            async move { Ok::<_, std::convert::Infallible>(handle(req, &shared).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
    });
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Protobuf,
    Json,
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    shared.stats.requests.fetch_add(1, Relaxed);
    let response = receive(req, shared).await;
    if !response.status().is_success() {
        shared.stats.rejected_requests.fetch_add(1, Relaxed);
    }
    response
}

async fn receive(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let signal = match path.as_str() {
        "/v1/traces" => true,
        "/v1/metrics" | "/v1/logs" => false,
        _ => {
            return plain(
                StatusCode::NOT_FOUND,
                "only /v1/traces, /v1/metrics and /v1/logs are served here",
            );
        }
    };
    if req.method() != Method::POST {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "use POST");
    }
    let content_type = header(&req, "content-type").to_ascii_lowercase();
    let format = match content_type.split(';').next().unwrap_or("").trim() {
        "application/x-protobuf" | "application/protobuf" => Format::Protobuf,
        "application/json" => Format::Json,
        _ => {
            return plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send application/x-protobuf or application/json",
            );
        }
    };
    let gzip = header(&req, "content-encoding").eq_ignore_ascii_case("gzip");
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than the receiver accepts",
        )
    };
    if header(&req, "content-length")
        .parse::<usize>()
        .is_ok_and(|n| n > shared.body_limit)
    {
        return too_large();
    }
    let body = match Limited::new(req.into_body(), shared.body_limit)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(err)
            if err
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return too_large();
        }
        Err(_) => return plain(StatusCode::BAD_REQUEST, "the body could not be read"),
    };
    let body = if gzip {
        let mut out = Vec::new();
        let limit = shared.body_limit as u64;
        match flate2::read::GzDecoder::new(body.as_ref())
            .take(limit + 1)
            .read_to_end(&mut out)
        {
            Ok(_) if out.len() as u64 > limit => return too_large(),
            Ok(_) => Bytes::from(out),
            Err(_) => return plain(StatusCode::BAD_REQUEST, "the gzip body is corrupt"),
        }
    } else {
        body
    };
    if !signal {
        shared.stats.other_signals.fetch_add(1, Relaxed);
        return match format {
            Format::Protobuf => reply(format, Bytes::new()),
            Format::Json => reply(format, Bytes::from_static(b"{}")),
        };
    }
    let request = match format {
        Format::Protobuf => ExportTraceServiceRequest::decode(body.as_ref()).ok(),
        Format::Json => serde_json::from_slice::<ExportTraceServiceRequest>(&body).ok(),
    };
    let Some(request) = request else {
        return plain(
            StatusCode::BAD_REQUEST,
            "the body is not an OTLP ExportTraceServiceRequest",
        );
    };
    let (spans, invalid) = into_spans(request);
    shared.stats.spans.fetch_add(spans.len() as u64, Relaxed);
    if !spans.is_empty() {
        (shared.sink)(spans);
    }
    let answer = ExportTraceServiceResponse {
        partial_success: (invalid > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: invalid as i64,
            error_message: "spans with an invalid trace or span id were dropped".into(),
        }),
    };
    let bytes = match format {
        Format::Protobuf => Bytes::from(answer.encode_to_vec()),
        Format::Json => Bytes::from(serde_json::to_vec(&answer).unwrap_or_else(|_| b"{}".to_vec())),
    };
    reply(format, bytes)
}

fn header<'a>(req: &'a Request<Incoming>, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn reply(format: Format, body: Bytes) -> Response<Full<Bytes>> {
    let content_type = match format {
        Format::Protobuf => "application/x-protobuf",
        Format::Json => "application/json",
    };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        .body(Full::new(body))
        .expect("a valid response")
}

fn plain(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(message.as_bytes())))
        .expect("a valid response")
}
