"""The `kuzbass` command. Each area registers its commands by being imported here.

Command modules import their heavy dependencies (pandas, Django, HiGHS) inside the commands,
so that `kuzbass --help` and small commands start fast.
"""

from kuzbass.cli import (
    accounts,  # noqa: F401
    ballot,  # noqa: F401
    demo,  # noqa: F401
    economy,  # noqa: F401
    planning,  # noqa: F401
    platform,  # noqa: F401
    simulate,  # noqa: F401
)
from kuzbass.cli.app import app

__all__ = ["app"]
