"""PostgreSQL advisory lock keys shared by the service, its crawler processes and a
cluster's processes.

The service holds the instance key exclusively for its lifetime. Each crawler child holds the
crawl key in shared mode on its own connection, so a crawl that outlives a killed service
still shows: a new instance takes the crawl key exclusively for a moment, and cannot while
any crawler holds it. One pair of locks per database and schema (the schema in use comes
from the URL's search_path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

INSTANCE_KEY = 0x70726D6E  # "prmn"
CRAWL_KEY = 0x70726D63  # "prmc"
# Cluster: one leader scheduler; alert creation and story grouping one process at a time.
SCHEDULER_KEY = 0x70726D73  # "prms"
ALERTS_KEY = 0x70726D61  # "prma"
STORIES_KEY = 0x70726D67  # "prmg"
_LOCK = "SELECT {fn}(:k, hashtext(current_database() || '/' || current_schema()))"


def advisory(conn: Connection, fn: str, key: int) -> object:
    """Call one of PostgreSQL's advisory lock functions on this database's lock ``key``."""
    return conn.execute(text(_LOCK.format(fn=fn)), {"k": key}).scalar()


def serialize(session: Session, key: int) -> None:
    """On PostgreSQL, wait for ``key``'s transaction lock (released at commit or rollback):
    workers of a cluster creating alerts or grouping stories take turns. A no-op on SQLite,
    whose writers take turns anyway."""
    if session.get_bind().dialect.name == "postgresql":
        advisory(session.connection(), "pg_advisory_xact_lock", key)
