# The README's commands. `make test` is what CI runs.
GO ?= go
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

.PHONY: test vet workflowcheck check dev build bench chaos record-histories

## test: every test; store and gateway tests also run on PostgreSQL when IDFLOW_TEST_POSTGRES_URL is set
test:
	$(GO) test -count=1 -timeout 20m ./...

## vet: go vet over the whole module
vet:
	$(GO) vet ./...
	$(GO) vet -tags nodev ./internal/app ./worker

## workflowcheck: Temporal's determinism checker over the workflow code
workflowcheck:
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

## check: what CI runs besides the tests
check: vet workflowcheck

## dev: everything embedded (Temporal, UI, sandboxes, worker, gateway)
dev:
	$(GO) run ./worker -dev

## record-histories: re-record the histories the replay tests replay (after an intended, versioned change)
record-histories:
	IDFLOW_RECORD_HISTORIES=$(CURDIR)/workflows/testdata/histories $(GO) test -count=1 -run 'SimplifiedIdentification|PersonCheckPoll|KYC|FNSRegistration|FNSScenarios|CancelProofing' ./internal/e2e

## build: worker and starter binaries into bin/; bin/worker-prod is the worker without -dev (no embedded Temporal server or UI: 53 MB, not 220)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./worker ./starter
	CGO_ENABLED=0 $(GO) build -trimpath -tags nodev -o bin/worker-prod ./worker

## chaos: the two-worker test and the crash and fault test (needs IDFLOW_TEST_POSTGRES_URL); IDFLOW_CHAOS_FLOWS=300 for the full size
chaos:
	$(GO) test -count=1 -timeout 30m -run 'TestTwoWorkersOnPostgres|TestChaos' -v ./internal/e2e 2>&1 | \
		grep -E 'chaos summary|killed|Error:|Messages:|^(---|ok|FAIL|PASS)'

## bench: benchmarks with their figures
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
