"""Executive review: the Dashboard's KPIs and charts, the ActionPlan, and the meeting's PDF.

A pure core: `kpis`, `actions` and `charts` are pandas in, pandas out, and never touch a workbook.
The commands `sop_xl.commands.dashboard` and `sop_xl.commands.export_pdf` read and write the workbook;
the meeting PDF's layout and its making live with the PDF adapter in `sop_xl.io.pdf`.
"""

from .actions import merge_actions, seed_actions
from .charts import dashboard_charts, dashboard_data
from .kpis import Kpi, Targets, dashboard_kpis, definitions, forecast_accuracy

__all__ = ["Kpi", "Targets", "definitions", "dashboard_charts", "dashboard_data", "dashboard_kpis", "forecast_accuracy",
           "merge_actions", "seed_actions"]
