#!/usr/bin/env python3
"""A tiny, independent GGUF rewriter for the bad-input tests.
usage: gguf_edit.py IN OUT EDIT...
edits: version=N | kv:KEY=str:VALUE | kv:KEY=u32:N | kv:KEY=f32:X | del-kv:KEY | del-tensor:NAME
       tensor-type:NAME=ID | tensor-shape:NAME=A,B"""
import struct, sys

def read(path):
    b = open(path, 'rb').read()
    pos = 0
    def take(fmt):
        nonlocal pos
        v = struct.unpack_from('<' + fmt, b, pos); pos += struct.calcsize('<' + fmt); return v[0]
    def take_str():
        nonlocal pos
        n = take('Q'); s = b[pos:pos + n]; pos += n; return s
    scal = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: '?', 10: 'Q', 11: 'q', 12: 'd'}
    def take_val(t):
        if t == 8: return take_str()
        if t == 9:
            et = take('I'); n = take('Q'); return (et, [take_val(et) for _ in range(n)])
        return take(scal[t])
    assert b[:4] == b'GGUF'; pos = 4
    version = take('I'); nt = take('Q'); nkv = take('Q')
    kvs = []
    for _ in range(nkv):
        k = take_str(); t = take('I'); kvs.append([k, t, take_val(t)])
    tensors = []
    for _ in range(nt):
        name = take_str(); nd = take('I'); ne = [take('Q') for _ in range(nd)]
        tensors.append([name, ne, take('I'), take('Q')])
    align = 32
    for k, t, v in kvs:
        if k == b'general.alignment': align = v
    data_off = (pos + align - 1) // align * align
    return version, kvs, tensors, b, data_off, align

def write(path, version, kvs, tensors, blobs, align):
    out = bytearray(b'GGUF')
    scal = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: '?', 10: 'Q', 11: 'q', 12: 'd'}
    def put(fmt, v): out.extend(struct.pack('<' + fmt, v))
    def put_str(s): put('Q', len(s)); out.extend(s)
    def put_val(t, v):
        if t == 8: put_str(v)
        elif t == 9:
            et, items = v; put('I', et); put('Q', len(items))
            for it in items: put_val(et, it)
        else: put(scal[t], v)
    put('I', version); put('Q', len(tensors)); put('Q', len(kvs))
    for k, t, v in kvs: put_str(k); put('I', t); put_val(t, v)
    off = 0; offs = []
    for (name, ne, ty, _), blob in zip(tensors, blobs):
        offs.append(off); off = (off + len(blob) + align - 1) // align * align
    for (name, ne, ty, _), o in zip(tensors, offs):
        put_str(name); put('I', len(ne))
        for d in ne: put('Q', d)
        put('I', ty); put('Q', o)
    while len(out) % align: out.append(0)
    base = len(out)
    for blob, o in zip(blobs, offs):
        while len(out) < base + o: out.append(0)
        out.extend(blob)
    open(path, 'wb').write(out)

def main():
    src, dst = sys.argv[1], sys.argv[2]
    version, kvs, tensors, b, data_off, align = read(src)
    # each tensor's bytes run to the next tensor's offset (or the end)
    order = sorted(range(len(tensors)), key=lambda i: tensors[i][3])
    blobs = [None] * len(tensors)
    for j, i in enumerate(order):
        start = data_off + tensors[i][3]
        end = data_off + tensors[order[j + 1]][3] if j + 1 < len(order) else len(b)
        blobs[i] = b[start:end]
    for e in sys.argv[3:]:
        if e.startswith('version='): version = int(e[8:])
        elif e.startswith('kv:'):
            key, val = e[3:].split('=', 1); ty, v = val.split(':', 1)
            t, v = {'str': (8, v.encode()), 'u32': (4, int(v) if ty == 'u32' else 0), 'f32': (6, float(v) if ty == 'f32' else 0)}[ty]
            for kv in kvs:
                if kv[0] == key.encode(): kv[1], kv[2] = t, v; break
            else: kvs.append([key.encode(), t, v])
        elif e.startswith('del-kv:'): kvs = [kv for kv in kvs if kv[0] != e[7:].encode()]
        elif e.startswith('del-tensor:'):
            keep = [i for i, t in enumerate(tensors) if t[0] != e[11:].encode()]
            tensors = [tensors[i] for i in keep]; blobs = [blobs[i] for i in keep]
        elif e.startswith('tensor-type:'):
            name, ty = e[12:].split('=')
            for t in tensors:
                if t[0] == name.encode(): t[2] = int(ty)
        elif e.startswith('tensor-shape:'):
            name, shape = e[13:].split('=')
            for t in tensors:
                if t[0] == name.encode(): t[1] = [int(x) for x in shape.split(',')]
        else: sys.exit('unknown edit ' + e)
    write(dst, version, kvs, tensors, blobs, align)

if __name__ == '__main__':
    main()
