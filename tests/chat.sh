# Chat and end of generation through the generated program: a model whose greedy output is known
# (tests/chat_model.py: X, then the end-of-turn token) with the Gemma-like vocabulary of
# `test_tokenizer --write-vocabs` (Gemma 2's real template).  NAME.h's chat strings, encode flags
# and EOG ids in an app against llama.cpp's ids (data/vocab/special_refs.txt); `run --chat` formats
# one turn and stops at the end of turn (hosted and bare metal); an unknown or missing template is
# one note and the raw text; a template the vocabulary cannot carry is an error under --chat.
. "$(dirname "$0")/lib.sh"
: "${LMCC_BUILD_DIR:?}"
"$LMCC_BUILD_DIR/test_tokenizer" --write-vocabs "$WORK" >/dev/null || { fail "derived vocabularies"; finish; }
read -r X END < <(python3 "$LMCC_SOURCE_DIR/tests/chat_model.py" "$WORK/gemma.gguf" "$WORK/m.gguf" "<end_of_turn>")
[ -n "$END" ] || { fail "chat_model.py"; finish; }

# NAME.h: the gemma strings, the EOG ids; an app encodes one turn to llama.cpp's ids
"$LMCC" compile "$WORK/m.gguf" -o "$WORK/gen" --name m 2>"$WORK/err" || { cat "$WORK/err"; fail "compile"; finish; }
if grep -q '#define M_CHAT_TEMPLATE "gemma"' "$WORK/gen/m.h" &&
   grep -q '#define M_CHAT_USER_PREFIX "<start_of_turn>user\\n"' "$WORK/gen/m.h" &&
   grep -q '#define M_CHAT_ASSISTANT_PREFIX "<start_of_turn>model\\n"' "$WORK/gen/m.h" &&
   grep -q "#define M_EOG_IDS {.* $END[ ,]" "$WORK/gen/m.h"; then ok "m.h: gemma chat strings, <end_of_turn> ($END) in M_EOG_IDS"
else fail "m.h chat constants"; grep -E "CHAT|EOG" "$WORK/gen/m.h"; fi
CC=${CC:-cc}
want=$(awk -F'\t' '$1 == "gemma" && $2 == 3 && $3 == "<start_of_turn>user\\nHello<end_of_turn>\\n<start_of_turn>model\\n" { print $4 }' \
       "$LMCC_SOURCE_DIR/tests/data/vocab/special_refs.txt")
if $CC -std=c11 -O1 -Wall -Wextra -Werror -I "$WORK/gen" "$WORK/gen/m.c" "$WORK/gen/m_weights.S" \
     "$LMCC_SOURCE_DIR/tests/data/chat_app.c" -o "$WORK/app" 2>"$WORK/err"; then
  got=$("$WORK/app" Hello)
  if [ $? = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then ok "app: one turn in M_CHAT_* encodes to llama.cpp's ids ($want), m_is_eog = M_EOG_IDS"
  else fail "app: got '$got', llama.cpp '$want'"; fi
else
  fail "app build"; cat "$WORK/err"
fi
got=$("$LMCC" tokenize "$WORK/m.gguf" --chat Hello 2>"$WORK/err")
if [ "$got" = "$want" ]; then ok "tokenize --chat = llama.cpp's ids"; else fail "tokenize --chat: '$got'"; cat "$WORK/err"; fi

# run --chat: the reply is X, then the end of turn stops it (not -n)
n_prompt=$(echo "$want" | wc -w)
got=$("$LMCC" run "$WORK/m.gguf" --chat -p Hello -n 8 --temp 0 --print-ids 2>"$WORK/err")
if [ "$got" = "$X" ] && grep -q "end of generation: token $END" "$WORK/err" && grep -q "prompt $n_prompt tokens" "$WORK/err"
then ok "run --chat: $n_prompt prompt tokens, reply '$X', stopped at <end_of_turn>"
else fail "run --chat: '$got'"; cat "$WORK/err"; fi
got=$("$LMCC" run "$WORK/m.gguf" -p Hello -n 8 --temp 0 --print-ids 2>"$WORK/err")
if [ "$got" = "$X" ] && grep -q "prompt 2 tokens" "$WORK/err"; then ok "run without --chat: raw prompt, stops at end of generation too"
else fail "run: '$got'"; cat "$WORK/err"; fi
got=$("$LMCC" run "$WORK/m.gguf" -p "<start_of_turn>Hi" -n 8 --temp 0 --print-ids 2>"$WORK/err")
if grep -q "prompt 3 tokens" "$WORK/err"; then ok "run -p parses control tokens (llama.cpp's completion tool does)"
else fail "run -p with a control token"; cat "$WORK/err"; fi
if command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null; then
  got=$("$LMCC" run "$WORK/m.gguf" -t cortex-m4 --weights f16 --ctx 64 --chat -p Hello -n 8 --temp 0 --print-ids 2>"$WORK/err")
  if [ "$got" = "$X" ] && grep -q "end of generation" "$WORK/err" && grep -q "prompt $n_prompt tokens" "$WORK/err"
  then ok "cortex-m4 run --chat: same prompt, reply and stop"
  else fail "cortex-m4 run --chat: '$got'"; cat "$WORK/err"; fi
else
  echo "SKIP: cortex-m4 run --chat (apt-get install qemu-system-arm gcc-arm-none-eabi)"
fi

# templates lmcc does not format: one note, the raw text
python3 "$LMCC_SOURCE_DIR/tests/gguf_edit.py" "$WORK/m.gguf" "$WORK/mistral.gguf" \
  "kv:tokenizer.chat_template=str:$(cat "$LMCC_SOURCE_DIR/tests/data/chat/mistralai-Mistral-Nemo-Instruct-2407.jinja")"
python3 "$LMCC_SOURCE_DIR/tests/gguf_edit.py" "$WORK/m.gguf" "$WORK/none.gguf" del-kv:tokenizer.chat_template
for m in mistral none; do
  got=$("$LMCC" run "$WORK/$m.gguf" --chat -p Hello -n 8 --temp 0 --print-ids 2>"$WORK/err"); rc=$?
  notes=$(grep -c "^lmcc: note: .*--chat uses the raw text" "$WORK/err")
  if [ $rc = 0 ] && [ "$notes" = 1 ] && [ "$(grep -c '^lmcc: ' "$WORK/err")" = 1 ] && grep -q "prompt 2 tokens" "$WORK/err"
  then ok "$m template: one note ($(grep '^lmcc: note' "$WORK/err" | sed 's/.*gguf //')), raw prompt"
  else fail "$m template: rc $rc"; cat "$WORK/err"; fi
done
if "$LMCC" compile "$WORK/mistral.gguf" -o "$WORK/gen2" --name m 2>"$WORK/err" && ! grep -q "define M_CHAT_" "$WORK/gen2/m.h"
then ok "unknown template: compiles, no M_CHAT_* in m.h"; else fail "compile with an unknown template"; fi

# a format whose tokens the vocabulary lacks cannot work: an error under --chat, left out otherwise
python3 "$LMCC_SOURCE_DIR/tests/gguf_edit.py" "$WORK/m.gguf" "$WORK/chatml.gguf" kv:tokenizer.chat_template=str:chatml
out=$("$LMCC" run "$WORK/chatml.gguf" --chat -p Hello 2>&1); rc=$?
if [ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "^lmcc: error: .*--chat: the chatml chat format needs <|im_start|>"
then ok "chatml template on a vocabulary without <|im_start|>: one error line"; else fail "rc $rc: $out"; fi
rm -rf "$WORK/gen2"
if "$LMCC" compile "$WORK/chatml.gguf" -o "$WORK/gen2" --name m 2>"$WORK/err" && ! grep -q "define M_CHAT_" "$WORK/gen2/m.h"
then ok "... compile leaves the chat strings out"; else fail "compile chatml.gguf"; cat "$WORK/err"; fi
python3 "$LMCC_SOURCE_DIR/tests/gguf_edit.py" "$WORK/m.gguf" "$WORK/nobos.gguf" kv:tokenizer.ggml.add_bos_token=u32:0
out=$("$LMCC" run "$WORK/nobos.gguf" -n 2 2>&1); rc=$?
if [ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "^lmcc: error: .*the prompt is empty and the model adds no BOS"
then ok "no -p on a model without BOS: one error line before compiling"; else fail "empty prompt: rc $rc $out"; fi
got=$("$LMCC" run "$WORK/nobos.gguf" -p Hello -n 8 --temp 0 --print-ids 2>"$WORK/err")
if [ "$got" = "$X" ] && grep -q "prompt 1 tokens" "$WORK/err"; then ok "add_bos_token false: no BOS in the prompt"
else fail "no-BOS model: '$got'"; cat "$WORK/err"; fi
out=$("$LMCC" run "$WORK/m.gguf" --chat --ids "1 2" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "^lmcc: error: --chat formats the text of -p"; then ok "--chat with --ids: error"
else fail "--chat --ids: rc $rc $out"; fi
finish
