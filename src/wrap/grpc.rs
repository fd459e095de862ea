//! OTLP/gRPC on the receiver's port: a request whose content type is `application/grpc`
//! (HTTP/2, as every gRPC client sends it) is served here, the rest by the OTLP/HTTP path
//! in [`receiver`](super::receiver).
//!
//! `tonic` does the gRPC framing, gzip (`grpc-encoding`), the byte limit and the status
//! trailers; its codec here hands the message over undecoded, so the same span and value
//! count ([`scan`](super::scan)) runs before any decoding, as for HTTP. Traces go to the
//! sink; log records and metrics through the same door as over HTTP. Refusals
//! are counted under the same reasons as HTTP: `INVALID_ARGUMENT` for not OTLP and for
//! too large, `UNIMPLEMENTED` for an unknown method, `DEADLINE_EXCEEDED` for a body too
//! slow to arrive, and `UNAVAILABLE` (which SDKs retry with backoff) when the engine's
//! queue has no room for the message.
//!
//! Too large is not `RESOURCE_EXHAUSTED`, gRPC's usual code for a message over the limit:
//! OTLP makes that code retryable when the server sends a `RetryInfo`, and the Python and
//! Java exporters retry it even without one, so a message that can never fit was sent
//! again and again until the exporter's timeout. `INVALID_ARGUMENT` is OTLP's
//! not-retryable answer to a request the server cannot take; every exporter drops it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use bytes::{Buf, BufMut, Bytes};
use hyper::Request;
use hyper::body::Incoming;
use prost::Message;
use tonic::Status;
use tonic::codec::{
    BufferSettings, Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder,
};
use tonic::server::{Grpc, UnaryService};

use crate::presets::Signal;
use crate::wrap::receiver::{BODY_READ_TIMEOUT, Format, Shared, take_records, take_traces};
use crate::wrap::refusal::{RETRY_AFTER_SECS, Refusal};

/// The gRPC methods of the three OTLP services.
const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
const METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// Whether a request is gRPC (`application/grpc`, `application/grpc+proto`).
pub(super) fn is_grpc<B>(req: &Request<B>) -> bool {
    req.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/grpc"))
}

/// Answers one gRPC request; a refusal is counted and answered with its status.
pub(super) async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> hyper::Response<tonic::body::Body> {
    let signal = match req.uri().path() {
        TRACES => Signal::Traces,
        LOGS => Signal::Logs,
        METRICS => Signal::Metrics,
        _ => return refuse(&shared, Refusal::WrongPath),
    };
    let Ok(_reading) = shared.reading.acquire().await else {
        return refuse(&shared, Refusal::Timeout);
    };
    let reached = Arc::new(AtomicBool::new(false));
    let export = Export {
        signal,
        shared: shared.clone(),
        reached: reached.clone(),
    };
    let mut grpc = Grpc::new(RawCodec)
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(shared.body_limit);
    let answered = tokio::time::timeout(BODY_READ_TIMEOUT, grpc.unary(export, req)).await;
    let Ok(mut response) = answered else {
        return refuse(&shared, Refusal::Timeout);
    };
    if !reached.load(Relaxed) {
        count_framing_refusal(&shared, &mut response);
    }
    response
}

/// A request tonic refused before the service saw it (too large, bad framing, corrupt
/// gzip) is counted; tonic's `OUT_OF_RANGE` for a message over the byte limit (which
/// exporters retry) becomes `INVALID_ARGUMENT`, as for a message over the counts' caps.
fn count_framing_refusal(shared: &Shared, response: &mut hyper::Response<tonic::body::Body>) {
    let code = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok());
    let Some(code) = code.filter(|c| *c != tonic::Code::Ok as i32) else {
        return;
    };
    let too_large = [tonic::Code::OutOfRange, tonic::Code::ResourceExhausted]
        .iter()
        .any(|c| *c as i32 == code);
    if too_large {
        shared.stats.refuse(Refusal::TooLarge);
        let invalid = tonic::Code::InvalidArgument as i32;
        response
            .headers_mut()
            .insert("grpc-status", invalid.to_string().parse().expect("digits"));
    } else {
        shared.stats.refuse(Refusal::Malformed);
    }
}

fn refuse(shared: &Shared, why: Refusal) -> hyper::Response<tonic::body::Body> {
    shared.stats.refuse(why);
    status_of(why).into_http()
}

/// The gRPC status a refusal is answered with.
fn status_of(why: Refusal) -> Status {
    match why {
        Refusal::TooLarge => Status::invalid_argument(
            "the message, or its count of spans and attributes, is larger than the receiver accepts: send smaller batches",
        ),
        Refusal::Malformed | Refusal::WrongType => {
            Status::invalid_argument("the message is not an OTLP export request")
        }
        Refusal::WrongPath | Refusal::WrongMethod => Status::unimplemented(
            "only the OTLP trace, metrics and logs services' Export are served here",
        ),
        Refusal::Timeout => Status::deadline_exceeded("the message did not arrive in time"),
        Refusal::QueueFull => unavailable(),
    }
}

/// `UNAVAILABLE` for a full queue, with the delay to wait ([`RETRY_AFTER_SECS`]) as a
/// `google.rpc.RetryInfo`: in the status details (where the OTLP spec puts it) and in the
/// `google.rpc.retryinfo-bin` trailer (where the Python exporter reads it). Without it,
/// SDKs back off 1, 2, 4, 8 s and give up sooner.
fn unavailable() -> Status {
    const MESSAGE: &str = "the queue to the providers is full: send this message again later";
    let retry_info = RetryInfo {
        retry_delay: Some(Duration {
            seconds: RETRY_AFTER_SECS as i64,
            nanos: 0,
        }),
    }
    .encode_to_vec();
    let details = RpcStatus {
        code: tonic::Code::Unavailable as i32,
        message: MESSAGE.into(),
        details: vec![Any {
            type_url: RETRY_INFO_TYPE.into(),
            value: retry_info.clone(),
        }],
    };
    let mut metadata = tonic::metadata::MetadataMap::new();
    metadata.insert_bin(
        "google.rpc.retryinfo-bin",
        tonic::metadata::MetadataValue::from_bytes(&retry_info),
    );
    Status::with_details_and_metadata(
        tonic::Code::Unavailable,
        MESSAGE,
        Bytes::from(details.encode_to_vec()),
        metadata,
    )
}

/// The type URL of a `google.rpc.RetryInfo` packed in an `Any`.
const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

// The few messages of `google/protobuf/{duration,any}.proto` and
// `google/rpc/{status,error_details}.proto` a retryable answer carries, derived by prost
// from their field numbers as generated code is (opentelemetry-proto has none of them).

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
struct Duration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// `google.rpc.RetryInfo`: how long to wait before the retry.
#[derive(Clone, PartialEq, prost::Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<Duration>,
}

/// `google.protobuf.Any`: a message and its type.
#[derive(Clone, PartialEq, prost::Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// `google.rpc.Status`: what `grpc-status-details-bin` holds.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<Any>,
}

/// The Export call of one service, fed the message undecoded.
struct Export {
    signal: Signal,
    shared: Arc<Shared>,
    /// Set once tonic hands the message over: a status without it is tonic's refusal.
    reached: Arc<AtomicBool>,
}

type Answer = Pin<Box<dyn Future<Output = Result<tonic::Response<Bytes>, Status>> + Send>>;

impl UnaryService<Bytes> for Export {
    type Response = Bytes;
    type Future = Answer;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Answer {
        self.reached.store(true, Relaxed);
        let (signal, shared) = (self.signal, self.shared.clone());
        Box::pin(async move {
            let message = request.into_inner();
            let worker = shared.clone();
            let taken = tokio::task::spawn_blocking(move || match signal {
                Signal::Traces => take_traces(message, Format::Protobuf, &worker)
                    .map(|answer| answer.encode_to_vec()),
                // An empty Export*ServiceResponse encodes to no bytes.
                _ => take_records(message, Format::Protobuf, signal, &worker).map(|()| Vec::new()),
            })
            .await
            .unwrap_or(Err(Refusal::Malformed));
            match taken {
                Ok(answer) => Ok(tonic::Response::new(Bytes::from(answer))),
                Err(why) => {
                    shared.stats.refuse(why);
                    Err(status_of(why))
                }
            }
        })
    }
}

/// Passes messages through as bytes: decoding is the receiver's, after its checks.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }

    /// Room for a typical batch at once (tonic's default grows 8 KiB at a time and yields
    /// every 32 KiB).
    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::new(256 * 1024, 1024 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_is_answered_unavailable_which_sdks_retry_after_a_second() {
        let status = status_of(Refusal::QueueFull);
        assert_eq!(status.code(), tonic::Code::Unavailable);
        // RetryInfo { retry_delay: Duration { seconds: 1 } }
        let retry_info = [0x0a, 0x02, 0x08, 0x01];
        let trailer = status.metadata().get_bin("google.rpc.retryinfo-bin");
        assert_eq!(trailer.unwrap().to_bytes().unwrap().as_ref(), retry_info);
        let details = RpcStatus::decode(status.details()).unwrap();
        assert_eq!(details.code, tonic::Code::Unavailable as i32);
        assert_eq!(details.details[0].type_url, RETRY_INFO_TYPE);
        assert_eq!(details.details[0].value, retry_info);
    }
}
