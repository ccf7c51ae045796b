"""Fixtures for the orgs tests: logged-in page clients and token API clients built on `world`."""

import json

import pytest
from django.test import Client


class Api:
    """A JSON client for /api/v1/ with a bearer token."""

    def __init__(self, key: str | None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        self.client = Client(**headers)

    def _send(self, method, path, data=None):
        kwargs = {"content_type": "application/json"}
        if data is not None:
            kwargs["data"] = json.dumps(data, default=str)
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path, data=None):
        return self._send("post", path, data or {})

    def patch(self, path, data):
        return self._send("patch", path, data)

    def put(self, path, data):
        return self._send("put", path, data)

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}")


@pytest.fixture
def api_for():
    from tongxin.accounts.services import create_api_token

    def make(user):
        _token, key = create_api_token(user=user, name="test", by=user)
        return Api(key)

    return make


@pytest.fixture
def page_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
