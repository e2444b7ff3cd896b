"""Tell `make test-pg` whether PostgreSQL answers: 0 yes, 3 no (skip), 1 no and CI needs it.

Under CI (the CI environment variable set) a PostgreSQL that is down is started with
pg_ctlcluster first, and if it still does not answer the run fails rather than skipping.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import time

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError


def reachable(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def start_cluster() -> None:
    for version in (
        sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    ):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
        )
    for _ in range(20):
        if glob.glob("/var/run/postgresql/.s.PGSQL.*"):
            return
        time.sleep(0.5)


def main(url: str) -> int:
    if reachable(url):
        return 0
    if os.environ.get("CI"):
        start_cluster()
        if reachable(url):
            return 0
        print(f"PostgreSQL is required under CI and does not answer at {url}", file=sys.stderr)
        return 1
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
