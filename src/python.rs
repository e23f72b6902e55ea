//! PyO3 bindings (`elastic_notebook._core`): convert, call the core once, convert back.
