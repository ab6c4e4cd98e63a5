"""`tipline check` on Django's system-check framework: each app's checks registered as deployment
checks, each finding with a stable id that docs/deployment.md lists, printed in one order, and
`--deploy` adding Django's own checks less the silenced ones."""

import re
from pathlib import Path

import pytest
from django.core import checks

from tipline.operations.deployment import find_findings

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECK_MODULES = sorted((REPO_ROOT / "tipline").glob("*/checks.py"))


def ids_in_code() -> set[str]:
    found = set()
    for module in CHECK_MODULES:
        for level, number in re.findall(r"\b(error|warning)\(\s*(\d+),", module.read_text()):
            found.add(f"tipline.{level[0].upper()}{int(number):03d}")
    return found


def ids_in_docs() -> set[str]:
    section = (REPO_ROOT / "docs" / "deployment.md").read_text().split("What `tipline check` checks", 1)[1]
    return set(re.findall(r"^\| `(tipline\.[EW]\d{3})` \|", section, flags=re.MULTILINE))


def test_every_finding_has_one_id_and_the_deployment_guide_lists_each():
    in_code = ids_in_code()

    assert len(in_code) == len({identifier[-3:] for identifier in in_code})  # one number, one finding
    assert in_code == ids_in_docs()


def test_tiplines_checks_are_deployment_checks_only():
    """Registered as deployment checks, so that no management command but `check --deploy` runs them
    (a `manage migrate` on a developer's machine is not stopped by TIPLINE_DEBUG)."""
    everyday = checks.registry.registry.get_checks(include_deployment_checks=False)
    deployment = checks.registry.registry.get_checks(include_deployment_checks=True)

    assert not [check for check in everyday if "tipline" in check.tags]
    assert {Path(check.__code__.co_filename).parent.name for check in deployment if "tipline" in check.tags} == {
        module.parent.name for module in CHECK_MODULES
    }


@pytest.mark.django_db
def test_findings_come_in_the_order_of_their_ids_and_the_configuration_alone_leaves_out_the_state(settings):
    settings.DEBUG = True

    findings = find_findings()
    configuration = find_findings(configuration_only=True)
    numbers = [int(finding.id[-3:]) for finding in findings]

    assert numbers == sorted(numbers)
    assert {"tipline.E006", "tipline.E007"} <= {finding.id for finding in configuration}  # DEBUG, the tests' fast KDF
    assert "tipline.W028" in {finding.id for finding in findings} - {
        finding.id for finding in configuration
    }  # no recovery key


@pytest.mark.django_db
def test_deploy_adds_djangos_own_checks_but_not_those_silenced(settings):
    settings.DEBUG = True

    plain = {finding.id for finding in find_findings()}
    deploy = {finding.id for finding in find_findings(deploy=True)}

    assert "security.W018" in deploy - plain  # Django's word on DEBUG, beside Tipline's own (tipline.E006)
    assert not deploy & set(settings.SILENCED_SYSTEM_CHECKS)
    assert not {identifier for identifier in plain if not identifier.startswith("tipline.")}
