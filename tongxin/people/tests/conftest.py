"""People fixtures on top of the shared `world` (tongxin/conftest.py): a grid in community A,
valid ID numbers, and API clients authenticated by token."""

import pytest

from tongxin.core.validators import id_check_digit


def make_id(born: str = "19800101", seq: str = "123", region: str = "110105") -> str:
    """A valid GB 11643 ID number (sex from the parity of the last digit of `seq`)."""
    first17 = f"{region}{born}{seq}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def grid_a(world):
    from tongxin.grids.models import GridLevel
    from tongxin.grids.services import create_grid

    def square(x, y, size):
        return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}

    S = world.system
    street = create_grid(by=S, name="测试街道", code="T", level=GridLevel.STREET, organization=world.street, geometry=square(112.0, 37.0, 0.1))
    community = create_grid(by=S, name="甲社区", code="TA", level=GridLevel.COMMUNITY, organization=world.community_a, parent=street,
                            geometry=square(112.0, 37.0, 0.05))
    return create_grid(by=S, name="甲社区第1网格", code="TA01", level=GridLevel.GRID, organization=world.community_a, parent=community,
                       geometry=square(112.0, 37.0, 0.01))


@pytest.fixture
def api(client):
    """api(user) -> a function (method, path, json=None) calling /api/v1/people with a bearer token of `user`."""
    from tongxin.accounts.services import create_api_token

    def for_user(user, header="bearer"):
        _, key = create_api_token(user=user, name="测试集成")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if header == "bearer" else {"HTTP_X_API_KEY": key}

        def call(method, path, json=None):
            url = "/api/v1/people" + path
            fn = getattr(client, method.lower())
            if method.lower() == "get":
                return fn(url, **headers)
            # No payload means an empty body (as `curl -X POST` sends), not an empty multipart form.
            return fn(url, data="" if json is None else json, content_type="application/json", **headers)

        call.key = key
        return call

    return for_user
