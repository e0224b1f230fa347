"""The shape of each Spotify answer the source reads, checked where the answer arrives.

The resources index answers directly (`page["items"]`, `item["track"]["id"]`); an answer without such a field, or
with a value of another type, would otherwise end the run as a KeyError or TypeError deep inside dlt, or, worse,
pass silently (dlt's paginator turns a page without `items` into an empty page, which would look like a user
without playlists). Each rule names a field the source relies on; `BadAnswer` names the endpoint and the field.

Paths: `items.*.track.id`; `*` is every element of a list, `*?` every element that is not null (Spotify's lists of
playlists, artists and audio features hold nulls for unknown ids).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from spotify_source import helpers
from spotify_source.errors import BadAnswer


class Timestamp:
    """Marker type: an ISO-8601 string Spotify's timestamps parse from (`helpers.parse_time`)."""


NoneType = type(None)
_JSON_NAMES = {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "a list",
               dict: "an object", NoneType: "null", Timestamp: "an ISO-8601 time"}  # fmt: skip


@dataclass(frozen=True)
class Rule:
    path: str
    types: tuple[type, ...]
    optional: bool = False
    """The last key may be missing. (A null object on the way ends any rule: its own rule decides on null.)"""


def _track(prefix: str) -> list[Rule]:
    """An embedded track (or episode, or local file): what `RunContext.embedded` and the row builders read."""
    return [
        Rule(f"{prefix}.id", (str, NoneType)),
        Rule(f"{prefix}.artists", (list, NoneType), optional=True),
        Rule(f"{prefix}.album", (dict, NoneType), optional=True),
    ]


NEXT = Rule("next", (str, NoneType), optional=True)
ME = (Rule("id", (str,)),)
PLAYLISTS = (
    Rule("items", (list,)), Rule("items.*?.id", (str,)), Rule("items.*?.snapshot_id", (str,)),
    Rule("items.*?.owner", (dict, NoneType), optional=True),
    Rule("items.*?.items.total", (int, NoneType), optional=True),
    Rule("items.*?.tracks.total", (int, NoneType), optional=True), NEXT,
)  # fmt: skip
ENTRIES = (
    Rule("items", (list,)), Rule("items.*.added_at", (Timestamp, NoneType), optional=True),
    Rule("items.*.item", (dict, NoneType), optional=True), Rule("items.*.track", (dict, NoneType), optional=True),
    *_track("items.*.item"), NEXT,
)  # fmt: skip
PLAYS = (
    Rule("items", (list,)), Rule("items.*.played_at", (Timestamp,)), Rule("items.*.track", (dict,)),
    Rule("items.*.track.id", (str,)), *_track("items.*.track"),
    Rule("items.*.context", (dict, NoneType), optional=True), NEXT,
)  # fmt: skip
TOP = (Rule("items", (list,)), Rule("items.*.id", (str,)), NEXT)
SAVED = (
    Rule("items", (list,)), Rule("items.*.added_at", (Timestamp,)), Rule("items.*.track", (dict, NoneType)),
    *_track("items.*.track"), NEXT,
)  # fmt: skip
ARTISTS = (Rule("artists", (list,)), Rule("artists.*?.id", (str,)), Rule("artists.*?.genres", (list, NoneType), True))
ARTIST = (Rule("id", (str,)), Rule("genres", (list, NoneType), optional=True))
AUDIO_FEATURES = (Rule("audio_features", (list,)), Rule("audio_features.*?.id", (str,)))


def _walk(node: Any, parts: list[str], where: str, rule: Rule, url: str, status: int) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) of every place the rule's path reaches; raises for a missing required field."""
    if not parts:
        yield where, node
        return
    head, rest = parts[0], parts[1:]
    if head in ("*", "*?"):
        if not isinstance(node, list):
            return  # the list's own rule reports it
        for index, item in enumerate(node):
            if item is None and head == "*?":
                continue
            yield from _walk(item, rest, f"{where}[{index}]", rule, url, status)
        return
    here = f"{where}.{head}" if where else head
    if node is None:
        return  # a null object on the way: its own rule says whether null is allowed there
    if not isinstance(node, dict):
        raise BadAnswer(status, url, f"Spotify's answer at {url} has {_name(node)} at `{where}`, not an object")
    if head not in node:
        if rule.optional:
            return
        raise BadAnswer(status, url, f"Spotify's answer at {url} lacks the field `{here}`")
    yield from _walk(node[head], rest, here, rule, url, status)


def _name(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _fits(value: Any, types: tuple[type, ...]) -> bool:
    for kind in types:
        if kind is Timestamp:
            if isinstance(value, str):
                try:
                    helpers.parse_time(value)
                except ValueError:
                    continue
                return True
        elif kind is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return True
        elif isinstance(value, kind):
            return True
    return False


def check(payload: Any, rules: tuple[Rule, ...], url: str, status: int = 200) -> Any:
    """`payload` when every rule holds; else BadAnswer naming the endpoint and the first field that does not."""
    if not isinstance(payload, dict):
        raise BadAnswer(status, url, f"Spotify's answer at {url} is {_name(payload)}, not a JSON object")
    for rule in rules:
        for where, value in _walk(payload, rule.path.split("."), "", rule, url, status):
            if not _fits(value, rule.types):
                expected = " or ".join(_JSON_NAMES[t] for t in rule.types)
                shown = f" ({value!r:.40})" if isinstance(value, str | int | float) else ""
                raise BadAnswer(
                    status, url,
                    f"Spotify's answer at {url} has {_name(value)}{shown} in `{where}` where {expected} belongs",
                )  # fmt: skip
    return payload
