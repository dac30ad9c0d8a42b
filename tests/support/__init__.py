"""What the test directories share: a drop writer on the data contract's columns (``drops``), the
real ``opspor`` command with every output checked (``cli``), and the check that a text holds no
CPR number (``privacy``). Imported as ``tests.support`` (pyproject.toml puts the project root on
pytest's ``pythonpath``)."""

from tests.support.cli import Opspor, Result
from tests.support.drops import read_csv, write_csv, write_drop, write_parquet
from tests.support.pdf import pdf_pages, pdf_text
from tests.support.privacy import assert_no_cpr

__all__ = ["Opspor", "Result", "assert_no_cpr", "pdf_pages", "pdf_text", "read_csv", "write_csv", "write_drop", "write_parquet"]
