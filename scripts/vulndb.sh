#!/usr/bin/env bash
# vulndb.sh builds the offline vulnerability database govulncheck reads, from the
# Go module golang.org/x/vulndb at the version tools/go.mod pins, and prints its
# directory. Built once per version into a cache outside the repo (about 20 s).
#   scripts/vulndb.sh            build (if missing) and print the directory
#   scripts/vulndb.sh --update   move the pin to the newest version the proxy serves
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
if [[ "${1:-}" == --update ]]; then
	# The proxy sometimes refuses @latest (NOTES.md); the version list works.
	newest=$(go list -modfile=tools/go.mod -m -versions golang.org/x/vulndb | tr ' ' '\n' | tail -1)
	if [[ "$newest" == golang.org/x/vulndb ]]; then
		newest=$(go list -modfile=tools/go.mod -m golang.org/x/vulndb@latest | cut -d' ' -f2)
	fi
	go -C tools get -tool "golang.org/x/vulndb/cmd/indexdb@$newest" >&2
	echo "vulndb: pinned $newest" >&2
fi
ver=$(go list -modfile=tools/go.mod -m -f '{{.Version}}' golang.org/x/vulndb)
cache="${DIALECT_VULNDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dialect/vulndb}/$ver"
if [[ ! -f "$cache/index/db.json" ]]; then
	go mod download -modfile=tools/go.mod golang.org/x/vulndb >&2
	src=$(go list -modfile=tools/go.mod -m -f '{{.Dir}}' golang.org/x/vulndb)
	rm -rf "$cache.tmp"
	mkdir -p "$cache.tmp"
	go tool -modfile=tools/go.mod indexdb -out "$cache.tmp" -vulns "$src/data/osv" >&2
	rm -rf "$cache"
	mv "$cache.tmp" "$cache"
fi
echo "$cache"
