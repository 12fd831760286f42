from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from navigator.pagination import COUNT_LIMIT, BoundedPaginator

COUNT_DESCRIPTION = (
    f"How many results the list has, exact up to {COUNT_LIMIT:,}. A list with "
    f"more says {COUNT_LIMIT} and sets `count_capped` (the pages show "
    f'"{COUNT_LIMIT:,}+"): counting further would cost the whole table.'
)
COUNT_CAPPED_DESCRIPTION = (
    f"True when the list has more than {COUNT_LIMIT:,} results, so `count` is a "
    "lower bound. Only the first "
    f"{COUNT_LIMIT:,} are reachable page by page; narrow the filters to see "
    "the rest."
)


class Pagination(PageNumberPagination):
    """Page numbers, as on the pages, over the same bounded count."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = BoundedPaginator
    page_query_description = (
        "A page number, from 1. A page past the last, or past the first "
        f"{COUNT_LIMIT:,} results, is a 404."
    )
    page_size_query_description = "Results per page: 25 unless given, at most 100."

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
