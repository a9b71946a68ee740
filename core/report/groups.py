"""Which panel a logged scalar belongs to: one rule for the HTML report, TensorBoard and
``ganforge compare``, so a curve is found under the same heading everywhere.

A name with a ``/`` chooses its group itself (``"reg/orth"``); otherwise evaluation
numbers are *metrics*, penalties *regularisers*, the discriminator's raw scores on real
and fake images *D outputs*, loss weights that follow a schedule *schedules*, and every
other training scalar is a *loss*.
"""

from __future__ import annotations

import re

GROUPS = ("losses", "D outputs", "regularisers", "schedules", "metrics")
_REGULARISER = re.compile(r"(^|_)(r1|r2|gp|pl|path_length|kld|kl|orth|penalty|reg)($|_)")
_D_OUTPUT = re.compile(r"^(d|ac_d)_(?!loss$)|(^|_)(real|fake)($|_)")
_SCHEDULE = re.compile(r"^(lambda|lr|weight)_")


def group_of(name: str, kind: str = "train") -> str:
    """The group of scalar ``name`` logged as ``kind`` (``train`` or ``eval``)."""
    if "/" in name:
        return name.split("/", 1)[0]
    if kind != "train":
        return "metrics"
    if _REGULARISER.search(name):
        return "regularisers"
    if _SCHEDULE.match(name):
        return "schedules"
    if _D_OUTPUT.search(name):
        return "D outputs"
    return "losses"


def tag(name: str, kind: str = "train") -> str:
    """The TensorBoard tag of a scalar: ``group/name`` (the name's own prefix kept once)."""
    group = group_of(name, kind)
    return name if name.startswith(group + "/") else f"{group}/{name}"
