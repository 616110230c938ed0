"""``kuzbass demo``: the Kuzbass 1989 story loaded through the services, with known outcomes;
and the demo never touches a database that holds anything else."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kuzbass.platform import demo
from kuzbass.platform.accounts import services as accounts
from kuzbass.platform.councils.models import Council, Demand
from kuzbass.platform.plans import services as plans

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_story_loads_plans_and_credits(settings: object) -> None:
    report = demo.load()
    assert report.ledger_ok
    assert demo.check_empty_or_demo() is True
    # the towns' needs: the 1989 plan fell short of soap; the adopted plan meets every need
    soap = [n for n in report.needs if n["product"] == "soap"]
    assert sum(n["quantity"] for n in soap) == 900
    assert soap[0]["plan_1989"] == 200
    assert all(n["fulfilment"] >= 1 - 1e-9 for n in report.needs)
    assert plans.adopted_version().number == report.plan_version
    # self-accounting at 1989 state prices: the Vorkuta pits paid about half their wages
    unpaid = {row["technique"]: row["share"] for row in report.unpaid_1989}
    assert unpaid["coal-severnaya"] == pytest.approx(0.484, abs=0.001)
    assert "coal-mezhdurechensk" not in unpaid
    # demands: the March ones adopted and open, the July ones adopted and in the plan
    status = {d.title: d.status for d in Demand.objects.all()}
    assert status["Soap in the pithead showers"] == "in_plan"
    assert status["Wages paid at a decent rate"] == "open"
    assert sum(s == "in_plan" for s in status.values()) == 4
    # a month of hours: every story member of a producing workplace, at its voted norm
    assert report.credited_hours == "1904.00"
    assert sum(accounts.all_balances().values()) == 0
    assert {login[0] for login in report.logins} >= {"andrei", "galina", "marina"}
    assert len({login[1] for login in report.logins}) == len(report.logins)


@pytest.mark.django_db
def test_a_database_with_other_data_is_refused(make_council: object) -> None:
    assert demo.check_empty_or_demo() is False
    Council.objects.create(name="Someone's council", slug="theirs", kind="workplace")
    with pytest.raises(demo.NotADemoDatabase, match="no demo marker"):
        demo.check_empty_or_demo()


def test_the_command_refuses_a_folder_holding_someone_elses_database(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "KUZBASS_DATA_DIR": str(tmp_path)}
    environment.pop("DATABASE_URL", None)
    theirs = tmp_path / "theirs"
    founded = subprocess.run(
        [
            sys.executable,
            "-m",
            "kuzbass",
            "platform",
            "found-council",
            "--name",
            "Theirs",
            "--slug",
            "theirs",
            "--kind",
            "workplace",
        ],
        env={**environment, "KUZBASS_DATA_DIR": str(theirs)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert founded.returncode == 0, founded.stderr
    before = (theirs / "kuzbass.sqlite3").stat().st_mtime_ns
    refused = subprocess.run(
        [sys.executable, "-m", "kuzbass", "demo", "--no-serve", "--data-dir", str(theirs)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1
    assert "is not a demo database" in refused.stdout
    assert "Nothing was changed" in refused.stdout
    assert (theirs / "kuzbass.sqlite3").stat().st_mtime_ns == before


def test_ledger_verify_after_the_demo_finds_the_demo_database(tmp_path: Path) -> None:
    """As the README says: `make demo`, then `kuzbass ledger verify`, in the same folder."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for name in ("DATABASE_URL", "KUZBASS_DATA_DIR"):
        environment.pop(name, None)

    def kuzbass(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kuzbass", *args],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    loaded = kuzbass("demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stderr
    verified = kuzbass("ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "ok:" in verified.stdout + verified.stderr
    elsewhere = kuzbass("--data-dir", str(tmp_path / "var"), "ledger", "verify")
    assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr
    nowhere = kuzbass("--data-dir", str(tmp_path / "nowhere"), "ledger", "verify")
    assert nowhere.returncode == 2
    assert str(tmp_path / "nowhere") in nowhere.stderr
    assert not (tmp_path / "nowhere" / "kuzbass.sqlite3").exists()
