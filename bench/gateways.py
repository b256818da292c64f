"""Real gateway processes (`python -m resolvers.cli serve`, uvicorn) on one store, on free loopback ports:
for the tests and benchmarks that need several processes. Each is killed by `kill()` (bounded waits)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from typing import Any

import httpx

WAIT = 20.0
START_WAIT = 60.0  # imports and index creation, on a loaded machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gateway:
    def __init__(self, uri: str, database: str, env: dict[str, str] | None = None) -> None:
        self.uri, self.database = uri, database
        self.extra_env = dict(env or {})
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self.log: Any = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> Gateway:
        for _ in range(3):  # a free port can be taken by another process before the gateway binds it
            if await self._start_once():
                return self
            self.port = free_port()
        raise AssertionError("the gateway did not start three times")

    async def _start_once(self) -> bool:
        env = {**os.environ, "MONGODB_URI": self.uri, "MONGODB_DATABASE": self.database, "PORT": str(self.port),
               "HOST": "127.0.0.1", "SCHEDULER_ENABLED": "false", "API_KEY_CACHE_SECONDS": "0", **self.extra_env}
        self.log = tempfile.TemporaryFile()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "resolvers.cli", "serve", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=self.log)
        try:
            return await asyncio.wait_for(self._until_healthy(), START_WAIT)
        except TimeoutError:
            self.log.seek(0)
            raise AssertionError(f"the gateway did not answer /healthz within {START_WAIT:g} s: "
                                 f"{self.log.read()[-2000:]!r}") from None

    async def _until_healthy(self) -> bool:
        assert self.proc is not None
        async with httpx.AsyncClient() as client:
            while True:
                if self.proc.returncode is not None:
                    self.log.seek(0)
                    output = self.log.read()
                    self.log.close()
                    if b"address already in use" in output.lower():
                        return False
                    raise AssertionError(f"the gateway exited while starting: {output[-2000:]!r}")
                try:
                    if (await client.get(f"http://{self.address}/healthz")).status_code == 200:
                        await asyncio.sleep(0.2)
                        if self.proc.returncode is None:  # it is ours that answered
                            return True
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await asyncio.wait_for(self.proc.wait(), WAIT)
        if self.log is not None and not self.log.closed:
            self.log.close()
