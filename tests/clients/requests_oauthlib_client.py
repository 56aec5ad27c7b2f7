"""Drives a running netsuite-mock with requests-oauthlib, a real third-party OAuth 1.0a client.

Usage: python requests_oauthlib_client.py BASE_URL
Exits non-zero with a message on the first expectation that fails.
"""
import sys
import time

import requests
from requests_oauthlib import OAuth1

REALM = "1234567_SB1"
CK = "8e5578d771a26ab1d0f96c0655c2634312f12af7e02a33573c4f4eafd00865c9"
CS = "13cdb9356194181710225cff27cb42132e2e4f7e3766ca7a7adda63af04c4d8d"
TK = "b9d79eac6e13c99b55d1c937cff057f51f63d83ad7f3fae65de05a41ec322071"
TS = "5e1cf9da0c2f64444c67855df041303292b3e47069e75a409d9b13668b8b034b"
JSON = {"Content-Type": "application/json"}


def auth(token_secret=TS, **kwargs):
    return OAuth1(CK, CS, TK, token_secret, signature_method="HMAC-SHA256", realm=REALM, **kwargs)


def expect(what, response, status):
    if response.status_code != status:
        sys.exit(f"{what}: expected {status}, got {response.status_code}: {response.text}")
    return response.json()


def main(base):
    url = base + "/app/site/hosting/restlet.nl"
    stock = {"script": "customscript_inventory_stock", "deploy": "customdeploy_inventory_stock", "item_id": "100", "location_id": "3"}
    body = expect("signed GET", requests.get(url, params=stock, auth=auth(), headers=JSON), 200)
    if body["quantityOnHand"] != 25:
        sys.exit(f"signed GET: expected 25 on hand, got {body}")

    adjustment = {"externalId": "py-1", "account": 113, "adjLocation": 1, "items": [{"itemId": 3569, "quantity": 5}]}
    body = expect("signed POST", requests.post(url, params={"script": "101", "deploy": "1"}, json=adjustment, auth=auth()), 200)
    if body.get("success") is not True:
        sys.exit(f"signed POST: {body}")

    body = expect("wrong secret", requests.get(url, params=stock, auth=auth(token_secret="wrong"), headers=JSON), 401)
    if body["error"]["code"] != "INVALID_LOGIN_ATTEMPT":
        sys.exit(f"wrong secret: {body}")

    fixed = auth(nonce="pythonnonce0001", timestamp=str(int(time.time())))
    expect("first use of a nonce", requests.get(url, params=stock, auth=fixed, headers=JSON), 200)
    body = expect("replayed nonce", requests.get(url, params=stock, auth=fixed, headers=JSON), 401)
    if body["error"]["code"] != "INVALID_LOGIN_ATTEMPT":
        sys.exit(f"replayed nonce: {body}")
    print("requests-oauthlib client: all expectations met")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
