#!/bin/sh
# Worst instructions per step_run slice (one section: the embedding, a layer, the output) of a
# model decoding on a Cortex-M target under QEMU with -icount (bench/step_icount.c).
#   bench/step_icount.sh MODEL [TARGET [lmcc compile options...]]    (TARGET: cortex-m55 or cortex-m4)
set -eu
LMCC=${LMCC:-lmcc}
model=$1
t=${2:-cortex-m55}
[ $# -ge 2 ] && shift 2 || shift 1
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
tf="$src/targets/$t.target"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$LMCC" compile "$model" -t "$t" --name m -o "$d" "$@" >/dev/null
fl=$(sed -n 's/^cflags *= *//p' "$tf")
lf=$(sed -n 's/^ldflags *= *//p' "$tf")
ld=$(sed -n 's/^linker_script *= *//p' "$tf")
st=$(sed -n 's/^startup *= *//p' "$tf")
em=$(sed -n 's/^emulator *= *//p' "$tf")
# shellcheck disable=SC2086
arm-none-eabi-gcc $fl -I "$d" -I "$src/targets/cortex-m" -L "$src/targets/cortex-m" -T "$src/targets/$ld" \
  "$src/targets/$st" "$d/m.c" "$d/m_weights.S" "$here/step_icount.c" -o "$d/p.elf" $lf
# the emulator line of the target with -icount: one ns of virtual time per instruction
# shellcheck disable=SC2086
${em%-kernel} -icount shift=0 -kernel "$d/p.elf"
