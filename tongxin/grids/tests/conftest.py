"""Grids over the shared `world`: a street polygon, communities A and B side by side, two grids
in A (the first split into two micro-grids) and one grid in B.

    lat 37.2 +---------+---------+---------+
             | A1b     |         |         |
    lat 37.1 +---------+   A2    |   B1    |   (B2 area: community B without a grid)
             | A1a     |         |         |
    lat 37.0 +---------+---------+---------+--------+
          112.0     112.1     112.2     112.3    112.4
"""

import json

import pytest

from tongxin.grids import services
from tongxin.grids.models import GridLevel


def rect(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def rect_text(*args) -> str:
    return json.dumps(rect(*args))


class Grids:
    pass


@pytest.fixture
def grids(world):
    S = world.system
    g = Grids()
    g.street = services.create_grid(by=S, name="测试街道", code="ST", level=GridLevel.STREET, organization=world.street,
                                    geometry=rect(112.0, 37.0, 112.4, 37.2))
    g.com_a = services.create_grid(by=S, name="甲社区", code="A", level=GridLevel.COMMUNITY, organization=world.community_a,
                                   parent=g.street, geometry=rect(112.0, 37.0, 112.2, 37.2))
    g.com_b = services.create_grid(by=S, name="乙社区", code="B", level=GridLevel.COMMUNITY, organization=world.community_b,
                                   parent=g.street, geometry=rect(112.2, 37.0, 112.4, 37.2))
    g.a1 = services.create_grid(by=S, name="甲社区第一网格", code="A1", level=GridLevel.GRID, organization=world.community_a,
                                parent=g.com_a, geometry=rect(112.0, 37.0, 112.1, 37.2))
    g.a2 = services.create_grid(by=S, name="甲社区第二网格", code="A2", level=GridLevel.GRID, organization=world.community_a,
                                parent=g.com_a, geometry=rect(112.1, 37.0, 112.2, 37.2))
    g.a1a = services.create_grid(by=S, name="甲一网格一号楼", code="A1a", level=GridLevel.MICRO, organization=world.community_a,
                                 parent=g.a1, geometry=rect(112.0, 37.0, 112.1, 37.1))
    g.a1b = services.create_grid(by=S, name="甲一网格二号楼", code="A1b", level=GridLevel.MICRO, organization=world.community_a,
                                 parent=g.a1, geometry=rect(112.0, 37.1, 112.1, 37.2))
    g.b1 = services.create_grid(by=S, name="乙社区第一网格", code="B1", level=GridLevel.GRID, organization=world.community_b,
                                parent=g.com_b, geometry=rect(112.2, 37.0, 112.3, 37.2))
    return g


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


BOWTIE_TEXT = json.dumps({"type": "Polygon", "coordinates": [[[112.1, 37.0], [112.2, 37.1], [112.2, 37.0], [112.1, 37.1], [112.1, 37.0]]]})
