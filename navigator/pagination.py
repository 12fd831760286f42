"""One paginator for the pages and the API: its count stops at ``COUNT_LIMIT``.

Counting every row a list matches cost the whole table: about 250 ms to count
a program's 600,000 encounters for a page that takes 2 ms to read. So lists
count at most ``COUNT_LIMIT + 1`` rows (``SELECT COUNT(*) FROM (SELECT ...
LIMIT 10001)``): the count is exact up to ``COUNT_LIMIT``; beyond it is
``COUNT_LIMIT`` with ``count_capped`` set ("10,000+"). Page numbers reach the
first ``COUNT_LIMIT`` rows, so no page reads further into the table than that;
past them the list has to be narrowed with its filters.
docs/decisions/0008-list-pagination.md has the measurements and the choice.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_LIMIT = 10_000


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


class ExactPaginator(BoundedPaginator):
    """Counts every row: for a list bounded by its nature (one person's
    timeline or audit trail), where every page must stay reachable."""

    count_limit = None
