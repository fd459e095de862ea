"""A child whose gRPC exporter (the OpenTelemetry SDK's own) sends one batch of more spans
than the receiver takes in a request: prints the export's result. The exporter retries the
codes it deems retryable (RESOURCE_EXHAUSTED among them, RetryInfo or not) until its
timeout; one the receiver cannot ever take should be answered so that it is sent once."""

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

memory = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(memory))
tracer = provider.get_tracer("over-caps")
for i in range(10_001):
    tracer.start_span(f"span {i}").end()
exporter = OTLPSpanExporter(timeout=8)
result = exporter.export(memory.get_finished_spans())
print(result.name)
