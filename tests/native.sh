# -t native: lmcc picks the best target file whose code runs on this machine (cpuid / hwcaps against
# each target's features), --list-targets marks which targets run here, and cross targets are never
# picked.  The expected choice comes from /proc/cpuinfo, independently of lmcc's cpuid table.
. "$(dirname "$0")/lib.sh"
list=$("$LMCC" --list-targets 2>"$WORK/err") || { fail "--list-targets"; cat "$WORK/err"; }
n_files=$(ls "$LMCC_SOURCE_DIR"/targets/*.target | wc -l)
n_rows=$(echo "$list" | grep -cE '^[a-z0-9-]+ +(native|runs|-) ')
if [ "$n_rows" = "$n_files" ] && [ "$(echo "$list" | grep -cE '^[a-z0-9-]+ +native ')" = 1 ]; then
  ok "--list-targets: $n_rows targets, one native"
else fail "--list-targets: $n_rows rows for $n_files files: $list"; fi
for t in cortex-m4 cortex-m55; do # bare metal never runs here
  if echo "$list" | grep -qE "^$t +- "; then ok "$t marked as not running here"; else fail "$t: $(echo "$list" | grep "^$t ")"; fi
done

if [ "$(uname -m)" = x86_64 ]; then
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { for f in "$@"; do case "$flags" in *" $f "*) ;; *) return 1 ;; esac; done; }
  want=generic
  has avx2 fma f16c && want=x86-64-v3
  has avx2 fma f16c avx512f avx512bw avx512dq avx512vl avx512_vnni && want=x86-64-v4
  if echo "$list" | grep -qE "^$want +native "; then ok "native on this CPU: $want"; else fail "want $want native: $list"; fi
  for t in aarch64 aarch64-dotprod; do
    if echo "$list" | grep -qE "^$t +- "; then ok "$t is a cross target here"; else fail "$t: $(echo "$list" | grep "^$t ")"; fi
  done
  "$LMCC" compile "$MODEL_GGUF" -t native -o "$WORK/nat" --name m 2>"$WORK/err"
  if grep -qE "^lmcc: sizes: .* target $want$" "$WORK/err" && [ -s "$WORK/nat/m.c" ]; then ok "compile -t native -> $want"
  else fail "compile -t native: $(cat "$WORK/err")"; fi
  got=$("$LMCC" run "$MODEL_GGUF" -t native --weights f32 --ids 1 -n 36 --temp 0 --print-ids 2>"$WORK/err")
  if [ "$got" = "$REF_TOKENS" ]; then ok "run -t native: the 36 reference tokens"; else fail "run -t native: '$got'"; cat "$WORK/err"; fi
fi

# a targets directory of our own: a target needing a feature no CPU has, a wider one for another
# architecture and a bare-metal one are never native; generic is
D="$WORK/targets"; mkdir "$D"
cp "$LMCC_SOURCE_DIR/targets/generic.target" "$D/"
sed -e 's/^name *=.*/name = future/' -e 's/^features *=.*/features = avx2 no_such_feature/' \
    -e 's/^vector_bits *=.*/vector_bits = 1024/' -e 's/^triple *=.*/triple = x86_64-linux-gnu/' \
    "$LMCC_SOURCE_DIR/targets/generic.target" > "$D/future.target"
sed -e 's/^name *=.*/name = other-arch/' -e 's/^triple *=.*/triple = riscv64-linux-gnu/' \
    -e 's/^vector_bits *=.*/vector_bits = 2048/' "$LMCC_SOURCE_DIR/targets/generic.target" > "$D/other-arch.target"
sed -e 's/^name *=.*/name = metal/' -e 's/^hosted *=.*/hosted = no/' -e 's/^vector_bits *=.*/vector_bits = 4096/' \
    "$LMCC_SOURCE_DIR/targets/generic.target" > "$D/metal.target"
list=$(LMCC_TARGETS_DIR="$D" "$LMCC" --list-targets 2>&1)
if echo "$list" | grep -qE '^generic +native ' && echo "$list" | grep -qE '^future +- ' &&
   echo "$list" | grep -qE '^other-arch +- ' && echo "$list" | grep -qE '^metal +- '; then
  ok "own directory: generic native, future / other-arch / metal not"
else fail "own directory: $list"; fi
LMCC_TARGETS_DIR="$D" "$LMCC" compile "$MODEL_GGUF" -t native -o "$WORK/g" --name m 2>"$WORK/err"
if grep -qE "target generic$" "$WORK/err"; then ok "compile -t native -> generic"; else fail "own dir compile: $(cat "$WORK/err")"; fi
# nothing runs here: one error line, exit 1, no output
rm "$D/generic.target"
LMCC_TARGETS_DIR="$D" "$LMCC" compile "$MODEL_GGUF" -t native -o "$WORK/none" --name m 2>"$WORK/err"
st=$?
if [ $st = 1 ] && [ "$(wc -l < "$WORK/err")" = 1 ] && grep -q "^lmcc: error: $D: no target here runs on this machine" "$WORK/err" &&
   [ ! -e "$WORK/none" ]; then ok "no runnable target: $(cat "$WORK/err")"
else fail "no runnable target: status $st, $(cat "$WORK/err")"; fi
finish
