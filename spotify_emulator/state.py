"""Everything one running emulator holds: its settings, the libraries of its accounts, tokens, faults and counts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from spotify_emulator.accounts import AccountSettings, TokenStore
from spotify_emulator.clock import Clock
from spotify_emulator.faults import FaultInjector, FaultSettings
from spotify_emulator.library import DEFAULT_HISTORY_END, generate_household
from spotify_emulator.model import Library
from spotify_emulator.profiles import resolve
from spotify_emulator.serializers import DEVELOPMENT, EXTENDED, Render
from spotify_emulator.stats import RequestStats
from spotify_emulator.triggers import Triggers

MODES = (EXTENDED, DEVELOPMENT)
MAX_ACCOUNTS = 10


@dataclass
class EmulatorSettings:
    """What `python -m spotify_emulator serve` takes; the same fields for the in-process server."""

    seed: int = 0
    profile: str = "reference"
    mode: str = EXTENDED
    history_end: datetime = DEFAULT_HISTORY_END
    """The moment the generated listening history ends; the same value gives the same library."""
    accounts: AccountSettings = field(default_factory=AccountSettings)
    faults: FaultSettings = field(default_factory=FaultSettings)
    account_count: int = 1
    """How many Spotify accounts (a household) the emulator serves: account `i` is the library of `seed + i` over
    the catalogue of `seed`. Not `accounts`, which already names the accounts service's settings;
    `EmulatorServer(accounts=N)` and `serve --accounts N` set this."""

    def validate(self) -> None:
        resolve(self.profile)  # raises ValueError naming the profiles there are
        if isinstance(self.account_count, bool) or not isinstance(self.account_count, int):
            raise ValueError(f"account_count must be an integer, got {self.account_count!r}")
        if not 1 <= self.account_count <= MAX_ACCOUNTS:
            raise ValueError(f"account_count must be between 1 and {MAX_ACCOUNTS}, got {self.account_count}")
        outside = [i for i in self.faults.accounts or [] if not 0 <= i < self.account_count]
        if outside:
            raise ValueError(f"faults.accounts names accounts the emulator does not have: {outside}")
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.accounts.refresh_rotation not in ("pkce", "always", "never"):
            raise ValueError("refresh_rotation must be pkce, always or never")
        if self.accounts.consent not in ("grant", "deny"):
            raise ValueError("consent must be grant or deny")


class EmulatorState:
    def __init__(self, settings: EmulatorSettings, clock: Clock | None = None) -> None:
        settings.validate()
        self.settings = settings
        self.clock = clock or Clock()
        """The one clock tokens, codes and rolling windows read; `/_emulator/clock` advances it."""
        self.libraries: list[Library] = generate_household(
            settings.seed, settings.profile, settings.history_end, settings.account_count
        )
        """One library per account, index = account; they share one catalogue (`library.generate_household`)."""
        self.library = self.libraries[0]
        """Account 0, the only one of a single-account emulator; code that knows of one account reads this."""
        self.lock = threading.RLock()
        """Held while a handler reads the library and while a control request changes it."""
        self.tokens = TokenStore(settings.accounts, clock=self.clock, account_count=settings.account_count)
        self.faults = FaultInjector(settings.faults, self.clock)
        self.stats = RequestStats()
        self.triggers = Triggers()
        self.root = "http://127.0.0.1"

    @property
    def render(self) -> Render:
        return Render(api_base=f"{self.root}/v1", root=self.root, mode=self.settings.mode)

    def library_of(self, account: int) -> Library:
        """Account `account`'s library; an index out of range is a ValueError (a 400 for control callers)."""
        if isinstance(account, bool) or not isinstance(account, int) or not 0 <= account < len(self.libraries):
            raise ValueError(f"account must be an integer from 0 to {len(self.libraries) - 1}, got {account!r}")
        return self.libraries[account]

    @property
    def catalog(self) -> Library:
        """The library catalogue endpoints answer from: every account holds the same catalogue objects, so
        account 0's stands for Spotify's one catalogue."""
        return self.libraries[0]
