"""One paginator for the pages and the API: its count stops at ``COUNT_LIMIT``.

Counting every row a list matches cost the whole table: about 250 ms to count
a program's 600,000 encounters for a page that takes 2 ms to read. So lists
count at most ``COUNT_LIMIT + 1`` rows (``SELECT COUNT(*) FROM (SELECT ...
LIMIT 10001)``): the count is exact up to ``COUNT_LIMIT``; beyond it is
``COUNT_LIMIT`` with ``count_capped`` set ("10,000+"). Page numbers reach the
first ``COUNT_LIMIT`` rows, so no page reads further into the table than that.
Past them the list goes on by cursor: the last page numbers reach links to
the rows after its last one (keyset pagination: "after these sort values"),
and so does each such page, so whoever follows the next links still sees
every row, each page found through the list's index rather than an OFFSET.
docs/decisions/0008-list-pagination.md has the measurements and the choice.
"""

from __future__ import annotations

import datetime
import decimal
import operator
from collections.abc import Sequence
from functools import reduce
from typing import TYPE_CHECKING, Any, TypeGuard

from django.core import signing
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination

COUNT_LIMIT = 10_000
CURSOR_SALT = "navigator.pagination.cursor"


class BoundedPaginator(Paginator):
    """A Django paginator whose ``count`` is exact only up to ``count_limit``."""

    count_limit: int | None = COUNT_LIMIT

    @cached_property
    def _matched(self) -> int:
        """Rows in the list, counted up to one past the limit."""
        items = self.object_list
        stop = None if self.count_limit is None else self.count_limit + 1
        if not isinstance(items, QuerySet):
            return len(items) if stop is None else min(len(items), stop)
        # Only the primary key: no ordering, nor joins and annotations that
        # only the page needs.
        items = items.order_by().values("pk")
        return (items if stop is None else items[:stop]).count()

    @cached_property
    def count(self) -> int:
        """Rows in the list, exact up to ``count_limit`` (then the limit)."""
        if self.count_limit is None:
            return self._matched
        return min(self._matched, self.count_limit)

    @cached_property
    def count_capped(self) -> bool:
        """Whether the list has more rows than ``count`` says."""
        return self.count_limit is not None and self._matched > self.count_limit

    @property
    def count_label(self) -> str:
        """What the pages show: "1,234", or "10,000+" when capped."""
        return f"{self.count:,}+" if self.count_capped else f"{self.count:,}"

    @property
    def count_limit_label(self) -> str:
        """The limit as the pages show it: "10,000"."""
        return f"{self.count_limit:,}" if self.count_limit is not None else ""

    def page(self, number) -> BoundedPage:
        """The numbered page; past the first, its rows are found by key first.

        ``... LIMIT 25 OFFSET 9975`` computes every skipped row's joins and
        annotations (the familiar-faces list's last contact and overdue
        follow-ups: 0.8 s at page 400); ``WHERE pk IN (the same, keys
        only)`` computes them for the page's 25 rows. Still one query.
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        items = self.object_list
        rows: _SupportsPagination[Any]
        if bottom and _keys_first(items):
            rows = items.filter(pk__in=items.values("pk")[bottom:top])
        else:
            rows = items[bottom:top]
        return self._get_page(rows, number, self)

    def _get_page(self, *args, **kwargs) -> BoundedPage:
        return BoundedPage(*args, **kwargs)

    # --- past the counted rows: by cursor ---------------------------------------

    @cached_property
    def _sort_keys(self) -> list[tuple[str, bool]] | None:
        """The list's ORDER BY as (field, descending), if a cursor can follow
        it: plain fields or annotations, ending with the primary key (so that
        "after this row" is exact). None otherwise."""
        items = self.object_list
        if not isinstance(items, QuerySet):
            return None
        query = items.query
        ordering = query.order_by or (
            items.model._meta.ordering if query.default_ordering else ()
        )
        keys = []
        for term in ordering:
            if not isinstance(term, str) or term == "?":
                return None
            name = term.lstrip("-")
            keys.append(("id" if name == "pk" else name, term.startswith("-")))
        if not keys or keys[-1][0] != "id":
            return None
        return keys

    def cursor_after(self, row: Any) -> str | None:
        """An opaque, signed token for "the rows after ``row``", or None when
        this list cannot be followed by cursor."""
        keys = self._sort_keys
        if keys is None:
            return None
        values = [_value_of(row, name) for name, _ in keys]
        if any(v is None for v in values):
            return None  # NULL sorts apart from every comparison
        return signing.dumps(
            [[f"{'-' if desc else ''}{name}" for name, desc in keys], values],
            salt=CURSOR_SALT,
            compress=True,
        )

    def page_after(self, cursor: str) -> CursorPage:
        """The page of rows that follow ``cursor`` in the list's order.

        Raises InvalidPage for a token that is not one of ours or was made for
        another order.
        """
        keys = self._sort_keys
        items = self.object_list
        try:
            names, values = signing.loads(cursor, salt=CURSOR_SALT)
        except (signing.BadSignature, ValueError, TypeError):
            raise InvalidPage("That cursor is not valid.") from None
        # (Keys are None unless the list is a QuerySet.)
        if (
            keys is None
            or not isinstance(items, QuerySet)
            or names != [f"{'-' if d else ''}{n}" for n, d in keys]
        ):
            raise InvalidPage("That cursor is for another list or order.")
        rows = list(items.filter(_after(keys, values))[: self.per_page + 1])
        return CursorPage(rows[: self.per_page], self, more=len(rows) > self.per_page)


class ExactPaginator(BoundedPaginator):
    """Counts every row: for a list bounded by its nature (one person's
    timeline or audit trail), where every page must stay reachable."""

    count_limit = None


class BoundedPage(Page):
    """A numbered page; the last one the count reaches links on by cursor."""

    paginator: BoundedPaginator  # only BoundedPaginator makes these pages

    @cached_property
    def next_cursor(self) -> str | None:
        paginator = self.paginator
        if not (paginator.count_capped and self.number == paginator.num_pages):
            return None
        return paginator.cursor_after(self[-1]) if len(self) else None

    @property
    def after_counted(self) -> bool:
        """Whether this page lies past the rows page numbers reach."""
        return False


class CursorPage(BoundedPage):
    """Rows after a cursor: past the counted ones, forward only."""

    def __init__(self, object_list: list, paginator: BoundedPaginator, *, more: bool):
        super().__init__(object_list, paginator.num_pages + 1, paginator)
        self.more = more

    @cached_property
    def next_cursor(self) -> str | None:
        return self.paginator.cursor_after(self[-1]) if self.more else None

    @property
    def after_counted(self) -> bool:
        return True

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        # The way back is page 1; a cursor knows only what comes after it.
        return False


def _keys_first(items: Any) -> TypeGuard[QuerySet[Any]]:
    """Whether a page of ``items`` can be found by its keys first: a plain
    query (no GROUP BY or DISTINCT, whose rows a key alone does not name)."""
    return (
        isinstance(items, QuerySet)
        and items.query.group_by is None
        and not items.query.distinct
    )


def _value_of(row: Any, name: str) -> Any:
    """``row``'s value for a sort key, as JSON (the filter parses it back)."""
    value = reduce(getattr, name.split("__"), row)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date):  # and datetimes, with their offset
        return value.isoformat()
    return value


def _after(keys: Sequence[tuple[str, bool]], values: Sequence[Any]) -> Q:
    """Rows after ``values`` in the order ``keys``: (a, b, id) > (x, y, z)
    spelled out per column, since the directions may differ. The first
    column's bound also stands alone, so the index can start from it."""
    steps, equal = [], Q()
    for (name, desc), value in zip(keys, values, strict=True):
        steps.append(equal & Q(**{f"{name}__{'lt' if desc else 'gt'}": value}))
        equal &= Q(**{name: value})
    (first, desc), start = keys[0], values[0]
    return Q(**{f"{first}__{'lte' if desc else 'gte'}": start}) & reduce(
        operator.or_, steps
    )
