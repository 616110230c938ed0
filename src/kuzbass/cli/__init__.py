"""The `kuzbass` command. Each area registers its commands by being imported here.

Command modules import their heavy dependencies (pandas, Django, HiGHS) inside the commands,
so that `kuzbass --help` and small commands start fast.
"""

from kuzbass.cli import economy, planning, simulate  # noqa: F401
from kuzbass.cli.app import app

__all__ = ["app"]
