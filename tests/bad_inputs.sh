# Every bad input gets one line "lmcc: error: ...", exit status 1, no crash
# and no partial output.
. "$(dirname "$0")/lib.sh"
EDIT="python3 $(dirname "$0")/gguf_edit.py"
G="$MODEL_GGUF"

# expect_error NAME PATTERN CMD...: exit 1, exactly one stderr line matching
# "lmcc: error: .*PATTERN", and OUT left empty.
expect_error() {
  local name=$1 pat=$2; shift 2
  rm -rf "$WORK/out"; mkdir -p "$WORK/out"
  "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  local st=$?
  local lines; lines=$(wc -l <"$WORK/stderr")
  if [ "$st" = 1 ] && [ "$lines" = 1 ] && grep -qE "^lmcc: error: .*$pat" "$WORK/stderr" &&
     [ -z "$(ls -A "$WORK/out")" ]; then
    ok "$name: $(cat "$WORK/stderr")"
  else
    fail "$name: exit $st, $lines stderr lines, out: $(ls -A "$WORK/out" | tr '\n' ' ')"; cat "$WORK/stderr"
  fi
}
compile() { "$LMCC" compile "$1" -t generic -o "$WORK/out" "${@:2}"; }

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
# an unwritable directory (only meaningful when not root)
if [ "$(id -u)" != 0 ]; then
  mkdir -p "$WORK/ro"; chmod 555 "$WORK/ro"
  expect_error "read-only OUTDIR" "writable" "$LMCC" compile "$G" -t generic -o "$WORK/ro"
fi
finish
