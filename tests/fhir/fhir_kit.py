"""Helpers of the FHIR tests."""

from __future__ import annotations

from pathlib import Path

from opspor.fhir import profiles


def read_profile(path: Path) -> profiles.Profile:
    """A profile file read the way the shipped ones are, by ``profiles.profile(name)``: the
    module's folder and name table point at ``path`` during the call (its cache is emptied
    before and after, so no other test sees this profile)."""
    saved = profiles.CONFIG_DIR, profiles.PROFILES
    profiles.CONFIG_DIR, profiles.PROFILES = path.parent, {"under-test": path.name}
    profiles.profile.cache_clear()
    try:
        return profiles.profile("under-test")
    finally:
        profiles.CONFIG_DIR, profiles.PROFILES = saved
        profiles.profile.cache_clear()
