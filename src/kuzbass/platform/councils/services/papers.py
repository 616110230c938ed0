"""Secret ballot papers: kept apart from the roll, counted in a random order, then forgotten.

While a secret ballot is open its papers wait in a pool (:class:`PendingPaper`). At the close
they are written to :class:`BallotPaper` in one batch, shuffled, with fresh random keys and no
time, and the pool's rows are deleted; after the commit :func:`scrub` makes the database forget
them: on SQLite ``secure_delete`` (set on every connection) has zeroed the deleted cells, and a
WAL checkpoint empties the write-ahead log; on PostgreSQL ``VACUUM FULL`` rewrites the pool's
table, so no dead row is left whose transaction id (``xmin``) or position matches the roll's.
The counted papers then share one transaction id and their order is random.
"""

import logging
import secrets
import uuid
from dataclasses import dataclass

from django.db import connection, transaction

from kuzbass import ledger
from kuzbass.platform.councils.models import Ballot, BallotPaper, PendingPaper

logger = logging.getLogger(__name__)


def count_pending(ballot: Ballot) -> int:
    """Move the ballot's pool into the counted papers, shuffled (inside the close)."""
    pool = PendingPaper.objects.filter(ballot=ballot)
    pending = list(pool.values_list("content", "receipt_hash"))
    secrets.SystemRandom().shuffle(pending)
    BallotPaper.objects.bulk_create(
        BallotPaper(id=uuid.uuid4(), ballot=ballot, content=content, receipt_hash=receipt_hash)
        for content, receipt_hash in pending
    )
    pool.delete()
    if pending:
        transaction.on_commit(scrub)
    return len(pending)


def scrub() -> None:
    """Leave no trace of the deleted pool rows in the database's files (after the commit)."""
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            elif connection.vendor == "postgresql" and connection.get_autocommit():
                table = connection.ops.quote_name(PendingPaper._meta.db_table)
                cursor.execute(f"VACUUM FULL {table}")
    except Exception:  # the close is committed; the next close scrubs again
        logger.exception("could not scrub the pool of secret ballot papers")


@dataclass(frozen=True)
class Publication:
    """What the close publishes: the contents, and apart from them the receipt hashes (in a
    secret ballot), so that a receipt proves its paper counted without telling its choice."""

    papers: list[BallotPaper]
    receipts: list[str]


def publication(ballot: Ballot) -> Publication:
    papers = ballot.papers.select_related("voter")
    if not ballot.secret:
        return Publication(list(papers.order_by("receipt_hash")), [])
    ordered = sorted(papers, key=lambda paper: ledger.canonical_json(paper.content))
    return Publication(ordered, sorted(paper.receipt_hash for paper in ordered))


def find_receipt(code: str) -> Ballot | None:
    """The ballot whose paper carries this receipt code (counted once the ballot is closed)."""
    receipt_hash = BallotPaper.hash_receipt(code)
    for model in (BallotPaper, PendingPaper):
        paper = model.objects.select_related("ballot__motion").filter(receipt_hash=receipt_hash)
        found = paper.first()
        if found is not None:
            return found.ballot
    return None
