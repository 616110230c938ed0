"""The engine on several machines: labour values, gross output and checks on MPI ranks with PETSc.

``mpiexec -n K kuzbass values|output|check ECONOMY`` runs the same commands on K MPI ranks. Each
rank reads its share of a Parquet economy's input rows (its row groups), the rows move to the
rank that owns their product, and PETSc (``petsc4py``) solves the system distributed by rows with
its Krylov solvers; SLEPc finds the spectral radius. Rank 0 gathers the answer and writes it once.

- ``ranks``: the ranks working as one (agreeing on failures, moving rows, gathering answers);
- ``rows``: each rank's rows of the economy, from its share of a Parquet folder, or scattered by
  rank 0 from a CSV folder;
- ``solve``: the PETSc matrix, the Krylov solves and the spectral radius;
- ``commands``: what ``kuzbass values``, ``output`` and ``check`` do under MPI.

This module imports nothing: the commands look here whether an MPI launcher started them, and
only then import the rest (mpi4py, petsc4py), so that without ``mpiexec`` they run as before,
as fast, and where MPI is not installed.
"""

from __future__ import annotations

import os

RANK_VARIABLES = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")
"""Set by MPI launchers in each process they start: Open MPI's mpiexec, MPICH's Hydra
(``PMI_RANK``) and PMIx launchers such as Slurm's srun (``PMIX_RANK``)."""


def launched_by_mpi() -> bool:
    """Whether an MPI launcher started this process (even as its only rank)."""
    return any(name in os.environ for name in RANK_VARIABLES)


def launcher_rank() -> int:
    """This process's rank as the MPI launcher numbered it (0 when not launched by one)."""
    for name in RANK_VARIABLES:
        if name in os.environ:
            return int(os.environ[name])
    return 0
