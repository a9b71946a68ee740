"""ganforge.report: sample grids (PNG) and the HTML run report with SVG loss curves."""

from .grid import save_grid, to_uint8_grid
from .html import render, write_report
from .rows import pad_row, row_names, save_rows, saved_message
from .svg import line_plot

__all__ = ["save_grid", "to_uint8_grid", "save_rows", "saved_message", "row_names", "pad_row", "render", "write_report", "line_plot"]
