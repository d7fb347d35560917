"""Strict JSON for request bodies: nesting measured before parsing, duplicate keys refused; and the
interpreter's recursion limit pinned in every process that imports the chain layer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node_api.jsonbody import MAX_DEPTH, JsonShapeError, loads_strict, nesting_depth

# strings full of the characters a naive bracket count would trip on
_tricky = st.text(alphabet='[]{}"\\ax,:', max_size=8)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _tricky,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_tricky, inner, max_size=3),
    max_leaves=40,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=_json)
def test_nesting_depth_matches_the_parsed_structure(value):
    raw = json.dumps(value).encode()
    assert nesting_depth(raw) == _depth(value)
    raw_unescaped = json.dumps(value, ensure_ascii=False).encode()
    assert nesting_depth(raw_unescaped) == _depth(value)


def test_deep_documents_are_refused_before_parsing():
    body = b"[" * 100_000 + b"]" * 100_000
    assert nesting_depth(body) == 100_000
    with pytest.raises(JsonShapeError, match="nested more than 32 levels"):
        loads_strict(body)
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert _depth(loads_strict(at_limit)) == MAX_DEPTH
    # unclosed brackets count: a parser recurses into them before it finds the document truncated
    assert nesting_depth(b"[" * 100_000) == 100_000
    assert nesting_depth(b'{"a": [1, "]]]]"') == 2
    with pytest.raises(JsonShapeError):
        loads_strict(b"{" * 40)
    with pytest.raises(json.JSONDecodeError):
        loads_strict(b'{"a": [1, 2}')


def test_duplicate_keys_are_refused_with_the_key():
    with pytest.raises(JsonShapeError) as err:
        loads_strict(b'{"to": "0x1", "amount_fen": 1, "amount_fen": 999999999999}')
    assert err.value.field == "amount_fen"
    with pytest.raises(JsonShapeError) as nested:
        loads_strict(b'{"items": [{"a": 1, "a": 1}]}')  # even with the same value
    assert nested.value.field == "a"
    assert loads_strict(b'{"a": {"a": 1}}') == {"a": {"a": 1}}  # the same key in two objects is fine


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_importing_the_chain_layer_pins_the_recursion_limit():
    """``py_ecc`` raises the limit to 100,000 at import; with that limit a deep document overflows the C
    stack (a segfault, exit -11) instead of raising ``RecursionError``. Imported through the chain layer,
    in either order, the limit stays at CPython's default and the parser fails cleanly."""
    deep = "json.loads('[' * 100000 + ']' * 100000)"
    for imports in ("import eth_keys, chain", "import chain.client, web3, eth_account", "import node_api.app"):
        done = _run(f"import json, sys\n{imports}\nprint(sys.getrecursionlimit(), flush=True)\n{deep}")
        assert done.returncode == 1, (imports, done.returncode, done.stderr[-500:])
        assert done.stdout.strip() == "1000"
        assert "RecursionError" in done.stderr


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"amount_fen": NaN}', "body"),
        (b'{"amount_fen": Infinity}', "body"),
        (b'{"amount_fen": -Infinity}', "body"),
        (b'{"amount_fen": 1e999}', "body"),
        (b'{"memo": "a\\u0000b"}', "body"),
        (b'{"memo": "\\ud800"}', "memo"),
        (b'{"items": [{"memo": "x\\udc00"}]}', "items.0.memo"),
        (b'{"\\ud800": 1}', "\\ud800"),  # the field named escaped: it goes back in a JSON problem
    ],
)
def test_values_the_gateway_cannot_store_or_send_back_are_refused(body, field):
    with pytest.raises(JsonShapeError) as err:
        loads_strict(body)
    assert err.value.field == field
    json.dumps({"field": err.value.field}, ensure_ascii=False).encode("utf-8")  # can be sent back


def test_text_that_only_looks_like_those_values_is_accepted():
    assert loads_strict(b'{"memo": "\\\\u0000"}') == {"memo": "\\u0000"}  # an escaped backslash: text
    assert loads_strict(b'{"memo": "\\ud83d\\ude00"}') == {"memo": "\U0001f600"}  # a surrogate pair
    assert loads_strict(b'{"x": 1.5e300, "y": "NaN"}') == {"x": 1.5e300, "y": "NaN"}
