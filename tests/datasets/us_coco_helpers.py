"""Helpers for writing tiny COCO annotations in the dataset tests."""


def square(x: float, y: float, size: float) -> list:
    """COCO polygon of an axis-aligned square."""
    return [[x, y, x + size, y, x + size, y + size, x, y + size]]
