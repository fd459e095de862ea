"""Calls the receiver's gRPC services with raw messages (grpcio, no OpenTelemetry SDK) and
prints the status code of each call as JSON: a good export, gzip, too many spans, garbage,
a logs export, an unknown method."""
import json
import os
from urllib.parse import urlparse

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"

channel = grpc.insecure_channel(urlparse(os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]).netloc)


def call(method, body, compression=None):
    export = channel.unary_unary(method)
    try:
        export(body, timeout=20, compression=compression)
        return "OK"
    except grpc.RpcError as err:
        return err.code().name


def request(spans):
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])]
    ).SerializeToString()


good = request([Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="probe good",
                     start_time_unix_nano=1, end_time_unix_nano=2)])
print(json.dumps({
    "good": call(TRACES, good),
    "gzip": call(TRACES, good, grpc.Compression.Gzip),
    "too_many_spans": call(TRACES, request([Span() for _ in range(10_001)])),
    "too_large": call(TRACES, b"\x00" * (17 << 20)),
    "garbage": call(TRACES, b"\xff\xff\xff garbage"),
    "logs": call(LOGS, b""),
    "unknown": call("/foo.Bar/Baz", b""),
    "after": call(TRACES, good),
}))
