"""A list of records kept as one byte buffer, so forked workers share its pages.

A Python list of dicts is touched by every reference-count change and GC pass,
so each forked dataloader worker slowly copies the whole record list
(copy-on-write turns into copy-on-read). Pickling every record into one numpy
buffer (plus an offset array) leaves two objects whose pages are never written.
"""
from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any, Iterable, Iterator

import numpy as np


class SerializedList(Sequence):
    """An immutable sequence of picklable records stored as one uint8 buffer.

    ``lst[i]`` unpickles a fresh copy of record ``i``: mutating it does not
    change the list (assign a new list to change records).

    Args:
        records (Iterable): the records (any picklable objects).
    """

    def __init__(self, records: Iterable[Any]):
        blobs = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in records]
        self._addr = np.cumsum(np.fromiter((len(b) for b in blobs), dtype=np.int64,
                                           count=len(blobs)))
        self._buf = np.frombuffer(b''.join(blobs), dtype=np.uint8)

    def __len__(self) -> int:
        return len(self._addr)

    def _get(self, i: int) -> Any:
        start = int(self._addr[i - 1]) if i > 0 else 0
        return pickle.loads(self._buf[start:int(self._addr[i])].tobytes())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return [self._get(i) for i in range(*idx.indices(len(self)))]
        n = len(self)
        i = int(idx)
        if i < -n or i >= n:
            raise IndexError(f'record index {idx} out of range for {n} records')
        return self._get(i % n)

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self._get(i)

    def take(self, indices: Sequence[int]) -> SerializedList:
        """A new list of the records at ``indices``, copied as bytes (no unpickling)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if len(idx) == len(self) and (idx == np.arange(len(self))).all():
            return self
        starts = np.concatenate([[0], self._addr[:-1]])[idx] if len(self) else idx
        ends = self._addr[idx]
        out = SerializedList.__new__(SerializedList)
        out._addr = np.cumsum(ends - starts)
        out._buf = (np.concatenate([self._buf[a:b] for a, b in zip(starts, ends)])
                    if len(idx) else np.zeros(0, np.uint8))
        return out

    @property
    def nbytes(self) -> int:
        """Bytes held by the buffer and the offsets."""
        return int(self._buf.nbytes + self._addr.nbytes)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({len(self)} records, {self.nbytes} bytes)'
