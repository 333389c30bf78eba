#!/usr/bin/env bash
# tests/data/kquant/make_reference.sh - llama.cpp's logits on test_kquant_e2e's models (see that test).
# Needs a built lmcc (the test program writes the models) and llama.cpp's llama_logits
# (../shared/peer/build-llama-cpp.sh):
#   tests/data/kquant/make_reference.sh [BUILD_DIR (default: build)]
# Environment: PEER (default ../peer, where ../shared/peer/build-llama-cpp.sh ../peer builds: llama_logits), LMCC_SHARED_DIR (default ../shared: stories260K.gguf,
# whose tokenizer the models carry).
# Writes NAME.logits (llama.cpp's float logits [48][512] as little-endian halves; the rounding costs < 1e-6 in
# KL) and models.txt (per model: name, the FNV-1a 64 hash the test checks, sha256 and size of the GGUF file).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
PEER=${PEER:-$ROOT/../peer}
export LMCC_SHARED_DIR=${LMCC_SHARED_DIR:-$ROOT/../shared}
WRITER="$BUILD/test_kquant_e2e"
LOGITS="$PEER/llama_logits"
for t in "$WRITER" "$LOGITS"; do
  [ -x "$t" ] || { echo "make_reference.sh: $t not found (build lmcc; run ../shared/peer/build-llama-cpp.sh)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lmcc-kquant.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$WRITER" --write "$WORK" > "$WORK/hashes.txt"
{
  echo "# test_kquant_e2e's models and llama.cpp's logits on them; made by tests/data/kquant/make_reference.sh:"
  echo "#   test_kquant_e2e --write DIR && llama_logits DIR/NAME.gguf DIR/ids.txt NAME.f32 1  (then f32 -> f16)"
  echo "# llama_logits: ../shared/peer/llama_logits.c over libllama, $("$PEER/llama.cpp/build/bin/llama-completion" --version 2>&1 | head -1)"
  echo "# ids.txt: $(cat "$WORK/ids.txt")"
  echo "# name fnv1a64 sha256 bytes"
} > "$WORK/models.txt"
while read -r name hash; do
  gguf="$WORK/$name.gguf"
  "$LOGITS" "$gguf" "$WORK/ids.txt" "$WORK/$name.f32" 1 > "$WORK/logits.log" 2>&1 || { cat "$WORK/logits.log" >&2; exit 1; }
  python3 -c "
import array, struct, sys
a = array.array('f'); a.frombytes(open(sys.argv[1], 'rb').read())
open(sys.argv[2], 'wb').write(struct.pack('<%de' % len(a), *a))" "$WORK/$name.f32" "$WORK/$name.logits"
  echo "$name $hash $(sha256sum < "$gguf" | cut -d' ' -f1) $(stat -c %s "$gguf")" >> "$WORK/models.txt"
  echo "make_reference.sh: $name ($hash) -> $name.logits"
done < "$WORK/hashes.txt"
# the data goes in only when every model ran
mv "$WORK"/*.logits "$WORK/models.txt" "$HERE/"
