"""IR -> catalog documents."""

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.job import convert_job

__all__ = ["Conversion", "convert_job"]
