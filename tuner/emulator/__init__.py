"""A local OpenAI-compatible HTTP server for tests and `tuner --demo`.

It speaks the service's wire format for files, uploads, fine-tuning jobs (with events,
metrics and checkpoints on a compressed clock), models and chat completions (plain and
streamed), under `/v1` and Azure's `/openai` layout, and can inject faults. The real
`openai` SDK talks to it over real HTTP on 127.0.0.1, so what passes here passes the
SDK's own parsing.

    with Emulator(speed=500) as emu:
        client = OpenAI(base_url=emu.base_url, api_key="test-key")
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from .checks import TrainingFileChecker, default_training_file_checker
from .clock import SimClock
from .faults import Fault, FaultSet
from .ids import IdFactory
from .server import EmulatorHTTPServer
from .service import Service
from .store import State

__all__ = ["Emulator", "Fault", "FaultSet", "serve_forever"]


class Emulator:
    """The emulated service, running in a daemon thread while started.

    - `port`: 0 picks a free port.
    - `speed`: simulated seconds per real second (every simulated delay is divided by it).
    - `api_key`: the only key accepted; None accepts any key (and none).
    - `training_file_checker`: bytes -> None if acceptable, else the failure message;
      defaults to `checks.default_training_file_checker`.
    - `seed`: makes ids, job seeds and metrics reproducible.
    """

    def __init__(
        self,
        port: int = 0,
        speed: float = 1.0,
        api_key: str | None = "test-key",
        training_file_checker: TrainingFileChecker | None = None,
        seed: int = 0,
        *,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key
        self.clock = SimClock(speed)
        self.faults = FaultSet()
        checker = training_file_checker or default_training_file_checker
        self.state = State(self.clock, IdFactory(seed), checker, seed)
        self.service = Service(self.state)
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

    # Test helpers -------------------------------------------------------------------

    @property
    def speed(self) -> float:
        return self.clock.speed

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward instantly; jobs catch up on the next read."""
        self.clock.advance(seconds)
        self.state.tick()

    def server_events(self, job_id: str) -> list[dict[str, Any]]:
        """Every event of a job so far, oldest first, as the wire dicts (ground truth)."""
        with self.state.lock:
            self.state.tick()
            return [event.to_json() for event in self.state.jobs[job_id].events]


def serve_forever(port: int, speed: float, host: str = "127.0.0.1") -> None:
    """Run an emulator in the foreground until interrupted (for `tuner emulator`).

    It accepts any API key, since it holds nothing worth protecting.
    """
    emulator = Emulator(port=port, speed=speed, api_key=None, host=host)
    emulator.start()
    print(f"tuner emulator listening on {emulator.base_url} (speed x{speed:g})", flush=True)
    print(f"Azure endpoint: {emulator.azure_endpoint}  (any api-version, any key)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
