from hypothesis import given
from hypothesis import strategies as st

from kuzbass.distributed.rows import share_of


@given(st.lists(st.integers(1, 1000), max_size=60), st.integers(1, 16))
def test_shares_cover_every_row_group_once_with_about_equal_rows(
    rows: list[int], size: int
) -> None:
    shares = [share_of(rows, rank, size) for rank in range(size)]
    assert [g for share in shares for g in share] == list(range(len(rows)))
    ideal = sum(rows) / size
    for share in shares:
        assert abs(sum(rows[g] for g in share) - ideal) <= max(rows, default=0)
