"""A real IMAP server for the mailbox tests: a throwaway Debian dovecot instance in a temporary folder (its own
config, a passwd-file user, a Maildir), on a free port of 127.0.0.1, stopped when the test ends."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
USER, PASSWORD = "crm", "mailbox-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DovecotServer:
    """``with DovecotServer(tmp) as imap:`` ... ``imap.deliver(raw_bytes)``; ``imap.port``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.port = _free_port()
        self.pid: int | None = None

    def _config(self) -> Path:
        f = self.folder
        for sub in ("run", "state", "home"):
            (f / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # mail processes never run as root: the mail user is nobody
            uid, gid, own = 65534, 65534, ""
            for path in (f, f / "home"):
                path.chmod(0o777)
        else:
            me = pwd.getpwuid(os.geteuid())
            uid, gid = me.pw_uid, me.pw_gid
            own = f"default_internal_user = {me.pw_name}\ndefault_login_user = {me.pw_name}\n"
        (f / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{f}/home/{USER}\n")
        conf = f / "dovecot.conf"
        conf.write_text(f"""{own}base_dir = {f}/run
state_dir = {f}/state
log_path = {f}/dovecot.log
instance_name = voronka-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {f}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {f}/passwd
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
        return conf

    def __enter__(self) -> DovecotServer:
        conf = self._config()
        with open(self.folder / "start.log", "wb") as log:  # not a pipe: the daemon keeps it open
            subprocess.run([DOVECOT, "-c", str(conf)], check=True, stdin=subprocess.DEVNULL, stdout=log,
                           stderr=subprocess.STDOUT, timeout=30)
        pid_file = self.folder / "run" / "master.pid"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if pid_file.exists() and pid_file.read_text().strip():
                self.pid = int(pid_file.read_text().strip())
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return self
                except OSError:
                    pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"dovecot did not start: {(self.folder / 'dovecot.log').read_text()[-2000:]}")

    def __exit__(self, *exc) -> None:
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def deliver(self, raw: bytes) -> None:
        """Put a message in the INBOX (unseen), as a delivery would."""
        conn = self.client()
        try:
            status, _ = conn.append("INBOX", None, None, raw)
            assert status == "OK"
        finally:
            conn.logout()

    def unseen(self) -> int:
        conn = self.client()
        try:
            conn.select("INBOX")
            _, found = conn.uid("SEARCH", None, "UNSEEN")
            return len(found[0].split()) if found and found[0] else 0
        finally:
            conn.logout()
