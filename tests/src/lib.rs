//! End-to-end tests live in `api/` (in-process hub over real HTTP) and `cli/` (the `ihub` binary).
