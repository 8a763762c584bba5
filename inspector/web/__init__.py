"""The dashboard: views, forms, tables and page helpers, thin clients of ``inspector.core``."""
