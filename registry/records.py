"""Frozen records the registry is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

from pydantic import BaseModel

PluginStatus = Literal["ok", "failed", "disabled", "incompatible"]


@dataclass(frozen=True)
class ComponentRecord:
    """One registered component: what ``ganforge components`` lists."""

    kind: str
    name: str
    cls: type
    params: type[BaseModel]
    summary: str
    paper: str
    plugin: str
    distribution: str | None
    version: str | None

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}/{self.name}"

    def origin(self) -> str:
        """'plugin (distribution version)' for error messages."""
        if self.distribution:
            return f"{self.plugin} ({self.distribution} {self.version})"
        return f"{self.plugin} (local plugin)"


@dataclass(frozen=True)
class ImporterRecord:
    """One importer of officially released checkpoints: what ``ganforge import NAME`` runs.

    ``function(files, models)`` gets the official files (`ganforge.official.OfficialFile`,
    already read without executing code) and the networks a config builds (role ->
    module), and returns a `ganforge.official.Imported`: the weights under ganforge's
    names. It only maps keys; reading, checking and writing are the core's."""

    name: str
    function: Callable
    summary: str
    plugin: str


@dataclass(frozen=True)
class PluginInfo:
    """One discovered plugin: what ``ganforge plugins`` lists."""

    name: str
    distribution: str | None
    version: str | None
    source: str  # "entrypoint", "env", "option", "config", "direct"
    status: PluginStatus
    error: str | None = None
    components: int = 0
    module: str | None = None
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "source": self.source,
            "status": self.status,
            "components": self.components,
            "error": self.error,
            "warnings": list(self.warnings),
        }
