"""The workbook contract is declared once and is internally consistent."""

from __future__ import annotations

import re
from pathlib import Path

from sop_xl.contract import WORKBOOK, Kind, Layout, Role
from sop_xl.docs import render_workbook_doc

ROOT = Path(__file__).resolve().parents[2]


def test_table_and_sheet_names_are_valid_excel_names():
    for sheet in WORKBOOK:
        assert len(sheet.name) <= 31 and not re.search(r"[\[\]:*?/\\]", sheet.name)
        assert re.fullmatch(r"tbl[A-Z][A-Za-z0-9]*", sheet.table), sheet.table
        headers = [c.header.lower() for c in sheet.columns]
        assert len(set(headers)) == len(headers), sheet.name


def test_every_column_is_fully_described():
    for sheet in WORKBOOK:
        assert sheet.description and sheet.owner and sheet.role in Role
        for col in sheet.columns:
            assert col.kind in Kind
            assert re.fullmatch(r"[a-z][a-z0-9_]*", col.name), col.name
            if col.allowed and col.default is not None:
                assert col.default in col.allowed, (sheet.name, col.name)
            if col.lookup:
                target, _, column = col.lookup.partition(".")
                assert WORKBOOK.sheet(target).column(column)


def test_input_sheets_of_the_foundation_are_declared():
    names = {s.name for s in WORKBOOK.by_role(Role.INPUT)}
    assert {"Settings", "Items", "DemandHistory", "Resources", "Routing", "CapacityCalendar", "Workforce",
            "Inventory"} <= names
    history = WORKBOOK.sheet("DemandHistory")
    assert history.layout is Layout.WIDE and history.long_columns


def test_settings_have_unique_keys_and_valid_names():
    settings = WORKBOOK.sheet("Settings").settings
    keys = [s.key for s in settings]
    assert len(set(keys)) == len(keys)
    for s in settings:
        assert re.fullmatch(r"sop_[a-z_]+", s.range_name)
        if s.allowed and s.default is not None:
            assert s.default in s.allowed


def test_docs_workbook_md_is_generated_and_fresh():
    committed = (ROOT / "docs" / "workbook.md").read_text(encoding="utf-8")
    assert committed == render_workbook_doc(), "docs/workbook.md is stale: run `sop-xl docs`"
