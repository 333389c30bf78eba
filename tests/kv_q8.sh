# --kv q8 (int8 K and V, one f32 scale per token and KV head) on stories260K: mean KL against the
# f32-KV logits over 128 teacher-forced positions (<= 0.002), KV bytes per position (head_dim 8:
# 8 int8 + a 4-byte scale = 12 of f16's 16 bytes), and every kernel set that runs here against the
# portable build: x86-64-v3/v4 (AVX2 attention: another summation order, KL <= 1e-4), aarch64 under
# qemu (NEON, the portable float operations: bit for bit), cortex-m55 under qemu (KL <= 1e-4).
. "$(dirname "$0")/lib.sh"
CMP="python3 $(dirname "$0")/logits_compare.py"
python3 -c "
import random; r = random.Random(1234)
print(' '.join(['1'] + [str(r.randrange(512)) for _ in range(127)]))" > "$WORK/ids.txt"
cut -d' ' -f1-48 "$WORK/ids.txt" > "$WORK/ids48.txt"
ev() { # out target ctx ids kv -- more options
  local out=$1 t=$2 ctx=$3 ids=$4 kv=$5
  shift 5
  "$LMCC" eval "$MODEL_GGUF" -t "$t" --ctx "$ctx" --weights f32 --kv "$kv" "$@" --ids "$ids" --logits "$WORK/$out.f32" \
    2>"$WORK/err" || { cat "$WORK/err"; fail "eval $out"; return 1; }
}
ev f32 generic 128 "$WORK/ids.txt" f32 && ev f16 generic 128 "$WORK/ids.txt" f16 && ev q8 generic 128 "$WORK/ids.txt" q8 &&
ev q8t generic 128 "$WORK/ids.txt" q8 --threads 2 && ev q8b generic 128 "$WORK/ids.txt" q8 --batch 4
echo -n "--kv f16: "; $CMP "$WORK/f32.f32" "$WORK/f16.f32" 512
echo -n "--kv q8: "
if $CMP "$WORK/f32.f32" "$WORK/q8.f32" 512 --max-kl 0.002; then ok "--kv q8 mean KL vs f32 KV <= 0.002"; else fail "--kv q8 KL"; fi
if cmp -s "$WORK/q8.f32" "$WORK/q8t.f32"; then ok "--kv q8 --threads 2: the same logits bits"; else fail "--kv q8 threads differ"; fi
echo -n "--kv q8 --batch 4: "
if $CMP "$WORK/q8.f32" "$WORK/q8b.f32" 512 --max-kl 1e-6; then ok "--kv q8 batched prefill"; else fail "--kv q8 --batch 4"; fi

# KV bytes per position: f32 holds 4 bytes per element, q8 1 per element and 4 per head_dim (8) elements
for kv in f32 f16 q8; do
  "$LMCC" compile "$MODEL_GGUF" -t generic --ctx 64 --kv $kv -o "$WORK/c_$kv" --name m 2>"$WORK/err" || { cat "$WORK/err"; fail "compile --kv $kv"; }
done
row() { sed -n 's/^#define M_KV_ROW_BYTES \([0-9]*\)u.*/\1/p' "$WORK/c_$1/m.h"; }
r32=$(row f32) r16=$(row f16) r8=$(row q8)
if [ -n "$r8" ] && [ "$r16" = $((r32 / 2)) ] && [ "$r8" = $((r32 / 4 + r32 / 4 / 8 * 4)) ]; then
  ok "KV bytes per position: f32 $r32, f16 $r16, q8 $r8"
else fail "KV bytes per position: f32 '$r32' f16 '$r16' q8 '$r8'"; fi
if grep -q 'KV_TYPE "q8_kv"' "$WORK/c_q8/m.c"; then ok "the state header records KV type q8_kv"; else fail "KV_TYPE of a q8 build"; fi

x86() { # target
  if ! "$LMCC" --list-targets | grep -Eq "^$1 +(native|runs)"; then echo "SKIP: $1 (does not run here)"; return; fi
  ev "$1" "$1" 128 "$WORK/ids.txt" q8 --threads 2 || return
  echo -n "$1 --kv q8: "
  if $CMP "$WORK/q8.f32" "$WORK/$1.f32" 512 --max-kl 1e-4; then ok "$1 --kv q8 == portable (KL <= 1e-4)"; else fail "$1 --kv q8"; fi
}
x86 x86-64-v3
x86 x86-64-v4
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
  if ev a64 aarch64 128 "$WORK/ids.txt" q8 --threads 2 && cmp -s "$WORK/q8.f32" "$WORK/a64.f32"; then
    ok "aarch64 --kv q8: the portable build's logits bit for bit"
  else $CMP "$WORK/q8.f32" "$WORK/a64.f32" 512; fail "aarch64 --kv q8 differs from the portable build"; fi
else echo "SKIP: aarch64 (aarch64-linux-gnu-gcc or qemu-aarch64 missing)"; fi
if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
  if ev g48 generic 64 "$WORK/ids48.txt" q8 && ev m55 cortex-m55 64 "$WORK/ids48.txt" q8; then
    echo -n "cortex-m55 --kv q8: "
    if $CMP "$WORK/g48.f32" "$WORK/m55.f32" 512 --max-kl 1e-4; then ok "cortex-m55 --kv q8 == portable (KL <= 1e-4)"
    else fail "cortex-m55 --kv q8"; fi
  fi
else echo "SKIP: cortex-m55 (arm-none-eabi-gcc or qemu-system-arm missing)"; fi
finish
