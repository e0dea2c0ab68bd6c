"""Headline savings claims: read them, show the unit costs they imply, check them.

"730 fewer falls over two years, saving £1.2m hospital, £120k ambulance and
£2.75m residential care" becomes a :class:`Claim` (events, years, £ by item);
its implied £ per event avoided is amount ÷ events (£1,644, £164, £3,767).
:func:`check_claim` sets each amount beside what the loaded data and the unit
cost table support, simulated with :func:`analysis.savings.simulate_savings`,
and lists the assumptions the claim needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import pandas as pd

from analysis.costs import CostTable, UnitCost
from analysis.events_avoided import EventsAvoided
from analysis.savings import DEFAULT_DRAWS, DEFAULT_SEED, costs_for, simulate_savings
from analysis.savings_numbers import SavingsInputError, checked_number, format_gbp

SEED_CLAIM = (
    "730 fewer falls over two years, saving £1.2m hospital, £120k ambulance and "
    "£2.75m residential care"
)
"""The headline claim this project started from (ORIGINS.md): the Savings page's example."""


class ClaimParseError(SavingsInputError):
    """A savings claim whose event count or amounts could not be read."""


_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
}
_STOP = r"(?=\s*(?:,|;|:|\.(?!\d)|\(|\band\b|\bplus\b|\bwith\b|$))"
_AMOUNT = re.compile(
    r"£\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>bn|billion|mn|million|thousand|m|k)?\b"
    r"(?:\s+(?:in|on|of|for|from|to)(?=\s))?(?:\s+(?P<item>[a-z][a-z/&' -]*?))?" + _STOP,
    re.IGNORECASE,
)
_EVENTS = re.compile(
    r"(?<![£\d.,])(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>k|thousand)?\s+"
    r"(?:(?:fewer|less)\s+(?P<what>[a-z][a-z -]*?)(?=\s+(?:over|in|across|during|a|per|each|"
    r"saving|worth|,|$))|(?P<what2>[a-z][a-z -]*?)\s+(?:avoided|prevented))",
    re.IGNORECASE,
)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_WORDS |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_YEARS = re.compile(
    r"\b(?:over|across|in|within|during)\s+(?:the\s+)?(?:first\s+|next\s+|last\s+|past\s+)?"
    r"(?P<n>\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?\b"
    r"|\b(?P<n2>\d+)[- ]year\b|\b(?P<one>a year|per year|each year|annually|per annum)\b",
    re.IGNORECASE,
)
_SYNONYMS = {
    "inpatient": "hospital",
    "admission": "hospital",
    "admissions": "hospital",
    "bed": "hospital",
    "beds": "hospital",
    "paramedic": "ambulance",
    "social": "residential",
    "nursing": "residential",
    "long-term": "residential",
}
_GENERIC = {
    "care",
    "cost",
    "costs",
    "saving",
    "savings",
    "services",
    "service",
    "the",
    "nhs",
    "spend",
    "spending",
    "call-out",
    "call-outs",
    "callouts",
}


def _money_value(num: str, scale: str | None) -> float:
    return float(num.replace(",", "")) * _SCALES.get((scale or "").lower(), 1.0)


@dataclass(frozen=True)
class ClaimedItem:
    """One amount in a claim: '£1.2m hospital' → item 'hospital', £1,200,000."""

    item: str
    amount_gbp: float


@dataclass(frozen=True)
class Claim:
    """A headline savings claim read into events, years and amounts by item."""

    events: float
    items: tuple[ClaimedItem, ...]
    years: float | None = None
    text: str = ""

    def __post_init__(self) -> None:
        checked_number(self.events, "claimed events", 0, strict=True)
        if not self.items:
            raise ClaimParseError("the claim has no £ amounts")

    @property
    def implied_cost_per_event(self) -> dict[str, float]:
        """Amount ÷ events for each item (£ per event avoided)."""
        return {i.item: i.amount_gbp / self.events for i in self.items}

    def as_cost_table(self, measure: str) -> CostTable:
        """The unit costs the claim implies (share 1), to run through the same engine."""
        return CostTable(
            tuple(
                UnitCost(
                    measure, i.item, i.amount_gbp / self.events, 1.0, None, "implied by the claim"
                )
                for i in self.items
            )
        )


def parse_claim(text: str) -> Claim:
    """Read '730 fewer falls over two years, saving £1.2m hospital, …' into a :class:`Claim`."""
    found = _EVENTS.search(text)
    if found is None:
        raise ClaimParseError(
            f"no event count found in the claim (write e.g. '730 fewer falls'): {text!r}"
        )
    amounts = [
        ClaimedItem(_item_name(m["item"]), _money_value(m["num"], m["scale"]))
        for m in _AMOUNT.finditer(text)
    ]
    if not amounts:
        raise ClaimParseError(
            f"no £ amounts found in the claim (write e.g. '£1.2m hospital'): {text!r}"
        )
    years = _YEARS.search(text)
    n = None
    if years:
        word = (years["n"] or years["n2"] or "1").lower()
        n = float(_WORDS.get(word, word)) if not years["one"] else 1.0
    return Claim(_money_value(found["num"], found["scale"]), tuple(amounts), n, text)


def _item_name(raw: str | None) -> str:
    words = (raw or "").lower().split()
    while words and words[-1] in _GENERIC - {"care"}:
        words.pop()
    return " ".join(words) or "total"


def _keywords(item: str) -> set[str]:
    words = re.split(r"[^a-z-]+", item.lower())
    return {_SYNONYMS.get(w, w) for w in words if w and w not in _GENERIC}


@dataclass(frozen=True)
class ClaimItemCheck:
    """One claimed amount set against what the data and unit costs support."""

    item: str
    claimed_gbp: float
    implied_cost_per_event: float
    matched_item: str | None
    table_cost_per_event: float | None
    supported_gbp: float | None
    supported_gbp_ci: tuple[float, float] | None
    inside: bool | None


@dataclass(frozen=True)
class ClaimCheck:
    """A claim, item by item, with plain-English findings and the assumptions it needs."""

    claim: Claim
    items: tuple[ClaimItemCheck, ...]
    events_ci: tuple[float, float] | None
    events_inside: bool | None
    findings: tuple[str, ...]
    assumptions: tuple[str, ...]

    def items_frame(self) -> pd.DataFrame:
        """One row per claimed item: claimed £, implied £ per event, what the table supports."""
        rows = [
            {
                "item": i.item,
                "claimed_gbp": i.claimed_gbp,
                "implied_cost_per_event": i.implied_cost_per_event,
                "matched_item": i.matched_item,
                "table_cost_per_event": i.table_cost_per_event,
                "supported_gbp": i.supported_gbp,
                "lower_ci": None if i.supported_gbp_ci is None else i.supported_gbp_ci[0],
                "upper_ci": None if i.supported_gbp_ci is None else i.supported_gbp_ci[1],
                "inside": i.inside,
            }
            for i in self.items
        ]
        return pd.DataFrame(rows)


def check_claim(
    text_or_components: str | Claim,
    events: EventsAvoided | None = None,
    cost_table: CostTable | None = None,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = DEFAULT_SEED,
) -> ClaimCheck:
    """Implied £ per event for each claimed item, and (given events and costs) whether it holds.

    The comparison simulates savings over the claim's years, undiscounted
    (headline claims rarely discount), with :func:`simulate_savings`; a claimed
    amount is "inside" when it lies in the supported interval.
    """
    c = (
        parse_claim(text_or_components)
        if isinstance(text_or_components, str)
        else text_or_components
    )
    n = c.events
    listed = ", ".join(f"{i.item} {format_gbp(i.amount_gbp)}" for i in c.items)
    total = sum(i.amount_gbp for i in c.items)
    span = f" over {c.years:g} year(s)" if c.years else ""
    findings = [f"The claim: {n:,.0f} events avoided{span}, {format_gbp(total)} in all ({listed})."]
    findings += [
        f"{i.item}: {format_gbp(i.amount_gbp)} ÷ {n:,.0f} = £{i.amount_gbp / n:,.0f} "
        "per event avoided."
        for i in c.items
    ]
    assumptions = [
        "Every event counted was avoided because of the programme (against a comparator), "
        "not a decline that would have happened anyway.",
        "Each item is incurred by every avoided event at the implied £ per event (or, if only "
        "some events incur it, the cost per case × that share).",
        "The items do not overlap, and each is a real saving: fewer hospital stays usually "
        "free capacity rather than release cash.",
        "Amounts are undiscounted totals; at 3.5% a year (Green Book) later years count less.",
    ]
    checks = [
        ClaimItemCheck(i.item, i.amount_gbp, i.amount_gbp / n, None, None, None, None, None)
        for i in c.items
    ]
    events_ci = inside = None
    if events is not None and cost_table is not None:
        years = c.years or events.years
        if c.years is None:
            assumptions.append(
                f"The claim does not say over how many years: read as the "
                f"{years:g} year(s) of the estimate."
            )
        costs = costs_for(events, cost_table)
        est = simulate_savings(events, costs, years, 0.0, draws, seed, confidence=events.confidence)
        events_ci = est.events_avoided_ci
        inside = events_ci[0] <= n <= events_ci[1]
        findings.append(
            f"The data support {est.events_avoided:,.0f} events avoided over {years:g} year(s) "
            f"({est.confidence:.0%} interval {events_ci[0]:,.0f} to {events_ci[1]:,.0f}): the "
            f"claimed {n:,.0f} is {'inside' if inside else 'outside'} it."
        )
        by_item = {s.item: s for s in est.by_item}
        used: set[str] = set()
        for k, claimed in enumerate(c.items):
            match = next(
                (
                    u
                    for u in costs
                    if u.item not in used and _keywords(u.item) & _keywords(claimed.item)
                ),
                None,
            )
            if match is None:
                findings.append(f"{claimed.item}: no unit cost in the table matches; not checked.")
                continue
            used.add(match.item)
            got = by_item[match.item]
            ok = got.savings_gbp_ci[0] <= claimed.amount_gbp <= got.savings_gbp_ci[1]
            checks[k] = replace(
                checks[k],
                matched_item=match.item,
                table_cost_per_event=match.cost_per_event,
                supported_gbp=got.savings_gbp,
                supported_gbp_ci=got.savings_gbp_ci,
                inside=ok,
            )
            ratio = (
                checks[k].implied_cost_per_event / match.cost_per_event
                if match.cost_per_event
                else math.inf
            )
            findings.append(
                f"{claimed.item}: claimed {format_gbp(claimed.amount_gbp)}; supported "
                f"{format_gbp(got.savings_gbp)} ({est.confidence:.0%} interval "
                f"{format_gbp(got.savings_gbp_ci[0])} to {format_gbp(got.savings_gbp_ci[1])}): "
                f"{'inside' if ok else 'outside'}. The table's {match.item} is "
                f"£{match.cost_gbp:,.0f} × share {match.share:g} = £{match.cost_per_event:,.0f} "
                f"per event; the claim's £{claimed.amount_gbp / n:,.0f} is {ratio:.2f} times that."
            )
        for u in costs:
            if u.item not in used:
                findings.append(
                    f"The table also has {u.item} ({format_gbp(by_item[u.item].savings_gbp)}"
                    " supported), which the claim leaves out."
                )
    return ClaimCheck(c, tuple(checks), events_ci, inside, tuple(findings), tuple(assumptions))
