# dialect — build, test, fuzz, bench.
# go-sqlite3 (server issue) needs cgo: CGO_ENABLED=1 and a C compiler (gcc).
# Go 1.27.3 carries the standard library's fixes for the vulnerabilities
# govulncheck finds in 1.26.8; a machine starts on its own Go and ignores
# go.mod's line, so the toolchain is named here (fetched once, ~76 MB).
export GOTOOLCHAIN = go1.27.3
GO        ?= go
TOOL      := $(GO) tool -modfile=tools/go.mod
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
FUZZTIME  ?= 60s
export CGO_ENABLED = 1

.PHONY: all build test vet lint vulncheck vulndb fuzz bench clean browser-deps assets

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/dialect ./cmd/dialect

# test runs every test: unit, conformance (when ../shared/testdata is present),
# the fuzz targets' seed corpora, the command end to end, and the recorder
# page in headless Chromium (browsertest/, which needs browser-deps). The
# second run builds the crash points of CommitClip in (F-04, -tags
# failpoints). F-07 mounts a tmpfs: run as root (it fails on CI=true without).
# deploy/ runs the real Caddy and nginx in front of `dialect serve` (it
# installs Debian's caddy and nginx-light when missing; root again).
test: vet lint browser-deps
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags failpoints -run '^TestF04' ./cmd/dialect

# browser-deps installs Debian's chromium (the browser tests drive it) and a
# CJK font (screenshots show zh-TW) when chromium is missing.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium fonts-noto-cjk)

# assets builds what the pages load that is not hand-written: the room
# check's estimator, validate/ compiled to WebAssembly (cmd/roomcheck), and
# Go's wasm_exec.js beside it (assets/static/vendor/go/, with LICENSE and
# VERSION). Both are committed so `go build` needs nothing else;
# TestRoomcheckWasmCurrent fails when they are not what this source and this
# toolchain build. No npm library is vendored: the recorder's WAV encoder,
# level meter and IndexedDB queue are our own modules in assets/static/recorder/.
assets:
	CGO_ENABLED=0 GOOS=js GOARCH=wasm $(GO) build -trimpath -buildvcs=false -ldflags="-s -buildid=" -o assets/static/recorder/roomcheck.wasm ./cmd/roomcheck
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" assets/static/vendor/go/wasm_exec.js

vet:
	$(GO) vet ./...

# lint fails on any finding of staticcheck, golangci-lint (.golangci.yml) or
# govulncheck (any vulnerability reachable from our code). The tools are
# pinned in tools/go.mod; the vulnerability database is built offline from
# the pinned golang.org/x/vulndb module and cached (scripts/vulndb.sh).
lint: vulncheck
	$(TOOL) staticcheck ./...
	$(TOOL) golangci-lint run ./...

vulncheck:
	$(TOOL) govulncheck -db file://$$(scripts/vulndb.sh) ./...

# vulndb moves the database pin to the newest golang.org/x/vulndb the proxy serves.
vulndb:
	scripts/vulndb.sh --update

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
