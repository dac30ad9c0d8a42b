"""The shipped reference data is complete and consistent."""

from collections import defaultdict

from opspor import reference as ref


def test_five_regions_with_official_codes():
    assert [r.code for r in ref.regions()] == ["1081", "1082", "1083", "1084", "1085"]
    assert {r.name for r in ref.regions()} >= {"Region Syddanmark", "Region Hovedstaden"}


def test_98_municipalities_each_in_a_region():
    muns = ref.municipalities()
    assert len(muns) == 98
    assert len({m.code for m in muns}) == 98
    assert all(len(m.code) == 3 and m.code.isdigit() for m in muns)
    per_region = defaultdict(int)
    for m in muns:
        per_region[m.region_code] += 1
    assert per_region == {"1081": 11, "1082": 19, "1083": 22, "1084": 29, "1085": 17}
    assert ref.municipality_by_code()["461"].name == "Odense"
    assert 5_800_000 < sum(m.population for m in muns) < 6_100_000


def test_units_named_in_the_sources_belong_to_syddanmark():
    units = {u.code: u for u in ref.hospital_units()}
    for code in ("OUH", "SLB", "SHS", "SVS"):
        assert units[code].region_code == "1083"
    assert {u.region_code for u in units.values()} == {r.code for r in ref.regions()}


def test_every_unit_has_acute_medical_departments():
    by_unit = defaultdict(set)
    for d in ref.departments():
        by_unit[d.hospital_unit].add(d.specialty)
    for unit in ref.hospital_units():
        assert {"acute_medicine", "medicine", "geriatrics"} <= by_unit[unit.code], unit.code


def test_catchment_covers_every_municipality_within_its_region():
    shares = defaultdict(float)
    units = {u.code: u for u in ref.hospital_units()}
    muns = ref.municipality_by_code()
    for c in ref.catchment():
        shares[c.municipality_code] += c.share
        assert units[c.hospital_unit].region_code == muns[c.municipality_code].region_code
    assert set(shares) == set(muns)
    assert all(abs(s - 1) < 1e-9 for s in shares.values())


def test_aliases_map_to_canonical_codes():
    codes = ref.hospital_unit_codes()
    assert codes["OUH"] == "OUH"
    assert codes["SHV"] == "RHN"


def test_cli_lists_regions(run_opspor):
    result = run_opspor("reference", "regions")
    assert result.returncode == 0, result.stderr
    assert "Region Syddanmark" in result.stdout and "OUH" in result.stdout
