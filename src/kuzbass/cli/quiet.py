"""No third-party banner reaches the user."""

import os
import sys


def no_solver_banner() -> None:
    """HiGHS prints its copyright banner on the C-level stdout when a process makes its first
    ``Highs`` object, whatever its options say. Make that first one here with stdout sent to
    /dev/null: the banner is gone for the rest of the process and the workers it forks."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
