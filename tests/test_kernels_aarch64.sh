# The aarch64 kernel sets against the scalar set, bit for bit: tests/kernels_aarch64_check.c
# cross-built for NEON, +dotprod and +dotprod+i8mm and run under qemu-user; and both headers
# warning-free as generated code compiles them (freestanding, -O0 and -O2, gcc and clang).
. "$(dirname "$0")/lib.sh"
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  echo "SKIP: aarch64-linux-gnu-gcc or qemu-aarch64 missing (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
  exit 77
fi
RT="$LMCC_SOURCE_DIR/runtime-min"
EMU="qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu"
for m in armv8-a armv8.2-a+dotprod armv8.2-a+dotprod+i8mm; do
  # -ffp-contract=off: the scalar twins must not be fused into FMAs either
  if aarch64-linux-gnu-gcc -std=c11 -O2 -march=$m -ffp-contract=off -Wall -Wextra -Werror -Wshadow -I "$RT" \
       "$LMCC_SOURCE_DIR/tests/kernels_aarch64_check.c" -o "$WORK/check" -lm 2>"$WORK/err"; then
    if $EMU "$WORK/check" >"$WORK/out" 2>&1; then ok "-march=$m: $(tail -1 "$WORK/out")"
    else fail "-march=$m"; grep -m20 FAIL "$WORK/out"; tail -1 "$WORK/out"; fi
  else fail "-march=$m: check program does not build"; head -20 "$WORK/err"; fi
done
for set in aarch64 aarch64_dotprod; do
  printf '#include "lmrt_kernels_%s.h"\n' $set >"$WORK/inc.c"
  for cc_ in "aarch64-linux-gnu-gcc" "clang --target=aarch64-linux-gnu"; do
    command -v ${cc_%% *} >/dev/null || continue
    for m in armv8-a armv8.2-a+dotprod+i8mm; do
      [ $set = aarch64_dotprod ] && [ $m = armv8-a ] && continue
      for O in -O0 -O2; do
        if $cc_ -std=c11 $O -march=$m -ffreestanding -Wall -Wextra -Werror -Wshadow -I "$RT" -c "$WORK/inc.c" \
             -o "$WORK/inc.o" 2>"$WORK/err"; then ok "$set: ${cc_%% *} $O -march=$m warning-free"
        else fail "$set: ${cc_%% *} $O -march=$m"; head -20 "$WORK/err"; fi
      done
    done
  done
done
# the dotprod set refuses a compiler without the extension instead of silently running NEON code
printf '#include "lmrt_kernels_aarch64_dotprod.h"\n' >"$WORK/inc.c"
if aarch64-linux-gnu-gcc -std=c11 -march=armv8-a -I "$RT" -c "$WORK/inc.c" -o "$WORK/inc.o" 2>/dev/null; then
  fail "aarch64_dotprod builds without +dotprod"
else ok "aarch64_dotprod without +dotprod is an error"; fi
finish
