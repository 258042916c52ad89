"""A real IMAP server for tests: Debian's Dovecot, configured and started in a temp folder."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "tiepnhan", "mat-khau-hop-thu"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovenull gid=dovenull home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self, root: Path) -> None:
        if not Path(DOVECOT).exists():
            what = f"test peer missing: {DOVECOT} (Dovecot) not found"
            install = "install with `make test-deps` (as root: apt-get install dovecot-imapd)"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{what}; required on CI; {install}")
            pytest.skip(f"{what}; the IMAP tip line test did not run; {install}")
        self.root = root
        self.port = free_port()
        for folder in ("run", "state", "home"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        shutil.chown(root / "home", "dovenull", "dovenull")
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=self.port))
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Dovecot did not start")

    def deliver(self, raw: bytes) -> None:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(USER, PASSWORD)
        client.append("INBOX", None, None, raw)
        client.logout()

    def flags(self) -> list[str]:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(USER, PASSWORD)
        client.select("INBOX")
        _, data = client.fetch("1:*", "(FLAGS)")
        client.logout()
        return [d.decode() for d in data if d]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
