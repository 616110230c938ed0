"""MPI ranks working as one: agreeing on failures, moving rows to their owners, gathering answers.

A rank that meets a bad row or runs out of memory must stop every rank, with one message: the
others would otherwise wait for it forever in the next collective call. So every step that can
fail on one rank alone talks to no other rank, and ends in ``agree``, where all ranks learn
whether any failed. Anything else that goes wrong (a fault in MPI or PETSc, a bug) aborts the
whole MPI job from ``stop_all_on_failure`` after saying which rank failed and why.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
from mpi4py import MPI

from kuzbass.economy.errors import EconomyError
from kuzbass.linalg import LeontiefError

T = TypeVar("T")


class Ranks:
    """The ranks of one MPI job (``MPI.COMM_WORLD`` by default)."""

    def __init__(self, comm: MPI.Comm | None = None) -> None:
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()

    @property
    def root(self) -> bool:
        return self.rank == 0

    def __str__(self) -> str:
        return f"{self.size} MPI rank" + ("" if self.size == 1 else "s")

    def agree(self, step: Callable[[], T], doing: str) -> T:
        """Run ``step``, which talks to no other rank, then stop every rank if one failed.

        Rank 0 then raises the problems of all ranks (each said once; its own error as it was
        when no other rank had more to say); the other ranks leave quietly with status 0, so
        that the job's status is rank 0's (and mpiexec does not stop rank 0 mid-message).
        ``doing`` says what the step does, for the message when a rank runs out of memory.
        """
        own: EconomyError | LeontiefError | None = None
        result: T | None = None
        try:
            result = step()
        except (EconomyError, LeontiefError) as error:
            own = error
        except MemoryError:
            own = EconomyError(
                [
                    f"rank {self.rank} of {self.size} ran out of memory while {doing}: "
                    f"run on more ranks, or on machines with more memory per rank"
                ]
            )
        everyone = self.comm.allgather([] if own is None else own.problems)
        problems = list(dict.fromkeys(p for rank_problems in everyone for p in rank_problems))
        if problems:
            if not self.root:
                raise SystemExit(0)
            if own is not None and own.problems == problems:
                raise own
            raise EconomyError(problems)
        return result  # type: ignore[return-value]

    @contextmanager
    def stop_all_on_failure(self) -> Iterator[None]:
        """Abort every rank when this one fails other than through ``agree``."""
        try:
            yield
        except (EconomyError, LeontiefError, SystemExit):
            raise
        except BaseException as error:
            if self.size == 1:
                raise
            sys.stderr.write(f"rank {self.rank} of {self.size} failed: {error!r}\n")
            sys.stderr.flush()
            self.comm.Abort(1)

    def exchange(self, destination: np.ndarray, *columns: np.ndarray) -> list[np.ndarray]:
        """Send entry i of each column to rank ``destination[i]``; what this rank received,
        in rank order."""
        counts = np.bincount(destination, minlength=self.size).astype(np.int64)
        order = np.argsort(destination, kind="stable")
        incoming = np.empty(self.size, dtype=np.int64)
        self.comm.Alltoall(counts, incoming)
        sent_at = np.concatenate([[0], np.cumsum(counts)[:-1]])
        received_at = np.concatenate([[0], np.cumsum(incoming)[:-1]])
        received = []
        for column in columns:
            outgoing = np.ascontiguousarray(column[order])
            arrived = np.empty(int(incoming.sum()), dtype=column.dtype)
            self.comm.Alltoallv([outgoing, (counts, sent_at)], [arrived, (incoming, received_at)])
            received.append(arrived)
        return received

    def gather(self, part: np.ndarray) -> np.ndarray | None:
        """The parts of all ranks joined in rank order, on rank 0 (None elsewhere)."""
        counts = np.array(self.comm.allgather(len(part)), dtype=np.int64)
        whole = np.empty(int(counts.sum()), dtype=part.dtype) if self.root else None
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        target = [whole, (counts, starts)] if self.root else None
        self.comm.Gatherv(np.ascontiguousarray(part), target, root=0)
        return whole

    def total(self, value: float) -> float:
        return float(self.comm.allreduce(value, op=MPI.SUM))

    def any(self, flag: bool) -> bool:
        return bool(self.comm.allreduce(bool(flag), op=MPI.LOR))
