//! What the receiver does with a decompressed request body, HTTP and gRPC alike: a trace
//! request is counted, given room in the engine's queue and decoded into spans for the
//! sink (`take_traces`); log records and metrics are checked and handed to the engine
//! (`take_records`).

use std::sync::atomic::Ordering::Relaxed;

use hyper::body::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

use super::{Refusal, Shared};
use crate::export::Records;
use crate::presets::Signal;
use crate::span::into_spans;
use crate::wrap::room::{self, TraceRoom};
use crate::wrap::{decode, scan};

/// How a request body is encoded, as its content type says.
#[derive(Clone, Copy, PartialEq)]
pub(in crate::wrap) enum Format {
    Protobuf,
    Json,
}

/// Checks a decompressed trace request's counts and the queue's room for it, decodes it
/// and hands its spans to the sink (HTTP and gRPC alike); the answer says how many spans
/// were invalid. Blocking.
pub(in crate::wrap) fn take_traces(
    body: Bytes,
    format: Format,
    shared: &Shared,
) -> std::result::Result<ExportTraceServiceResponse, Refusal> {
    let queue = shared.queue.as_ref();
    let (spans, invalid, held) = match format {
        Format::Protobuf => {
            // Counted down to its spans here, each span's contents as it is decoded.
            let mut counted = scan::count_envelope(&body)?;
            let mut room = TraceRoom::take(queue, body.len(), counted)?;
            let (spans, invalid) = decode::spans_of(body, &mut counted, &mut room)?;
            (spans, invalid, room.into_held())
        }
        Format::Json => {
            scan::check_json(&body)?;
            let held = room::make_room(queue, room::trace_estimate(body.len(), None), 0)?;
            let request = serde_json::from_slice::<ExportTraceServiceRequest>(&body);
            drop(body);
            let (spans, invalid) = into_spans(request.map_err(|_| Refusal::Malformed)?);
            (spans, invalid, held)
        }
    };
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
pub(in crate::wrap) fn take_records(
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
    if let (Records::Logs(request), Some(tap)) = (&records, &shared.log_tap) {
        tap(request);
    }
    // The room taken for them goes with them, as a trace request's does.
    (shared.records)(records, held.hand_over());
    Ok(())
}

/// Counts what a body of log records or metrics would decode into ([`scan`]) and refuses
/// it when that is too much.
fn check(body: &[u8], format: Format, signal: Signal) -> std::result::Result<(), Refusal> {
    match format {
        Format::Protobuf => scan::count_protobuf_of(signal, body).map(|_| ()),
        Format::Json => scan::check_json(body),
    }
    .map_err(Refusal::from)
}
