"""The Langfuse Python SDK (OpenTelemetry based) pointed at the wrapper's receiver: its
base URL is the OTEL_EXPORTER_OTLP_ENDPOINT the wrapper gives, its export path the OTLP
one. An agent observation holding two generations and a tool observation between them.
The generations report usage_details the two ways Langfuse's own integrations write them:
OpenAI's usage as it comes (`langfuse.openai`: prompt_tokens include the cached ones,
nested details), and Langfuse's keys (its LangChain handler: `input` without the
`input_cached_tokens` counted apart)."""
import os

# Set here, not for the wrapper: LANGFUSE_* keys in its environment would make the wrapper
# itself export to Langfuse.
os.environ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-fake"
os.environ["LANGFUSE_SECRET_KEY"] = "sk-lf-fake"
os.environ["LANGFUSE_BASE_URL"] = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
# The OTLP path as a user writes it: Langfuse joins the two with a slash of its own, so
# this arrives as //v1/traces, which the receiver takes as /v1/traces.
os.environ["LANGFUSE_OTEL_TRACES_EXPORT_PATH"] = "/v1/traces"
os.environ["LANGFUSE_TRACING_ENVIRONMENT"] = "test"

from langfuse import get_client  # noqa: E402

langfuse = get_client()
with langfuse.start_as_current_observation(as_type="agent", name="weather") as agent:
    with langfuse.start_as_current_observation(
        as_type="generation", name="plan", model="gpt-4o-mini"
    ) as generation:
        generation.update(
            usage_details={
                "prompt_tokens": 52,
                "completion_tokens": 12,
                "total_tokens": 64,
                "prompt_tokens_details": {"cached_tokens": 32, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            }
        )
    with langfuse.start_as_current_observation(as_type="tool", name="get_weather") as tool:
        tool.update(output="sunny in Paris")
    with langfuse.start_as_current_observation(
        as_type="generation", name="answer", model="gpt-4o-mini"
    ) as generation:
        generation.update(
            usage_details={"input": 58, "input_cached_tokens": 32, "output": 9},
            output="It is sunny in Paris.",
        )
    agent.update(output="It is sunny in Paris.")
langfuse.flush()
langfuse.shutdown()
print("It is sunny in Paris.")
