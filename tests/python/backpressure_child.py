"""Sends argv[1] batches of argv[2] spans (each with a 2 KB value), one batch after another,
through the official OTLP/HTTP span exporter (the gRPC one when argv[4] is `grpc`) to the
endpoint the wrapper gives, faster than a small queue drains. Prints what the exporter made of it as JSON: each export's
result, and how many times it was told to retry and after what delay (its own
"Transient error" warnings), then exits with argv[3], the code the wrapper must pass on."""
import json
import logging
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

batches, per_batch, code = (int(a) for a in sys.argv[1:4])
if sys.argv[4:] == ["grpc"]:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
else:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter


class Retries(logging.Handler):
    """Keeps the delay of each retry the exporter announces ("... retrying in 1.00s.")."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.delays = []

    def emit(self, record):
        message = record.getMessage()
        if "Transient error" in message:
            self.delays.append(float(message.split("retrying in ")[1].split("s")[0]))


class Collect(SpanProcessor):
    """Keeps ended spans, to be exported in batches by hand."""

    def __init__(self):
        self.spans = []

    def on_end(self, span):
        self.spans.append(span)


retries = Retries()
logging.getLogger("opentelemetry.exporter.otlp").addHandler(retries)
collect = Collect()
provider = TracerProvider(resource=Resource.create({"service.name": "backpressure-child"}))
provider.add_span_processor(collect)
tracer = provider.get_tracer("backpressure")
for i in range(batches * per_batch):
    with tracer.start_as_current_span(f"work {i}") as span:
        span.set_attribute("payload", "x" * 2000)
        span.set_attribute("index", i)

exporter = OTLPSpanExporter()
results = []
for b in range(batches):
    batch = collect.spans[b * per_batch:(b + 1) * per_batch]
    results.append(exporter.export(batch).name)
exporter.shutdown()
json.dump({"results": results, "retries": len(retries.delays), "delays": retries.delays}, sys.stdout)
sys.stdout.flush()
sys.exit(code)
