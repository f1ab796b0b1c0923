"""The benchmarks' helpers are scripts in bench/ (run as `python bench/x.py`), not a package: their folder
goes on the path, as it is for the scripts themselves."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
