"""Things that fall due with time — a ballot reaching its closing time, and later others — done
by the task worker (or an operator's ``kuzbass platform close-due``), never by a page view.

The hook: an app registers one callable per kind of due thing in its ``AppConfig.ready``::

    from kuzbass.platform.core import due
    due.register(close_due_ballots)

Each callable takes no argument, does everything that is due now in its own transactions, and
returns how many things it did. :func:`run_due` calls them all; the worker's task
(:mod:`kuzbass.platform.core.tasks`) calls :func:`run_due` every few seconds and at every
moment a service asked for with :func:`kuzbass.platform.core.tasks.wake_at`.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Job = Callable[[], int]

JOBS: list[Job] = []


def register(job: Job) -> Job:
    """Add a due job (once, whatever the number of calls); usable as a decorator."""
    if job not in JOBS:
        JOBS.append(job)
    return job


def name(job: Job) -> str:
    return f"{job.__module__}.{job.__qualname__}"


def run_due() -> dict[str, int]:
    """Run every registered job; one failing is logged and does not stop the others."""
    done: dict[str, int] = {}
    for job in JOBS:
        try:
            done[name(job)] = job()
        except Exception:
            logger.exception("due job %s failed", name(job))
            done[name(job)] = -1
    return done
