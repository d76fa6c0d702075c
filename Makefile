# sohoa — make help lists the targets.
#
# `make demo` and `make test` work as the first command on a fresh Debian
# machine with Go: both run `make setup` when a part is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# FTS5 (full-text search) is compiled into go-sqlite3 only with this tag.
export GOFLAGS := -tags=sqlite_fts5
# One single-threaded Tesseract per worker (the binary re-execs with this
# set anyway; exporting it keeps `go test` children consistent).
export OMP_THREAD_LIMIT := 1

GOBIN := $(shell go env GOPATH)/bin
MINIO := $(GOBIN)/minio
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie libtesseract-dev libleptonica-dev poppler-utils fonts-dejavu-core pkg-config gcc chromium ocrmypdf unzip
BIN := bin/sohoa
DEMO := demo-out
DEMO_UNIT := 21181
DEMO_PROVINCE := 51
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EVAL_SEED ?= $(shell date +%s)
EVAL_N ?= 60
FUZZTIME ?= 30s
# Every fuzz target, as package:Name.
FUZZ_TARGETS := ./pipeline/pages:FuzzSniff ./pipeline/pages:FuzzSplit ./pipeline/pages:FuzzSplitPDF \
	./pipeline/pages:FuzzSplitTIFF ./pipeline/pages:FuzzSplitImage ./pipeline/extract:FuzzExtract \
	./pipeline/extract:FuzzNumber ./pipeline/extract:FuzzDate ./pipeline/extract:FuzzIssuer \
	./ocr/tesseract:FuzzRasterFill

.PHONY: help setup check-setup build test test-short demo eval eval-real bench fuzz lint fmt clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# missing prints what a fresh machine still lacks, one item a line.
define missing
for c in tesseract pdftoppm pdftotext pdfimages pkg-config gcc chromium ocrmypdf unzip sha256sum; do command -v $$c >/dev/null || echo "command $$c"; done; \
[ -f /usr/include/tesseract/baseapi.h ] || echo "libtesseract-dev"; \
[ -f /usr/include/leptonica/allheaders.h ] || echo "libleptonica-dev"; \
tesseract --list-langs 2>/dev/null | grep -qx vie || echo "tesseract-ocr-vie"; \
[ -x $(MINIO) ] || echo "minio server (for tests)"
endef

check-setup:
	@m="$$($(missing))"; if [ -n "$$m" ]; then echo "Thiếu / missing:"; echo "$$m" | sed 's/^/  - /'; $(MAKE) --no-print-directory setup; fi

setup: ## install Tesseract (vie), poppler, headers and the MinIO test server
	@echo "==> apt packages: $(APT_PACKAGES)"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null
	@if [ ! -x $(MINIO) ]; then echo "==> building the MinIO server from the Go module proxy (about 3 minutes)"; \
		GOFLAGS= go install github.com/minio/minio@$(MINIO_VERSION); fi
	@m="$$($(missing))"; if [ -n "$$m" ]; then echo "still missing after setup:"; echo "$$m"; exit 1; fi
	@echo "==> setup complete: $$(tesseract --version 2>&1 | head -1), vie installed, $$($(MINIO) --version 2>/dev/null | head -1)"

build: check-setup ## build bin/sohoa
	go build -o $(BIN) ./cmd/sohoa

test: check-setup ## run every test (real Tesseract, real MinIO, real SQLite, headless Chromium)
	go vet ./...
	SOHOA_SCREENSHOTS=$(CURDIR)/out/screenshots go test -count=1 -timeout 20m ./...
	@echo "==> ảnh chụp trang theo dõi / dashboard screenshots: $$(ls out/screenshots/*.png 2>/dev/null | tr '\n' ' ')"

test-short: ## the fast tests only (no OCR end to end)
	go test -short ./...

demo: build ## generate scans, ingest them for a real commune, list, search, and show its progress
	rm -rf $(DEMO)
	@echo "==> sohoa units import (danh mục đơn vị thật / the real unit catalogues)"
	$(BIN) units import --data $(DEMO)/data
	$(BIN) units show --data $(DEMO)/data $(DEMO_UNIT)
	$(BIN) fixtures --out $(DEMO)/scans --n 6 --seed 20251122
	@echo "==> sohoa ingest (bản gốc vào $(DEMO)/data/objects, danh mục $(DEMO)/data/catalog.db)"
	$(BIN) ingest --data $(DEMO)/data --unit $(DEMO_UNIT) --clerk demo $$(find $(DEMO)/scans -name "scan-*" ! -name "*.json" ! -name "*.txt" | sort)
	@echo; echo "==> sohoa list"
	$(BIN) list --data $(DEMO)/data
	@echo; echo "==> sohoa search \"quyet dinh\""
	$(BIN) search --data $(DEMO)/data "quyet dinh"
	@echo; echo "==> sohoa get 1 --archive  →  pdftotext"
	$(BIN) get --data $(DEMO)/data 1 --archive -o $(DEMO)/1.pdf
	pdftotext -l 1 $(DEMO)/1.pdf - | head -12
	@echo; echo "==> sohoa inventory import (ví dụ: xã giữ 40 kết quả còn hiệu lực / example: the commune holds 40 valid results)"
	printf 'unit,year,count\n$(DEMO_UNIT),%s,40\n' "$$(date +%Y)" > $(DEMO)/ton-kho.csv
	$(BIN) inventory import --data $(DEMO)/data $(DEMO)/ton-kho.csv
	@echo; echo "==> sohoa progress: xã / commune $(DEMO_UNIT), tỉnh / province $(DEMO_PROVINCE) (cấp huyện chấm dứt 1/7/2025 / no district level since 1 July 2025)"
	$(BIN) progress --data $(DEMO)/data --unit $(DEMO_UNIT)
	$(BIN) progress --data $(DEMO)/data --unit $(DEMO_PROVINCE) --level province | tail -n +3
	@echo; echo "==> trang theo dõi / the dashboard: bin/sohoa serve --data $(DEMO)/data   then open http://127.0.0.1:8080/?unit=$(DEMO_UNIT)"

eval: build ## score the pipeline on a freshly generated degraded set (EVAL_SEED, EVAL_N)
	rm -rf out/eval && mkdir -p out
	@echo "==> seed $(EVAL_SEED), $(EVAL_N) degraded documents"
	$(BIN) fixtures --out out/eval --n $(EVAL_N) --seed $(EVAL_SEED) --degraded
	$(BIN) eval --labels out/eval/labels.tsv out/eval

eval-real: build ## score the pipeline on the seven real signed scans
	$(BIN) eval --labels fixtures/real/eval.tsv fixtures/real

bench: check-setup ## every benchmark, as ratios against references measured in the same run; writes BENCHMARKS.md
	@mkdir -p out
	status=0; go test -run '^$$' -bench . -benchtime 1x -timeout 90m ./... | tee out/bench.txt || status=$$?; \
	go run ./cmd/sohoa/internal/benchreport -in out/bench.txt -out BENCHMARKS.md; \
	echo "==> BENCHMARKS.md"; sed -n '/^## Targets/,/^## Every/p' BENCHMARKS.md | head -n -1; exit $$status

fuzz: check-setup ## run each fuzz target for FUZZTIME (default 30s), one at a time; fails on any failing input written
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; dir=$$pkg/testdata/fuzz/$$name; \
		before=$$(ls $$dir 2>/dev/null | sort); \
		echo "==> $$name ($$pkg, $(FUZZTIME))"; \
		log=$$(mktemp); \
		if ! go test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1 | tee $$log; then \
			after=$$(ls $$dir 2>/dev/null | sort); \
			if [ "$$before" != "$$after" ]; then echo "fuzz: $$name found a failing input: $$dir (fix it, commit the file)"; exit 1; fi; \
			if ! grep -q "context deadline exceeded" $$log; then exit 1; fi; \
			echo "fuzz: $$name stopped at its deadline with no failing input written: Go 1.26's fuzzing deadline race (golang/go#75804), not a finding"; \
		fi; \
	done

lint: ## gofmt, go vet, staticcheck when installed
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	go vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@latest)"; fi

clean: ## remove build and demo output
	rm -rf bin $(DEMO) out
