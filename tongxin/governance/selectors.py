"""Reads of agreements, obligations and adopted road segments, always scoped."""


def adopter_at(*, alliance, lng: float, lat: float):
    """(unit, road segment) whose adopted segment (门前三包) covers the point, or None."""
    return None
