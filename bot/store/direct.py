"""The store's hottest statements on SQLite, handed to the driver without SQLAlchemy's execution layer.

Measured on one action's nine statements: SQLAlchemy's execution layer (cache lookup, execution
context, parameter and result bookkeeping) costs about 45 µs per statement around SQLite's own
10 to 20 µs. A statement marked `DIRECT` (`.execution_options(direct=True)`) is compiled once by
SQLAlchemy for the SQLite dialect, for each set of parameter names it is run with; its SQL, the
order of its parameters and SQLAlchemy's own type conversions (the dialect's bind and result
processors) are kept, and each run goes to the cursor of the same connection, in the same
transaction. A driver error is raised as SQLAlchemy raises it (`sqlalchemy.exc.DBAPIError.instance`).

What this cannot run exactly goes through SQLAlchemy as before: statements with Python-side column
defaults, and writes outside a transaction. PostgreSQL never comes here (asyncpg and SQLAlchemy's
async engine, as before), so the store's code and its statements are the same for both.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Delete, Dialect, Executable, Insert, Select, Update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

# Mark a statement with this (`.execution_options(**DIRECT)`) to have SQLite run it directly.
DIRECT = {"direct": True}
Processor = Callable[[Any], Any] | None
_POSTCOMPILE = "__[POSTCOMPILE_{}]"


class Plan:
    """A statement compiled once for one set of parameter names: what each run needs."""

    __slots__ = ("_sized", "expanding", "fixed", "names", "processors", "results", "row", "sql")

    def __init__(
        self, statement: Select[Any] | Insert | Update | Delete, compiled: SQLCompiler, dialect: Dialect
    ) -> None:
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        binds = compiled.binds
        self.expanding = frozenset(b.key for b in compiled.post_compile_params if b.expanding)
        # Values bound in the statement itself (`.values(running=False)`), unless a run gives its own.
        self.fixed: dict[str, Any] = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        self.processors: tuple[Processor, ...] = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        )
        columns = list(statement.selected_columns if isinstance(statement, Select) else statement.exported_columns)
        self.results: tuple[Processor, ...] = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        self.row: type[tuple[Any, ...]] | None = (
            namedtuple("Row", [c.key for c in columns], rename=True) if columns else None  # type: ignore[misc]
        )
        self._sized: dict[tuple[int, ...], str] = {}

    def bind(self, given: Mapping[str, Any]) -> tuple[str, list[Any]] | None:
        """The SQL (IN lists expanded to their length) and the driver's parameters, for one run; None for an
        empty IN list (SQLAlchemy renders it as an expression that is never true)."""
        values: list[Any] = []
        sizes: list[int] = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = given[name] if name in given else self.fixed[name]
            if name in self.expanding:
                if not value:
                    return None
                sizes.append(len(value))
                values.extend(value if process is None else [process(v) for v in value])
            else:
                values.append(value if process is None else process(value))
        if not sizes:
            return self.sql, values
        key = tuple(sizes)
        sql = self._sized.get(key)
        if sql is None:
            sql = self.sql
            for name, size in zip((n for n in self.names if n in self.expanding), sizes, strict=True):
                sql = sql.replace(_POSTCOMPILE.format(name), ", ".join("?" * size))
            self._sized[key] = sql
        return sql, values

    def rows(self, fetched: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The driver's rows as named rows, each value converted as SQLAlchemy converts it."""
        if self.row is None:
            return []
        make, processors = self.row, self.results
        return [make(*(v if p is None else p(v) for p, v in zip(processors, raw, strict=True))) for raw in fetched]


def plan_for(statement: Executable, keys: Sequence[str], dialect: Dialect) -> Plan | None:
    """A plan for a statement marked DIRECT, or None when it must go through SQLAlchemy."""
    if not isinstance(statement, Select | Insert | Update | Delete):
        return None
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler):
        return None
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params:
        return None  # Python-side defaults, or values rendered into the SQL: SQLAlchemy's job
    if any(not b.expanding for b in compiled.post_compile_params):
        return None
    return Plan(statement, compiled, dialect)


class DirectResult:
    """The buffered result of a direct run: the parts of SQLAlchemy's `CursorResult` the store uses."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        """Every row."""
        return self._rows

    def first(self) -> Any:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> DirectResult:
        """The first column of each row."""
        return DirectResult([row[0] for row in self._rows], self.rowcount)

    def mappings(self) -> DirectResult:
        """Each row as a mapping of column names to values."""
        return DirectResult([row._asdict() for row in self._rows], self.rowcount)


class Plans:
    """The plans of one engine, by statement and parameter names (statements marked DIRECT are few and
    long-lived: built once, at import or with their store)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, tuple[str, ...]], tuple[Executable, Plan | None]] = {}

    def run(self, connection: Connection, statement: Executable, parameters: Any) -> DirectResult | None:
        """Run `statement` directly when it is marked and can be; None when SQLAlchemy must run it."""
        if not statement.get_execution_options().get("direct"):
            return None
        if isinstance(parameters, list):  # several rows: SQLAlchemy sends them as one statement
            if len(parameters) != 1:
                return None
            parameters = parameters[0]
        given: Mapping[str, Any] = parameters or {}
        keys = tuple(sorted(given))
        found = self._plans.get((id(statement), keys))
        if found is None:
            found = (statement, plan_for(statement, keys, self.dialect))
            self._plans[(id(statement), keys)] = found
        plan = found[1]
        if plan is None or not (isinstance(statement, Select) or connection.in_transaction()):
            return None  # a write outside `begin()`: SQLAlchemy's autobegin keeps it in a transaction it ends
        bound = plan.bind(given)
        return None if bound is None else _run(connection, plan, *bound)


def _run(connection: Connection, plan: Plan, sql: str, values: list[Any]) -> DirectResult:
    """Run bound SQL on the connection's driver connection; its rows, converted as SQLAlchemy converts them."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, values)
        return DirectResult(plan.rows(cursor.fetchall()), max(cursor.rowcount, 0))
    except sqlite3.Error as e:
        raise DBAPIError.instance(sql, values, e, sqlite3.Error, dialect=connection.dialect) from e
    finally:
        cursor.close()
