# Every bad input gets one line "lmcc: error: ...", exit status 1, no crash
# and no partial output.
. "$(dirname "$0")/lib.sh"
EDIT="python3 $(dirname "$0")/gguf_edit.py"
G="$MODEL_GGUF"

# expect_error NAME PATTERN CMD...: exit 1, exactly one stderr line matching
# "lmcc: error: .*PATTERN", and OUT left empty; a hang (a FIFO opened for
# reading) is a failure after 60 s.
expect_error() {
  local name=$1 pat=$2; shift 2
  rm -rf "$WORK/out"; mkdir -p "$WORK/out"
  if [ "$(type -t "$1")" = function ]; then "$@"; else timeout 60 "$@"; fi >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
  local st=$?
  local lines; lines=$(wc -l <"$WORK/stderr")
  if [ "$st" = 1 ] && [ "$lines" = 1 ] && grep -qE "^lmcc: error: .*$pat" "$WORK/stderr" &&
     [ -z "$(ls -A "$WORK/out")" ]; then
    ok "$name: $(cat "$WORK/stderr")"
  else
    fail "$name: exit $st, $lines stderr lines, out: $(ls -A "$WORK/out" | tr '\n' ' ')"; cat "$WORK/stderr"
  fi
}
compile() { timeout 60 "$LMCC" compile "$1" -t generic -o "$WORK/out" "${@:2}"; }

expect_error "missing file" "No such file" compile "$WORK/nope.gguf"
: > "$WORK/empty.gguf";                      expect_error "empty file" "empty" compile "$WORK/empty.gguf"
head -c 100 "$G" > "$WORK/trunc1.gguf";      expect_error "truncated header" "truncated" compile "$WORK/trunc1.gguf"
head -c 600000 "$G" > "$WORK/trunc2.gguf";   expect_error "truncated data" "truncated" compile "$WORK/trunc2.gguf"
head -c 500000 "$MODEL_BIN" > "$WORK/trunc.bin"; expect_error "truncated .bin" "truncated|size" compile "$WORK/trunc.bin"
{ printf 'GGUX'; tail -c +5 "$G"; } > "$WORK/magic.gguf"; expect_error "wrong magic" "magic|not a|checkpoint" compile "$WORK/magic.gguf"
$EDIT "$G" "$WORK/v9.gguf" version=9;        expect_error "GGUF version" "version 9" compile "$WORK/v9.gguf"
$EDIT "$G" "$WORK/arch.gguf" kv:general.architecture=str:mamba
expect_error "unknown architecture" "architecture.*mamba" compile "$WORK/arch.gguf"
$EDIT "$G" "$WORK/miss.gguf" del-tensor:blk.2.ffn_up.weight
expect_error "missing tensor" "blk.2.ffn_up.weight" compile "$WORK/miss.gguf"
$EDIT "$G" "$WORK/shape.gguf" tensor-shape:blk.0.attn_q.weight=64,32
expect_error "shape contradicts metadata" "blk.0.attn_q.weight" compile "$WORK/shape.gguf"
$EDIT "$G" "$WORK/type.gguf" tensor-type:blk.1.attn_k.weight=99
expect_error "unsupported tensor type" "blk.1.attn_k.weight" compile "$WORK/type.gguf"
$EDIT "$G" "$WORK/type2.gguf" tensor-type:blk.1.attn_k.weight=12
expect_error "type contradicts shape" "blk.1.attn_k.weight.*block size" compile "$WORK/type2.gguf"
$EDIT "$G" "$WORK/heads.gguf" kv:llama.attention.head_count=u32:7
expect_error "heads not dividing dim" "head" compile "$WORK/heads.gguf"
$EDIT "$G" "$WORK/kvh.gguf" kv:llama.attention.head_count_kv=u32:3
expect_error "kv heads not dividing heads" "head" compile "$WORK/kvh.gguf"
$EDIT "$G" "$WORK/nokey.gguf" del-kv:llama.embedding_length
expect_error "missing key" "embedding_length" compile "$WORK/nokey.gguf"
expect_error "ctx 0" "ctx" compile "$G" --ctx 0
expect_error "ctx absurd" "ctx" compile "$G" --ctx 99999999999
expect_error "ctx not a number" "ctx" compile "$G" --ctx lots
expect_error "unknown target" "unknown target" compile "$G" -t z80
expect_error "unknown weights" "weights" compile "$G" --weights q3
expect_error "unknown --rotate" "unknown --rotate .maybe." compile "$G" --rotate maybe
expect_error "bad name" "name" compile "$G" --name 9lives
: > "$WORK/afile"
expect_error "unwritable OUTDIR" "afile" "$LMCC" compile "$G" -t generic -o "$WORK/afile/sub"
expect_error "OUTDIR is a file" "afile" "$LMCC" compile "$G" -t generic -o "$WORK/afile"
expect_error "unknown option" "unknown option" compile "$G" --frobnicate
expect_error "unknown command" "unknown command" "$LMCC" frobnicate
echo "999 1 2" > "$WORK/badids.txt"
expect_error "eval id out of range" "outside the vocabulary" "$LMCC" eval "$G" --ids "$WORK/badids.txt" --logits "$WORK/out/l.f32"
expect_error "tokenize without tokenizer" "tokenizer" "$LMCC" tokenize "$MODEL_BIN" "hello"
# run: every bad value is one line from the option table, before anything is compiled
expect_error "run -n abc" "-n wants an integer in 1\.\.1048576, got 'abc'" "$LMCC" run "$G" -n abc
expect_error "run -n -1" "-n wants an integer" "$LMCC" run "$G" -n -1
expect_error "run --seed abc" "--seed wants an integer >= 0" "$LMCC" run "$G" --seed abc
expect_error "run --temp nan" "--temp wants a number >= 0, got 'nan'" "$LMCC" run "$G" --temp nan
expect_error "run --temp -1" "--temp wants a number" "$LMCC" run "$G" --temp -1
expect_error "run --top-p 2" "--top-p wants a number in 0\.\.1, got '2'" "$LMCC" run "$G" --top-p 2
expect_error "run --top-k -3" "--top-k wants an integer in 0\.\." "$LMCC" run "$G" --top-k -3
expect_error "run -p and --ids" "either -p TEXT or --ids" "$LMCC" run "$G" -p hi --ids 1
# run: inputs the generated program would refuse (with its own second line) are checked first
expect_error "run --ids -1" "--ids: token id -1 at index 0 is outside the vocabulary \[0, 512\)" "$LMCC" run "$G" --ids -1
expect_error "run --ids 512" "token id 512 at index 1" "$LMCC" run "$G" --ids "1 512"
expect_error "run --ids junk" "--ids '1 x': want token ids" "$LMCC" run "$G" --ids "1 x"
expect_error "run --ids empty" "--ids: no token ids" "$LMCC" run "$G" --ids " "
expect_error "run --ids over the context" "9 ids do not fit the context of 8" "$LMCC" run "$G" --ctx 8 --ids "1 2 3 4 5 6 7 8 9"
expect_error "run prompt over the context" "-p: the prompt is [0-9]+ tokens, longer than the context of 8" \
  "$LMCC" run "$G" --ctx 8 -p "Once upon a time there was a little girl"
echo "1 2 3 4 5" > "$WORK/ids5.txt"
expect_error "eval ids over the context" "ids5.txt: 5 ids do not fit the context of 4" \
  "$LMCC" eval "$G" --ctx 4 --ids "$WORK/ids5.txt" --logits "$WORK/out/l.f32"
expect_error "eval --logits unwritable" "nodir/l.f32: cannot write" \
  "$LMCC" eval "$G" --ids "$WORK/ids5.txt" --logits "$WORK/nodir/l.f32"
expect_error "option of another command" "run: option '--name' is for compile, not run \(usage: lmcc run MODEL" \
  "$LMCC" run "$G" --name x
expect_error "bench --compress" "option '--compress' is for compile, run, eval and quality, not bench" \
  "$LMCC" bench "$G" --compress zstd
expect_error "missing operand" "tokenize: no TEXT given" "$LMCC" tokenize "$G"
expect_error "quality --len over the context" "--len 200 is longer than the context of 128" \
  "$LMCC" quality "$G" --len 200

# A FIFO (or any file that blocks on open) as MODEL, --calib, --ids or FILE.c: an error, not a hang
mkfifo "$WORK/fifo"
expect_error "FIFO model (compile)" "fifo: not a regular file" compile "$WORK/fifo"
expect_error "FIFO model (tokenize)" "fifo: not a regular file" "$LMCC" tokenize "$WORK/fifo" hello
expect_error "FIFO model (quality)" "fifo: not a regular file" "$LMCC" quality "$WORK/fifo"
expect_error "FIFO --calib" "fifo: --calib wants a regular file" compile "$G" --calib "$WORK/fifo"
expect_error "FIFO eval --ids" "fifo: --ids wants a regular file" \
  "$LMCC" eval "$G" --ids "$WORK/fifo" --logits "$WORK/out/l.f32"
expect_error "FIFO verify FILE.c" "fifo: not a regular file" "$LMCC" verify "$WORK/fifo"
mkfifo "$WORK/fifo.target"
expect_error "FIFO target file" "fifo.target: not a regular file" compile "$G" -t "$WORK/fifo.target"

# A failed compile leaves no OUTDIR it created itself (nor anything in one that existed)
for fresh in "$WORK/fresh" "$WORK/fresh2"; do rm -rf "$fresh"; done
"$LMCC" compile "$WORK/empty.gguf" -t generic -o "$WORK/fresh" 2>"$WORK/stderr"
if [ $? = 1 ] && [ ! -e "$WORK/fresh" ]; then ok "failed compile removes the OUTDIR it made"
else fail "failed compile left $WORK/fresh: $(ls -A "$WORK/fresh" 2>&1)"; fi
"$LMCC" compile "$G" -t generic -o "$WORK/fresh2" --budget-ram 1K 2>"$WORK/stderr"
if [ $? = 1 ] && [ ! -e "$WORK/fresh2" ] && [ "$(grep -c '^lmcc: error:' "$WORK/stderr")" = 1 ]; then
  ok "a budget failure after codegen removes the OUTDIR it made"
else fail "budget failure left $WORK/fresh2: $(ls -A "$WORK/fresh2" 2>&1)"; cat "$WORK/stderr"; fi

# An OUTDIR (and a TMPDIR) with quotes, spaces and $ works: commands are argument vectors
Q="$WORK/it's \"q\" \$HOME"
mkdir -p "$Q"
if LMCC_CODE_SIZE=1 "$LMCC" compile "$G" -t generic -o "$Q/out" --weights q8 2>"$WORK/stderr" && [ -s "$Q/out/model.c" ] &&
   grep -q "^lmcc: sizes: weights [0-9]* bytes, code [0-9]* bytes" "$WORK/stderr"; then
  ok "OUTDIR with quotes: compiled, code size measured"
else fail "OUTDIR with quotes"; cat "$WORK/stderr"; fi
got=$(TMPDIR="$Q" "$LMCC" run "$G" --ids 1 -n 4 --temp 0 --print-ids 2>"$WORK/stderr")
if [ "$got" = "461 461 401 401" ]; then ok "run with a quoted TMPDIR: $got"; else fail "run with quoted TMPDIR: '$got'"; cat "$WORK/stderr"; fi

# Every option the table gives some command is refused, in one line, by the commands it does not
# list (lmcc CMD --help is generated from the same table)
"$LMCC" --help | sed -n 's/^  \(-[-a-z]*\).*/\1/p; s/^  -[a-z], \(--[-a-z]*\).*/\1/p' | sort -u > "$WORK/all_opts"
n_checked=0; bad=0
for cmd in compile run eval bench quality dump-ir tokenize verify; do
  "$LMCC" $cmd --help | sed -n 's/^  \(-[-a-z]*\).*/\1/p; s/^  -[a-z], \(--[-a-z]*\).*/\1/p' | sort -u > "$WORK/takes"
  ops=(m.gguf); [ $cmd = tokenize ] && ops=(m.gguf text)
  for opt in $(comm -23 "$WORK/all_opts" "$WORK/takes"); do
    "$LMCC" $cmd "${ops[@]}" "$opt" 1 >/dev/null 2>"$WORK/stderr"; st=$?
    n_checked=$((n_checked+1))
    if [ $st != 1 ] || [ "$(wc -l <"$WORK/stderr")" != 1 ] ||
       ! grep -qE "^lmcc: error: $cmd: (option '$opt' is for .*, not $cmd|unknown option '$opt') \(usage: lmcc $cmd " "$WORK/stderr"; then
      bad=$((bad+1)); echo "  $cmd $opt: exit $st: $(cat "$WORK/stderr")"
    fi
  done
done
if [ $bad = 0 ] && [ $n_checked -gt 100 ]; then ok "$n_checked options refused by the commands that do not take them"
else fail "$bad of $n_checked refused options misbehaved"; fi

# an unwritable directory (only meaningful when not root)
if [ "$(id -u)" != 0 ]; then
  mkdir -p "$WORK/ro"; chmod 555 "$WORK/ro"
  expect_error "read-only OUTDIR" "writable" "$LMCC" compile "$G" -t generic -o "$WORK/ro"
fi
finish
