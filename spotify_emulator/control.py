"""`/_emulator/*`: what tests and benchmarks use to look inside the emulator and to change it while it runs.

Not part of Spotify: request counts, the ground truth, fault and token settings, and mutations of the library
(new plays, an edited playlist, new liked songs, un-liked songs, a deleted or unfollowed playlist) so
incremental runs can be tested.

Endpoints about one account's data take `account` (an index; default 0) in the query string or, for POST, in the
JSON body, read by `_account` alone: the same spelling works everywhere, and a scheduled change (`after-requests`,
which posts a body) can name an account too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spotify_emulator import mutations
from spotify_emulator.faults import account_list
from spotify_emulator.ground_truth import ground_truth
from spotify_emulator.http import Request, Response, json_response
from spotify_emulator.model import iso
from spotify_emulator.serializers import image_colour
from spotify_emulator.state import MODES

if TYPE_CHECKING:
    from spotify_emulator.model import Library
    from spotify_emulator.state import EmulatorState


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


_ACCOUNT_FIELDS: dict[str, Callable[[Any], Any]] = {
    "access_token_lifetime": float,
    "access_token_uses": _optional_int,
    "refresh_token_lifetime": float,
    "refresh_rotation": str,
    "consent": str,
}


def _bad(message: str) -> Response:
    return json_response(400, {"error": message})


def _account(state: EmulatorState, request: Request, default: int | None = 0) -> int | None:
    """The `account` a control request names, from the query string or the JSON body, checked against the
    household; `default` when it names none. Both places naming different accounts is an error, not a guess."""
    named: set[int] = set()
    raw = request.query.get("account")
    if raw is not None:
        if not raw.isdecimal():
            raise ValueError(f"account must be an account index, got {raw!r}")
        named.add(int(raw))
    body = request.json() if request.method == "POST" else {}
    if body.get("account") is not None:
        value = body["account"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"account must be an account index, got {value!r}")
        named.add(value)
    if len(named) > 1:
        raise ValueError("account given twice, as two different accounts")
    if not named:
        return default
    account = named.pop()
    state.library_of(account)  # raises ValueError for an index outside the household
    return account


def _library(state: EmulatorState, request: Request) -> Library:
    """The library of the account the control request names (default: account 0)."""
    return state.library_of(_account(state, request) or 0)


def health(state: EmulatorState, request: Request) -> Response:
    s = state.settings
    return json_response(200, {"status": "ok", "seed": s.seed, "profile": s.profile, "mode": s.mode})


def stats(state: EmulatorState, request: Request) -> Response:
    return json_response(200, state.stats.snapshot())


def reset_stats(state: EmulatorState, request: Request) -> Response:
    state.stats.reset()
    state.faults.reset()
    return json_response(200, state.stats.snapshot())


def truth(state: EmulatorState, request: Request) -> Response:
    """`?account=i`: account i's library (default 0); the catalogue parts are the same for every account."""
    try:
        library = _library(state, request)
    except ValueError as exc:
        return _bad(str(exc))
    with state.lock:
        return json_response(200, ground_truth(library, state.settings.mode))


def get_faults(state: EmulatorState, request: Request) -> Response:
    return json_response(200, state.settings.faults.as_dict())


def set_faults(state: EmulatorState, request: Request) -> Response:
    try:
        changes = request.json()
        # Checked before anything changes: faults scoped to an account that does not exist would hit nobody.
        for account in account_list(changes.get("accounts")) or []:
            state.library_of(account)
        state.settings.faults.update(changes)
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return json_response(200, state.settings.faults.as_dict())


def _settings_view(state: EmulatorState) -> dict[str, Any]:
    accounts = state.settings.accounts
    view: dict[str, Any] = {name: getattr(accounts, name) for name in _ACCOUNT_FIELDS}
    view["mode"] = state.settings.mode
    return view


def get_settings(state: EmulatorState, request: Request) -> Response:
    return json_response(200, _settings_view(state))


def set_settings(state: EmulatorState, request: Request) -> Response:
    """Change the tier or the token behaviour at run time (`mode`, `access_token_lifetime`, ...)."""
    try:
        changes = request.json()
        for name, value in changes.items():
            if name == "mode":
                if value not in MODES:
                    raise ValueError(f"mode must be one of {', '.join(MODES)}")
                state.settings.mode = value
            elif name in _ACCOUNT_FIELDS:
                setattr(state.settings.accounts, name, _ACCOUNT_FIELDS[name](value))
            else:
                raise ValueError(f"unknown setting {name!r}")
        state.settings.validate()
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return json_response(200, _settings_view(state))


def _clock_view(state: EmulatorState) -> dict[str, Any]:
    return {"now": state.clock.now(), "kind": state.clock.kind}


def get_clock(state: EmulatorState, request: Request) -> Response:
    return json_response(200, _clock_view(state))


def advance_clock(state: EmulatorState, request: Request) -> Response:
    """`{"advance_seconds": N}`: time passes for tokens, codes and rolling windows, without anyone waiting."""
    try:
        state.clock.advance(float(request.json()["advance_seconds"]))
    except (KeyError, ValueError, TypeError) as exc:
        return _bad(f"advance_seconds: a number of seconds >= 0 ({exc})")
    return json_response(200, _clock_view(state))


def get_triggers(state: EmulatorState, request: Request) -> Response:
    return json_response(200, state.triggers.snapshot())


def add_trigger(state: EmulatorState, request: Request) -> Response:
    """`{"count": 3, "then": [...]}`: apply control posts after `count` more API requests (`triggers.Trigger`)."""
    try:
        trigger = state.triggers.add(request.json())
    except (KeyError, ValueError, TypeError) as exc:
        return _bad(f"a trigger is {{count, then}}: {exc}")
    return json_response(200, trigger.as_dict())


def clear_triggers(state: EmulatorState, request: Request) -> Response:
    state.triggers.clear()
    return json_response(200, [])


def revoke_refresh_tokens(state: EmulatorState, request: Request) -> Response:
    """`account` given: only that account's refresh tokens; none: every account's (a single account's behaviour)."""
    try:
        account = _account(state, request, default=None)
    except ValueError as exc:
        return _bad(str(exc))
    return json_response(200, {"revoked": state.tokens.revoke_refresh_tokens(account)})


def expire_access_tokens(state: EmulatorState, request: Request) -> Response:
    """`account` given: only that account's access tokens; none: every account's."""
    try:
        account = _account(state, request, default=None)
    except ValueError as exc:
        return _bad(str(exc))
    return json_response(200, {"expired": state.tokens.expire_access_tokens(account)})


def add_plays(state: EmulatorState, request: Request) -> Response:
    body = request.json()
    with state.lock:
        try:
            library = _library(state, request)
            added = mutations.add_plays(library, int(body.get("count", 10)), body.get("context_playlist"))
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
    return json_response(200, {"added": [{"track_id": p.track_id, "played_at": p.played_at_iso} for p in added]})


def edit_playlist(state: EmulatorState, request: Request) -> Response:
    body = request.json()
    with state.lock:
        try:
            playlist = mutations.edit_playlist(
                _library(state, request), body.get("playlist_id"), int(body.get("add", 3)), int(body.get("remove", 2))
            )
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
        return json_response(
            200,
            {
                "playlist_id": playlist.id,
                "snapshot_id": playlist.snapshot_id,
                "entries": len(playlist.entries),
            },
        )


def add_saved_tracks(state: EmulatorState, request: Request) -> Response:
    body = request.json()
    with state.lock:
        try:
            added = mutations.add_saved_tracks(_library(state, request), int(body.get("count", 5)))
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
    return json_response(200, {"added": [{"track_id": s.track_id, "added_at": iso(s.added_at)} for s in added]})


def remove_saved_tracks(state: EmulatorState, request: Request) -> Response:
    """`{"count": N}` (drawn by the seed) or `{"track_ids": [...]}` → `{"removed": [ids], "total": likes left}`."""
    body = request.json()
    with state.lock:
        try:
            library = _library(state, request)
            ids = body.get("track_ids")
            if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
                raise ValueError("track_ids must be a list of track ids")
            count = int(body["count"]) if body.get("count") is not None else None
            removed = mutations.remove_saved_tracks(library, count, ids)
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
        return json_response(200, {"removed": [s.track_id for s in removed], "total": len(library.saved_tracks)})


def remove_playlist(state: EmulatorState, request: Request) -> Response:
    """`{"playlist_id"?}` → `{"playlist_id", "owned"}`: deleted if owned, else unfollowed; unlisted either way."""
    body = request.json()
    with state.lock:
        try:
            playlist, owned = mutations.remove_playlist(_library(state, request), body.get("playlist_id"))
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
    return json_response(200, {"playlist_id": playlist.id, "owned": owned})


def image(state: EmulatorState, request: Request) -> Response:
    """Cover art: a plain square in a colour fixed by its id, so the dashboard shows pictures offline."""
    key, size = request.params["key"], int(request.params["size"])
    colour = image_colour(key)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" fill="{colour}"/><circle cx="32" cy="32" r="18" fill="#111" opacity="0.85"/>'
        f'<circle cx="32" cy="32" r="4" fill="{colour}"/></svg>'
    )
    return Response(200, svg.encode(), {"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"})


Handler = Callable[["EmulatorState", Request], Response]

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/_emulator/health", health),
    ("GET", "/_emulator/stats", stats),
    ("POST", "/_emulator/stats/reset", reset_stats),
    ("DELETE", "/_emulator/stats", reset_stats),
    ("GET", "/_emulator/ground-truth", truth),
    ("GET", "/_emulator/faults", get_faults),
    ("POST", "/_emulator/faults", set_faults),
    ("GET", "/_emulator/settings", get_settings),
    ("POST", "/_emulator/settings", set_settings),
    ("GET", "/_emulator/clock", get_clock),
    ("POST", "/_emulator/clock", advance_clock),
    ("GET", "/_emulator/after-requests", get_triggers),
    ("POST", "/_emulator/after-requests", add_trigger),
    ("DELETE", "/_emulator/after-requests", clear_triggers),
    ("POST", "/_emulator/tokens/revoke-refresh", revoke_refresh_tokens),
    ("POST", "/_emulator/tokens/expire-access", expire_access_tokens),
    ("POST", "/_emulator/plays", add_plays),
    ("POST", "/_emulator/playlists/edit", edit_playlist),
    ("POST", "/_emulator/playlists/remove", remove_playlist),
    ("POST", "/_emulator/saved-tracks", add_saved_tracks),
    ("POST", "/_emulator/saved-tracks/remove", remove_saved_tracks),
    ("GET", "/images/{key}-{size:\\d+}.svg", image),
]
