"""The demo company's Scenarios sheet."""

from __future__ import annotations

import pandas as pd


def demo_scenarios(company) -> pd.DataFrame:
    """What-ifs of the demo's S&OP meeting: a demand boom, a tent season surge, fewer sewing
    hours, a price rise and a higher service level."""
    first = company.settings["first_forecast_period"]

    def month(n: int) -> str:
        return (first + pd.DateOffset(months=n)).strftime("%Y-%m")

    rows = [
        ("Demand +20%", "demand", None, None, None, "120%", "Retail partners' upside case."),
        ("Tent season surge", "demand", "Tents", month(3), month(6), "1.4", "A big retailer lists our tents."),
        ("Sewing absenteeism", "capacity", "Sewing", None, None, "92%", "Flu season: 8% fewer sewing hours."),
        ("Price +5%", "price", None, None, None, "1.05", "List price increase from January."),
        ("Service 98%", "service_level", None, None, None, "98%", "Higher safety stocks."),
    ]
    return pd.DataFrame(rows, columns=["scenario", "lever", "applies_to", "from_period", "to_period", "value", "note"])
