"""A small agent instrumented with the OpenTelemetry Python SDK and GenAI conventions.

Configured only by the environment, as `automagik-tracing run --wrap` sets it up: the OTLP
exporter reads OTEL_EXPORTER_OTLP_ENDPOINT, and the run's trace context comes from
TRACEPARENT (the OpenTelemetry environment carrier). Pass --ignore-traceparent to act like
a program that knows nothing of it: the wrapper adopts its spans into the run anyway.

    automagik-tracing run --wrap -- python examples/python/agent_otel.py
"""
import os
import sys
import time

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

provider = TracerProvider(resource=Resource.create({"service.name": "weather-agent"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("weather-agent", "0.1.0")

token = None
if "--ignore-traceparent" not in sys.argv and "TRACEPARENT" in os.environ:
    carrier = {"traceparent": os.environ["TRACEPARENT"], "tracestate": os.environ.get("TRACESTATE", "")}
    token = context.attach(TraceContextTextMapPropagator().extract(carrier))

with tracer.start_as_current_span("invoke_agent weather") as agent:
    agent.set_attribute("gen_ai.operation.name", "invoke_agent")
    agent.set_attribute("gen_ai.agent.name", "weather")
    with tracer.start_as_current_span("chat gpt-4o-mini", kind=trace.SpanKind.CLIENT) as chat:
        chat.set_attribute("gen_ai.operation.name", "chat")
        chat.set_attribute("gen_ai.provider.name", "openai")
        chat.set_attribute("gen_ai.request.model", "gpt-4o-mini")
        chat.set_attribute("gen_ai.usage.input_tokens", 182)
        chat.set_attribute("gen_ai.usage.output_tokens", 41)
        time.sleep(0.01)
    with tracer.start_as_current_span("execute_tool get_forecast") as tool:
        tool.set_attribute("gen_ai.operation.name", "execute_tool")
        tool.set_attribute("gen_ai.tool.name", "get_forecast")
    print("It will be sunny.")

if token is not None:
    context.detach(token)
provider.shutdown()
