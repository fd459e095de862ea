//! Attributes and values to and from OTLP's `KeyValue` and `AnyValue`.

use opentelemetry_proto::tonic::common::v1 as pb_common;

use std::borrow::Cow;

use crate::span::{Attribute, Value};

/// Attributes as OTLP key-values.
pub fn attrs_into_pb(attrs: Vec<Attribute>) -> Vec<pb_common::KeyValue> {
    attrs.into_iter().map(attr_into_pb).collect()
}

pub(super) fn attr_into_pb(attribute: Attribute) -> pb_common::KeyValue {
    pb_common::KeyValue {
        key: attribute.key.into_owned(),
        value: Some(value_into_pb(attribute.value)),
        ..Default::default()
    }
}

/// Attributes as OTLP key-values in `pb`, whose earlier key-values give their names'
/// room: a name borrowed from the tool's table ([`crate::span::keys`]) is copied into it
/// rather than allocated, and an owned one moved in.
pub(super) fn attrs_into_pb_reusing(attrs: Vec<Attribute>, pb: &mut Vec<pb_common::KeyValue>) {
    pb.truncate(attrs.len());
    let mut attrs = attrs.into_iter();
    for (kv, attribute) in pb.iter_mut().zip(attrs.by_ref()) {
        let mut key = std::mem::take(&mut kv.key);
        match attribute.key {
            Cow::Borrowed(name) => {
                key.clear();
                key.push_str(name);
            }
            Cow::Owned(name) => key = name,
        }
        *kv = pb_common::KeyValue {
            key,
            value: Some(value_into_pb(attribute.value)),
            ..Default::default()
        };
    }
    pb.extend(attrs.map(attr_into_pb));
}

/// A value as OTLP's `AnyValue`.
pub fn value_into_pb(value: Value) -> pb_common::AnyValue {
    use pb_common::any_value::Value as V;
    let v = match value {
        Value::Str(s) => V::StringValue(s),
        Value::Bool(b) => V::BoolValue(b),
        Value::Int(i) => V::IntValue(i),
        Value::Double(d) => V::DoubleValue(d),
        Value::Bytes(b) => V::BytesValue(b),
        Value::Array(items) => V::ArrayValue(pb_common::ArrayValue {
            values: items.into_iter().map(value_into_pb).collect(),
        }),
        Value::Map(entries) => V::KvlistValue(pb_common::KeyValueList {
            values: attrs_into_pb(entries),
        }),
    };
    pb_common::AnyValue { value: Some(v) }
}

/// OTLP key-values as attributes (those without a value, or with a string-table index,
/// are left out).
pub fn attrs_from_pb(attrs: Vec<pb_common::KeyValue>) -> Vec<Attribute> {
    attrs.into_iter().filter_map(attr_from_pb).collect()
}

pub(crate) fn attr_from_pb(kv: pb_common::KeyValue) -> Option<Attribute> {
    Some(Attribute {
        key: kv.key.into(),
        value: value_from_pb(kv.value?)?,
    })
}

/// OTLP's `AnyValue` as a value; `None` when it holds none.
pub fn value_from_pb(value: pb_common::AnyValue) -> Option<Value> {
    use pb_common::any_value::Value as V;
    Some(match value.value? {
        V::StringValue(s) => Value::Str(s),
        V::BoolValue(b) => Value::Bool(b),
        V::IntValue(i) => Value::Int(i),
        V::DoubleValue(d) => Value::Double(d),
        V::BytesValue(b) => Value::Bytes(b),
        V::ArrayValue(a) => Value::Array(a.values.into_iter().filter_map(value_from_pb).collect()),
        V::KvlistValue(kv) => Value::Map(attrs_from_pb(kv.values)),
        V::StringValueStrindex(_) => return None,
    })
}
