# The bare-metal Cortex-M targets (cortex-m4: DSP kernels on mps2-an386, cortex-m55: Helium/MVE
# kernels on mps3-an547) cross-built and run under qemu-system-arm with semihosting, against the
# interpreter and the generic build.
. "$(dirname "$0")/lib.sh"
missing=""
for tool in arm-none-eabi-gcc qemu-system-arm; do command -v $tool >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  echo "SKIP: cortex-m emulation tests need$missing (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
  exit 77
fi
CMP="python3 $(dirname "$0")/logits_compare.py"
python3 -c "
import random; r = random.Random(7)
print(' '.join(['1'] + [str(r.randrange(512)) for _ in range(47)]))" > "$WORK/ids.txt"
"$LMCC" eval "$MODEL_GGUF" --ctx 64 --reference --ids "$WORK/ids.txt" --logits "$WORK/ref.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "reference"; }
for w in q8 q4; do
  "$LMCC" eval "$MODEL_GGUF" --ctx 64 -t generic --weights $w --ids "$WORK/ids.txt" --logits "$WORK/g_$w.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "generic $w"; }
done
for t in cortex-m4 cortex-m55; do
  got=$("$LMCC" run "$MODEL_GGUF" -t $t --ctx 64 --weights f32 --ids 1 -n 36 --temp 0 --print-ids 2>"$WORK/err")
  if [ "$got" = "$REF_TOKENS" ]; then ok "$t f32: 36 reference tokens ($(grep -o 'generated.*' "$WORK/err"))"
  else fail "$t f32 tokens: '$got'"; cat "$WORK/err"; fi
  "$LMCC" eval "$MODEL_GGUF" -t $t --ctx 64 --weights f32 --ids "$WORK/ids.txt" --logits "$WORK/${t}_f32.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "$t f32 eval"; }
  if $CMP "$WORK/ref.f32" "$WORK/${t}_f32.f32" 512 --max-abs 1e-4; then ok "$t f32 logits == interpreter (<= 1e-4)"; else fail "$t f32 logits"; fi
  for w in q8 q4; do
    "$LMCC" eval "$MODEL_GGUF" -t $t --ctx 64 --weights $w --ids "$WORK/ids.txt" --logits "$WORK/${t}_$w.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "$t $w eval"; }
    gkl=$($CMP "$WORK/ref.f32" "$WORK/g_$w.f32" 512 | sed -E 's/.*mean KL ([0-9.e-]+).*/\1/')
    echo -n "$t --weights $w: "
    if $CMP "$WORK/ref.f32" "$WORK/${t}_$w.f32" 512 --max-kl "$(python3 -c "print($gkl * 1.05 + 1e-4)")"; then ok "$t $w KL no worse than generic ($gkl)"
    else fail "$t $w KL worse than generic ($gkl)"; fi
  done
  # the kernels keep the scalar integer sums, so the q4 build agrees with generic exactly
  if cmp -s "$WORK/g_q4.f32" "$WORK/${t}_q4.f32"; then ok "$t q4 logits bit-identical to generic"; else fail "$t q4 logits differ from generic"; fi
done
# the emitted C is warning-free for both cores, and a weight/arena mismatch is caught at link time
for t in cortex-m4 cortex-m55; do
  "$LMCC" compile "$MODEL_GGUF" -t $t --ctx 64 --weights q4 -o "$WORK/c_$t" --name m 2>/dev/null || fail "$t compile"
  fl=$(sed -n 's/^cflags *= *//p' "$LMCC_SOURCE_DIR/targets/$t.target")
  if arm-none-eabi-gcc $fl -Wall -Wextra -Werror -Wshadow -c "$WORK/c_$t/m.c" -o "$WORK/c_$t/m.o" 2>"$WORK/err"; then ok "$t: emitted C warning-free"
  else fail "$t warnings"; head "$WORK/err"; fi
  if arm-none-eabi-nm -u "$WORK/c_$t/m.o" | grep -v -w m_weights_blob | grep -q .; then fail "$t object needs libc: $(arm-none-eabi-nm -u "$WORK/c_$t/m.o" | tr '\n' ' ')"
  else ok "$t object references no libc symbol"; fi
done
# the accelerated kernels are really in the code: SMLAD on the M4, VMLADAVA.S8 on the M55
for pair in cortex-m4:smlad cortex-m55:vmladava.s8; do
  t=${pair%%:*} insn=${pair#*:}
  fl=$(sed -n 's/^cflags *= *//p' "$LMCC_SOURCE_DIR/targets/$t.target")
  arm-none-eabi-gcc $fl -S "$WORK/c_$t/m.c" -o "$WORK/c_$t/m.s"
  if grep -q -w "$insn" "$WORK/c_$t/m.s"; then ok "$t q4 code uses $insn"; else fail "no $insn in the $t build"; fi
done
finish
