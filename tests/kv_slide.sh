# --kv-policy slide (tests/data/kv_slide.c) on stories260K --ctx 16, sink 4: 4x the context in one
# arena, the stop build's logits up to the context, forward_all / step_run / prompts in chunks past the
# context (bit for bit one token at a time), rewind, prompt lookup and saved state past the wrap; generic
# (f32 KV batched; q8 KV threaded under ASan+UBSan, which holds every access to the arena it was given).
# Past the wrap every kernel set against the portable one on the same 64 tokens (lmcc eval):
# x86-64-v4 (KL <= 1e-4), aarch64 under qemu (bit for bit), cortex-m55 under qemu (KL <= 1e-4).
. "$(dirname "$0")/lib.sh"
: "${LMCC_BUILD_DIR:?}"
CC=${CC:-cc}
CMP="python3 $(dirname "$0")/logits_compare.py"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
run() { # label flags -- compile options
  local label=$1 flags=$2 d="$WORK/$1"
  shift 3
  if ! "$LMCC" compile "$MODEL_GGUF" -o "$d" --name m --ctx 16 --kv-policy slide "$@" 2>"$WORK/err" ||
     ! "$LMCC" compile "$MODEL_GGUF" -o "$d" --name s --ctx 16 "$@" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "$label: compile ($*)"; return
  fi
  if ! $CC -std=c11 -O1 -g -Wall -Wextra -Werror $flags -I "$d" "$LMCC_SOURCE_DIR/tests/data/kv_slide.c" \
       "$d/m.c" "$d/m_weights.S" "$d/s.c" "$d/s_weights.S" -o "$d/kv" -lm -pthread 2>"$WORK/err"; then
    head -20 "$WORK/err"; fail "$label: build"; return
  fi
  if (cd "$d" && ./kv) >"$WORK/out" 2>&1; then ok "$label: $(grep -c '^ok' "$WORK/out") checks"
  else grep -v '^ok' "$WORK/out"; fail "$label ($*)"; fi
}
run generic-f32-batch "" -- -t generic --batch 3
run generic-q8-threads "$SAN" -- -t generic --kv q8 --threads 2 --batch 4

python3 -c "
import random; r = random.Random(99)
print(' '.join(['1'] + [str(r.randrange(512)) for _ in range(63)]))" > "$WORK/ids.txt"
ev() { # out target -- more options
  local out=$1 t=$2
  shift 3
  "$LMCC" eval "$MODEL_GGUF" -t "$t" --ctx 16 --kv-policy slide:2 "$@" --ids "$WORK/ids.txt" --logits "$WORK/$out.f32" \
    2>"$WORK/err" || { cat "$WORK/err"; fail "eval $out"; return 1; }
}
if ev g generic -- --kv q8; then ok "eval of 64 ids with --ctx 16 --kv-policy slide:2"; fi
if "$LMCC" --list-targets | grep -Eq "^x86-64-v4 +(native|runs)"; then
  ev v4 x86-64-v4 -- --kv q8 --threads 2 &&
  if $CMP "$WORK/g.f32" "$WORK/v4.f32" 512 --max-kl 1e-4 >/dev/null; then ok "x86-64-v4 past the wrap: the portable logits (KL <= 1e-4)"
  else fail "x86-64-v4 --kv-policy slide differs"; fi
else echo "SKIP: x86-64-v4 (does not run here)"; fi
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
  if ev a64 aarch64 -- --kv q8 && cmp -s "$WORK/g.f32" "$WORK/a64.f32"; then
    ok "aarch64 past the wrap: the portable logits bit for bit"
  else fail "aarch64 --kv-policy slide differs from the portable build"; fi
else echo "SKIP: aarch64 (aarch64-linux-gnu-gcc or qemu-aarch64 missing)"; fi
if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
  ev m55 cortex-m55 -- --kv q8 &&
  if $CMP "$WORK/g.f32" "$WORK/m55.f32" 512 --max-kl 1e-4 >/dev/null; then ok "cortex-m55 (qemu) past the wrap: the portable logits (KL <= 1e-4)"
  else fail "cortex-m55 --kv-policy slide differs"; fi
else echo "SKIP: cortex-m55 (arm-none-eabi-gcc or qemu-system-arm missing)"; fi

# gemma3 (tests/ref): its local layers' window of 32 keeps its own cache (with --ctx 34 --batch 4 the ring would be
# 35 slots: a slot per position, the window capped by the context), the global layer slides; the q/k head norms
# put the query's rotation in a rope node.  96 ids past a context of 34, the stop build's 34 rows bit for bit,
# and every row of --batch 1 bit for bit (past the context chunks of 4 tokens, each token's sink query its own).
G3="$WORK/g3.gguf"
if "$LMCC_BUILD_DIR/lmcc-synth" --model gemma3-ref --type f16 --vocab "$LMCC_SOURCE_DIR/tests/data/vocab/llama-spm-512.gguf" \
     -o "$G3" >/dev/null 2>&1; then
  tr '\n' ' ' <"$LMCC_SOURCE_DIR/tests/ref/ids.txt" | cut -d' ' -f1-34 >"$WORK/ids34.txt"
  if "$LMCC" eval "$G3" --ctx 34 --batch 4 --kv-policy slide --ids "$LMCC_SOURCE_DIR/tests/ref/ids.txt" --logits "$WORK/g3s.f32" 2>"$WORK/err" &&
     "$LMCC" eval "$G3" --ctx 34 --batch 4 --ids "$WORK/ids34.txt" --logits "$WORK/g3.f32" 2>>"$WORK/err" &&
     "$LMCC" eval "$G3" --ctx 34 --batch 1 --kv-policy slide --ids "$LMCC_SOURCE_DIR/tests/ref/ids.txt" --logits "$WORK/g3s1.f32" \
       2>>"$WORK/err" && cmp -s "$WORK/g3s.f32" "$WORK/g3s1.f32" &&
     [ "$(stat -c %s "$WORK/g3s.f32")" = $((96 * 512 * 4)) ] && head -c $((34 * 512 * 4)) "$WORK/g3s.f32" | cmp -s - "$WORK/g3.f32" &&
     python3 -c "import array, math, sys; a = array.array('f'); a.frombytes(open(sys.argv[1], 'rb').read()); sys.exit(not all(map(math.isfinite, a)))" "$WORK/g3s.f32"
  then ok "gemma3-ref --ctx 34 slide: 96 positions, finite, the stop build's first 34 rows and --batch 1 bit for bit"
  else cat "$WORK/err"; fail "gemma3-ref --kv-policy slide"; fi
else fail "lmcc-synth gemma3-ref"; fi

# the option: a context with no room for a ring, an unknown policy
if ! "$LMCC" compile "$MODEL_GGUF" -o "$WORK/x" --ctx 4 --kv-policy slide 2>"$WORK/err" && [ "$(wc -l <"$WORK/err")" = 1 ] &&
   grep -q "no room for a ring" "$WORK/err" && [ ! -e "$WORK/x" ]; then ok "--kv-policy slide with --ctx 4: one error line"
else cat "$WORK/err"; fail "--kv-policy slide --ctx 4"; fi
if ! "$LMCC" compile "$MODEL_GGUF" -o "$WORK/x" --kv-policy slid 2>"$WORK/err" && grep -q "unknown --kv-policy" "$WORK/err"
then ok "--kv-policy slid: unknown"; else cat "$WORK/err"; fail "--kv-policy slid"; fi
finish
