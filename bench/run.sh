#!/usr/bin/env bash
# bench/run.sh - synthesize benchmark models (cached) and run `lmcc bench` on
# each, printing one markdown table.  Environment knobs (defaults):
#   BUILD (ROOT/build), LMCC (BUILD/lmcc), SYNTH (BUILD/lmcc-synth),
#   CACHE (~/.cache/lmcc-bench), TARGET (x86-64-v3), PROMPT (128), N (64),
#   REPEAT (3), SHAPES ("stories15M stories110M tinyllama"), TYPES ("q4_0 q8_0"),
#   THREADS (2), EXTRA (more lmcc options, e.g. "--batch 32").
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LMCC=${LMCC:-$BUILD/lmcc}
SYNTH=${SYNTH:-$BUILD/lmcc-synth}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lmcc-bench}
VOCAB=$ROOT/tests/data/vocab/ggml-vocab-llama-spm.gguf
TARGET=${TARGET:-x86-64-v3}
PROMPT=${PROMPT:-128}
N=${N:-64}
REPEAT=${REPEAT:-3}
SHAPES=${SHAPES:-"stories15M stories110M tinyllama"}
TYPES=${TYPES:-"q4_0 q8_0"}
THREADS=${THREADS:-2}
EXTRA=${EXTRA:-}

for tool in "$LMCC" "$SYNTH"; do
    [ -x "$tool" ] || { echo "run.sh: $tool not found (build lmcc first, or set BUILD / LMCC / SYNTH)" >&2; exit 1; }
done
[ -f "$VOCAB" ] || { echo "run.sh: $VOCAB missing" >&2; exit 1; }
mkdir -p "$CACHE" || exit 1

# value of a numeric key in the one-line JSON object
jget() { sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p" <<<"$2"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

rows=()
status=0
for shape in $SHAPES; do
    for type in $TYPES; do
        model=$CACHE/$shape-$type.gguf
        if [ ! -f "$model" ]; then
            echo "run.sh: synthesizing $model" >&2
            "$SYNTH" --shape "$shape" --type "$type" --vocab "$VOCAB" -o "$model" >&2 || { status=1; continue; }
        fi
        thread_list=$THREADS
        [ "$shape" = stories15M ] && [ "$THREADS" != 1 ] && thread_list="1 $THREADS"
        for th in $thread_list; do
            echo "run.sh: bench $shape $type, $th thread(s)" >&2
            # shellcheck disable=SC2086
            if ! out=$("$LMCC" bench "$model" -t "$TARGET" --weights keep --threads "$th" -p "$PROMPT" -n "$N" \
                       --repeat "$REPEAT" --json $EXTRA) || [ -z "$(jget decode_tok_s "$out")" ]; then
                rows+=("| $shape | $type | $th | failed | | | | | |")
                status=1
                continue
            fi
            rows+=("| $shape | $type | $th | $(jget prefill_tok_s "$out") | $(jget decode_tok_s "$out") | \
$(jget probe_gb_s "$out") | $(jget bw_fraction "$out") | $(mib "$(jget arena_bytes "$out")") | \
$(mib "$(jget peak_rss_bytes "$out")") |")
        done
    done
done

echo "lmcc bench, target $TARGET, prompt $PROMPT, decode $N tokens, median of $REPEAT runs"
echo
echo "| model | weights | threads | prefill tok/s | decode tok/s | probe GB/s | bw fraction | arena | peak RSS |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for r in "${rows[@]}"; do echo "$r"; done
exit $status
