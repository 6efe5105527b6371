"""The tabs stage: a tab file -> parser plugin -> :class:`~drumtabber.score.Score` + findings."""
from .load import (EVENT_COLUMNS, TAB_SUFFIXES, events_table, iter_input_files, load_tab,
                   tab_suffixes)

__all__ = ["EVENT_COLUMNS", "TAB_SUFFIXES", "events_table", "iter_input_files", "load_tab",
           "tab_suffixes"]
