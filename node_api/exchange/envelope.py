"""The private data exchange's two primitives: signed requests and sealed payloads.

Gateways of different institutions exchange personal data (a debtor's contacts for the collector holding the
claim) and documents (for a court), and the chain is the only trust they share. So:

* **a request is signed with the requesting institution's on-chain key** (EIP-191 ``personal_sign`` over a
  canonical JSON of method, path, the SHA-256 of the body, the requester's address, the recipient's address,
  a time and a random nonce). The answering gateway recovers the signer, asks the chain whether that address
  is entitled right now, and refuses a request that is stale, from the future, replayed (its nonce seen
  within the window), meant for another gateway, or whose body does not match its digest
  (:func:`verify_request`);
* **a payload is sealed to the recipient's registered transport key** (X25519, then HKDF-SHA256 and
  AES-256-GCM: an ECIES construction from ``cryptography``): a fresh ephemeral key per payload, the context
  (which transfer, which sender, which recipient) bound as associated data, so a sealed payload cannot be
  replayed into another transfer or opened by anyone else (:func:`seal`, :func:`open_sealed`).

Nothing here touches a database, the network or the chain: the gateway's exchange service does.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

__all__ = [
    "ExchangeError",
    "NonceWindow",
    "SignedRequest",
    "TransportKey",
    "open_sealed",
    "seal",
    "sign_request",
    "verify_request",
]

VERSION = b"recourse-exchange-v1"
#: seconds a signed request stays valid either side of the answering gateway's clock
MAX_SKEW_S = 60
_KEY = 32
_NONCE = 12


class ExchangeError(ValueError):
    """A request or payload that must be refused; ``code`` says why (stable, for the problem catalogue)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TransportKey:
    """An institution gateway's X25519 transport key pair (the public half is registered on chain)."""

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def generate(cls) -> TransportKey:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_bytes(cls, raw: bytes) -> TransportKey:
        if len(raw) != _KEY:
            raise ExchangeError("XCH-KEY", f"a transport key is {_KEY} bytes, not {len(raw)}")
        return cls(X25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    @property
    def public(self) -> bytes:
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def exchange(self, peer_public: bytes) -> bytes:
        return self._private.exchange(X25519PublicKey.from_public_bytes(peer_public))


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=_KEY, salt=ephemeral + recipient, info=VERSION).derive(shared)


def seal(payload: bytes, recipient_public: bytes, *, context: bytes) -> bytes:
    """``payload`` encrypted so that only the holder of ``recipient_public``'s private key can open it, and
    only under the same ``context`` (bound as associated data). Layout: ephemeral key, nonce, ciphertext."""
    if len(recipient_public) != _KEY:
        raise ExchangeError("XCH-KEY", f"a transport public key is {_KEY} bytes, not {len(recipient_public)}")
    ephemeral = X25519PrivateKey.generate()
    eph_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = _derive(ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public)), eph_public, recipient_public)
    nonce = os.urandom(_NONCE)
    return eph_public + nonce + AESGCM(key).encrypt(nonce, payload, VERSION + context)


def open_sealed(sealed: bytes, recipient: TransportKey | list[TransportKey], *, context: bytes) -> bytes:
    """The payload of :func:`seal`. ``recipient`` may be several keys (the current and the next one while a
    rotation is under way, so nothing sealed in the overlap is lost)."""
    if len(sealed) < _KEY + _NONCE + 16:
        raise ExchangeError("XCH-SEALED", "the sealed payload is truncated")
    eph_public, nonce, body = sealed[:_KEY], sealed[_KEY : _KEY + _NONCE], sealed[_KEY + _NONCE :]
    for key_pair in recipient if isinstance(recipient, list) else [recipient]:
        key = _derive(key_pair.exchange(eph_public), eph_public, key_pair.public)
        try:
            return AESGCM(key).decrypt(nonce, body, VERSION + context)
        except InvalidTag:
            continue
    raise ExchangeError("XCH-SEALED", "the payload was not sealed to this gateway's key for this transfer, or altered")


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    #: hex SHA-256 of the request body (empty body: of b"")
    body_sha256: str
    requester: str
    recipient: str
    issued_at: int
    nonce: str
    signature: str

    def message(self) -> bytes:
        fields = asdict(self)
        fields.pop("signature")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def headers(self) -> dict[str, str]:
        """The request as HTTP headers (the body travels as the body)."""
        return {"X-Recourse-Request": json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))}

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> SignedRequest:
        raw = headers.get("X-Recourse-Request") or headers.get("x-recourse-request")
        if not raw:
            raise ExchangeError("XCH-UNSIGNED", "the request carries no X-Recourse-Request signature")
        try:
            fields = json.loads(str(raw))
            return cls(**{k: fields[k] for k in cls.__dataclass_fields__})
        except (ValueError, TypeError, KeyError) as exc:
            raise ExchangeError("XCH-UNSIGNED", f"the request's signature header is malformed: {exc}") from None


def sign_request(
    account: LocalAccount, *, method: str, path: str, body: bytes, recipient: str, now: float | None = None
) -> SignedRequest:
    unsigned = SignedRequest(
        method=method.upper(),
        path=path,
        body_sha256=hashlib.sha256(body).hexdigest(),
        requester=to_checksum_address(account.address),
        recipient=to_checksum_address(recipient),
        issued_at=int(time.time() if now is None else now),
        nonce=os.urandom(16).hex(),
        signature="",
    )
    signed = account.sign_message(encode_defunct(unsigned.message()))
    return SignedRequest(**{**asdict(unsigned), "signature": "0x" + bytes(signed.signature).hex()})


class NonceWindow:
    """Nonces seen within the last ``2 * MAX_SKEW_S`` seconds: a request signed once is answered once."""

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._limit = limit

    def first_time(self, key: str, now: float) -> bool:
        horizon = now - 2 * MAX_SKEW_S
        while self._seen and (next(iter(self._seen.values())) < horizon or len(self._seen) > self._limit):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def verify_request(
    request: SignedRequest,
    *,
    method: str,
    path: str,
    body: bytes,
    me: str,
    seen: NonceWindow,
    now: float | None = None,
) -> str:
    """The requester's address, once the request is shown to be signed by it, for this gateway, for this
    method, path and body, fresh, and new. Entitlement (does the chain say this address may have it now?)
    is the caller's next question."""
    t = time.time() if now is None else now
    if request.method != method.upper() or request.path != path:
        raise ExchangeError("XCH-MISMATCH", "the signature is for another method or path")
    if request.body_sha256 != hashlib.sha256(body).hexdigest():
        raise ExchangeError("XCH-MISMATCH", "the body is not the one that was signed")
    if to_checksum_address(request.recipient) != to_checksum_address(me):
        raise ExchangeError("XCH-MISMATCH", f"the request is meant for {request.recipient}, not this gateway")
    if abs(t - request.issued_at) > MAX_SKEW_S:
        raise ExchangeError("XCH-STALE", f"the request was signed at {request.issued_at}, more than {MAX_SKEW_S}s away")
    try:
        signer = Account.recover_message(encode_defunct(request.message()), signature=request.signature)
    except (ValueError, TypeError) as exc:
        raise ExchangeError("XCH-SIGNATURE", f"the signature does not recover: {exc}") from None
    if to_checksum_address(signer) != to_checksum_address(request.requester):
        raise ExchangeError("XCH-SIGNATURE", f"the request says {request.requester} but was signed by {signer}")
    if not seen.first_time(f"{signer}:{request.nonce}", t):
        raise ExchangeError("XCH-REPLAY", "this request was already answered (its nonce was seen)")
    return to_checksum_address(signer)
