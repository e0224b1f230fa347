"""The accounts of a household warehouse: who is logged in, where each login lives, which dlt pipeline loads it.

An account is a name a person picks (`auth --account anna`) and the owner-only token cache that login wrote. The
unnamed account, `default`, is the one a single user has always had: the configured `token_cache_path` (and a
`refresh_token` in secrets.toml, if any). A named account's cache sits beside it, `<cache>.<name>.json`, so git
ignores it by the same rule, and no registry file can disagree with the logins that exist.

Each account is loaded by its own dlt pipeline (`spotify` for the default, `spotify_<name>` for the others): dlt
keeps a pipeline's state (the plays cursor, playlist snapshots, the likes' count, the audio features' refusal) in
the warehouse under the pipeline's name, so one account's run can never move another's state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spotify_source.errors import UserError

DEFAULT_ACCOUNT = "default"
NAME_RULE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
"""Lower-case letters, digits and `_`, starting with a letter: the name goes into a file name and a pipeline name."""


class AccountUnknown(UserError):
    """`--account NAME` names no login, or a name that cannot be one."""

    exit_code = 2


@dataclass(frozen=True)
class Account:
    """One person's login: its name, its token cache, and the dlt pipeline that loads it."""

    name: str
    cache_path: Path

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_ACCOUNT

    @property
    def pipeline_name(self) -> str:
        """`spotify` for the default account (what every warehouse loaded before households has), else
        `spotify_<name>`: dlt stores each pipeline's state apart."""
        return "spotify" if self.is_default else f"spotify_{self.name}"

    @property
    def auth_command(self) -> str:
        """How this account logs in (again): what every message about its login tells the person to run."""
        return "`python pipeline.py auth" + ("" if self.is_default else f" --account {self.name}") + "`"

    def login(self) -> Any:
        """The login record in the account's cache (spotify_source.auth.LoginRecord; None without one, e.g. a
        refresh token from secrets.toml)."""
        from spotify_source.auth import LoginRecord, read_cache

        return LoginRecord.from_json(read_cache(self.cache_path).get("login"))


def checked_name(name: str | None) -> str:
    """The account name, or a clear refusal of one that cannot be a name."""
    if name is None:
        return DEFAULT_ACCOUNT
    if not NAME_RULE.match(name):
        raise AccountUnknown(
            f"{name!r} cannot be an account name: use lower-case letters, digits and _, starting with a letter "
            "(at most 31 characters), e.g. `--account anna`."
        )
    return name


def account(base_cache: Path, name: str | None) -> Account:
    """The account called `name` (None: the default), whether or not it is logged in yet."""
    name = checked_name(name)
    if name == DEFAULT_ACCOUNT:
        return Account(name, base_cache)
    return Account(name, base_cache.with_name(f"{base_cache.stem}.{name}{base_cache.suffix}"))


def logged_in(base_cache: Path, *, default_configured: bool) -> list[Account]:
    """Every account with a login: the default one when its cache exists or a refresh token is configured, then the
    named ones by name."""
    found = [Account(DEFAULT_ACCOUNT, base_cache)] if base_cache.exists() or default_configured else []
    prefix, suffix = f"{base_cache.stem}.", base_cache.suffix
    named = []
    for path in base_cache.parent.glob(f"{prefix}*{suffix}") if base_cache.parent.is_dir() else ():
        name = path.name[len(prefix) : len(path.name) - len(suffix)]
        if NAME_RULE.match(name) and name != DEFAULT_ACCOUNT:
            named.append(Account(name, path))
    return found + sorted(named, key=lambda each: each.name)


def chosen(base_cache: Path, name: str | None, *, default_configured: bool) -> list[Account]:
    """The accounts a `run` loads: the one named (which must be logged in), else every logged-in account; with no
    login at all, the default account (whose run then says how to log in, as it always has)."""
    available = logged_in(base_cache, default_configured=default_configured)
    if name is None:
        return available or [Account(DEFAULT_ACCOUNT, base_cache)]
    wanted = account(base_cache, name)
    if wanted not in available:
        known = ", ".join(each.name for each in available) or "none"
        raise AccountUnknown(
            f"No login for the account {wanted.name!r} (logged in: {known}). Log it in with "
            f"{wanted.auth_command}. Nothing was done."
        )
    return [wanted]
