"""Every shipped experiment config passes the pre-flight check `ganforge train` runs before
step 1 (components, then the conditioning wiring), with no data nor weights on disk:
`ganforge params` only warns about the wiring, training refuses it."""

import re
from pathlib import Path

from ganforge.config import load_config, verify

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = [p for p in sorted([*ROOT.glob("plugins/*/configs/**/*.yaml"), *ROOT.glob("docs/mixing/*.yaml")])
               if not re.match(r"# yaml-language-server: \$schema=", p.read_text())]


def test_every_shipped_config_passes_the_training_preflight_check():
    assert len(EXPERIMENTS) > 70 and any(p.parent.name == "mixing" for p in EXPERIMENTS)
    failures = []
    for path in EXPERIMENTS:
        source = str(path.relative_to(ROOT))
        try:
            verify(load_config(path, check=False), source=source)
        except Exception as exc:  # noqa: BLE001 - each failing config is listed with its message
            failures.append(f"{type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
