"""Claims: the seed claim's implied unit costs, parsing variants, and checks against data."""

from __future__ import annotations

import pytest

from analysis.claims import SEED_CLAIM as SEED_CLAIM_ON_PAGE
from analysis.claims import ClaimParseError, check_claim, parse_claim
from analysis.costs import load_default_costs
from analysis.events_avoided import EventsAvoided
from analysis.savings import simulate_savings
from analysis.savings_numbers import SavingsInputError
from tests.savings_helpers import FALLS, SEED_CLAIM, fixed_events


def test_seed_claim_implied_unit_costs():
    claim = parse_claim(SEED_CLAIM)
    assert (claim.events, claim.years) == (730, 2)
    implied = claim.implied_cost_per_event
    assert list(implied) == ["hospital", "ambulance", "residential care"]
    assert {k: round(v) for k, v in implied.items()} == {
        "hospital": 1644,
        "ambulance": 164,
        "residential care": 3767,
    }


def test_seed_claim_reproduced_exactly_through_the_engine():
    claim = parse_claim(SEED_CLAIM)
    est = simulate_savings(
        fixed_events(730, years=2), claim.as_cost_table(FALLS), horizon_years=2, discount_rate=0
    )
    got = {i.item: i.savings_gbp for i in est.by_item}
    assert got == pytest.approx(
        {"hospital": 1_200_000, "ambulance": 120_000, "residential care": 2_750_000}, rel=1e-12
    )
    assert est.savings_gbp == pytest.approx(4_070_000, rel=1e-12)
    assert est.events_avoided == pytest.approx(730)


def test_claim_against_the_default_costs():
    check = check_claim(SEED_CLAIM, fixed_events(730, years=2), load_default_costs())
    by_item = {c.item: c for c in check.items}
    assert {k: c.matched_item for k, c in by_item.items()} == {
        "hospital": "hospital admission",
        "ambulance": "ambulance call-out",
        "residential care": "residential care",
    }
    # With events fixed at 730 the supported amounts are 730 × table cost: £2,984,240 etc.
    assert by_item["hospital"].supported_gbp == pytest.approx(730 * 4088)
    assert by_item["residential care"].supported_gbp == pytest.approx(730 * 3393)
    assert not any(c.inside for c in check.items)
    assert check.events_inside is True
    text = " ".join(check.findings)
    assert "£1,644 per event avoided" in text and "0.40 times" in text
    assert any("capacity rather than release cash" in a for a in check.assumptions)


def test_claim_outside_the_events_interval_and_without_data():
    ev = EventsAvoided(300, (200, 400), 2, "normal", 51.0, measure=FALLS)
    check = check_claim(SEED_CLAIM, ev, load_default_costs())
    assert check.events_inside is False
    (line,) = [f for f in check.findings if f.startswith("The data support")]
    assert "300 events avoided over 2 year(s)" in line and "730 is outside" in line
    bare = check_claim(SEED_CLAIM)
    assert bare.events_inside is None and all(c.inside is None for c in bare.items)


@pytest.mark.parametrize(
    ("text", "events", "years", "amounts"),
    [
        ("We prevented 1,200 admissions avoided in 3 years: £1,500,000 in hospital costs; "
         "£0.3 million social care.", 1200, 3, {"hospital": 1.5e6, "social care": 3e5}),
        ("A 2-year programme: 50 fewer hospital admissions, saving £200k.", 50, 2,
         {"total": 2e5}),
        ("400 fewer falls a year saving £1.5bn and £12,000 on ambulance call-outs", 400, 1,
         {"total": 1.5e9, "ambulance": 12_000}),
    ],
)  # fmt: skip
def test_claim_parser_variants(text, events, years, amounts):
    claim = parse_claim(text)
    assert (claim.events, claim.years) == (events, years)
    assert {i.item: i.amount_gbp for i in claim.items} == pytest.approx(amounts)


@pytest.mark.parametrize(
    ("text", "names"),
    [("It saved £4m.", "no event count"), ("730 fewer falls over two years", "no £ amounts")],
)
def test_unreadable_claims_raise_our_error(text, names):
    with pytest.raises(ClaimParseError, match=names):
        parse_claim(text)


def test_claim_parse_error_is_a_savings_input_error():
    assert issubclass(ClaimParseError, SavingsInputError)


def test_the_page_example_is_the_seed_claim_and_its_table_has_the_implied_costs():
    assert SEED_CLAIM_ON_PAGE == SEED_CLAIM
    frame = check_claim(SEED_CLAIM, fixed_events(730, years=2), load_default_costs()).items_frame()
    assert frame["implied_cost_per_event"].round().tolist() == [1644, 164, 3767]
    assert frame["matched_item"].tolist() == [
        "hospital admission",
        "ambulance call-out",
        "residential care",
    ]
    assert frame["supported_gbp"].tolist() == pytest.approx([730 * 4088, 730 * 216, 730 * 3393])
    bare = check_claim(SEED_CLAIM).items_frame()
    assert bare["supported_gbp"].isna().all() and bare["lower_ci"].isna().all()
