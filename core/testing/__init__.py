"""ganforge.testing: the test kit for plugin authors.

``check_component(kind, name)`` runs the conformance checks on a registered component;
the pytest fixtures (``ganforge_registry``, ``isolated_registry``, ``throwaway_plugin``)
come with ganforge's pytest plugin, active wherever ganforge is installed.
``short_run(config, tmp_path, steps)`` trains a config with the real trainer for a few
steps and returns each step's logs; ``window_means`` compares their first and last steps. ``error_line(capsys, *args)`` runs a
``ganforge`` command that must be refused and returns its one ``error:`` line.
"""

from .cli import error_line
from .conformance import Checked, check_component, default_data, synth_condition
from .training import short_run, window_means

__all__ = ["check_component", "error_line", "synth_condition", "default_data", "Checked", "short_run", "window_means"]
