//! One batch as exporters and the spool take it: the request (spans, or log records or
//! metrics: see [`Records`]), and its protobuf body encoded once, on first use, for all
//! of them. Every OTLP exporter of a batch sends the
//! same bytes, the spool writes them, and a retry sends them again; the encoding runs
//! where the body is first needed (an export thread, or the spooler for a batch spooled
//! before any attempt), never on the engine's batching thread.
//!
//! A payload for exporters that only send the body (OTLP/HTTP) is encoded as its batch
//! is converted, span by span, on the same export thread, without a request's tree
//! ([`Payload::encoded`], `wire::encode_spans`): only the body waits in the lanes.
//! Asked for later (a 413 to split), the request is decoded back from the body.
//!
//! In the engine a payload also carries a [`Budget`]: the bytes it holds stay counted
//! against the queue's byte cap (`AUTOMAGIK_QUEUE_MAX_BYTES`) until the payload is
//! gone, delivered or spooled, so the cap bounds everything the engine holds.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

use prost::Message as _;

use super::Records;
use crate::presets::Signal;
use crate::span::span_count;

/// One batch: the request, its span count, and its protobuf body once encoded (shared by
/// every exporter, the spool and retries).
#[derive(Debug)]
pub struct Payload {
    spans: usize,
    /// The spans; empty in a payload of other records. Unset in a payload made from its
    /// body ([`encoded`](Self::encoded)), and then decoded back if asked for.
    request: OnceLock<Request>,
    /// Log records or metrics instead of spans.
    records: Option<Records>,
    protobuf: OnceLock<Bytes>,
    budget: Option<Budget>,
}

/// Bytes counted in a shared total (the engine's queued bytes) for as long as this lives.
#[derive(Debug)]
pub struct Budget {
    total: Arc<AtomicU64>,
    bytes: AtomicU64,
}

impl Budget {
    /// Takes over `bytes` already counted in `total`.
    pub fn holding(total: Arc<AtomicU64>, bytes: u64) -> Budget {
        Budget {
            total,
            bytes: AtomicU64::new(bytes),
        }
    }

    /// Counts `bytes` more in `total`, and takes them over.
    pub fn counting(total: Arc<AtomicU64>, bytes: u64) -> Budget {
        total.fetch_add(bytes, Relaxed);
        Budget::holding(total, bytes)
    }

    fn add(&self, bytes: u64) {
        self.total.fetch_add(bytes, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        self.total.fetch_sub(self.bytes.load(Relaxed), Relaxed);
    }
}

impl Payload {
    /// A payload of `request`, counted in no budget; the body is encoded on first use.
    pub fn new(request: Request) -> Payload {
        Payload {
            spans: span_count(&request),
            request: OnceLock::from(request),
            records: None,
            protobuf: OnceLock::new(),
            budget: None,
        }
    }

    /// A payload of `spans` spans whose request is `body` (`wire::encode_spans`), counted
    /// in no budget; the request is decoded from it if asked for.
    pub fn encoded(body: Bytes, spans: usize) -> Payload {
        Payload {
            spans,
            request: OnceLock::new(),
            records: None,
            protobuf: OnceLock::from(body),
            budget: None,
        }
    }

    /// A payload of log records or metrics, counted in no budget.
    pub fn of_records(records: Records) -> Payload {
        Payload {
            spans: 0,
            request: OnceLock::from(Request::default()),
            records: Some(records),
            protobuf: OnceLock::new(),
            budget: None,
        }
    }

    /// The signal it carries (and so the OTLP path it goes to).
    pub fn signal(&self) -> Signal {
        self.records
            .as_ref()
            .map_or(Signal::Traces, Records::signal)
    }

    /// What it holds in its signal's unit: spans, log records, or metric data points.
    pub fn count(&self) -> usize {
        self.records.as_ref().map_or(self.spans, Records::count)
    }

    /// The log records or metrics, when it carries no spans.
    pub fn records(&self) -> Option<&Records> {
        self.records.as_ref()
    }

    /// The same payload, its bytes (and its body's, once encoded) counted in `budget`.
    pub fn within(mut self, budget: Budget) -> Payload {
        if let Some(body) = self.protobuf.get() {
            budget.add(body.len() as u64);
        }
        self.budget = Some(budget);
        self
    }

    /// How many spans the request holds (none in a payload of other records).
    pub fn span_count(&self) -> usize {
        self.spans
    }

    /// The spans' request, for exporters that do not send protobuf (the local store) and
    /// for splitting a batch a provider found too large; empty in a payload of other
    /// records (see [`records`](Self::records)). Decoded from the body (once) in a
    /// payload made from it ([`encoded`](Self::encoded)).
    pub fn request(&self) -> &Request {
        self.request.get_or_init(|| self.decoded())
    }

    /// The request back from the body (of a payload made from it).
    fn decoded(&self) -> Request {
        let body = self.protobuf.get().cloned().unwrap_or_default();
        // Prost's encoding of a request decodes again, unless its values nest deeper than
        // prost decodes (100 levels, which the receiver refuses long before); such a
        // batch comes back empty rather than panicking an export thread.
        Request::decode(body).unwrap_or_default()
    }

    /// The request in protobuf, encoded by the first caller (others wait for it).
    pub fn protobuf(&self) -> &Bytes {
        self.protobuf.get_or_init(|| {
            let body = Bytes::from(match &self.records {
                Some(records) => records.encode(),
                None => crate::wire::encode(self.request()),
            });
            if let Some(budget) = &self.budget {
                budget.add(body.len() as u64);
            }
            body
        })
    }

    /// The request, taken out of the payload (cheap: no copy, unless made from its body).
    pub fn into_request(mut self) -> Request {
        match self.request.take() {
            Some(request) => request,
            None => self.decoded(),
        }
    }
}

impl From<Request> for Payload {
    fn from(request: Request) -> Payload {
        Payload::new(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, Span, to_request};
    use prost::Message;
    use std::sync::Arc;

    #[test]
    fn the_body_is_encoded_once_and_is_the_request() {
        let resource = Arc::new(Resource::service("t"));
        let scope = Arc::new(Scope::default());
        let spans: Vec<Span> = (0..3)
            .map(|i| Span::start(format!("s{i}"), None, resource.clone(), scope.clone()))
            .collect();
        let payload = Payload::new(to_request(&spans));
        assert_eq!(payload.span_count(), 3);
        let first = payload.protobuf().clone();
        assert_eq!(first.as_ref(), to_request(&spans).encode_to_vec());
        assert_eq!(
            first.as_ptr(),
            payload.protobuf().as_ptr(),
            "the same bytes, not encoded again"
        );
    }

    #[test]
    fn a_payload_made_from_its_body_gives_the_request_back() {
        let resource = Arc::new(Resource::service("t"));
        let scope = Arc::new(Scope::default());
        let spans: Vec<Span> = (0..3)
            .map(|i| Span::start(format!("s{i}"), None, resource.clone(), scope.clone()))
            .collect();
        let request = to_request(&spans);
        let body = Bytes::from(request.encode_to_vec());
        let total = Arc::new(AtomicU64::new(0));
        let payload = Payload::encoded(body.clone(), 3).within(Budget::holding(total.clone(), 0));
        assert_eq!(
            total.load(Relaxed),
            body.len() as u64,
            "the body is counted"
        );
        assert!(payload.request.get().is_none(), "no request held");
        assert_eq!(payload.protobuf(), &body);
        assert_eq!(payload.span_count(), 3);
        assert_eq!(payload.request(), &request, "decoded back from the body");
        drop(payload);
        assert_eq!(total.load(Relaxed), 0);
        assert_eq!(Payload::encoded(body, 3).into_request(), request);
    }

    #[test]
    fn a_budget_counts_the_body_too_and_is_released_with_the_payload() {
        let total = Arc::new(AtomicU64::new(100));
        let resource = Arc::new(Resource::service("t"));
        let span = Span::start("s", None, resource, Arc::new(Scope::default()));
        let payload = Payload::new(to_request(&[span])).within(Budget::holding(total.clone(), 100));
        let body = payload.protobuf().len() as u64;
        assert_eq!(total.load(Relaxed), 100 + body);
        let other = Budget::counting(total.clone(), 7);
        assert_eq!(total.load(Relaxed), 107 + body);
        drop(payload);
        assert_eq!(total.load(Relaxed), 7);
        drop(other);
        assert_eq!(total.load(Relaxed), 0);
    }
}
