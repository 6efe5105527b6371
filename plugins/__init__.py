"""Built-in drumtabber plugins (installed as ``drumtabber.plugins``), one module per plugin."""
