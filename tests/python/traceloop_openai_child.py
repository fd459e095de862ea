"""OpenLLMetry (`Traceloop.init()`) with its OpenAI instrumentation, calling a fake OpenAI
server on loopback (`fake_openai.py`): a workflow that asks, runs the tool the model
calls (a `@tool` span), and asks again for the final answer."""
import json

from fake_openai import WEATHER_TOOLS as TOOLS, serve
from opentelemetry import trace
from traceloop.sdk import Traceloop
from traceloop.sdk.decorators import tool, workflow

base_url = serve()
Traceloop.init(app_name="traceloop-openai", disable_batch=True)

import openai  # noqa: E402 (after the instrumentation)

client = openai.OpenAI(api_key="sk-fake", base_url=base_url)


@tool(name="get_weather")
def get_weather(city):
    return f"sunny in {city}"


@workflow(name="weather")
def ask(question):
    messages = [{"role": "user", "content": question}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]
    result = get_weather(**json.loads(call.function.arguments))
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    final = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    return final.choices[0].message.content


print(ask("What is the weather in Paris?"))
trace.get_tracer_provider().shutdown()
