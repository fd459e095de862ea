//! The loopback OTLP receiver of `run --wrap`: the child's own OpenTelemetry SDK sends
//! here, and what arrives goes into the same engine as everything else.
//!
//! 127.0.0.1 only, an ephemeral port, one listener for HTTP/1.1 and HTTP/2: a gRPC request
//! (`application/grpc`) goes to `grpc`, the rest to OTLP/HTTP (`http`). Both hand
//! what they received to `take_traces` (a trace request is decoded by prost into
//! spans, span by span (`decode`), once its counts pass the caps of [`scan`]; 413 or
//! `INVALID_ARGUMENT` past them) and `take_records`, the one door log records and
//! metrics take into the engine as [`Records`]. Before decoding, a request the engine's
//! queue has no room for is refused retryably (`room`: 503, `UNAVAILABLE`), so the
//! child's SDK sends it again rather than its spans being dropped; one that fits holds its
//! room in the queue's byte budget while it is decoded. Every refusal is
//! counted by reason ([`Refusal`]).
//!
//! Bounded by what it decodes, not only by bytes: at most [`MAX_CONNECTIONS`] connections,
//! at most [`REQUESTS_AT_ONCE`] bodies held and decoded at a time, decoding on a blocking
//! thread so the loop that accepts connections never waits on it.
//!
//! Its thread builds the tokio runtime only once a first connection comes (`idle`): a
//! command that never sends costs the wrapper no runtime.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::{Either, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::sync::Semaphore;

use crate::engine::Recorder;
use crate::error::{Error, Result};
use crate::export::Records;
use crate::presets::Signal;
use crate::span::{Span, into_spans};
pub use crate::wrap::refusal::{Refusal, describe_refused};
use crate::wrap::{decode, grpc, http, room, scan};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

mod idle;

/// The largest request body accepted, compressed or not.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 64;
/// Request bodies read and decoded at once: what bounds the receiver's memory.
pub const REQUESTS_AT_ONCE: usize = 2;
/// The largest HTTP/2 frame a client may send (the protocol's default is 16 KiB).
const H2_MAX_FRAME_SIZE: u32 = 256 * 1024;
/// How long a request body may take to arrive once its headers have.
pub(super) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What the receiver hands its spans to, with the bytes of the engine's queue budget it
/// took for them before decoding (0 without a queue): the sink records the spans against
/// that room (`Recorder::record_held`) and gives back what is left of it.
pub type SpanSink = Arc<dyn Fn(Vec<Span>, u64) + Send + Sync>;
/// What the receiver hands log records and metrics to.
pub type RecordSink = Arc<dyn Fn(Records) + Send + Sync>;

/// What reads each decoded logs request (a coding agent's events, [`agents`]); it only
/// reads: the request is answered as before.
///
/// [`agents`]: crate::wrap::agents
pub type LogTap = Arc<dyn Fn(&ExportLogsServiceRequest) + Send + Sync>;

/// What the receiver saw.
#[derive(Debug, Default)]
pub struct ReceiverStats {
    /// Spans accepted and handed on.
    pub spans: AtomicU64,
    /// Trace requests answered (accepted or refused).
    pub requests: AtomicU64,
    refused: [AtomicU64; Refusal::ALL.len()],
    /// Requests of log records or metrics accepted and handed on.
    pub other_signals: AtomicU64,
}

impl ReceiverStats {
    pub(super) fn refuse(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Relaxed);
    }

    /// Refused requests by reason ([`Refusal::key`]), the reasons that happened only.
    pub fn refused(&self) -> BTreeMap<String, u64> {
        Refusal::ALL
            .iter()
            .map(|r| (r.key().to_string(), self.refused[*r as usize].load(Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// The running receiver: stopped (waiting for what it is decoding) when dropped.
pub struct Receiver {
    /// Where it listens (127.0.0.1 and a port the system chose).
    pub addr: SocketAddr,
    /// What it saw so far.
    pub stats: Arc<ReceiverStats>,
    /// Closed to stop the receiver (`idle::stop_signal`).
    stop: Option<UnixStream>,
    /// Whether the thread still waits for its first connection (`idle::State`).
    state: Arc<idle::State>,
    /// The thread, which says whether a connection made it build its runtime.
    thread: Option<JoinHandle<bool>>,
}

/// A receiver's socket, listening but not yet served: bound before the command starts
/// (its address goes into the command's environment), served once the engine is up
/// ([`Bound::serve`]). Meanwhile connections wait in the listen backlog.
pub struct Bound {
    /// Where it listens (127.0.0.1 and a port the system chose).
    pub addr: SocketAddr,
    listener: std::net::TcpListener,
}

impl Receiver {
    /// Starts listening on 127.0.0.1 on a free port; spans go to `sink`, log records and
    /// metrics to `records`.
    pub fn start(sink: SpanSink, records: RecordSink, body_limit: usize) -> Result<Receiver> {
        Receiver::bind()?.serve(sink, records, None, None, body_limit)
    }

    /// Binds 127.0.0.1 on a free port (microseconds), to be served later.
    pub fn bind() -> Result<Bound> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| Error::failed(format!("cannot open the loopback receiver: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::failed(format!("cannot open the loopback receiver: {e}")))?;
        Ok(Bound { addr, listener })
    }
}

impl Bound {
    /// Serves the socket on a thread of its own, handing spans to `sink`, log records and
    /// metrics to `records`, and every logs request to `log_tap` (when there is one) before
    /// they go on. A request `queue` (the engine's, where the sinks lead) has no room for
    /// is asked to come again later.
    pub fn serve(
        self,
        sink: SpanSink,
        records: RecordSink,
        log_tap: Option<LogTap>,
        queue: Option<Recorder>,
        body_limit: usize,
    ) -> Result<Receiver> {
        let Bound { addr, listener } = self;
        let stats = Arc::new(ReceiverStats::default());
        let (stop_tx, stop_rx) = idle::stop_signal()
            .map_err(|e| Error::failed(format!("cannot start the receiver: {e}")))?;
        let state = Arc::new(idle::State::default());
        let waiting = state.clone();
        let shared = Arc::new(Shared {
            sink,
            records,
            log_tap,
            queue,
            body_limit,
            stats: stats.clone(),
            reading: Semaphore::new(REQUESTS_AT_ONCE),
        });
        let thread = std::thread::Builder::new()
            .name("automagik-receiver".into())
            .spawn(move || serve(listener, shared, stop_rx, &waiting))
            .map_err(|e| Error::failed(format!("cannot start the receiver thread: {e}")))?;
        Ok(Receiver {
            addr,
            stats,
            stop: Some(stop_tx),
            state,
            thread: Some(thread),
        })
    }
}

impl Receiver {
    /// `http://127.0.0.1:PORT`, what the child's `OTEL_EXPORTER_OTLP_ENDPOINT` becomes.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits for the thread, unless it never had a connection: it is
    /// then left to end by itself (it serves nothing more), and the command's exit code
    /// waits for no thread to wake up.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Stops as [`Receiver::stop`] does; whether a connection came (and the runtime was
    /// built to serve it).
    #[cfg(test)]
    pub(crate) fn stop_served(mut self) -> bool {
        self.shutdown()
    }

    fn shutdown(&mut self) -> bool {
        drop(self.stop.take());
        let thread = self.thread.take();
        if self.state.abandon() {
            return false;
        }
        thread.is_some_and(|thread| thread.join().unwrap_or(true))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub(super) struct Shared {
    sink: SpanSink,
    records: RecordSink,
    log_tap: Option<LogTap>,
    /// The engine's queue, whose room is checked before a request is decoded.
    queue: Option<Recorder>,
    pub(super) body_limit: usize,
    pub(super) stats: Arc<ReceiverStats>,
    /// Held while a body is read and decoded.
    pub(super) reading: Semaphore,
}

/// The receiver's thread: waits for a first connection without a runtime (`idle`), then
/// serves until stopped. Returns whether it built the runtime.
fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stop: UnixStream,
    state: &idle::State,
) -> bool {
    if idle::first_connection(&listener, &stop) == idle::Woken::Stopped || !state.serve() {
        return false;
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(REQUESTS_AT_ONCE)
        .build()
    else {
        return false;
    };
    runtime.block_on(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        let mut stop = std::pin::pin!(idle::stopped(stop));
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let permit = tokio::select! {
                _ = &mut stop => break,
                permit = connections.clone().acquire_owned() => permit,
            };
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                _ = &mut stop => break,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, _)) = accepted else { continue };
            let shared = shared.clone();
            tokio::spawn(async move {
                let _connection = permit;
                let service = hyper::service::service_fn(move |req| {
                    let shared = shared.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(req, shared).await) }
                });
                let mut builder = auto::Builder::new(TokioExecutor::new());
                // Larger frames: a request of 512 spans arrives in a few, not dozens.
                builder.http2().max_frame_size(H2_MAX_FRAME_SIZE);
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    true
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Format {
    Protobuf,
    Json,
}

/// An OTLP/HTTP answer, or a gRPC one.
type Answer = Response<Either<Full<Bytes>, tonic::body::Body>>;

async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Answer {
    shared.stats.requests.fetch_add(1, Relaxed);
    if grpc::is_grpc(&req) {
        return grpc::handle(req, shared).await.map(Either::Right);
    }
    let response = match http::receive(req, shared.clone()).await {
        Ok(response) => response,
        Err(refusal) => {
            shared.stats.refuse(refusal);
            refusal.response()
        }
    };
    response.map(Either::Left)
}

/// Checks a decompressed trace request's counts and the queue's room for it, decodes it
/// and hands its spans to the sink (HTTP and gRPC alike); the answer says how many spans
/// were invalid. Blocking.
pub(super) fn take_traces(
    body: Bytes,
    format: Format,
    shared: &Shared,
) -> std::result::Result<ExportTraceServiceResponse, Refusal> {
    let counts = check(&body, format, Signal::Traces)?;
    let need = room::trace_estimate(body.len(), counts);
    let spans = counts.map_or(0, |c| c.spans);
    let held = room::make_room(shared.queue.as_ref(), need, spans)?;
    let decoded = match format {
        Format::Protobuf => decode::spans_of(body, spans as usize),
        Format::Json => {
            let request = serde_json::from_slice::<ExportTraceServiceRequest>(&body).ok();
            drop(body);
            request.map(into_spans)
        }
    };
    let (spans, invalid) = decoded.ok_or(Refusal::Malformed)?;
    shared.stats.spans.fetch_add(spans.len() as u64, Relaxed);
    if !spans.is_empty() {
        // The room taken for them goes with them: each span takes its own out of it.
        (shared.sink)(spans, held.hand_over());
    }
    Ok(ExportTraceServiceResponse {
        partial_success: (invalid > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: invalid as i64,
            error_message: "spans with an invalid trace or span id were dropped".into(),
        }),
    })
}

/// Checks a decompressed request of log records or metrics (`signal`), decodes it and
/// hands it to the engine (HTTP and gRPC alike): the one place the receiver passes them
/// on. Bounded as trace requests are ([`scan`]), and asked to come again when the queue
/// has no room for its bytes (what it is counted as there). Blocking.
pub(super) fn take_records(
    body: Bytes,
    format: Format,
    signal: Signal,
    shared: &Shared,
) -> std::result::Result<(), Refusal> {
    check(&body, format, signal)?;
    let held = room::make_room(shared.queue.as_ref(), body.len() as u64, 0)?;
    let records = match (signal, format) {
        (Signal::Logs, Format::Protobuf) => ExportLogsServiceRequest::decode(body.as_ref())
            .ok()
            .map(Records::Logs),
        (Signal::Logs, Format::Json) => serde_json::from_slice(&body).ok().map(Records::Logs),
        (Signal::Metrics, Format::Protobuf) => ExportMetricsServiceRequest::decode(body.as_ref())
            .ok()
            .map(Records::Metrics),
        (Signal::Metrics, Format::Json) => serde_json::from_slice(&body).ok().map(Records::Metrics),
        (Signal::Traces, _) => None,
    };
    drop(body);
    let records = records.ok_or(Refusal::Malformed)?;
    shared.stats.other_signals.fetch_add(1, Relaxed);
    drop(held);
    if let (Records::Logs(request), Some(tap)) = (&records, &shared.log_tap) {
        tap(request);
    }
    (shared.records)(records);
    Ok(())
}

/// Counts what a body would decode into ([`scan`]) and refuses it when that is too much;
/// the counts of a protobuf body (a JSON body is bounded, not counted).
fn check(
    body: &[u8],
    format: Format,
    signal: Signal,
) -> std::result::Result<Option<scan::Counts>, Refusal> {
    let checked = match format {
        Format::Protobuf => scan::count_protobuf_of(signal, body).map(Some),
        Format::Json => scan::check_json(body).map(|()| None),
    };
    checked.map_err(refusal_of)
}

/// How a refusal before decoding is answered.
fn refusal_of(refused: scan::Refused) -> Refusal {
    match refused {
        scan::Refused::TooMany => Refusal::TooLarge,
        scan::Refused::Malformed => Refusal::Malformed,
    }
}
