# lmcc compile prints one size line (weights, code, arena, KV) and enforces
# --budget-ram / --budget-flash: over budget = one error line, exit 1, and
# OUTDIR untouched (also when it holds an earlier build).
. "$(dirname "$0")/lib.sh"
export LMCC_CODE_SIZE=1 # the size line's code bytes are what this checks
G="$MODEL_GGUF"
"$LMCC" compile "$G" --weights q8 -o "$WORK/ok" --name m 2>"$WORK/err" || { cat "$WORK/err"; fail "plain compile"; finish; }
line=$(grep '^lmcc: sizes: ' "$WORK/err")
echo "  $line"
arena=$(sed -nE 's/^#define M_ARENA_BYTES ([0-9]+)u.*/\1/p' "$WORK/ok/m.h")
kv=$(sed -nE 's/^#define M_KV_BYTES ([0-9]+)u.*/\1/p' "$WORK/ok/m.h")
wb=$(stat -c %s "$WORK/ok/m.weights")
if [[ "$line" =~ ^lmcc:\ sizes:\ weights\ $wb\ bytes,\ code\ ([0-9]+)\ bytes\ \(text\ ([0-9]+)\ \+\ data\ ([0-9]+)\),\ arena\ $arena\ bytes\ \(KV\ $kv:\ ([0-9]+)\ per\ layer\),\ target\ generic$ ]] &&
   [ $((BASH_REMATCH[4] * $(sed -nE 's/^#define M_N_LAYERS ([0-9]+)$/\1/p' "$WORK/ok/m.h"))) = "$kv" ]; then
  code=${BASH_REMATCH[1]}; text=${BASH_REMATCH[2]}
  ok "size line matches m.weights ($wb), M_ARENA_BYTES ($arena), M_KV_BYTES ($kv), per layer x M_N_LAYERS"
else fail "size line '$line' (weights $wb, arena $arena, kv $kv)"; code=0; text=0; fi
# code bytes: independently, binutils' view of the same object's executable sections
${CC:-cc} -std=c11 -O2 -I "$WORK/ok" -c "$WORK/ok/m.c" -o "$WORK/m.o" 2>/dev/null
if command -v size >/dev/null && [ -s "$WORK/m.o" ]; then
  t2=$(size -A "$WORK/m.o" | awk '$1 ~ /^\.text/ {s += $2} END {print s + 0}')
  [ "$text" = "$t2" ] && ok "text bytes == size -A .text* ($t2)" || fail "text $text vs size -A $t2"
fi

expect_budget_error() { # NAME PATTERN ARGS...: exit 1, one line, OUTDIR as it was
  local name=$1 pat=$2; shift 2
  rm -rf "$WORK/out"; mkdir -p "$WORK/out"; echo keep > "$WORK/out/m.h"
  "$LMCC" compile "$G" --weights q8 -o "$WORK/out" --name m "$@" 2>"$WORK/err"
  local st=$?
  if [ $st = 1 ] && [ "$(grep -c '^lmcc: error' "$WORK/err")" = 1 ] && grep -qE "^lmcc: error: .*$pat" "$WORK/err" &&
     [ "$(ls -A "$WORK/out")" = m.h ] && [ "$(cat "$WORK/out/m.h")" = keep ]; then ok "$name: $(grep '^lmcc: error' "$WORK/err")"
  else fail "$name: exit $st, out: $(ls -A "$WORK/out" | tr '\n' ' ')"; cat "$WORK/err"; fi
}
esc_g=$(printf '%s' "$G" | sed 's/[.[\*^$/]/\\&/g')
expect_budget_error "RAM 1K" "$esc_g: needs $arena bytes of RAM, budget is 1024 \(hint: --ctx, --kv f16, --weights q4\)$" --budget-ram 1K
expect_budget_error "RAM one byte short" "needs $arena bytes of RAM, budget is $((arena - 1)) " --budget-ram $((arena - 1))
flash=$((wb + code))
expect_budget_error "flash one byte short" "needs $flash bytes of flash \(weights $wb \+ code $code\), budget is $((flash - 1)) " --budget-flash $((flash - 1))
expect_budget_error "bad suffix" "--budget-ram '12Q'" --budget-ram 12Q
for args in "--budget-ram $arena --budget-flash $flash" "--budget-ram 1M --budget-flash 2M" "--budget-ram 0.5G --budget-flash 1.5m"; do
  rm -rf "$WORK/big"
  if "$LMCC" compile "$G" --weights q8 -o "$WORK/big" --name m $args 2>"$WORK/err" && [ -s "$WORK/big/m.c" ]; then ok "fits: $args"
  else fail "$args"; cat "$WORK/err"; fi
done
# the hint works: a smaller context fits a budget the default context does not
if "$LMCC" compile "$G" --weights q8 -o "$WORK/ctx" --name m --ctx 32 --budget-ram $((arena / 2)) 2>/dev/null; then ok "--ctx 32 fits $((arena / 2)) bytes"
else fail "--ctx 32 with half the RAM"; fi
# compressed weights count as what is stored
"$LMCC" compile "$G" --weights q8 -o "$WORK/z" --name m --compress=zstd 2>"$WORK/err"
zb=$(stat -c %s "$WORK/z/m.weights")
grep -q "^lmcc: sizes: weights $zb bytes" "$WORK/err" && ok "zstd build: size line counts the compressed $zb bytes" || fail "zstd size line: $(cat "$WORK/err")"
finish
