"""The web service fields a tier may set ([tier.web] in tiers.toml), and Render's rules for them.

Data only: config/schema.py declares [tier.web] from it, the editor checks render.yaml against it
before writing. The field names are Render's (Blueprint spec, `services` entries of type web).
"""

from typing import NamedTuple

# Fields of a Render web service that a tier may set under [tier.web].
SERVICE_FIELDS: frozenset[str] = frozenset(
    {
        "autoDeploy", "autoDeployTrigger", "branch", "buildCommand", "buildFilter", "disk",
        "dockerCommand", "dockerContext", "dockerfilePath", "domain", "domains",
        "healthCheckPath", "image", "initialDeployHook", "ipAllowList", "maxShutdownDelaySeconds",
        "numInstances", "preDeployCommand", "previewPlan", "previews",
        "pullRequestPreviewsEnabled", "region", "registryCredential", "repo", "rootDir", "scaling",
    }
)  # fmt: skip

# Fields a tier may not set under [tier.web], and why: the tip of the error names the way.
NOT_SETTABLE: dict[str, str] = {
    "plan": "set web_plan in the [[tier]] table instead",
    "startCommand": "set start_command in the [[tier]] table instead",
    "envVars": "tier only adds REDIS_URL (keyvalue_plan); keep env vars in render.yaml",
    "type": "tier finds the web service by it; it cannot change with the tier",
    "name": "tier finds the web service by it; it cannot change with the tier",
    "runtime": "tier finds the web service by it; it cannot change with the tier",
    "env": "tier finds the web service by it; it cannot change with the tier",
}

# Render autoscaling ([tier.web.scaling]): keys, and the ones Render requires.
SCALING_KEYS = ("minInstances", "maxInstances", "targetCPUPercent", "targetMemoryPercent")
SCALING_TARGETS = ("targetCPUPercent", "targetMemoryPercent")  # at least one, each 1-90

# Fields Render does not offer on the free web plan (FACTS.md: no scaling, no disk, no
# preDeployCommand on free instances).
NOT_ON_FREE: tuple[str, ...] = ("scaling", "disk", "preDeployCommand")


class Conflict(NamedTuple):
    """A field a tier sets that does not go with another field of the same service."""

    field: str  # set by the tier
    other: str  # present on the service
    refused: bool  # True: Render rejects the pair, tier writes nothing; False: a warning
    why: str


CONFLICTS: tuple[Conflict, ...] = (
    Conflict("scaling", "disk", True, "Render does not autoscale a service with a disk"),
    Conflict(
        "scaling",
        "numInstances",
        False,
        "Render's autoscaling overrides numInstances, which it then ignores",
    ),
)
