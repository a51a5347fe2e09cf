"""What the screens need from the rest of tuner, passed in as one object.

Screens never reach for `tuner.config`, `tuner.data` or `tuner.api` as globals: they call the
`Services` the app was built with, so tests hand the app an in-memory settings store, and the
demo hands it an emulator connection. The default callables import `tuner.data` / `tuner.api`
inside the call, which keeps them (and the SDK) off the path to the first frame. The service
itself is reached through the app's `ServiceSession`, which `open_service` feeds.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tuner.config import Connection, Profile, Settings
from tuner.data.wording import plural
from tuner.ui.session import ServiceOpener, connect_service

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.catalog.lookup import Catalog


@dataclass(frozen=True, slots=True)
class ValidationSummary:
    """The part of a validation report the file browser shows as a badge."""

    valid: bool
    errors: int
    warnings: int
    first_problem: str | None = None

    @property
    def badge(self) -> str:
        """Long form for the details panel: `✗ 5 errors`, `! 1 warning`, `✓ valid`."""
        if self.errors:
            return f"✗ {plural(self.errors, 'error')}"
        if self.warnings:
            return f"! {plural(self.warnings, 'warning')}"
        return "✓ valid"

    @property
    def short_badge(self) -> str:
        """Short form for a tree label: `✗ 5`, `! 1`, `✓`."""
        if self.errors:
            return f"✗ {self.errors}"
        if self.warnings:
            return f"! {self.warnings}"
        return "✓"


@dataclass(frozen=True, slots=True)
class ConversionSummary:
    """What a JSON → JSONL conversion wrote and what it had to leave out, as display lines."""

    examples_written: int
    skipped: tuple[str, ...] = ()
    written: bool = True


class Validator(Protocol):
    """Check one file for the browser's badge, by the rules of `service` ("openai", ...)."""

    def __call__(
        self, path: Path, model: str | None, *, service: str = "openai"
    ) -> ValidationSummary: ...


Converter = Callable[[Path, Path, bool], ConversionSummary]
ConnectionTester = Callable[[Connection], Awaitable[str]]


class SettingsStore(Protocol):
    """Reads and writes the settings file and the secrets file."""

    def load(self) -> Settings: ...

    def save(self, settings: Settings) -> None: ...

    def save_api_key(self, profile: str, key: str) -> None: ...

    def key_state(self, profile: Profile) -> str: ...

    def resolve(self, settings: Settings, profile: str | None) -> Connection: ...


class ConfigSettingsStore:
    """The real settings file and 0600 secrets file, through `tuner.config`."""

    def load(self) -> Settings:
        from tuner.config import load_settings

        return load_settings()

    def save(self, settings: Settings) -> None:
        from tuner.config import save_settings

        save_settings(settings)

    def save_api_key(self, profile: str, key: str) -> None:
        from tuner.config import save_api_key

        save_api_key(profile, key)

    def key_state(self, profile: Profile) -> str:
        """ "key saved" / "from OPENAI_API_KEY" / "no key": never the key itself."""
        from tuner.config import key_state

        return key_state(profile)

    def resolve(self, settings: Settings, profile: str | None) -> Connection:
        from tuner.config import resolve_connection

        return resolve_connection(settings, profile)


class MemorySettingsStore:
    """Settings and keys kept in memory, nothing written: for tests and for the demo."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        keys: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """`keys` by profile name; `env` replaces the process environment when resolving (the
        demo passes {} so neither a real key nor a base URL from the shell reaches it)."""
        self.settings = settings if settings is not None else Settings()
        self.saves = 0
        self._keys: dict[str, str] = dict(keys or {})
        self._env = env

    def load(self) -> Settings:
        return self.settings

    def save(self, settings: Settings) -> None:
        self.settings = settings
        self.saves += 1

    def save_api_key(self, profile: str, key: str) -> None:
        self._keys[profile] = key.strip()

    def key_state(self, profile: Profile) -> str:
        from tuner.config import key_state

        return key_state(profile, env=self._env, saved=profile.name in self._keys)

    def resolve(self, settings: Settings, profile: str | None) -> Connection:
        from tuner.config import Secret, resolve_connection

        connection = resolve_connection(settings, profile, env=self._env)
        key = self._keys.get(connection.profile_name or "")
        if connection.api_key is None and key:
            return dataclasses.replace(connection, api_key=Secret(key), key_origin="file")
        return connection


# -- default data and service callables ----------------------------------------------------------


def default_validator(
    path: Path, model: str | None, *, service: str = "openai"
) -> ValidationSummary:
    """Validate with `tuner.data.analysis.analyse.analyse_file` (runs in a thread worker)."""
    from tuner.data.analysis.analyse import analyse_file
    from tuner.data.catalog.choice import default_catalog

    report = analyse_file(path, model, catalog=default_catalog(service), service=service)
    problems = [*report.errors, *report.warnings]
    return ValidationSummary(
        valid=bool(report.valid),
        errors=report.error_count,
        warnings=report.warning_count,
        first_problem=problems[0].located() if problems else None,
    )


def default_converter(src: Path, dst: Path, force: bool) -> ConversionSummary:
    """Convert JSON to JSONL with `tuner.data.jsonl.convert.convert_file` (in a thread worker)."""
    from tuner.data.jsonl.convert import convert_file

    result = convert_file(src, dst, force=force)
    skipped = tuple(issue.located() for issue in result.skipped)
    return ConversionSummary(result.examples_written, skipped, written=result.written)


async def default_connection_test(connection: Connection) -> str:
    """List the service's models: proves the URL, the key and the network in one call."""
    from tuner.api.open import open_service

    service = open_service(connection)
    try:
        models = await service.without_retries().list_models()
    finally:
        await service.close()
    return f"Connected: {plural(len(models), 'model')} available"


def with_price_override(
    settings: Settings, model: str, price: float | None, profile: str | None = None
) -> Settings:
    """Settings whose `[[models]]` entry for `model` sets (or drops) the training price: the
    global table, or `profile`'s own `[[profiles.NAME.models]]` (a model of another service
    than OpenAI's belongs there: the global table applies to every service)."""
    named = settings.profiles.get(profile or "")
    source = named.models if named is not None else settings.models
    entries = [dict(entry) for entry in source]
    for entry in entries:
        if entry.get("id") == model:
            if price is None:
                entry.pop("training_price_per_1m", None)
            else:
                entry["training_price_per_1m"] = price
            break
    else:
        if price is not None:
            entries.append({"id": model, "training_price_per_1m": price})
    kept = tuple(e for e in entries if set(e) != {"id"})
    if named is not None:
        return settings.with_profile(dataclasses.replace(named, models=kept))
    return dataclasses.replace(settings, models=kept)


class Analyser(Protocol):
    """`tuner.data.analysis.analyse.analyse_file`'s shape: runs in a thread worker, may be
    cancelled."""

    def __call__(
        self,
        path: Path,
        model: str | None,
        *,
        epochs: int | None = None,
        catalog: Catalog | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
        service: str = "openai",
    ) -> AnalysisReport: ...


def default_analyser(
    path: Path,
    model: str | None,
    *,
    epochs: int | None = None,
    catalog: Catalog | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    service: str = "openai",
) -> AnalysisReport:
    """Check, count and price a file with `tuner.data.analysis.analyse.analyse_file`, by the
    rules of `service`, keeping what a screen listing every line needs (`keep_examples`)."""
    from tuner.data.analysis.analyse import analyse_file

    return analyse_file(
        path,
        model,
        epochs=epochs,
        catalog=catalog,
        progress=progress,
        cancel=cancel,
        service=service,
        keep_examples=True,
    )


def lenient_catalog(settings: Settings, profile: str | None = None) -> Catalog:
    """The catalog of `profile`'s service (else the active profile's) with the settings'
    overrides; the built-in one when they are bad (the settings screen and `tuner validate`
    name the bad entry, a price table should still show)."""
    from tuner.data.catalog.choice import default_catalog, settings_catalog
    from tuner.data.catalog.overrides import CatalogError

    try:
        return settings_catalog(settings, profile)
    except CatalogError:
        named = settings.profile(profile)
        return default_catalog(named.kind if named is not None else "openai")


@dataclass
class Services:
    """Everything the screens call out to; `make_app` fills in the defaults."""

    settings_store: SettingsStore = field(default_factory=ConfigSettingsStore)
    validate: Validator = default_validator
    convert: Converter = default_converter
    test_connection: ConnectionTester = default_connection_test
    # The dataset screen and the new-job form: analysis (thread worker) and the catalog.
    analyse: Analyser = default_analyser
    catalog: Callable[[Settings, str | None], Catalog] = lenient_catalog
    # How the session turns a connection into a service (the real SDK-backed one by default).
    open_service: ServiceOpener = connect_service
    # The jobs screens: `poll_scale` multiplies every poll interval (tests pass e.g. 0.01 with
    # a fast emulator); `clock` is "now" for relative times (snapshot tests fix it).
    poll_scale: float = 1.0
    clock: Callable[[], float] = time.time
    # `tuner --demo`: every connection goes to the built-in emulator (the title and a few
    # notes say so; the settings are in memory).
    demo: bool = False
