"""One value per single-valued query parameter.

Starlette keeps every value of a repeated query parameter and FastAPI binds the last one to a parameter
declared as a single value, so ``?case_ref=a&case_ref=b`` would silently check ``b``. A request that repeats
a parameter its route declares as one value is refused instead (``422 GEN-422`` naming it); parameters
declared as lists (``?parties=…&parties=…``) repeat as they should.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from fastapi import Request

from node_api.problems import InvalidInputError

__all__ = ["refuse_repeated_query"]

_LISTS = (list, tuple, set, frozenset)


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in _LISTS or annotation in _LISTS:
        return True
    if origin in (Union, types.UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return False


#: per route object (routes live as long as the app; APIRoute is not hashable)
_CACHE: dict[int, tuple[Any, frozenset[str]]] = {}


def _single_valued(route: Any) -> frozenset[str]:
    """The query parameters of ``route`` (and of its dependencies) that take one value."""
    cached = _CACHE.get(id(route))
    if cached is not None and cached[0] is route:
        return cached[1]
    names: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        for field in dependant.query_params:
            if not _is_list(field.field_info.annotation):
                names.add(field.alias)
        pending.extend(dependant.dependencies)
    found = frozenset(names)
    _CACHE[id(route)] = (route, found)
    return found


async def refuse_repeated_query(request: Request) -> None:
    """App-wide dependency: refuse a single-valued query parameter given more than once."""
    route = request.scope.get("route")
    if route is None or not request.query_params:
        return
    params = request.query_params
    for name in _single_valued(route):
        if len(params.getlist(name)) > 1:
            raise InvalidInputError(
                f"query parameter {name!r} was given {len(params.getlist(name))} times; give it once", field=name
            )
