"""The checks of scripts/backends-check: did every span the wrapper sent reach Phoenix and
MLflow, with span kinds (no UNKNOWN in Phoenix), model names, token counts, and a cost in
Phoenix? Runs in the mlflow venv (mlflow's client reads MLFLOW_TRACKING_URI); Phoenix is
asked over its REST and GraphQL APIs with the standard library.

    python scripts/backends-check.py SENT_JSON RUN_METRICS_JSON PHOENIX_URL PHOENIX_PROJECT
"""
import json
import sys
import time
import urllib.request

sent = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
phoenix_url, project = sys.argv[3], sys.argv[4]
trace_id = sent["trace_id"]
sent_ids = {s["span_id"] for s in sent["spans"]}
llm_ids = {s["span_id"] for s in sent["spans"] if s["gen_ai"]["kind"] == "llm"}
failures = []


def check(ok, what):
    print(("  pass  " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def get_json(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def poll(fetch, done, seconds=30):
    """fetch() until done(result) or the time is up; returns the last result."""
    deadline = time.time() + seconds
    while True:
        try:
            result = fetch()
        except Exception as error:  # a server still ingesting may answer 404 at first
            result = error
        if (not isinstance(result, Exception) and done(result)) or time.time() > deadline:
            return result
        time.sleep(0.5)


def phoenix_spans():
    url = f"{phoenix_url}/v1/projects/{project}/spans?limit=1000"
    spans = get_json(url)["data"]
    return [s for s in spans if s["context"]["trace_id"] == trace_id]


def check_phoenix():
    print(f"phoenix (project {project}):")
    spans = poll(phoenix_spans, lambda s: {x["context"]["span_id"] for x in s} >= sent_ids)
    if isinstance(spans, Exception):
        check(False, f"phoenix answered {spans} for project {project} (PHOENIX_PROJECT_NAME)")
        return
    ids = {s["context"]["span_id"] for s in spans}
    check(ids >= sent_ids, f"every span arrived ({len(ids & sent_ids)} of {len(sent_ids)})")
    unknown = [s["name"] for s in spans if s["span_kind"].upper() == "UNKNOWN"]
    check(not unknown, f"no span of kind UNKNOWN (run span included){': ' + str(unknown) if unknown else ''}")
    kinds = sorted({s["span_kind"] for s in spans})
    print(f"        kinds: {kinds}")
    llms = [s for s in spans if s["context"]["span_id"] in llm_ids]
    check(bool(llms) and all(s["span_kind"] == "LLM" for s in llms), f"{len(llms)} model call(s) of kind LLM")
    check(all(s["attributes"].get("llm", {}).get("model_name") or s["attributes"].get("llm.model_name") for s in llms),
          "model calls carry llm.model_name")
    def tokens(s):
        attrs = s["attributes"]
        nested = attrs.get("llm", {}).get("token_count", {})
        return nested.get("prompt") or attrs.get("llm.token_count.prompt")
    check(all(tokens(s) for s in llms), "model calls carry llm.token_count.prompt")
    query = "{projects{edges{node{name costSummary{total{cost tokens}}}}}}"
    def cost():
        answer = get_json(f"{phoenix_url}/graphql", {"query": query})
        if answer.get("errors"):
            raise RuntimeError(answer["errors"])
        for edge in answer["data"]["projects"]["edges"]:
            if edge["node"]["name"] == project:
                return edge["node"]["costSummary"]["total"]
        return {}
    total = poll(cost, lambda t: bool(t.get("cost")), seconds=20)
    shown = total if isinstance(total, Exception) else total.get("cost")
    check(not isinstance(total, Exception) and bool(total.get("cost")), f"phoenix computed a cost (${shown})")


def check_mlflow():
    import mlflow

    print("mlflow (experiment 0):")
    def traces():
        found = mlflow.search_traces(locations=["0"], return_type="list")
        return [t for t in found if any(s.trace_id and trace_id in s.trace_id for s in t.data.spans)
                or trace_id in t.info.trace_id]
    found = poll(traces, lambda t: bool(t) and {s.span_id for s in t[0].data.spans} >= sent_ids)
    if isinstance(found, Exception) or not found:
        check(False, f"mlflow holds the trace ({found})")
        return
    spans = found[0].data.spans
    ids = {s.span_id for s in spans}
    check(ids >= sent_ids, f"every span arrived ({len(ids & sent_ids)} of {len(sent_ids)})")
    untyped = [s.name for s in spans if not s.span_type or s.span_type == "UNKNOWN"]
    check(not untyped, f"every span has a span type{': untyped ' + str(untyped) if untyped else ''}")
    print(f"        types: {sorted({str(s.span_type) for s in spans})}")
    llms = [s for s in spans if s.span_id in llm_ids]
    check(bool(llms) and all(s.span_type in ("LLM", "CHAT_MODEL") for s in llms), f"{len(llms)} model call(s) of type LLM")
    check(all(s.get_attribute("gen_ai.request.model") for s in llms), "model calls carry their model name")
    usage = found[0].info.token_usage or {}
    check(bool(usage.get("input_tokens")), f"the trace has token usage ({usage})")


print(f"sent: trace {trace_id}, {len(sent_ids)} spans ({len(llm_ids)} model calls)")
check(len(sent_ids) > 1 and llm_ids, "the wrapper recorded the agent's spans and model calls")
for exporter in run["exporters"]:
    check(exporter["exported"] == len(sent_ids) and exporter["spooled"] == 0,
          f"{exporter['name']}: the wrapper delivered {exporter['exported']}, spooled {exporter['spooled']}")
check_phoenix()
check_mlflow()
print(f"backends-check: {'FAIL' if failures else 'PASS'} ({len(failures)} failure(s))")
sys.exit(1 if failures else 0)
