//! Workspace root: integration tests and benches live in tests/ and benches/.
