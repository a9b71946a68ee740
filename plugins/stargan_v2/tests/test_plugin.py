"""The installed plugin: what its entry point registers."""

from __future__ import annotations

import ganforge_stargan_v2.plugin as plugin


def test_entry_point_registers_every_component(ganforge_registry):
    info = {p.name: p for p in ganforge_registry.plugins}["stargan_v2"]
    assert info.status == "ok" and info.distribution == "ganforge-stargan-v2"
    mine = {(r.kind, r.name) for r in ganforge_registry.records() if r.plugin == "stargan_v2"}
    assert mine == {("normalizer", "adain"), ("generator", "stargan_v2"), ("encoder", "stargan_v2_mapping"),
                    ("encoder", "stargan_v2_style"), ("encoder", "stargan_v2_fan"),
                    ("discriminator", "stargan_v2"), ("strategy", "stargan_v2")}
    assert ganforge_registry.fields["source"].shape == "B,3,H,W"
    assert ganforge_registry.fields["face_mask"].shape == "B,2,H,W"
    assert plugin.GANFORGE_API == "1.0"


def test_cli_group(ganforge_registry):
    import click

    group = click.Group("ganforge")
    plugin.ganforge_cli(group)
    assert set(group.commands["stargan-v2"].commands) == {"latent", "reference", "interpolate", "evaluate"}
