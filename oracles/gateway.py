"""The operator's view of gateways: its own (post signatures, submit reports) and its peers' (read signatures).

:class:`GatewayPort` is the port the node depends on; :class:`HttpGateway` speaks the gateway's HTTP API
(``/oracle/signatures``, ``/oracle/reports``) with an API key.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx
from eth_utils.address import to_checksum_address

from chain.eip712 import Report, ReportSignature
from oracles._exceptions import GatewayError

__all__ = ["GatewayPort", "HttpGateway", "report_json"]

logger = logging.getLogger(__name__)


def report_json(report: Report) -> dict[str, Any]:
    return {
        "feed_id": "0x" + report.feed_id.hex(),
        "subject_id": "0x" + report.subject_id.hex(),
        "value": report.value,
        "low": report.low,
        "high": report.high,
        "model_version": "0x" + report.model_version.hex(),
        "feature_digest": "0x" + report.feature_digest.hex(),
        "observed_at": report.observed_at,
    }


def _sig_json(sig: ReportSignature) -> dict[str, str]:
    return {"signer": sig.signer, "r": "0x" + sig.r.hex(), "vs": "0x" + sig.vs.hex()}


class GatewayPort(Protocol):
    name: str

    def post_signature(self, round_: int, report: Report, signature: ReportSignature) -> None: ...

    def signatures(self, report: Report, round_: int, digest: bytes) -> list[ReportSignature]: ...

    def submit(self, round_: int, report: Report, signatures: list[ReportSignature], *, key: str) -> dict[str, Any]: ...


class HttpGateway:
    """A gateway reached over HTTP with one API key."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 60.0, name: str | None = None) -> None:
        self.name = name or url
        self._http = httpx.Client(
            base_url=url.rstrip("/"), timeout=timeout, headers={"Authorization": f"Bearer {api_key}"}
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GatewayError(f"{self.name}: {method} {path} failed: {exc}") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            code, detail = body.get("code", ""), body.get("detail", "")
            raise GatewayError(
                f"{self.name}: {method} {path} -> {response.status_code} {code} {detail}",
                status=response.status_code,
                code=body.get("code"),
            )
        return response

    def post_signature(self, round_: int, report: Report, signature: ReportSignature) -> None:
        payload = {"round": round_, "report": report_json(report), "signature": _sig_json(signature)}
        self._call("POST", "/oracle/signatures", json=payload)

    def signatures(self, report: Report, round_: int, digest: bytes) -> list[ReportSignature]:
        path = f"/oracle/signatures/0x{report.feed_id.hex()}/0x{report.subject_id.hex()}/{round_}"
        body = self._call("GET", path, params={"digest": "0x" + digest.hex()}).json()
        out = []
        for row in body.get("data", []):
            out.append(
                ReportSignature(
                    to_checksum_address(row["signer"]), bytes.fromhex(row["r"][2:]), bytes.fromhex(row["vs"][2:])
                )
            )
        return out

    def submit(self, round_: int, report: Report, signatures: list[ReportSignature], *, key: str) -> dict[str, Any]:
        payload = {"round": round_, "report": report_json(report), "signatures": [_sig_json(s) for s in signatures]}
        response = self._call(
            "POST", "/oracle/reports", params={"confirm": "true"}, json=payload, headers={"Idempotency-Key": key}
        )
        op: dict[str, Any] = response.json()
        return op
