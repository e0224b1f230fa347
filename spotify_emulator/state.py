"""Everything one running emulator holds: its settings, the library, tokens, faults and request counts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from spotify_emulator.accounts import AccountSettings, TokenStore
from spotify_emulator.clock import Clock
from spotify_emulator.faults import FaultInjector, FaultSettings
from spotify_emulator.library import DEFAULT_HISTORY_END, generate
from spotify_emulator.profiles import resolve
from spotify_emulator.serializers import DEVELOPMENT, EXTENDED, Render
from spotify_emulator.stats import RequestStats
from spotify_emulator.triggers import Triggers

MODES = (EXTENDED, DEVELOPMENT)


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

    def validate(self) -> None:
        resolve(self.profile)  # raises ValueError naming the profiles there are
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
        self.library = generate(settings.seed, settings.profile, settings.history_end)
        self.lock = threading.RLock()
        """Held while a handler reads the library and while a control request changes it."""
        self.tokens = TokenStore(settings.accounts, clock=self.clock)
        self.faults = FaultInjector(settings.faults, self.clock)
        self.stats = RequestStats()
        self.triggers = Triggers()
        self.root = "http://127.0.0.1"

    @property
    def render(self) -> Render:
        return Render(api_base=f"{self.root}/v1", root=self.root, mode=self.settings.mode)
