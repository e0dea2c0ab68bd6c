"""One colour-blind-safe palette for every chart (Okabe & Ito 2008)."""

INTERVENTION = "#0072B2"  # blue
COMPARATOR = "#E69F00"  # orange
COUNTERFACTUAL = "#999999"
BETTER = "#009E73"  # bluish green
WORSE = "#D55E00"  # vermillion
SIMILAR = "#F0E442"  # yellow
NOT_COMPARED = "#CCCCCC"
START_RULE = "#333333"

GROUP_DOMAIN = ["intervention", "comparator"]
GROUP_RANGE = [INTERVENTION, COMPARATOR]
