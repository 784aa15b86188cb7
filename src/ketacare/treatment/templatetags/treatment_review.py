"""Panels for pages other helpers also edit, so each page needs one `{% include %}` line:
the end-of-induction decision on the course page, the interaction warnings, REMS
enrollment and IV preparation on the dose step, the esketamine label on the protocol
list (issue 14 items 6, 7, 8, 12)."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.accounts.permissions import Perm
from ketacare.clinical import induction_review as rule
from ketacare.clinical import protocols

from ..dose_step import notes_for
from ..induction_review import state
from ..label_variant import label_of
from ..models import Course, Session
from ..review_views import InductionReviewForm, LabelForm

register = template.Library()


@register.inclusion_tag("treatment/_induction_review_panel.html", takes_context=True)
def induction_review_panel(context: template.Context, course: Course) -> dict[str, Any]:
    staff = context["request"].staff
    return {"review": state(course), "form": InductionReviewForm(), "source": rule.SOURCE,
            "can_decide": staff.can(Perm.SIGN_ORDERS), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("treatment/_dose_step_panel.html", takes_context=True)
def dose_step_panel(context: template.Context, session: Session) -> dict[str, Any]:
    """With the session page's `chart` (its latest weight read once), if the page has one."""
    return {"notes": notes_for(session, context.get("chart")), "session": session}


@register.inclusion_tag("treatment/_label_variant_panel.html", takes_context=True)
def label_variant_panel(context: template.Context) -> dict[str, Any]:
    staff = context["request"].staff
    current = label_of(staff.clinic)
    return {"form": LabelForm(initial={"variant": current}),
            "current": protocols.LABEL_VARIANTS.get(current, current),
            "can_manage": staff.can(Perm.MANAGE_CLINIC), "csrf_token": context.get("csrf_token")}
