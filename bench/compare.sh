#!/usr/bin/env bash
# bench/compare.sh LLAMA_BENCH - lmcc against llama.cpp on the same GGUF files, side by side.
#
# For each model and thread count, ROUNDS rounds; each round runs llama-bench (prefill PROMPT tokens
# from an empty cache, then decode N tokens after PROMPT tokens of context) and then `lmcc bench`
# (prefill PROMPT tokens in one forward call, then N single-token steps, i.e. the same positions),
# alternating so that a change in machine load hits both.  Prints one markdown table: medians of
# each side's tok/s and the median of the per-round ratios lmcc / llama.cpp, the read-bandwidth probe
# lmcc bench runs in the same process, and decode weight bytes/s as a fraction of it.
#
# Environment knobs (defaults):
#   BUILD (ROOT/build), LMCC (BUILD/lmcc), SYNTH (BUILD/lmcc-synth), CACHE (~/.cache/lmcc-bench),
#   MODELS ("stories15M-q4_0 stories15M-q8_0 stories110M-q4_0 stories110M-q8_0 tinyllama-q4_0
#   tinyllama-q8_0": SHAPE-TYPE names are synthesized into CACHE with lmcc-synth; anything else is a
#   GGUF path), THREADS ("1 2"), ROUNDS (3), PROMPT (128), N (64), TARGET (native), KV (f16, the KV
#   cache type of both: llama.cpp's default), EXTRA (more lmcc options), OUT (a file for the table too).
set -uo pipefail
LLAMA_BENCH=${1:-}
if [ -z "$LLAMA_BENCH" ] || [ ! -x "$LLAMA_BENCH" ]; then
    echo "usage: bench/compare.sh LLAMA_BENCH   (a llama-bench binary; knobs: see the top of this file)" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LMCC=${LMCC:-$BUILD/lmcc}
SYNTH=${SYNTH:-$BUILD/lmcc-synth}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lmcc-bench}
VOCAB=$ROOT/tests/data/vocab/ggml-vocab-llama-spm.gguf
MODELS=${MODELS:-"stories15M-q4_0 stories15M-q8_0 stories110M-q4_0 stories110M-q8_0 tinyllama-q4_0 tinyllama-q8_0"}
THREADS=${THREADS:-"1 2"}
ROUNDS=${ROUNDS:-3}
PROMPT=${PROMPT:-128}
N=${N:-64}
TARGET=${TARGET:-native}
KV=${KV:-f16}
EXTRA=${EXTRA:-}
OUT=${OUT:-}
command -v python3 >/dev/null || { echo "compare.sh: python3 is needed to read the JSON" >&2; exit 1; }
[ -x "$LMCC" ] || { echo "compare.sh: $LMCC not found (build lmcc first, or set BUILD / LMCC)" >&2; exit 1; }
[ "$ROUNDS" -ge 1 ] 2>/dev/null || { echo "compare.sh: ROUNDS must be >= 1" >&2; exit 1; }
mkdir -p "$CACHE" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lmcc-compare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# the model file of a MODELS word: SHAPE-TYPE synthesized into the cache, or a path
model_file() {
    case "$1" in
    */* | *.gguf) echo "$1" ;;
    *)
        local f=$CACHE/$1.gguf
        if [ ! -f "$f" ]; then
            [ -x "$SYNTH" ] || { echo "compare.sh: $SYNTH not found to make $f" >&2; return 1; }
            echo "compare.sh: synthesizing $f" >&2
            "$SYNTH" --shape "${1%-*}" --type "${1##*-}" --vocab "$VOCAB" -o "$f" >&2 || return 1
        fi
        echo "$f" ;;
    esac
}

# tok/s of a llama-bench JSON run (one test)
llama_ts() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["avg_ts"])' "$1"; }
# a key of lmcc bench --json
lmcc_key() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

resolved=$("$LMCC" --list-targets 2>/dev/null | awk -v t="$TARGET" '
    /^\(/ { next } t == "native" && $2 == "native" { print $1 } t != "native" && $1 == t { print $1 }')
host=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
{
    echo "bench/compare.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $host, $(nproc) CPUs, load average at start:" \
         "$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "lmcc bench MODEL -t $TARGET (${resolved:-?}) --weights keep --kv $KV --threads T -p $PROMPT -n $N --repeat 1 $EXTRA"
    echo "$LLAMA_BENCH -m MODEL -t T -r 1 (-p $PROMPT -n 0) and (-p 0 -n $N -d $PROMPT), KV f16; $ROUNDS alternating rounds"
} >&2

rows=()
status=0
for m in $MODELS; do
    f=$(model_file "$m") || { rows+=("| $m | | failed to make the model | | | | | | | |"); status=1; continue; }
    for th in $THREADS; do
        lp=() lt=() mp=() mt=() pr=() bw=()
        failed=""
        for r in $(seq 1 "$ROUNDS"); do
            echo "compare.sh: $m, $th thread(s), round $r/$ROUNDS" >&2
            if ! "$LLAMA_BENCH" -m "$f" -t "$th" -r 1 -p "$PROMPT" -n 0 -o json >"$TMP/lp.json" 2>"$TMP/err" ||
               ! "$LLAMA_BENCH" -m "$f" -t "$th" -r 1 -p 0 -n "$N" -d "$PROMPT" -o json >"$TMP/lt.json" 2>>"$TMP/err"; then
                failed="llama-bench failed: $(tail -1 "$TMP/err")"; break
            fi
            # shellcheck disable=SC2086
            if ! "$LMCC" bench "$f" -t "$TARGET" --weights keep --kv "$KV" --threads "$th" -p "$PROMPT" -n "$N" \
                   --repeat 1 --json $EXTRA >"$TMP/m.json" 2>"$TMP/err"; then
                failed="lmcc bench failed: $(tail -1 "$TMP/err")"; break
            fi
            lp+=("$(llama_ts "$TMP/lp.json")") lt+=("$(llama_ts "$TMP/lt.json")")
            mp+=("$(lmcc_key "$TMP/m.json" prefill_tok_s)") mt+=("$(lmcc_key "$TMP/m.json" decode_tok_s)")
            pr+=("$(lmcc_key "$TMP/m.json" probe_gb_s)") bw+=("$(lmcc_key "$TMP/m.json" bw_fraction)")
        done
        if [ -n "$failed" ]; then rows+=("| $m | $th | $failed | | | | | | | |"); status=1; continue; fi
        rows+=("$(python3 - "$m" "$th" "${lp[*]}" "${mp[*]}" "${lt[*]}" "${mt[*]}" "${pr[*]}" "${bw[*]}" <<'EOF'
import statistics as st, sys
m, th = sys.argv[1], sys.argv[2]
lp, mp, lt, mt, pr, bw = ([float(v) for v in a.split()] for a in sys.argv[3:9])
med = st.median
rp = med(b / a for a, b in zip(lp, mp))
rt = med(b / a for a, b in zip(lt, mt))
print(f"| {m} | {th} | {med(lp):.1f} | {med(mp):.1f} | {rp:.2f}x | {med(lt):.1f} | {med(mt):.1f} | {rt:.2f}x "
      f"| {med(pr):.1f} | {med(bw):.2f} |")
EOF
)")
    done
done

{
    echo "| model | threads | prefill llama.cpp | prefill lmcc | ratio | decode llama.cpp | decode lmcc | ratio | probe GB/s | bw fraction |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for r in "${rows[@]}"; do echo "$r"; done
} | tee ${OUT:+"$OUT"}
echo "compare.sh: load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit $status
