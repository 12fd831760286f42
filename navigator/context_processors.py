from django.utils import timezone

from navigator.selectors import (
    is_administrator,
    managed_program_ids_for,
    staff_program_ids_for,
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_is_staff": bool(staff_program_ids_for(user=user)),
        "nav_is_manager": bool(managed_program_ids_for(user=user)),
        # Administrators keep the directory (no health data there). A
        # callable, so a template asks it only where staff did not answer
        # (no extra query on staff pages).
        "nav_is_admin": lambda: is_administrator(user=user),
        # Set per request by ProgramTimezoneMiddleware; every time on a page
        # is in this zone, and the footer says so.
        "nav_time_zone": timezone.get_current_timezone_name(),
    }
