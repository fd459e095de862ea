"""A fake model API on loopback for the coding-agent tests: each dialect answers a first
turn with one shell tool call (`echo hi`) and, once the request carries the tool's result,
a final text, both with token usage. Python standard library only.

Dialects, one method each (`answer_<dialect>`), chosen by path:
- Anthropic Messages (`POST /v1/messages`, streaming SSE or not): Claude Code.
- Gemini (`POST /v1beta/models/M:generateContent` and `:streamGenerateContent?alt=sse`).
- OpenAI Responses (`POST /v1/responses`, streaming SSE): Codex. Not a method named
  `responses`: BaseHTTPRequestHandler has a class attribute of that name.
- A request whose messages hold `REFUSE-ME` gets a 400 (Anthropic's error shape).
- `GET .../models` gets an empty model list (Codex asks for it).
- Anything else gets `{}` with 200 (an agent's side requests must not fail the run, such
  as Codex's `POST /v1/analytics/codex/turn-costs`).
A new dialect is one more `answer_*` method and one line in `route`.

Run: `python3 fake_models.py LOG`: prints the port on the first line of stdout, then
serves until killed; every request is appended to LOG as one JSON line
(`{"path": ..., "body": ...}`), so a test can see what the agent asked.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOL_COMMAND = "echo hi"
# A prompt with this word is refused (400), so a test can see the agent fail.
REFUSE_WORD = "REFUSE-ME"
FINAL_TEXT = "The command printed hi."
USAGE = {"input": 120, "output": 30, "cache_read": 40, "cache_write": 10}
# The OpenAI model Codex is run with (priced by genai-prices).
OPENAI_MODEL = "gpt-5-mini"

LOG_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.split("?")[0].endswith("/models"):
            self.send_json({"object": "list", "data": [], "models": []})
        else:
            self.send_json({})

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with LOG_LOCK, open(self.server.log_path, "a") as log:
            log.write(json.dumps({"path": self.path, "body": body}) + "\n")
        self.route(body)

    def route(self, body):
        path = self.path.split("?")[0]
        if path.endswith("/v1/messages"):
            self.answer_anthropic(body)
        elif ":streamGenerateContent" in path or ":generateContent" in path:
            self.answer_gemini(body, streaming=":stream" in path)
        elif path.endswith("/v1/responses"):
            self.answer_openai(body)
        else:
            self.send_json({})

    # --- Anthropic Messages -------------------------------------------------------------

    def answer_anthropic(self, body):
        if REFUSE_WORD in json.dumps(body.get("messages")):
            self.send_json({"type": "error", "error": {
                "type": "invalid_request_error", "message": "refused by the fake server",
            }}, status=400)
            return
        wants_tool = anthropic_has_tool(body, "Bash") and not anthropic_has_result(body)
        model = body.get("model", "claude-sonnet-4-5")
        if wants_tool:
            block = {"type": "tool_use", "id": "toolu_fake_1", "name": "Bash", "input": {}}
            delta = {
                "type": "input_json_delta",
                "partial_json": json.dumps({"command": TOOL_COMMAND, "description": "Print hi"}),
            }
            stop = "tool_use"
        else:
            block = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": FINAL_TEXT}
            stop = "end_turn"
        usage = {
            "input_tokens": USAGE["input"],
            "output_tokens": USAGE["output"],
            "cache_read_input_tokens": USAGE["cache_read"],
            "cache_creation_input_tokens": USAGE["cache_write"],
        }
        message = {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": dict(usage, output_tokens=1),
        }
        if not body.get("stream"):
            if wants_tool:
                block = dict(block, input=json.loads(delta["partial_json"]))
            else:
                block = dict(block, text=FINAL_TEXT)
            self.send_json(dict(message, content=[block], stop_reason=stop, usage=usage))
            return
        self.send_sse([
            ("message_start", {"type": "message_start", "message": message}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": USAGE["output"]},
            }),
            ("message_stop", {"type": "message_stop"}),
        ])

    # --- Gemini -------------------------------------------------------------------------

    def answer_gemini(self, body, streaming):
        config = body.get("generationConfig") or {}
        if config.get("responseMimeType") == "application/json" or config.get("responseJsonSchema") or config.get("responseSchema"):
            # The CLI's side questions (who speaks next, which model to route to).
            parts = [{"text": json.dumps({
                "reasoning": "the task is done", "next_speaker": "user", "model_choice": "flash",
                "complexity_reasoning": "a one-step task", "complexity_score": 1,
            })}]
        elif gemini_has_tool(body, "run_shell_command") and not gemini_has_result(body):
            parts = [{"functionCall": {
                "name": "run_shell_command",
                "args": {"command": TOOL_COMMAND, "description": "Print hi"},
            }}]
        else:
            parts = [{"text": FINAL_TEXT}]
        answer = {
            "candidates": [{
                "content": {"role": "model", "parts": parts},
                "finishReason": "STOP", "index": 0,
            }],
            "usageMetadata": {
                "promptTokenCount": USAGE["input"],
                "candidatesTokenCount": USAGE["output"],
                "cachedContentTokenCount": USAGE["cache_read"],
                "totalTokenCount": USAGE["input"] + USAGE["output"],
            },
            "modelVersion": "gemini-2.5-flash",
            "responseId": "fake-response",
        }
        if streaming:
            self.send_sse([(None, answer)])
        else:
            self.send_json(answer)

    # --- OpenAI Responses ---------------------------------------------------------------

    def answer_openai(self, body):
        items = body.get("input") or []
        answered = any(
            isinstance(i, dict) and i.get("type") == "function_call_output" for i in items
        )
        response_id = f"resp_{len(items)}"
        if answered:
            item = {
                "type": "message", "id": f"msg_{len(items)}", "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": FINAL_TEXT, "annotations": []}],
            }
        else:
            name, arguments = openai_shell_call(body.get("tools") or [])
            item = {
                "type": "function_call", "id": f"fc_{len(items)}", "call_id": "call_fake_1",
                "name": name, "arguments": json.dumps(arguments), "status": "completed",
            }
        response = {
            "id": response_id, "object": "response", "model": OPENAI_MODEL,
            "status": "in_progress",
        }
        usage = {
            "input_tokens": USAGE["input"] + USAGE["cache_read"],
            "input_tokens_details": {"cached_tokens": USAGE["cache_read"]},
            "output_tokens": USAGE["output"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": USAGE["input"] + USAGE["cache_read"] + USAGE["output"],
        }
        added = {"output_index": 0, "item": item}
        self.send_sse([
            ("response.created", {"type": "response.created", "response": response}),
            ("response.output_item.added", dict(added, type="response.output_item.added")),
            ("response.output_item.done", dict(added, type="response.output_item.done")),
            ("response.completed", {"type": "response.completed", "response": dict(
                response, status="completed", output=[item], usage=usage,
            )}),
        ])

    # --- plumbing -----------------------------------------------------------------------

    def send_json(self, value, status=200):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_sse(self, events):
        chunks = []
        for name, data in events:
            head = f"event: {name}\n" if name else ""
            chunks.append(f"{head}data: {json.dumps(data)}\n\n")
        data = "".join(chunks).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def anthropic_has_tool(body, name):
    return any(t.get("name") == name for t in body.get("tools") or [])


def anthropic_has_result(body):
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(c, dict) and c.get("type") == "tool_result" for c in content
        ):
            return True
    return False


def openai_shell_call(tools):
    """The function call asking for `echo hi`, in the shape of whichever shell tool the
    request offers (`exec_command` in current Codex; older ones offer `shell`)."""
    names = {t.get("name") for t in tools if isinstance(t, dict)}
    if "exec_command" in names:
        return "exec_command", {"cmd": TOOL_COMMAND}
    if "shell_command" in names:
        return "shell_command", {"command": TOOL_COMMAND}
    return "shell", {"command": ["bash", "-lc", TOOL_COMMAND]}


def gemini_has_tool(body, name):
    for tool in body.get("tools") or []:
        for declaration in tool.get("functionDeclarations") or []:
            if declaration.get("name") == name:
                return True
    return False


def gemini_has_result(body):
    return any(
        "functionResponse" in part
        for content in body.get("contents") or []
        for part in content.get("parts") or []
    )


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.log_path = sys.argv[1] if len(sys.argv) > 1 else "/dev/null"
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
