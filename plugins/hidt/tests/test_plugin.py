"""The installed plugin: what its entry point registers."""

from __future__ import annotations

import click

import ganforge_hidt.plugin as plugin


def test_entry_point_registers_every_component(ganforge_registry):
    info = {p.name: p for p in ganforge_registry.plugins}["hidt"]
    assert info.status == "ok" and info.distribution == "ganforge-hidt"
    mine = {(r.kind, r.name) for r in ganforge_registry.records() if r.plugin == "hidt"}
    assert mine == {("generator", "hidt"), ("encoder", "hidt_style"), ("normalizer", "hidt_adain"),
                    ("discriminator", "hidt"), ("generator", "hidt_enhancer"), ("strategy", "hidt")}
    assert ganforge_registry.fields["subimages"].shape == "B,48,H,W"
    assert ganforge_registry.fields["source"].resize == "bilinear"
    assert plugin.GANFORGE_API == "1.0"


def test_cli_group():
    group = click.Group("ganforge")
    plugin.ganforge_cli(group)
    assert set(group.commands["hidt"].commands) == {"swap", "random", "enhance", "swap-eval", "train-enhancer"}
