"""Read and write the safetensors format with numpy only (torch optional).

Why: the reader reference runs (hf_bert_replica.py, make_reader_fixtures.py) must
load Hugging Face checkpoints and write fixtures on a machine without the
`safetensors` package. Written from the format's description, not from its code:

  bytes 0..7   N, the header length, unsigned 64-bit little-endian
  bytes 8..8+N a UTF-8 JSON object: for each tensor name
               {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]},
               plus an optional "__metadata__" object mapping strings to strings.
               The writer of the reference implementation pads it with spaces so
               that the data starts on an 8-byte boundary.
  the rest     the byte buffer; offsets are relative to its start, data is
               little-endian and C-ordered; the tensors tile the buffer exactly
               (no gaps, no overlap).

Like the reference writer, `save` lays tensors out by decreasing element size and
then by name, writes the header compactly with "__metadata__" first, and pads it with
spaces; re-saving a file written by the reference implementation gives the same bytes
(`--selftest` checks this on the Hugging Face fixtures). BF16 has no numpy type: `load`
widens it exactly to float32, and `save` narrows float32 to BF16 (round to nearest even)
when asked through `dtypes`. Every malformed input raises ValueError naming the file and
the tensor or field at fault.

Usage as a library: load(path) -> (dict name -> numpy array, metadata dict or None);
save(path, tensors, metadata=None, dtypes=None). As a script:
  safetensors_io.py --list FILE      print the header
  safetensors_io.py --selftest       round trips + byte-identical re-save of the HF fixtures
"""
import json
import os
import struct
import sys

import numpy as np

# safetensors dtype name -> numpy storage dtype (little-endian). BF16 is stored as raw uint16.
_NP = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
       "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
_NAME = {np.dtype("<f8"): "F64", np.dtype("<f4"): "F32", np.dtype("<f2"): "F16", np.dtype("<i8"): "I64",
         np.dtype("<i4"): "I32", np.dtype("<i2"): "I16", np.dtype("i1"): "I8", np.dtype("u1"): "U8",
         np.dtype("?"): "BOOL"}
_MAX_HEADER = 100 << 20


def bf16_to_f32(raw):
    """Exact widening of BF16 bit patterns (uint16 array) to float32."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(x):
    """Round float32 to BF16 bit patterns (uint16), to nearest even; NaN stays a quiet NaN."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return np.where(np.isnan(x), (bits >> 16) | 0x40, rounded).astype(np.uint16)


def _bad(path, what):
    return ValueError(f"{path}: {what}")


def read_header(path):
    """Parse and check the header of `path`; returns (entries, metadata, data_start, file_size)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise _bad(path, f"file of {size} bytes is too short for the 8-byte header length")
        n = struct.unpack("<Q", head)[0]
        if n > _MAX_HEADER or 8 + n > size:
            raise _bad(path, f"header length {n} does not fit a file of {size} bytes")
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"header is not UTF-8 JSON ({e})")
    if not isinstance(header, dict):
        raise _bad(path, "header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                                 for k, v in meta.items())):
        raise _bad(path, "__metadata__ must map strings to strings")
    buf_len = size - 8 - n
    spans = []
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise _bad(path, f"tensor '{name}': entry must have exactly dtype, shape, data_offsets")
        if e["dtype"] not in _NP:
            raise _bad(path, f"tensor '{name}': unknown dtype {e['dtype']!r}")
        shape, offs = e["shape"], e["data_offsets"]
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise _bad(path, f"tensor '{name}': shape {shape!r} is not a list of non-negative integers")
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) for o in offs)
                and 0 <= offs[0] <= offs[1] <= buf_len):
            raise _bad(path, f"tensor '{name}': data_offsets {offs!r} outside the {buf_len}-byte buffer")
        want = int(np.prod(shape, dtype=np.int64)) * np.dtype(_NP[e["dtype"]]).itemsize
        if offs[1] - offs[0] != want:
            raise _bad(path, f"tensor '{name}': {offs[1] - offs[0]} bytes for {e['dtype']}{shape} (needs {want})")
        spans.append((offs[0], offs[1], name))
    end = 0
    for b, e, name in sorted(spans):
        if b != end:
            raise _bad(path, f"tensor '{name}': data starts at {b}, expected {end} (gap or overlap)")
        end = e
    if end != buf_len:
        raise _bad(path, f"tensors cover {end} bytes of a {buf_len}-byte buffer")
    return header, meta, 8 + n, size


def load(path):
    """Load every tensor of `path` as a numpy array (BF16 widened to float32)."""
    header, meta, start, _ = read_header(path)
    with open(path, "rb") as f:
        f.seek(start)
        buf = f.read()
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        a = np.frombuffer(buf, dtype=_NP[e["dtype"]], count=(end - b) // np.dtype(_NP[e["dtype"]]).itemsize,
                          offset=b).reshape(e["shape"])
        out[name] = bf16_to_f32(a) if e["dtype"] == "BF16" else a.copy()
    return out, meta


def _as_numpy(name, t):
    if hasattr(t, "detach"):  # a torch tensor; bfloat16 has no numpy twin, so go through float32
        t = t.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":
            return t.float().numpy(), "BF16"
        return t.contiguous().numpy(), None
    return np.asarray(t), None


def serialize(tensors, metadata=None, dtypes=None):
    """The bytes of a safetensors file holding `tensors` (name -> array or torch tensor).
    `dtypes` optionally maps names to "BF16" (float32 data narrowed on write)."""
    items = []
    for name, t in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot name a tensor")
        a, kind = _as_numpy(name, t)
        kind = (dtypes or {}).get(name, kind)
        if kind == "BF16":
            raw = f32_to_bf16(a.astype(np.float32))
        else:
            a = a.astype(a.dtype.newbyteorder("<"), copy=False)
            if a.dtype not in _NAME:
                raise ValueError(f"tensor '{name}': dtype {a.dtype} has no safetensors name")
            kind, raw = _NAME[a.dtype], a
        items.append((name, kind, list(a.shape), np.ascontiguousarray(raw).tobytes()))
    items.sort(key=lambda it: (-np.dtype(_NP[it[1]]).itemsize, it[0]))
    header, off = {}, 0
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, kind, shape, data in items:
        header[name] = {"dtype": kind, "shape": shape, "data_offsets": [off, off + len(data)]}
        off += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(it[3] for it in items)


def save(path, tensors, metadata=None, dtypes=None):
    """Write `tensors` to `path` atomically (temporary file, fsync, rename)."""
    data = serialize(tensors, metadata, dtypes)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _selftest():
    import tempfile
    hf = os.environ.get("HF_FIXTURES", "/work/shared/fixtures/hf")
    rng = np.random.default_rng(0)
    t = {"a.f32": rng.standard_normal((3, 5)).astype(np.float32), "b.f16": rng.standard_normal(7).astype(np.float16),
         "c.i64": np.arange(6, dtype=np.int64).reshape(2, 3), "d.i32": np.array([-1, 2], dtype=np.int32),
         "e.scalar": np.float32(2.5).reshape(()), "f.empty": np.zeros((0, 4), np.float32),
         "g.bf16": np.array([1.0, -2.5, 3.140625, 1e-3], np.float32)}
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.safetensors")
        save(p, t, {"format": "pt"}, dtypes={"g.bf16": "BF16"})
        got, meta = load(p)
        assert meta == {"format": "pt"}
        for k, v in t.items():
            want = bf16_to_f32(f32_to_bf16(v)) if k == "g.bf16" else v
            assert got[k].dtype == (np.float32 if k == "g.bf16" else v.dtype) and got[k].shape == v.shape, k
            assert np.array_equal(got[k], want), k
        assert (8 + struct.unpack("<Q", open(p, "rb").read(8))[0]) % 8 == 0
        good = open(p, "rb").read()
        for bad, why in ((good[:5], "too short"), (good[:-4], "outside"), (b"\xff" * 8 + good[8:], "does not fit"),
                         (good[:8] + good[8:].replace(b'"F32"', b'"F99"', 1), "unknown dtype"),
                         (good + b"xx", "cover")):
            open(p, "wb").write(bad)
            try:
                load(p)
                raise AssertionError(f"malformed file accepted ({why})")
            except ValueError as e:
                assert why in str(e) and p in str(e), e
    n = 0
    for root, _, files in os.walk(os.path.join(hf, "models")):
        for fn in files:
            if fn.endswith(".safetensors"):
                p = os.path.join(root, fn)
                ts, meta = load(p)
                assert serialize(ts, meta) == open(p, "rb").read(), f"{p}: re-save differs"
                n += 1
    assert n > 0, f"no HF safetensors files found under {hf}"
    print(f"safetensors_io selftest: OK (round trips, bad input, {n} HF files re-saved byte-identically)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        _selftest()
    elif len(sys.argv) == 3 and sys.argv[1] == "--list":
        hdr, meta, _, _ = read_header(sys.argv[2])
        print(json.dumps({"__metadata__": meta, **hdr}, indent=1))
    else:
        sys.exit(__doc__)
