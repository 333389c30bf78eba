# Greedy generation from BOS through the compiled C reproduces the reference
# tokens of llama2.c's run.c and llama.cpp (an oracle lmcc did not produce).
. "$(dirname "$0")/lib.sh"
for model in "$MODEL_GGUF" "$MODEL_BIN"; do
  for embed in incbin array external; do
    got=$("$LMCC" run "$model" -t generic --weights f32 --embed "$embed" --ids 1 -n 36 --temp 0 --print-ids 2>"$WORK/err")
    if [ "$got" = "$REF_TOKENS" ]; then ok "$(basename "$model") embed=$embed: 36 reference tokens"
    else fail "$(basename "$model") embed=$embed: got '$got'"; cat "$WORK/err"; fi
  done
done
# f16 KV cache and f16 weights still follow the greedy path for the first tokens
got=$("$LMCC" run "$MODEL_GGUF" --weights f16 --kv f16 --ids 1 -n 8 --temp 0 --print-ids 2>/dev/null)
if [ "$got" = "$(echo $REF_TOKENS | cut -d' ' -f1-8)" ]; then ok "f16 weights + f16 kv: first 8 tokens"
else fail "f16: got '$got'"; fi
# text in, text out (placeholder vocabulary prints [i]); tokens/s on stderr
out=$("$LMCC" run "$MODEL_GGUF" -n 5 --temp 0.8 --seed 42 -p "" 2>"$WORK/err")
if grep -q "tok/s" "$WORK/err" && [ -n "$out" ]; then ok "run prints text and tok/s"; else fail "run output '$out'"; cat "$WORK/err"; fi
# sampling is deterministic for a seed
a=$("$LMCC" run "$MODEL_GGUF" --ids 1 -n 20 --temp 1 --top-k 40 --top-p 0.9 --seed 7 --print-ids 2>/dev/null)
b=$("$LMCC" run "$MODEL_GGUF" --ids 1 -n 20 --temp 1 --top-k 40 --top-p 0.9 --seed 7 --print-ids 2>/dev/null)
c=$("$LMCC" run "$MODEL_GGUF" --ids 1 -n 20 --temp 1 --top-k 40 --top-p 0.9 --seed 8 --print-ids 2>/dev/null)
if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ]; then ok "seeded sampling reproducible, seed-dependent"
else fail "sampling: '$a' / '$b' / '$c'"; fi
finish
