from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from navigator.links import absolute_url
from navigator.pagination import COUNT_LIMIT, BoundedPage, BoundedPaginator

COUNT_DESCRIPTION = (
    f"How many results the list has, exact up to {COUNT_LIMIT:,}. A list with "
    f"more says {COUNT_LIMIT} and sets `count_capped` (the pages show "
    f'"{COUNT_LIMIT:,}+"): counting further would cost the whole table.'
)
COUNT_CAPPED_DESCRIPTION = (
    f"True when the list has more than {COUNT_LIMIT:,} results, so `count` is a "
    f"lower bound. Page numbers reach the first {COUNT_LIMIT:,}; `next` goes on "
    "past them with a `cursor`, so following `next` still gives every result."
)


def _whole(raw: str, name: str, *, maximum: int | None = None) -> int:
    # DRF answers ?page=abc with 404 "Invalid page." and quietly reads
    # ?page_size=abc (or 0, or 1e400) as the default: bad input is a 400
    # naming the parameter, as for every filter.
    message = (
        f"Give a whole number from 1 to {maximum}."
        if maximum
        else "Give a whole number from 1."
    )
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationError({name: [message]}, code="invalid")
    value = int(raw)
    if value < 1 or (maximum and value > maximum):
        raise ValidationError({name: [message]}, code="invalid")
    return value


class Pagination(PageNumberPagination):
    """Page numbers, as on the pages, over the same bounded count; past the
    counted results, cursors (``navigator.pagination``).

    ``?page=`` from 1, ``?page_size=`` from 1 to 100; anything else is a 400
    naming the parameter. A page past the last one is a 404 ``not_found``.
    """

    # Set by paginate_queryset, which DRF calls before any link or response
    # is built (the base class types them "or None" for before that).
    page: BoundedPage
    request: Request

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = BoundedPaginator
    page_query_description = (
        "A page number, from 1. A page past the last, or past the first "
        f"{COUNT_LIMIT:,} results, is a 404 (the last page's `next` goes on "
        "by `cursor`)."
    )
    page_size_query_description = "Results per page: 25 unless given, at most 100."
    cursor_query_param = "cursor"
    cursor_query_description = (
        f"Where to go on past the first {COUNT_LIMIT:,} results: an opaque "
        "token, taken from a `next` link (with the same filters). A cursor page "
        "has no `previous`. An invalid or foreign cursor is a 404."
    )

    def paginate_queryset(self, queryset, request, view=None):
        cursor = request.query_params.get(self.cursor_query_param)
        if not cursor:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page_after(cursor)
        except InvalidPage as exc:
            raise NotFound(str(exc)) from None
        return list(self.page)

    def _here(self) -> str:
        # On SITE_URL, not on the Host the request came with (navigator.links).
        if self.request is None:  # set by paginate_queryset, always first
            raise RuntimeError("page links before paginate_queryset()")
        return absolute_url(self.request.get_full_path())

    def get_next_link(self) -> str | None:
        cursor = self.page.next_cursor
        if cursor is not None:
            url = remove_query_param(self._here(), self.page_query_param)
            return replace_query_param(url, self.cursor_query_param, cursor)
        if not self.page.has_next():
            return None
        return replace_query_param(
            self._here(), self.page_query_param, self.page.next_page_number()
        )

    def get_previous_link(self) -> str | None:
        if self.page.after_counted or not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        if number == 1:
            return remove_query_param(self._here(), self.page_query_param)
        return replace_query_param(self._here(), self.page_query_param, number)

    def get_paginated_response(self, data) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": paginator.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        response["properties"] = {
            "count": {
                **properties.pop("count"),
                "minimum": 0,
                "maximum": COUNT_LIMIT,
                "description": COUNT_DESCRIPTION,
            },
            "count_capped": {
                "type": "boolean",
                "example": False,
                "description": COUNT_CAPPED_DESCRIPTION,
            },
            **properties,
        }
        response["required"] = ["count", "count_capped", "next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return [
            *parameters,
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            },
        ]

    last_page_strings = ()  # "?page=last" is not in the schema

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        return 1 if raw is None else _whole(raw, self.page_query_param)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return _whole(raw, self.page_size_query_param, maximum=self.max_page_size)
