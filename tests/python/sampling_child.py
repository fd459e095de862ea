"""A wrapped child for whole-trace sampling: two traces of its own (new roots, adopted
under the run span), each span exported as it ends (SimpleSpanProcessor), the parents
first, so the wrapper must hold them until it knows whether the trace matters.

    sampling_child.py error CODE   the first trace's innermost span fails
    sampling_child.py slow CODE    the first trace's innermost span lasts 2 s (its parents
                                   do not: it outlives them, like a task left running)

The second trace ("quiet agent" > "quiet step") neither fails nor is slow. Exits CODE.
"""
import sys
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

mode, code = sys.argv[1], int(sys.argv[2])
provider = TracerProvider(resource=Resource.create({"service.name": "sampled-agent"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
tracer = provider.get_tracer("sampling-child", "0.1.0")
MS = 1_000_000
t0 = time.time_ns()


def start(name, parent, at_ms):
    context = trace.set_span_in_context(parent) if parent is not None else None
    return tracer.start_span(name, context=context, start_time=t0 + at_ms * MS)


def first_trace():
    root = start("busy agent", None, 0)
    think = start("think", root, 1)
    step = start("plan step", root, 3)
    inner = start("call tool" if mode == "error" else "slow tool", step, 4)
    # Parents end (and are exported) first.
    root.end(end_time=t0 + 10 * MS)
    think.end(end_time=t0 + 3 * MS)
    step.end(end_time=t0 + 9 * MS)
    if mode == "error":
        inner.set_status(Status(StatusCode.ERROR, "the tool failed"))
        inner.end(end_time=t0 + 8 * MS)
    else:
        inner.end(end_time=t0 + 2004 * MS)


def second_trace():
    root = start("quiet agent", None, 0)
    step = start("quiet step", root, 1)
    step.end(end_time=t0 + 9 * MS)
    root.end(end_time=t0 + 10 * MS)


second_trace()
first_trace()
provider.shutdown()
sys.exit(code)
