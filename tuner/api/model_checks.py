"""Is the model there, asked before anything is paid for: a job's base model, a chat's model.

A typo (`gpt-4o-mni`) must not cost an upload or a replay's worth of failed turns, so both are
checked against what the service lists, once, and refused with the model the user most likely
meant. Only a conclusive answer refuses: when the service cannot list its models (a gateway
without `/models`, a server error) the model passes and the service decides; a refused key is
raised as it is, since nothing after it could work either.

The two checks live together because they ask the same question with different exceptions
(a job's base model may be one tuner's own table knows; a chat's may be a checkpoint or an
Azure deployment name, which no list holds), and apart from `chat/models` and `jobs/spec`,
which describe models and jobs without asking any service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.api.chat.models import model_kind
from tuner.api.errors import ErrorKind, ServiceError

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.data.catalog.lookup import Catalog

KEY_REFUSED = (ErrorKind.AUTH, ErrorKind.NO_KEY, ErrorKind.PERMISSION)


async def check_model_known(service: FineTuningService, model: str, catalog: Catalog) -> None:
    """Raise `ServiceError(model_unavailable)` for a base model that neither tuner's built-in
    table nor the service knows, naming the closest known model ("did you mean
    gpt-4o-mini-2024-07-18?"). Call it before uploading anything: a typo must not cost an upload.

    A model of tuner's built-in table (or an alias of one) passes without a request. Anything
    else, a model the user added to the catalog included, must be one the service lists (its
    `/models`) or, where the service reports per-model limits (Together), one it has limits for.
    """
    from tuner.data.catalog.choice import default_catalog

    if default_catalog(catalog.service).get(model) is not None:
        return
    listed = await _listed(service)
    if listed is None or model in listed or await _has_limits(service, model):
        return
    raise _unknown(service, model, listed, catalog, "")


async def check_chat_model(service: FineTuningService, model: str, catalog: Catalog) -> None:
    """Raise `ServiceError` when a chat with `model` cannot work at all: the key is missing or
    refused, or the service does not have the model (with the one most likely meant). Asked
    once, before a replay's first line, so a bad key or a typo is one line, not a failed turn.

    A checkpoint (services do not list them) and an Azure deployment name (not a model) pass.
    A service that cannot be reached at all is said now: no line of the replay would reach it.
    """
    listed = await _listed(service, also_raise=(ErrorKind.CONNECTION,))
    if listed is None or model in listed or model_kind(model) == "checkpoint":
        return
    if service.capabilities.models_need_deployment:
        return
    raise _unknown(service, model, listed, catalog, " to chat with")


async def _listed(
    service: FineTuningService, also_raise: tuple[ErrorKind, ...] = ()
) -> list[str] | None:
    """The ids the service lists; None when it cannot list them (then the service decides)."""
    try:
        return [entry.id for entry in await service.list_models()]
    except ServiceError as exc:
        if exc.kind in KEY_REFUSED or exc.kind in also_raise:
            raise
        return None


async def _has_limits(service: FineTuningService, model: str) -> bool:
    """Whether the service may fine-tune `model` by its per-model limits (Together reports them
    for every model it fine-tunes; a service without such limits says nothing: False)."""
    try:
        return await service.model_limits(model) is not None
    except ServiceError as exc:
        if exc.kind in KEY_REFUSED:
            raise
        # Refused as unknown: no; any other failure leaves the decision to the service.
        return exc.kind not in (ErrorKind.MODEL_UNAVAILABLE, ErrorKind.NOT_FOUND)


def _unknown(
    service: FineTuningService, model: str, listed: list[str], catalog: Catalog, purpose: str
) -> ServiceError:
    from tuner.data.visible_text import visible_line

    guess = catalog.suggestion(model, listed)  # may be a name the service gave: outside text
    hint = f"; did you mean {visible_line(guess)}?" if guess else ""
    return ServiceError(
        ErrorKind.MODEL_UNAVAILABLE,
        f"{service.capabilities.service} has no model {model!r}{purpose}{hint}",
    )
