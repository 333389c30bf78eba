# Builds tests/data/api_app.c against two models compiled from the same file
# (names a and b: two models and two contexts in one program) and runs its
# checks of the generated API: error model, context limits, independence of
# contexts, arena bounds, sampler, tokenizer.
. "$(dirname "$0")/lib.sh"
"$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/gen" --name a --ctx 64 2>"$WORK/err" || { cat "$WORK/err"; fail "compile a"; finish; }
"$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/gen" --name b --ctx 64 --embed external 2>"$WORK/err" || { cat "$WORK/err"; fail "compile b"; finish; }
CC=${CC:-cc}
if $CC -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -I "$WORK/gen" \
     "$WORK/gen/a.c" "$WORK/gen/a_weights.S" "$WORK/gen/b.c" "$LMCC_SOURCE_DIR/tests/data/api_app.c" \
     -o "$WORK/app" -lm 2>"$WORK/err"; then
  ok "app with two models builds (ASan+UBSan)"
else
  fail "app build"; cat "$WORK/err"; finish
fi
if "$WORK/app" "$WORK/gen/b.weights"; then ok "api checks"; else fail "api checks"; fi

# the linked-in blob's size is fixed when the program is built: a NAME.weights or NAME_weights.c
# that is not the blob NAME.h describes does not assemble / compile (init cannot read past it)
"$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/arr" --name c --ctx 16 --embed array 2>"$WORK/err" || { cat "$WORK/err"; fail "compile c"; }
if $CC -std=c11 -Wall -Wextra -Werror -c "$WORK/arr/c_weights.c" -o "$WORK/c_w.o" 2>"$WORK/err"; then ok "c_weights.c compiles"
else fail "c_weights.c"; cat "$WORK/err"; fi
sed -i '6d' "$WORK/arr/c_weights.c" # a line of 24 bytes fewer
if $CC -std=c11 -c "$WORK/arr/c_weights.c" -o "$WORK/c_w.o" 2>"$WORK/err"; then fail "a short c_weights.c compiled"
elif grep -q "c_weights_blob" "$WORK/err"; then ok "a short c_weights.c is a compile error"
else fail "short array: $(cat "$WORK/err")"; fi
cp "$WORK/gen/a.weights" "$WORK/a.full"
head -c 65536 "$WORK/a.full" > "$WORK/gen/a.weights"
if $CC -c "$WORK/gen/a_weights.S" -I "$WORK/gen" -o "$WORK/a_w.o" 2>"$WORK/err"; then fail "a truncated a.weights assembled"
elif grep -q "a.weights is not the" "$WORK/err"; then ok "a truncated a.weights does not assemble: $(grep -o 'a.weights is not.*' "$WORK/err" | head -1)"
else fail "truncated incbin: $(cat "$WORK/err")"; fi
cat "$WORK/a.full" "$WORK/a.full" > "$WORK/gen/a.weights"
if $CC -c "$WORK/gen/a_weights.S" -I "$WORK/gen" -o "$WORK/a_w.o" 2>/dev/null; then fail "a doubled a.weights assembled"
else ok "a longer a.weights does not assemble"; fi
finish
