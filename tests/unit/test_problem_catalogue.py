"""Every problem the gateway can send is an RFC 9457 document: the standard members keep their types
(``status`` is the HTTP status as a number, ``type`` a URI, ...) and no raise site can shadow them with
an extension member of the same name."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest

import node_api
from node_api.problems import STANDARD_MEMBERS, CoreError, problem_response

ROOT = Path(node_api.__file__).parent
CODE = re.compile(r"^[A-Z]{2,4}-\d{3}$")


def _all_problem_classes() -> list[type[CoreError]]:
    for info in pkgutil.walk_packages([str(ROOT)], prefix="node_api."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    found: list[type[CoreError]] = []
    todo = [CoreError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c is not CoreError]


CLASSES = _all_problem_classes()


def _check_rfc9457(body: dict[str, Any], status: int) -> None:
    assert isinstance(body["type"], str)
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str)
    assert body["title"]
    assert type(body["status"]) is int
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert isinstance(body["instance"], str)
    assert body["instance"].startswith("/")
    assert CODE.match(body["code"]), body["code"]


def test_the_catalogue_is_complete_and_codes_are_unique():
    assert len(CLASSES) >= 30
    codes: dict[str, str] = {}
    for cls in CLASSES:
        code = getattr(cls, "code", None)
        if not isinstance(code, str) or code == CoreError.code:  # codes set per instance (analytics refusals)
            continue
        assert CODE.match(code), (cls.__name__, code)
        assert code not in codes or codes[code] == cls.__name__, (code, codes.get(code), cls.__name__)
        codes[code] = cls.__name__


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_problem_body_has_the_rfc_member_types(cls):
    status = int(cls.http_status)
    assert 400 <= status <= 599, (cls.__name__, status)
    response = problem_response(
        status=status, code=cls.code, title=cls.title, detail="d", instance="/x", extra={"extra_field": 1}
    )
    body = json.loads(response.body)
    assert response.media_type == "application/problem+json"
    _check_rfc9457(body, status)
    assert body["extra_field"] == 1


def test_extension_members_can_never_shadow_the_standard_ones():
    with pytest.raises(TypeError, match="status"):
        CoreError("x", status="claimed")
    response = problem_response(
        status=409, code="CAS-409", title="t", detail="d", instance="/c", extra={"status": "claimed", "type": 1}
    )
    body = json.loads(response.body)
    assert body["status"] == 409
    assert body["type"].endswith("CAS-409")


def _problem_class_names() -> set[str]:
    return {c.__name__ for c in CLASSES}


def test_no_raise_site_passes_a_reserved_member_name():
    """Static: a ``SomeError(..., status=...)`` anywhere in the gateway would raise TypeError at run time
    (a 500 instead of the problem it meant); find every such call before it runs."""
    names = _problem_class_names()
    offenders = []
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in names:
                bad = [k.arg for k in node.keywords if k.arg in STANDARD_MEMBERS]
                cls = next(c for c in CLASSES if c.__name__ == name)
                params = inspect.signature(cls.__init__).parameters
                bad = [b for b in bad if b not in params]  # an explicit constructor parameter is not an extra
                if bad:
                    offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {name}({', '.join(bad)}=…)")
    assert not offenders, offenders
