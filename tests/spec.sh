# Speculative decoding by prompt lookup: tests/data/spec.c (greedy token for token against plain
# decoding, sampling against the exact distributions) on stories260K built for generic with a
# 17-token batch and for x86-64-v3 with q8 weights when it runs here (whose forward_all once had row 1
# overwritten by row 0's output buffers); then `lmcc run --lookup` against `lmcc run`.
. "$(dirname "$0")/lib.sh"
CC=${CC:-cc}
build() { # label cflags -- compile options
  local label=$1 flags=$2 d="$WORK/$1"
  shift 3
  if ! "$LMCC" compile "$MODEL_GGUF" -o "$d" --name m --ctx 256 "$@" 2>"$WORK/err"; then
    cat "$WORK/err"; fail "$label: compile ($*)"; return
  fi
  if ! $CC -std=c11 -O2 -Wall -Wextra -Werror $flags -I "$d" "$LMCC_SOURCE_DIR/tests/data/spec.c" "$d/m.c" \
       "$d/m_weights.S" -o "$d/spec" -lm -pthread 2>"$WORK/err"; then
    head -20 "$WORK/err"; fail "$label: build"; return
  fi
  if "$d/spec" >"$WORK/out" 2>&1; then ok "$label: $(grep -c '^ok' "$WORK/out") checks"; grep '^ok: temp' "$WORK/out"
  else cat "$WORK/out"; fail "$label ($*)"; fi
}
build generic "" -- -t generic --batch 17
if "$LMCC" --list-targets | grep -q '^x86-64-v3 .*\(runs\|native\)'; then
  build x86-64-v3-q8 "-march=x86-64-v3" -- -t x86-64-v3 --weights q8
else
  echo "SKIP: x86-64-v3 (does not run here)"
fi

# lmcc run --lookup: the ids of plain greedy decoding (the batch raised to K + 1 by itself) on a
# repeating prompt: stories260K's guesses cost almost a decode step, so only text that repeats is
# worth guessing on (on others run --lookup decodes plainly; spec.c forces guesses everywhere)
R=(-t generic --ctx 160 --temp 0 --print-ids -n 100)
ids="1 300 301 302 303 300 301 302 303 300 301"
if plain=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "$ids" 2>"$WORK/err") &&
   spec=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "$ids" --lookup 8 2>"$WORK/err") && [ "$spec" = "$plain" ] &&
   grep -q "^lookup: .*, [1-9][0-9]* of [0-9]* guesses accepted" "$WORK/err"; then
  ok "run --lookup 8 --ids '${ids:0:16}...': the tokens of plain decoding ($(grep '^lookup' "$WORK/err"))"
else cat "$WORK/err"; fail "run --lookup 8 --ids '$ids': '$spec' vs '$plain'"; fi
if "$LMCC" run "$MODEL_GGUF" -t generic --lookup 4 --load-state "$MODEL_GGUF" --ids 1 >/dev/null 2>"$WORK/err" ||
   ! grep -q "^lmcc: error: --lookup .*--load-state" "$WORK/err"; then cat "$WORK/err"; fail "--lookup with --load-state"
else ok "--lookup with --load-state: $(cat "$WORK/err")"; fi
if "$LMCC" run "$MODEL_GGUF" -t generic --lookup 17 --ids 1 >/dev/null 2>"$WORK/err" || ! grep -q "^lmcc: error: " "$WORK/err"; then
  cat "$WORK/err"; fail "--lookup 17"
else ok "--lookup 17: $(cat "$WORK/err")"; fi

# --draft: a q8 target with its f32 float model as the draft (they disagree now and then): the
# tokens of plain greedy decoding, the guesses (forced by --guess-cost 0) mostly accepted; at the
# compiled price (the draft reads ~4x the target's bytes per step) no pass guesses
R=(-t generic --weights q8 --ctx 160 --temp 0 --print-ids -n 80)
declare -A PLAIN
for ids in "1" "1 403 407 261 378 455 473 456 435 299 362 409"; do
  if plain=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "$ids" 2>"$WORK/err") && PLAIN[$ids]=$plain &&
     spec=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "$ids" --draft "$MODEL_GGUF" -k 4 --guess-cost 0 2>"$WORK/err") &&
     [ "$spec" = "$plain" ] && grep -q "^draft: .*, [1-9][0-9]* of [0-9]* guesses accepted" "$WORK/err"; then
    ok "run --draft -k 4 --guess-cost 0 --ids '${ids:0:16}...': the tokens of plain decoding ($(grep '^draft' "$WORK/err"))"
  else cat "$WORK/err"; fail "run --draft --ids '$ids': '$spec' vs '$plain'"; fi
done
if spec=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids 1 --draft "$MODEL_GGUF" -k 4 2>"$WORK/err") &&
   [ "$spec" = "${PLAIN[1]}" ] && grep -q "^draft: 80 passes, 0 of 0 guesses accepted" "$WORK/err"; then
  ok "run --draft priced above a decode step: no guess ($(grep '^draft' "$WORK/err"))"
else cat "$WORK/err"; fail "run --draft at the compiled price: '$spec' vs '${PLAIN[1]}'"; fi
# a draft that never agrees (random weights, stories260K's vocabulary) priced where only probes
# pay: the tokens of plain decoding, and the draft fed the 12-token prompt and at most
# NAME_DRAFT_WINDOW (8) tokens per guess -- not the text it skipped between probes (~75 tokens by
# the last of 5 probes)
ids="1 403 407 261 378 455 473 456 435 299 362 409"
if [ ! -x "$LMCC_BUILD_DIR/lmcc-synth" ]; then echo "SKIP: a draft that never agrees (no lmcc-synth)"
elif "$LMCC_BUILD_DIR/lmcc-synth" --model fuzz --type f32 --vocab "$MODEL_GGUF" -o "$WORK/rand.gguf" >/dev/null 2>&1 &&
   spec=$("$LMCC" run "$MODEL_GGUF" "${R[@]}" --ids "$ids" --draft "$WORK/rand.gguf" -k 4 --guess-cost 0.5 2>"$WORK/err") &&
   [ "$spec" = "${PLAIN[$ids]}" ] && line=$(grep '^draft: ' "$WORK/err") &&
   [[ $line =~ ,\ 0\ of\ ([0-9]+)\ guesses.*,\ ([0-9]+)\ tokens\ fed ]] &&
   [ "${BASH_REMATCH[1]}" -ge 3 ] && [ "${BASH_REMATCH[2]}" -le $((12 + 8 * BASH_REMATCH[1])) ]; then
  ok "a draft that never agrees: the tokens of plain decoding, fed a window per probe ($line)"
else cat "$WORK/err"; fail "a draft that never agrees: '$spec' vs '${PLAIN[$ids]}'"; fi
if "$LMCC" run "$MODEL_GGUF" -t generic --guess-cost 0 --ids 1 >/dev/null 2>"$WORK/err" ||
   ! grep -q "^lmcc: error: --guess-cost" "$WORK/err"; then cat "$WORK/err"; fail "--guess-cost alone"
else ok "--guess-cost alone: $(cat "$WORK/err")"; fi
# compile --draft writes both models; a draft with another vocabulary (here: another EOS) is one error
if "$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/pair" --name story --draft "$MODEL_GGUF" 2>"$WORK/err" &&
   [ -f "$WORK/pair/story_draft.h" ] && grep -q '#include "story_draft.h"' "$WORK/pair/story.h" &&
   grep -q "story_generate_draft" "$WORK/pair/story.h"; then ok "compile --draft: story.h includes story_draft.h"
else cat "$WORK/err"; fail "compile --draft"; fi
python3 "$LMCC_SOURCE_DIR/tests/gguf_edit.py" "$MODEL_GGUF" "$WORK/eos.gguf" kv:tokenizer.ggml.eos_token_id=u32:5
if ! "$LMCC" compile "$MODEL_GGUF" -t generic -o "$WORK/bad" --draft "$WORK/eos.gguf" 2>"$WORK/err" &&
   [ "$(wc -l <"$WORK/err")" = 1 ] && grep -q "^lmcc: error: .*eos.gguf: the draft's vocabulary is not the target's" "$WORK/err" &&
   [ ! -e "$WORK/bad" ]; then ok "a draft of another vocabulary: $(cat "$WORK/err"), nothing written"
else cat "$WORK/err"; ls "$WORK/bad" 2>/dev/null; fail "a draft of another vocabulary"; fi
finish
