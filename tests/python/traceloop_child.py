"""A child traced with OpenLLMetry (`Traceloop.init()`), configured by nothing but the
environment: TRACELOOP_BASE_URL is the only endpoint it reads. A workflow span, and a
chat span under it."""
from opentelemetry import trace
from traceloop.sdk import Traceloop
from traceloop.sdk.decorators import workflow

Traceloop.init(app_name="traceloop-child", disable_batch=True)


@workflow(name="invoke_agent traceloop")
def agent():
    with trace.get_tracer("traceloop-child").start_as_current_span("chat gpt-4o-mini") as chat:
        chat.set_attribute("gen_ai.request.model", "gpt-4o-mini")


agent()
trace.get_tracer_provider().shutdown()
print("traceloop child done")
