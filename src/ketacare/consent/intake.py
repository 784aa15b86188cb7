"""Intake before the first visit: what the patient is asked (plain language), how answers
become *proposed* chart items, and the clinician's accept/decline per item. Nothing the
patient types reaches the chart until a clinician accepts that item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Medication as MedicationEntry
from ketacare.patients.models import MedicationCategory, Patient, PriorTreatment, TreatmentKind
from ketacare.selfreport import actions as selfreport
from ketacare.selfreport.actions import audit_link
from ketacare.selfreport.models import Source

from . import links
from .models import IntakeDecision, PatientLink

CONTACT_FIELDS: dict[str, str] = {
    "email": "Email",
    "mobile": "Mobile phone",
    "escort_name": "Who will take you home (name)",
    "escort_phone": "Their phone",
    "escort_relationship": "How you know them",
}

# Medicines that change sedation or blood pressure with ketamine (clinical reference s.8:
# esketamine label section 7; the REMS form asks the first four).
MEDICINES: dict[str, tuple[str, str]] = {
    "benzodiazepine": ("Medicines for anxiety or panic, like lorazepam (Ativan), alprazolam "
                       "(Xanax) or clonazepam (Klonopin)", MedicationCategory.BENZODIAZEPINE),
    "hypnotic": ("Sleep medicines, like zolpidem (Ambien)", MedicationCategory.HYPNOTIC),
    "opioid": ("Strong pain medicines (opioids), like oxycodone, tramadol or methadone",
               MedicationCategory.OTHER),
    "psychostimulant": ("Medicines for ADHD or to stay awake, like Adderall, Ritalin or "
                        "modafinil", MedicationCategory.PSYCHOSTIMULANT),
    "maoi": ("MAOI antidepressants, like phenelzine (Nardil) or tranylcypromine (Parnate)",
             MedicationCategory.MAOI),
    "antidepressant": ("Other antidepressants you take now", MedicationCategory.ANTIDEPRESSANT),
    "other": ("Any other medicines", MedicationCategory.OTHER),
}

PAST_TREATMENTS: dict[str, tuple[str, str]] = {
    "psychotherapy": ("Talk therapy (counseling, CBT)", TreatmentKind.PSYCHOTHERAPY),
    "ect": ("ECT (electroconvulsive therapy)", TreatmentKind.ECT),
    "tms": ("TMS (magnetic brain stimulation)", TreatmentKind.TMS),
    "ketamine": ("Ketamine or esketamine (Spravato) before", TreatmentKind.KETAMINE),
}

# The eligibility checklist's items (clinical/eligibility.py CRITERIA codes) in plain words.
HISTORY: dict[str, str] = {
    "ketamine_hypersensitivity": "Have you ever had an allergic reaction to ketamine or "
                                 "esketamine?",
    "aneurysmal_vascular_disease": "Have you been told you have an aneurysm (a bulge in a "
                                   "blood vessel)?",
    "arteriovenous_malformation": "Have you been told you have an AVM (a tangle of blood "
                                  "vessels)?",
    "intracerebral_haemorrhage": "Have you ever had bleeding in the brain?",
    "psychosis": "Have you ever heard voices or seen things others could not, or been told "
                 "you had psychosis?",
    "active_substance_use_disorder": "Do you have a problem with alcohol or drugs right now?",
    "uncontrolled_hypertension": "Do you have high blood pressure that is not under control?",
    "cardiovascular_disease": "Have you had a heart attack, heart failure or other heart "
                              "disease?",
    "raised_intracranial_pressure": "Have you been told you have high pressure inside your "
                                    "head?",
    "raised_intraocular_pressure": "Do you have glaucoma or high pressure in your eye?",
    "pregnancy": "Are you pregnant, or could you be?",
    "breastfeeding": "Are you breastfeeding?",
}
HISTORY_ANSWERS = {"no": "No", "yes": "Yes", "unsure": "Not sure"}


@dataclass(frozen=True)
class Proposal:
    key: str
    section: str
    label: str
    current: str
    proposed: str
    decision: IntakeDecision | None = None


def _names(text: str) -> list[str]:
    return [n.strip()[:120] for n in text.replace(";", ",").split(",") if n.strip()]


def clean_answers(raw: Any) -> dict[str, str]:
    """What the intake form posted, limited to known keys and lengths."""
    out: dict[str, str] = {}
    for key in CONTACT_FIELDS:
        out[f"contact:{key}"] = str(raw.get(f"contact:{key}", "")).strip()[:120]
    for key in MEDICINES:
        out[f"med:{key}"] = str(raw.get(f"med:{key}", "")).strip()[:400]
    out["treatment:antidepressant"] = str(raw.get("treatment:antidepressant", "")).strip()[:400]
    for key in PAST_TREATMENTS:
        out[f"treatment:{key}"] = "yes" if raw.get(f"treatment:{key}") == "yes" else ""
    for key in HISTORY:
        value = str(raw.get(f"history:{key}", ""))
        out[f"history:{key}"] = value if value in HISTORY_ANSWERS else ""
    return out


def proposals(link: PatientLink) -> list[Proposal]:
    """Each answer that would add to or change the chart, with what the chart holds now."""
    patient, answers = link.patient, link.answers
    decided = {d.item: d for d in link.decisions.all()}
    out: list[Proposal] = []
    for key, label in CONTACT_FIELDS.items():
        value, current = answers.get(f"contact:{key}", ""), str(getattr(patient, key) or "")
        # Once decided the item stays listed, though an accepted one now matches the chart.
        if value and (value != current or f"contact:{key}" in decided):
            out.append(Proposal(f"contact:{key}", "Contacts", label, current or "-", value))
    current_meds = ", ".join(str(m) for m in patient.medication_set.filter(
        entered_in_error=False, stopped_on__isnull=True)) or "-"
    for key, (label, _) in MEDICINES.items():
        if answers.get(f"med:{key}"):
            out.append(Proposal(f"med:{key}", "Medicines", label, current_meds,
                                answers[f"med:{key}"]))
    if answers.get("treatment:antidepressant"):
        out.append(Proposal("treatment:antidepressant", "Past treatments",
                            "Antidepressants tried before", "-",
                            answers["treatment:antidepressant"]))
    for key, (label, _) in PAST_TREATMENTS.items():
        if answers.get(f"treatment:{key}") == "yes":
            out.append(Proposal(f"treatment:{key}", "Past treatments", label, "-", "Yes"))
    for key, question in HISTORY.items():
        value = answers.get(f"history:{key}", "")
        if value in ("yes", "unsure"):
            out.append(Proposal(f"history:{key}", "Medical history (for the screening)",
                                question, "-", HISTORY_ANSWERS[value]))
    return [Proposal(p.key, p.section, p.label, p.current, p.proposed, decided.get(p.key))
            for p in out]


def history_answers(patient: Patient) -> dict[str, str]:
    """The newest submitted intake's medical-history answers (code -> No/Yes/Not sure),
    for the screening form to show beside each question."""
    link = (PatientLink.objects.filter(patient=patient, purpose="intake",
                                       submitted_at__isnull=False)
            .order_by("-submitted_at").first())
    if link is None:
        return {}
    return {k.removeprefix("history:"): HISTORY_ANSWERS[v] for k, v in link.answers.items()
            if k.startswith("history:") and v in HISTORY_ANSWERS}


# --- actions ---------------------------------------------------------------------------


@transaction.atomic
def start(staff: Staff, patient: Patient, *,
          request: HttpRequest | None = None) -> tuple[PatientLink, str]:
    """A new intake link for the patient; the token is shown once, to hand or send."""
    staff.require(Perm.SELFREPORT_MANAGE)
    staff.require_own(patient.clinic_id)
    link, token = links.issue(patient, "intake", created_by=staff.user)
    record_patient(staff, Action.CREATE, patient.pk, link, request=request,
                   detail={"step": "intake_link"})
    return link, token


def _store(link: PatientLink, raw: Any) -> PatientLink:
    link = PatientLink.objects.select_for_update().get(pk=link.pk)
    link.answers = clean_answers(raw)
    if link.opened_at is None:
        link.opened_at = timezone.now()
    link.save(update_fields=["answers", "opened_at"])
    return link


@transaction.atomic
def save(link: PatientLink, raw: Any, *, request: HttpRequest | None = None) -> PatientLink:
    link = _store(link, raw)
    audit_link(Action.UPDATE, link, request, {"step": "intake_save"})
    return link


@transaction.atomic
def submit(link: PatientLink, raw: Any, *,
           request: HttpRequest | None = None) -> tuple[PatientLink, list[str]]:
    """Close the intake; returns tokens of the baseline questionnaires (primary
    condition's instruments) for the patient to answer next."""
    link = _store(link, raw)
    link.submitted_at = timezone.now()
    link.save(update_fields=["submitted_at"])
    today = link.clinic.today()
    tokens = []
    for instrument in selfreport.instruments_for(link.clinic, link.patient):
        req = selfreport.new_request(
            link.clinic, link.patient, instrument, kind="intake", key="",
            opens=today, closes=today + timedelta(days=links.LINK_DAYS["intake"]),
            source=Source.MANUAL)
        tokens.append(selfreport.issue_link(req, "intake"))
    audit_link(Action.UPDATE, link, request, {"step": "intake_submit"})
    return link, tokens


def _apply(staff: Staff, link: PatientLink, key: str, request: HttpRequest | None) -> str:
    """Write one accepted item to the chart through the patients actions; returns a note."""
    patient, value = link.patient, link.answers.get(key, "")
    section, _, name = key.partition(":")
    if section == "contact":
        patient_actions.update_patient(staff, patient, {name: value},
                                       reason="accepted from the patient's intake",
                                       request=request)
        return f"{CONTACT_FIELDS[name]} updated"
    if section == "med":
        category = MEDICINES[name][1]
        prefix = "opioid: " if name == "opioid" else ""
        for med in _names(value):
            patient_actions.add_entry(staff, patient, MedicationEntry(
                name=f"{prefix}{med}"[:120], category=category, dose=""), request=request)
        return f"{len(_names(value))} medicine(s) added"
    if section == "treatment" and name == "antidepressant":
        for drug in _names(value):
            patient_actions.add_entry(staff, patient, PriorTreatment(
                kind=TreatmentKind.ANTIDEPRESSANT, name=drug,
                detail="reported by the patient at intake"), request=request)
        return f"{len(_names(value))} prior trial(s) added; adequacy still to assess"
    if section == "treatment":
        label, kind = PAST_TREATMENTS[name]
        patient_actions.add_entry(staff, patient, PriorTreatment(
            kind=kind, name=label.split(" (")[0][:120],
            detail="reported by the patient at intake"), request=request)
        return "prior treatment added"
    return "noted for the screening checklist"


@transaction.atomic
def decide(staff: Staff, link: PatientLink, key: str, *, accept: bool, note: str = "",
           request: HttpRequest | None = None) -> IntakeDecision:
    staff.require(Perm.EDIT_PATIENT)
    staff.require_own(link.clinic_id)
    if link.submitted_at is None:
        raise ValidationError("The patient has not sent this intake yet.")
    if key not in {p.key for p in proposals(link)}:
        raise ValidationError({"item": "Unknown intake item."})
    if IntakeDecision.objects.filter(link=link, item=key).exists():
        raise ValidationError({"item": "This item was already decided."})
    if not accept and not note.strip():
        raise ValidationError({"note": "Say why the answer is not taken into the chart."})
    written = _apply(staff, link, key, request) if accept else ""
    decision = IntakeDecision.objects.create(
        link=link, item=key, accepted=accept, note=(note.strip() or written)[:300],
        decided_by=staff.user)
    record_patient(staff, Action.UPDATE, link.patient_id, link, request=request,
                   detail={"step": "intake_decide", "item": key, "accepted": accept})
    return decision
