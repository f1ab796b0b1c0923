"""Every tag is made through `careloop.patients.tag_actions`: no other module creates Tag rows."""

import ast
from pathlib import Path

import pytest

import careloop
from careloop.accounts.models import Organization
from careloop.patients import tag_actions
from careloop.patients.models import Tag

CREATING = {"create", "bulk_create", "get_or_create", "update_or_create"}
CARELOOP = Path(careloop.__file__).parent
TAG_ACTIONS = Path(tag_actions.__file__)


def tag_creations(source: str) -> list[int]:
    """Lines that create Tag rows through its manager (`Tag.objects.create(...)`, `models.Tag.objects...`)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        manager = node.func.value
        if (
            node.func.attr not in CREATING
            or not isinstance(manager, ast.Attribute)
            or manager.attr != "objects"
        ):
            continue
        model = manager.value
        name = (
            model.id
            if isinstance(model, ast.Name)
            else model.attr
            if isinstance(model, ast.Attribute)
            else ""
        )
        if name == "Tag":
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("Tag.objects.create(name='x')", [1]),
        ("x = 1\nTag.objects.bulk_create([])", [2]),
        ("models.Tag.objects.get_or_create(name='x')", [1]),
        ("Tag.objects.filter(name='x')", []),
        ("PatientTag.objects.create(tag=t)", []),
        ("Tag(name='x')", []),
    ],
)
def test_tag_creations_are_found(source, lines):
    assert tag_creations(source) == lines


def test_only_the_tag_actions_create_tags():
    modules = [
        path for path in CARELOOP.rglob("*.py") if path != TAG_ACTIONS and "migrations" not in path.parts
    ]
    assert len(modules) > 100  # the scan reads the project, not an empty folder
    offenders = {
        str(path.relative_to(CARELOOP)): lines
        for path in modules
        if (lines := tag_creations(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.django_db
def test_seeded_tags_belong_to_the_organization_being_seeded():
    clinic = Organization.objects.create(code="clinic", name="Clinic")
    other = Organization.objects.create(code="other", name="Other")
    made = tag_actions.do_create_seeded_tags(clinic.pk, [Tag(organization=clinic, name="高血压")])
    assert [(tag.organization_id, tag.name) for tag in made] == [(clinic.pk, "高血压")]
    with pytest.raises(ValueError, match="organization being seeded"):
        tag_actions.do_create_seeded_tags(clinic.pk, [Tag(organization=other, name="糖尿病")])
    assert list(Tag.objects.values_list("organization_id", "name")) == [(clinic.pk, "高血压")]
