# Saved state, rewind and forward_all (tests/data/kv_state.c) on stories260K, per KV type and
# target that runs here: single-threaded and threaded, batch 1 and batched prefill, under
# ASan+UBSan on generic.  The other build (o) differs in KV type, so its states are foreign; e is
# m compiled with --ctx 8, what m's init_ctx(8) must equal.
. "$(dirname "$0")/lib.sh"
CC=${CC:-cc}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
run() { # label kv other-kv flags -- compile options
  local label=$1 kv=$2 okv=$3 flags=$4 d="$WORK/$1"
  shift 5
  if ! "$LMCC" compile "$MODEL_GGUF" -o "$d" --name m --ctx 32 --kv "$kv" "$@" 2>"$WORK/err" ||
     ! "$LMCC" compile "$MODEL_GGUF" -o "$d" --name o --ctx 32 --kv "$okv" "$@" 2>"$WORK/err" ||
     ! "$LMCC" compile "$MODEL_GGUF" -o "$d" --name e --ctx 8 --kv "$kv" "$@" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "$label: compile ($*)"; return
  fi
  if ! $CC -std=c11 -O1 -g -Wall -Wextra -Werror $flags -I "$d" "$LMCC_SOURCE_DIR/tests/data/kv_state.c" \
       "$d/m.c" "$d/m_weights.S" "$d/o.c" "$d/o_weights.S" "$d/e.c" "$d/e_weights.S" -o "$d/kv" -lm -pthread 2>"$WORK/err"; then
    head -20 "$WORK/err"; fail "$label: build"; return
  fi
  if (cd "$d" && ./kv) >"$WORK/out" 2>&1; then ok "$label: $(grep -c '^ok' "$WORK/out") checks"
  else grep -v '^ok' "$WORK/out"; fail "$label ($*)"; fi
}
run generic-f32 f32 f16 "$SAN" -- -t generic
run generic-f16-threads f16 f32 "$SAN" -- -t generic --threads 2
run generic-q8-batch q8 f16 "$SAN" -- -t generic --batch 3
if "$LMCC" --list-targets | grep -q '^x86-64-v3 .*\(runs\|native\)'; then
  run x86-64-v3-batch f32 f16 "-march=x86-64-v3" -- -t x86-64-v3 --batch 4
  run x86-64-v3-f16 f16 f32 "-march=x86-64-v3" -- -t x86-64-v3 --threads 2
  run x86-64-v3-q8 q8 f32 "-march=x86-64-v3" -- -t x86-64-v3 --threads 2
else
  echo "SKIP: x86-64-v3 (does not run here)"
fi

# lmcc run --save-state / --load-state: a session continued from its file samples what one run
# over all its tokens does (greedy, generic: one token per chunk, so the same arithmetic)
R=(-t generic --ctx 32 --temp 0 --print-ids)
if g1=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "1 403 407" -n 6 --save-state "$WORK/s.state" 2>"$WORK/err") &&
   g2=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "261 378" -n 4 --load-state "$WORK/s.state" 2>>"$WORK/err") &&
   g3=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "1 403 407 $g1 261 378" -n 4 2>>"$WORK/err") &&
   [ -n "$g2" ] && [ "$g2" = "$g3" ]; then
  ok "run --save-state then --load-state: $g2 (one run over every token: the same)"
else cat "$WORK/err"; fail "run --save-state/--load-state: '$g1' -> '$g2' vs '$g3'"; fi
if ! "$LMCC" run "$MODEL_GGUF" "${R[@]}" --kv f16 --ids "261" -n 2 --load-state "$WORK/s.state" >/dev/null 2>"$WORK/err" &&
   grep -q "another model's or KV type's" "$WORK/err"; then ok "run --load-state of another KV type's state: an error"
else cat "$WORK/err"; fail "run --load-state of a foreign state"; fi
finish
