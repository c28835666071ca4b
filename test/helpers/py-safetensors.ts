// The Python side of safetensors for the oracle tests, written by hand (Debian has no safetensors package):
// raw(t) gives a tensor's contiguous little-endian bytes; st_write writes a file as the reference writer lays
// it out; st_read checks the layout strictly (no holes, aligned, no trailing bytes) and returns
// (tensors, metadata, keys in header order).
export const PY_SAFETENSORS = String.raw`
def raw(t):
    t = t.detach().contiguous().reshape(-1)
    if t.numel() == 0:
        return b''
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()
ST = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64',
      torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
ST_INV = {v: k for k, v in ST.items()}
def st_write(path, tensors, metadata=None):
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs, off = [], 0
    for name, t in tensors.items():
        b = raw(t)
        header[name] = {'dtype': ST[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
def st_read(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n].decode())
    meta = header.pop('__metadata__', {})
    out_t, cursor = collections.OrderedDict(), 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        b, e = info['data_offsets']
        assert b == cursor, ('hole or overlap', name)
        dt = ST_INV[info['dtype']]
        size = torch.empty(0, dtype=dt).element_size()
        assert (8 + n + b) % size == 0, ('misaligned', name)
        cursor = e
        buf = bytearray(data[8 + n + b:8 + n + e])
        if len(buf) == 0:
            t = torch.empty(info['shape'], dtype=dt)
        elif dt == torch.bool:
            t = torch.frombuffer(buf, dtype=torch.uint8).to(torch.bool).reshape(info['shape'])
        else:
            t = torch.frombuffer(buf, dtype=dt).reshape(info['shape'])
        out_t[name] = t
    assert 8 + n + cursor == len(data), 'trailing bytes'
    return out_t, meta, list(header.keys())
`;
