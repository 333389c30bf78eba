# lmcc compile --verify: the emitted C of every target parses warning-free
# under libclang for the target's triple and flags (no cross compiler needed),
# and an injected problem is caught with file:line and leaves no output.
# Injection: LMCC_VERIFY_INJECT=1 makes lmcc append an unused static function
# to NAME.c before the check (test hook); `lmcc verify FILE.c -t T` checks a
# hand-edited copy.
. "$(dirname "$0")/lib.sh"
G="$MODEL_GGUF"
"$LMCC" compile "$G" -o "$WORK/probe" --verify 2>"$WORK/err"
if grep -q "without libclang" "$WORK/err"; then echo "SKIP: lmcc was built without libclang (apt-get install libclang-14-dev)"; exit 77; fi

for tf in "$LMCC_SOURCE_DIR"/targets/*.target; do
  t=$(basename "$tf" .target)
  hosted=$(grep -q '^hosted *= *no' "$tf" && echo no || echo yes)
  ws=q4; [ "$t" = generic ] && ws="f32 q4"
  for w in $ws; do
    extra=""
    # hosted: also the threaded build and the zstd decompressor
    if [ "$hosted" = yes ] && [ $w = q4 ]; then extra="--threads 2 --compress=zstd:3"; fi
    rm -rf "$WORK/o"
    if "$LMCC" compile "$G" -t "$t" --weights $w $extra -o "$WORK/o" --name m --verify 2>"$WORK/err" && [ -s "$WORK/o/m.c" ]; then
      ok "$t --weights $w $extra: --verify clean"
    else fail "$t --weights $w $extra"; cat "$WORK/err"; fi
  done
  # the injected warning is reported against the final path, nothing is written
  rm -rf "$WORK/inj"; mkdir "$WORK/inj"
  if LMCC_VERIFY_INJECT=1 "$LMCC" compile "$G" -t "$t" -o "$WORK/inj" --name m --verify 2>"$WORK/err"; then fail "$t: injected warning passed"
  elif grep -qE "^lmcc: error: $WORK/inj/m\.c:[0-9]+:[0-9]+: unused function 'lmcc_injected_unused' \(emitted code failed --verify for target $t\)$" "$WORK/err" &&
       [ -z "$(ls -A "$WORK/inj")" ]; then ok "$t: injected warning caught, no files left"
  else fail "$t: injected: $(cat "$WORK/err") / left: $(ls -A "$WORK/inj")"; fi
done
# without --verify the same injection goes through (the check is what catches it)
if LMCC_VERIFY_INJECT=1 "$LMCC" compile "$G" -o "$WORK/noverify" --name m 2>/dev/null && grep -q lmcc_injected_unused "$WORK/noverify/m.c"
then ok "injection only fails under --verify"; else fail "injection without --verify"; fi

# lmcc verify FILE.c on a hand-edited copy: the right line number, and a real error too
"$LMCC" compile "$G" -t x86-64-v3 --weights q8 -o "$WORK/e" --name m 2>/dev/null
"$LMCC" verify "$WORK/e/m.c" -t x86-64-v3 2>"$WORK/err" && ok "lmcc verify: pristine output clean" || { fail "pristine"; cat "$WORK/err"; }
cp "$WORK/e/m.c" "$WORK/e/bad.c"
printf 'int lmcc_bad(int a) {\n    int unused_local = a;\n    return a;\n}\n' >> "$WORK/e/bad.c"
line=$(($(wc -l < "$WORK/e/m.c") + 2))
if "$LMCC" verify "$WORK/e/bad.c" -t x86-64-v3 2>"$WORK/err"; then fail "unused variable passed"
elif grep -qE "^lmcc: error: $WORK/e/bad\.c:$line:[0-9]+: unused variable 'unused_local'" "$WORK/err"; then ok "unused variable at line $line"
else fail "unused variable: $(cat "$WORK/err")"; fi
cp "$WORK/e/m.c" "$WORK/e/bad2.c"
sed -i '0,/^\( *\)k_[a-z0-9_]*(/s//\1lmrt_k_no_such_kernel(/' "$WORK/e/bad2.c" # step()'s first call
cmp -s "$WORK/e/m.c" "$WORK/e/bad2.c" && fail "the edit found no kernel call in step() to replace"
if "$LMCC" verify "$WORK/e/bad2.c" -t x86-64-v3 2>"$WORK/err"; then fail "undeclared kernel passed"
elif grep -qE "^lmcc: error: $WORK/e/bad2\.c:[0-9]+:[0-9]+: .*lmrt_k_no_such_kernel" "$WORK/err"; then ok "undeclared call: $(head -1 "$WORK/err" | cut -c1-120)"
else fail "undeclared: $(cat "$WORK/err")"; fi
# the triple matters: NEON code does not parse for x86-64
if [ -f "$LMCC_SOURCE_DIR/targets/aarch64.target" ]; then
  "$LMCC" compile "$G" -t aarch64 --weights q8 -o "$WORK/a" --name m 2>/dev/null
  if "$LMCC" verify "$WORK/a/m.c" -t x86-64-v3 2>"$WORK/err"; then fail "aarch64 code passed for x86-64-v3"
  else ok "aarch64 code rejected for x86-64-v3: $(tail -1 "$WORK/err" | cut -c1-120)"; fi
fi
finish
