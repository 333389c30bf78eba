#!/usr/bin/env python3
"""Writes tests/data/vocab/special_refs.txt: llama.cpp's token ids for the texts
of tests/data/vocab/special_cases.txt, and llama.cpp's end-of-generation set of
every vocabulary they use.

Usage: python3 tools/tokenizer_refs.py BUILD_DIR [LLAMA_TOKENIZE] > tests/data/vocab/special_refs.txt

BUILD_DIR holds lmcc's build (its test_tokenizer writes the derived
vocabularies); LLAMA_TOKENIZE defaults to ../peer/llama.cpp/build/bin/llama-tokenize next to the repository
(where ../shared/peer/build-llama-cpp.sh ../peer builds it).
Each text is run as
    llama-tokenize -m VOCAB.gguf -f TEXT_FILE --ids --no-escape --log-disable [--no-bos] [--no-parse-special]
(--no-bos without flag 1, --no-parse-special without flag 2; -f passes the bytes
verbatim), the EOG set is read from `llama-tokenize -m VOCAB.gguf -p x -v`
(its "EOG token = N" lines).  Output lines: vocab TAB flags TAB text TAB ids,
and eog TAB vocab TAB ids; texts keep the escapes of the cases file.
"""
import os
import re
import subprocess
import sys
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(SRC, 'tests', 'data', 'vocab')
SHARED = os.path.join(os.path.dirname(SRC), 'shared', 'vocab')
SEP = '\n__ggml_vocab_test__\n'


def unescape(t):
    out, i = bytearray(), 0
    b = t.encode('utf-8')
    while i < len(b):
        if b[i] == 0x5c and i + 1 < len(b):
            c = chr(b[i + 1])
            if c == 'x':
                out.append(int(b[i + 2:i + 4], 16)); i += 4; continue
            out += {'n': b'\n', 't': b'\t', 'r': b'\r', '\\': b'\\'}[c]; i += 2; continue
        out.append(b[i]); i += 1
    return bytes(out)


def escape(raw):
    s = ''
    for ch in raw.decode('utf-8', 'surrogateescape'):
        o = ord(ch)
        if ch == '\\': s += '\\\\'
        elif ch == '\n': s += '\\n'
        elif ch == '\t': s += '\\t'
        elif ch == '\r': s += '\\r'
        elif o < 0x20 or o == 0x7f: s += '\\x%02x' % o
        elif 0xdc80 <= o <= 0xdcff: s += '\\x%02x' % (o - 0xdc00)
        else: s += ch
    return s


def main():
    build = sys.argv[1]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tool = sys.argv[2] if len(sys.argv) > 2 else os.path.join(repo, '..', 'peer', 'llama.cpp', 'build', 'bin', 'llama-tokenize')
    derived = tempfile.mkdtemp()
    subprocess.run([os.path.join(build, 'test_tokenizer'), '--write-vocabs', derived], check=True,
                   env=dict(os.environ, LMCC_SOURCE_DIR=SRC, LMCC_SHARED_DIR=os.path.dirname(SHARED)))

    def vocab_path(name):
        for d, f in ((derived, name + '.gguf'), (DATA, 'ggml-vocab-%s.gguf' % name),
                     (SHARED, 'ggml-vocab-%s.gguf' % name)):
            if os.path.exists(os.path.join(d, f)):
                return os.path.join(d, f)
        sys.exit('no vocabulary ' + name)

    print('# llama.cpp token ids: written by tools/tokenizer_refs.py from special_cases.txt (see there)')
    used = []
    text_file = os.path.join(derived, 'text')
    for line in open(os.path.join(DATA, 'special_cases.txt'), encoding='utf-8'):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        vocabs, flags, text = line.split('\t', 2)
        if text.startswith('@'):
            raw = open(os.path.join(DATA, text[1:]), 'rb').read().decode('utf-8', 'surrogateescape')
            texts = [escape(t.encode('utf-8', 'surrogateescape')) for t in raw.split(SEP)[:-1]]
        else:
            texts = [text]
        for vocab in vocabs.split(','):
            if vocab not in used:
                used.append(vocab)
            for fl in ([0, 1, 2, 3] if flags == '*' else [int(flags)]):
                for t in texts:
                    raw = unescape(t)
                    if not raw:
                        continue
                    open(text_file, 'wb').write(raw)
                    cmd = [tool, '-m', vocab_path(vocab), '-f', text_file, '--ids', '--no-escape', '--log-disable']
                    if not fl & 1: cmd.append('--no-bos')
                    if not fl & 2: cmd.append('--no-parse-special')
                    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                    ids = out.strip().strip('[]').replace(',', '')
                    print('%s\t%d\t%s\t%s' % (vocab, fl, t, ids))
    for vocab in used:
        out = subprocess.run([tool, '-m', vocab_path(vocab), '-p', 'x', '-v'], check=True, capture_output=True,
                             text=True)
        eog = sorted(int(m) for m in re.findall(r'EOG token\s+=\s+(\d+)', out.stdout + out.stderr))
        print('eog\t%s\t%s' % (vocab, ' '.join(map(str, eog))))


main()
