"""Every write to the database goes through an action (validated, permission-checked, one
transaction, audited): no `.save()`, `.create()`, `.update()`, `.bulk_create()` or
`.delete()` on a model outside the actions modules, migrations and the demo builders.
docs/architecture.md explains the layers; `make lint` checks the imports (import-linter).

Read from the source with `ast`: a call is a write when it is `.save()` / `.delete()`
without positional arguments (not `form.save(commit=False)`, which builds an unsaved row,
nor a module's `intake.save(link, data)`), or `.create()` /
`.update()` / `.bulk_create()` on a manager or queryset (`X.objects...`, `x.related.create`).
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
WRITES = {"save", "create", "update", "bulk_create", "delete"}
QUERYSET = {"objects", "filter", "exclude", "all", "select_for_update", "select_related",
            "prefetch_related", "order_by", "using", "only", "defer"}

# Where writes belong: actions, migrations, the demo builders (ketacare/demo/, #18 step 1).
ACTIONS = ("*/actions.py", "*/actions/*.py")
BUILDERS = ("*/migrations/*.py", "ketacare/demo/*")

# Modules that are actions under a domain name (one function per use case, permission
# check, one transaction, audit entry), named for what they do rather than actions.py.
ACTION_MODULES = {
    "ketacare/accounts/clinic_settings.py": "clinic settings page's change_settings action",
    "ketacare/accounts/personal.py": "own account settings: co-signature PIN, alert mobile",
    "ketacare/accounts/setup.py": "`ketacare setup`: the first clinic and admin, audited",
    "ketacare/accounts/staff_admin.py": "staff admin actions: invite, roles, deactivate",
    "ketacare/accounts/two_factor.py": "two-factor enrolment, recovery codes and reset",
    "ketacare/audit/log.py": "the audit log's own append (the one write every action makes)",
    "ketacare/consent/intake.py": "intake form actions: save a draft, submit, decide",
    "ketacare/consent/links.py": "issues a patient link (called by consent actions)",
    "ketacare/interop/auth.py": "API token create/revoke, and the last-used stamp on use",
    "ketacare/rems/enrollment.py": "REMS enrollment actions: enroll, mark in error",
    "ketacare/treatment/induction_review.py": "the induction review action",
    "ketacare/treatment/label_variant.py": "the clinic's esketamine label choice action",
}

# Today's writes elsewhere, each with why it is there. A new one fails this test: move it
# into an action (or, if it truly belongs, add it here with its reason).
ALLOWED = {
    ("ketacare/consent/public_views.py", "patient_link"):
        "stamps opened_at on a patient link's first open (no staff, not a clinical record)",
    ("ketacare/consent/views.py", "education_paragraph"):
        "a clinic's education paragraph written in the view (audited); belongs in an action",
}


def _receiver(node: ast.expr) -> list[str]:
    """`Patient.objects.filter(...).update` -> ["Patient", "objects", "filter"]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        else:
            if isinstance(node, ast.Name):
                names.append(node.id)
            return names[::-1]


def _is_write(call: ast.Call) -> bool:
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in WRITES:
        return False
    method, receiver = call.func.attr, _receiver(call.func.value)
    if method in ("save", "delete"):  # with arguments: a module's function (intake.save)
        return not call.args and not any(k.arg == "commit" for k in call.keywords)
    # dict.update / set.update take a mapping; a queryset's update follows a manager
    on_manager = bool(QUERYSET & set(receiver))
    return on_manager or (method == "create" and len(receiver) >= 2)


def _writes(path: Path) -> list[tuple[str, int, str]]:
    """(enclosing function, line, call) of each write in a module."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call) and _is_write(child):
                found.append((name, child.lineno, ast.unparse(child.func)))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def _where_writes_belong(module: Path) -> bool:
    return (any(fnmatch(module.as_posix(), p) for p in ACTIONS + BUILDERS)
            or module.as_posix() in ACTION_MODULES)


def _writes_outside_actions() -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for path in sorted((SRC / "ketacare").rglob("*.py")):
        module = path.relative_to(SRC)
        if _where_writes_belong(module):
            continue
        for function, line, call in _writes(path):
            out.setdefault((module.as_posix(), function), []).append(f"l.{line} {call}")
    return out


def test_no_model_write_outside_actions() -> None:
    new = {k: v for k, v in _writes_outside_actions().items() if k not in ALLOWED}
    assert not new, (
        "Database writes outside an action (views, API, FHIR and CLI call actions; "
        "docs/architecture.md):\n" + "\n".join(f"  {m}::{f}: {', '.join(calls)}"
                                               for (m, f), calls in sorted(new.items())))


def test_the_exceptions_still_exist() -> None:
    found = _writes_outside_actions()
    stale = [k for k in ALLOWED if k not in found]
    stale += [m for m in ACTION_MODULES if not (SRC / m).exists()]
    assert not stale, f"remove from tests/test_architecture.py (no longer there): {stale}"


def test_a_write_in_a_view_is_found(tmp_path: Path) -> None:
    view = tmp_path / "views.py"
    view.write_text("def edit(request, patient):\n"
                    "    patient.save()\n"
                    "    Weight.objects.create(patient=patient, kg=70)\n"
                    "    Patient.objects.filter(pk=1).update(mrn='x')\n"
                    "    form.save(commit=False)\n"
                    "    context.update({'a': 1})\n"
                    "    patient.weights.create(kg=1)\n")
    assert [(f, line) for f, line, _ in _writes(view)] == [
        ("edit", 2), ("edit", 3), ("edit", 4), ("edit", 7)]


# Module and function sizes (#18): an action module past ~400 lines is split into a
# package with a module per sub-domain; a function past ~80 lines is split into named
# steps. Migrations are generated; data tables are module-level constants, not functions.
MAX_ACTION_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _source_modules() -> list[Path]:
    return [p for p in sorted((SRC / "ketacare").rglob("*.py")) if "migrations" not in p.parts]


def test_action_modules_stay_small() -> None:
    big = {}
    for path in _source_modules():
        module = path.relative_to(SRC)
        if _where_writes_belong(module) and not fnmatch(module.as_posix(), "ketacare/demo/*"):
            lines = len(path.read_text().splitlines())
            if lines > MAX_ACTION_MODULE_LINES:
                big[module.as_posix()] = lines
    assert not big, f"action modules over {MAX_ACTION_MODULE_LINES} lines: {big}"


def test_functions_stay_short() -> None:
    long = {}
    for path in _source_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(SRC).as_posix()}::{node.name}"] = lines
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
