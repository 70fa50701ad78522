# zhbase — run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
TOOLS := buf protoc-gen-go protoc-gen-go-grpc protoc-gen-grpc-gateway protoc-gen-openapiv2
TOOL_PKGS := github.com/bufbuild/buf/cmd/buf google.golang.org/protobuf/cmd/protoc-gen-go \
	google.golang.org/grpc/cmd/protoc-gen-go-grpc \
	github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
	github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2
PKGS  := ./... ./proto/...
DATA_DIR ?= $(CURDIR)/data

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/buf: tools/protogen/go.mod tools/protogen/go.sum
	@mkdir -p $(BIN)
	GOWORK=off $(GO) -C tools/protogen build -o $(BIN)/ $(TOOL_PKGS)
	@touch $(BIN)/buf

.PHONY: tools
tools: $(BIN)/buf ## build the pinned protobuf tools (buf and plugins) into bin/

.PHONY: proto
proto: tools ## format, lint and regenerate the Go, gateway and OpenAPI code from proto/
	tools/scripts/thirdparty-protos.sh
	$(BIN)/buf format -w proto
	$(BIN)/buf lint
	$(BIN)/buf generate

.PHONY: proto-check
proto-check: proto ## fail if the committed generated code is not what `make proto` makes
	@git diff --exit-code -- proto || { echo "generated code is stale: run make proto and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- proto)" || { git status --porcelain -- proto; echo "make proto created files that are not committed"; exit 1; }

.PHONY: build
build: ## build bin/zhbase
	$(GO) build -o $(BIN)/zhbase ./tools/cmd/zhbase

.PHONY: run
run: build ## start the whole platform on this machine (embedded etcd, SQLite, gateway, demo data)
	$(BIN)/zhbase up -data-dir $(DATA_DIR)

.PHONY: lint
lint: ## gofmt, go vet and buf lint
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$unformatted" || { echo "gofmt needed: $$unformatted"; exit 1; }
	$(GO) vet $(PKGS)
	@if [ -x $(BIN)/buf ]; then tools/scripts/thirdparty-protos.sh && $(BIN)/buf lint && $(BIN)/buf format -d --exit-code proto; fi

.PHONY: test
test: ## run every test (PostgreSQL at 127.0.0.1:5432 for the store suites)
	$(GO) test -count=1 $(PKGS)

.PHONY: fuzz
fuzz: ## run every fuzz test for FUZZTIME each (default 10s); make test runs their seed corpora
	tools/scripts/fuzz.sh

BENCH_ARGS ?=
.PHONY: bench
bench: ## measure against bare baselines in one run (~20 min: 1M buildings); BENCH_ARGS="-buildings 0 -addresses 0" for a quick run
	$(GO) run ./tools/cmd/zhbase-bench $(BENCH_ARGS)

.PHONY: clean
clean: ## remove build output and the local data directory
	rm -rf $(BIN) third_party $(DATA_DIR)
