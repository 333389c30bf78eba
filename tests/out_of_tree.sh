# An lmcc built in a directory outside the source tree (cmake -S lmcc -B
# ../build-elsewhere) finds its targets: configure, build only the lmcc
# target, list the targets and compile with one.
. "$(dirname "$0")/lib.sh"
B="$WORK/build-elsewhere" # $B/../targets and $B/../share/lmcc/targets do not exist
if ! cmake -S "$LMCC_SOURCE_DIR" -B "$B" -DCMAKE_BUILD_TYPE=Debug >"$WORK/log" 2>&1 ||
   ! cmake --build "$B" --target lmcc -j2 >>"$WORK/log" 2>&1; then
  tail -20 "$WORK/log"; fail "configure and build lmcc in $B"; finish
fi
ok "built $B/lmcc"
got=$(env -u LMCC_TARGETS_DIR "$B/lmcc" --list-targets 2>"$WORK/err")
if [ $? = 0 ] && echo "$got" | grep -q "^generic " && echo "$got" | grep -q "^x86-64-v3 "; then
  ok "--list-targets: $(echo "$got" | wc -l) targets"
else fail "--list-targets: $got $(cat "$WORK/err")"; fi
if (cd "$WORK" && env -u LMCC_TARGETS_DIR "$B/lmcc" compile "$MODEL_GGUF" -t x86-64-v3 -o out 2>"$WORK/err") &&
   [ -s "$WORK/out/model.c" ] && grep -q "target x86-64-v3" "$WORK/err"; then
  ok "compile -t x86-64-v3"
else fail "compile -t x86-64-v3"; cat "$WORK/err"; fi
finish
