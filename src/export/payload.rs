//! One batch as exporters and the spool take it: the request, and its protobuf body
//! encoded once, on first use, for all of them. Every OTLP exporter of a batch sends the
//! same bytes, the spool writes them, and a retry sends them again; the encoding runs on
//! the export threads, in parallel, not on the engine's batching thread.

use std::sync::OnceLock;

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

use crate::span::span_count;

#[derive(Debug)]
pub struct Payload {
    spans: usize,
    request: Request,
    protobuf: OnceLock<Bytes>,
}

impl Payload {
    pub fn new(request: Request) -> Payload {
        Payload {
            spans: span_count(&request),
            request,
            protobuf: OnceLock::new(),
        }
    }

    pub fn span_count(&self) -> usize {
        self.spans
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The request in protobuf, encoded by the first caller (others wait for it).
    pub fn protobuf(&self) -> &Bytes {
        self.protobuf
            .get_or_init(|| Bytes::from(crate::wire::encode(&self.request)))
    }

    pub fn into_request(self) -> Request {
        self.request
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
}
