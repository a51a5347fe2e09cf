"""The models an evaluation talks to, each on its own profile's service: `MODEL[@PROFILE]`.

The question an evaluation answers is usually "is the copy on the new service as good as the
original on the old one", so its models live on different services: the OpenAI fine-tune on
profile `work`, its Together copy on `together`, a judge on a third. `EvalServices` opens one
service per profile the first time a model needs it (with the SDK's own retries off: the eval's
`ask` retries visibly and paces 429s itself) and closes them all at the end.

A model is labelled `MODEL@PROFILE` in results and reports, the profile named even when it is
the active one, so a report read next month still says where each reply came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tuner.config import DEFAULT_PROFILE_NAME

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.config import Connection, Settings
    from tuner.data.catalog.lookup import Catalog


class TargetError(ValueError):
    """A `--model`, `--judge` or `--embedder` value that names no usable model (one line)."""


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A model as the command line named it; `profile` None means the active profile."""

    model: str
    profile: str | None = None


def parse_target(text: str) -> TargetSpec:
    """`MODEL` or `MODEL@PROFILE`. The last `@` splits them (model ids hold none)."""
    model, at, profile = text.strip().rpartition("@")
    if not at:
        model, profile = text.strip(), ""
    if not model:
        raise TargetError(f"'{text}' names no model (MODEL or MODEL@PROFILE)")
    if at and not profile:
        raise TargetError(f"'{text}' names no profile after '@' (MODEL@PROFILE)")
    return TargetSpec(model, profile or None)


def target_label(model: str, profile: str | None) -> str:
    """`MODEL@PROFILE` as a `--model` value (just `MODEL` without a profile: the active one)."""
    return f"{model}@{profile}" if profile else model


@dataclass(frozen=True, slots=True)
class EvalTarget:
    """A model ready to be asked: its label, the service it is on and how that service is named
    in the reply cache (its kind and address, never the key), and the catalog that prices it."""

    model: str
    profile: str
    service: FineTuningService
    service_id: str
    catalog: Catalog

    @property
    def label(self) -> str:
        return target_label(self.model, self.profile)

    @property
    def service_name(self) -> str:
        return self.service.capabilities.service


def service_identity(connection: Connection) -> str:
    """What the reply cache keys a service by: the kind and the address a request goes to.

    Two profiles pointing at the same account share their cache; a key never appears."""
    return f"{connection.kind} {connection.where}"


Resolver = Callable[["Settings", "str | None"], "Connection"]
Opener = Callable[["Connection"], "FineTuningService"]
CatalogFor = Callable[["Settings", "str | None"], "Catalog"]


class EvalServices:
    """The services of the profiles an evaluation uses, opened on first need, closed together.

    By default a profile's connection is resolved from the settings and the environment, and
    its service opened with the official SDK; the app passes its own `resolve`, `opener` and
    `catalog` (its settings store holds the demo's keys; its opener is what tests record).

    Raises `ConfigError` (an unknown or broken profile), `CatalogError` (a broken catalog entry
    in the settings) or `ServiceError` (no key) from `target`."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolve: Resolver | None = None,
        opener: Opener | None = None,
        catalog: CatalogFor | None = None,
    ) -> None:
        self.settings = settings
        self._resolve = resolve
        self._opener = opener
        self._catalog = catalog
        self._open: dict[str, tuple[FineTuningService, str, Catalog]] = {}

    def _profile_name(self, profile: str | None) -> str:
        named = self.settings.profile(profile)
        if named is not None:
            return named.name
        return profile or DEFAULT_PROFILE_NAME

    def _opened(self, profile: str | None) -> tuple[str, FineTuningService, str, Catalog]:
        from tuner.api.open import open_service
        from tuner.config import resolve_connection
        from tuner.data.catalog.choice import settings_catalog

        if profile == DEFAULT_PROFILE_NAME and profile not in self.settings.profiles:
            profile = None  # a label's `@default`: the connection of no profile (the env's)
        name = self._profile_name(profile)
        if name not in self._open:
            resolve = self._resolve or resolve_connection
            connection = resolve(self.settings, profile)
            catalog = (self._catalog or settings_catalog)(self.settings, profile)
            service = (self._opener or open_service)(connection).without_retries()
            self._open[name] = (service, service_identity(connection), catalog)
        service, identity, catalog = self._open[name]
        return name, service, identity, catalog

    def service(self, profile: str | None) -> FineTuningService:
        """The service of `profile` (None: the active one), opened now if not yet."""
        return self._opened(profile)[1]

    def target(self, spec: TargetSpec) -> EvalTarget:
        """`spec`'s model on its profile's service (opened now if no model used it yet)."""
        name, service, identity, catalog = self._opened(spec.profile)
        return EvalTarget(spec.model, name, service, identity, catalog)

    async def close(self) -> None:
        services = [service for service, _, _ in self._open.values()]
        self._open.clear()
        for service in services:
            await service.close()
