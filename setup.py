"""Only one thing pyproject.toml cannot say: the wheel carries `workbook_template.xlsm`.

The template stays at the top of the repository (where Excel users find it); building the wheel
copies it into the package as `sop_xl/data/workbook_template.xlsm`, which `sop_xl.resources`
finds in an installed copy. Everything else about the package is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "workbook_template.xlsm"


class BuildPyWithTemplate(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the template from the checkout
        target = Path(self.build_lib) / "sop_xl" / "data" / TEMPLATE.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TEMPLATE, target)


setup(cmdclass={"build_py": BuildPyWithTemplate})
