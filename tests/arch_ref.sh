# lmcc against llama.cpp, the reference implementation of every architecture, on the tiny models of
# tests/ref (tests/ref/README.md): each model is made again by lmcc-synth (no llama.cpp needed) and
# must hash to the file llama.cpp ran; then lmcc's logits over the 96 teacher-forced positions of
# tests/ref/ids.txt must be within mean KL(llama.cpp || lmcc) <= 1e-3 of llama.cpp's for a float file
# (--weights keep and f32) and <= 0.03 for a quantized one (--weights keep, default activations:
# llama.cpp rounds its activations to 8 bits, lmcc to its own int8 blocks).  On the llama and gemma3 float
# files --kv q8 stays within mean KL 0.004 of --kv f16 and picks the same next token at >= 94% of them.  A
# model of an architecture lmcc does not compile yet, or with a tensor it does not implement, must be
# one error.
# REF_FULL=1 runs every model x type x target x weights x activations combination (the README table).
. "$(dirname "$0")/lib.sh"
: "${LMCC_BUILD_DIR:?}"
CMP="python3 $(dirname "$0")/logits_compare.py"
SYNTH="$LMCC_BUILD_DIR/lmcc-synth"
REF="$LMCC_SOURCE_DIR/tests/ref"
# the models whose architecture lmcc compiles
MODELS="llama-ref llama3-ref qwen2-ref qwen3-ref smollm3-ref gemma2-ref gemma3-ref phi3-ref"
# RoPE scalings (LongRoPE above / below the original context, YaRN): the rotation is what they test, the kernels
# are their base models', so ctest runs their F16 file on one target (REF_FULL=1: all of it)
ROPE_MODELS="phi3-long-ref phi3-short-ref qwen2-yarn-ref"
MODELS="$MODELS $ROPE_MODELS"
TARGETS="generic"
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then TARGETS="$TARGETS x86-64-v3"; else echo "note: no AVX2: x86-64-v3 not run"; fi
# x86-64-v4 has its own K-quant kernels: run on the K-quant files when its code runs here
V4=0
if "$LMCC" --list-targets | grep -Eq '^x86-64-v4 +(native|runs)'; then V4=1; else echo "note: x86-64-v4 does not run here: not run"; fi
[ -x "$SYNTH" ] || { fail "$SYNTH was not built"; finish; }

field() { sed -n "s/^$1 //p" "$2" | head -1; }

# eval MODEL_FILE NAME TARGET BOUND ARGS...: lmcc's logits against the reference, mean KL <= BOUND
check() {
  local gguf=$1 name=$2 target=$3 bound=$4
  shift 4
  local out="$WORK/$name-$target.f32"
  # llama.cpp's context when the manifest gives it (LongRoPE picks its factors by the context)
  if ! "$LMCC" eval "$gguf" -t "$target" $CTXARG "$@" --ids "$REF/ids.txt" --logits "$out" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "$name $target $*: lmcc eval failed"; return
  fi
  echo -n "$name $target $*: "
  if $CMP "$LOGITS" "$out" 512 --ref-dtype f16 --max-kl "$bound"; then ok "$name $target $* KL <= $bound"
  else fail "$name $target $* KL > $bound"; fi
}

# check_kv_q8 MODEL_FILE NAME: int8 KV (one scale per token and KV head) against f16 KV
check_kv_q8() {
  if "$LMCC" eval "$1" --weights keep --kv f16 --ids "$REF/ids.txt" --logits "$WORK/kv16.f32" 2>"$WORK/err" &&
     "$LMCC" eval "$1" --weights keep --kv q8 --ids "$REF/ids.txt" --logits "$WORK/kv8.f32" 2>>"$WORK/err"; then
    echo -n "$2 --kv q8 vs --kv f16: "
    if $CMP "$WORK/kv16.f32" "$WORK/kv8.f32" 512 --max-kl 0.004 --min-top1 94; then
      ok "$2 --kv q8 vs f16 KV: mean KL <= 0.004, top-1 agreement >= 94%"
    else fail "$2 --kv q8 vs f16 KV"; fi
  else cat "$WORK/err"; fail "$2 --kv f16/q8 eval"; fi
}

for manifest in "$REF"/*.txt; do
  model=$(field model "$manifest"); type=$(field type "$manifest"); vocab=$(field vocab "$manifest")
  [ -n "$model" ] || continue # ids.txt
  name=$(basename "$manifest" .txt)
  # the cost: every type of llama-ref (the kernels), F16 and Q4_K_M of the others (the architecture)
  case " $MODELS " in *" $model "*)
    [ "$type" != F16 ] && [ "$type" != Q4_K_M ] && [ "$model" != llama-ref ] && [ "${REF_FULL:-0}" != 1 ] && continue;;
  esac
  ROPE_ONLY=0
  case " $ROPE_MODELS " in *" $model "*)
    [ "${REF_FULL:-0}" = 1 ] || ROPE_ONLY=1
    [ $ROPE_ONLY = 1 ] && [ "$type" != F16 ] && continue;;
  esac
  LOGITS="$REF/$name.logits"
  CTXARG=$(field ctx "$manifest"); [ -n "$CTXARG" ] && CTXARG="--ctx $CTXARG"
  gguf="$WORK/$name.gguf"
  if [ "$type" = F16 ]; then
    "$SYNTH" --model "$model" --type f16 --vocab "$LMCC_SOURCE_DIR/$vocab" -o "$gguf" 2>"$WORK/err"
  else
    "$SYNTH" --model "$model" --vocab "$LMCC_SOURCE_DIR/$vocab" --like "$manifest" -o "$gguf" 2>"$WORK/err"
  fi || { cat "$WORK/err"; fail "$name: lmcc-synth"; continue; }
  if [ "$(sha256sum < "$gguf" | cut -d' ' -f1)" = "$(field sha256 "$manifest")" ]; then ok "$name: lmcc-synth made llama.cpp's file"
  else fail "$name: lmcc-synth's file differs from the one llama.cpp ran (sha256)"; continue; fi
  case " $MODELS " in
  *" $model "*) ;;
  *)
    if "$LMCC" eval "$gguf" --ids "$REF/ids.txt" --logits "$WORK/x.f32" 2>"$WORK/err"; then
      fail "$name: compiles, but $model is not in MODELS (add it)"
    elif grep -q "^lmcc: error: .*\(unknown architecture\|tensor '.*' is not supported\)" "$WORK/err" &&
         [ "$(wc -l < "$WORK/err")" = 1 ]; then
      ok "$name: not compiled yet: $(cut -d'(' -f1 < "$WORK/err")"
    else
      cat "$WORK/err"; fail "$name: unexpected error"
    fi
    rm -f "$gguf"
    continue;;
  esac
  if [ "$type" = F16 ] && [ $ROPE_ONLY = 1 ]; then
    check "$gguf" "$name" "${TARGETS##* }" 1e-3 --weights keep
  elif [ "$type" = F16 ]; then
    for t in $TARGETS; do check "$gguf" "$name" "$t" 1e-3 --weights keep; done
    # int8 KV on llama (GQA) and gemma3 (rings) only, to keep the test's time (all eight:
    # bench/kv_q8_ref.sh, mean KL 0.0004-0.0023, top-1 agreement 95.8-100%: these peaked models have
    # near ties, llama.cpp's own Q8_0 weights agree 95.8%)
    case "$model" in llama-ref|gemma3-ref) check_kv_q8 "$gguf" "$name";; esac
    check "$gguf" "$name" "${TARGETS##* }" 1e-3 --weights f32
    [ "${REF_FULL:-0}" = 1 ] && for t in $TARGETS; do check "$gguf" "$name" "$t" 1e-3 --weights f32; done
  else
    for t in $TARGETS; do
      [ "$t" = generic ] && [ "$type" != Q4_K_M ] && [ "${REF_FULL:-0}" != 1 ] && continue
      check "$gguf" "$name" "$t" 0.03 --weights keep
      [ "${REF_FULL:-0}" = 1 ] && check "$gguf" "$name" "$t" 0.03 --weights keep --act f32
    done
    case "$type" in Q4_K*|Q6_K) [ $V4 = 1 ] && check "$gguf" "$name" x86-64-v4 0.03 --weights keep;; esac
  fi
  rm -f "$gguf"
done

# LongRoPE's context floor: phi3-long-ref compiled above its original context (256) carries the long
# factors, so init_ctx refuses 256 (where llama.cpp takes the short ones) and accepts 257; compiled
# at 256 it carries the short ones and any context is fine
voc=$(field vocab "$REF/phi3-long-ref-f16.txt")
cat > "$WORK/floor.c" <<'EOF_C'
#include "m.h"
#include <stdlib.h>
int main(void) {
    m_ctx c;
    void *a = aligned_alloc(M_ARENA_ALIGN, (M_ARENA_BYTES + M_ARENA_ALIGN - 1) / M_ARENA_ALIGN * M_ARENA_ALIGN);
    if (!a || M_CTX_MIN != 257) return 1;
    if (m_init_ctx(&c, a, M_ARENA_BYTES, NULL, 0, M_CTX_MIN - 1) != M_ERR_ARG) return 2;
    if (m_init_ctx(&c, a, M_ARENA_BYTES, NULL, 0, M_CTX_MIN) != M_OK || !m_forward(&c, (const int32_t[]){1, 2}, 2)) return 3;
    return 0;
}
EOF_C
if "$SYNTH" --model phi3-long-ref --type f16 --vocab "$LMCC_SOURCE_DIR/$voc" -o "$WORK/lr.gguf" 2>"$WORK/err" &&
   "$LMCC" compile "$WORK/lr.gguf" -o "$WORK/lr" --name m -t generic --ctx 512 2>"$WORK/err" &&
   "$LMCC" compile "$WORK/lr.gguf" -o "$WORK/ls" --name m -t generic --ctx 256 2>"$WORK/err" &&
   ${CC:-cc} -std=c11 -O1 -Wall -Wextra -Werror -I "$WORK/lr" "$WORK/floor.c" "$WORK/lr/m.c" "$WORK/lr/m_weights.S" \
     -o "$WORK/floor" -lm -pthread 2>"$WORK/err"; then
  if "$WORK/floor"; then ok "LongRoPE above the original context: M_CTX_MIN 257, init_ctx(256) refused, 257 runs"
  else fail "LongRoPE context floor: the app exits $?"; fi
  if grep -q "define M_CTX_MIN 1 " "$WORK/ls/m.h"; then ok "LongRoPE at the original context: M_CTX_MIN 1"
  else fail "LongRoPE at --ctx 256: $(grep CTX_MIN "$WORK/ls/m.h")"; fi
else
  head -20 "$WORK/err"; fail "LongRoPE context floor: synth / compile / build"
fi
finish
