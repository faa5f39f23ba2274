# niwa_restart WHAT restarts niwa in the middle of a scenario, to show that
# WHAT (set up before it) still works after a restart with --data-dir.
#
# Under `go test` the runner sets NIWA_RESTART_URL: a POST there stops niwa
# (SIGTERM) and starts it again on the same ports with the same --data-dir,
# and answers once niwa is healthy. By hand, set NIWA_RESTART_CMD to a
# command that does the same (for example a script that kills and restarts
# your `niwa serve --data-dir ...`); with neither set the scenario runs
# straight through, without a restart.
niwa_restart() {
  if [ -n "${NIWA_RESTART_URL:-}" ]; then
    curl -fsS -X POST "$NIWA_RESTART_URL" >/dev/null || { echo "restart of niwa failed" >&2; exit 1; }
  elif [ -n "${NIWA_RESTART_CMD:-}" ]; then
    bash -c "$NIWA_RESTART_CMD" || { echo "NIWA_RESTART_CMD failed" >&2; exit 1; }
  else
    return 0
  fi
  echo "niwa restarted; what was set up before must still work: $1"
}
