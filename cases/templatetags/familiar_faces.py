"""Template tags of the familiar-faces pages and the person page's panel.

``{% familiar_person_panel person %}`` on the person page leaves a slot that
htmx fills when it scrolls into view (a link without JavaScript): the panel
costs the person page no queries, and the page's own query count stays
pinned. ``lazy=False`` renders it in place instead.
"""

from __future__ import annotations

import datetime

from django import template

from cases.models import Concern, Disposition, EncounterSource, FamiliarFacesRule

register = template.Library()

_LABELS = {
    "sources": dict(EncounterSource.choices),
    "concerns": dict(Concern.choices),
    "dispositions": dict(Disposition.choices),
}

# Geometry of the month chart, in SVG user units (it scales to the width).
CHART_WIDTH = 360
CHART_BAR_AREA = 100  # height of the tallest bar
CHART_TOP = 16  # room for the count above the tallest bar
CHART_LABEL = 16  # room for the month below the bars


@register.inclusion_tag("familiar/_person_panel_slot.html", takes_context=True)
def familiar_person_panel(context, person, lazy: bool = True) -> dict:
    request = context["request"]
    if lazy:
        return {"person": person, "lazy": True}
    from cases.familiar.views import person_panel_context

    return {
        "lazy": False,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        **person_panel_context(request.user, person),
    }


@register.inclusion_tag("familiar/_month_chart.html")
def familiar_month_chart(months: list[tuple[datetime.date, int]]) -> dict:
    """Encounters per month as SVG bars (drawn here, no chart library) and
    the same numbers as a table for screen readers."""
    peak = max((n for _, n in months), default=0)
    slot = CHART_WIDTH / max(len(months), 1)
    bars = []
    for i, (month, count) in enumerate(months):
        height = round(CHART_BAR_AREA * count / peak, 1) if peak else 0
        # A month with contacts is never drawn as nothing at all.
        height = max(height, 2) if count else 0
        x = round(i * slot + slot * 0.15, 1)
        bars.append(
            {
                "month": month,
                "count": count,
                "x": x,
                "center": round(i * slot + slot / 2, 1),
                "width": round(slot * 0.7, 1),
                "y": round(CHART_TOP + CHART_BAR_AREA - height, 1),
                "height": height,
                "label_y": round(CHART_TOP + CHART_BAR_AREA - height - 4, 1),
            }
        )
    return {
        "bars": bars,
        "total": sum(n for _, n in months),
        "peak": peak,
        "width": CHART_WIDTH,
        "height": CHART_TOP + CHART_BAR_AREA + CHART_LABEL,
        "baseline": CHART_TOP + CHART_BAR_AREA,
        "label_y": CHART_TOP + CHART_BAR_AREA + CHART_LABEL - 4,
        "first": months[0][0] if months else None,
        "last": months[-1][0] if months else None,
    }


@register.filter
def rule_terms(rule: FamiliarFacesRule) -> str:
    """ "4+ encounters in 90 days · sources: 911 call · …" with labels, not codes."""
    parts = [f"{rule.min_encounters}+ encounters in {rule.window_days} days"]
    for name, prefix in (
        ("sources", "sources"),
        ("concerns", "concerns"),
        ("dispositions", "dispositions"),
    ):
        values = getattr(rule, name) or []
        if values:
            labels = ", ".join(_LABELS[name].get(v, v) for v in values)
            parts.append(f"{prefix}: {labels}")
    return " · ".join(parts)


@register.filter
def user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username
