#!/usr/bin/env bash
# lint-vs-peers.sh — `dialect lint` against autocorrect (and zhlint) on the
# same synthetic corpus, in one run: lines/s, MB/s, peak RSS, the ratio, and
# how many of the corpus's injected faults each linter missed. Then a 1 GB
# input to show that dialect's memory stays flat.
#
#   bench/lint-vs-peers.sh
#
# Environment:
#   DIALECT_SHARED  the shared directory (default: ../shared next to the repo)
#   PEERS_DIR       where the npm peers live (default: /tmp/dialect-peers;
#                   never inside the repo)
#   WORK            scratch directory (default: a new one under /tmp)
#   LINES           corpus lines (default 100000)
#   BIG_MB          size of the flat-memory input in MB (default 1024; 0 skips it)
#   ZHLINT=1        also time zhlint (slow: minutes on the full corpus)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${DIALECT_SHARED:-$repo/../shared}
peers=${PEERS_DIR:-/tmp/dialect-peers}
work=${WORK:-$(mktemp -d /tmp/dialect-bench.XXXXXX)}
lines=${LINES:-100000}
big_mb=${BIG_MB:-1024}
mkdir -p "$work"

[ -f "$shared/bench/lint/gen_corpus.py" ] || { echo "no $shared/bench/lint/gen_corpus.py: set DIALECT_SHARED" >&2; exit 2; }

echo "== corpus: gen_corpus.py --lines $lines --seed 7"
python3 "$shared/bench/lint/gen_corpus.py" --lines "$lines" --seed 7 \
  --out "$work/corpus.txt" --labels "$work/labels.tsv"
bytes=$(stat -c %s "$work/corpus.txt")

echo "== build dialect"
(cd "$repo" && go build -o "$work/dialect" ./cmd/dialect)

if [ ! -x "$peers/node_modules/.bin/autocorrect" ]; then
  echo "== install peers into $peers"
  if ! bash "$shared/bench/lint/install_peers.sh" "$peers" >"$work/install.log" 2>&1; then
    echo "   could not install the peers (npm unreachable?): see $work/install.log; skipping them"
  fi
fi

# measure NAME OUT CMD...: runs CMD with stdout to OUT, prints one result
# line and leaves the figures in $secs and $rss_kb.
measure() {
  local name=$1 out=$2; shift 2
  local tfile="$work/$name.time" code=0
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$tfile" "$@" >"$out" 2>"$work/$name.stderr" || code=$?
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tfile")
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tfile")
  else
    # No GNU time: wall clock from date, peak RSS from /proc (VmHWM) polled.
    local start end pid peak=0 hwm
    start=$(date +%s.%N)
    "$@" >"$out" 2>"$work/$name.stderr" & pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
      sleep 0.01
    done
    wait "$pid" || code=$?
    end=$(date +%s.%N)
    secs=$(echo "$end - $start" | bc -l)
    rss_kb=$peak
  fi
  awk -v n="$name" -v s="$secs" -v l="$lines" -v b="$bytes" -v r="$rss_kb" -v c="$code" 'BEGIN {
    printf "%-12s %8.3f s %12.0f lines/s %8.2f MB/s %8.1f MiB peak RSS  exit %d\n", n, s, l/s, b/s/1e6, r/1024, c }'
}

echo "== run ($lines lines, $bytes bytes, $(nproc) cores)"
measure dialect "$work/dialect.jsonl" "$work/dialect" lint --format json "$work/corpus.txt"
d_secs=$secs d_rss=$rss_kb

a_secs=""
if [ -x "$peers/node_modules/.bin/autocorrect" ]; then
  measure autocorrect "$work/autocorrect.json" "$peers/node_modules/.bin/autocorrect" --lint --format json "$work/corpus.txt"
  a_secs=$secs
else
  echo "autocorrect  skipped: not installed in $peers"
fi
if [ "${ZHLINT:-0}" = 1 ] && [ -x "$peers/node_modules/.bin/zhlint" ]; then
  measure zhlint "$work/zhlint.out" "$peers/node_modules/.bin/zhlint" "$work/corpus.txt"
fi

if [ -n "$a_secs" ]; then
  awk -v d="$d_secs" -v a="$a_secs" 'BEGIN { printf "ratio        dialect lints %.1fx the lines/s of autocorrect (target >= 10x)\n", a/d }'
fi
awk -v r="$d_rss" 'BEGIN { printf "memory       dialect peak RSS %.1f MiB (target < 20 MiB)\n", r/1024 }'

echo "== injected faults missed (labels: $work/labels.tsv)"
# A fault is found when the linter reports anything on its line.
python3 - "$work/labels.tsv" "$work/dialect.jsonl" "$work/autocorrect.json" <<'PY'
import json, sys, collections
labels = {}
for l in open(sys.argv[1], encoding="utf-8"):
    n, kind = l.rstrip("\n").split("\t")
    labels[int(n)] = kind

def report(name, flagged):
    missed = collections.Counter()
    total = collections.Counter()
    false_pos = 0
    for n, kind in labels.items():
        if kind.startswith("clean"):
            false_pos += n in flagged
            continue
        total[kind] += 1
        missed[kind] += n not in flagged
    detail = ", ".join(f"{k} {missed[k]}/{total[k]}" for k in sorted(total))
    print(f"{name:12s} missed {sum(missed.values())} of {sum(total.values())} ({detail}); "
          f"{false_pos} clean lines flagged")

flagged = set()
for l in open(sys.argv[2], encoding="utf-8"):
    flagged.add(json.loads(l)["line"])
report("dialect", flagged)

try:
    data = json.load(open(sys.argv[3], encoding="utf-8"))
    flagged = set()
    for f in data.get("messages", []):
        for m in f.get("lines", []):
            flagged.add(m.get("l") or m.get("line"))
    report("autocorrect", flagged)
except (OSError, ValueError):
    pass
PY

if [ "$big_mb" -gt 0 ]; then
  echo "== flat memory: a ${big_mb} MB input"
  big="$work/big.txt"
  : >"$big"
  while [ "$(stat -c %s "$big")" -lt $((big_mb * 1000000)) ]; do cat "$work/corpus.txt" >>"$big"; done
  bytes=$(stat -c %s "$big")
  lines=$(wc -l <"$big")
  measure dialect-big /dev/null "$work/dialect" lint --format json "$big"
  rm -f "$big"
fi
echo "(scratch files in $work)"
