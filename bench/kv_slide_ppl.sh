#!/bin/bash
# --kv-policy slide on a text 4x the context (a measurement, not a test): stories260K (trained context
# 128) samples stories of up to 128 tokens (BOS + 127, temperature 1, seeds 1..), concatenated to N
# tokens.  Perplexity of that text teacher-forced (lmcc eval), each story's in-context perplexity
# (every story alone from position 0, what the model was trained on) against: one stream with
# --ctx 128 --kv-policy slide:SINK (SINK 4 and 0), and --ctx N (stop: every position kept, RoPE past
# the trained 128).  Usage: bench/kv_slide_ppl.sh [N=512] [LMCC=build/lmcc]
set -eu
N=${1:-512}
LMCC=${LMCC:-build/lmcc}
M=${MODEL:-examples/models/stories260K.gguf}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export LMCC_QUANT=plain
: >"$W/ids"
seed=1
while [ "$(wc -w <"$W/ids")" -lt "$N" ]; do
  s=$("$LMCC" run "$M" -t generic --ctx 128 --temp 1 --seed $seed -n 127 --print-ids --ids 1 2>/dev/null)
  echo "1 $s" >>"$W/ids"
  seed=$((seed + 1))
done
tr -s ' \n' '\n\n' <"$W/ids" | grep . | head -n "$N" | tr '\n' ' ' >"$W/all"
ev() { # out -- eval options
  local out=$1; shift 2
  "$LMCC" eval "$M" -t generic "$@" --ids "$W/all" --logits "$W/$out.f32" 2>/dev/null
}
ev slide4 -- --ctx 128 --kv-policy slide:4
ev slide0 -- --ctx 128 --kv-policy slide:0
ev full -- --ctx "$N"
# each story alone (positions from 0): the in-context reference
: >"$W/story.f32"
python3 - "$W/all" >"$W/stories" <<'PY'
import sys
t = open(sys.argv[1]).read().split()
s = []
for x in t:
    if x == '1' and s: print(' '.join(s)); s = []
    s.append(x)
print(' '.join(s))
PY
i=0
while read -r line; do
  echo "$line" >"$W/one"
  "$LMCC" eval "$M" -t generic --ctx 128 --ids "$W/one" --logits "$W/one.f32" 2>/dev/null
  cat "$W/one.f32" >>"$W/story.f32"
  i=$((i + 1))
done <"$W/stories"
python3 - "$W" "$N" <<'PY'
import array, math, sys
w, n = sys.argv[1], int(sys.argv[2])
ids = [int(x) for x in open(w + '/all').read().split()]
def nll(path):
    a = array.array('f'); a.frombytes(open(path, 'rb').read())
    V = len(a) // len(ids)
    out = []
    for i in range(len(ids) - 1):
        row = a[i * V:(i + 1) * V]; m = max(row)
        out.append(m + math.log(sum(math.exp(x - m) for x in row)) - row[ids[i + 1]])
    return out
# the stories' own positions: a story's first token (BOS) is not predicted across stories
starts = {i for i, x in enumerate(ids) if x == 1}
keep = [i for i in range(len(ids) - 1) if i + 1 not in starts]
late = [i for i in keep if i >= 128]
ref = nll(w + '/story.f32')
for name in ('story', 'slide4', 'slide0', 'full'):
    l = ref if name == 'story' else nll(w + '/' + name + '.f32')
    p = math.exp(sum(l[i] for i in keep) / len(keep)); q = math.exp(sum(l[i] for i in late) / len(late))
    print(f"{name:7s} perplexity {p:8.3f} (positions >= 128: {q:8.3f}) over {len(keep)} predicted tokens")
PY
