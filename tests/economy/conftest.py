from collections.abc import Callable
from pathlib import Path

import pytest

FARM = {
    "products.csv": "product,unit\ncorn,t\niron,t\n",
    "techniques.csv": "technique,product,output\nfarm,corn,10\nmill,iron,4\n",
    "inputs.csv": (
        "technique,input,quantity\n"
        "farm,corn,2\nfarm,iron,1\nmill,corn,1\nmill,iron,0.4\n"
        "farm,labour,5\nmill,labour,4\n"
    ),
    "resources.csv": "resource,unit,available\nlabour,hours,1000\n",
    "demand.csv": "product,quantity\ncorn,10\niron,5\n",
}
"""Two products solved by hand: A = [[0.2, 0.25], [0.1, 0.1]], l = (0.5, 1).

Labour values v = (110, 185)/139; gross output for d = (10, 5) is x = (2050, 1000)/139.
"""

FolderMaker = Callable[..., Path]


@pytest.fixture
def make_folder(tmp_path: Path) -> FolderMaker:
    """Write the farm economy into a folder, replacing or removing (None) some files."""

    def make(name: str = "farm", **changes: str | None) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        files = dict(FARM)
        for stem, text in changes.items():
            files[f"{stem}.csv"] = text
        for file, text in files.items():
            if text is not None:
                (folder / file).write_text(text)
        return folder

    return make
