# An x86 target (X86_TARGET, default x86-64-v3; e2e_x86_v4.sh runs it for x86-64-v4): its kernels,
# fusion, int8 activations, tiled int4, threads and batched prefill against the interpreter and the
# generic build.
. "$(dirname "$0")/lib.sh"
T=${X86_TARGET:-x86-64-v3}
TF="$LMCC_SOURCE_DIR/targets/$T.target"
if ! "$LMCC" --list-targets 2>/dev/null | grep -qE "^$T +(native|runs) "; then
  echo "SKIP: this CPU lacks what $T needs ($(sed -n 's/^features *= *//p' "$TF")); its build cannot run here"; exit 77
fi
CFLAGS_T=$(sed -n 's/^cflags *= *//p' "$TF")
CMP="python3 $(dirname "$0")/logits_compare.py"
python3 -c "
import random; r = random.Random(99)
print(' '.join(['1'] + [str(r.randrange(512)) for _ in range(127)]))" > "$WORK/ids.txt"
"$LMCC" eval "$MODEL_GGUF" --reference --ids "$WORK/ids.txt" --logits "$WORK/ref.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "reference"; }
got=$("$LMCC" run "$MODEL_GGUF" -t $T --weights f32 --ids 1 -n 36 --temp 0 --print-ids 2>"$WORK/err")
if [ "$got" = "$REF_TOKENS" ]; then ok "$T f32: 36 reference tokens"; else fail "$T f32 tokens: '$got'"; cat "$WORK/err"; fi
for th in 1 2; do
  "$LMCC" eval "$MODEL_GGUF" -t $T --weights f32 --threads $th --ids "$WORK/ids.txt" --logits "$WORK/x$th.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "x86 f32 eval threads $th"; }
  if $CMP "$WORK/ref.f32" "$WORK/x$th.f32" 512 --max-abs 1e-4; then ok "$T f32 threads=$th == interpreter (<= 1e-4)"; else fail "x86 f32 threads=$th"; fi
done
# a prompt processed as one batch gives the logits of token-by-token decoding
a=$("$LMCC" run "$MODEL_GGUF" -t $T --weights q4 --ids "1 400 22 7 511 300 3 3 90 128 256 1 2 17 450 33 9 9 9 9" -n 8 --temp 0 --print-ids 2>/dev/null)
b=$("$LMCC" run "$MODEL_GGUF" -t $T --weights q4 --batch 1 --ids "1 400 22 7 511 300 3 3 90 128 256 1 2 17 450 33 9 9 9 9" -n 8 --temp 0 --print-ids 2>/dev/null)
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "batched prefill == one token at a time ($a)"; else fail "batched '$a' vs unbatched '$b'"; fi
# quantized: no worse than the generic build with the same weights (KL vs float)
for w in q8 q4; do
  "$LMCC" eval "$MODEL_GGUF" -t generic --weights $w --ids "$WORK/ids.txt" --logits "$WORK/g_$w.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "generic $w"; }
  "$LMCC" eval "$MODEL_GGUF" -t $T --weights $w --threads 2 --ids "$WORK/ids.txt" --logits "$WORK/x_$w.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "x86 $w"; }
  gkl=$($CMP "$WORK/ref.f32" "$WORK/g_$w.f32" 512 | sed -E 's/.*mean KL ([0-9.]+).*/\1/')
  echo -n "$T --weights $w: "
  if $CMP "$WORK/ref.f32" "$WORK/x_$w.f32" 512 --max-kl "$(python3 -c "print($gkl * 1.05 + 1e-4)")"; then ok "$w KL no worse than generic ($gkl)"; else fail "$w KL worse than generic ($gkl)"; fi
done
# a single-threaded build contains no threading code
"$LMCC" compile "$MODEL_GGUF" -t $T --weights q4 -o "$WORK/t1" --name m 2>/dev/null
"$LMCC" compile "$MODEL_GGUF" -t $T --weights q4 --threads 2 -o "$WORK/t2" --name m 2>/dev/null
cc $CFLAGS_T -c "$WORK/t1/m.c" -o "$WORK/t1.o" && cc $CFLAGS_T -c "$WORK/t2/m.c" -o "$WORK/t2.o"
# the int4 weights are in the target's tiles
R=$(sed -n 's/^int4_tile *= *\([0-9]*\)x.*/\1/p' "$TF")
if grep -q "tiles of $R rows" "$WORK/t1/m.c"; then ok "q4 weights in $R-row tiles"; else fail "no $R-row tiles in m.c"; fi
R8=$(sed -n 's/^int8_tile *= *\([0-9]*\)x.*/\1/p' "$TF")
if [ -n "$R8" ] && [ "$R8" != "$R" ]; then # q8_0 weights in the target's own int8 tiles
  "$LMCC" compile "$MODEL_GGUF" -t $T --weights q8 -o "$WORK/t8" --name m 2>/dev/null
  if grep -q "tiles of $R8 rows" "$WORK/t8/m.c" && ! grep -q "tiles of $R rows" "$WORK/t8/m.c"; then ok "q8 weights in $R8-row tiles"
  else fail "q8 weights not in $R8-row tiles"; fi
fi
if ! nm "$WORK/t1.o" | grep -qi pthread && nm "$WORK/t2.o" | grep -qi pthread; then ok "threads=1 object has no pthread symbols, threads=2 has"
else fail "pthread symbols: t1 $(nm "$WORK/t1.o" | grep -ci pthread), t2 $(nm "$WORK/t2.o" | grep -ci pthread)"; fi
for cc_ in gcc clang; do
  command -v $cc_ >/dev/null || continue
  if $cc_ $CFLAGS_T -Wall -Wextra -Werror -Wshadow -c "$WORK/t2/m.c" -o /dev/null 2>"$WORK/err"; then ok "$cc_: $T threaded output warning-free"; else fail "$cc_ warnings"; head "$WORK/err"; fi
done
finish
