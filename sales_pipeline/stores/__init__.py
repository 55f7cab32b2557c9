"""Analytics stores: the interface, the embedded DuckDB store and the Druid store."""
