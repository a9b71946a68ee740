"""The built wheel holds `ganforge` only: no top-level `core` or `registry` module."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_maps_core_and_registry_under_ganforge(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("ganforge-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert not {"core", "registry"} & top, f"stray top-level packages in the wheel: {top}"
    assert "ganforge/registry/components.py" in names and "ganforge/interfaces.py" in names
    packaged = {str(Path(n).parent).replace("ganforge", "core", 1) for n in names if n.endswith("/__init__.py")}
    on_disk = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "core").rglob("__init__.py")}
    assert on_disk <= packaged, f"sub-packages missing from pyproject's packages: {on_disk - packaged}"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[ganforge]\ncore = ganforge.builtin" in text and "[pytest11]" in text
