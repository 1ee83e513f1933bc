"""The store's hottest statements on SQLite, handed to the driver without SQLAlchemy's execution layer.

Measured on one action's nine statements: SQLAlchemy's execution layer (cache lookup, execution
context, parameter and result bookkeeping) costs about 45 µs per statement around SQLite's own
10 to 20 µs. A statement marked `DIRECT` (`.execution_options(direct=True)`) is compiled once by
SQLAlchemy for the SQLite dialect, for each set of parameter names it is run with; its SQL, the
order of its parameters and SQLAlchemy's own type conversions (the dialect's bind and result
processors) are kept, and each run goes to the cursor of the same connection, in the same
transaction. An error is handled by SQLAlchemy's own handler: the same exception, and a connection the
driver lost is invalidated (the engine opens a new one).

What this cannot run exactly goes through SQLAlchemy as before: statements with Python-side column
defaults, several rows at once, an empty IN list, writes outside a transaction, and any statement
while something listens to the engine's events (instrumentation, the tests that count statements).
PostgreSQL never comes here (asyncpg and SQLAlchemy's async engine, as before), so the store's code
and its statements are the same for both.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from keyword import iskeyword
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Delete, Dialect, Executable, Insert, Select, Update
from sqlalchemy.sql.compiler import SQLCompiler

# Mark a statement with this (`.execution_options(**DIRECT)`) to have SQLite run it directly.
DIRECT = {"direct": True}
Processor = Callable[[Any], Any] | None
_POSTCOMPILE = "__[POSTCOMPILE_{}]"


class Plan:
    """A statement compiled once for one set of parameter names: what each run needs."""

    __slots__ = ("_sized", "expanding", "fixed", "names", "processors", "results", "row", "sql")

    def __init__(self, compiled: SQLCompiler, columns: Sequence[Any], dialect: Dialect) -> None:
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        binds = compiled.binds
        self.expanding = frozenset(compiled.bind_names[b] for b in compiled.post_compile_params)
        # Values bound in the statement itself (`.values(running=False)`), unless a run gives its own.
        self.fixed: dict[str, Any] = {name: bind.value for name, bind in binds.items() if not bind.required}
        self.processors: tuple[Processor, ...] = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        )
        self.results: tuple[Processor, ...] = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        self.row: type[tuple[Any, ...]] | None = namedtuple("Row", [c.key for c in columns]) if columns else None
        self._sized: dict[tuple[int, ...], str] = {}

    def bind(self, given: Mapping[str, Any]) -> tuple[str, list[Any]] | None:
        """The SQL (IN lists expanded to their length) and the driver's parameters, for one run; None for an
        empty IN list (SQLAlchemy renders it as an expression that is never true). Raises what a processor
        raises (a value the column's type cannot take), and KeyError for a parameter missing."""
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
    """A plan for a statement marked DIRECT, or None when it must go through SQLAlchemy: Python-side column
    defaults, values rendered into the SQL, bind names SQLAlchemy escapes or computes at each run, result
    columns whose names are not plain attribute names."""
    if not isinstance(statement, Select | Insert | Update | Delete):
        return None
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler) or compiled.positional is False:
        return None
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params:
        return None
    if compiled.escaped_bind_names or any(b.callable is not None for b in compiled.binds.values()):
        return None
    if any(
        not b.expanding or _POSTCOMPILE.format(compiled.bind_names[b]) not in compiled.string
        for b in compiled.post_compile_params
    ):
        return None
    columns = list(statement.selected_columns if isinstance(statement, Select) else statement.exported_columns)
    names = [str(c.key) for c in columns]
    if len(set(names)) != len(names) or any(not n.isidentifier() or n[0] == "_" or iskeyword(n) for n in names):
        return None  # a namedtuple would rename them
    return Plan(compiled, columns, dialect)


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
    """The plans of one engine, by statement (held weakly: a statement built per call goes with its plans) and
    parameter names."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: WeakKeyDictionary[Executable, dict[tuple[str, ...], Plan | None]] = WeakKeyDictionary()

    def run(self, connection: Connection, statement: Executable, parameters: Any) -> DirectResult | None:
        """Run `statement` directly when it is marked and can be; None when SQLAlchemy must run it (also while
        anything listens to the engine's events, which only SQLAlchemy's execution emits)."""
        if not statement.get_execution_options().get("direct"):
            return None
        if connection._has_events or connection.engine._has_events:  # SQLAlchemy's own test, before it emits
            return None
        if isinstance(parameters, list | tuple):  # several rows: SQLAlchemy sends them as one statement
            if len(parameters) != 1:
                return None
            parameters = parameters[0]
        given: Mapping[str, Any] = parameters or {}
        keys = tuple(sorted(given))
        by_keys = self._plans.setdefault(statement, {})
        if keys not in by_keys:
            by_keys[keys] = plan_for(statement, keys, self.dialect)
        plan = by_keys[keys]
        if plan is None or not (isinstance(statement, Select) or connection.in_transaction()):
            return None  # a write outside `begin()`: SQLAlchemy's autobegin keeps it in a transaction it ends
        return _run(connection, plan, given)


def _run(connection: Connection, plan: Plan, given: Mapping[str, Any]) -> DirectResult | None:
    """Bind and run one plan on the connection's driver connection; its rows, converted as SQLAlchemy converts
    them. Whatever fails (a value, the driver, a connection gone) is handled as SQLAlchemy handles it: wrapped in
    its exception, and the connection invalidated when the driver says it is gone."""
    sql, cursor = plan.sql, None
    values: Mapping[str, Any] | list[Any] = given  # what an error names, until bound
    try:
        bound = plan.bind(given)
        if bound is None:
            return None
        sql, values = bound
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, values)
        return DirectResult(plan.rows(cursor.fetchall()), cursor.rowcount)
    except Exception as e:  # noqa: BLE001 - SQLAlchemy's handler raises its own exception for it
        connection._handle_dbapi_exception(e, sql, values, cursor, None)
    finally:
        if cursor is not None:
            cursor.close()
