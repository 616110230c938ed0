"""The plan cycle through the JSON API, with the CSRF token a browser script would send."""

import json
from typing import Any

from django.test import Client
from tests.platform.conftest import PASSWORD

from kuzbass.platform.ledger.services import verify_database
from kuzbass.platform.plans.models import PlanVersion, Technique


def api_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # a page with a form sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/auth/login",
        json.dumps({"username": user.get_username(), "password": PASSWORD}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_declare_submit_run_and_read_parts_through_the_api(economy: dict[str, Any]) -> None:
    mine = api_client(economy["pit"])
    response = post(
        mine,
        "/api/plans/councils/severnaya/techniques",
        {"name": "coal-api", "product": "coal", "output": 100, "labour": 200, "capacity": 1000},
    )
    assert response.status_code == 201, response.content
    assert response.json()["workplace"] == "severnaya"
    response = post(
        mine,
        "/api/plans/councils/severnaya/techniques",
        {"name": "coal-api", "product": "coal", "output": -1, "labour": 200},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "technique: output -1 must be > 0"
    assert Technique.objects.get(name="coal-api").output == 100

    town = api_client(economy["mayor"])
    response = post(town, "/api/plans/councils/vorkuta/needs", {"product": "coal", "quantity": 50})
    assert response.status_code == 201
    response = post(town, "/api/plans/versions", {})
    assert response.status_code == 403  # only the congress's officers run rounds

    congress = api_client(economy["kon"])
    response = post(congress, "/api/plans/versions", {})
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    version = PlanVersion.objects.get(number=number)
    assert response.json()["content_hash"] == version.content_hash
    part = congress.get(f"/api/plans/versions/{number}/councils/severnaya").json()
    assert part["hours"] > 0 and part["outputs"][0]["item"] == "coal"
    needs = congress.get(f"/api/plans/versions/{number}/councils/vorkuta").json()["needs"]
    assert needs[0]["product"] == "coal"
    assert congress.get("/api/plans/labour-values").status_code == 404
    response = post(congress, f"/api/plans/versions/{number}/adoption", {})
    assert response.status_code == 201 and response.json()["status"] == "tabled"
    schema = congress.get("/api/openapi.json").json()
    assert "/api/plans/versions/{number}/adoption" in schema["paths"]


def test_upload_through_the_api(economy: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    mine = api_client(economy["pit"])
    response = mine.post(
        "/api/plans/councils/severnaya/techniques/upload",
        {
            "techniques": SimpleUploadedFile(
                "techniques.csv", b"technique,product,output\nc-up,coal,10\n"
            ),
            "inputs": SimpleUploadedFile(
                "inputs.csv", b"technique,input,quantity\nc-up,labour,3\n"
            ),
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()[0]["labour"] == 3


def test_withdrawing_a_need_through_the_api(declared: dict[str, Any]) -> None:
    town = api_client(declared["mayor"])
    outsider = api_client(declared["pit"])
    assert outsider.delete("/api/plans/councils/vorkuta/needs/soap").status_code == 403
    response = town.delete("/api/plans/councils/vorkuta/needs/soap")
    assert response.status_code == 204
    assert town.get("/api/plans/councils/vorkuta/needs").json() == []
    assert town.delete("/api/plans/councils/vorkuta/needs/soap").status_code == 404
    assert verify_database().ok  # the withdrawn need is kept, marked, and sealed again
    response = post(town, "/api/plans/councils/vorkuta/needs", {"product": "soap", "quantity": 7})
    assert response.status_code == 201
    assert [n["quantity"] for n in town.get("/api/plans/councils/vorkuta/needs").json()] == [7]
