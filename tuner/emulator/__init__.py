"""A local OpenAI-compatible HTTP server for tests and `tuner --demo`.

It speaks the service's wire format for files, uploads, fine-tuning jobs (with events,
metrics and checkpoints on a compressed clock), models and chat completions (plain and
streamed), under `/v1` and Azure's layouts (classic `/openai/...?api-version=` and the v1 API
under `/openai/v1`, with deployments), and can inject faults. The real `openai` SDK talks to
it over real HTTP on 127.0.0.1, so what passes here passes the SDK's own parsing.

Its models tell a true story: a fine-tune answers prompts close to its training examples with
their replies (`recall`), a judge prompt gets a score that follows the overlap with its reference
(`judge`), `response_format` is honoured (`structured`), embeddings are deterministic
(`embeddings`), and `latency` and `rpm` make it as slow and as limited as a benchmark needs.

Layout: what both dialects use sits at the top; each dialect's own API has its folder.

    emulator/           `Emulator` (here), and the parts both dialects share: `server` (HTTP,
                        keys, faults applied), `bodies`, `multipart`, `wire`, `errors`,
                        `faults`, `clock`, `knobs`, `rate_limit`, `host_check`, `checks` (the
                        training-file verdict), and how the models behave: `answers`, `chat`,
                        `recall`, `similarity`, `judge`, `structured`, `embeddings`
    emulator/openai/    OpenAI's API, also served under Azure's URLs: routes, files and
                        uploads, fine-tuning jobs, models and chat, catalog, ids, Azure's
                        layouts and deployments, and the account's state
    emulator/together/  Together's API under `/together/v1`, with its own account

It holds users' uploaded training data during a demo, so it answers only requests addressed
to a loopback name (see `host_check`), issues unguessable ids unless seeded, and cuts off
clients that stall (`read_timeout`).

    with Emulator(speed=500) as emu:
        client = OpenAI(base_url=emu.base_url, api_key="test-key")
        azure_v1 = OpenAI(base_url=emu.azure_v1_base_url, api_key="test-key")
        emu.deploy(fine_tuned_model_id, "support-bot")  # before chat on Azure
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from tuner.data.stop_signals import Stopped, stop_signals_raise

from .bodies import MAX_BODY_BYTES
from .checks import TrainingFileChecker
from .clock import SimClock
from .faults import Fault, FaultSet, Hold
from .knobs import Knobs
from .openai.ids import IdFactory
from .openai.service import Service
from .openai.store import State
from .rate_limit import RateLimiter
from .recall import TrainingMemory
from .server import EmulatorHTTPServer
from .together import TogetherService
from .together.store import TogetherState

__all__ = ["Emulator", "Fault", "FaultSet", "Hold", "serve_forever", "serve_in_foreground"]

DEFAULT_READ_TIMEOUT = 30.0


class Emulator:
    """The emulated service, running in a daemon thread while started.

    - `port`: 0 picks a free port.
    - `speed`: simulated seconds per real second (every simulated delay is divided by it).
    - `api_key`: the only key accepted; None accepts any key (and none).
    - `training_file_checker`: bytes -> None if acceptable, else the failure message;
      by default tuner's own analysis decides (`checks`). Billing always follows it.
    - `seed`: makes ids, job seeds and metrics reproducible; None (the default) makes them
      random, different for each emulator.
    - `start_time`: unix seconds where the simulated clock starts (default: now). It is also
      the emulator's "today", which decides the models that are retired.
    - `read_timeout`: seconds a connection may stall while sending a request (or idle between
      requests) before it is closed.
    - `host`: the address to listen on. Requests must name a loopback host (or this address,
      unless it is a wildcard such as 0.0.0.0) in `Host`.
    - `latency`: real seconds each chat reply and embeddings request takes (see `knobs`).
    - `rpm`: requests per minute per API key and model on chat and embeddings, past which a
      request is answered 429 with `Retry-After` (None: no limit). `rate_limiter.clock` can be
      replaced by a test's own clock.
    - `position_bias`: overlap points the judge gives reply A of a pairwise comparison.
    - `max_body_bytes`: the largest request body it reads (default 1 GiB, `bodies`); a larger
      one is answered 413 (a presigned Together PUT: S3's 400 `EntityTooLarge`) unread.

    A request is checked (Host, key, route; for a presigned PUT its URL and declared size)
    before its body is read: a refused upload is never read, nor written to disk.
    """

    def __init__(
        self,
        port: int = 0,
        speed: float = 1.0,
        api_key: str | None = "test-key",
        training_file_checker: TrainingFileChecker | None = None,
        seed: int | None = None,
        *,
        host: str = "127.0.0.1",
        start_time: float | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        latency: float = 0.0,
        rpm: int | None = None,
        position_bias: float = 0.0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if read_timeout <= 0:
            raise ValueError("read_timeout must be positive")
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        self.max_body_bytes = max_body_bytes
        self.rate_limiter = RateLimiter(rpm) if rpm is not None else None
        self.knobs = Knobs(latency, self.rate_limiter, position_bias)
        # What fine-tuned models learned, by training file: shared by both dialects.
        memory = TrainingMemory()
        self.host = host
        self.port = port
        self.api_key = api_key
        self.seed = seed
        self.read_timeout = read_timeout
        self.clock = SimClock(speed, start_time)
        self.faults = FaultSet()
        # Job seeds and metrics come from an integer seed; unseeded, a random one.
        state_seed = seed if seed is not None else secrets.randbits(62)
        self.state = State(self.clock, IdFactory(seed), training_file_checker, state_seed)
        self.service = Service(self.state, self.knobs, memory)
        # Together's dialect, under /together/v1: its own account on the same clock.
        # OpenAI's state owns the spool folder; Together borrows it, and the clock, checker
        # and seed, so `advance()` moves both and `stop()` removes both sides' files.
        together_state = TogetherState(
            self.clock, self.state.checker, self.state.seed, self.state.spool_dir
        )
        self.together = TogetherService(together_state, lambda: self.api_key, self.knobs, memory)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle ----------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"tuner-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.state.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses ----------------------------------------------------------------------

    @property
    def azure_endpoint(self) -> str:
        """For `AzureOpenAI(azure_endpoint=..., api_version=...)`."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For `OpenAI(base_url=...)`."""
        return f"{self.azure_endpoint}/v1"

    @property
    def azure_v1_base_url(self) -> str:
        """For the plain `OpenAI(base_url=...)` client on Azure's v1 API."""
        return f"{self.azure_endpoint}/openai/v1"

    @property
    def together_base_url(self) -> str:
        """For `Together(base_url=...)`: the SDK appends `/v1/...` itself."""
        return f"{self.azure_endpoint}/together"

    # Test helpers -------------------------------------------------------------------

    @property
    def speed(self) -> float:
        return self.clock.speed

    @property
    def start_time(self) -> float:
        """Unix seconds where the simulated clock started."""
        return self.clock.start_time

    @property
    def open_connections(self) -> int:
        """How many client connections the running server holds (0 when stopped)."""
        return 0 if self._server is None else self._server.open_connections

    def deploy(self, model_id: str, name: str | None = None) -> str:
        """Deploy a model on the emulated Azure resource; returns the deployment name.

        On Azure (both layouts) chat names a deployment, and a fine-tuned model or checkpoint
        answers only once deployed (base models are deployed under their own ids). Azure does
        this in its control plane; tests and the demo call this, or the ARM-like `PUT` that
        `openai.azure` documents. `name` defaults to the model id. ValueError for an unknown model.
        """
        return self.service.deployments.deploy(model_id, name)

    def undeploy(self, name: str) -> bool:
        """Remove a deployment; False if there was none by that name."""
        return self.service.deployments.undeploy(name)

    def add_job(
        self,
        model: str,
        training: Path,
        validation: Path | None = None,
        *,
        suffix: str | None = None,
    ) -> str:
        """Upload `training` (and `validation`) and create a job on the OpenAI side, as a
        client's requests would, but without HTTP; returns the job id.

        For history made before anyone connects (the demo's finished job): no SDK is needed,
        so nothing on the way to the app's first frame imports one. Raises `ApiError` where
        the service would answer 400.
        """
        from .openai.job_requests import parse_job_request

        body: dict[str, Any] = {"model": model, "suffix": suffix}
        for field, path in (("training_file", training), ("validation_file", validation)):
            if path is not None:
                stored = self.state.add_file_bytes(path.name, "fine-tune", path.read_bytes())
                body[field] = stored.id
        with self.state.lock:
            spec = parse_job_request(body, self.state)
        return self.service.jobs.create(spec, self.service.jobs.review(spec)).id

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward instantly; jobs catch up on the next read."""
        self.clock.advance(seconds)
        self.state.tick()

    def server_events(self, job_id: str) -> list[dict[str, Any]]:
        """Every event of a job so far, oldest first, as the wire dicts (ground truth)."""
        with self.state.lock:
            self.state.tick()
            return [event.to_json() for event in self.state.jobs[job_id].events]


def serve_forever(
    port: int,
    speed: float,
    host: str = "127.0.0.1",
    *,
    api_key: str | None = None,
    seed: int | None = None,
    latency: float = 0.0,
    rpm: int | None = None,
) -> None:
    """Run an emulator in the foreground until interrupted (for `tuner emulator`).

    With no `api_key` it accepts any key, and says so on start.
    """
    emulator = Emulator(
        port=port, speed=speed, api_key=api_key, seed=seed, host=host, latency=latency, rpm=rpm
    )
    serve_in_foreground(emulator)


def base_url_lines(emulator: Emulator) -> list[str]:
    """Every base URL the emulator serves, one line each, as a profile's settings take them
    (the Together line is the demo's Together profile's `base_url`)."""
    return [
        f"OpenAI          {emulator.base_url}",
        f"Azure (classic) {emulator.azure_endpoint}  (azure_endpoint; any api-version)",
        f"Azure (v1 API)  {emulator.azure_v1_base_url}",
        f"Together AI     {emulator.together_base_url}",
    ]


def serve_in_foreground(emulator: Emulator) -> None:
    """Start `emulator`, print where it listens and what it accepts, serve until interrupted
    (ctrl-c, SIGTERM or SIGHUP); then stop it and remove its temporary folder, also when it
    could not start (its port taken: the OSError goes on to the caller)."""
    with stop_signals_raise():
        try:
            emulator.start()
            _say_where(emulator)
            threading.Event().wait()
        except (KeyboardInterrupt, Stopped):
            pass
        finally:
            emulator.stop()
            emulator.state.close()


def _say_where(emulator: Emulator) -> None:
    print(
        f"tuner emulator listening on {emulator.host}:{emulator.port} "
        f"(speed x{emulator.speed:g}); base URLs:",
        flush=True,
    )
    for line in base_url_lines(emulator):
        print(f"  {line}", flush=True)
    knobs = emulator.knobs
    if knobs.latency > 0 or knobs.limiter is not None:
        limit = f"{knobs.limiter.rpm} per minute per key and model" if knobs.limiter else "none"
        print(f"Latency: {knobs.latency:g} s per reply; request limit: {limit}", flush=True)
    if emulator.api_key is None:
        print("API key: any key is accepted (start with --key KEY to require one)", flush=True)
    else:
        print("API key: required (the key given with --key)", flush=True)
