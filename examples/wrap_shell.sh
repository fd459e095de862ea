#!/usr/bin/env sh
# Any command can be wrapped; a shell script shows what the child receives.
#   automagik-tracing run --wrap -- sh examples/wrap_shell.sh
echo "TRACEPARENT=$TRACEPARENT"
echo "OTEL_EXPORTER_OTLP_ENDPOINT=$OTEL_EXPORTER_OTLP_ENDPOINT"
# A wrapped command inside a wrapped command joins the same trace.
if [ -n "${AUTOMAGIK_TRACING_BIN:-}" ]; then
    "$AUTOMAGIK_TRACING_BIN" run --wrap --name inner-step -- sh -c 'echo "inner TRACEPARENT=$TRACEPARENT"'
fi
