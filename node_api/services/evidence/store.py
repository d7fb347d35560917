"""Content stores for evidence documents, behind one port (``ContentStore``).

Either way the digest that goes on chain is the SHA-256 of the bytes, computed while the upload streams
(a chunk at a time: a 1 GB upload never sits in memory), and the document's CID is kept alongside:

* ``LocalContentStore`` (embedded default): files named by their SHA-256 in sharded folders
  ``<root>/sha256/ab/cd/abcd…``; written to a temp file, ``fsync``ed, renamed into place, and the folder
  ``fsync``ed; a second upload of the same bytes is de-duplicated (the temp file is dropped). Its CID is
  the CIDv1 ``raw``/sha2-256 of the bytes for documents up to 256 KiB, which is exactly what an IPFS node
  returns for them with ``raw-leaves`` and 256 KiB chunks; above that the CID depends on the node's
  chunking DAG, so the local store records ``None``.
* ``IpfsContentStore``: a Kubo-compatible HTTP RPC node (``/api/v0``, always POST) through ``httpx``;
  ``add`` with ``cid-version=1&raw-leaves=true&cid-base=base32&chunker=size-262144`` (the CID recorded is
  the node's), ``cat`` with a ``timeout``. The upload is spooled to a temp file while it is hashed, then
  streamed to the node from that file.

Errors: ``EvidenceTooLargeError`` (413) when an upload passes the configured limit,
``EvidenceStoreError`` (502) when the IPFS node fails, ``EvidenceContentUnavailableError`` (404) when the
bytes are not in the store.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import httpx

from node_api.problems import EvidenceContentUnavailableError, EvidenceStoreError, EvidenceTooLargeError

__all__ = [
    "CHUNK",
    "RAW_CID_MAX",
    "ContentStore",
    "IpfsContentStore",
    "LocalContentStore",
    "StoredContent",
    "Upload",
    "raw_cid",
]

logger = logging.getLogger(__name__)
#: bytes read or written at a time
CHUNK = 1 << 20
#: largest document whose CID is the CIDv1 raw sha2-256 of its bytes (one 256 KiB raw leaf)
RAW_CID_MAX = 262_144
IPFS_ADD_PARAMS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "cid-base": "base32",
    "chunker": "size-262144",
    "pin": "true",
    "progress": "false",
}


def raw_cid(sha256_digest: bytes) -> str:
    """CIDv1, codec ``raw`` (0x55), multihash sha2-256, multibase base32 lower (``b…``)."""
    if len(sha256_digest) != 32:
        raise ValueError("a sha2-256 digest has 32 bytes")
    body = bytes((0x01, 0x55, 0x12, 0x20)) + sha256_digest
    return "b" + base64.b32encode(body).decode().lower().rstrip("=")


@dataclass(frozen=True)
class StoredContent:
    digest: bytes
    size: int
    cid: str | None
    backend: str

    @property
    def digest_hex(self) -> str:
        return "0x" + self.digest.hex()


class Upload:
    """An upload in progress: ``write`` chunks (hashed and spooled to a temp file), then the store's
    ``commit`` (or ``abort``). Memory use is one chunk, whatever the document's size."""

    def __init__(self, tmp_dir: Path, max_bytes: int) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
        self.path = Path(name)
        self._file: IO[bytes] = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self._max = max_bytes
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._max:
            self.abort()
            raise EvidenceTooLargeError(
                f"document larger than the limit of {self._max} bytes", max_upload_bytes=self._max
            )
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self, *, sync: bool) -> bytes:
        """Close the temp file (``fsync`` first if ``sync``); returns the SHA-256 of what was written."""
        self._file.flush()
        if sync:
            os.fsync(self._file.fileno())
        self._file.close()
        return self._hash.digest()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        self.path.unlink(missing_ok=True)


class ContentStore(Protocol):
    """Port: where evidence bytes live."""

    backend: str

    def begin(self, max_bytes: int) -> Upload:
        """Start an upload (hash + spool, bounded memory)."""
        ...

    def commit(self, upload: Upload) -> StoredContent:
        """Make the upload durable and addressable by its digest (idempotent for equal bytes)."""
        ...

    def open(self, *, digest: bytes, cid: str | None) -> Iterator[bytes]:
        """The stored bytes, a chunk at a time."""
        ...

    def close(self) -> None: ...


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalContentStore:
    """Content-addressed files: ``<root>/sha256/ab/cd/<64 hex>``; atomic, durable, de-duplicated."""

    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path_of(self, digest: bytes) -> Path:
        h = digest.hex()
        return self.root / "sha256" / h[:2] / h[2:4] / h

    def begin(self, max_bytes: int) -> Upload:
        return Upload(self._tmp, max_bytes)

    def commit(self, upload: Upload) -> StoredContent:
        digest = upload.finish(sync=True)
        final = self.path_of(digest)
        cid = raw_cid(digest) if upload.size <= RAW_CID_MAX else None
        if final.exists():  # de-duplicated: same bytes, same name
            upload.path.unlink(missing_ok=True)
            return StoredContent(digest=digest, size=upload.size, cid=cid, backend=self.backend)
        created: list[Path] = []
        parent = final.parent
        while not parent.exists():
            created.append(parent)
            parent = parent.parent
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.path, final)
        _fsync_dir(final.parent)
        for d in created:  # new shard folders: make their entries durable too
            _fsync_dir(d.parent)
        return StoredContent(digest=digest, size=upload.size, cid=cid, backend=self.backend)

    def open(self, *, digest: bytes, cid: str | None) -> Iterator[bytes]:  # noqa: ARG002 - addressed by digest
        path = self.path_of(digest)
        try:
            f = path.open("rb")
        except FileNotFoundError as exc:
            raise EvidenceContentUnavailableError(f"the bytes of 0x{digest.hex()} are not in this store") from exc
        return _read_chunks(f)

    def close(self) -> None:
        return None


def _read_chunks(f: IO[bytes]) -> Iterator[bytes]:
    with f:
        while chunk := f.read(CHUNK):
            yield chunk


class IpfsContentStore:
    """A Kubo-compatible IPFS node over its HTTP RPC API (``/api/v0``, POST only) with ``httpx``."""

    backend = "ipfs"

    def __init__(self, api_url: str, *, spool_dir: Path, timeout: float = 60.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._spool = spool_dir
        self._timeout = timeout
        self._http = httpx.Client(base_url=self.api_url + "/api/v0", timeout=httpx.Timeout(timeout))

    def begin(self, max_bytes: int) -> Upload:
        return Upload(self._spool, max_bytes)

    def commit(self, upload: Upload) -> StoredContent:
        digest = upload.finish(sync=False)
        try:
            with upload.path.open("rb") as f:
                r = self._http.post("/add", params=IPFS_ADD_PARAMS, files={"file": ("document", f)})
            if r.status_code != 200:
                raise EvidenceStoreError(f"IPFS add failed: HTTP {r.status_code} {r.text[:200]}")
            # one JSON object per line; the last one names the file's root
            last = json.loads(r.text.strip().splitlines()[-1])
            cid = str(last["Hash"])
        except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
            raise EvidenceStoreError(f"IPFS node at {self.api_url} failed: {exc}") from exc
        finally:
            upload.path.unlink(missing_ok=True)
        return StoredContent(digest=digest, size=upload.size, cid=cid, backend=self.backend)

    def open(self, *, digest: bytes, cid: str | None) -> Iterator[bytes]:
        if not cid:
            raise EvidenceContentUnavailableError(f"no CID recorded for 0x{digest.hex()}")
        params = {"arg": cid, "timeout": f"{int(self._timeout)}s"}
        try:
            request = self._http.build_request("POST", "/cat", params=params)
            response = self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise EvidenceStoreError(f"IPFS node at {self.api_url} failed: {exc}") from exc
        if response.status_code != 200:
            body = response.read()[:200]
            response.close()
            raise EvidenceContentUnavailableError(f"IPFS cat {cid}: HTTP {response.status_code} {body!r}")
        return _stream(response)

    def version(self) -> str:
        r = self._http.post("/version")
        r.raise_for_status()
        return str(r.json()["Version"])

    def close(self) -> None:
        self._http.close()


def _stream(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes(CHUNK)
    finally:
        response.close()
