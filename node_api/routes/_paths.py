"""Path segments that only match well-formed ids, so a literal sibling path is never taken for an id.

``GET /cases/fees/withdrawals`` would otherwise match ``GET /cases/fees/{address}`` (and answer 422 for
a malformed address) instead of 405 for a method ``/cases/fees/withdrawals`` does not have; likewise
``/evidence/digests`` and ``/evidence/verify`` against ``/evidence/{evidence_id}``. With these
convertors (``/fees/{address:address}``) such a request matches no template, and the router answers
405 (or 404 for an id that is malformed). The routes keep their ``Path(pattern=...)`` for the document.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

__all__ = ["ADDRESS", "EVIDENCE_ID"]

ADDRESS = "0x[0-9a-fA-F]{40}"
EVIDENCE_ID = "ev_[0-9a-f]{32}"


class _Segment(Convertor[str]):
    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _Address(_Segment):
    regex = ADDRESS


class _EvidenceId(_Segment):
    regex = EVIDENCE_ID


register_url_convertor("address", _Address())
register_url_convertor("evidence_id", _EvidenceId())
