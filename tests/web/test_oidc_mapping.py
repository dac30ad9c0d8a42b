"""The claims mapping of OpenID Connect log-in (web/signin/config/oidc.yaml): the shipped file
loads, a mistake names the file, the key and the fix, and the claims give one role and an
organisation of a kind the role belongs to, or a refusal."""

from __future__ import annotations

import pytest

from opspor.config_reader import ConfigError
from opspor.web.signin import mapping as m


def test_the_shipped_mapping_loads():
    shipped = m.load()
    assert shipped.version and "openid" in shipped.staff.scopes.split()
    assert shipped.citizen.cpr_claim == "dk.cpr"
    assert "admin" not in shipped.staff.roles.values()


def _write(tmp_path, text: str):
    path = tmp_path / "oidc.yaml"
    path.write_text(m.MAPPING_FILE.read_text().replace(*text) if isinstance(text, tuple) else text)
    return path


@pytest.mark.parametrize(("change", "key", "fix"), [
    (("opspor-sygeplejerske: nurse", "opspor-sygeplejerske: admin"), "staff.roles.opspor-sygeplejerske", "nurse"),
    (("opspor-sygeplejerske: nurse", "opspor-sygeplejerske: nurze"), "staff.roles.opspor-sygeplejerske", "did you mean `nurse`"),
    (("cpr_claim: dk.cpr", "cpr_clam: dk.cpr"), "citizen.cpr_clam", "cpr_claim"),
    (('scopes: "openid ssn"', 'scopes: "ssn"'), "citizen.scopes", "openid"),
    (("minimum: https://data.gov.dk/concept/core/nsis/loa/Substantial", "minimum: Substantial"),
     "citizen.assurance.minimum", "loa/Substantial"),
    (("    claim: acr\n", ""), "citizen.assurance", "claim"),
])
def test_a_mistake_names_the_file_the_key_and_the_fix(tmp_path, change, key, fix):
    path = _write(tmp_path, change)
    with pytest.raises(ConfigError) as error:
        m.load(path)
    assert str(path) in str(error.value) and key in str(error.value) and fix in str(error.value)


def test_claims_give_one_role_and_an_organisation_of_its_kind():
    staff = m.load().staff
    claims = {"roles": ["opspor-sygeplejerske", "unrelated"], "organisation": "region:1083"}
    assert m.staff_role(staff, claims) == "nurse"
    assert m.staff_organisation(staff, claims, "nurse") == ("region", "1083")
    assert m.staff_role(staff, {"roles": "opspor-laege"}) == "doctor"
    for claims, reason in (({"roles": ["unrelated"]}, "no_role"), ({}, "no_role"),
                           ({"roles": ["opspor-sygeplejerske", "opspor-revisor"]}, "several_roles")):
        with pytest.raises(m.Refused) as refused:
            m.staff_role(staff, claims)
        assert refused.value.reason == reason
    for value in ("municipality:461", "region", "", "planet:1"):
        with pytest.raises(m.Refused) as refused:
            m.staff_organisation(staff, {"organisation": value}, "nurse")
        assert refused.value.reason == "no_organisation"


def test_the_level_of_assurance_is_the_minimum_or_above():
    a = m.load().citizen.assurance
    assert a.claim == "acr" and a.minimum.endswith("/loa/Substantial")
    assert [level.rsplit("/", 1)[1] for level in a.accepted()] == ["Substantial", "High"]
    assert m.assurance_level(a, {"acr": a.levels[-1]}) == a.levels[-1]
    for token in ({"acr": a.levels[0]}, {}, {"acr": "urn:other"}, {"acr": ["x"]}):
        with pytest.raises(m.Refused) as refused:
            m.assurance_level(a, token)
        assert refused.value.reason == "assurance" and refused.value.detail["minimum"] == a.minimum
