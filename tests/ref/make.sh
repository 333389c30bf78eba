#!/usr/bin/env bash
# tests/ref/make.sh - regenerates llama.cpp's reference data for tests/arch_ref.sh (see README.md here).
# Needs a built lmcc (lmcc-synth) and llama.cpp's tools (../shared/peer/build-llama-cpp.sh):
#   tests/ref/make.sh [BUILD_DIR (default: build)] [MODEL ...]   (no MODEL: all of the list below)
# Environment: PEER (default ../peer, where ../shared/peer/build-llama-cpp.sh ../peer builds: llama_logits, llama.cpp/build/bin/llama-quantize),
# LMCC_SHARED_DIR (default ../shared: the full vocabularies the reduced ones are cut from).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
shift || true
PEER=${PEER:-$ROOT/../peer}
SHARED=${LMCC_SHARED_DIR:-$ROOT/../shared}
SYNTH="$BUILD/lmcc-synth"
QUANTIZE="$PEER/llama.cpp/build/bin/llama-quantize"
LOGITS="$PEER/llama_logits"
VOCAB_N=512
for t in "$SYNTH" "$QUANTIZE" "$LOGITS"; do
  [ -x "$t" ] || { echo "make.sh: $t not found (build lmcc; run ../shared/peer/build-llama-cpp.sh)" >&2; exit 1; }
done

# model, the vocabulary it is given (reduced from ../shared/vocab/ggml-vocab-NAME.gguf), the llama-quantize types
LIST="
llama-ref   llama-spm F16 Q8_0 Q4_0 Q4_K_M Q5_K_M Q6_K
llama3-ref  llama-bpe F16 Q8_0 Q4_K_M
smollm3-ref llama-bpe F16 Q4_K_M
qwen2-ref   qwen2     F16 Q8_0 Q4_0 Q4_K_M Q5_K_M Q6_K
qwen3-ref   qwen2     F16 Q8_0 Q4_0 Q4_K_M Q5_K_M Q6_K
phi3-ref    phi-3     F16 Q8_0 Q4_K_M
phi3-long-ref  phi-3  F16 Q4_K_M
phi3-short-ref phi-3  F16
qwen2-yarn-ref qwen2  F16 Q4_K_M
gemma2-ref  llama-spm F16 Q8_0 Q4_K_M
gemma3-ref  llama-spm F16 Q8_0 Q4_K_M
"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lmcc-ref.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# the teacher-forced sequence: 96 ids below the reduced vocabularies' size
python3 -c "
import random; r = random.Random(2026)
print(' '.join(str(r.randrange($VOCAB_N)) for _ in range(96)))" > "$HERE/ids.txt"

# llama_logits's context (its n_ctx: the sequence, at least 512): LongRoPE's factors depend on it
CTX=$(wc -w < "$HERE/ids.txt")
[ "$CTX" -ge 512 ] || CTX=512

echo "$LIST" | while read -r model vocab types; do
  [ -n "$model" ] || continue
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$model"; then continue; fi
  voc="tests/data/vocab/$vocab-$VOCAB_N.gguf"
  [ -f "$ROOT/$voc" ] || "$SYNTH" --reduce-vocab "$SHARED/vocab/ggml-vocab-$vocab.gguf" --vocab-size $VOCAB_N -o "$ROOT/$voc"
  base="$WORK/$model-F16.gguf"
  "$SYNTH" --model "$model" --type f16 --vocab "$ROOT/$voc" -o "$base" 2>/dev/null
  for type in $types; do
    lc=$(echo "$type" | tr A-Z a-z)
    out="$HERE/$model-$lc"
    gguf="$base"
    if [ "$type" = F16 ]; then
      made="lmcc-synth --model $model --type f16 --vocab $voc -o $model-f16.gguf"
    else
      gguf="$WORK/$model-$type.gguf"
      "$QUANTIZE" "$base" "$gguf" "$type" > "$WORK/quantize.log" 2>&1 || { cat "$WORK/quantize.log" >&2; exit 1; }
      made="lmcc-synth --model $model --type f16 --vocab $voc -o $model-f16.gguf && llama-quantize $model-f16.gguf $model-$lc.gguf $type"
    fi
    "$LOGITS" "$gguf" "$HERE/ids.txt" "$WORK/logits.f32" > "$WORK/logits.log" 2>&1 || { cat "$WORK/logits.log" >&2; exit 1; }
    python3 -c "
import array, struct, sys
a = array.array('f'); a.frombytes(open(sys.argv[1], 'rb').read())
open(sys.argv[2], 'wb').write(struct.pack('<%de' % len(a), *a))" "$WORK/logits.f32" "$out.logits"
    {
      echo "# $model $type: llama.cpp's logits for lmcc's tests (tests/ref/README.md); made by tests/ref/make.sh"
      echo "model $model"
      echo "vocab $voc"
      echo "type $type"
      echo "sha256 $(sha256sum < "$gguf" | cut -d' ' -f1)"
      echo "ctx $CTX"
      echo "command $made && llama_logits $model-$lc.gguf tests/ref/ids.txt out.f32"
      echo "logits $(basename "$out").logits: f16 [96][$VOCAB_N] of out.f32 ($(md5sum < "$WORK/logits.f32" | cut -d' ' -f1))"
      "$SYNTH" --manifest "$gguf"
    } > "$out.txt"
    if [ "$type" != F16 ]; then # lmcc-synth must make the same file without llama.cpp (what the test does)
      "$SYNTH" --model "$model" --vocab "$ROOT/$voc" --like "$out.txt" -o "$WORK/again.gguf" 2>/dev/null
      cmp -s "$gguf" "$WORK/again.gguf" || { echo "make.sh: lmcc-synth --like does not reproduce $model $type" >&2; exit 1; }
    fi
    echo "make.sh: $model $type -> $(basename "$out").txt, .logits"
  done
done
