# Cartera — the commands a developer needs.
GO      ?= go
PKGS    ?= ./...
FUZZTIME ?= 10s

.PHONY: run demo test fuzz bench lint build

run: ## run the portal on the embedded database (./data)
	$(GO) run ./cmd/portal

demo: ## run the portal with the demo tenant loaded
	$(GO) run ./cmd/portal -demo

build:
	$(GO) build -o bin/portal ./cmd/portal
	$(GO) build -o bin/portalctl ./cmd/portalctl

test: ## every test, including browser tests (needs chromium + poppler-utils) and short fuzz runs
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)
	$(MAKE) fuzz FUZZTIME=5s

fuzz: ## each fuzz target for FUZZTIME; corpora are kept under testdata/fuzz
	@set -e; grep -rl --include='*_test.go' '^func Fuzz' . | while read f; do \
	  dir=$$(dirname $$f); \
	  for fn in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/func //'); do \
	    echo "fuzz $$dir $$fn ($(FUZZTIME))"; \
	    log=$$(mktemp); \
	    if ! $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$dir >$$log 2>&1; then \
	      tail -n 30 $$log; \
	      echo "fuzz $$fn: run again (a crasher found is saved under testdata/fuzz and fails again; an engine hiccup does not)"; \
	      $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$dir >$$log 2>&1 || { tail -n 30 $$log; echo "fuzz $$fn failed"; rm -f $$log; exit 1; }; \
	    fi; \
	    rm -f $$log; \
	  done; \
	done

bench: ## benchmarks (figures in README)
	$(GO) test -run '^$$' -bench GetByID -benchtime 2000x -timeout 20m ./portal/store/
	$(GO) test -run '^$$' -bench 'Import|AccountList' -benchtime 1x -timeout 40m ./portal/accounts/
	$(GO) test -run '^$$' -bench Summary -benchtime 1x -timeout 40m ./reports/
	$(GO) test -run '^$$' -bench Statement -benchtime 1x -timeout 30m ./portal/debtors/
	$(GO) test -run '^$$' -bench WebhookRecording -benchtime 1x -timeout 20m ./payments/
	$(GO) test -run '^$$' -bench ReadCSV -benchmem -timeout 10m ./portal/ingest/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 20m ./portal/loadtest/

lint: ## go vet, staticcheck and govulncheck (installed from the module proxy)
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)
	$(GO) run golang.org/x/vuln/cmd/govulncheck@v1.9.0 $(PKGS) # needs vuln.go.dev, unreachable on the build machine
