"""The CLI's one-line error: what went wrong and what to do, for every failure a command reports."""

from __future__ import annotations

__all__ = ["error_line"]


def error_line(exc: BaseException) -> str:
    """One line for ``exc`` (no traceback): decoded reverts in words, the first invalid setting, the file
    that is missing; otherwise the exception's own message (or its class name when it has none)."""
    from pydantic import ValidationError

    from chain import ContractReverted

    if isinstance(exc, ContractReverted):
        from scripts.messages import explain

        return explain(exc)
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        return f"invalid setting {where}: {first.get('msg')} (check RECOURSE_* environment variables and .env)"
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {exc.filename}"
    if isinstance(exc, RecursionError):  # a file nested deeper than any parser here follows
        return "the input is nested too deeply to read (is it the file you meant?)"
    text = " ".join(str(exc).split())  # one line, whatever the exception put in its message
    return text or exc.__class__.__name__
