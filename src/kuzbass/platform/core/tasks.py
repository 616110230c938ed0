"""The background tasks, run by django-tasks' database worker (``db_worker``), which
``kuzbass serve`` and ``kuzbass demo`` start beside the web server and ``kuzbass platform
worker`` runs on its own. The queue is a table of the platform's database, so SQLite needs no
other service and PostgreSQL works the same.

One task, :func:`run_due`, runs the jobs of :mod:`kuzbass.platform.core.due`. It runs every
``KUZBASS_DUE_SECONDS`` (a self-renewing chain, so a worker down for a while catches up when it
is back) and also at each moment a service asked for with :func:`wake_at` (a ballot's closing
time), so that things happen on time and not up to a period late.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from kuzbass.platform.core import clock, due


@task()
def run_due(renew: bool = False) -> dict[str, int]:
    """Do what is due; in the periodic chain (``renew``), also book the next round."""
    done = due.run_due()
    if renew:
        ensure_periodic(after=settings.KUZBASS_DUE_SECONDS)
    return done


def wake_at(moment: datetime) -> None:
    """Have the worker run the due jobs at ``moment`` (once the current transaction commits)."""
    transaction.on_commit(lambda: run_due.using(run_after=moment).enqueue())


def ensure_periodic(after: float = 0) -> None:
    """Book the periodic round unless one is already waiting (the worker calls this at start)."""
    waiting = DBTaskResult.objects.filter(
        task_path=run_due.module_path, status="READY", args_kwargs__kwargs__renew=True
    )
    if not waiting.exists():
        run_due.using(run_after=clock.now() + timedelta(seconds=after)).enqueue(renew=True)
