#!/usr/bin/env bash
# Vendor download load test on loopback (reliability.md L-04): a release of
# about 200 MB (1,250 accepted 5-second clips), 10 concurrent downloads of
# its Kaldi archive from three vendor tokens (the per-vendor limit is 4),
# first alone and then while bench/loadgen uploads at 40/s (L-02). In the
# same run, `tar cf - FILES | cat > /dev/null` over the same clip files is
# the baseline; the ratio of the two is printed. Also: `release create`'s
# time (plans and SHA-256 of every format), the first download's time to
# first byte (archives are assembled on request, issue 21), one download
# alone against one tar|cat, a Range resume from a random offset
# (byte-identical), that the download equals `dialect export`, and the B0
# audit. UPLOAD_SECONDS 0 skips the round during uploads.
#
#   bench/load-download.sh [CLIPS] [UPLOAD_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clips=${1:-1250}
updur=${2:-40}
work=$(mktemp -d)
trap 'kill $srv_pid $lg_pid 2>/dev/null || true; rm -rf "$work"' EXIT
srv_pid= lg_pid=
addr=127.0.0.1:18081

go build -o "$work/dialect" ./cmd/dialect
go build -o "$work/loadgen" ./bench/loadgen
go build -o "$work/seedrelease" ./bench/seedrelease
export DIALECT_DATA_DIR="$work/data" DIALECT_SERVER_ADDR=$addr
export DIALECT_LIMITS_LOGIN_PER_IP_PER_MINUTE=100000

echo "== host: $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), disk $(df -h "$work" | awk 'NR==2 {print $1}')"
start=$(date +%s.%N)
"$work/seedrelease" -dir "$work/data" -clips "$clips" -seconds 5 -tokens 3 >"$work/tokens"
echo "seeded in $(echo "$(date +%s.%N) - $start" | bc) s"
mapfile -t tokens <"$work/tokens"
ls "$work/data/clips" >"$work/clipfiles"
slug=$("$work/dialect" project list | awk 'NR==1 {print $2}')
start=$(date +%s.%N)
rid=$("$work/dialect" release create --project "$slug" 2>"$work/release.out")
grep -v '^archive .*SHA-256 [0-9]\{1,2\}%' "$work/release.out"
echo "release create (rows, plans, SHA-256 of 4 formats) in $(echo "$(date +%s.%N) - $start" | bc) s"

"$work/dialect" serve >"$work/serve.out" 2>"$work/serve.log" &
srv_pid=$!
for _ in $(seq 100); do curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
url="http://$addr/api/v1/releases/$rid/download?format=kaldi"

echo "== first download (assembled on request)"
curl -fsS -o "$work/full.tar" -H "Authorization: Bearer ${tokens[0]}" -w 'bytes %{size_download}, first byte %{time_starttransfer} s, %{time_total} s\n' "$url"
size=$(stat -c %s "$work/full.tar")
mb=$(echo "scale=1; $size / 1000000" | bc)
echo "archive $mb MB, SHA-256 $(sha256sum "$work/full.tar" | cut -c1-16)…"

# round NAME: 10 concurrent downloads, tokens round-robin (4+3+3 per vendor).
round() {
  local t0 t1 i pids=()
  t0=$(date +%s.%N)
  for i in $(seq 0 9); do
    curl -sS -o /dev/null -H "Authorization: Bearer ${tokens[$((i % 3))]}" -w '%{http_code} %{size_download}\n' "$url" >"$work/dl.$i" &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  t1=$(date +%s.%N)
  local ok bytes secs
  ok=$(cat "$work"/dl.* | awk '$1 == 200 && $2 == '"$size"' {n++} END {print n+0}')
  bytes=$(cat "$work"/dl.* | awk '{s += $2} END {print s}')
  secs=$(echo "$t1 - $t0" | bc)
  agg=$(echo "scale=1; $bytes / 1000000 / $secs" | bc)
  echo "$1: $ok/10 complete, $(echo "scale=1; $bytes/1000000" | bc) MB in $secs s = $agg MB/s aggregate"
}

tarbase() {
  local t0 t1 secs
  t0=$(date +%s.%N)
  (cd "$work/data/clips" && tar cf - -T "$work/clipfiles" | cat >/dev/null)
  t1=$(date +%s.%N)
  secs=$(echo "$t1 - $t0" | bc)
  tarmb=$(echo "scale=1; $(cd "$work/data/clips" && cat "$work/clipfiles" | xargs stat -c %s | awk '{s+=$1} END {print s}') / 1000000 / $secs" | bc)
  echo "$1: tar cf - FILES | cat > /dev/null over the same $(wc -l <"$work/clipfiles") files: $tarmb MB/s"
}

echo "== one download alone against one tar | cat (7 pairs, alternating; best and median of each)"
: >"$work/one" ; : >"$work/tar"
for i in 1 2 3 4 5 6 7; do
  curl -fsS -o /dev/null -H "Authorization: Bearer ${tokens[0]}" -w '%{size_download} %{time_total}\n' "$url" | awk '{printf "%.1f\n", $1 / 1000000 / $2}' >>"$work/one"
  tarbase "baseline" >/dev/null
  echo "$tarmb" >>"$work/tar"
done
stat2() { sort -n "$1" | awk '{v[NR]=$1} END {printf "best %.1f, median %.1f", v[NR], v[int((NR+1)/2)]}'; }
echo "download MB/s: $(stat2 "$work/one") ($(paste -sd' ' "$work/one"))"
echo "tar|cat  MB/s: $(stat2 "$work/tar") ($(paste -sd' ' "$work/tar"))"
best() { sort -n "$1" | tail -1; }
med() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "ratio download/tar: best $(echo "scale=2; $(best "$work/one") / $(best "$work/tar")" | bc), median $(echo "scale=2; $(med "$work/one") / $(med "$work/tar")" | bc)"

echo "== L-04 solo"
round "10 downloads"; solo=$agg
tarbase "baseline"; tarsolo=$tarmb
echo "ratio downloads/tar: $(echo "scale=2; $solo / $tarsolo" | bc)"

if [ "$updur" -gt 0 ]; then
echo "== L-04 with uploads (L-02 open loop 40/s for ${updur}s)"
echo "load admin passphrase" | "$work/dialect" user add --role admin --username loadadmin --password-stdin >/dev/null
"$work/loadgen" -url "http://$addr" -admin-user loadadmin -admin-pass "load admin passphrase" -c 200 -d "${updur}s" -rate 40 -acks "$work/acks.jsonl" >"$work/loadgen.out" 2>&1 &
lg_pid=$!
sleep 8 # speakers signed in, uploads flowing
round "10 downloads during uploads"; loaded=$agg
tarbase "baseline during uploads"; tarloaded=$tarmb
echo "ratio downloads/tar: $(echo "scale=2; $loaded / $tarloaded" | bc)"
wait "$lg_pid" || true
lg_pid=
cat "$work/loadgen.out"
fi

echo "== Range resume from a random offset"
off=$(( (RANDOM * 32768 + RANDOM) % size ))
curl -fsS -H "Authorization: Bearer ${tokens[1]}" -r "$off-" -o "$work/tail.tar" "$url"
if cmp -s <(tail -c +$((off + 1)) "$work/full.tar") "$work/tail.tar"; then echo "resume at byte $off: identical"; else echo "resume at byte $off: DIFFERS"; status=1; fi

kill -TERM "$srv_pid"; wait "$srv_pid" || true
srv_pid=
echo "== export equals download"
"$work/dialect" export --release "$rid" --format kaldi --out "$work/export.tar"
if cmp -s "$work/export.tar" "$work/full.tar"; then echo "dialect export: byte-identical"; else echo "dialect export: DIFFERS"; status=1; fi
echo "== B0 audit"
"$work/dialect" audit
exit "${status:-0}"
