"""A made-up but realistic company to try sop_xl on: "Alpenglow Outdoor", maker of outdoor gear.

Deterministic for a given seed. Everything a monthly S&OP cycle needs: 40 SKUs in three
families with trend, seasonality, intermittent spare parts, a promotion spike, a new
product with a short history, a discontinued item and a few missing cells; 36 months of
history; four resources, one of them a sewing workforce; prices, costs and a budget.

Magnitudes, and where they come from:
- prices: street prices of mid-range European outdoor brands (backpacks 50-190 EUR,
  tents 140-650 EUR, sleeping bags 70-330 EUR);
- unit cost 45-60 % of price: gross margins of 40-55 % reported by listed outdoor-gear
  makers (e.g. Thule, Fenix Outdoor annual reports);
- holding cost 25 % of unit cost per year: the textbook range of 20-30 % (Silver, Pyke &
  Peterson, Inventory Management and Production Planning and Scheduling);
- sewing 0.6-3.2 labour hours per unit, 160 h per worker-month (8 h x 20 days), wage
  3,100 EUR per month, overtime 28 EUR/h, hiring 2,500 EUR, layoff 4,000 EUR: orders of
  magnitude of EU light-manufacturing labour (Eurostat labour cost levels, ~25-30 EUR/h);
- seasonality: tents and sleeping bags peak before summer, backpacks before the school
  year and again before Christmas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import periods
from .contract import CAPACITY_CALENDAR, INVENTORY, ITEMS, RESOURCES, ROUTING, WORKFORCE

FIRST_FORECAST = pd.Timestamp("2027-01-01")
HISTORY_MONTHS = 36
COMPANY = "Alpenglow Outdoor"

# seasonal index by calendar month (Jan..Dec), mean 1
_SEASON = {
    "Tents":         [0.45, 0.55, 0.85, 1.20, 1.60, 1.75, 1.55, 1.15, 0.80, 0.60, 0.60, 0.90],
    "Backpacks":     [0.80, 0.80, 0.90, 1.00, 1.00, 1.00, 1.10, 1.40, 1.25, 0.90, 0.85, 1.00],
    "Sleeping bags": [0.60, 0.65, 0.85, 1.05, 1.30, 1.45, 1.35, 1.10, 0.95, 0.85, 0.80, 1.05],
}
# (name stem, price range, sewing hours range, base monthly volume range)
_FAMILIES = {
    "Tents": ("TN", (140, 650), (2.0, 3.2), (60, 420)),
    "Backpacks": ("BP", (50, 190), (0.6, 1.4), (150, 1400)),
    "Sleeping bags": ("SB", (70, 330), (1.0, 2.0), (80, 700)),
}
_NAMES = {
    "Tents": ["Trail 1", "Trail 2", "Trail 3", "Summit 2", "Summit 3", "Basecamp 4", "Basecamp 6", "Ultralight 1",
              "Ultralight 2", "Family 5", "Dome 2", "Tunnel 3", "Bivy 1"],
    "Backpacks": ["Daypack 18", "Daypack 24", "Hike 32", "Hike 38", "Trek 45", "Trek 55", "Trek 65", "City 20",
                  "Kids 12", "Climb 30", "Run 10", "Travel 40", "Photo 25", "Hydro 15"],
    "Sleeping bags": ["Summer +10", "Three-season 0", "Down -5", "Down -10", "Expedition -20", "Kids +5",
                      "Double +5", "Synthetic -2", "Travel liner", "Quilt 0"],
}


@dataclass(frozen=True)
class DemoCompany:
    settings: dict
    items: pd.DataFrame
    history: pd.DataFrame          # long: sku, ds, quantity (NaN = missing cell)
    resources: pd.DataFrame
    routing: pd.DataFrame
    calendar: pd.DataFrame
    workforce: pd.DataFrame
    inventory: pd.DataFrame
    budget: pd.DataFrame           # long: family, ds, volume, revenue

    def history_wide(self) -> pd.DataFrame:
        wide = self.history.pivot(index="sku", columns="ds", values="quantity")
        wide = wide.reindex(self.items["sku"])
        wide.columns = periods.labels(wide.columns, periods.MONTH)
        return wide.reset_index()


def make_demo(seed: int = 7, *, n_per_family: tuple[int, int, int] = (12, 14, 10)) -> DemoCompany:
    rng = np.random.default_rng(seed)
    hist_periods = periods.period_range(periods.shift(FIRST_FORECAST, -HISTORY_MONTHS, "month"),
                                        HISTORY_MONTHS, "month")
    items, series = _regular_products(rng, hist_periods, n_per_family)
    spare_items, spare_series = _spare_parts(rng)
    items += spare_items
    history = np.vstack(series + spare_series)
    skus = [it["sku"] for it in items]
    _special_cases(history, items, rng)

    history_long = pd.DataFrame({
        "sku": np.repeat(skus, HISTORY_MONTHS),
        "ds": np.tile(hist_periods, len(skus)),
        "quantity": history.ravel(),
    })
    items_frame = _items_frame(items)
    last12 = history[:, -12:]
    avg = pd.Series(np.nanmean(np.where(np.isnan(last12), np.nan, last12), axis=1), index=skus).fillna(0)
    return DemoCompany(
        settings=dict(company=COMPANY, currency="EUR", period_type="month", first_forecast_period=FIRST_FORECAST,
                      horizon=18, service_level=0.95, cycle="2027-01"),
        items=items_frame,
        history=history_long,
        resources=_resources(),
        routing=_routing(items),
        calendar=_calendar(),
        workforce=_workforce(items, avg),
        inventory=_inventory(items_frame, avg, rng),
        budget=_budget(items_frame, history_long),
    )


def _regular_products(rng: np.random.Generator, hist_periods,
                      n_per_family: tuple[int, int, int]) -> tuple[list[dict], list[np.ndarray]]:
    """Each family's products: trend x season x gamma noise (draws from `rng` in a fixed order)."""
    items, series = [], []
    for (family, (stem, price_rng, hours_rng, base_rng)), n in zip(_FAMILIES.items(), n_per_family):
        for i in range(n):
            sku = f"{stem}-{100 + i * 10}"
            price = round(float(rng.uniform(*price_rng)), 0) - 0.10
            base = float(rng.uniform(*base_rng))
            trend = float(rng.normal(0.004, 0.008))          # monthly growth, about +5 % a year
            cv = float(rng.uniform(0.08, 0.22))
            season = np.array(_SEASON[family])[hist_periods.month - 1]
            t = np.arange(HISTORY_MONTHS)
            mean = base * (1 + trend) ** t * season
            qty = rng.gamma(1 / cv**2, mean * cv**2)          # positive noise with the wanted CV
            items.append(dict(sku=sku, description=f"{_NAMES[family][i % len(_NAMES[family])]} {family[:-1].lower()}"
                              if family != "Sleeping bags" else f"{_NAMES[family][i % len(_NAMES[family])]} sleeping bag",
                              family=family, price=price, hours=float(rng.uniform(*hours_rng)),
                              margin=float(rng.uniform(0.40, 0.55)), status="active"))
            series.append(np.round(qty))
    return items, series


def _spare_parts(rng: np.random.Generator) -> tuple[list[dict], list[np.ndarray]]:
    """Spare parts: intermittent, lumpy demand."""
    items, series = [], []
    for i, (name, family, price) in enumerate([("Tent pole repair kit", "Tents", 24.90),
                                               ("Replacement hip belt", "Backpacks", 34.90),
                                               ("Compression sack", "Sleeping bags", 19.90),
                                               ("Tent footprint Trail 2", "Tents", 44.90)]):
        sku = f"SP-{900 + i}"
        occurs = rng.random(HISTORY_MONTHS) < [0.35, 0.25, 0.45, 0.3][i]
        qty = np.where(occurs, rng.poisson([6, 4, 12, 3][i], HISTORY_MONTHS) + 1, 0)
        items.append(dict(sku=sku, description=name, family=family, price=price, hours=0.25,
                          margin=0.6, status="active"))
        series.append(qty.astype(float))
    return items, series


def _special_cases(history: np.ndarray, items: list[dict], rng: np.random.Generator) -> None:
    """The cases a planner must see handled (in place): a promotion spike, a new product, a
    discontinued one and a few missing cells."""
    # promotion spike: a summer campaign on the best-selling backpack
    bp = [k for k, it in enumerate(items) if it["family"] == "Backpacks"]
    star = max(bp, key=lambda k: history[k].sum())
    history[star, HISTORY_MONTHS - 5] *= 2.6
    # new product: launched 8 months ago, ramping up
    new = [k for k, it in enumerate(items) if it["sku"].startswith("TN")][-1]
    history[new, : HISTORY_MONTHS - 8] = np.nan
    history[new, HISTORY_MONTHS - 8:] = np.round(np.linspace(40, 160, 8) * rng.uniform(0.9, 1.1, 8))
    items[new]["status"] = "new"
    items[new]["description"] = "Trail 3 Pro tent (new)"
    # discontinued: sales stopped 6 months ago
    disc = [k for k, it in enumerate(items) if it["sku"].startswith("SB")][-1]
    history[disc, HISTORY_MONTHS - 6:] = 0
    items[disc]["status"] = "discontinued"
    # a few missing cells (someone forgot to paste them)
    smooth = [k for k in range(len(items)) if k not in (new, disc) and not items[k]["sku"].startswith("SP")]
    for k in rng.choice(smooth, size=3, replace=False):
        history[k, int(rng.integers(3, HISTORY_MONTHS - 3))] = np.nan


def _items_frame(items: list[dict]) -> pd.DataFrame:
    rows = []
    for it in items:
        price = it["price"]
        unit_cost = round(price * (1 - it["margin"]), 2)
        spare = it["sku"].startswith("SP")
        rows.append(dict(
            sku=it["sku"], description=it["description"], family=it["family"], uom="EA", status=it["status"],
            price=price, unit_cost=unit_cost, holding_cost_rate=0.25,
            backorder_cost=round(0.05 * price, 2),             # goodwill + expediting, ~5 % of price a month
            lost_sales_cost=None,                             # default: the unit margin
            subcontract_cost=None if spare else round(unit_cost * 1.35, 2),  # contract manufacturer, +35 %
            subcontract_limit=None if spare else 150.0,
            lead_time=1, min_lot=0.0 if spare else 50.0, max_lot=None,
            setup_cost=0.0 if spare else 400.0, setup_hours=0.0 if spare else 6.0,
            safety_stock_rule="periods_of_cover" if spare else "service_level",
            safety_stock_value=1.0 if spare else None,
        ))
    frame = pd.DataFrame(rows)
    for col in ITEMS.columns:
        if col.name not in frame:
            frame[col.name] = col.default
    return frame[ITEMS.column_names()]


def _resources() -> pd.DataFrame:
    rows = [
        dict(resource="Cutting", description="CNC fabric cutting table", kind="machine",
             regular_capacity=4300.0, overtime_capacity=700.0, regular_cost=18.0, overtime_cost=27.0),
        dict(resource="Sewing", description="Sewing hall (workforce)", kind="labour",
             regular_capacity=0.0, overtime_capacity=0.0, regular_cost=0.0, overtime_cost=28.0),
        dict(resource="Assembly", description="Tent and frame assembly line", kind="line",
             regular_capacity=4200.0, overtime_capacity=900.0, regular_cost=22.0, overtime_cost=33.0),
        dict(resource="Packing", description="Packing and quality control", kind="line",
             regular_capacity=2400.0, overtime_capacity=400.0, regular_cost=15.0, overtime_cost=22.5),
    ]
    return pd.DataFrame(rows)[RESOURCES.column_names()]


def _routing(items: list[dict]) -> pd.DataFrame:
    # family routings, hours per unit (cutting, assembly, packing); sewing is per SKU
    family_hours = {"Tents": (0.30, 0.90, 0.15), "Backpacks": (0.12, 0.0, 0.06), "Sleeping bags": (0.18, 0.0, 0.10)}
    rows = []
    for family, (cut, assemble, pack) in family_hours.items():
        rows.append(dict(item=family, resource="Cutting", hours_per_unit=cut))
        if assemble:
            rows.append(dict(item=family, resource="Assembly", hours_per_unit=assemble))
        rows.append(dict(item=family, resource="Packing", hours_per_unit=pack))
    for it in items:
        rows.append(dict(item=it["sku"], resource="Sewing", hours_per_unit=round(it["hours"], 2)))
    return pd.DataFrame(rows)[ROUTING.column_names()]


def _calendar() -> pd.DataFrame:
    rows = []
    for year in (2027, 2028):
        rows.append(dict(resource="Assembly", period=pd.Timestamp(f"{year}-08-01"), regular_capacity=2100.0,
                         overtime_capacity=450.0, reason="Plant holiday (2 weeks)"))
        rows.append(dict(resource="Cutting", period=pd.Timestamp(f"{year}-08-01"), regular_capacity=2150.0,
                         overtime_capacity=None, reason="Plant holiday (2 weeks)"))
        rows.append(dict(resource="Packing", period=pd.Timestamp(f"{year}-12-01"), regular_capacity=1900.0,
                         overtime_capacity=None, reason="Christmas shutdown"))
    rows.append(dict(resource="Cutting", period=pd.Timestamp("2027-03-01"), regular_capacity=3400.0,
                     overtime_capacity=500.0, reason="Blade replacement and calibration"))
    frame = pd.DataFrame(rows)
    frame["period"] = pd.to_datetime(frame["period"])
    return frame[CAPACITY_CALENDAR.column_names()]


def _workforce(items: list[dict], avg: pd.Series) -> pd.DataFrame:
    hours = sum(avg[it["sku"]] * it["hours"] for it in items)
    people = float(np.ceil(hours / 160.0 * 0.95))  # staffed for about average load
    return pd.DataFrame([dict(resource="Sewing", initial_headcount=people, hours_per_worker=160.0, wage=3100.0,
                              overtime_hours_per_worker=20.0, overtime_cost=28.0, hire_cost=2500.0,
                              layoff_cost=4000.0, min_headcount=max(1.0, people - 15), max_headcount=people + 20)]
                        )[WORKFORCE.column_names()]


def _inventory(items: pd.DataFrame, avg: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for sku, status in zip(items["sku"], items["status"]):
        cover = float(rng.uniform(0.6, 1.4))
        stock = 0.0 if status == "new" else round(avg[sku] * cover)
        rows.append(dict(sku=sku, opening_stock=stock, opening_backlog=0.0,
                         target_end_stock=round(avg[sku] * 0.8) if status == "active" and not sku.startswith("SP")
                         else None, max_stock=None))
    frame = pd.DataFrame(rows)
    frame.loc[frame.index[:2], "opening_backlog"] = [35.0, 12.0]
    return frame[INVENTORY.column_names()]


def _budget(items: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Finance's budget: last year's same month per family, +6 % volume, at list price."""
    last_year = history[history["ds"] >= periods.shift(FIRST_FORECAST, -12, "month")]
    priced = last_year.merge(items[["sku", "family", "price"]], on="sku")
    priced["revenue"] = priced["quantity"].fillna(0) * priced["price"]
    by_family = priced.groupby(["family", priced["ds"].dt.month]).agg(volume=("quantity", "sum"),
                                                                      revenue=("revenue", "sum"))
    rows = []
    for ds in periods.period_range(FIRST_FORECAST, 18, "month"):
        for family in sorted(items["family"].unique()):
            v = by_family.loc[(family, ds.month)]
            rows.append(dict(family=family, ds=ds, volume=round(v["volume"] * 1.06),
                             revenue=round(v["revenue"] * 1.06, -2)))
    return pd.DataFrame(rows)
