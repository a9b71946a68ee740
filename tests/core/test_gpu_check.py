"""benchmarks/gpu_check.py runs on the CPU in its smoke mode, so it cannot rot before a GPU comes."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def load_gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    return gpu_check


def test_the_compile_skip_names_a_test_that_exists():
    named = [w for w in load_gpu_check().COMPILE_ON_CPU.split() if w.startswith("tests/")]
    assert named and all((ROOT / w).is_file() for w in named)


def test_gpu_check_quick_runs_on_cpu(tmp_path):
    gpu_check = load_gpu_check()
    out = tmp_path / "check.json"
    report = gpu_check.main(["--device", "cpu", "--quick", "--modes", "fp32,fp16", "--steps", "1",
                             "--paper-steps", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert report["failed"] == []
    names = {r["name"]: r for r in report["results"]}
    assert names["plugins/spade/configs/synthetic.yaml fp32"]["ok"] is True
    assert names["plugins/spade/configs/synthetic.yaml fp16"]["skipped"].startswith("fp16 needs CUDA")
    assert {"paper spade ade20k 64px vgg fp32 lookup=True", "paper spade ade20k 64px vgg fp32 lookup=False",
            "paper stargan_v2 afhq 32px fp32"} <= set(names)
