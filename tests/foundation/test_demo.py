"""The demo company is deterministic and has every feature the cycle needs to show."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_xl.demo import make_demo


def test_same_seed_same_company_other_seed_other_numbers():
    a, b, c = make_demo(7), make_demo(7), make_demo(8)
    pd.testing.assert_frame_equal(a.history, b.history)
    pd.testing.assert_frame_equal(a.items, b.items)
    assert not a.history["quantity"].equals(c.history["quantity"])


def test_shape_and_features():
    d = make_demo(7)
    assert d.items["family"].nunique() == 3 and 35 <= len(d.items) <= 45
    wide = d.history_wide().set_index("sku")
    assert wide.shape[1] == 36
    assert (d.items["status"] == "discontinued").sum() == 1 and (d.items["status"] == "new").sum() == 1
    new = d.items.loc[d.items["status"] == "new", "sku"].item()
    assert wide.loc[new].notna().sum() == 8                       # short history
    disc = d.items.loc[d.items["status"] == "discontinued", "sku"].item()
    assert (wide.loc[disc].iloc[-6:] == 0).all()
    spare = wide.loc[wide.index.str.startswith("SP")]
    assert ((spare == 0).mean(axis=1) > 0.3).all()                # intermittent
    active = d.items.loc[d.items["status"] == "active", "sku"]
    missing = wide.loc[active].isna().sum().sum()
    assert 1 <= missing <= 5                                      # a few missing cells
    ratio = wide.div(wide.T.rolling(5, center=True, min_periods=3).median().T)
    assert np.nanmax(ratio.values) > 2.0                          # the promotion spike
    assert d.resources["kind"].eq("labour").sum() == 1 and len(d.resources) == 4
    assert set(d.routing["resource"]) == set(d.resources["resource"])
    assert d.budget["revenue"].gt(0).all()


def test_tents_are_seasonal():
    d = make_demo(7)
    h = d.history.merge(d.items[["sku", "family"]], on="sku")
    tents = h[h.family == "Tents"].groupby(h.ds.dt.month)["quantity"].sum()
    assert tents.loc[[5, 6, 7]].mean() > 2 * tents.loc[[1, 2, 11]].mean()
