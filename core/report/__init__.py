"""ganforge.report: sample grids (PNG) and the HTML run report with SVG loss curves."""

from .grid import save_grid, to_uint8_grid
from .html import render, write_report
from .svg import line_plot

__all__ = ["save_grid", "to_uint8_grid", "render", "write_report", "line_plot"]
