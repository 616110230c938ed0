"""Static files: plotly.js served from the plotly Python package (chart pages need no CDN), and
names that carry a hash of the content, so that browsers may keep them for a year."""

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

PLOTLY_STATIC_PATH = "plotly/plotly.min.js"
_PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Finds only ``plotly/plotly.min.js`` (the package's other data is not for the web)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=_PLOTLY_DIR)
        self.storage.prefix = "plotly"  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        if path != PLOTLY_STATIC_PATH:
            return [] if find_all else ""
        found = str(_PLOTLY_DIR / "plotly.min.js")
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Any:
        yield "plotly.min.js", self.storage


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    """Hashed, compressed names once ``collectstatic`` has run (``kuzbass serve`` and ``kuzbass
    demo`` run it; whitenoise then serves them with a year's caching); before that, as in the
    tests, the plain names, so that a page never fails for want of a manifest."""

    manifest_strict = False

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            return name  # not collected (the tests serve the plain files through the finders)
