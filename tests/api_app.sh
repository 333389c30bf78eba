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
finish
