"""The report stage: the main job over a folder of songs and its static HTML report."""
from .html import write_report
from .job import run_job

__all__ = ["run_job", "write_report"]
