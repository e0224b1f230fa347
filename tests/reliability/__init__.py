"""Reliability and security tests (issue 8): faults, crashes, concurrency, bad input, secrets."""
