"""The YAML catalog, shipped inside the wheel as the package fitmygpu.catalog_data."""
