# The aarch64 targets (NEON, +dotprod, +dotprod+i8mm) cross-built and run under qemu-user:
# reference tokens, f32 logits vs the interpreter, q8/q4 no worse than the generic build,
# threads, batched prefill (SMMLA on token pairs), warning-free generated code.
. "$(dirname "$0")/lib.sh"
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  echo "SKIP: aarch64-linux-gnu-gcc or qemu-aarch64 missing (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
  exit 77
fi
CMP="python3 $(dirname "$0")/logits_compare.py"
python3 -c "
import random; r = random.Random(99)
print(' '.join(['1'] + [str(r.randrange(512)) for _ in range(127)]))" > "$WORK/ids.txt"
"$LMCC" eval "$MODEL_GGUF" --reference --ids "$WORK/ids.txt" --logits "$WORK/ref.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "reference"; }
for w in q8 q4; do
  "$LMCC" eval "$MODEL_GGUF" -t generic --weights $w --ids "$WORK/ids.txt" --logits "$WORK/g_$w.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "generic $w"; }
done
PROMPT="1 400 22 7 511 300 3 3 90 128 256 1 2 17 450 33 9 9 9 9"
for T in aarch64 aarch64-dotprod aarch64-i8mm; do
  got=$("$LMCC" run "$MODEL_GGUF" -t $T --weights f32 --ids 1 -n 36 --temp 0 --print-ids 2>"$WORK/err")
  if [ "$got" = "$REF_TOKENS" ]; then ok "$T f32: 36 reference tokens"; else fail "$T f32 tokens: '$got'"; cat "$WORK/err"; fi
  ths="2"; [ $T = aarch64 ] && ths="1 2" # qemu is slow: single-threaded only once
  for th in $ths; do
    "$LMCC" eval "$MODEL_GGUF" -t $T --weights f32 --threads $th --ids "$WORK/ids.txt" --logits "$WORK/a.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "$T f32 eval threads $th"; }
    if $CMP "$WORK/ref.f32" "$WORK/a.f32" 512 --max-abs 1e-4; then ok "$T f32 threads=$th == interpreter (<= 1e-4)"; else fail "$T f32 threads=$th"; fi
  done
  for w in q8 q4; do
    "$LMCC" eval "$MODEL_GGUF" -t $T --weights $w --threads 2 --ids "$WORK/ids.txt" --logits "$WORK/a_$w.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "$T $w"; }
    gkl=$($CMP "$WORK/ref.f32" "$WORK/g_$w.f32" 512 | sed -E 's/.*mean KL ([0-9.]+).*/\1/')
    echo -n "$T --weights $w --threads 2: "
    if $CMP "$WORK/ref.f32" "$WORK/a_$w.f32" 512 --max-kl "$(python3 -c "print($gkl * 1.05 + 1e-4)")"; then ok "$T $w KL no worse than generic ($gkl)"; else fail "$T $w KL worse than generic ($gkl)"; fi
  done
  # a prompt processed in batches gives the tokens of one-at-a-time decoding
  a=$("$LMCC" run "$MODEL_GGUF" -t $T --weights q8 --ids "$PROMPT" -n 8 --temp 0 --print-ids 2>/dev/null)
  b=$("$LMCC" run "$MODEL_GGUF" -t $T --weights q8 --batch 1 --ids "$PROMPT" -n 8 --temp 0 --print-ids 2>/dev/null)
  if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "$T batched prefill == one token at a time ($a)"; else fail "$T batched '$a' vs unbatched '$b'"; fi
done
# the generated C (threaded, q4 tiles) is warning-free for both cross compilers
for T in aarch64 aarch64-dotprod; do
  "$LMCC" compile "$MODEL_GGUF" -t $T --weights q4 --threads 2 -o "$WORK/c_$T" --name m 2>"$WORK/err" || { cat "$WORK/err"; fail "$T compile"; continue; }
  m=$(sed -n 's/^cflags *= *//p' "$LMCC_SOURCE_DIR/targets/$T.target" | grep -o -- '-march=[^ ]*')
  for cc_ in "aarch64-linux-gnu-gcc" "clang --target=aarch64-linux-gnu"; do
    command -v ${cc_%% *} >/dev/null || continue
    if $cc_ -std=c11 -O2 $m -Wall -Wextra -Werror -Wshadow -c "$WORK/c_$T/m.c" -o "$WORK/m.o" 2>"$WORK/err"; then ok "$T: ${cc_%% *} output warning-free"
    else fail "$T: ${cc_%% *} warnings"; head "$WORK/err"; fi
  done
done
finish
