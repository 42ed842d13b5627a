#!/usr/bin/env bash
# Upload load test on loopback (reliability.md L-01, L-02), against a real
# `dialect serve` and, in the same run, against a bare handler that only
# reads and discards the body. Prints throughput, p50/p95/p99, status
# counts, lost acknowledgements, server peak RSS and the B0 audit.
#
#   bench/load-upload.sh [CONCURRENCY] [DURATION] [OPEN_LOOP_RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
conc=${1:-200}
dur=${2:-60s}
rate=${3:-40}
work=$(mktemp -d)
trap 'kill $srv_pid 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/dialect" ./cmd/dialect
go build -o "$work/loadgen" ./bench/loadgen
export DIALECT_DATA_DIR="$work/data" DIALECT_SERVER_ADDR=127.0.0.1:18080
export DIALECT_LIMITS_LOGIN_PER_IP_PER_MINUTE=100000   # every speaker signs in from 127.0.0.1
"$work/dialect" serve >"$work/serve.out" 2>"$work/serve.log" &
srv_pid=$!
for _ in $(seq 100); do curl -fsS http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.1; done
echo "load admin passphrase" | "$work/dialect" user add --role admin --username loadadmin --password-stdin >/dev/null

rss_peak() { awk '/VmHWM/ {print int($2/1024) " MiB"}' /proc/"$srv_pid"/status; }

echo "== L-01 closed loop: $conc speakers, $dur"
"$work/loadgen" -url http://127.0.0.1:18080 -admin-user loadadmin -admin-pass "load admin passphrase" -c "$conc" -d "$dur" -acks "$work/acks1.jsonl" || status=$?
echo "server peak RSS $(rss_peak), WAL $(du -h "$work/data/dialect.db-wal" 2>/dev/null | cut -f1)"
echo "== L-01 against a bare read-and-discard handler"
"$work/loadgen" -sink -c "$conc" -d "$dur" -acks /dev/null
echo "== L-02 open loop: $rate uploads/s, $dur"
"$work/loadgen" -url http://127.0.0.1:18080 -admin-user loadadmin -admin-pass "load admin passphrase" -c "$conc" -d "$dur" -rate "$rate" -acks "$work/acks2.jsonl" || status=$?
echo "server peak RSS $(rss_peak)"
kill -TERM "$srv_pid"; wait "$srv_pid" || true
echo "== B0 audit"
"$work/dialect" audit --verify-hashes
exit "${status:-0}"
