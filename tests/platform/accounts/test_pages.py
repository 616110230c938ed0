"""The account pages and the accounts API through Django's test client."""

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kuzbass.platform import demo
from kuzbass.platform.accounts import services
from kuzbass.platform.accounts.models import HourRegistration, Transfer, hours
from kuzbass.platform.core.numbers import format_quantity
from kuzbass.platform.councils.models import Council
from kuzbass.platform.plans import services as plans


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_worker_confirms_hours_on_their_page_and_takes_goods(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    registration = services.register_hours(
        economy["officer"],
        economy["council"],
        worker=anna,
        hours_worked="8",
        period="1989-07",
        key="shift-1",
    )
    client = _client(anna)
    page = client.get(reverse("my_account")).content.decode()
    assert "shift-1" in page and "Confirm these hours" in page
    answer = client.post(reverse("confirm_hours", args=[registration.pk]), follow=True)
    assert answer.status_code == 200
    assert "6.00 h credited" in answer.content.decode()
    assert re.search(r'id="balance">6\.00 h', answer.content.decode())

    answer = client.post(reverse("consume"), {"soap": "2"}, follow=True)
    assert "Taken: 2 soap, for 1.00 h" in answer.content.decode()
    answer = client.post(reverse("consume"), {"soap": "100"})
    assert answer.status_code == 409
    assert "cost 50.00 h but your balance is 5.00 h" in answer.content.decode()


def test_another_member_cannot_confirm(economy: dict[str, Any]) -> None:
    anna, boris = economy["members"][:2]
    registration = services.register_hours(
        economy["officer"],
        economy["council"],
        worker=anna,
        hours_worked="8",
        period="1989-07",
        key="shift-1",
    )
    answer = _client(boris).post(reverse("confirm_hours", args=[registration.pk]))
    assert answer.status_code == 403
    assert not Transfer.objects.exists()


def test_officers_register_hours_in_the_workplace_page(economy: dict[str, Any]) -> None:
    council, anna = economy["council"], economy["members"][0]
    url = reverse("register_hours", args=[council.slug])
    data = {
        "registration-worker": anna.pk,
        "registration-hours": "7.5",
        "registration-period": "1989-07",
        "registration-key": "shift-9",
    }
    assert _client(anna).post(url, data).status_code == 403
    officer = _client(economy["officer"])
    assert officer.post(url, data).status_code == 302
    again = officer.post(url, data)
    assert again.status_code == 409
    assert "already registered hours under the reference" in again.content.decode()
    bad = officer.post(url, {**data, "registration-key": "shift-10", "registration-hours": "-3"})
    assert bad.status_code == 400
    assert HourRegistration.objects.count() == 1
    page = officer.get(reverse("workplace_hours", args=[council.slug])).content.decode()
    assert "awaiting the worker's confirmation" in page


def test_statistics_are_public_and_draw_with_local_plotly(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    registration = services.register_hours(
        economy["officer"],
        economy["council"],
        worker=anna,
        hours_worked="10",
        period="1989-07",
        key="m",
    )
    services.confirm_hours(anna, registration)
    services.report_fulfilment(
        economy["officer"],
        economy["council"],
        period="1989-07",
        product="coal",
        planned_output="100",
        actual_output="70",
        planned_hours="10",
    )
    page = Client().get(reverse("statistics")).content.decode()
    assert "/static/plotly/plotly.min.js" in page
    assert "https://" not in page.replace("https://www.w3.org", "")
    assert re.search(r'id="fund-public_fund">1\.5<', page)
    assert "1 of 1 report flagged" in page
    assert "-30.0%" in page


def _row(page: str, row_id: str) -> str:
    """One table row of the comparison page, by its id."""
    start = page.index(f'id="{row_id}"')
    return page[start : page.index("</tr>", start)]


def test_without_an_adopted_plan_the_comparison_says_so(db: None) -> None:
    page = Client().get(reverse("self_accounting"))
    assert page.status_code == 200
    assert "no plan has been adopted yet" in page.content.decode()


def test_self_accounting_of_the_demo_plan_in_rubles_and_in_hours(db: None) -> None:
    demo.load()
    version = plans.adopted_version()
    text = Client().get(reverse("self_accounting")).content.decode()
    assert f"version {version.number}, adopted by the congress" in text
    # money: at 1989 state prices the marginal Vorkuta pit cannot pay its wages ...
    severnaya = _row(text, "money-severnaya-pit")
    assert 'class="flagged"' in severnaya and "no — only" in severnaya
    assert "coal: 11,000\u00a0rubles per thousand tonnes" in severnaya
    # ... while Mezhdurechensk pays them, and is not flagged
    mezhdurechensk = _row(text, "money-mezhdurechensk-pit")
    assert "flagged" not in mezhdurechensk and "<td>yes</td>" in mezhdurechensk
    # hours: at the plan's prices no pit loses; the better pits earn differential rent
    content = version.plan_content
    for slug in ("severnaya-pit", "mezhdurechensk-pit", "karaganda-pit"):
        row = _row(text, f"hours-{slug}")
        assert "flagged" not in row and "loss" not in row and "rubles" not in row
    rent = content["workplaces"]["mezhdurechensk-pit"]["balance"]
    assert rent > 0
    assert f"<td>{format_quantity(rent, grouping=',')}</td>" in _row(
        text, "hours-mezhdurechensk-pit"
    )
    # the hours credited are the ones registered in the database for that council
    council = Council.objects.get(slug="mezhdurechensk-pit")
    credited = hours(services.credited_seconds(council.registrations.all()))
    assert credited > 0
    assert f"<td>{format_quantity(credited, grouping=',')}</td>" in _row(
        text, "hours-mezhdurechensk-pit"
    )

    unknown = SimpleUploadedFile(
        "prices.csv", b"product,price_rubles\ncoal,30\nvodka,5\n", content_type="text/csv"
    )
    answer = Client().post(reverse("self_accounting"), {"price_list": unknown})
    assert answer.status_code == 400
    assert "goods the adopted plan does not have: vodka" in answer.content.decode()

    from kuzbass.scenarios import loader

    prices = loader.state_prices_1989()
    prices["coal"] = prices["coal"] * 3
    csv = "product,price_rubles\n" + "".join(f"{p},{v}\n" for p, v in prices.items())
    upload = SimpleUploadedFile("prices.csv", csv.encode(), content_type="text/csv")
    text = Client().post(reverse("self_accounting"), {"price_list": upload}).content.decode()
    assert "Prices: uploaded price list" in text
    assert "no — only" not in _row(text, "money-severnaya-pit")


@pytest.mark.parametrize("path", ["/api/accounts/funds", "/api/accounts/fulfilment"])
def test_public_api_reads(economy: dict[str, Any], path: str) -> None:
    assert Client().get(path).status_code == 200


def test_api_register_confirm_consume(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    officer = Client(enforce_csrf_checks=False)
    officer.force_login(economy["officer"])
    answer = officer.post(
        f"/api/accounts/workplaces/{economy['council'].slug}/registrations",
        json.dumps({"worker": "anna", "hours": "8", "period": "1989-07", "key": "k"}),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    registration = answer.json()["id"]
    outsider = officer.post(
        f"/api/accounts/workplaces/{economy['council'].slug}/registrations",
        json.dumps({"worker": "marina", "hours": "8", "period": "1989-07", "key": "k2"}),
        content_type="application/json",
    )
    assert outsider.status_code == 400
    assert "marina is not a member" in outsider.json()["detail"]
    worker = _client(anna)
    confirmed = worker.post(f"/api/accounts/registrations/{registration}/confirm")
    assert {t["kind"]: t["hours"] for t in confirmed.json()} == {
        "hours": "6.00",
        "public_fund": "1.20",
        "investment_fund": "0.80",
    }
    taken = worker.post(
        "/api/accounts/consume",
        json.dumps({"goods": {"bread": "2"}}),
        content_type="application/json",
    )
    assert taken.status_code == 201
    assert worker.get("/api/accounts/me").json()["balance_hours"] == "3.50"
    funds = Client().get("/api/accounts/funds").json()
    assert funds["total"] == "0.00"
