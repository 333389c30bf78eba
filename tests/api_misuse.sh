# Every public function of the generated API x every bad argument (tests/data/api_misuse.c, a
# table): the documented status, no state change on failure, no ASan/UBSan report.  Built against
# stories260K compiled three ways: single-threaded with the blob linked in (incbin) and itself as a
# draft model (generate_draft's rows), threaded with external weights, and a zstd blob as a C array
# (when libzstd is installed).
. "$(dirname "$0")/lib.sh"
CC=${CC:-cc}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
variant() { # name embedded threaded zstd draft -- compile options
  local name=$1 emb=$2 thr=$3 zst=$4 drf=$5 up
  shift 6
  up=$(echo "$name" | tr a-z A-Z)
  if ! "$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/$name" --name "$name" --ctx 16 "$@" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "compile $name ($*)"; return
  fi
  local stub=() libs=()
  [ -f "$WORK/$name/${name}_weights.S" ] && stub=("$WORK/$name/${name}_weights.S")
  [ -f "$WORK/$name/${name}_weights.c" ] && stub=("$WORK/$name/${name}_weights.c")
  [ "$drf" = 1 ] && stub+=("$WORK/$name/${name}_draft.c" "$WORK/$name/${name}_draft_weights.S")
  [ "$thr" = 1 ] && libs+=(-pthread)
  [ "$zst" = 1 ] && libs+=(-lzstd)
  if ! $CC -std=c11 -O1 -g -Wall -Wextra -Werror $SAN -I "$WORK/$name" -DPREFIX="$name" -DUPREFIX="$up" \
       -DMODEL_H="\"$name.h\"" -DEMBEDDED="$emb" -DTHREADED="$thr" -DZSTD="$zst" -DDRAFT="$drf" \
       "$LMCC_SOURCE_DIR/tests/data/api_misuse.c" "$WORK/$name/$name.c" "${stub[@]}" -o "$WORK/misuse_$name" \
       -lm "${libs[@]}" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "build the misuse program for $name"; return
  fi
  "$WORK/misuse_$name" "$WORK/$name/$name.weights" >"$WORK/out_$name" 2>&1
  local rc=$?
  grep -v '^ok:' "$WORK/out_$name"
  if [ $rc = 0 ] && ! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$WORK/out_$name"; then
    ok "$name ($*): $(tail -1 "$WORK/out_$name")"
  else
    fail "$name ($*): exit $rc"
  fi
}
variant m 1 0 0 1 -- --embed incbin --draft "$MODEL_GGUF"
variant t 0 1 0 0 -- --embed external --threads 2
if [ -f /usr/include/zstd.h ] && "$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/zprobe" --compress=zstd --ctx 16 >/dev/null 2>&1; then
  variant z 1 0 1 0 -- --embed array --compress=zstd
else
  echo "SKIP: the zstd variant (libzstd-dev, and lmcc built with it)"
fi
finish
