#!/usr/bin/env bash
# Writes the seed corpora of the harnesses into tests/fuzz/corpus/HARNESS/ (committed; rerun after
# changing a format): small valid inputs, so a campaign starts from what the readers accept.  Files
# named regress-* are inputs that once found a bug, added by hand: kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out="$here/corpus"
mkdir -p "$out"/{fuzz_gguf,fuzz_llama2c,fuzz_target,fuzz_options,fuzz_tokenizer,fuzz_zstd,fuzz_api}
find "$out" -type f ! -name 'regress-*' -delete
# GGUF: a valid 2-layer llama (f32, SPM tokenizer) and the same cut after its metadata
python3 "$src/tests/hostile_gguf.py" sections "$out/fuzz_gguf/llama2"
mv "$out/fuzz_gguf/llama2.9" "$out/fuzz_gguf/llama2-metadata"
rm -f "$out"/fuzz_gguf/llama2.*
zstd -q -19 -c "$out/fuzz_gguf/llama2" > "$out/fuzz_zstd/llama2.gguf.zst"
zstd -q -1 -c "$out/fuzz_gguf/llama2-metadata" > "$out/fuzz_zstd/llama2-metadata.gguf.zst"
# llama2.c: dim 8, hidden 16, 1 layer, 2 heads, vocab 16 (shared classifier; and not), seq 8
python3 - "$out/fuzz_llama2c" <<'PY'
import struct, sys
for shared in (1, 0):
    dim, hid, L, heads, kv, vocab, seq = 8, 16, 1, 2, 2, 16, 8
    head = dim // heads
    n = vocab * dim + L * dim + 2 * L * dim * dim + 2 * L * head * kv * dim + L * dim + 3 * L * hid * dim + dim
    n += 2 * seq * (head // 2) + (0 if shared else vocab * dim)
    body = b''.join(struct.pack('<f', ((i * 37) % 17 - 8) / 64.0) for i in range(n))
    open('%s/tiny-%s.bin' % (sys.argv[1], 'shared' if shared else 'cls'), 'wb').write(
        struct.pack('<7i', dim, hid, L, heads, kv, vocab if shared else -vocab, seq) + body)
PY
cp "$src"/targets/*.target "$out/fuzz_target/"
# argv with NULs between the words
while IFS= read -r line; do
  printf '%s' "$line" | tr ' ' '\0' > "$out/fuzz_options/$(printf '%s' "$line" | cksum | cut -d' ' -f1)"
done <<'ARGS'
compile m.gguf -o out --weights q4 --group 64 --ctx 256 -t x86-64-v3
run m.gguf -p hello -n 16 --temp 0.8 --top-k 40 --top-p 0.9 --seed 7 --chat
eval m.gguf --ids ids.txt --logits l.f32 --threads 2 --batch 8
bench m.gguf -p 128 -n 64 --repeat 3 --probe-mib 64 --json
quality m.gguf --samples 3 --len 64 --bpw 4.5 --quant gptq --calib c.txt
compile m.gguf -o o --embed external --compress zstd:19 --budget-ram 64K --budget-flash 2M --kv f16
tokenize m.gguf hello --bos --special
dump-ir m.gguf --after all --no-fuse --act f32 --rotate off
ARGS
# tokenizer: byte 0 picks the vocabulary (files sorted by readdir), byte 1 the flags, then text
i=0
for t in "Hello world" " leading space" "multi
line	tabs" "éàü 日本語 🙂" "<|im_start|>user hi<|im_end|>" "3.14159 1,000,000" "   "; do
  for v in 0 1 2 3 4; do printf "\\x$(printf %02x $v)\\x01%s" "$t" > "$out/fuzz_tokenizer/t$i-$v"; done
  i=$((i + 1))
done
# the generated API (tests/fuzz/fuzz_api.c decodes an input as opcode bytes and their arguments):
# a session on two contexts, the tokenizer, verify_weights, and sampling from crafted logits
python3 - "$out/fuzz_api" <<'PY'
import struct, sys
def at(k, lo, hi):  # the byte take_int maps to k in [lo, hi]
    return 24 + (k - lo) % (hi - lo + 1)
CTX, TOK = 16, 24
def init(c): return bytes([0 | c << 7, 0, 0, 0, 0])
def init_ctx(c, n): return bytes([3 | c << 7, at(n, -1, CTX + 1), 0, 0, 0, 0])
def fwd(c, toks, all=False): return bytes([(11 if all else 6) | c << 7, at(len(toks), -1, TOK), 0]) + b''.join(struct.pack('<H', t) for t in toks)
def rewind(c, p): return bytes([13 | c << 7, at(p, -1, CTX + 1)])
def save(c, b): return bytes([16 | c << 7, 10 | b])
def load(c, b): return bytes([18 | c << 7, 8 | b, 0, 0])
def sample(c): return bytes([21 | c << 7, 0x80 | 2 | 4 << 2]) + struct.pack('<I', 7)
def tok(text): return bytes([27, len(text)]) + text + bytes([1, at(5, -1, 512), at(8, 0, 8), at(-1, -1, 512), at(0, -12, 1)])
seeds = {
    'session': init(0) + fwd(0, [1, 403, 407]) + sample(0) + fwd(0, [300]) + save(0, 0) + init_ctx(1, 8) + load(1, 0)
               + fwd(1, [301]) + rewind(0, 1) + fwd(0, [5, 6], True) + bytes([15, 25]),
    'full': init_ctx(0, 4) + fwd(0, [1, 2, 3]) + fwd(0, [4, 5]) + save(0, 1) + init(1) + load(1, 1) + fwd(1, [9] * 13),
    'tokenizer': tok(b'Once upon a time, there was a little girl.') + tok(b'\xe6\x97\xa5\xff <s>'),
    'verify': bytes([29, 0, 0x40, 0, 0, 0, 29, 3, 0, 0, 0, 0]),
    'logits': init(0) + bytes([21, 1, 0, 0, 0x80, 0x3f, 7, 0, 0, 0, 0, 3, 5, 0, 0, 9, 0, 1, 11, 0, 2]),
}
for k, v in seeds.items():
    open('%s/%s' % (sys.argv[1], k), 'wb').write(v)
PY
du -sh "$out"
