//! Log records and metrics as the engine carries them: the OTLP requests a child sent,
//! kept in their protobuf types, tagged with their signal, merged into batches, counted
//! (log records; metric data points) and encoded by prost.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric::Data};
use prost::Message as _;

use crate::presets::Signal;

/// A request of log records or of metrics (spans travel as spans: see `span`).
#[derive(Debug, Clone, PartialEq)]
pub enum Records {
    /// Log records, as `/v1/logs` takes them.
    Logs(ExportLogsServiceRequest),
    /// Metrics, as `/v1/metrics` takes them.
    Metrics(ExportMetricsServiceRequest),
}

impl Records {
    /// Which signal it carries.
    pub fn signal(&self) -> Signal {
        match self {
            Records::Logs(_) => Signal::Logs,
            Records::Metrics(_) => Signal::Metrics,
        }
    }

    /// What it holds, in the unit the engine counts: log records, or metric data points.
    pub fn count(&self) -> usize {
        match self {
            Records::Logs(request) => request
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .map(|s| s.log_records.len())
                .sum(),
            Records::Metrics(request) => request
                .resource_metrics
                .iter()
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics)
                .map(data_points)
                .sum(),
        }
    }

    /// Its size in protobuf, without encoding it.
    pub fn encoded_len(&self) -> usize {
        match self {
            Records::Logs(request) => request.encoded_len(),
            Records::Metrics(request) => request.encoded_len(),
        }
    }

    /// The request in protobuf.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Records::Logs(request) => request.encode_to_vec(),
            Records::Metrics(request) => request.encode_to_vec(),
        }
    }

    /// A request of `signal` from protobuf; `None` for traces or bytes that are not one.
    pub fn decode(signal: Signal, bytes: &[u8]) -> Option<Records> {
        match signal {
            Signal::Traces => None,
            Signal::Logs => ExportLogsServiceRequest::decode(bytes)
                .ok()
                .map(Records::Logs),
            Signal::Metrics => ExportMetricsServiceRequest::decode(bytes)
                .ok()
                .map(Records::Metrics),
        }
    }

    /// Adds `other`'s content to this request when both carry the same signal; gives
    /// `other` back otherwise.
    pub fn absorb(&mut self, other: Records) -> Option<Records> {
        match (self, other) {
            (Records::Logs(mine), Records::Logs(theirs)) => {
                mine.resource_logs.extend(theirs.resource_logs);
                None
            }
            (Records::Metrics(mine), Records::Metrics(theirs)) => {
                mine.resource_metrics.extend(theirs.resource_metrics);
                None
            }
            (_, other) => Some(other),
        }
    }
}

/// The data points of one metric, whatever its kind.
fn data_points(metric: &Metric) -> usize {
    match &metric.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use opentelemetry_proto::tonic::metrics::v1::{
        NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
    };

    pub fn text(s: &str) -> Option<AnyValue> {
        Some(AnyValue {
            value: Some(Value::StringValue(s.into())),
        })
    }

    pub fn attribute(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: text(value),
            ..Default::default()
        }
    }

    /// Log records with `body`, an attribute `gen_ai.prompt` = `body` and one
    /// `gen_ai.request.model` = `gpt-4o`, in trace `trace_id` (span `span_id`).
    pub fn logs(bodies: &[&str], trace_id: [u8; 16], span_id: [u8; 8]) -> Records {
        let log_records = bodies
            .iter()
            .map(|body| LogRecord {
                time_unix_nano: 1_700_000_000_000_000_000,
                body: text(body),
                attributes: vec![
                    attribute("gen_ai.prompt", body),
                    attribute("gen_ai.request.model", "gpt-4o"),
                ],
                trace_id: trace_id.to_vec(),
                span_id: span_id.to_vec(),
                ..Default::default()
            })
            .collect();
        Records::Logs(ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }

    /// One counter with `points` data points, each with a `note` attribute.
    pub fn metrics(points: usize, note: &str) -> Records {
        let data_points = (0..points)
            .map(|i| NumberDataPoint {
                attributes: vec![attribute("note", note)],
                value: Some(
                    opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(
                        i as i64,
                    ),
                ),
                ..Default::default()
            })
            .collect();
        Records::Metrics(ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "prompts".into(),
                        data: Some(Data::Sum(Sum {
                            data_points,
                            ..Default::default()
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{logs, metrics};
    use super::*;

    #[test]
    fn counts_log_records_and_data_points_and_merges_only_its_own_signal() {
        let mut batch = logs(&["a", "b"], [1; 16], [2; 8]);
        assert_eq!(batch.count(), 2);
        assert!(batch.absorb(logs(&["c"], [1; 16], [2; 8])).is_none());
        assert_eq!(batch.count(), 3);
        let other = batch.absorb(metrics(4, "x")).expect("given back");
        assert_eq!((other.signal(), other.count()), (Signal::Metrics, 4));
        assert_eq!(batch.count(), 3);
    }

    #[test]
    fn decodes_what_it_encodes_for_its_signal_only() {
        let batch = metrics(2, "x");
        let bytes = batch.encode();
        assert_eq!(bytes.len(), batch.encoded_len());
        assert_eq!(Records::decode(Signal::Metrics, &bytes), Some(batch));
        assert_eq!(Records::decode(Signal::Traces, &bytes), None);
    }
}
