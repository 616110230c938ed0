"""The plan pages through Django's test client: forms call the services, refusals are shown."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from tests.platform.conftest import PASSWORD

from kuzbass.platform.core import clock as service_clock
from kuzbass.platform.core.numbers import format_quantity
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import Need, PlanVersion, Technique


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=user.get_username(), password=PASSWORD)
    return client


def test_a_workplace_declares_on_its_page_and_sees_refusals(economy: dict[str, Any]) -> None:
    client = client_for(economy["pit"])
    url = reverse("plans:declare", args=["severnaya"])
    response = client.post(
        url,
        {
            "name": "coal-1",
            "product": "coal",
            "output": "10",
            "labour": "20",
            "capacity": "",
            "inputs": "",
        },
    )
    assert response.status_code == 302
    assert Technique.objects.get(name="coal-1").labour == 20
    response = client.post(
        url, {"name": "coal-2", "product": "slag", "output": "10", "labour": "20", "inputs": ""}
    )
    assert response.status_code == 400
    assert "unknown product &#x27;slag&#x27;" in response.content.decode()
    page = client.get(reverse("plans:council", args=["severnaya"]))
    assert "coal-1" in page.content.decode()
    outsider = client_for(economy["lather"])
    response = outsider.post(
        url, {"name": "coal-3", "product": "coal", "output": "1", "labour": "1"}
    )
    assert response.status_code == 403
    assert not Technique.objects.filter(name="coal-3").exists()


def test_upload_page_reports_the_bad_row(economy: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(economy["pit"])
    response = client.post(
        reverse("plans:upload", args=["severnaya"]),
        {
            "techniques": SimpleUploadedFile(
                "techniques.csv", b"technique,product,output\nc,coal,-1\n"
            ),
            "inputs": SimpleUploadedFile("inputs.csv", b"technique,input,quantity\nc,labour,1\n"),
        },
    )
    assert response.status_code == 400
    assert "techniques.csv line 2: output is &#x27;-1&#x27;: must be positive" in (
        response.content.decode()
    )
    assert Technique.objects.count() == 0


def test_the_cycle_through_the_pages(declared: dict[str, Any], carry: Any) -> None:
    congress = client_for(declared["kon"])
    assert congress.get(reverse("plans:overview")).status_code == 200
    response = congress.post(reverse("plans:run"))
    version = PlanVersion.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "plans:version", args=[version.pk]
    )
    page = congress.get(response.url).content.decode()
    assert version.content_hash in page and "chart-flows" in page and "chart-labour" in page
    # every number with its unit and its term linked to the glossary
    glossary = reverse("plans:glossary")
    for term in ("price", "labour-value", "rent", "valuation", "fulfilment"):
        assert f'href="{glossary}#{term}"' in page
    products = page[page.index('id="products"') :]
    products = products[: products.index("</table>")]
    price = {p["product"]: p for p in version.content["products"]}["coal"]["price"]
    assert f"{format_quantity(price, 'h', grouping=',')} per t" in products
    assert "e+0" not in page and "e-0" not in page
    assert Client().get(glossary).status_code == 200
    town = client_for(declared["mayor"])
    response = town.post(
        reverse("plans:need", args=["vorkuta"]),
        {"product": "soap", "quantity": "120", "use": "basic needs"},
    )
    assert response.status_code == 302
    assert Need.objects.get().quantity == 120
    response = congress.post(reverse("plans:adopt", args=[version.pk]))
    motion_url = response.url
    motion = version.matters.get().motion
    assert motion_url == reverse("motion", args=[motion.pk])
    carry(motion, [declared["kon"]])
    version.refresh_from_db()
    assert version.status == "adopted"
    mine = client_for(declared["pit"]).get(reverse("plans:council", args=["severnaya"]))
    assert "Our part in the adopted plan" in mine.content.decode()
    outputs = mine.content.decode().split("<caption>Outputs</caption>")[1].split("</table>")[0]
    assert re.search(r"<th scope=\"row\">coal</th><td>[\d,.]+\u00a0t</td>", outputs), outputs
    needs = town.get(reverse("plans:council", args=["vorkuta"])).content.decode()
    assert "What our needs get in the adopted plan" in needs
    second = services.run_planning_round(declared["kon"], declared["congress"])
    diff = congress.get(reverse("plans:diff"), {"old": version.number, "new": second.number})
    assert diff.status_code == 200
    assert "vorkuta · soap · basic needs" in diff.content.decode()


def test_round_pages_publish_prices_and_close_after_the_deadline(
    declared: dict[str, Any],
    clock: Any,
) -> None:
    congress = client_for(declared["kon"])
    congress.post(reverse("plans:run"))
    response = congress.post(reverse("plans:open_round"), {"deadline": "2000-01-01T00:00"})
    assert response.status_code == 400 and "in the future" in response.content.decode()
    participatory = services.open_participatory_round(
        declared["kon"], declared["congress"], deadline=service_clock.now() + timedelta(hours=1)
    )
    page = congress.get(reverse("plans:round", args=[participatory.pk])).content.decode()
    assert "Indicative prices" in page and "soap" in page
    mine = client_for(declared["pit"]).get(reverse("plans:council", args=["severnaya"]))
    row = re.search(r"<tr><td>coal-severnaya</td>.*?</tr>", mine.content.decode(), re.S)
    assert row is not None  # coal is priced at its labour value, 2 h, and costs 200 h / 100 t
    assert row.group(0).endswith("<td>2</td><td>2</td></tr>")
    clock(timedelta(hours=2))
    response = congress.post(reverse("plans:close_round", args=[participatory.pk]))
    assert response.status_code == 302
    participatory.refresh_from_db()
    assert participatory.closed_at is not None
    page = congress.get(reverse("plans:round", args=[participatory.pk])).content.decode()
    assert "Supply and demand at this round" in page
    assert "chart-prices" in page and "chart-rounds" in page


@pytest.mark.parametrize("name", ["plans:overview", "plans:diff"])
def test_public_pages_need_no_login(declared: dict[str, Any], name: str) -> None:
    assert Client().get(reverse(name)).status_code == 200


def test_the_plan_page_explains_when_there_is_no_congress_yet(db: None) -> None:
    response = Client().get(reverse("plans:overview"))
    assert response.status_code == 200
    assert "there is no congress yet, so there is no plan" in response.content.decode()
