from pathlib import Path

import pytest

from kuzbass import files


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "values.csv"
    target.write_text("product,value\ncoal,1\n")

    def fail_halfway(stream: object) -> None:
        assert hasattr(stream, "write")
        stream.write("product,value\n")  # type: ignore[attr-defined]
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        files.write_text(target, fail_halfway)
    assert target.read_text() == "product,value\ncoal,1\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["values.csv"]


def test_a_successful_write_replaces_the_file_with_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")
    files.write_text(target, lambda stream: stream.write("новый план"))
    assert target.read_text(encoding="utf-8") == "новый план"
    fresh = tmp_path / "fresh"
    fresh.write_text("")
    assert target.stat().st_mode == fresh.stat().st_mode  # not mkstemp's private 0600
    fresh.unlink()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plan.json"]
