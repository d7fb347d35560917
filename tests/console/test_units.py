"""The console's pieces that need no server: the two languages, sessions, CSRF tokens, money input, the live
rooms' shared fragments."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from node_api.console._auctions import LiveFragments, fen_of_yuan
from node_api.console._i18n import MESSAGES, negotiate
from node_api.console._sessions import SessionStore, csrf_token, csrf_valid
from node_api.console.router import PAGES

TEMPLATES = Path(__file__).resolve().parents[2] / "node_api" / "console" / "templates"


def test_both_languages_have_the_same_words():
    assert set(MESSAGES["en"]) == set(MESSAGES["zh"])
    assert all(v.strip() for lang in MESSAGES.values() for v in lang.values())


def test_every_word_a_template_or_page_asks_for_exists():
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used.update(re.findall(r"""\bt\(\s*'([a-z_]+)'\s*\)""", path.read_text(encoding="utf-8")))
    used.update(p.title for p in PAGES)
    assert used, "no t('…') calls found: the pattern is wrong"
    assert used - set(MESSAGES["en"]) == set()


@pytest.mark.parametrize(
    ("cookie", "accept", "lang"),
    [
        ("zh", "en-US", "zh"),
        ("en", "zh-CN", "en"),
        (None, "zh-CN,zh;q=0.9", "zh"),
        (None, "fr, en;q=0.5", "en"),
        (None, None, "en"),
        ("xx", "zh-TW", "zh"),
    ],
)
def test_the_remembered_language_wins_over_the_browsers(cookie, accept, lang):
    assert negotiate(cookie, accept) == lang


def test_sessions_end_when_idle_or_too_old_and_the_oldest_is_dropped():
    store = SessionStore(idle_seconds=0.2, max_seconds=10, capacity=2)
    a = store.open(token="rk_a.x", institution="bank", key_id="a")
    assert store.get(a.id) is a
    time.sleep(0.3)
    assert store.get(a.id) is None  # idle too long
    b = store.open(token="rk_b.x", institution="bank", key_id="b")
    c = store.open(token="rk_c.x", institution="bank", key_id="c")
    d = store.open(token="rk_d.x", institution="bank", key_id="d")
    assert store.get(b.id) is None  # beyond the capacity, the least recently used went
    assert store.get(c.id) is c
    assert store.get(d.id) is d
    old = SessionStore(idle_seconds=10, max_seconds=0.2, capacity=10)
    e = old.open(token="rk_e.x", institution="bank", key_id="e")
    time.sleep(0.1)
    assert old.get(e.id) is e
    time.sleep(0.15)
    assert old.get(e.id) is None  # used all along, but older than max_seconds
    assert "rk_e" not in repr(e)  # the key never appears in a log line


def test_a_csrf_token_is_bound_to_the_browser_and_the_session():
    secret = b"s" * 32
    token = csrf_token(secret, "browser-1", "session-1")
    assert csrf_valid(secret, "browser-1", "session-1", token)
    assert not csrf_valid(secret, "browser-2", "session-1", token)
    assert not csrf_valid(secret, "browser-1", "session-2", token)
    assert not csrf_valid(secret, "browser-1", None, token)
    assert not csrf_valid(b"t" * 32, "browser-1", "session-1", token)
    assert not csrf_valid(secret, None, "session-1", token)
    assert not csrf_valid(secret, "browser-1", "session-1", None)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("705000", 70_500_000),
        ("705,000.5", 70_500_050),
        ("0.01", 1),
        ("1.005", None),
        ("0", None),
        ("-1", None),
        ("abc", None),
        ("NaN", None),
        ("Infinity", None),
        ("", None),
        ("1e30", None),
    ],
)
def test_bid_amounts_in_yuan_become_exact_fen(text, fen):
    assert fen_of_yuan(text) == fen


def test_the_console_can_be_turned_off(tmp_path):
    from fastapi.routing import iter_route_contexts

    from node_api.app import create_app
    from node_api.settings import ConsoleSettings, GatewaySettings

    def paths(app) -> set[str]:
        return {str(getattr(r, "path", "")) for r in iter_route_contexts(app.router.routes)} | {
            str(getattr(r, "path", "")) for r in app.routes
        }

    on = paths(create_app(GatewaySettings(data_dir=tmp_path)))
    off = paths(create_app(GatewaySettings(data_dir=tmp_path, console=ConsoleSettings(enabled=False))))
    assert {"/console", "/console/login", "/console/evidence", "/console/static"} <= on
    assert "/operations" in off  # the API stays
    assert not [p for p in off if p.startswith("/console")]


def test_live_fragments_made_once_for_rooms_asking_together():
    calls: list[str] = []

    async def make() -> str:
        calls.append("made")
        await asyncio.sleep(0.01)
        return "<tr>row</tr>"

    async def rooms() -> list[str]:
        cache = LiveFragments()
        shown = await asyncio.gather(*(cache.get(("bid", "k1"), make) for _ in range(100)))
        shown.append(await cache.get(("bid", "k1"), make))  # later: from memory
        return shown

    shown = asyncio.run(rooms())

    assert shown == ["<tr>row</tr>"] * 101
    assert calls == ["made"]


def test_live_fragments_keep_no_failure_and_only_the_newest():
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("index unavailable")
        return "ok"

    async def run() -> tuple[str, LiveFragments]:
        cache = LiveFragments(capacity=2)
        with pytest.raises(RuntimeError, match="index unavailable"):
            await cache.get(("lot", 1), flaky)
        again = await cache.get(("lot", 1), flaky)
        for n in range(3):
            await cache.get(("lot", n + 10), flaky)
        return again, cache

    again, cache = asyncio.run(run())

    assert again == "ok"
    assert len(attempts) == 5  # the failure was not kept: asked again
    assert len(cache) == 2


def test_live_fragments_outlive_the_room_that_asked_first():
    async def slow() -> str:
        await asyncio.sleep(0.05)
        return "summary"

    async def run() -> str:
        cache = LiveFragments()
        first = asyncio.ensure_future(cache.get(("lot", 1, "k"), slow))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(cache.get(("lot", 1, "k"), slow))
        await asyncio.sleep(0.01)
        first.cancel()  # that room's page was closed
        return await second

    assert asyncio.run(run()) == "summary"
