"""A test service that fails at import with a recognisable log line."""

print("booting the crash service")
print("configuration problem: PROFILES_TABLE is not set")
raise SystemExit(3)
