# The README's first command works as written with sudo and in a root shell without it (apt-get
# replaced by a stub that records its arguments, the cmake steps replaced by the lmcc under test),
# and the API example in README.md compiles warning-free against a generated model and runs.
. "$(dirname "$0")/lib.sh"
first=$(sed -n '/^```sh$/,/^```$/{/^```/d;p;q}' "$LMCC_SOURCE_DIR/README.md")
IFS='|' read -r install configure build run_cmd <<<"${first// && /|}"
if [ -z "$run_cmd" ] || [ "${configure%% *}" != cmake ] || [ "${build%% *}" != cmake ]; then
  fail "README's first command is not 'install && cmake && cmake --build && run': $first"; finish
fi
mkdir -p "$WORK/nosudo" "$WORK/sudo"
for d in nosudo sudo; do printf '#!/bin/sh
echo "apt-get $*" >> "%s/log"
' "$WORK/$d" > "$WORK/$d/apt-get"; done
printf '#!/bin/sh
echo sudo >> "%s/log"
exec "$@"
' "$WORK/sudo" > "$WORK/sudo/sudo"
chmod +x "$WORK"/nosudo/* "$WORK"/sudo/*
for d in nosudo sudo; do
  (cd "$WORK" && env PATH="$WORK/$d" /bin/sh -c "$install") 2>"$WORK/err"; st=$?
  want="apt-get install -y build-essential cmake"; [ $d = sudo ] && want="sudo
$want"
  if [ "$st" = 0 ] && [ "$(cut -d' ' -f1-5 "$WORK/$d/log")" = "$want" ]; then ok "README install step ($d): $(tr '\n' ' ' <"$WORK/$d/log")"
  else fail "README install step ($d): $(cat "$WORK/$d/log" "$WORK/err" 2>&1)"; fi
done
got=$(cd "$LMCC_SOURCE_DIR" && eval "\"\$LMCC\"${run_cmd#./build/lmcc}" 2>"$WORK/err")
if [ "$got" = "$REF_TOKENS" ]; then ok "README run step prints the reference tokens"
else fail "README run step: '$got'"; cat "$WORK/err"; fi
sed -n '/^```c$/,/^```$/p' "$LMCC_SOURCE_DIR/README.md" | sed '1d;$d' > "$WORK/app.c"
[ -s "$WORK/app.c" ] || { fail "no C example in README.md"; finish; }
"$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/gen" --name story 2>"$WORK/err" || { cat "$WORK/err"; fail "compile"; finish; }
CC=${CC:-cc}
if $CC -std=c11 -O2 -Wall -Wextra -Werror -I "$WORK/gen" "$WORK/app.c" "$WORK/gen/story.c" "$WORK/gen/story_weights.S" \
     -o "$WORK/app" 2>"$WORK/err"; then ok "README example builds"; else fail "README example build"; cat "$WORK/err"; finish; fi
out=$("$WORK/app")
if [ "$?" = 0 ] && [ -n "$out" ]; then ok "README example runs and prints text"; else fail "README example run"; fi
finish
