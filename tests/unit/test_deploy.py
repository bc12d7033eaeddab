"""deploy/: the nginx site renders for any number of app processes and keeps what the app needs from its proxy.

What a broken proxy config costs users: without the upgrade headers no page opens (the app talks over a WebSocket);
without X-Forwarded-Proto the sign-in cookie loses ``Secure``; a sticky key other than the app's binding cookie sends
one browser's upload to a process that never saw its tab; a body limit under the app's own sends nginx's bare 413
instead of the upload page's message. With nginx installed, the rendered files pass ``nginx -t``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dashboard import cli
from dashboard.core.access import web_sessions

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PORTS = [9101, 9102, 9103, 9104]


@pytest.fixture(scope="module")
def deploy_load():
    """bench/deploy_load.py, the one renderer of the template (the bench puts bench/ on the path; put back after)."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("deploy_load", ROOT / "bench" / "deploy_load.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["deploy_load"] = module  # its dataclasses look their module up by name
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


@pytest.fixture(scope="module")
def template() -> str:
    return (DEPLOY / "nginx" / "outreach.conf").read_text()


def blocks(text: str, head: str) -> list[str]:
    """The bodies of every ``head { ... }`` block, in order (braces counted; comments dropped)."""
    text = code(text)
    found, start = [], text.find(head)
    while start >= 0:
        depth, i = 0, text.index("{", start)
        for j in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                found.append(text[i + 1 : j])
                break
        else:
            raise AssertionError(f"{head} is not closed")
        start = text.find(head, j)
    return found


def code(text: str) -> str:
    """The config without its comments."""
    return re.sub(r"#[^\n]*", "", text)


def block(text: str, head: str) -> str:
    return blocks(text, head)[0]


def directives(body: str, name: str) -> list[str]:
    return [m.strip() for m in re.findall(rf"^\s*{name}\s+([^;]*);", body, re.M)]


def test_upstream_has_one_line_per_app_process_and_the_binding_cookie_as_sticky_key(deploy_load, template):
    site = deploy_load.render(template, PORTS)
    upstream = block(site, "upstream outreach_app")
    servers = [s.split()[0] for s in directives(upstream, "server")]
    assert servers == [f"127.0.0.1:{p}" for p in PORTS]
    # the key must be the cookie the app sets on a browser's first request and never changes at sign-in
    assert directives(upstream, "hash") == [f"$cookie_{web_sessions.BIND_COOKIE} consistent"]
    assert len(re.findall(r"server 127\.0\.0\.1:", code(deploy_load.render(template, [8601])))) == 1


def test_websocket_upgrade_and_forwarded_headers_reach_every_location(deploy_load, template):
    site = deploy_load.render(template, PORTS)
    mapping = block(site, "map $http_upgrade $outreach_connection")
    assert re.search(r"default\s+upgrade;", mapping)
    (main,) = [b for b in blocks(site, "server {") if "location" in b]  # the TLS server (the other redirects)
    headers = {h.split()[0].lower(): h.split(None, 1)[1] for h in directives(main, "proxy_set_header")}
    assert headers["upgrade"] == "$http_upgrade"
    assert headers["connection"] == "$outreach_connection"
    assert headers["x-forwarded-proto"] == "$scheme"  # https in this server: the cookies are Secure
    assert headers["host"] == "$http_host"  # Streamlit compares the WebSocket's Origin with it
    assert directives(main, "proxy_http_version") == ["1.1"]
    stream = block(main, "location = /_stcore/stream")
    assert directives(stream, "proxy_pass") == ["http://outreach_app"]
    assert directives(stream, "proxy_read_timeout") == ["1d"]
    # nginx drops every inherited proxy_set_header in a location that sets one of its own
    assert "proxy_set_header" not in main.split("location", 1)[1]
    assert directives(main, "listen") == ["443 ssl", "[::]:443 ssl"]


def test_tls_server_keeps_placeholders_and_the_bench_rendering_listens_plain(deploy_load, template):
    tls = deploy_load.render(template, PORTS)
    assert "listen 443 ssl;" in tls and "ssl_certificate     /etc/ssl/outreach/fullchain.pem;" in tls
    assert "return 301 https://" in tls
    plain = code(deploy_load.render(template, PORTS, listen="127.0.0.1:18080"))
    assert re.findall(r"^\s*listen\s+([^;]*);", plain, re.M) == ["127.0.0.1:18080"]
    assert "ssl" not in plain and "return 301" not in plain
    assert "X-Forwarded-Proto $scheme" in plain and "location = /_stcore/stream" in plain


def test_body_limit_lets_the_apps_own_upload_limit_speak(template):
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    app_mb = config["server"]["maxUploadSize"]
    (limit,) = directives(code(template), "client_max_body_size")
    nginx_mb = int(limit.removesuffix("m"))
    assert app_mb < nginx_mb <= app_mb + 5


def test_units_start_the_app_on_their_port_behind_nginx_and_the_trainer_command_exists():
    app = (DEPLOY / "systemd" / "outreach@.service").read_text()
    command = " ".join(app.split("ExecStart=", 1)[1].split("\\\n"))
    assert "streamlit run dashboard/server.py" in command
    assert "--server.port %i" in command and "--server.address 127.0.0.1" in command
    trainer = (DEPLOY / "systemd" / "outreach-trainer.service").read_text()
    argv = trainer.split("ExecStart=", 1)[1].splitlines()[0].split()
    assert argv[1:3] == ["-m", "dashboard"]
    args = cli.build_parser().parse_args(argv[3:])
    assert args.func is cli.cmd_train and args.pending
    env = (DEPLOY / "outreach.env.example").read_text()
    assert re.search(r"^OUTREACH_BACKGROUND_TRAINING=0$", env, re.M)  # the app processes leave training to it
    settings = dict(line.split("=", 1) for line in env.splitlines() if line and not line.startswith("#"))
    assert not [k for k in settings if re.search(r"PASSWORD|SECRET|TOKEN", k)]  # no secrets in the example
    assert "@" in settings["OUTREACH_DB_URL"] and not re.search(r"://[^/@]*:[^/@]*@", settings["OUTREACH_DB_URL"])


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="nginx")
def test_rendered_sites_pass_nginx_t(deploy_load, template, tmp_path):
    binary = deploy_load.nginx_binary()
    plain = tmp_path / "plain" / "nginx.conf"
    plain.parent.mkdir()
    plain.write_text(deploy_load.nginx_conf(deploy_load.render(template, PORTS, "127.0.0.1:18080"), plain.parent))
    checked = deploy_load.nginx_test(binary, plain)
    assert checked.returncode == 0, checked.stderr
    if shutil.which("openssl") is None:
        pytest.skip("openssl: the TLS server is checked with a throwaway certificate")
    tls = tmp_path / "tls" / "nginx.conf"
    tls.parent.mkdir()
    cert, key = tls.parent / "cert.pem", tls.parent / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=outreach.test"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with_cert = template.replace("/etc/ssl/outreach/fullchain.pem", str(cert))
    with_cert = with_cert.replace("/etc/ssl/outreach/privkey.pem", str(key))
    tls.write_text(deploy_load.nginx_conf(deploy_load.render(with_cert, PORTS), tls.parent))
    checked = deploy_load.nginx_test(binary, tls)
    assert checked.returncode == 0, checked.stderr
