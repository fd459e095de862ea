"""Sends a small trace with the official OpenTelemetry Python SDK and its OTLP/HTTP
exporter to the URL in argv[1], then prints what it sent as JSON (hex ids)."""
import json
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

provider = TracerProvider(resource=Resource.create({"service.name": "python-agent"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1])))
tracer = provider.get_tracer("interop-test", "1.2.3")

sent = []
with tracer.start_as_current_span("invoke_agent helper") as root:
    root.set_attribute("gen_ai.operation.name", "invoke_agent")
    root.set_attribute("gen_ai.agent.name", "helper")
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as chat:
        chat.set_attribute("gen_ai.request.model", "gpt-4o")
        chat.set_attribute("gen_ai.usage.input_tokens", 12)
        chat.set_attribute("gen_ai.request.temperature", 0.5)
        chat.set_attribute("stream", False)
        chat.set_attribute("tags", ["a", "b"])
        chat.add_event("exception", {"exception.type": "ValueError"})
        chat.set_status(Status(StatusCode.ERROR, "boom"))
    for span in (chat, root):
        ctx = span.get_span_context()
        parent = span.parent.span_id if span.parent else 0
        sent.append({
            "trace_id": format(ctx.trace_id, "032x"),
            "span_id": format(ctx.span_id, "016x"),
            "parent_span_id": format(parent, "016x") if parent else "",
            "name": span.name,
        })
provider.shutdown()
json.dump(sent, sys.stdout)
