"""Reads of the routing model. `predict` is what the service loop's dispatch suggestion asks."""


def predict(*, alliance, text: str) -> dict | None:
    """The learned suggestion for a request text, or None when there is no usable model yet.

    Returns {"category": Category | None, "unit": Organization | None, "confidence": float (0..1),
    "reason": str (Chinese, for the dispatcher)}.
    """
    return None
