# Commands that take compile options parse them through the one option table:
# quality and bench accept every compile option (quality --embedding f16 once
# failed with "f16: cannot open"), dump-ir stops after a named pass, and help
# is there for every command.
. "$(dirname "$0")/lib.sh"
G="$MODEL_GGUF"
out=$("$LMCC" quality --embedding f16 "$G" --weights q8 --kv f16 --ctx 64 --samples 1 --len 16 --json 2>"$WORK/err")
if [ $? = 0 ] && echo "$out" | grep -q '"positions": 16'; then ok "quality --embedding f16: $out"
else fail "quality --embedding f16"; cat "$WORK/err"; fi
out=$("$LMCC" quality "$G" --weights=q4 --embedding=same --rotate=off --ids "$WORK/ids" 2>"$WORK/err")
[ $? = 1 ] && grep -q "ids: cannot read the --ids file" "$WORK/err" && ok "quality --ids names a missing file" ||
  { fail "quality --ids missing"; cat "$WORK/err"; }
out=$("$LMCC" bench "$G" --weights q8 --embed external --ctx 64 --batch 4 -p 8 -n 4 --repeat 1 --probe-mib 0 --lookup 2 --json 2>"$WORK/err")
if [ $? = 0 ] && echo "$out" | grep -q '"prompt": 8, "n": 4, "repeat": 1, "ctx": 64' &&
   echo "$out" | grep -q '"guess_cost": [0-9][0-9.]*}'; then ok "bench with compile options: $out"
else fail "bench with compile options: $out"; cat "$WORK/err"; fi
"$LMCC" dump-ir "$G" --after=fuse_qkv --weights q8 >"$WORK/ir" 2>"$WORK/err" && grep -q "= qkv " "$WORK/ir" &&
  ! grep -q "q8_0" "$WORK/ir" && ok "dump-ir --after=fuse_qkv: fused, weights not yet converted" ||
  { fail "dump-ir --after=fuse_qkv"; cat "$WORK/err"; }
bad=0
for cmd in compile run eval bench quality dump-ir tokenize verify; do
  "$LMCC" $cmd --help >"$WORK/help" 2>&1 && grep -q "^usage: lmcc $cmd " "$WORK/help" && "$LMCC" help $cmd | cmp -s - "$WORK/help" ||
    { bad=1; fail "lmcc $cmd --help"; }
done
[ $bad = 0 ] && ok "lmcc CMD --help and lmcc help CMD for every command"
"$LMCC" --help | grep -q "^  LMCC_QUANT " && ok "--help lists the environment" || fail "--help lists no environment"
finish
