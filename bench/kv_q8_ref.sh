#!/bin/bash
# --kv q8 on the float models of tests/ref (a measurement, not a test): each model's F16 file (remade by
# lmcc-synth) evaluated over the 96 teacher-forced positions of tests/ref/ids.txt with --kv f32, f16, q8
# (generic, --weights keep); mean KL and top-1 agreement of each against lmcc's own f16-KV logits (the same
# weights) and against llama.cpp's f16-KV logits (tests/ref/MODEL-f16.logits); then the f16-KV build's
# top-1 / top-2 logit gaps and the gaps of the positions where q8 KV picks another token.
# Usage: bench/kv_q8_ref.sh [BUILD=build] [MODEL...]
set -eu
B=${1:-build}
[ $# -gt 0 ] && shift
MODELS=${*:-llama-ref llama3-ref qwen2-ref qwen3-ref smollm3-ref gemma2-ref gemma3-ref phi3-ref}
REF=tests/ref
CMP="python3 tests/logits_compare.py"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
field() { sed -n "s/^$1 //p" "$2" | head -1; }
for m in $MODELS; do
  man=$REF/$m-f16.txt
  ctx=$(field ctx "$man")
  "$B/lmcc-synth" --model "$m" --type f16 --vocab "$(field vocab "$man")" -o "$W/$m.gguf" 2>/dev/null
  for kv in f32 f16 q8; do
    LMCC_QUANT=plain "$B/lmcc" eval "$W/$m.gguf" --weights keep --kv $kv ${ctx:+--ctx $ctx} --ids $REF/ids.txt \
      --logits "$W/$m-$kv.f32" 2>/dev/null
  done
  for kv in f32 q8; do
    echo "$m --kv $kv vs lmcc --kv f16: $($CMP "$W/$m-f16.f32" "$W/$m-$kv.f32" 512)"
  done
  for kv in f16 q8; do
    echo "$m --kv $kv vs llama.cpp f16 KV: $($CMP $REF/$m-f16.logits "$W/$m-$kv.f32" 512 --ref-dtype f16)"
  done
  python3 - "$W/$m-f16.f32" "$W/$m-q8.f32" "$m" <<'EOF_PY'
import array, sys
def load(p):
    a = array.array('f'); a.frombytes(open(p, 'rb').read()); return [a[i:i + 512] for i in range(0, len(a), 512)]
R, T = load(sys.argv[1]), load(sys.argv[2])
gaps, flips = [], []
for r, t in zip(R, T):
    s = sorted(r, reverse=True)
    gaps.append(s[0] - s[1])
    if max(range(512), key=r.__getitem__) != max(range(512), key=t.__getitem__): flips.append(s[0] - s[1])
g = sorted(gaps)
print(f"{sys.argv[3]} f16-KV top-1/top-2 logit gap: min {g[0]:.3f} p5 {g[len(g) * 5 // 100]:.3f} median "
      f"{g[len(g) // 2]:.3f}, {sum(x < 0.05 for x in g)} of {len(g)} below 0.05; q8 KV picks another token at "
      f"{len(flips)}, gaps " + " ".join(f"{x:.3f}" for x in flips))
EOF_PY
done
