"""Where the server's log goes when it has no file: the standard error stream of the moment."""

import logging
import sys
from typing import Any, TextIO


class StderrHandler(logging.StreamHandler):
    """A stream handler that writes to ``sys.stderr`` as it is when a record comes, not as it
    was when logging was configured (test runners and servers replace it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass
