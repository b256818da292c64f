"""The local FerretDB never outlives the process that started it, however that process ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store.ferretdb import REPO_ROOT

PARENT = """
import sys, time
from pathlib import Path
from store.ferretdb import FerretDB
server = FerretDB(Path(sys.argv[1]))
server.start()
print(server.pid, flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ", 1)[1][0] != "Z"


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="runs against MongoDB: no local FerretDB is started")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_ferretdb_stops_when_its_parent_dies(tmp_path: Path, how: signal.Signals) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        assert alive(server_pid)
        parent.send_signal(how)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(server_pid), f"FerretDB {server_pid} outlived its parent ({how.name})"
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
