"""How numbers read on the dashboard: money, counts, percentages, changes. Pure functions."""

from __future__ import annotations

MISSING = "—"


def money(value: float | None, symbol: str = "$") -> str:
    if value is None:
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def count(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.0f}"


def percent(value: float | None, digits: int = 1) -> str:
    return MISSING if value is None else f"{value:.{digits}f}%"


def rating(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f} / 10"


def change(value: float | None) -> str | None:
    """Change vs the previous period for st.metric's delta; None hides the arrow (no previous data)."""
    return None if value is None else f"{value:+.1f}%"
