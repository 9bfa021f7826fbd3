#!/usr/bin/env bash
# De-identification speed and memory, side by side in one run on the same copies:
#   ours (`smed deid`, one process per run) vs GDCM's gdcmanon (basic profile; it needs a certificate to encrypt
#   the original attributes, so a throw-away one is made) vs cp, on (a) the well-formed corpus ×10 and
#   (b) one generated multi-frame file of ≥ 500 MB. Prints files/s, MB/s, peak RSS and the ratios.
#   bench/deid-vs-gdcmanon.sh [COPIES] [LARGE_MB]     (defaults 10, 512)
# SMED_BENCH_POLICY=FILE runs smed deid with --policy FILE (e.g. {"burnedIn": {"detect": "none"}} to leave out the
# burned-in text OCR, which the default policy runs on the corpus's US/SC/OT images and on the large OT file).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
copies="${1:-10}"; large_mb="${2:-512}"
for tool in gdcmanon openssl /usr/bin/time; do
  command -v "$tool" >/dev/null || { s=""; [ "$(id -u)" -ne 0 ] && s=sudo; $s apt-get install -y -qq libgdcm-tools openssl time >/dev/null; break; }
done
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$repo"
# smed as a native-AOT executable (what a tool installed on a workstation would be): no JIT, ~20 ms start. The
# de-identification path uses source-generated JSON only, so it runs the same in AOT; other commands still use the
# JIT build. SMED_BENCH_JIT=1 measures the framework-dependent build instead.
if [ "${SMED_BENCH_JIT:-0}" = 1 ]; then
  dotnet build src/ServerlessMed.Cli -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  smed="dotnet $repo/src/ServerlessMed.Cli/bin/Release/net10.0/smed.dll"
else
  dotnet publish src/ServerlessMed.Cli -c Release -r linux-x64 -p:PublishAot=true -p:TreatWarningsAsErrors=false \
    -o "$work/smed-aot" -nologo -v q -clp:ErrorsOnly >/dev/null
  smed="$work/smed-aot/smed"
fi
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=bench -days 1 2>/dev/null
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/tenant.key"

# (a) corpus copies: the well-formed files that gdcmanon accepts (it stops a directory run at the first file it
# does not support, e.g. DICOMDIR or a file without a SOP class), flattened, each copy its own folder.
mkdir -p "$work/in" "$work/probe"
corpus="$repo/../shared/corpus"
tail -n +2 "$corpus/MANIFEST.tsv" | awk -F'\t' '$12 !~ /^malformed:/ {print $1}' | while read -r rel; do
  gdcmanon -e -c "$work/cert.pem" -i "$corpus/$rel" -o "$work/probe/x.dcm" >/dev/null 2>&1 && echo "$rel"
done > "$work/accepted"
echo "gdcmanon accepts $(wc -l < "$work/accepted") of $(tail -n +2 "$corpus/MANIFEST.tsv" | awk -F'\t' '$12 !~ /^malformed:/' | wc -l) well-formed corpus files; both tools run on those" >&2
for c in $(seq "$copies"); do
  mkdir -p "$work/in/$c"
  while read -r rel; do cp "$corpus/$rel" "$work/in/$c/$(echo "$rel" | tr / _)"; done < "$work/accepted"
done
# (b) a large multi-frame file made by our own writer (16-bit MONOCHROME2, random-ish pixels).
python3 - "$work/large.dcm" "$large_mb" <<'PY'
import os, struct, sys
path, mb = sys.argv[1], int(sys.argv[2])
rows = cols = 512; frames = max(1, mb * 1024 * 1024 // (rows * cols * 2))
def el(g, e, vr, val):
    if isinstance(val, str): val = val.encode(); val += b" " if len(val) % 2 else b""
    return struct.pack("<HH", g, e) + vr.encode() + struct.pack("<H", len(val)) + val
uid = "1.2.826.0.1.3680043.9.7433.99." + str(os.getpid())
ds = b"".join([el(8,0x16,"UI","1.2.840.10008.5.1.4.1.1.7.3\0"), el(8,0x18,"UI",uid+".3\0" if len(uid)%2==0 else uid+".3"),
    el(8,0x60,"CS","OT"), el(0x10,0x10,"PN","Bench^Patient"), el(0x10,0x20,"LO","BENCH001"),
    el(0x20,0x0D,"UI",uid+".1\0" if len(uid)%2==0 else uid+".1"), el(0x20,0x0E,"UI",uid+".2\0" if len(uid)%2==0 else uid+".2"),
    el(0x28,2,"US",struct.pack("<H",1)), el(0x28,4,"CS","MONOCHROME2"), el(0x28,8,"IS",str(frames)),
    el(0x28,0x10,"US",struct.pack("<H",rows)), el(0x28,0x11,"US",struct.pack("<H",cols)),
    el(0x28,0x100,"US",struct.pack("<H",16)), el(0x28,0x101,"US",struct.pack("<H",16)), el(0x28,0x102,"US",struct.pack("<H",15)), el(0x28,0x103,"US",struct.pack("<H",0))])
ts = b"1.2.840.10008.1.2.1\0"
meta = el(2,1,"OB",b"") [:0] + struct.pack("<HH",2,1) + b"OB\0\0" + struct.pack("<I",2) + b"\0\1" + el(2,0x10,"UI",ts)
meta = struct.pack("<HH",2,0) + b"UL" + struct.pack("<HI",4,len(meta)) + meta
with open(path, "wb") as f:
    f.write(b"\0"*128 + b"DICM" + meta + ds)
    n = rows*cols*2*frames
    f.write(struct.pack("<HH",0x7FE0,0x10) + b"OW\0\0" + struct.pack("<I", n))
    block = os.urandom(1 << 20)
    for _ in range(n >> 20): f.write(block)
    f.write(block[:n & ((1<<20)-1)])
PY

# Each tool runs REPS times (default 3) into fresh output folders, nothing deleted until the end; the median time
# (nanosecond clock around the process) and the largest peak RSS are reported. Every run starts from the same state:
# dirty data written back, the clean page cache dropped (when the bench runs as root), the inputs read back into the
# cache, and the tool run once, untimed, on one input (its binary, libraries and configuration cached). Dropping the
# cache also forgets which inodes were freed lately: on ext4 without a journal, files created within a minute or so
# of many deletions are slow to create (find_inode_bit skips the recently freed inodes), which would otherwise bill
# whichever tool runs after a deletion (a test run, an earlier bench's clean-up, smed's own displaced outputs).
reps="${SMED_BENCH_REPS:-3}"
mkdir -p "$work/runs" "$work/warm"
first_input="$(find "$work/in" -type f | sort | sed -n 1p)"  # sed reads it all: head would SIGPIPE sort (pipefail)
settle() { # inputs... : the common starting state
  sync
  if [ -w /proc/sys/vm/drop_caches ]; then echo 1 > /proc/sys/vm/drop_caches; fi
  find "$@" -type f -exec cat {} + > /dev/null
}
measure() { # name, inputs to cache, warm-up command, command with @OUT@ for its output path... → median s, max RSS KB
  local name="$1" inputs="$2" warm="$3"; shift 3
  local i a args
  for i in $(seq "$reps"); do
    args=(); for a in "$@"; do args+=("${a//@OUT@/$work/runs/$name-$i}"); done
    settle "$inputs"
    eval "$warm" > /dev/null 2>&1 || true
    sync
    local s e; s=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$work/t" "${args[@]}" >/dev/null 2>"$work/err" || echo "$name failed: $(tail -3 "$work/err")" >&2
    e=$(date +%s%N)
    echo "$((e - s)) $(tail -n 1 "$work/t")"  # GNU time puts "Command exited with non-zero status" first when a run fails
  done | tee >(awk -v n="$name" '{printf "%s%.3f", (NR > 1 ? " " : n " runs (s): "), $1/1e9} END {print ""}' >&2) \
    | sort -n | awk '{t[NR]=$1; if ($2 > r) r=$2} END {printf "%.3f %d\n", t[int((NR+1)/2)]/1e9, r}'
}
files=$(find "$work/in" -type f | wc -l)
bytes=$(du -sb "$work/in" | cut -f1)
large_bytes=$(stat -c %s "$work/large.dcm")
warm_gdcm="gdcmanon -e -c '$work/cert.pem' -i '$first_input' -o '$work/warm/g.dcm'"
policy=(); [ -n "${SMED_BENCH_POLICY:-}" ] && policy=(--policy "$(realpath "$SMED_BENCH_POLICY")")
warm_ours="$smed deid '$first_input' '$work/warm/ours' --key-file '$work/tenant.key' ${policy[*]}"
warm_cp="cp '$first_input' '$work/warm/c.dcm'"
read -r t_gdcm r_gdcm < <(measure gdcmanon "$work/in" "$warm_gdcm" gdcmanon --continue --recursive -e -c "$work/cert.pem" -i "$work/in" -o @OUT@)
read -r t_ours r_ours < <(measure ours "$work/in" "$warm_ours" $smed deid "$work/in" @OUT@ --key-file "$work/tenant.key" "${policy[@]}")
read -r t_cp r_cp < <(measure cp "$work/in" "$warm_cp" cp -r "$work/in" @OUT@)
read -r l_gdcm lr_gdcm < <(measure gdcmanon-large "$work/large.dcm" "$warm_gdcm" gdcmanon -e -c "$work/cert.pem" -i "$work/large.dcm" -o @OUT@.dcm)
read -r l_ours lr_ours < <(measure ours-large "$work/large.dcm" "$warm_ours" $smed deid "$work/large.dcm" @OUT@ --key-file "$work/tenant.key" "${policy[@]}")
read -r l_cp lr_cp < <(measure cp-large "$work/large.dcm" "$warm_cp" cp "$work/large.dcm" @OUT@.dcm)
awk -v f="$files" -v b="$bytes" -v lb="$large_bytes" \
    -v to="$t_ours" -v tg="$t_gdcm" -v tc="$t_cp" -v ro="$r_ours" -v rg="$r_gdcm" -v rc="$r_cp" \
    -v lo="$l_ours" -v lg="$l_gdcm" -v lc="$l_cp" -v lro="$lr_ours" -v lrg="$lr_gdcm" -v lrc="$lr_cp" 'BEGIN {
  printf "corpus x%d: %d files, %.1f MB (median of '"$reps"' runs each)\n", '"$copies"', f, b/1e6
  printf "  %-10s %8.3f s %9.1f files/s %8.1f MB/s %8.1f MB peak RSS\n", "smed deid", to, f/to, b/1e6/to, ro/1024
  printf "  %-10s %8.3f s %9.1f files/s %8.1f MB/s %8.1f MB peak RSS\n", "gdcmanon", tg, f/tg, b/1e6/tg, rg/1024
  printf "  %-10s %8.3f s %9.1f files/s %8.1f MB/s %8.1f MB peak RSS\n", "cp", tc, f/(tc>0?tc:0.01), b/1e6/(tc>0?tc:0.01), rc/1024
  printf "  ratio smed/gdcmanon files/s: %.2fx\n", tg/to
  printf "large file: %.1f MB (median of '"$reps"' runs each)\n", lb/1e6
  printf "  %-10s %8.3f s %8.1f MB/s %8.1f MB peak RSS\n", "smed deid", lo, lb/1e6/lo, lro/1024
  printf "  %-10s %8.3f s %8.1f MB/s %8.1f MB peak RSS\n", "gdcmanon", lg, lb/1e6/lg, lrg/1024
  printf "  %-10s %8.3f s %8.1f MB/s %8.1f MB peak RSS\n", "cp", lc, lb/1e6/(lc>0?lc:0.01), lrc/1024
  printf "  ratio smed/cp MB/s: %.2fx\n", (lc>0?lc:0.01)/lo
}'
