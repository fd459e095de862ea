//! Masking log records and metrics as spans are masked. A log record's body is content
//! (under `content` it is masked whatever it holds; `patterns` redacts in it); its
//! attributes, and the attributes of metric data points and their exemplars, are masked as
//! span attributes are, key by key. Resource attributes, scopes, metric names, ids, times,
//! severities, event names and numbers stay.

use std::panic::{AssertUnwindSafe, catch_unwind};

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{Exemplar, Metric, metric::Data};

use super::{MaskError, MaskMode, Masker, Treatment, mask_value, redact_in_place};
use crate::export::Records;
use crate::span::{attrs_from_pb, attrs_into_pb, value_from_pb, value_into_pb};

impl Masker {
    /// Masks log records or metrics in place, as this mode says, and removes what cannot
    /// be masked (a log record, or a metric with all its points: masking fails closed);
    /// returns how many log records or data points were removed.
    pub fn mask_records(&self, records: &mut Records) -> usize {
        if self.mode() == MaskMode::None {
            return 0;
        }
        let before = records.count();
        let masked = |f: &mut dyn FnMut() -> Result<(), MaskError>| {
            catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(MaskError::Panicked))
        };
        match records {
            Records::Logs(request) => {
                for scope in request
                    .resource_logs
                    .iter_mut()
                    .flat_map(|r| &mut r.scope_logs)
                {
                    scope
                        .log_records
                        .retain_mut(|record| masked(&mut || self.mask_log(record)).is_ok());
                }
            }
            Records::Metrics(request) => {
                for scope in request
                    .resource_metrics
                    .iter_mut()
                    .flat_map(|r| &mut r.scope_metrics)
                {
                    scope
                        .metrics
                        .retain_mut(|metric| masked(&mut || self.mask_metric(metric)).is_ok());
                }
            }
        }
        before - records.count()
    }

    fn mask_log(&self, record: &mut LogRecord) -> Result<(), MaskError> {
        if let Some(body) = record.body.take() {
            let treatment = match self.mode() {
                MaskMode::Patterns => Treatment::Keep,
                _ => Treatment::Mask,
            };
            record.body = Some(mask_any(body, treatment)?);
        }
        self.mask_key_values(&mut record.attributes)
    }

    fn mask_metric(&self, metric: &mut Metric) -> Result<(), MaskError> {
        redact_in_place(&mut metric.description);
        let Some(data) = metric.data.as_mut() else {
            return Ok(());
        };
        match data {
            Data::Gauge(g) => {
                for p in &mut g.data_points {
                    self.mask_point(&mut p.attributes, &mut p.exemplars)?;
                }
            }
            Data::Sum(s) => {
                for p in &mut s.data_points {
                    self.mask_point(&mut p.attributes, &mut p.exemplars)?;
                }
            }
            Data::Histogram(h) => {
                for p in &mut h.data_points {
                    self.mask_point(&mut p.attributes, &mut p.exemplars)?;
                }
            }
            Data::ExponentialHistogram(h) => {
                for p in &mut h.data_points {
                    self.mask_point(&mut p.attributes, &mut p.exemplars)?;
                }
            }
            Data::Summary(s) => {
                for p in &mut s.data_points {
                    self.mask_point(&mut p.attributes, &mut [])?;
                }
            }
        }
        Ok(())
    }

    /// A data point's attributes and its exemplars' attributes.
    fn mask_point(
        &self,
        attributes: &mut Vec<KeyValue>,
        exemplars: &mut [Exemplar],
    ) -> Result<(), MaskError> {
        self.mask_key_values(attributes)?;
        for exemplar in exemplars {
            self.mask_key_values(&mut exemplar.filtered_attributes)?;
        }
        Ok(())
    }

    /// OTLP key-values masked as span attributes are (through the same attribute model).
    fn mask_key_values(&self, values: &mut Vec<KeyValue>) -> Result<(), MaskError> {
        let mut attributes = attrs_from_pb(std::mem::take(values));
        self.mask_attrs(&mut attributes)?;
        *values = attrs_into_pb(attributes);
        Ok(())
    }
}

/// An `AnyValue` masked as a value under a key of `treatment`.
fn mask_any(value: AnyValue, treatment: Treatment) -> Result<AnyValue, MaskError> {
    let Some(mut value) = value_from_pb(value) else {
        return Ok(AnyValue::default());
    };
    mask_value(&mut value, treatment, 0)?;
    Ok(value_into_pb(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::records::fixtures::{logs, metrics};
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;

    fn texts(records: &Records) -> Vec<String> {
        let mut out = Vec::new();
        let text = |v: &Option<AnyValue>| match v.as_ref().and_then(|v| v.value.as_ref()) {
            Some(V::StringValue(s)) => s.clone(),
            other => format!("{other:?}"),
        };
        match records {
            Records::Logs(request) => {
                for record in request
                    .resource_logs
                    .iter()
                    .flat_map(|r| &r.scope_logs)
                    .flat_map(|s| &s.log_records)
                {
                    out.push(text(&record.body));
                    out.extend(record.attributes.iter().map(|a| text(&a.value)));
                }
            }
            Records::Metrics(request) => {
                for metric in request
                    .resource_metrics
                    .iter()
                    .flat_map(|r| &r.scope_metrics)
                    .flat_map(|s| &s.metrics)
                {
                    if let Some(Data::Sum(sum)) = &metric.data {
                        for point in &sum.data_points {
                            out.extend(point.attributes.iter().map(|a| text(&a.value)));
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn content_masks_a_log_body_and_its_content_attributes_and_keeps_structure() {
        let mut batch = logs(&["mail bob@example.com"], [1; 16], [2; 8]);
        let failed = Masker::new(MaskMode::Content, &[]).mask_records(&mut batch);
        assert_eq!(failed, 0);
        assert_eq!(
            texts(&batch),
            ["[MASKED len=20]", "[MASKED len=20]", "gpt-4o"]
        );
    }

    #[test]
    fn patterns_redacts_in_a_log_body_and_none_changes_nothing() {
        let original = logs(&["mail bob@example.com"], [1; 16], [2; 8]);
        let mut batch = original.clone();
        Masker::new(MaskMode::Patterns, &[]).mask_records(&mut batch);
        assert_eq!(texts(&batch)[0], "mail [REDACTED:email]");
        let mut untouched = original.clone();
        Masker::new(MaskMode::None, &[]).mask_records(&mut untouched);
        assert_eq!(untouched, original);
    }

    #[test]
    fn content_masks_string_attributes_of_metric_points() {
        let mut batch = metrics(2, "secret words");
        Masker::new(MaskMode::Content, &[]).mask_records(&mut batch);
        assert_eq!(texts(&batch), ["[MASKED len=12]", "[MASKED len=12]"]);
        assert_eq!(batch.count(), 2);
    }
}
