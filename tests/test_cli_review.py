"""The analysts' commands as users run them: serve (waitress), users, submit, export,
alerts show, demo's next steps, and progress lines on a terminal."""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.db import Database
from tests.factories import flagged_item
from tests.helpers import ROOT, missing_source_config, run_cli, write_config
from tests.web_client import Client

PASSWORD = "mat-khau-du-dai"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(db_path: Path) -> dict[str, str]:
    return {"PRESS_MONITOR_DATABASE_URL": f"sqlite:///{db_path}"}


def config_args() -> list[str]:
    return ["--config", str(ROOT / "config.yaml")]


@contextmanager
def running(args: list[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    full_env = {**os.environ, **env}
    full_env.pop("PRESS_MONITOR_CONFIG", None)
    full_env.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_http(base: str, process: subprocess.Popen[str], deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            Client(base).get("/login")
            return
        except OSError:
            time.sleep(0.1)  # polling a condition with a deadline, not a fixed wait
    raise AssertionError(f"{base} did not answer within {deadline} s")


def test_serve_runs_waitress_on_host_and_port_with_access_log(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "pm.db")
    added = run_cli(
        *config_args(),
        "users",
        "add",
        "lan",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    port = free_port()
    with running(
        [*config_args(), "serve", "--host", "127.0.0.1", "--port", str(port)], tmp_path, env
    ) as server:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base, server)
        client = Client(base)
        assert client.login("lan", PASSWORD).status == 302
        assert client.get("/").status == 200
        page = client.get("/alerts/99999999999999999999999")
        assert page.status == 404
        assert page.headers.get("Server") == "press-monitor"  # waitress' ident, not Werkzeug
    err = server.stderr.read() if server.stderr else ""
    assert "WARNING: This is a development server" not in err
    assert re.search(r'127\.0\.0\.1 "GET /alerts/99999999999999999999999" 404', err), err
    assert re.search(r'"POST /login" 302', err)


def test_users_list_enable_and_set_password(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "u.db")

    def users(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return run_cli(*config_args(), "users", *args, cwd=tmp_path, env=env, stdin=stdin)

    assert users("list").stdout.strip() == "no users"
    users(
        "add", "lan", "--display-name", "Nguyễn Thị Lan", "--password-stdin", stdin=PASSWORD + "\n"
    )
    users("add", "minh", "--password-stdin", stdin=PASSWORD + "\n")
    assert users("disable", "minh").returncode == 0
    listed = users("list").stdout.splitlines()
    assert re.match(r"lan\s+enabled\s+\d{4}-\d\d-\d\d\s+Nguyễn Thị Lan", listed[0]), listed
    assert re.match(r"minh\s+disabled", listed[1]), listed
    assert users("enable", "minh").stdout.strip() == "user minh enabled"
    assert re.match(r"minh\s+enabled", users("list").stdout.splitlines()[1])
    assert users("enable", "nobody").returncode == 1
    short = users("set-password", "lan", "--password-stdin", stdin="ngan\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    changed = users("set-password", "lan", "--password-stdin", stdin="mat-khau-moi-dai\n")
    assert changed.returncode == 0 and "sessions ended" in changed.stdout

    from alerts.accounts import authenticate

    db = Database(env["PRESS_MONITOR_DATABASE_URL"])
    with db.session() as session:
        assert authenticate(session, "lan", "mat-khau-moi-dai") is not None
        assert authenticate(session, "lan", PASSWORD) is None
    db.dispose()


def test_submit_refuses_blank_keeps_text_as_text_and_prints_ids(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "s.db")
    for blank in ("", "   \n\t "):
        refused = run_cli(*config_args(), "submit", blank, cwd=tmp_path, env=env)
        assert refused.returncode == 1 and "empty or only whitespace" in refused.stderr
    text = "Tin đồn lừa đảo chuyển khoản ở thị trấn Plei Kần, huyện Ngọc Hồi, tỉnh Kon Tum"
    done = run_cli(
        *config_args(), "submit", text, "--title", "Tin đồn lừa đảo", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    item = re.search(r"stored: item #(\d+) Tin đồn lừa đảo \(submitted:", done.stdout)
    assert item, done.stdout
    assert re.search(r"alert #\d+ \(new\)|no alert: not flagged", done.stdout)
    untitled = run_cli(*config_args(), "submit", "Một đoạn văn bản khác", cwd=tmp_path, env=env)
    assert "(no title)" in untitled.stdout
    db = Database(env["PRESS_MONITOR_DATABASE_URL"])
    from storage.models import Item

    with db.session() as session:
        titled = session.get_one(Item, int(item.group(1)))
        assert titled.title == "Tin đồn lừa đảo" and titled.text == text
        (other,) = session.query(Item).filter(Item.id != titled.id).all()
        assert other.title == "" and other.text == "Một đoạn văn bản khác"
    db.dispose()


def test_alerts_show_says_when_there_is_no_explanation(sqlite_db: Database, tmp_path: Path) -> None:
    alert_id = flagged_item(sqlite_db, score=2.25)
    env = {"PRESS_MONITOR_DATABASE_URL": sqlite_db.url}
    shown = run_cli(*config_args(), "alerts", "show", str(alert_id), cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "score: 2.3" in shown.stdout
    assert "Cách tính điểm: chưa có giải thích" in shown.stdout
    listed = run_cli(
        *config_args(), "alerts", "list", "--search", "ngoc hoi", cwd=tmp_path, env=env
    )
    assert f"#{alert_id}" in listed.stdout and "  2.3  " in listed.stdout
    exported = run_cli(
        *config_args(),
        "alerts",
        "export",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "a.csv"),
        cwd=tmp_path,
        env=env,
    )
    assert exported.returncode == 0, exported.stderr
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Vietnamese right
    (row,) = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
    assert row["score"] == "2.3" and "Ngọc Hồi" in row["title"]


def test_progress_lines_on_a_terminal_only(tmp_path: Path) -> None:
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        config = missing_source_config(tmp_path, f"http://127.0.0.1:{server.server_port}")
        quiet = run_cli("--config", str(config), "collect", cwd=tmp_path)
        assert "items stored so far" not in quiet.stdout + quiet.stderr
        status = run_cli("--config", str(config), "status", cwd=tmp_path)
        assert "last ok: never" in status.stdout and "không rõ" not in status.stdout
        main, child = pty.openpty()
        env = {**os.environ}
        env.pop("PRESS_MONITOR_DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "collect"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=child,
            timeout=180,
            check=False,
        )
        os.close(child)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(main)
    finally:
        server.shutdown()
    assert done.returncode in (0, 1)
    assert "gone: failed, 0 items stored so far" in seen.decode(errors="replace"), seen


@pytest.mark.slow
def test_demo_prints_commands_that_browse_its_database(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    port = free_port()
    config = write_config(tmp_path / "config.yaml", web={"host": "127.0.0.1", "port": port})
    result = run_cli("--config", str(config), "demo", "--workdir", str(workdir), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    exports = dict(re.findall(r"export (PRESS_MONITOR_\w+)=(\S+)", result.stdout))
    assert exports["PRESS_MONITOR_DATABASE_URL"] == f"sqlite:///{workdir / 'demo.db'}"
    commands = re.findall(
        r"^  (\S+(?: -m monitor)?) (status|alerts list|serve)\b", result.stdout, flags=re.M
    )
    assert [c for _, c in commands] == ["status", "alerts list", "serve"], result.stdout
    # the printed commands, run from another folder, look at the demo's data
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**exports}
    status = run_cli("status", cwd=elsewhere, env=env)
    created = re.search(r"alerts:\s+(\d+) new", result.stdout)
    assert created and int(created.group(1)) > 0, result.stdout
    assert f"Alert queue: new {created.group(1)}" in status.stdout, status.stdout
    listed = run_cli("alerts", "list", cwd=elsewhere, env=env)
    assert "giả danh công an" in listed.stdout

    with running(
        ["--config", str(config), "demo", "--workdir", str(workdir), "--serve"], tmp_path, {}
    ) as server:
        line = ""
        end = time.monotonic() + 240
        while "password:" not in line and time.monotonic() < end:
            line = server.stdout.readline() if server.stdout else ""
            assert line or server.poll() is None
        password = line.rsplit("password:", 1)[1].strip()
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base, server)
        client = Client(base)
        assert client.login("demo", password).status == 302
        assert "giả danh công an" in client.get("/").body


def test_help_lists_every_command_though_they_load_lazily(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("alerts", "serve", "users", "intake", "submit", "eval", "rules", "status"):
        assert f"  {command}" in result.stdout
    assert run_cli("rules", "--help", cwd=tmp_path).returncode == 0
