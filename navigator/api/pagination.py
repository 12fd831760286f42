from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


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
    """Pages of a list: ``?page=`` from 1, ``?page_size=`` from 1 to 100.

    A page past the last one is a 404 ``not_found`` ("Invalid page."), as
    DRF answers it; the schema documents it on every list.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # "?page=last" is not in the schema

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        return 1 if raw is None else _whole(raw, self.page_query_param)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return _whole(raw, self.page_size_query_param, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
