# --compress=zstd: NAME.weights is one zstd frame of the normal blob, the
# generated NAME_decompress_weights restores it, greedy decoding still gives
# the reference tokens; MODEL.gguf.zst input gives the .gguf's logits.
. "$(dirname "$0")/lib.sh"
if "$LMCC" compile "$MODEL_GGUF" -o "$WORK/probe" --compress=zstd 2>&1 | grep -q "without libzstd"; then
  echo "SKIP: lmcc was built without libzstd (apt-get install libzstd-dev zstd)"; exit 77
fi
command -v zstd >/dev/null || { echo "SKIP: no zstd command (apt-get install zstd)"; exit 77; }
G="$MODEL_GGUF"

# the blob round-trips bit for bit, for every weight format; ratios are printed
for w in f32 f16 q8 q4; do
  "$LMCC" compile "$G" --weights $w -o "$WORK/raw_$w" --name m 2>/dev/null
  "$LMCC" compile "$G" --weights $w -o "$WORK/z_$w" --name m --compress=zstd 2>"$WORK/err"
  line=$(grep '^zstd: ' "$WORK/err")
  raw=$(stat -c %s "$WORK/raw_$w/m.weights"); z=$(stat -c %s "$WORK/z_$w/m.weights")
  echo "  --weights $w: $line"
  if [[ "$line" =~ ^zstd:\ $raw\ -\>\ $z\ bytes\ \(ratio\ [0-9.]+ ]]; then ok "$w: ratio line names the real sizes ($raw -> $z)"
  else fail "$w: ratio line '$line' (raw $raw, compressed $z)"; fi
  if [ "$(head -c 4 "$WORK/z_$w/m.weights" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] &&
     zstd -q -d -c "$WORK/z_$w/m.weights" | cmp -s - "$WORK/raw_$w/m.weights"; then ok "$w: zstd -d m.weights == the uncompressed blob"
  else fail "$w: compressed blob does not decompress to the raw blob"; fi
  if grep -q "define M_WEIGHTS_RAW_BYTES ${raw}u" "$WORK/z_$w/m.h" && grep -q "define M_WEIGHTS_ZSTD_BYTES ${z}u" "$WORK/z_$w/m.h"
  then ok "$w: header sizes"; else fail "$w: header sizes"; grep WEIGHTS "$WORK/z_$w/m.h"; fi
done
# a level is accepted and changes the output; a bad one is an error
"$LMCC" compile "$G" -o "$WORK/z1" --name m --compress=zstd:1 2>/dev/null
if [ "$(stat -c %s "$WORK/z1/m.weights")" -gt "$(stat -c %s "$WORK/z_f32/m.weights")" ]; then ok "level 1 compresses less than the default"
else fail "level 1 vs default sizes"; fi
if "$LMCC" compile "$G" -o "$WORK/zbad" --compress=zstd:99 2>"$WORK/err"; then fail "level 99 accepted"
else grep -q "level must be 1" "$WORK/err" && ok "level 99 rejected: $(cat "$WORK/err")" || fail "level 99 message: $(cat "$WORK/err")"; fi

# the generated code decompresses (linked-in blob: incbin and array; a separate file: external)
for e in incbin array external; do
  got=$("$LMCC" run "$G" --compress=zstd --embed $e --ids 1 -n 36 --temp 0 --print-ids 2>"$WORK/err")
  if [ "$got" = "$REF_TOKENS" ]; then ok "compressed ($e) f32 build: 36 reference tokens"
  else fail "compressed $e build tokens: '$got'"; cat "$WORK/err"; fi
done
got=$("$LMCC" run "$G" --compress=zstd:3 --weights q8 --ids 1 -n 36 --temp 0 --print-ids 2>/dev/null)
want=$("$LMCC" run "$G" --weights q8 --ids 1 -n 36 --temp 0 --print-ids 2>/dev/null)
if [ -n "$got" ] && [ "$got" = "$want" ]; then ok "compressed q8 build == uncompressed q8 build"; else fail "q8: '$got' vs '$want'"; fi

# decompress_weights rejects a corrupt frame (its own API, from a tiny app)
cat > "$WORK/app.c" <<'C'
#include "m.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    static unsigned char z[M_WEIGHTS_ZSTD_BYTES];
    if (!f || fread(z, 1, sizeof z, f) != sizeof z) return 3;
    void *raw = aligned_alloc(64, M_WEIGHTS_RAW_BYTES);
    int a = m_decompress_weights(raw, M_WEIGHTS_RAW_BYTES, z, sizeof z);
    int b = m_decompress_weights(raw, M_WEIGHTS_RAW_BYTES - 1, z, sizeof z);
    z[sizeof z / 2] ^= 0x55;
    int c = m_decompress_weights(raw, M_WEIGHTS_RAW_BYTES, z, sizeof z);
    static unsigned char arena[M_ARENA_BYTES] __attribute__((aligned(64)));
    m_ctx ctx;
    int d = m_init(&ctx, arena, sizeof arena, NULL, 0); /* the linked blob is compressed: not usable as is */
    printf("%d %d %d %d\n", a, b, c == M_ERR_WEIGHTS, d == M_ERR_WEIGHTS);
    return 0;
}
C
if cc -std=c11 -O1 -I "$WORK/z_q4" "$WORK/app.c" "$WORK/z_q4/m.c" "$WORK/z_q4/m_weights.S" -lzstd -o "$WORK/app" 2>"$WORK/err"; then
  r=$("$WORK/app" "$WORK/z_q4/m.weights")
  if [ "$r" = "0 -1 1 1" ]; then ok "decompress_weights: ok, short buffer, corrupt frame, init(NULL) refused"; else fail "app: '$r'"; fi
else fail "building the app"; cat "$WORK/err"; fi

# bare-metal targets have no libzstd
bm=$(grep -l '^hosted *= *no' "$LMCC_SOURCE_DIR"/targets/*.target 2>/dev/null | head -1)
if [ -n "$bm" ]; then
  t=$(basename "$bm" .target)
  if "$LMCC" compile "$G" -t "$t" -o "$WORK/bm" --compress=zstd 2>"$WORK/err"; then fail "$t accepted --compress"
  elif grep -q "bare metal" "$WORK/err" && [ -z "$(ls -A "$WORK/bm" 2>/dev/null)" ]; then ok "$t: $(cat "$WORK/err")"
  else fail "$t message: $(cat "$WORK/err")"; fi
fi

# MODEL.gguf.zst input: the frame with its size (zstd FILE) and a streamed one (no size)
zstd -q -19 "$G" -o "$WORK/s.gguf.zst"
zstd -q -3 -c < "$G" > "$WORK/piped.gguf.zst"
python3 -c "
import random; r = random.Random(4)
print(' '.join(['1'] + [str(r.randrange(512)) for _ in range(23)]))" > "$WORK/ids.txt"
"$LMCC" eval "$G" --reference --ids "$WORK/ids.txt" --logits "$WORK/ref.f32" 2>/dev/null
"$LMCC" eval "$G" --ids "$WORK/ids.txt" --logits "$WORK/c.f32" 2>/dev/null
for z in s piped; do
  "$LMCC" eval "$WORK/$z.gguf.zst" --reference --ids "$WORK/ids.txt" --logits "$WORK/ref_$z.f32" 2>"$WORK/err"
  "$LMCC" eval "$WORK/$z.gguf.zst" --ids "$WORK/ids.txt" --logits "$WORK/c_$z.f32" 2>>"$WORK/err"
  if [ -s "$WORK/ref.f32" ] && cmp -s "$WORK/ref.f32" "$WORK/ref_$z.f32" && cmp -s "$WORK/c.f32" "$WORK/c_$z.f32"; then
    ok "$z.gguf.zst: interpreter and compiled logits identical to the .gguf's"
  else fail "$z.gguf.zst logits differ"; cat "$WORK/err"; fi
done
got=$("$LMCC" run "$WORK/s.gguf.zst" --ids 1 -n 36 --temp 0 --print-ids 2>/dev/null)
[ "$got" = "$REF_TOKENS" ] && ok "run from .gguf.zst: reference tokens" || fail "run from .gguf.zst: '$got'"
head -c 200000 "$WORK/s.gguf.zst" > "$WORK/trunc.gguf.zst"
if "$LMCC" compile "$WORK/trunc.gguf.zst" -o "$WORK/tr" 2>"$WORK/err"; then fail "truncated .zst accepted"
elif [ "$(wc -l < "$WORK/err")" = 1 ] && grep -q "^lmcc: error: .*trunc.gguf.zst: cannot decompress.*truncated" "$WORK/err"; then ok "truncated .zst: $(cat "$WORK/err")"
else fail "truncated .zst message: $(cat "$WORK/err")"; fi
finish
