"""A child that sends all three signals with the SDK's own exporters, over OTLP/HTTP or
(argument `grpc`) OTLP/gRPC, to the endpoint the wrapper gives: a span, a log record
inside it (its body and an attribute carry a prompt, which is content), and a counter.
Prints the span's trace id and span id."""
import logging
import sys

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

if "grpc" in sys.argv[1:]:
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
else:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

resource = Resource.create({"service.name": "signals-child"})
tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
# A long interval: the counter is sent once, at shutdown.
reader = PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=600_000)
meter_provider = MeterProvider(resource=resource, metric_readers=[reader])

log = logging.getLogger("signals-child")
log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))
log.setLevel(logging.INFO)
log.propagate = False
counter = meter_provider.get_meter("signals-child").create_counter("prompts.sent")

tracer = tracer_provider.get_tracer("signals-child")
with tracer.start_as_current_span("chat gpt-4o-mini") as span:
    span.set_attribute("gen_ai.operation.name", "chat")
    span.set_attribute("gen_ai.request.model", "gpt-4o-mini")
    log.info(
        "prompt sent: write to bob@example.com",
        extra={"gen_ai.prompt": "hello bob@example.com", "gen_ai.request.model": "gpt-4o-mini"},
    )
    counter.add(1, {"gen_ai.request.model": "gpt-4o-mini", "prompt.text": "secret words"})
    context = span.get_span_context()
    print(f"{context.trace_id:032x} {context.span_id:016x}")

tracer_provider.shutdown()
logger_provider.shutdown()
meter_provider.shutdown()
