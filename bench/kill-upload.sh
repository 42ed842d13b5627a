#!/usr/bin/env bash
# kill -9 mid-upload, the long variant of F-01 (reliability.md B1): 20 rounds
# of UPLOADERS concurrent speakers posting 5-second clips to a real
# `dialect serve`, SIGKILLed at a random moment in [1 s, 5 s], restarted on
# the same data folder; after each restart every acknowledged clip is read
# back (receipt and bytes, SHA-256) and the B0 audit runs. Prints acked,
# lost, SHA mismatches, orphans quarantined, temp files left and the
# restart-to-ready time per round, then the totals. The test suite runs the
# same test with 5 rounds of 20 uploaders (make test).
#
#   bench/kill-upload.sh [UPLOADERS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export KILL_UPLOAD_UPLOADERS=${1:-50} KILL_UPLOAD_ROUNDS=${2:-20} KILL_UPLOAD_MAX_KILL_MS=5000
export CGO_ENABLED=1
echo "F-01: $KILL_UPLOAD_ROUNDS rounds, $KILL_UPLOAD_UPLOADERS uploaders, kill in [1 s, 5 s]; host: $(nproc) vCPU"
set +e
go test -count=1 -timeout 60m -run '^TestF01KillMidUpload$' -v ./cmd/dialect >"${TMPDIR:-/tmp}/kill-upload.log" 2>&1
status=$?
set -e
grep -E 'F-01|LOST|FAIL|panic|audit' "${TMPDIR:-/tmp}/kill-upload.log" | sed 's/^ *//'
[ "$status" -eq 0 ] && echo "PASS: 0 acknowledged clips lost, B0 audit OK after every round" || echo "FAILED (full log: ${TMPDIR:-/tmp}/kill-upload.log)"
exit "$status"
