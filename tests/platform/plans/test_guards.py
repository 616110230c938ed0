"""Uploads accept any line ending; plan figures have bounds named in their refusals."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.platform.plans.test_api import api_client, post

from kuzbass.platform.core.checks import DAYS_PER_PERIOD, LARGEST_QUANTITY, SMALLEST_QUANTITY
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.plans.models import Technique


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"], ids=["CR", "CRLF", "LF"])
def test_an_upload_with_any_line_ending_is_read(economy: dict[str, Any], end: str) -> None:
    techniques = end.join(["technique,product,output", "c-up,coal,10", "c-two,coal,4", ""])
    inputs = end.join(["technique,input,quantity", "c-up,labour,3", "c-two,labour,2", ""])
    response = api_client(economy["pit"]).post(
        "/api/plans/councils/severnaya/techniques/upload",
        {
            "techniques": SimpleUploadedFile("techniques.csv", techniques.encode()),
            "inputs": SimpleUploadedFile("inputs.csv", inputs.encode()),
        },
    )
    assert response.status_code == 201, response.content
    assert {t["name"]: t["labour"] for t in response.json()} == {"c-up": 3, "c-two": 2}


def test_an_upload_with_nul_is_refused(economy: dict[str, Any]) -> None:
    response = api_client(economy["pit"]).post(
        "/api/plans/councils/severnaya/techniques/upload",
        {
            "techniques": SimpleUploadedFile(
                "techniques.csv", b"technique,product,output\nc\0,coal,1\n"
            ),
            "inputs": SimpleUploadedFile("inputs.csv", b"technique,input,quantity\nc\0,labour,3\n"),
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("techniques.csv contains a NUL character")
    assert not Technique.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"hours_per_shift": 8, "days_per_period": DAYS_PER_PERIOD + 1},
            "days_per_period 367 is above the largest figure, 366",
        ),
        (
            {"hours_per_shift": 25, "days_per_period": 20},
            "hours_per_shift 25 is above the largest figure, 24",
        ),
        (
            {"hours_per_shift": 8, "days_per_period": 20, "workers": 10**9},
            "workers 1000000000 must be a whole number from 1 to 100000000",
        ),
    ],
)
def test_norms_have_bounds(economy: dict[str, Any], body: dict[str, Any], message: str) -> None:
    response = post(api_client(economy["pit"]), "/api/plans/councils/severnaya/norms", body)
    assert response.status_code == 400 and response.json()["detail"] == message


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (LARGEST_QUANTITY * 10, "quantity 1e+13 is above the largest figure, 1e+12"),
        (SMALLEST_QUANTITY / 10, "quantity 1e-07 is below the smallest figure, 1e-06 (or give 0)"),
    ],
)
def test_a_need_has_bounds(economy: dict[str, Any], quantity: float, message: str) -> None:
    events = LedgerEvent.objects.count()
    town = api_client(economy["mayor"])
    response = post(
        town, "/api/plans/councils/vorkuta/needs", {"product": "soap", "quantity": quantity}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": message, "field": "quantity"}
    assert LedgerEvent.objects.count() == events
