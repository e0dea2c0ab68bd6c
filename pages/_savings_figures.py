"""Savings page figures: a metric with its interval underneath, and the formats they use."""


def interval_text(low: float, high: float, fmt, confidence: float = 0.95) -> str:
    """'95% interval a to b' with the figure's own format."""
    return f"{confidence:.0%} interval {fmt(low)} to {fmt(high)}"


def figure(column, label: str, value: float, ci: tuple[float, float], fmt, help=None) -> None:
    """A metric with its interval underneath (every figure on this page has one)."""
    column.metric(label, fmt(value), help=help)
    column.caption(interval_text(*ci, fmt))


def events_text(x: float) -> str:
    """Whole events with thousands separators."""
    return f"{x:,.0f}"


def ratio_text(x: float) -> str:
    """A ratio to two decimals."""
    return f"{x:,.2f}"


def percent_text(x: float) -> str:
    """A fraction as a whole percentage."""
    return f"{x:.0%}"
