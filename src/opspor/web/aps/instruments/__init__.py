"""The questionnaire engine: instruments are configuration (``config/*.yaml``), scored by
``model.Instrument.score``. ``instruments()`` and ``get(id)`` give the configured ones."""

from opspor.web.aps.instruments.loader import InstrumentConfigError, get, instruments, load_file
from opspor.web.aps.instruments.model import AnswerError, Band, Instrument, Item, Result, localized

__all__ = ["AnswerError", "Band", "Instrument", "InstrumentConfigError", "Item", "Result", "get", "instruments",
           "load_file", "localized"]
