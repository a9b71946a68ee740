"""ganforge's pytest plugin in a separate pytest process: the thread setting of a session."""

import subprocess
import sys
import textwrap


def run_pytest(folder, ini: str) -> subprocess.CompletedProcess:
    (folder / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{ini}\n")
    (folder / "test_threads.py").write_text(textwrap.dedent("""
        import torch

        def test_threads():
            print("threads", torch.get_num_threads())
    """))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(folder)],
                          cwd=folder, capture_output=True, text=True, timeout=120)


def test_ini_option_sets_the_sessions_torch_threads(tmp_path):
    result = run_pytest(tmp_path, 'ganforge_torch_threads = "3"')
    assert result.returncode == 0, result.stdout + result.stderr
    assert "threads 3" in result.stdout


def test_a_bad_thread_count_is_a_usage_error(tmp_path):
    result = run_pytest(tmp_path, 'ganforge_torch_threads = "many"')
    assert result.returncode == 4
    assert "ganforge_torch_threads = 'many': expected a positive integer" in result.stderr
