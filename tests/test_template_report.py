"""The never-rendered template report (tests/plugins/templates.py) sees the files and the renders."""

from django.template.loader import get_template

from tests.plugins import templates


def test_every_template_file_under_careloop_is_listed_and_nothing_else():
    found = templates.all_templates()
    names = {str(path.relative_to(templates.PACKAGE)) for path in found}
    assert "templates/base.html" in names
    assert "patients/templates/patients/record/widgets/icd10_input.html" in names
    assert all("/templates/" in f"/{name}" for name in names)
    assert not any(name.endswith(".py") for name in names)  # templatetags/ is code, not templates


def test_a_rendered_template_is_recorded_by_its_file():
    template = get_template("includes/form_errors.html")
    template.render({})
    assert templates.PACKAGE / "templates/includes/form_errors.html" in templates._rendered
