"""Versions: the package, and the plugin API a plugin declares with ``GANFORGE_API``."""

__version__ = "0.1.0"
API_VERSION = (1, 0)  # major changes break plugins; minor ones only add hooks or fields
