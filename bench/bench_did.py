"""Speed of the difference-in-differences estimator on a national-scale panel.

Generates a panel of 6,500 practices × 120 months (780,000 rows; 1,000
intervention practices starting in month 61), then times:

* ``did_twfe`` end to end (panel checks, within transformation, CR1 SEs
  clustered by practice), unweighted and weighted by denominator;
* our within transformation alone, and statsmodels ``OLS`` with
  ``cov_type="cluster"`` on its output (the dummy-variable regression with
  6,620 columns is infeasible: 780,000 × 6,620 doubles = 41 GB): the same
  coefficient and, after the degrees-of-freedom factor, the same SE;
* ``estimate_did`` end to end (TWFE, event study, Poisson count scale);
* statsmodels ``OLS`` with every site and period dummy on a 500-practice
  subsample (60,000 rows × 621 columns) against ``did_twfe`` on that subsample.

Prints milliseconds (best of ``--repeat`` runs) and ratios.
Run: ``python -m bench.bench_did [--practices 6500] [--months 120] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.regression.linear_model import RegressionResultsWrapper

from analysis.did import did_twfe, estimate_did
from analysis.did_fe import FixedEffects
from analysis.did_prep import prepare


def make_panel(practices: int, months: int, seed: int = 1) -> pd.DataFrame:
    """A practice × month panel with counts, 1 in 6.5 practices starting mid-way."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"P{i:05d}" for i in range(practices)])
    starts = pd.date_range("2015-01-01", periods=months, freq="MS")
    site = np.repeat(np.arange(practices), months)
    t = np.tile(np.arange(months), practices)
    treated_site = np.arange(practices) < practices * 2 // 13
    start = pd.Timestamp(starts[months // 2])
    denominator = np.repeat(rng.integers(2000, 30000, practices), months).astype(float)
    rate = 0.02 * np.exp(rng.normal(0, 0.2, practices)[site] + 0.002 * t)
    rate *= np.where(treated_site[site] & (t >= months // 2), 0.95, 1.0)
    numerator = rng.poisson(rate * denominator).astype(float)
    return pd.DataFrame(
        {
            "site_code": codes[site],
            "site_name": codes[site],
            "group": np.where(treated_site[site], "intervention", "comparator"),
            "start_date": pd.Series(np.where(treated_site[site], start, pd.NaT)).astype(
                "datetime64[ns]"
            ),
            "period_start": starts[t],
            "period_end": starts[t] + pd.offsets.MonthEnd(0),
            "granularity": "month",
            "numerator": numerator,
            "denominator": denominator,
            "value": numerator / denominator * 1000,
        }
    )


def best_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000


def statsmodels_demeaned(
    panel: pd.DataFrame,
) -> tuple[Callable[[], object], Callable[[], RegressionResultsWrapper]]:
    """Our within transformation, and statsmodels OLS + cluster covariance on its output."""
    design = prepare(panel, "bench")
    fe = FixedEffects(design.site, design.period, design.n_sites, design.n_periods)
    columns = np.column_stack([design.y, design.treated.astype(float)])
    both = fe.residualise(columns)

    def ols() -> RegressionResultsWrapper:
        return sm.OLS(both[:, 0], both[:, 1:]).fit(
            cov_type="cluster", cov_kwds={"groups": design.site}
        )

    return (lambda: fe.residualise(columns)), ols


def statsmodels_dummies(panel: pd.DataFrame) -> Callable[[], RegressionResultsWrapper]:
    site = pd.factorize(panel["site_code"])[0]
    period = pd.factorize(panel["period_start"])[0]
    treated = (panel["group"] == "intervention") & (panel["period_start"] >= panel["start_date"])
    x = np.column_stack(
        [
            np.ones(len(panel)),
            treated.to_numpy(float),
            np.eye(site.max() + 1)[site][:, 1:],
            np.eye(period.max() + 1)[period][:, 1:],
        ]
    )
    y = panel["value"].to_numpy()
    return lambda: sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": site}, use_t=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=6500)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--subsample", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    panel = make_panel(args.practices, args.months)
    print(f"panel: {args.practices:,} practices × {args.months} months = {len(panel):,} rows")

    ours = best_ms(lambda: did_twfe(panel, "bench", "per 1,000", weights="none"), args.repeat)
    ours_w = best_ms(
        lambda: did_twfe(panel, "bench", "per 1,000", weights="denominator"), args.repeat
    )
    demean, ols = statsmodels_demeaned(panel)
    t_demean, t_ols = best_ms(demean, args.repeat), best_ms(ols, args.repeat)
    everything = best_ms(lambda: estimate_did(panel, "bench", "per 1,000"), args.repeat)
    print(f"did_twfe, unweighted, clustered SE     : {ours:8.0f} ms")
    print(f"did_twfe, weighted by denominator      : {ours_w:8.0f} ms")
    print(
        f"within transformation alone            : {t_demean:8.0f} ms\n"
        f"statsmodels OLS + cluster on its output: {t_ols:8.0f} ms "
        f"(did_twfe / (demeaning + statsmodels) = {ours / (t_demean + t_ols):.2f})"
    )
    fit, effect = ols(), did_twfe(panel, "bench", "per 1,000", weights="none")
    n, k, g = len(panel), 1 + args.practices + args.months - 1, args.practices
    dof = np.sqrt((n - 1) / (n - k))  # statsmodels counted 1 regressor; the dummies model has k
    print(
        f"  same estimate (|Δ| = {abs(fit.params[0] - effect.estimate):.1e}); same SE after the "
        f"(N-1)/(N-K) factor for the {k - 1:,} fixed effects "
        f"(|Δ| = {abs(fit.bse[0] * dof - effect.standard_error):.1e}; G = {g:,})"
    )
    print(f"estimate_did (TWFE + event study + Poisson count scale): {everything:8.0f} ms")

    codes = panel["site_code"].unique()
    rng = np.random.default_rng(2)
    chosen = np.concatenate(
        [
            rng.choice(codes[: args.practices * 2 // 13], args.subsample // 6, replace=False),
            rng.choice(
                codes[args.practices * 2 // 13 :],
                args.subsample - args.subsample // 6,
                replace=False,
            ),
        ]
    )
    sub = panel[panel["site_code"].isin(chosen)].reset_index(drop=True)
    ours_sub = best_ms(lambda: did_twfe(sub, "bench", "per 1,000", weights="none"), args.repeat)
    sm_sub = best_ms(statsmodels_dummies(sub), 1)
    a = did_twfe(sub, "bench", "per 1,000", weights="none")
    b = statsmodels_dummies(sub)()
    print(
        f"{args.subsample}-practice subsample ({len(sub):,} rows): did_twfe {ours_sub:.0f} ms, "
        f"statsmodels OLS with {args.subsample + args.months - 1} dummies {sm_sub:.0f} ms "
        f"(speed-up {sm_sub / ours_sub:.0f}x); |Δ estimate| = {abs(a.estimate - b.params[1]):.1e}, "
        f"|Δ SE| = {abs(a.standard_error - b.bse[1]):.1e}"
    )


if __name__ == "__main__":
    main()
