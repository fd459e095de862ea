"""A child traced with Arize Phoenix's helper, `phoenix.otel.register()`, configured by
nothing but the environment (PHOENIX_COLLECTOR_ENDPOINT, PHOENIX_GRPC_PORT or the
OTEL_EXPORTER_OTLP_ENDPOINT it falls back to). Pass `http` to ask it for HTTP instead of
the gRPC it picks by default."""
import sys

from phoenix.otel import register

protocol = "http/protobuf" if "http" in sys.argv[1:] else None
provider = register(project_name="phoenix-child", protocol=protocol, verbose=False)
tracer = provider.get_tracer("phoenix-child")
with tracer.start_as_current_span("invoke_agent phoenix") as agent:
    agent.set_attribute("gen_ai.operation.name", "invoke_agent")
    with tracer.start_as_current_span("chat gpt-4o-mini") as chat:
        chat.set_attribute("gen_ai.request.model", "gpt-4o-mini")
provider.shutdown()
print("phoenix child done")
