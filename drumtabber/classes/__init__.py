"""The classes stage: class maps applied to hits and onset tables, counted, checked; user
schemes in TOML.  The schemes themselves are plugin components (``register_class_maps``)."""
from .maps import (FAMILIES, SCHEME_CODES, TINY_CLASS_EVENTS, ClassCounts, check_class_map,
                   class_maps, class_warnings, classes_of, count_classes, is_dropped,
                   map_events, map_onset_rows, mapping_table, resolve_class_map,
                   unmapped_findings)
from .schemes import (ClassRule, TomlClassMap, load_scheme_file, options_text,
                      parse_instrument, parse_scheme)

__all__ = ["FAMILIES", "SCHEME_CODES", "TINY_CLASS_EVENTS", "ClassCounts", "ClassRule",
           "TomlClassMap", "check_class_map", "class_maps", "class_warnings", "classes_of",
           "count_classes", "is_dropped", "load_scheme_file", "map_events", "map_onset_rows",
           "mapping_table", "options_text", "parse_instrument", "parse_scheme",
           "resolve_class_map", "unmapped_findings"]
