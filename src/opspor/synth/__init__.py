"""Synthetic data generator: a population, its hospital contacts (a data drop in the shape of the
data contract) and the ground truth of the process that made them. See docs/synthetic-data.md.

    from opspor.synth import Options, generate
    generate(Options(persons=20_000, start=date(2023, 1, 1), end=date(2025, 12, 31), seed=1, out=Path("drop")))
"""

from opspor.synth.pipeline import Options, Summary, default_as_of, generate

__all__ = ["Options", "Summary", "default_as_of", "generate"]
