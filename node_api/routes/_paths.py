"""Path segments that never match a literal sibling path, so that path's missing methods answer 405.

``GET /cases/fees/withdrawals`` would otherwise match ``GET /cases/fees/{address}`` (and answer 422 for
a malformed address) instead of 405 for a method ``/cases/fees/withdrawals`` does not have; likewise
``GET /evidence/digests`` and ``/evidence/verify`` against ``GET /evidence/{evidence_id}``. A template
written with one of these convertors (``/fees/{address:fee_collector}``) matches any one segment except
its literal siblings; its value is still checked by the route's ``Path(pattern=...)`` (422 naming it).
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor

__all__ = ["segment_except"]


class _Segment(Convertor[str]):
    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def segment_except(*literals: str) -> Convertor[str]:
    """A convertor for one path segment, any but the given literals."""

    class Except(_Segment):
        regex = "(?!(?:" + "|".join(re.escape(x) for x in literals) + ")(?:/|$))[^/]+"

    return Except()


register_url_convertor("fee_collector", segment_except("withdrawals"))  # /cases/fees/{address}
register_url_convertor("evidence_id", segment_except("digests", "verify"))  # /evidence/{evidence_id}
