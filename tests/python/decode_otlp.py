"""Decodes an OTLP ExportTraceServiceRequest (protobuf, on stdin) with the official
opentelemetry-proto package and prints its spans as JSON, for comparison in Rust tests."""
import json
import sys

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind) if kind else None


def attrs(kvs):
    return {kv.key: value(kv.value) for kv in kvs}


request = ExportTraceServiceRequest()
request.ParseFromString(sys.stdin.buffer.read())
spans = []
for rs in request.resource_spans:
    for ss in rs.scope_spans:
        for s in ss.spans:
            spans.append({
                "trace_id": s.trace_id.hex(),
                "span_id": s.span_id.hex(),
                "parent_span_id": s.parent_span_id.hex(),
                "name": s.name,
                "kind": s.kind,
                "start": s.start_time_unix_nano,
                "end": s.end_time_unix_nano,
                "attributes": attrs(s.attributes),
                "events": [{"name": e.name, "attributes": attrs(e.attributes)} for e in s.events],
                "status_code": s.status.code,
                "status_message": s.status.message,
                "resource": attrs(rs.resource.attributes),
                "scope": ss.scope.name,
            })
json.dump({"spans": spans, "json": MessageToDict(request)}, sys.stdout)
