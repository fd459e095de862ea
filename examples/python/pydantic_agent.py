"""A PydanticAI agent on its offline TestModel, with OpenTelemetry instrumentation on.

Configured only by the environment that `automagik-tracing run --wrap` hands it (the OTLP
exporter reads OTEL_EXPORTER_OTLP_ENDPOINT; the run's context comes from TRACEPARENT).

    automagik-tracing run --wrap -- python examples/python/pydantic_agent.py

With `--openinference`, the spans also get OpenInference's attributes (span kind, model
name, input and output values) from `openinference-instrumentation-pydantic-ai`, as Phoenix
and Arize read them. `--model NAME` names the test model as a real one (`gpt-4o-mini`), so
backends that price by model name show a cost.
"""
import os
import sys

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel

provider = TracerProvider(resource=Resource.create({"service.name": "pydantic-agent"}))
if "--openinference" in sys.argv[1:]:
    from openinference.instrumentation.pydantic_ai import OpenInferenceSpanProcessor

    # Before the exporter's processor: it adds its attributes to each span as it ends.
    provider.add_span_processor(OpenInferenceSpanProcessor())
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)

if "TRACEPARENT" in os.environ:
    context.attach(TraceContextTextMapPropagator().extract({"traceparent": os.environ["TRACEPARENT"]}))

Agent.instrument_all(True)
args = sys.argv[1:]
model_name = args[args.index("--model") + 1] if "--model" in args[:-1] else "test"
agent = Agent(TestModel(model_name=model_name), name="weather", system_prompt="You are a weather bot.")


@agent.tool_plain
def get_forecast(city: str) -> str:
    """The forecast for a city."""
    return f"Sunny in {city}"


result = agent.run_sync("What is the weather in Lisbon? SECRET-PROMPT-TEXT")
print(result.output)
provider.shutdown()
