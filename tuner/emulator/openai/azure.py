"""Azure OpenAI: its URL layouts, and the deployments a model needs before it can chat.

Three layouts reach the emulator's handlers:

- the classic data plane, `/openai/...?api-version=YYYY-MM-DD[-preview]` (the SDK's
  `AzureOpenAI`), with chat under `/openai/deployments/{name}/chat/completions`;
- the v1 API, `/openai/v1/...`, used with the plain `OpenAI(base_url=".../openai/v1")` client:
  no api-version needed, the key in `api-key` or `Authorization: Bearer`, and chat's `model` is
  a deployment name;
- a sliver of the control plane (Azure Resource Manager), under `/azure-management`, to create
  deployments the way Azure's REST API does.

On Azure a model answers only through a deployment, and chat names the deployment, not the
model. In the emulator base models are deployed implicitly under their own ids (so
`model="gpt-4o-mini"` works at once), while a fine-tuned model or checkpoint answers only once
deployed: `Emulator.deploy(model_id, name)` in tests and the demo, or over HTTP:

    PUT /azure-management/subscriptions/{s}/resourceGroups/{g}/providers/
        Microsoft.CognitiveServices/accounts/{a}/deployments/{name}?api-version=2024-10-01
    {"sku": {"name": "standard", "capacity": 1},
     "properties": {"model": {"format": "OpenAI", "name": "<model id>", "version": "1"}}}

GET and DELETE on the same path read and remove it; GET on `.../deployments` lists them.
Subscription, group and account are taken as given, the bearer token is the emulator's key,
and a deployment is ready at once (`provisioningState: Succeeded`). OpenAI's own `/v1` layout
ignores deployments: there a fine-tuned model answers by its id.
"""

from __future__ import annotations

import re
from typing import Any

from .. import embeddings
from ..errors import ApiError
from ..wire import JsonResponse, Request
from . import catalog
from .store import Deployment, State

# The data plane (classic and v1) and the control plane.
PREFIXES = ("/openai/", "/azure-management/")
V1_PREFIX = "/openai/v1"
ARM_PREFIX = "/azure-management"

_CLASSIC_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
_DEPLOYMENT_PATH = re.compile(r"^/deployments/(?P<name>[^/]+)(?P<rest>/.*)$")
_ARM_DEPLOYMENTS = re.compile(
    r"^(?P<account>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.CognitiveServices/accounts/[^/]+)/deployments(?:/(?P<name>[^/]+))?/?$",
    re.IGNORECASE,
)
_ARM_TYPE = "Microsoft.CognitiveServices/accounts/deployments"


def route(req: Request, path: str) -> None:
    """Fill in `req` for a path under one of `PREFIXES`: its layout, service path, deployment."""
    if path == V1_PREFIX or path.startswith(V1_PREFIX + "/"):
        req.azure = req.azure_v1 = True
        req.path = path[len(V1_PREFIX) :]
        return
    if path.startswith(ARM_PREFIX + "/"):
        req.arm = True
        req.path = path[len(ARM_PREFIX) :]
        if not req.arg("api-version"):
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        return
    req.azure = True
    req.path = path[len("/openai") :]
    version = req.arg("api-version")
    if not version:
        raise ApiError(404, "Resource not found", code="404")
    if not _CLASSIC_VERSION.fullmatch(version):
        raise ApiError(400, "API version not supported", code="BadRequest")
    match = _DEPLOYMENT_PATH.match(req.path)
    if match is not None:
        req.deployment = match.group("name")
        req.path = match.group("rest")


def deployment_not_found() -> ApiError:
    """Azure's 404 for chat through a deployment that does not exist (or not yet)."""
    return ApiError(
        404,
        "The API deployment for this resource does not exist. If you created the deployment "
        "within the last 5 minutes, please wait a moment and try again.",
        code="DeploymentNotFound",
    )


class ArmError(ApiError):
    """An error in ARM's shape, `{"error": {"code", "message"}}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message, code=code)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class Deployments:
    """The deployments of the emulated Azure resource, and the control-plane endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state

    def _known(self, model: str) -> bool:
        state = self.state
        with state.lock:
            state.tick()
            return (
                catalog.is_listed(model)
                or model in embeddings.OPENAI_MODELS
                or model in state.fine_tuned_models
                or model in state.checkpoint_models
            )

    def deploy(self, model: str, name: str | None = None) -> str:
        """Deploy `model` (base, fine-tuned or checkpoint) as `name` (default: the model id).

        Redeploying a name points it at the new model. Returns the name; raises ValueError
        for a model the emulator does not have.
        """
        if not self._known(model):
            raise ValueError(f"no model {model!r} to deploy")
        name = name or model
        with self.state.lock:
            self.state.deployments[name] = Deployment(name, model, self.state.now())
        return name

    def undeploy(self, name: str) -> bool:
        """Remove a deployment; False if there was none by that name."""
        with self.state.lock:
            return self.state.deployments.pop(name, None) is not None

    def resolve(self, name: str) -> str | None:
        """The model a chat through deployment `name` reaches; None if it reaches nothing.

        A fine-tuned model deleted since it was deployed reaches nothing either.
        """
        with self.state.lock:
            deployment = self.state.deployments.get(name)
        if deployment is not None:
            return deployment.model if self._known(deployment.model) else None
        return name if catalog.is_listed(name) else None

    # The control plane ----------------------------------------------------------------

    def dispatch(self, req: Request) -> JsonResponse:
        match = _ARM_DEPLOYMENTS.match(req.path)
        if match is None:
            raise ArmError(404, "InvalidResourceType", f"No resource at {req.path}.")
        account, name = match.group("account"), match.group("name")
        if name is None:
            if req.method != "GET":
                raise _method_not_allowed(req)
            with self.state.lock:
                items = list(self.state.deployments.values())
            return JsonResponse({"value": [_arm_json(account, d) for d in items]})
        if req.method == "PUT":
            return self._put(req, account, name)
        with self.state.lock:
            deployment = self.state.deployments.get(name)
        if deployment is None:
            raise ArmError(404, "DeploymentNotFound", f"Deployment {name} does not exist.")
        if req.method == "GET":
            return JsonResponse(_arm_json(account, deployment))
        if req.method == "DELETE":
            self.undeploy(name)
            return JsonResponse({})
        raise _method_not_allowed(req)

    def _put(self, req: Request, account: str, name: str) -> JsonResponse:
        body = req.json if isinstance(req.json, dict) else {}
        properties = body.get("properties")
        model = properties.get("model") if isinstance(properties, dict) else None
        model_name = model.get("name") if isinstance(model, dict) else None
        if not isinstance(model_name, str) or not model_name:
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content is invalid: properties.model.name is required.",
            )
        with self.state.lock:
            existed = name in self.state.deployments
        try:
            self.deploy(model_name, name)
        except ValueError:
            raise ArmError(
                400,
                "DeploymentModelNotSupported",
                f"The model '{model_name}' is not supported for deployment on this resource.",
            ) from None
        sku = body.get("sku")
        with self.state.lock:
            deployment = self.state.deployments[name]
            if isinstance(sku, dict):
                deployment.sku = dict(sku)
        return JsonResponse(_arm_json(account, deployment), 200 if existed else 201)


def _arm_json(account: str, deployment: Deployment) -> dict[str, Any]:
    return {
        "id": f"{account}/deployments/{deployment.name}",
        "type": _ARM_TYPE,
        "name": deployment.name,
        "sku": dict(deployment.sku),
        "properties": {
            "model": {"format": "OpenAI", "name": deployment.model, "version": "1"},
            "provisioningState": "Succeeded",
        },
    }


def _method_not_allowed(req: Request) -> ArmError:
    return ArmError(405, "MethodNotAllowed", f"{req.method} is not allowed on {req.path}.")
