# examples/firmware-m55: lmcc compile + make build the bare-metal project, QEMU runs it and it
# prints stories260K's greedy continuation of its fixed prompt (f32 weights: the reference tokens).
. "$(dirname "$0")/lib.sh"
missing=""
for tool in arm-none-eabi-gcc qemu-system-arm make; do command -v $tool >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  echo "SKIP: the firmware example needs$missing (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm make)"
  exit 77
fi
cp -r "$LMCC_SOURCE_DIR/examples/firmware-m55" "$WORK/fw"
rm -rf "$WORK/fw/build"
for w in f32 q8; do
  if make -C "$WORK/fw" LMCC="$LMCC" MODEL="$MODEL_GGUF" CORTEX_M="$LMCC_SOURCE_DIR/targets/cortex-m" WEIGHTS=$w B=build-$w >"$WORK/make.log" 2>&1; then
    ok "firmware ($w) builds: $(grep "^flash" "$WORK/make.log")"
  else fail "firmware ($w) build"; tail -20 "$WORK/make.log"; continue; fi
  out=$(timeout 120 make -s -C "$WORK/fw" LMCC="$LMCC" MODEL="$MODEL_GGUF" CORTEX_M="$LMCC_SOURCE_DIR/targets/cortex-m" WEIGHTS=$w B=build-$w run 2>&1)
  toks=$(printf '%s\n' "$out" | sed -n 's/^tokens: //p')
  n=$(echo $toks | wc -w)
  if [ "$n" -ge 30 ]; then ok "firmware ($w) printed $n tokens"; else fail "firmware ($w) output: $out"; fi
  # prompt = BOS + the reference's first 3 tokens: greedy f32 continues with the reference
  want=$(echo "$REF_TOKENS" | cut -d' ' -f4-36)
  if [ "$w" = f32 ]; then
    if [ "$(echo $toks | cut -d' ' -f1-33)" = "$want" ]; then ok "firmware f32 continues with the reference tokens"
    else fail "firmware f32 tokens '$toks' != '$want'"; fi
  fi
  if grep -q -w -E 'malloc|free|calloc|realloc' "$WORK/fw/build-$w/firmware.map"; then fail "firmware map mentions malloc"
  else ok "firmware ($w) links no allocator"; fi
done
finish
