# dialect — build, test, fuzz, bench.
# go-sqlite3 (server issue) needs cgo: CGO_ENABLED=1 and a C compiler (gcc).
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
FUZZTIME  ?= 60s
export CGO_ENABLED = 1

.PHONY: all build test vet fuzz bench clean browser-deps assets

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/dialect ./cmd/dialect

# test runs every test: unit, conformance (when ../shared/testdata is present),
# the fuzz targets' seed corpora, the command end to end, and the recorder
# page in headless Chromium (browsertest/, which needs browser-deps). The
# second run builds the crash points of CommitClip in (F-04, -tags
# failpoints). F-07 mounts a tmpfs: run as root (it fails on CI=true without).
test: vet browser-deps
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags failpoints -run '^TestF04' ./cmd/dialect

# browser-deps installs Debian's chromium (the browser tests drive it) and a
# CJK font (screenshots show zh-TW) when chromium is missing.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium fonts-noto-cjk)

# assets would refresh vendored front-end libraries from npm. The recorder
# vendors none: its WAV encoder, level meter and IndexedDB queue are our own
# small ES modules in assets/static/recorder/, so `go build` needs nothing
# else and there is nothing to refresh. Add npm packages here (with their
# LICENSE and VERSION files beside them in assets/static/vendor/) if one is
# ever vendored.
assets:
	@echo "assets: no vendored npm libraries (assets/static/recorder/ is our own code)"

vet:
	$(GO) vet ./...

# fuzz runs each fuzz target for FUZZTIME; new crashers land in testdata/fuzz/.
fuzz:
	$(GO) test ./validate -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s
	$(GO) test ./transcript -run '^$$' -fuzz '^FuzzLint$$' -fuzztime $(FUZZTIME)
	$(GO) test ./server -run '^$$' -fuzz '^FuzzTusHeaders$$' -fuzztime $(FUZZTIME)
	$(GO) test ./release -run '^$$' -fuzz '^FuzzArchiveManifest$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s

bench:
	$(GO) test ./validate ./transcript -run '^$$' -bench . -benchmem

clean:
	rm -rf bin
