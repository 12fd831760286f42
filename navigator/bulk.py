"""Bulk loading of many rows: COPY on PostgreSQL, bulk_create elsewhere,
of plain values (the seed) or of model instances (``BulkLoader.create``: the
bulk services, their audit events); and for big loads on PostgreSQL the dropping and re-creating of foreign keys
and plain indexes around the load (``BulkLoader.bulk_mode``)."""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from django.db import connection, models

from navigator.progress import Progress

# Above this many new rows in one table, PostgreSQL loads go without foreign
# keys and plain indexes, re-created afterwards (see BulkLoader.bulk_mode).
BULK_MODE_ABOVE = 50_000

M = TypeVar("M", bound=models.Model)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _special(f: models.Field) -> bool:
    """A field whose value COPY cannot take as the instance holds it."""
    return isinstance(f, models.JSONField) or bool(
        getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    )


class BulkLoader:
    """Inserts rows of plain values: COPY on PostgreSQL, bulk_create elsewhere.

    A row is a dict by attname, every row with the same keys in the same
    order; JSON fields hold JSON text (COPY takes it as it is). Fields a row
    leaves out get their default.
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.progress = progress or Progress(enabled=False)

    def take_ids(self, model: type[models.Model], n: int) -> list[int]:
        """``n`` fresh primary keys, so children can point at rows before COPY."""
        if n <= 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                # nextval() keeps ids unique even while the app inserts too.
                # The sequence is looked up once: per row it costs 10x more.
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [sequence, n],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the seed is one write transaction (BEGIN IMMEDIATE), so no
            # one takes ids meanwhile; never reuse an AUTOINCREMENT id.
            qn = connection.ops.quote_name(table)
            # The table name comes from the model, not from input.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {qn}")  # noqa: S608
            top = cursor.fetchone()[0]
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = %s", [table]
                )
                row = cursor.fetchone()
                top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + n))

    def insert(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
        """Insert every row; returns how many."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        columns = list(first)
        json_fields = {
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.JSONField)
        }
        if not self.postgres:
            return self._bulk_create(model, first, rows, json_fields)
        defaults = {}
        for f in model._meta.concrete_fields:
            if f.attname not in columns and not f.primary_key:
                value = f.get_default()
                if f.attname in json_fields:
                    value = _json(value)
                elif isinstance(value, str):
                    value = str.__str__(value)  # a TextChoices member as plain text
                defaults[f.column] = value
        qn = connection.ops.quote_name
        # The columns are the model's own concrete fields (no relations back).
        names = ", ".join(
            qn(cast(models.Field, model._meta.get_field(c)).column) for c in columns
        )
        names += "".join(f", {qn(c)}" for c in defaults)
        tail = tuple(defaults.values())
        count = 1
        with connection.cursor() as cursor:
            sql = f"COPY {qn(model._meta.db_table)} ({names}) FROM STDIN"
            with cursor.copy(sql) as copy:
                write = copy.write_row
                write((*first.values(), *tail))
                for row in rows:
                    write((*row.values(), *tail))
                    count += 1
        return count

    @staticmethod
    def _bulk_create_keeping_stamps(
        model: type[models.Model], objs: Sequence[M]
    ) -> Sequence[M]:
        # bulk_create overwrites auto_now(_add) stamps in pre_save; put back
        # the ones the caller set, as COPY keeps them.
        stamps = [
            f.attname
            for f in model._meta.concrete_fields
            if _special(f) and not isinstance(f, models.JSONField)
        ]
        kept = [[getattr(obj, name) for name in stamps] for obj in objs]
        model._default_manager.bulk_create(objs)
        changed = []
        for obj, values in zip(objs, kept, strict=True):
            if any(v is not None for v in values):
                for name, value in zip(stamps, values, strict=True):
                    if value is not None:
                        setattr(obj, name, value)
                changed.append(obj)
        if changed and stamps:
            model._default_manager.bulk_update(changed, stamps)
        return objs

    @staticmethod
    def _copy(
        model: type[models.Model],
        fields: list[models.Field],
        rows: Iterable[tuple[Any, ...]],
    ) -> None:
        qn = connection.ops.quote_name
        names = ", ".join(qn(f.column) for f in fields)
        with connection.cursor() as cursor:
            sql = f"COPY {qn(model._meta.db_table)} ({names}) FROM STDIN"
            with cursor.copy(sql) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)

    def create(self, objs: Sequence[M]) -> Sequence[M]:
        """Insert new instances of one model, as ``bulk_create`` would (the
        fields' ``pre_save``, JSON as JSON; but a time stamp already set is
        kept), with COPY on PostgreSQL: ``bulk_create``
        spends about twice as long building and binding its INSERTs as the
        server takes to store the rows (docs/performance.md). The instances
        get their primary keys and are marked saved.
        """
        if not objs:
            return objs
        model = type(objs[0])
        if not self.postgres:
            return self._bulk_create_keeping_stamps(model, objs)
        for obj, pk in zip(objs, self.take_ids(model, len(objs)), strict=True):
            obj.pk = pk
        # The values as COPY takes them: JSON as text, time stamps from the
        # fields' pre_save (auto_now_add) unless already set - the seed's
        # people were met in the past - and the rest as they are, which
        # psycopg adapts itself (get_db_prep_save per value cost half the
        # time of the whole load).
        fields = list(model._meta.concrete_fields)
        plain = [f for f in fields if not _special(f)]
        special = [f for f in fields if _special(f)]
        get_plain = operator.attrgetter(*[f.attname for f in plain])

        def row(obj: M) -> tuple[Any, ...]:
            values = list(get_plain(obj)) if len(plain) > 1 else [get_plain(obj)]
            for f in special:
                value = getattr(obj, f.attname)
                if isinstance(f, models.JSONField):
                    values.append(None if value is None else _json(value))
                else:
                    values.append(f.pre_save(obj, True) if value is None else value)
            return tuple(values)

        self._copy(model, [*plain, *special], (row(obj) for obj in objs))
        db = connection.alias
        for obj in objs:
            obj._state.adding = False
            obj._state.db = db
        return objs

    @staticmethod
    def _bulk_create(
        model: type[models.Model],
        first: dict[str, Any],
        rows: Iterator[dict[str, Any]],
        json_fields: set[str],
        batch_size: int = 1000,
    ) -> int:
        count = 0
        batch: list[models.Model] = []
        for values in itertools.chain((first,), rows):
            for name in json_fields & values.keys():
                values[name] = json.loads(values[name])
            batch.append(model(**values))
            if len(batch) == batch_size:
                model._default_manager.bulk_create(batch)
                count += len(batch)
                batch = []
        model._default_manager.bulk_create(batch)
        return count + len(batch)

    @contextmanager
    def bulk_mode(self, loads: Sequence[tuple[type[models.Model], int]]):
        """For big loads on PostgreSQL: no per-row foreign-key triggers and
        no per-row index upkeep; keys and indexes come back afterwards.

        PostgreSQL's advice for bulk loads ("Populating a Database": remove
        indexes, remove foreign key constraints). Re-adding a key checks all
        rows in one join instead of one deferred trigger per row at commit
        (~50 s for a million encounters here); building an index once beats
        updating it row by row when the load outgrows what is there. It all
        happens in the seed's transaction, so a failure rolls the schema back
        with the data. Meanwhile the loaded tables and the tables their keys
        point at (users, programs) are locked - nobody can sign in until the
        seed commits - which is why small loads (``make run``, top-ups) do not
        do this.
        """
        rows = {m._meta.db_table: n for m, n in loads if n > BULK_MODE_ABOVE}
        tables = list(rows)
        if not self.postgres or not tables:
            yield
            return
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # Key checks still deferred from rows written earlier in this
            # transaction (the seed's directory, then its referrals) make
            # PostgreSQL refuse ALTER TABLE on those tables: run them now,
            # then defer again (Django's keys are INITIALLY DEFERRED).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [tables],
            )
            keys = cursor.fetchall()
            # Plain indexes only: primary keys, unique indexes and indexes
            # behind constraints keep guarding the data during the load.
            cursor.execute(
                "SELECT t.relname, t.reltuples, i.indexrelid::regclass::text, "
                "pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE i.indrelid = ANY(%s::regclass[]) "
                "AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = i.indexrelid) ORDER BY 1, 3",
                [tables],
            )
            # Rebuilding pays only when the load outgrows the table (reltuples
            # is an estimate, -1 if never analysed).
            indexes = [
                (index, definition)
                for table, present, index, definition in cursor.fetchall()
                if present < rows[table]
            ]
            for table, name, _ in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
            for index, _ in indexes:
                cursor.execute(f"DROP INDEX {index}")
        yield
        steps = len(indexes) + len(keys)
        with (
            self.progress.phase("indexes, keys", total=steps, unit="steps") as bar,
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
                bar.update(1)
            for table, name, definition in keys:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}"
                )
                bar.update(1)
