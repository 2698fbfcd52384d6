"""The SQL both databases speak: statements with `?` placeholders, written once for SQLite and
PostgreSQL alike (server/postgres.py turns the placeholders into its own), and the two helpers the
domain code needs on top of a cursor."""

from __future__ import annotations


def insert(s, table: str, row: dict) -> None:
    """One row, its columns named by the dict's keys (which are the code's own, never a request's)."""
    columns = ", ".join(row)
    s.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def dicts(s, statement: str, params: list | tuple = ()) -> list[dict]:
    """The rows of a query as dicts by column name."""
    cursor = s.execute(statement, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
