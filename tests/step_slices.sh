# Preemptible decode (tests/data/step_slices.c): step_begin + step_run slices equal forward bit for
# bit on stories260K, single-threaded under ASan+UBSan (batch 1 and batched prefill) and threaded.
. "$(dirname "$0")/lib.sh"
CC=${CC:-cc}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
run() { # label flags -- compile options
  local label=$1 flags=$2 d="$WORK/$1"
  shift 3
  if ! "$LMCC" compile "$MODEL_GGUF" -o "$d" --name m --ctx 32 "$@" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "$label: compile ($*)"; return
  fi
  if ! $CC -std=c11 -O1 -g -Wall -Wextra -Werror $flags -I "$d" "$LMCC_SOURCE_DIR/tests/data/step_slices.c" \
       "$d/m.c" "$d/m_weights.S" -o "$d/st" -lm -pthread 2>"$WORK/err"; then
    head -20 "$WORK/err"; fail "$label: build"; return
  fi
  if "$d/st" >"$WORK/out" 2>&1; then ok "$label: $(grep -c '^ok' "$WORK/out") checks"
  else grep -v '^ok' "$WORK/out"; fail "$label ($*)"; fi
}
run generic "$SAN" -- -t generic
run generic-batch-q8 "$SAN" -- -t generic --batch 3 --kv q8
run generic-threads "$SAN" -- -t generic --threads 2 --batch 4
finish
