"""The local Apache Druid: installed from Maven Central and run by the project (see docs/ARCHITECTURE.md)."""
