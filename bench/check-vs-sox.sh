#!/usr/bin/env bash
# Compare `dialect check` with `sox FILE -n stats` (and Python soundfile +
# numpy, when installed) on the same generated files, in one run:
#   1,000 five-second 16 kHz clips (sox: a process per file, as a batch script runs it),
#   a 3-hour 16 kHz mono 16-bit file, a 1-hour 48 kHz stereo 24-bit file.
# Prints MB/s, peak RSS and the ratio. Ratios hold on a noisy machine;
# absolute times do not.
#
#   bench/check-vs-sox.sh [OUT_DIR]      (default bench/out, not committed)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v sox >/dev/null || [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y sox time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y sox time >/dev/null; }
  else
    echo "need sox and GNU time: apt-get install -y sox time" >&2; exit 2
  fi
fi

echo "building dialect and inputs in $out ..."
go build -o "$out/dialect" ./cmd/dialect
[ -f "$out/3h-16k-mono.wav" ] && [ -f "$out/1h-48k-stereo24.wav" ] && [ -d "$out/clips" ] ||
  go run ./bench/wavgen -out "$out"
cat "$out"/clips/*.wav "$out"/*.wav >/dev/null   # both sides read from the page cache

bytes() { du -cb "$@" | tail -1 | cut -f1; }
# measure NAME CMD... → sets secs (median of $REPS runs) and rss_kib (the
# largest), from GNU time. The machine is noisy: one run proves little.
REPS=${REPS:-3}
measure() {
  local name=$1; shift
  local all=() r
  rss_kib=0
  for r in $(seq "$REPS"); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>"$out/$name.err" || true
    read -r s m < <(tail -n 1 "$out/time.txt")
    all+=("$s"); (( m > rss_kib )) && rss_kib=$m
  done
  secs=$(printf '%s\n' "${all[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1e6 / (s > 0 ? s : 0.001) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? b : 0.001) / (a > 0 ? a : 0.001) }'; }

sox_each() { for f in "$1"/*.wav; do sox "$f" -n stats 2>/dev/null; done; }
export -f sox_each

py=""
if /usr/bin/python3 -c 'import soundfile, numpy' 2>/dev/null; then py=/usr/bin/python3; fi
if [ -z "$py" ] && python3 -c 'import soundfile, numpy' 2>/dev/null; then py=python3; fi
pyrms='
import sys, numpy as np, soundfile as sf
for p in sys.argv[1:]:
    with sf.SoundFile(p) as f:
        hop = f.samplerate // 100
        for block in f.blocks(blocksize=hop * 1000, dtype="float32", always_2d=True):
            n = len(block) // (2 * hop) * 2 * hop
            fr = block[:n].reshape(-1, 2 * hop, block.shape[1])
            np.sqrt((fr.astype(np.float64) ** 2).mean(axis=1))
'

printf "\n%-34s %10s %10s %10s %8s\n" "input / tool" "seconds" "MB/s" "RSS MiB" "ratio"
row() { printf "%-34s %10s %10s %10s %8s\n" "$1" "$2" "$3" "$(( $4 / 1024 ))" "$5"; }

run_case() {
  local label=$1 size=$2; shift 2
  measure dialect "$out/dialect" check --format json "$@"
  local ds=$secs drss=$rss_kib
  row "$label: dialect check" "$ds" "$(mbps "$size" "$ds")" "$drss" "1.0"
  if [ -d "${@: -1}" ]; then
    measure sox bash -c "sox_each ${*: -1}"
  else
    measure sox sox "${@: -1}" -n stats
  fi
  row "$label: sox stats" "$secs" "$(mbps "$size" "$secs")" "$rss_kib" "$(ratio "$ds" "$secs")x slower"
  if [ -n "$py" ]; then
    if [ -d "${@: -1}" ]; then
      measure py "$py" -c "$pyrms" "${@: -1}"/*.wav
    else
      measure py "$py" -c "$pyrms" "${@: -1}"
    fi
    row "$label: soundfile+numpy RMS" "$secs" "$(mbps "$size" "$secs")" "$rss_kib" "$(ratio "$ds" "$secs")x slower"
  fi
}

run_case "1000 x 5 s clips" "$(bytes "$out"/clips)" --mode prompted "$out/clips"
run_case "3 h 16 kHz mono" "$(bytes "$out/3h-16k-mono.wav")" --mode monologue "$out/3h-16k-mono.wav"
run_case "1 h 48 kHz stereo 24-bit" "$(bytes "$out/1h-48k-stereo24.wav")" --mode dialogue "$out/1h-48k-stereo24.wav"
[ -n "$py" ] || echo "(Python soundfile + numpy not installed: that column is left out)"
