"""Reading shop exports: one reader per format, validation, the bulk loader. No textual here."""
