//! The loopback OTLP receiver of `run --wrap`: the child's own OpenTelemetry SDK sends
//! here, and what arrives goes into the same engine as everything else.
//!
//! 127.0.0.1 only, an ephemeral port, one listener for HTTP/1.1 and HTTP/2: a gRPC request
//! (`application/grpc`) goes to `grpc`, the rest to OTLP/HTTP (`http`). Both hand
//! what they received to `take`: a trace request is counted down to its spans
//! ([`scan`](crate::wrap::scan)), then decoded by prost span by span (`decode`), each
//! span's contents counted as it is; 413 or `INVALID_ARGUMENT` past the caps. Log records
//! and metrics take the one door into the engine as [`Records`]. A request the engine's
//! queue has no room for is refused retryably (`room`: 503, `UNAVAILABLE`), so the
//! child's SDK sends it again rather than its spans being dropped; one that fits holds its
//! room in the queue's byte budget while it is decoded. Every refusal is counted by
//! reason ([`Refusal`]).
//!
//! Bounded by what it decodes, not only by bytes: at most [`MAX_CONNECTIONS`] connections,
//! at most [`REQUESTS_AT_ONCE`] bodies held and decoded at a time, decoding on a blocking
//! thread so the loop that accepts connections never waits on it.
//!
//! Its thread builds the tokio runtime only once a first connection comes (`idle`): a
//! command that never sends costs the wrapper no runtime. Its threads run at a lower
//! priority than the engine's (`RECEIVER_NICENESS`).

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
use tokio::sync::Semaphore;

use crate::engine::Recorder;
use crate::error::{Error, Result};
use crate::export::Records;
use crate::span::Span;
pub use crate::wrap::refusal::{Refusal, describe_refused};
use crate::wrap::{grpc, http};

mod drain;
mod idle;
mod take;

pub(super) use take::{Format, take_records, take_traces};

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
/// What the receiver hands log records and metrics to, with the bytes of the queue budget
/// it took for them (as [`SpanSink`]'s: `Recorder::record_records_held`).
pub type RecordSink = Arc<dyn Fn(Records, u64) + Send + Sync>;

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
    /// Requests answered, of every signal, accepted or refused.
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
    /// The listening socket (a second descriptor of it): whether a connection waits when
    /// the receiver stops.
    listener: Option<std::net::TcpListener>,
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
        let watched = listener.try_clone().ok();
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
            listener: watched,
            thread: Some(thread),
        })
    }
}

impl Receiver {
    /// `http://127.0.0.1:PORT`, what the child's `OTEL_EXPORTER_OTLP_ENDPOINT` becomes.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits for the thread, which first takes in what was sent
    /// before (`drain`), unless it never had a connection and none waits: it is then left
    /// to end by itself (it serves nothing more), and the command's exit code waits for no
    /// thread to wake up.
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
        // A connection made before the stop (a command that sent as it exited) is served.
        let waiting = self.listener.take().is_some_and(|l| drain::waits(&l));
        if !waiting && self.state.abandon() {
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

/// How much lower than the rest of the wrapper the receiver's threads run (a nice value).
/// Taking spans in is cheaper than sending them on: on a busy core, intake at the same
/// priority as the engine's export fills the queue, and every request then refused is
/// read for nothing. Lowered, the receiver takes the CPU the export leaves, the queue
/// drains as it fills, and the child's own work comes before its spans' intake too.
const RECEIVER_NICENESS: i32 = 5;

/// How long a command runs before the price data loads beside it, connected or not. A
/// command's SDK often sends every span as it exits, and the run's figures, read then,
/// would wait for the data (20 to 80 ms after the command's exit, measured); a command
/// that ends sooner (`run --wrap true`) costs the wrapper no loading thread.
const PRICES_AFTER: Duration = Duration::from_millis(100);

/// The receiver's thread: waits for a first connection without a runtime (`idle`), then
/// serves until stopped. Returns whether it built the runtime.
fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stop: UnixStream,
    state: &idle::State,
) -> bool {
    let meanwhile = idle::Meanwhile {
        after: PRICES_AFTER,
        run: || crate::semantic::load_prices_beside(crate::semantic::BESIDE_A_COMMAND),
    };
    if idle::first_connection(&listener, &stop, meanwhile) == idle::Woken::Stopped || !state.serve()
    {
        return false;
    }
    // A command that speaks OTLP may send model calls to price.
    crate::semantic::load_prices_beside(crate::semantic::BESIDE_A_COMMAND);
    crate::sync::lower_priority(RECEIVER_NICENESS);
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(REQUESTS_AT_ONCE)
        .thread_name("automagik-decode")
        .build()
    else {
        return false;
    };
    // What the command sent before it exited is taken in after the stop (`drain`): the
    // connections still waiting in the backlog are accepted through this descriptor.
    let backlog = listener.try_clone().ok();
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
            connection(stream, permit, shared.clone());
        }
        if let Some(backlog) = backlog {
            drain::accept_backlog(&backlog, &connections, |stream, permit| {
                connection(stream, permit, shared.clone());
            });
        }
        drain::until_served(&connections, MAX_CONNECTIONS).await;
    });
    true
}

/// Serves one connection on a task of its own, holding its `permit` until it ends.
fn connection(
    stream: tokio::net::TcpStream,
    permit: tokio::sync::OwnedSemaphorePermit,
    shared: Arc<Shared>,
) {
    // An HTTP/2 answer is written as several frames: without this, each after the
    // first waits for the client's delayed acknowledgement (Nagle's algorithm).
    let _ = stream.set_nodelay(true);
    tokio::spawn(async move {
        let _connection = permit;
        let service = hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(req, shared).await) }
        });
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // A request whose sender closed its side after sending it (a command that exited
        // without waiting for the answer) is still answered, not dropped half-read.
        builder.http1().half_close(true);
        // Larger frames: a request of 512 spans arrives in a few, not dozens.
        builder.http2().max_frame_size(H2_MAX_FRAME_SIZE);
        let _ = builder
            .serve_connection(TokioIo::new(stream), service)
            .await;
    });
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

#[cfg(test)]
mod tests;
