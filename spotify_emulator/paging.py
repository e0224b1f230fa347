"""Spotify's two kinds of pages: offset pages (`next`/`previous`/`total`) and the cursor page of recently played.

Limits are checked here the way Spotify checks them: a `limit` outside 1..max or a negative `offset` is a 400.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from spotify_emulator.http import Response, api_error
from spotify_emulator.model import Play

T = TypeVar("T")


class BadRequest(Exception):
    """A request Spotify answers with 400; carries the message Spotify sends."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def response(self) -> Response:
        return api_error(400, self.message)


def parse_limit(query: dict[str, str], maximum: int, default: int = 20) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("Invalid limit") from None
    if not 1 <= value <= maximum:
        raise BadRequest("Invalid limit")
    return value


def parse_offset(query: dict[str, str], maximum: int = 100_000) -> int:
    raw = query.get("offset")
    if raw is None or raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("Invalid offset") from None
    if not 0 <= value <= maximum:
        raise BadRequest("Invalid offset")
    return value


def offset_page(
    url: str,
    items: Sequence[T],
    limit: int,
    offset: int,
    render_item: Callable[[T], Any],
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A paging object over `items`; `url` is the endpoint's absolute URL without query."""
    total = len(items)

    def link(at: int) -> str:
        return f"{url}?{urlencode({**(extra or {}), 'offset': at, 'limit': limit})}"

    return {
        "href": link(offset),
        "items": [render_item(item) for item in items[offset : offset + limit]],
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }


RECENTLY_PLAYED_WINDOW = 50
"""Only the 50 most recent plays can ever be read."""


def _cursor(query: dict[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"Invalid {name} parameter") from None


def cursor_page(
    url: str, plays: Sequence[Play], query: dict[str, str], render_play: Callable[[Play], Any]
) -> dict[str, Any]:
    """The recently-played page. `plays` oldest first; newest first in the answer.

    Without a cursor: the newest `limit`. `before=t`: the newest `limit` older than t. `after=t`: the `limit`
    plays just after t (so walking `next` forward visits each once). `next` continues in the same direction
    while the 50-play window has more; an empty page has `next: null` and `cursors: null`.
    """
    limit = parse_limit(query, 50)
    after, before = _cursor(query, "after"), _cursor(query, "before")
    if after is not None and before is not None:
        raise BadRequest("Only one of after or before can be specified")
    window = list(plays[-RECENTLY_PLAYED_WINDOW:])
    if after is not None:
        newer = [p for p in window if p.played_at_ms > after]
        chosen = newer[:limit]
        more = len(newer) > limit
    else:
        older = [p for p in window if before is None or p.played_at_ms < before]
        chosen = older[-limit:]
        more = len(older) > limit
    chosen.reverse()
    params = {k: v for k, v in (("limit", str(limit)), ("after", after), ("before", before)) if v is not None}
    href = f"{url}?{urlencode(params)}"
    if not chosen:
        return {"href": href, "items": [], "limit": limit, "next": None, "cursors": None}
    newest, oldest = chosen[0].played_at_ms, chosen[-1].played_at_ms
    if not more:
        next_url = None
    elif after is not None:
        next_url = f"{url}?{urlencode({'after': newest, 'limit': limit})}"
    else:
        next_url = f"{url}?{urlencode({'before': oldest, 'limit': limit})}"
    return {
        "href": href,
        "items": [render_play(p) for p in chosen],
        "limit": limit,
        "next": next_url,
        "cursors": {"after": str(newest), "before": str(oldest)},
    }
