//! Attribute values nested too deep for the local store: arrays and maps inside each
//! other beyond [`MAX_VALUE_DEPTH`] levels are replaced by a note, so every line the store
//! writes is one its reader can read.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};

/// How deeply an attribute value may nest (arrays and maps inside each other) in a stored
/// line; deeper levels are replaced by a note. Far beyond what instrumentations write
/// (and than an OTLP request decodes to), and shallow enough that the line stays within
/// what the reader follows (`MAX_JSON_DEPTH` in `crate::traces`).
pub const MAX_VALUE_DEPTH: usize = 200;

/// A copy of `request` with attribute values nested deeper than [`MAX_VALUE_DEPTH`] cut
/// there; `None` when none is (the usual case: nothing is copied).
pub fn cut_too_deep(request: &ExportTraceServiceRequest) -> Option<ExportTraceServiceRequest> {
    let too_deep = attribute_lists(request)
        .flatten()
        .any(|a| deeper_than(a.value.as_ref(), MAX_VALUE_DEPTH));
    if !too_deep {
        return None;
    }
    let mut request = request.clone();
    for_each_attribute_list(&mut request, &mut |attrs| {
        for value in attrs.iter_mut().filter_map(|a| a.value.as_mut()) {
            cut_at(value, MAX_VALUE_DEPTH);
        }
    });
    Some(request)
}

/// Every attribute list of the request: resources', scopes', spans', events' and links'.
fn attribute_lists(request: &ExportTraceServiceRequest) -> impl Iterator<Item = &Vec<KeyValue>> {
    request.resource_spans.iter().flat_map(|rs| {
        let scopes = rs.scope_spans.iter().flat_map(|ss| {
            let spans = ss.spans.iter().flat_map(|span| {
                std::iter::once(&span.attributes)
                    .chain(span.events.iter().map(|e| &e.attributes))
                    .chain(span.links.iter().map(|l| &l.attributes))
            });
            ss.scope.iter().map(|s| &s.attributes).chain(spans)
        });
        rs.resource.iter().map(|r| &r.attributes).chain(scopes)
    })
}

/// Calls `visit` with each list [`attribute_lists`] yields, to change it.
fn for_each_attribute_list(
    request: &mut ExportTraceServiceRequest,
    visit: &mut dyn FnMut(&mut Vec<KeyValue>),
) {
    for rs in &mut request.resource_spans {
        if let Some(resource) = &mut rs.resource {
            visit(&mut resource.attributes);
        }
        for ss in &mut rs.scope_spans {
            if let Some(scope) = &mut ss.scope {
                visit(&mut scope.attributes);
            }
            for span in &mut ss.spans {
                visit(&mut span.attributes);
                for event in &mut span.events {
                    visit(&mut event.attributes);
                }
                for link in &mut span.links {
                    visit(&mut link.attributes);
                }
            }
        }
    }
}

/// The value holds more than `levels` arrays or maps inside each other.
fn deeper_than(value: Option<&AnyValue>, levels: usize) -> bool {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::ArrayValue(array)) => {
            levels == 0
                || array
                    .values
                    .iter()
                    .any(|v| deeper_than(Some(v), levels - 1))
        }
        Some(any_value::Value::KvlistValue(list)) => {
            levels == 0
                || list
                    .values
                    .iter()
                    .any(|kv| deeper_than(kv.value.as_ref(), levels - 1))
        }
        _ => false,
    }
}

/// Replaces the arrays and maps below `levels` of them by a note saying so.
fn cut_at(value: &mut AnyValue, levels: usize) {
    let nested = matches!(
        value.value,
        Some(any_value::Value::ArrayValue(_) | any_value::Value::KvlistValue(_))
    );
    if nested && levels == 0 {
        value.value = Some(any_value::Value::StringValue(format!(
            "[nested deeper than {MAX_VALUE_DEPTH} levels: cut]"
        )));
        return;
    }
    match &mut value.value {
        Some(any_value::Value::ArrayValue(array)) => {
            for v in &mut array.values {
                cut_at(v, levels - 1);
            }
        }
        Some(any_value::Value::KvlistValue(list)) => {
            for v in list.values.iter_mut().filter_map(|kv| kv.value.as_mut()) {
                cut_at(v, levels - 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, Span, Value, to_request};
    use std::sync::Arc;

    #[test]
    fn values_nested_deeper_than_the_limit_are_cut_and_the_rest_kept() {
        let mut value = Value::from("bottom");
        for _ in 0..MAX_VALUE_DEPTH + 5 {
            value = Value::Array(vec![value]);
        }
        let mut span = Span::start(
            "s",
            None,
            Arc::new(Resource::service("t")),
            Arc::new(Scope::default()),
        );
        span.set("deep", value).set("flat", "kept");
        let request = to_request(&[span]);
        assert!(cut_too_deep(&to_request(&[])).is_none());
        let cut = cut_too_deep(&request).expect("too deep");
        let attrs = &cut.resource_spans[0].scope_spans[0].spans[0].attributes;
        assert!(!deeper_than(attrs[0].value.as_ref(), MAX_VALUE_DEPTH));
        assert!(
            serde_json::to_string(&cut)
                .unwrap()
                .contains("levels: cut]")
        );
        assert_eq!(
            attrs[1].value,
            request.resource_spans[0].scope_spans[0].spans[0].attributes[1].value
        );
    }
}
