# x86-64-v4 (AVX-512 VNNI kernels: q4_0 64-row and q8_0 16-row tiles, IQ4_XS and K-quant row dots) against
# llama.cpp directly, --weights keep with the default (q8a) activations:
#  - llama-ref's Q4_0 and Q8_0 files of tests/ref (remade by lmcc-synth, hash checked),
#    mean KL(llama.cpp || lmcc) <= 0.03 over 96 positions, as arch_ref.sh's quantized rows;
#  - test_kquant_e2e's IQ4_XS file and its mixed-type file (IQ4_XS, IQ4_NL, Q2_K..Q6_K, Q5_x, Q8_0,
#    BF16 per tensor), against tests/data/kquant's llama.cpp logits: <= 1e-3, as that test's rows.
# Skipped (exit 77) where x86-64-v4's code does not run (no AVX-512 VNNI).
. "$(dirname "$0")/lib.sh"
: "${LMCC_BUILD_DIR:?}"
if ! "$LMCC" --list-targets | grep -Eq '^x86-64-v4 +(native|runs)'; then
  echo "SKIP: x86-64-v4 does not run on this CPU (it needs AVX-512 F/BW/DQ/VL and VNNI)"
  exit 77
fi
CMP="python3 $(dirname "$0")/logits_compare.py"
SYNTH="$LMCC_BUILD_DIR/lmcc-synth"
KQ="$LMCC_BUILD_DIR/test_kquant_e2e"
REF="$LMCC_SOURCE_DIR/tests/ref"
KREF="$LMCC_SOURCE_DIR/tests/data/kquant"
field() { sed -n "s/^$1 //p" "$2" | head -1; }

# compare NAME GGUF IDS REF_LOGITS BOUND ARGS...: lmcc eval on x86-64-v4 against llama.cpp's f16 logits
compare() {
  local name=$1 gguf=$2 ids=$3 ref=$4 bound=$5
  shift 5
  if ! "$LMCC" eval "$gguf" -t x86-64-v4 --weights keep "$@" --ids "$ids" --logits "$WORK/out.f32" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "$name: lmcc eval -t x86-64-v4 failed"; return
  fi
  echo -n "$name x86-64-v4: "
  if $CMP "$ref" "$WORK/out.f32" 512 --ref-dtype f16 --max-kl "$bound"; then ok "$name x86-64-v4 KL <= $bound"
  else fail "$name x86-64-v4 KL > $bound"; fi
}

for name in llama-ref-q4_0 llama-ref-q8_0; do
  manifest="$REF/$name.txt"
  model=$(field model "$manifest"); vocab=$(field vocab "$manifest")
  gguf="$WORK/$name.gguf"
  if ! "$SYNTH" --model "$model" --vocab "$LMCC_SOURCE_DIR/$vocab" --like "$manifest" -o "$gguf" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "$name: lmcc-synth"; continue
  fi
  if [ "$(sha256sum < "$gguf" | cut -d' ' -f1)" != "$(field sha256 "$manifest")" ]; then
    fail "$name: lmcc-synth's file differs from the one llama.cpp ran (sha256)"; continue
  fi
  compare "$name" "$gguf" "$REF/ids.txt" "$REF/$name.logits" 0.03
  rm -f "$gguf"
done

if mkdir "$WORK/kq" && "$KQ" --write "$WORK/kq" >"$WORK/kq.log" 2>&1; then
  for name in iq4_xs mix; do
    want=$(awk -v n="$name" '$1 == n { print $3 }' "$KREF/models.txt")
    if [ "$(sha256sum < "$WORK/kq/$name.gguf" | cut -d' ' -f1)" != "$want" ]; then
      fail "$name: test_kquant_e2e's file differs from the one llama.cpp ran (sha256)"; continue
    fi
    compare "kquant $name" "$WORK/kq/$name.gguf" "$WORK/kq/ids.txt" "$KREF/$name.logits" 1e-3 --ctx 64
  done
else
  cat "$WORK/kq.log"; fail "test_kquant_e2e --write"
fi
finish
