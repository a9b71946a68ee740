"""ganforge.testing: the test kit for plugin authors.

``check_component(kind, name)`` runs the conformance checks on a registered component;
the pytest fixtures (``ganforge_registry``, ``isolated_registry``, ``throwaway_plugin``)
come with ganforge's pytest plugin, active wherever ganforge is installed.
"""

from .conformance import Checked, check_component, default_data, synth_condition

__all__ = ["check_component", "synth_condition", "default_data", "Checked"]
