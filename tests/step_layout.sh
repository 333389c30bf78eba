# The emitted step(): a single-threaded NAME.c has no barrier and no (tid, nth), and names its
# offsets; one decode step reads the weights blob front to back (first-use placement), checked by
# running the emitted C with every `w + W_*` it passes to a kernel logged.
. "$(dirname "$0")/lib.sh"
command -v cc >/dev/null || { echo "SKIP: no cc"; exit 77; }

step_body() { awk '/^static void step\(/{p=1} p{print} p&&/^}/{exit}' "$1"; }

"$LMCC" compile "$MODEL_GGUF" -t generic --weights q4 -o "$WORK/s1" --name m 2>"$WORK/err" || { cat "$WORK/err"; fail "compile"; }
"$LMCC" compile "$MODEL_GGUF" -t generic --weights q4 --threads 2 -o "$WORK/s2" --name m 2>"$WORK/err" || { cat "$WORK/err"; fail "compile threads 2"; }
step_body "$WORK/s1/m.c" > "$WORK/step1.c"
step_body "$WORK/s2/m.c" > "$WORK/step2.c"
if [ -s "$WORK/step1.c" ] && ! grep -q BARRIER "$WORK/s1/m.c" && ! grep -qw -e tid -e nth "$WORK/step1.c"; then
  ok "single-threaded: no BARRIER, no tid/nth"
else fail "single-threaded build has barriers or tid/nth"; fi
if grep -q BARRIER "$WORK/step2.c" && grep -q 'tid, nth)' "$WORK/step2.c"; then ok "threaded: barriers and (tid, nth)"
else fail "threaded build lost its barriers or (tid, nth)"; fi
# the linear family in parts the threads claim (lmrt_claim), everything else by (tid, nth)
if grep -q 'CLAIM()) >= 0;) lmrt_k_qkv_' "$WORK/step2.c" && grep -q 'CLAIM()) >= 0;) lmrt_k_matmul_swiglu_' "$WORK/step2.c" &&
   ! grep -E 'CLAIM\(\)\) >= 0;\) lmrt_k_' "$WORK/step2.c" | grep -qvE 'lmrt_k_(matmul|qkv)' &&
   ! grep -E 'lmrt_k_(matmul|qkv)' "$WORK/step2.c" | grep -q 'tid, nth)'; then ok "threaded: linear kernels in claimed parts"
else fail "threaded: linear kernels not in claimed parts"; fi
if ! grep -qE '[wa] \+ [0-9]' "$WORK/step1.c" && grep -q 'w + W_BLK0_' "$WORK/step1.c" && grep -q 'a + A_KV0_K' "$WORK/step1.c" \
   && grep -qE '\(a \+ A_[A-Z0-9_]+\)' "$WORK/step1.c" && grep -qE '\b(DIM|HEAD_DIM|N_HEADS|FFN_DIM|VOCAB|CTX)\b' "$WORK/step1.c"; then
  ok "step() names its weight, arena offsets and shapes"
else fail "step() spells an offset as a number"; grep -nE '[wa] \+ [0-9]' "$WORK/step1.c" | head -3; fi

# every weight reference step() passes to a kernel, logged at run time with the number of its call
# (a call's arguments are evaluated in no set order, so the reads of one call count as one)
cat > "$WORK/trace.h" <<'EOF'
long lmcc_trace[4096][2];
int lmcc_trace_n, lmcc_call;
static void lmcc_trace_w(long off) {
    if (lmcc_trace_n < 4096) lmcc_trace[lmcc_trace_n][0] = lmcc_call, lmcc_trace[lmcc_trace_n++][1] = off;
}
#define TRACE_W(off) (lmcc_trace_w(off), w + (off))
EOF
cat > "$WORK/main.c" <<'EOF'
#include <stdio.h>
#include "m.h"
extern long lmcc_trace[][2];
extern int lmcc_trace_n;
static unsigned char arena[M_ARENA_BYTES] __attribute__((aligned(M_ARENA_ALIGN)));
int main(void) {
    m_ctx c;
    int32_t prompt[3] = {1, 400, 22}, tok = 7;
    if (m_init(&c, arena, sizeof arena, 0, 0) || !m_forward(&c, prompt, 3)) return 1;
    lmcc_trace_n = 0; /* one decode step */
    if (!m_forward(&c, &tok, 1)) return 1;
    for (int i = 0; i < lmcc_trace_n; i++) printf("%ld %ld\n", lmcc_trace[i][0], lmcc_trace[i][1]);
    return 0;
}
EOF
check_order() { # dir, label
  local d=$1 label=$2
  sed -E '/^static void step\(/,/^}/ { s/w \+ (W_[A-Z0-9_]+)/TRACE_W(\1)/g; s/^    k_/    lmcc_call++; k_/ }' "$d/m.c" > "$d/m_trace.c"
  if ! cc -std=c11 -O1 -include "$WORK/trace.h" -I "$d" -c "$d/m_trace.c" -o "$d/m_trace.o" 2>"$WORK/err" \
     || ! cc -std=c11 -O1 -I "$d" "$d/m_trace.o" "$WORK/main.c" "$d/m_weights.S" -o "$d/trace" 2>"$WORK/err" \
     || ! "$d/trace" > "$d/calls.txt"; then cat "$WORK/err"; fail "$label: traced build"; return; fi
  local n_w again
  sort -n -k1,1 -k2,2 "$d/calls.txt" | awk '{print $2}' > "$d/offsets.txt"
  n_w=$(grep -cE '^#define W_[A-Z0-9_]+ +[0-9]+' "$d/m.c")
  # allowed again: a weight already read in this step, i.e. a tied embedding/output; everything read
  # the first time must lie past everything read before it
  again=$(grep -E '^#define W_TOKEN_EMBD ' "$d/m.c" | awk '{print $3}' | tr '\n' ' ')
  if awk -v n_w="$n_w" -v again="$again" '
      BEGIN { split(again, a, " "); for (i in a) ok[a[i]] = 1 }
      { if ($1 in seen) { if (!($1 in ok)) { print "re-read of " $1; bad = 1 } next }
        if ($1 <= max) { print "offset " $1 " read after " max; bad = 1 }
        seen[$1] = 1; distinct++; max = $1 }
      END { if (distinct != n_w || n_w == 0) { print distinct " weights read, " n_w " placed"; bad = 1 } exit bad }' "$d/offsets.txt"; then
    ok "$label: a decode step reads the blob in increasing order ($(wc -l < "$d/offsets.txt") weight reads)"
  else fail "$label: decode step does not read the blob front to back"; fi
}
# threaded: barriers only between kernels that touch the same arena bytes (the unfused q, k and v
# matmuls share none), and the result is the single-threaded one bit for bit
echo "1 400 22 7 511 300 3 3 90 128 256 1 2 17 450 33" > "$WORK/ids.txt"
for th in 1 2; do
  "$LMCC" eval "$MODEL_GGUF" -t generic --weights q8 --no-fuse --threads $th --ids "$WORK/ids.txt" \
    --logits "$WORK/nf$th.f32" 2>"$WORK/err" || { cat "$WORK/err"; fail "--no-fuse eval threads $th"; }
done
if [ -s "$WORK/nf1.f32" ] && cmp -s "$WORK/nf1.f32" "$WORK/nf2.f32"; then ok "--no-fuse --threads 2 == --threads 1 bit for bit"
else fail "--no-fuse threaded logits differ"; fi
"$LMCC" compile "$MODEL_GGUF" -t generic --weights f32 --no-fuse --threads 2 -o "$WORK/s4" --name m 2>/dev/null
calls=$(step_body "$WORK/s4/m.c" | grep -c 'lmrt_k_'); bars=$(step_body "$WORK/s4/m.c" | grep -c 'BARRIER();')
if [ "$bars" -gt 0 ] && [ "$bars" -lt "$calls" ] && step_body "$WORK/s4/m.c" | grep -A1 'lmrt_k_matmul_f32_f32(l0_q,' | grep -q 'lmrt_k_matmul_f32_f32(l0_k,'
then ok "threaded --no-fuse: $bars barriers for $calls kernel calls, none between the q/k/v matmuls"
else fail "threaded --no-fuse: $bars barriers for $calls calls"; fi

# rows-split kernels (norm, then the int8 quantizer of its output) take the same token rows in
# each thread: no barrier between them, and the threaded result is still the single-threaded one
"$LMCC" compile "$MODEL_GGUF" -t generic --weights q8 --threads 2 -o "$WORK/s5" --name m 2>/dev/null
if step_body "$WORK/s5/m.c" | grep -A2 'lmrt_k_normalize(l0_xb,' | grep -v '^ *void \*' | sed -n 2p |
   grep -q 'lmrt_k_quantize_q8a(l0_xb_q8a, l0_xb,'
then ok "threaded: no barrier between a norm and the quantizer of its rows"
else fail "threaded: a barrier between a norm and the quantizer of its rows"; step_body "$WORK/s5/m.c" | grep -A2 'lmrt_k_normalize(l0_xb,'; fi
for th in 1 2; do
  "$LMCC" eval "$MODEL_GGUF" -t generic --weights q8 --threads $th --ids "$WORK/ids.txt" --logits "$WORK/q$th.f32" 2>"$WORK/err" ||
    { cat "$WORK/err"; fail "q8 eval threads $th"; }
done
if [ -s "$WORK/q1.f32" ] && cmp -s "$WORK/q1.f32" "$WORK/q2.f32"; then ok "q8 --threads 2 == --threads 1 bit for bit"
else fail "q8 threaded logits differ"; fi

check_order "$WORK/s1" "generic q4"
"$LMCC" compile "$MODEL_GGUF" -t generic --weights q8 --no-fuse -o "$WORK/s3" --name m 2>"$WORK/err" || { cat "$WORK/err"; fail "compile --no-fuse"; }
check_order "$WORK/s3" "generic q8 --no-fuse"
finish
