"""Whether a page may use WebCrypto (keystore.js `isSecure`), on the origins a member may open a node's page from.

The non-secure page is a real one: the same node, under a host name chromium resolves to 127.0.0.1 but
that is not 127.0.0.1 or localhost, so the browser does not count it as secure (as for any plain-HTTP
node on a network address).
"""
from __future__ import annotations

from api_harness import Coop
from browser_harness import INSECURE_HOST, OpenProfile, run

CONTEXT = "return {isSecure: keystore.isSecure(), isSecureContext, subtle: typeof crypto.subtle};"


def test_a_page_of_the_node_on_127_0_0_1_is_a_secure_context(open_profile: OpenProfile) -> None:
    assert run(open_profile(), CONTEXT) == {"isSecure": True, "isSecureContext": True, "subtle": "object"}


def test_a_page_over_plain_http_on_another_host_is_not_a_secure_context(open_profile: OpenProfile, coop: Coop) -> None:
    page = open_profile(f"http://{INSECURE_HOST}:{coop.server.port}/")
    assert run(page, CONTEXT) == {"isSecure": False, "isSecureContext": False, "subtle": "undefined"}
