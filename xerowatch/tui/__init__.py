"""The Textual dashboard (the only package allowed to import textual)."""
