"""Opening a service: the one place that picks an implementation for a connection.

The implementations (`tuner.api.providers.openai`, `tuner.api.providers.together`) import the seam's
types and helpers, so the code that chooses between them cannot live beside the seam
(`tuner.api.service`) without an import circle; here nothing imports back. Both imports wait
until they are needed, because an implementation imports its SDK (slow) and the first frame
must not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.api.types import Capabilities
    from tuner.config import Connection


def service_capabilities(connection: Connection) -> Capabilities:
    """What the service of `connection` can do, known without opening it: no SDK is imported,
    so a screen can lay itself out for the service before the service is ready."""
    if connection.kind == "together":
        from tuner.api.providers.together import CAPABILITIES

        return CAPABILITIES
    from tuner.api.providers.openai import capabilities_for

    return capabilities_for(connection)


def open_service(connection: Connection) -> FineTuningService:
    """The service for a resolved connection. Imports the SDK (slow) only now.

    Raises `ServiceError(no_key)` when the connection has no key.
    """
    if connection.kind == "together":
        from tuner.api.providers.together import TogetherService

        return TogetherService.connect(connection)
    from tuner.api.providers.openai import OpenAIService

    return OpenAIService.connect(connection)
