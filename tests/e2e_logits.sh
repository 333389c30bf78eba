# Teacher-forced logits of the compiled C against the float interpreter
# (f32: max |diff| <= 1e-4 over 128 positions), the .bin against the .gguf,
# and the KL divergence of q8/q4 builds (reported; loose bounds that can fail).
. "$(dirname "$0")/lib.sh"
CMP="python3 $(dirname "$0")/logits_compare.py"
# 128 pseudo-random ids (BOS first), a different stream per run of the test suite is not needed:
python3 -c "
import random; r = random.Random(1234)
print(' '.join(['1'] + [str(r.randrange(512)) for _ in range(127)]))" > "$WORK/ids.txt"
"$LMCC" eval "$MODEL_GGUF" --ids "$WORK/ids.txt" --logits "$WORK/ref.f32" --reference 2>"$WORK/err" || { cat "$WORK/err"; fail "reference eval"; }
"$LMCC" eval "$MODEL_GGUF" --weights f32 --ids "$WORK/ids.txt" --logits "$WORK/c.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "compiled eval"; }
if $CMP "$WORK/ref.f32" "$WORK/c.f32" 512 --max-abs 1e-4; then ok "f32 compiled C == interpreter (<= 1e-4)"; else fail "f32 logits differ"; fi
"$LMCC" eval "$MODEL_BIN" --weights f32 --ids "$WORK/ids.txt" --logits "$WORK/bin.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "bin eval"; }
if $CMP "$WORK/c.f32" "$WORK/bin.f32" 512 --max-abs 1e-5; then ok ".bin == .gguf logits"; else fail ".bin vs .gguf"; fi
"$LMCC" eval "$MODEL_BIN" --reference --ids "$WORK/ids.txt" --logits "$WORK/binref.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "bin reference eval"; }
if $CMP "$WORK/ref.f32" "$WORK/binref.f32" 512 --max-abs 1e-5; then ok ".bin == .gguf in the interpreter"; else fail ".bin vs .gguf (interpreter)"; fi
for kv in f16; do
  "$LMCC" eval "$MODEL_GGUF" --weights f32 --kv $kv --ids "$WORK/ids.txt" --logits "$WORK/kv.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "kv $kv eval"; }
  if $CMP "$WORK/ref.f32" "$WORK/kv.f32" 512 --max-kl 1e-3; then ok "kv $kv close to float"; else fail "kv $kv"; fi
done
# quantized builds: KL vs the float reference (llama.cpp on this model: Q8_0 ~0.04, Q4_0 ~2.3)
for spec in "f16 0.001" "q8 0.1" "q4 4.0"; do
  set -- $spec
  "$LMCC" eval "$MODEL_GGUF" --weights "$1" --ids "$WORK/ids.txt" --logits "$WORK/$1.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "$1 eval"; }
  echo -n "--weights $1: "
  if $CMP "$WORK/ref.f32" "$WORK/$1.f32" 512 --max-kl "$2"; then ok "$1 mean KL <= $2"; else fail "$1 KL"; fi
done
finish
