"""The CI model: a pull request never queries a database.

A pull request controls tiers.toml (its custom SQL, its timeouts), render.yaml and the snapshot;
in CI it may run beside the production DATABASE_URL. So a pull-request job is offline: it reads
the committed snapshot, and the database is read by the scheduled job on the default branch or
by a person. Pure: the environment is given, nothing is read here.

The one way past it is ``--allow-pull-request-database`` on the command line: a flag, never a
setting of tiers.toml or a variable of the environment, which the pull request can set.
"""

from __future__ import annotations

from collections.abc import Mapping

from tier_cli.errors import ConfigError

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
FLAG = "--allow-pull-request-database"


def pull_request_job(env: Mapping[str, str]) -> str | None:
    """What makes this a pull-request job (for the message), or None when it is not one."""
    event = env.get("GITHUB_EVENT_NAME", "")
    if env.get("GITHUB_ACTIONS") and event in PULL_REQUEST_EVENTS:
        return f"a GitHub Actions {event} job"
    if env.get("CI_MERGE_REQUEST_IID"):
        return "a GitLab merge-request pipeline"
    return None


def refuse_pull_request_database(env: Mapping[str, str], allowed: bool) -> None:
    """ConfigError (exit 2) when a database would be read in a pull-request job without the flag."""
    job = pull_request_job(env)
    if job is None or allowed:
        return
    raise ConfigError(
        f"this is {job}: tier reads no database in a pull request, whose tiers.toml could "
        "read the app's data or load its server. Tip: check the committed snapshot "
        "(drop --database-url and DATABASE_URL from this job, or pass --offline or "
        "--metrics FILE) and measure the database in the scheduled job on the default branch; "
        f"a person who trusts this pull request's files can pass {FLAG}"
    )
