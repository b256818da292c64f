"""The local document server: FerretDB v1.24.2 with its SQLite backend, for development and tests.

Built from `tools/ferretdb` (a thin wrapper around FerretDB's embeddable package, see its main.go for
why not plain `go install`) into Go's bin folder, then started on a free loopback port with its own
data folder. Production and anyone with MongoDB set `MONGODB_URI` instead and never start this.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

FERRETDB_VERSION = "v1.24.2"
# The suffix is the wrapper's own revision (tools/ferretdb/main.go): bump it when the wrapper changes,
# so a binary cached in Go's bin folder by an older checkout is not reused.
WRAPPER_REVISION = 2
BINARY_NAME = f"customer-graph-ferretdb-{FERRETDB_VERSION}-w{WRAPPER_REVISION}"
REPO_ROOT = Path(__file__).resolve().parent.parent
WRAPPER_DIR = REPO_ROOT / "tools" / "ferretdb"


def _go_bin_dir() -> Path:
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("Go is needed to build FerretDB (or set MONGODB_URI to use a MongoDB server)")
    env = {**os.environ, "GOTOOLCHAIN": "local"}
    gobin = subprocess.run([go, "env", "GOBIN"], capture_output=True, text=True, env=env, check=True)
    if gobin.stdout.strip():
        return Path(gobin.stdout.strip())
    gopath = subprocess.run([go, "env", "GOPATH"], capture_output=True, text=True, env=env, check=True)
    return Path(gopath.stdout.strip().split(os.pathsep)[0]) / "bin"


def binary_path() -> Path:
    return _go_bin_dir() / BINARY_NAME


def build() -> Path:
    """Builds the FerretDB binary once; later calls find it cached in Go's bin folder."""
    target = binary_path()
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    print(f"building FerretDB {FERRETDB_VERSION} into {target} (first run only) ...", file=sys.stderr)
    subprocess.run(["go", "build", "-o", str(target), "."], cwd=WRAPPER_DIR, env=env, check=True)
    return target


class FerretDB:
    """A running FerretDB process on 127.0.0.1 with a free port; `uri` is set once it is ready."""

    def __init__(self, data_dir: Path, log_level: str = "error", listen: str = "127.0.0.1:0") -> None:
        self.data_dir = data_dir
        self.listen = listen
        self.log_level = log_level
        self.uri = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 60.0) -> str:
        binary = build()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [
                str(binary),
                f"--listen-addr={self.listen}",
                f"--sqlite-url=file:{self.data_dir.resolve()}/",
                f"--log-level={self.log_level}",
                # The server stops when this pipe closes, i.e. whenever this process ends, however it ends.
                "--exit-on-stdin-eof",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(self._proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        line = ready[0] if ready else ""
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"FerretDB did not start within {timeout}s (said {line!r})")
        # One connection per client: FerretDB v1 applies every update as read, modify, write back
        # (separate steps, see its handler/msg_findandmodify.go), so updates racing on different
        # connections lose writes and guarded updates are not exclusive (measured: 50 concurrent
        # `$inc` -> 5). One connection's commands run in order, which makes each single-document
        # update atomic again for this process. MongoDB needs none of this: it keeps its pool.
        self.uri = line.split(" ", 1)[1].strip().rstrip("/") + "/?maxPoolSize=1"
        return self.uri

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc is not None:
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe is not None:
                    pipe.close()
        self._proc = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def __enter__(self) -> FerretDB:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    if sys.argv[1:] == ["build"]:
        print(build())
    else:
        sys.exit("usage: python -m store.ferretdb build")
