"""What every API view shares: JSON in and out, program time zone, JSON 404."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from navigator.api.idempotency import IdempotentWritesMixin
from navigator.api.parsers import JSONParser
from navigator.api.serializers import OptionalReasonSerializer, ReasonSerializer
from navigator.http import AuthedApiRequest
from navigator.selectors import primary_program_for

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    # Every API view is a GenericViewSet; named so mypy knows super().
    _GenericViewBase = GenericAPIView
else:
    _GenericViewBase = object


class ApiViewMixin(IdempotentWritesMixin, _GenericViewBase):
    """Mixed into every DRF view of the API (writes take ``Idempotency-Key``)."""

    # Every API view is behind IsAuthenticated (the default permission), so
    # once a view's code runs its request has a signed-in user.
    request: AuthedApiRequest

    # The API speaks JSON only: form bodies would turn lists and booleans into
    # strings and make "wrong type" impossible to detect.
    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # ProgramTimezoneMiddleware runs before DRF authenticates, so for a
        # bearer-token client it saw an anonymous user. Activate the program's
        # zone here too, so a time without an offset means the same for token
        # and session clients (and the pages). The middleware deactivates it.
        program = primary_program_for(user=request.user)
        if program is not None:
            timezone.activate(program.tz)

    def paginate_queryset(self, queryset: QuerySet[Any]) -> list[Any]:
        """One page of a list. Every list is paginated
        (``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]``), so, unlike DRF's,
        this never answers None."""
        page = super().paginate_queryset(queryset)
        assert page is not None, "no pagination class"
        return page


# It changes nothing, and without the exemption an unknown URL POSTed to by a
# token client would get Django's HTML CSRF page instead of this 404.
@csrf_exempt
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Unknown URLs under /api/ answer in the API's error shape, not HTML."""
    detail = "No such endpoint."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail = f"No such endpoint. Did you mean {request.path}/ ?"
    return JsonResponse(
        {"detail": detail, "code": "not_found", "fields": {}}, status=404
    )


def reason_from(request, *, required: bool) -> str:
    """The ``reason`` of a delete / restore, from the JSON body or ``?reason=``.

    Some HTTP clients cannot send a body with DELETE, hence the query form.
    It goes through a serializer all the same: length, type, NUL characters.
    """
    body = request.data
    if not body and "reason" in request.query_params:
        body = {"reason": request.query_params["reason"]}
    serializer_class = ReasonSerializer if required else OptionalReasonSerializer
    serializer = serializer_class(data=body)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data.get("reason", "")
