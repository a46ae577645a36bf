"""Executive review: the Dashboard's KPIs and charts, the ActionPlan, and the meeting's PDF.

`kpis`, `actions` and `charts` are pure (pandas in, pandas out); `pdf` prints a workbook file
through LibreOffice. The commands in `sop_xl.commands.executive` read and write the workbook.
"""

from .actions import merge_actions, seed_actions
from .charts import dashboard_charts, dashboard_data
from .kpis import Targets, dashboard_kpis, forecast_accuracy

__all__ = ["Targets", "dashboard_charts", "dashboard_data", "dashboard_kpis", "forecast_accuracy",
           "merge_actions", "seed_actions"]
