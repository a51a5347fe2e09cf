"""Opening a service: the one place that picks an implementation for a connection.

The implementations (`tuner.api.openai_service`, `tuner.api.together_service`) import the seam's
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
        from tuner.api.together_service import CAPABILITIES

        return CAPABILITIES
    from tuner.api.openai_service import capabilities_for

    return capabilities_for(connection)


def open_service(connection: Connection) -> FineTuningService:
    """The service for a resolved connection. Imports the SDK (slow) only now.

    Raises `ServiceError(no_key)` when the connection has no key.
    """
    if connection.kind == "together":
        from tuner.api.together_service import TogetherService

        return TogetherService.connect(connection)
    from tuner.api.openai_service import OpenAIService

    return OpenAIService.connect(connection)
