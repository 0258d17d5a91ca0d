"""Device links: a short-lived code under which a new device leaves its key for the old device to add.

The codes live in the node's home, never in the repository, and a code holds no
power: the old device signs the addition (tests/browser/test_devices.py).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.usecases import device_links
from coop import canonical, statements
from coop.keys import KeyPair
from coop.node import Node


def post(client: FlaskClient, path: str, body: Any) -> Any:
    """Post a canonical JSON body and return the answer."""
    return client.post(path, data=canonical.encode(body), content_type="application/json")


def started(client: FlaskClient, handle: str = "carol") -> dict[str, Any]:
    """Ask for a code for a member's next device and return the answer."""
    answer = post(client, "/api/v1/device-links", {"handle": handle})
    assert answer.status_code == 201, answer.get_json()
    return dict(answer.get_json())


def test_a_code_waits_for_a_device_for_ten_minutes(node: Node, client: FlaskClient) -> None:
    link = started(client)

    assert link["link"] == f"http://localhost/link/{link['code']}" and link["offer"] is None and link["added"] is False
    until = statements.parse_time(link["expires"]) - statements.parse_time(node.clock())
    assert timedelta(minutes=9) < until <= timedelta(minutes=10)


def test_the_new_device_s_key_is_shown_under_the_code(client: FlaskClient) -> None:
    code, laptop = started(client)["code"], KeyPair.generate("carol").public
    post(client, f"/api/v1/device-links/{code}", {"public": laptop.to_b64(), "label": "laptop"})

    standing = client.get(f"/api/v1/device-links/{code.lower().replace('-', '')}").get_json()
    assert standing["offer"] == {"kid": laptop.kid, "public": laptop.to_b64(), "label": "laptop"} and standing["added"] is False


def test_a_second_key_under_one_code_is_refused(client: FlaskClient) -> None:
    code = started(client)["code"]
    first = KeyPair.generate("carol").public.to_b64()
    post(client, f"/api/v1/device-links/{code}", {"public": first, "label": "laptop"})

    again = post(client, f"/api/v1/device-links/{code}", {"public": KeyPair.generate("x").public.to_b64(), "label": "mine"})
    assert again.status_code == 409 and "used this code already" in again.get_json()["error"]["message"]
    assert client.get(f"/api/v1/device-links/{code}").get_json()["offer"]["public"] == first


def test_a_code_ends_after_ten_minutes(node: Node, client: FlaskClient) -> None:
    code = started(client)["code"]
    later = statements.format_time(statements.parse_time(node.clock()) + timedelta(minutes=11))
    node.clock = lambda: later

    answer = client.get(f"/api/v1/device-links/{code}")
    assert answer.status_code == 404 and "unknown or has ended" in answer.get_json()["error"]["message"]


@pytest.mark.parametrize("code", ["7K2M-QX9P-4RTD-8HWA", "nonsense"], ids=["unknown", "malformed"])
def test_an_unknown_code_is_not_found(client: FlaskClient, code: str) -> None:
    assert client.get(f"/api/v1/device-links/{code}").status_code == 404


def test_the_link_page_of_an_unknown_code_says_so(client: FlaskClient) -> None:
    page = client.get("/link/7K2M-QX9P-4RTD-8HWA")
    assert page.status_code == 404 and page.mimetype == "text/html" and "This code does not work" in page.get_data(as_text=True)


def test_the_link_page_of_a_code_names_the_member(client: FlaskClient) -> None:
    code = started(client)["code"]
    for path in (f"/link/{code}", f"/link?code={code}"):
        assert "This device joins <strong>carol</strong>’s account" in client.get(path).get_data(as_text=True)


def test_a_code_is_only_for_a_member(client: FlaskClient) -> None:
    assert post(client, "/api/v1/device-links", {"handle": "nobody"}).status_code == 404


@pytest.mark.parametrize("body", [{"handle": 3}, {"handle": "carol", "more": "x"}, ["carol"]], ids=["number", "extra field", "array"])
def test_a_malformed_request_for_a_code_is_refused(client: FlaskClient, body: Any) -> None:
    assert post(client, "/api/v1/device-links", body).status_code == 400


def test_a_member_has_at_most_a_few_codes_waiting(node: Node, client: FlaskClient) -> None:
    codes = [started(client)["code"] for _ in range(device_links.MAX_WAITING + 1)]

    assert client.get(f"/api/v1/device-links/{codes[0]}").status_code == 404
    assert all(client.get(f"/api/v1/device-links/{code}").status_code == 200 for code in codes[1:])


def test_codes_stay_in_the_node_s_home_hashed_and_out_of_the_repository(node: Node, client: FlaskClient) -> None:
    code = started(client)["code"]

    kept = (node.home / device_links.STATE_FILE).read_text()
    assert code not in kept and "carol" in kept
    assert node.view().read(device_links.STATE_FILE) is None
