"""An Agno agent instrumented by `openinference-instrumentation-agno`, calling a fake
OpenAI server on loopback (`fake_openai.py`): one tool call, then the final answer. It
exports with the OpenTelemetry SDK to where the wrapper points it (OTEL_EXPORTER_OTLP_*)."""
import os

os.environ["AGNO_TELEMETRY"] = "false"  # agno would post usage to its own servers

from fake_openai import serve
from openinference.instrumentation.agno import AgnoInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

base_url = serve()
provider = TracerProvider(resource=Resource.create({"service.name": "agno-agent"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
AgnoInstrumentor().instrument(tracer_provider=provider)

from agno.agent import Agent  # noqa: E402 (after the instrumentation)
from agno.models.openai import OpenAIChat  # noqa: E402


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


agent = Agent(
    name="weather",
    model=OpenAIChat(id="gpt-4o-mini", api_key="sk-fake", base_url=base_url),
    tools=[get_weather],
)
print(agent.run("What is the weather in Paris?").content)
provider.shutdown()
