"""`ganforge weights fetch` against a loopback HTTP server: a good file, a wrong hash, a
truncated body, a dead server. Whatever fails leaves nothing in the target folder."""

from __future__ import annotations

import hashlib
import http.server
import socket
import textwrap
import threading

import pytest

from ganforge import registry
from ganforge.cli import main
from ganforge.fetch import FetchError, fetch
from ganforge.weights import MissingWeights, WeightsFile, resolve_weights

BODY = bytes(range(256)) * 40  # 10 KB
SHA = hashlib.sha256(BODY).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/good") or self.path.startswith(f"/w-{SHA[:8]}"):
            self._send(BODY, len(BODY))
        elif self.path == "/truncated":
            self._send(BODY[:3000], len(BODY))  # promises more than it sends, then closes
        else:
            self.send_error(404)

    def _send(self, body: bytes, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub" / "checkpoints"


def dead_url() -> str:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/good"


def test_good_file_is_written_with_its_hash(server, hub):
    wf = WeightsFile("toy", f"{server}/good/toy.pth", "tests", sha256=SHA, size=len(BODY))
    path, digest = fetch(wf, timeout=5)
    assert path == hub / "toy.pth" and path.read_bytes() == BODY and digest == SHA
    assert sorted(p.name for p in hub.iterdir()) == ["toy.pth"]  # no temporary left


def test_hub_prefix_in_the_file_name_is_checked(server, hub):
    good = WeightsFile.hub("toy", f"{server}/w-{SHA[:8]}.pth", "tests")
    assert good.hash_prefix == SHA[:8]
    assert fetch(good, timeout=5)[0].read_bytes() == BODY
    wrong = WeightsFile("bad", f"{server}/good/bad.pth", "tests", hash_prefix="00000000")
    with pytest.raises(FetchError, match="does not start with 00000000"):
        fetch(wrong, timeout=5)
    assert not (hub / "bad.pth").exists()


@pytest.mark.parametrize("case", ["wrong hash", "truncated", "dead server", "404", "wrong size"])
def test_failed_download_leaves_nothing_and_keeps_an_existing_file(server, hub, case):
    url, sha, size, message = {
        "wrong hash": (f"{server}/good/f.pth", "0" * 64, None, f"sha256 {SHA}, expected 0000"),
        "truncated": (f"{server}/truncated", SHA, None, "broke off after 3000"),
        "dead server": (dead_url(), SHA, None, "cannot connect"),
        "404": (f"{server}/nothing", SHA, None, "HTTP 404"),
        "wrong size": (f"{server}/good/f.pth", SHA, 99, f"got {len(BODY)} bytes, expected 99"),
    }[case]
    wf = WeightsFile("f", url, "tests", filename="f.pth", sha256=sha, size=size)
    with pytest.raises(FetchError, match=message):
        fetch(wf, timeout=5)
    assert not hub.exists() or list(hub.iterdir()) == []
    hub.mkdir(parents=True, exist_ok=True)
    (hub / "f.pth").write_bytes(b"the old file")
    with pytest.raises(FetchError):
        fetch(wf, timeout=5)
    assert [p.name for p in hub.iterdir()] == ["f.pth"] and (hub / "f.pth").read_bytes() == b"the old file"


def test_unverifiable_file_needs_consent(server, hub):
    wf = WeightsFile("loose", f"{server}/good/loose.pth", "tests")
    with pytest.raises(FetchError, match="no published sha256.*--allow-unverified"):
        fetch(wf, timeout=5)
    assert not hub.exists()
    assert fetch(wf, allow_unverified=True, timeout=5)[1] == SHA
    with pytest.raises(FetchError, match="no download URL: train it"):
        fetch(WeightsFile("local", None, "tests", filename="x.pt", note="train it"))


def test_missing_weights_error_names_the_fetch_command(hub):
    with pytest.raises(MissingWeights, match=r"not found.*`ganforge weights fetch vgg19_imagenet` downloads it there"):
        resolve_weights("hub", "https://example.org/vgg19-dcbb9e9d.pth", "VGG", "vgg19_imagenet")


PLUGIN = textwrap.dedent('''
    import ganforge
    from ganforge.weights import WeightsFile

    @ganforge.hookimpl
    def ganforge_register(register):
        register.weights_file(WeightsFile("lab_good", "{url}/good/lab.pth", "lab loss", sha256="{sha}"))
        register.weights_file(WeightsFile("lab_bad", "{url}/good/labbad.pth", "lab metric", sha256="{bad}"))
''')


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    previous = registry._current
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    finally:
        registry._current = previous
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_list_and_fetch_through_a_registered_plugin_file(server, hub, tmp_path, capsys):
    plugin = tmp_path / "lab_weights.py"
    plugin.write_text(PLUGIN.format(url=server, sha=SHA, bad="1" * 64))
    code, out, _ = run_cli(capsys, "--plugin", str(plugin), "weights", "list")
    assert code == 0 and "lab_good  [missing]" in out and "used by: lab loss" in out and SHA in out
    assert "vgg19_imagenet" in out or "fid_inception" in out  # the installed files are listed too
    code, out, err = run_cli(capsys, "--plugin", str(plugin), "weights", "fetch", "lab_good", "lab_bad")
    assert code == 2 and f"lab_good: wrote {hub / 'lab.pth'}" in out and "sha256 checked" in out
    assert "error: lab_bad:" in err and "the file was not kept" in err and "1 of 2 downloads failed: lab_bad" in err
    assert sorted(p.name for p in hub.iterdir()) == ["lab.pth"]
    code, out, _ = run_cli(capsys, "--plugin", str(plugin), "weights", "fetch", "lab_good")
    assert code == 0 and "lab_good: present" in out


def test_a_name_registered_for_two_different_files_fails_the_second_plugin():
    from ganforge.errors import PluginError
    from ganforge.registry.components import merge_weights_files

    a = WeightsFile("vgg", "https://a/vgg-1.pth", "loss A")
    merged = merge_weights_files({}, [a], "p1")
    merged = merge_weights_files(merged, [WeightsFile("vgg", "https://a/vgg-1.pth", "metric B")], "p2")
    assert merged["vgg"].used_by == "loss A; metric B"
    with pytest.raises(PluginError, match="plugin 'p3': weights file 'vgg' is already registered"):
        merge_weights_files(merged, [WeightsFile("vgg", "https://b/other.pth", "C")], "p3")
