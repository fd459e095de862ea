"""Pydantic Logfire with `send_to_logfire=False`, its OpenAI instrumentation calling a
fake OpenAI server on loopback (`fake_openai.py`): a tool call, then the final answer,
within a span of the program. Logfire exports to the OTEL_EXPORTER_OTLP_ENDPOINT the
wrapper gives."""
import json

import logfire
import openai
from fake_openai import WEATHER_TOOLS as TOOLS, serve

base_url = serve()
logfire.configure(send_to_logfire=False, service_name="logfire-agent", console=False)
client = openai.OpenAI(api_key="sk-fake", base_url=base_url)
logfire.instrument_openai(client)

with logfire.span("weather agent"):
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]
    city = json.loads(call.function.arguments)["city"]
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": f"sunny in {city}"})
    final = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    print(final.choices[0].message.content)
logfire.shutdown()
