# The API example in README.md compiles warning-free against a generated model and runs.
. "$(dirname "$0")/lib.sh"
sed -n '/^```c$/,/^```$/p' "$LMCC_SOURCE_DIR/README.md" | sed '1d;$d' > "$WORK/app.c"
[ -s "$WORK/app.c" ] || { fail "no C example in README.md"; finish; }
"$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/gen" --name story 2>"$WORK/err" || { cat "$WORK/err"; fail "compile"; finish; }
CC=${CC:-cc}
if $CC -std=c11 -O2 -Wall -Wextra -Werror -I "$WORK/gen" "$WORK/app.c" "$WORK/gen/story.c" "$WORK/gen/story_weights.S" \
     -o "$WORK/app" 2>"$WORK/err"; then ok "README example builds"; else fail "README example build"; cat "$WORK/err"; finish; fi
out=$("$WORK/app")
if [ "$?" = 0 ] && [ -n "$out" ]; then ok "README example runs and prints text"; else fail "README example run"; fi
finish
