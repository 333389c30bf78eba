# The CLI over a table of hostile files and flags.  Each model file is small on disk (about 5 MiB,
# made by tests/hostile_gguf.py) but carries a metadata value, a count or a structure that would
# make a careless reader allocate or compute far more than the file's size; the other rows are a
# valid GGUF cut at every section boundary and out-of-range flags.  Every row: exit 0 or exit 1
# with exactly one "lmcc: error:" line and nothing left in OUTDIR, no hang (timeout), no sanitizer
# report, and lmcc itself under 5 s of CPU and 256 MB of peak memory (/usr/bin/time; not checked
# in sanitizer builds, whose shadow memory and instrumentation are not lmcc's cost).  The size
# report's C compiler is kept out (CC=/nonexistent): its cost follows the generated code, which
# follows the model's tensors (at most 512 layers).
. "$(dirname "$0")/lib.sh"
GEN="python3 $(dirname "$0")/hostile_gguf.py"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "SKIP: /usr/bin/time not installed (apt-get install time)"; exit 77; }
SANITIZED=0
if grep -qa "AddressSanitizer" "$LMCC" || ldd "$LMCC" 2>/dev/null | grep -q "libasan\|libubsan"; then SANITIZED=1; fi
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
CPU_MAX=5 RSS_MAX_KB=$((256 * 1024))

# row NAME OK_EXIT PATTERN CMD...: OK_EXIT is 0 (compiles), 1 (an error matching PATTERN) or 01 (either)
row() {
  local name=$1 want=$2 pat=$3; shift 3
  rm -rf "$WORK/out"; mkdir -p "$WORK/out"
  CC=/nonexistent timeout 60 "$TIME" -f "%U %S %M" -o "$WORK/time" "$@" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
  local st=$? why=""
  local errs; errs=$(grep -c "^lmcc: error:" "$WORK/stderr")
  read -r u s kb < <(tail -1 "$WORK/time" 2>/dev/null) || { u=0 s=0 kb=0; } # GNU time may first say "exited with non-zero status"
  case "$st" in
    0) case "$want" in *0*) ;; *) why="compiled, wanted an error";; esac
       [ "$errs" = 0 ] || why="exit 0 with an error line";;
    1) case "$want" in *1*) ;; *) why="exit 1: $(head -1 "$WORK/stderr")";; esac
       [ "$(wc -l <"$WORK/stderr")" = 1 ] && [ "$errs" = 1 ] || why="$errs error lines in $(wc -l <"$WORK/stderr")"
       grep -qE "^lmcc: error: .*$pat" "$WORK/stderr" || why="message: $(head -1 "$WORK/stderr")"
       [ -z "$(ls -A "$WORK/out")" ] || why="left in OUTDIR: $(ls -A "$WORK/out" | tr '\n' ' ')";;
    124) why="timeout (60 s)";;
    *) why="exit $st";;
  esac
  grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$WORK/stderr" && why="sanitizer report"
  local cpu; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
  if [ "$SANITIZED" = 0 ] && [ -z "$why" ]; then
    awk -v c="$cpu" -v m="$CPU_MAX" 'BEGIN { exit !(c >= m) }' && why="$cpu s of CPU (>= $CPU_MAX)"
    [ "$kb" -lt "$RSS_MAX_KB" ] || why="peak $kb KB (>= $RSS_MAX_KB)"
  fi
  if [ -z "$why" ]; then ok "$name: exit $st, ${cpu} s CPU, $((kb / 1024)) MB: $(head -1 "$WORK/stderr" | cut -c1-140)"
  else fail "$name: $why"; head -3 "$WORK/stderr"; fi
}
compile() { row "$1" "$2" "$3" "$LMCC" compile "$4" -t generic -o "$WORK/out" "${@:5}"; }

# hostile metadata, about 5 MiB each: KIND, what lmcc must do (0 compile / 1 error), error pattern
while read -r kind want pat; do
  $GEN "$kind" "$WORK/$kind.gguf" || { fail "hostile_gguf.py $kind"; continue; }
  compile "$kind ($(($(stat -c %s "$WORK/$kind.gguf") / 1024)) KiB)" "$want" "$pat" "$WORK/$kind.gguf"
done <<'EOF'
ctx 0 -
layers 1 block_count = [0-9]+: more than 512 layers
tensors 1 x0000000.*not supported
u8array 0 -
strarray 0 -
vocab 0 -
merges 0 -
collide 1 lands more than 256 slots past its hash
nested 0 -
keys 0 -
dims 1 huge.*invalid shape
llama2c_seq 1 seq_len = 1073741824 is out of range
llama2c_vocab 1 vocab_size = 1073741824 is out of range
EOF
# the most layers lmcc takes, each as small as a layer can be
$GEN layers "$WORK/l512.gguf" $((512 * 684))
compile "512 tiny layers" 0 - "$WORK/l512.gguf"
# a metadata context of 2^20 positions: the arena follows --ctx (default at most 4096), not the file
compile "context_length 2^20, --ctx 4096" 0 - "$WORK/ctx.gguf" --ctx 4096
compile "--ctx past the limit" 1 "--ctx" "$WORK/ctx.gguf" --ctx 99999999999

# a target file whose byte counts overflow when their K/M suffix is applied
printf 'name = big\nram_bytes = 9223372036854775807K\n' >"$WORK/big.target"
row "target ram_bytes past 2^63" 1 "bad value for 'ram_bytes'" "$LMCC" compile "$MODEL_GGUF" -t "$WORK/big.target" -o "$WORK/out"

# a zstd bomb: 12 KB that would decompress to 400 MB (a GGUF header, then zeros)
if command -v zstd >/dev/null && ! "$LMCC" compile "$WORK/none.gguf.zst" -o "$WORK/out" 2>&1 | grep -q "without libzstd"; then
  { printf 'GGUF\3\0\0\0'; head -c 400000000 /dev/zero; } | zstd -q -3 -o "$WORK/bomb.gguf.zst"
  compile "zstd bomb ($(($(stat -c %s "$WORK/bomb.gguf.zst") / 1024)) KiB)" 1 "grows past 256 times its size" "$WORK/bomb.gguf.zst"
else echo "skip: zstd bomb (no zstd tool or lmcc without libzstd)"; fi

# a valid small GGUF cut at every section boundary (header, each key, each tensor info, the data)
$GEN sections "$WORK/sec.gguf"
for f in "$WORK"/sec.gguf.*; do
  compile "cut at $(stat -c %s "$f") bytes" 1 "truncated|runs past|missing|needs|key|tensor" "$f"
done
compile "whole sections file" 0 - "$WORK/sec.gguf"
finish
