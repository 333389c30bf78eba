# Emitted C is warning-free on every target: each targets/*.target, every weight format (q5_0
# standing in for the block formats of lmrt_kernels_q4x.h) x KV type f32/f16 (q8 KV with q8
# weights; and a threaded build for hosted targets), compiled with the target's own compiler and
# flags plus -Wall -Wextra -Werror -Wshadow.
. "$(dirname "$0")/lib.sh"
for tf in "$LMCC_SOURCE_DIR"/targets/*.target; do
  t=$(basename "$tf" .target)
  cc_=$(sed -n 's/^cc *= *//p' "$tf"); fl=$(sed -n 's/^cflags *= *//p' "$tf"); hosted=$(sed -n 's/^hosted *= *//p' "$tf")
  [ "$cc_" = cc ] && cc_=${CC:-cc}
  if ! command -v "$cc_" >/dev/null; then echo "SKIP: $t: $cc_ not installed (.ci/run installs it)"; continue; fi
  for w in f32 f16 q8 q4 q5_0; do
    kvs="f32 f16"
    [ "$w" = q8 ] && kvs="f32 f16 q8" # the int8 KV kernels once per target
    for kv in $kvs; do
      extra=""
      [ "$hosted" = yes ] && [ "$kv" = f16 ] && extra="--threads 2"
      d="$WORK/$t-$w-$kv"
      if ! "$LMCC" compile "$MODEL_GGUF" -t "$t" -o "$d" --name m --weights $w --kv $kv --ctx 64 $extra 2>"$WORK/err"; then
        fail "$t $w kv=$kv $extra: compile"; cat "$WORK/err"; continue
      fi
      # shellcheck disable=SC2086
      if $cc_ $fl -Wall -Wextra -Werror -Wshadow -c "$d/m.c" -o "$d/m.o" 2>"$WORK/err"; then ok "$t $w kv=$kv $extra"
      else fail "$t $w kv=$kv $extra: warnings"; head -20 "$WORK/err"; fi
    done
  done
done
finish
