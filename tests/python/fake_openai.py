"""A fake OpenAI chat-completions server on loopback, for the golden tests: the first
request that offers tools is answered with a call to the first tool; a request that
carries the tool's result (or offers no tool) gets the final answer. Every answer
carries `usage`, with fixed counts the tests price. Stdlib only; runs in a thread of the
child that uses it, so it ends with the child.

    from fake_openai import WEATHER_TOOLS, serve
    base_url = serve()  # http://127.0.0.1:PORT/v1
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "gpt-4o-mini-2024-07-18"
# (prompt, completion) tokens of the tool call, then of the final answer.
TOOL_CALL_USAGE = (52, 12)
ANSWER_USAGE = (90, 9)
ANSWER = "It is sunny in Paris."
# Prompt tokens of each call read from OpenAI's prompt cache (included in prompt_tokens).
CACHED = 32
# The one tool the children offer in OpenAI's chat-completions shape.
WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def usage(prompt, completion):
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": CACHED, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def completion(request):
    """The answer to one chat-completions request."""
    messages = request.get("messages", [])
    tools = request.get("tools") or []
    answered = any(m.get("role") == "tool" for m in messages)
    if tools and not answered:
        name = tools[0]["function"]["name"]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps({"city": "Paris"})},
                }
            ],
        }
        finish, counts = "tool_calls", TOOL_CALL_USAGE
    else:
        message = {"role": "assistant", "content": ANSWER}
        finish, counts = "stop", ANSWER_USAGE
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": usage(*counts),
        "system_fingerprint": "fp_fake",
    }


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.endswith("/chat/completions") or request.get("stream"):
            self.send_error(400, "only non-streaming chat completions")
            return
        body = json.dumps(completion(request)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve():
    """Starts the server on a free loopback port; returns its base URL (with `/v1`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/v1"
