"""Coverage-gap reports per province, city or county: one computation (``build_report``) behind
every format (``write_report``: XLSX, GeoJSON, GeoParquet; HTML/PDF render the same ``Report``).
"""

from layers.report.build import build_report, check_options
from layers.report.formats import FORMATS, write_geojson, write_report, write_xlsx
from layers.report.model import Finding, Report, ReportError

__all__ = ["FORMATS", "Finding", "Report", "ReportError", "build_report", "check_options", "write_geojson", "write_report",
           "write_xlsx"]
