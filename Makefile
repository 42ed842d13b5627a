# dialect — build, test, fuzz, bench.
# go-sqlite3 (server issue) needs cgo: CGO_ENABLED=1 and a C compiler (gcc).
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
FUZZTIME  ?= 60s
export CGO_ENABLED = 1

.PHONY: all build test vet fuzz bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/dialect ./cmd/dialect

# test runs every test: unit, conformance (when ../shared/testdata is present),
# the fuzz targets' seed corpora and the command end to end.
test: vet
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

# fuzz runs each fuzz target for FUZZTIME; new crashers land in testdata/fuzz/.
fuzz:
	$(GO) test ./validate -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s
	$(GO) test ./transcript -run '^$$' -fuzz '^FuzzLint$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s

bench:
	$(GO) test ./validate ./transcript -run '^$$' -bench . -benchmem

clean:
	rm -rf bin
