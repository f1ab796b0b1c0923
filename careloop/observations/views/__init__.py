"""The observations pages, one module per page family: `imports`, `unmatched`, `critical_limits`, `trends`."""
