"""Errors that name things: the plugin, the component, the config path, the file."""


class GanforgeError(Exception):
    """Base of ganforge's user-facing errors; the CLI prints them without a traceback."""


class ComponentNotFound(GanforgeError, LookupError):
    """No component of that kind and name is registered."""


class AmbiguousComponent(GanforgeError, LookupError):
    """Two plugins register the same (kind, name)."""


class ConfigError(GanforgeError, ValueError):
    """A config or params value is invalid; the message names its path."""


class ConditionMismatch(GanforgeError, ValueError):
    """A component needs a Condition field the run's data does not provide."""


class PluginError(GanforgeError):
    """A plugin failed to load, register, or is incompatible (raised in strict mode)."""


class DataError(GanforgeError, ValueError):
    """A dataset file is unreadable or inconsistent; the message names the file."""


class StrategyError(PluginError):
    """A strategy's hooks are wrong: an unknown or unmarked ``ganforge_*`` method, a wrong
    argument name, or a step that returned no result."""


class GanforgeWarning(UserWarning):
    """Something the user must know that does not stop the command (the CLI prints ``warning: ...``)."""
