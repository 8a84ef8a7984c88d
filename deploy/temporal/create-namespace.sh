#!/bin/sh
# One-shot job (temporalio/admin-tools image): waits until the Temporal server
# answers, then creates the worker's namespace unless it exists. Safe to run
# on every `docker compose up`.
#
# The worker registers its own search attributes at start (operator API), so
# nothing else is set up here.
set -eu

: "${TEMPORAL_ADDRESS:?}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_NAMESPACE_RETENTION:=72h}"

tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -ge 60 ]; then
		echo "create-namespace: Temporal at $TEMPORAL_ADDRESS is not healthy" >&2
		temporal operator cluster health --address "$TEMPORAL_ADDRESS" >&2 || true
		exit 1
	fi
	sleep 2
done

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
	echo "create-namespace: $TEMPORAL_NAMESPACE exists"
	exit 0
fi
temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" \
	--retention "$TEMPORAL_NAMESPACE_RETENTION"
echo "create-namespace: created $TEMPORAL_NAMESPACE (retention $TEMPORAL_NAMESPACE_RETENTION)"
