"""A job kind for the worker-process tests: its effect is one document per job key (unique), and every
run is recorded, so a test can tell "each effect once" from "each run once"."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from resolvers.scheduler import JobRun, job_handler

EFFECT = "test.effect"


@job_handler(EFFECT)
async def effect(run: JobRun) -> datetime | None:
    await run.org["test_runs"].insert_one({"key": run.job["key"], "pid": os.getpid()})
    await asyncio.sleep(run.payload.get("seconds", 0))  # a step that takes a while, to be killed in
    try:
        await run.org["test_effects"].insert_one({"key": run.job["key"]})
    except DuplicateKeyError:  # the step ran before (a lease taken over): the effect is there already
        pass
    return None
