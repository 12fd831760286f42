from django.utils import timezone

from navigator.models import Role
from navigator.selectors import program_ids_for, user_has_role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_is_staff": bool(program_ids_for(user=user)),
        "nav_is_manager": user_has_role(user=user, role=Role.PROGRAM_MANAGER),
        # Set per request by ProgramTimezoneMiddleware; every time on a page
        # is in this zone, and the footer says so.
        "nav_time_zone": timezone.get_current_timezone_name(),
    }
