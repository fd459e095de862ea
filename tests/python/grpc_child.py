"""A child whose SDK exporter follows OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, as the SDK's own
auto-configuration does: `grpc` picks the gRPC exporter, anything else the HTTP one (the
argument `grpc` picks gRPC whatever the variable says, as an SDK hard-wired to it does).
Both read their endpoint from the environment the wrapper gives. Prints the exporter's
module."""
import os
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") == "grpc" or "grpc" in sys.argv[1:]:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
else:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

provider = TracerProvider(resource=Resource.create({"service.name": "grpc-child"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
tracer = provider.get_tracer("grpc-child")
with tracer.start_as_current_span("invoke_agent grpc") as agent:
    agent.set_attribute("gen_ai.operation.name", "invoke_agent")
    with tracer.start_as_current_span("chat gpt-4o-mini") as chat:
        chat.set_attribute("gen_ai.operation.name", "chat")
        chat.set_attribute("gen_ai.request.model", "gpt-4o-mini")
provider.shutdown()
print(OTLPSpanExporter.__module__)
