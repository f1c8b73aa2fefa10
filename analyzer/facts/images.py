"""Image references: their names, whether their tag floats, and which images are datastores.

Compose, Kubernetes and Dockerfile rules each read `registry/path/name:tag@digest`, and four
copies of that parsing had started to disagree. The variables each format allows are resolved
by the caller (compose interpolation, Dockerfile ARG defaults, a Helm or kustomize value left
unknown); what a reference means once resolved is decided here.
"""

from __future__ import annotations

import re

from analyzer.facts.compose import UNKNOWN, interpolate

# Database, cache and broker images: they keep data, scale by the replication they configure
# themselves rather than by an autoscaler, and their ports must not be published to the world.
DATASTORE_IMAGE = re.compile(
    r"^(?:postgres(?:ql)?|postgis|timescaledb(?:-ha)?|mysql(?:-server)?|mariadb|"
    r"percona(?:-server)?|redis(?:-stack(?:-server)?)?|redismod|valkey|keydb|"
    r"mongo(?:db)?(?:-community-server)?|memcached|rabbitmq|elasticsearch|opensearch|cassandra|"
    r"couchdb|clickhouse-server|influxdb|etcd)$"
)
REDIS_IMAGE = re.compile(r"^(?:redis(?:-stack(?:-server)?)?|redismod|valkey|keydb)$")


def repository(ref: str) -> str:
    """The reference without tag and digest, registry and path kept: `ghcr.io/acme/api`."""
    head, _, last = ref.split("@", 1)[0].rpartition("/")
    name = last.split(":", 1)[0]
    return f"{head}/{name}" if head else name


def short_name(ref: str) -> str:
    """The last path component, lower-cased: `bitnami/redis:7.2` -> `redis`."""
    return repository(ref).rsplit("/", 1)[-1].lower()


def image_name(image: str) -> str:
    """`short_name` of a compose-style reference, `${VAR:-default}` interpolated first."""
    return short_name(interpolate(image))


def floating(ref: str, *, exact: bool = False) -> str | None:
    """'untagged', 'latest', or None when the reference is pinned by tag or digest.

    A part of the reference left UNKNOWN (an interpolation) pins nothing and floats nothing.
    `exact` compares the tag as the registry does, letter case included.
    """
    if not ref or ref == UNKNOWN or "@" in ref:
        return None
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return None if UNKNOWN in last else "untagged"
    tag = last.rsplit(":", 1)[1]
    if not tag or UNKNOWN in tag:
        return None
    return "latest" if (tag if exact else tag.lower()) == "latest" else None


def floating_in_compose(image: str) -> str | None:
    """`floating` of a compose `image:`, its `${VAR:-default}` interpolated first."""
    return floating(interpolate(image.strip()))


def floating_in_kubernetes(image: str) -> str | None:
    """`floating` of a Kubernetes `image:`; a `$VAR` or `{{ }}` is filled in at deploy time."""
    ref = image.strip()
    if "$" in ref or "{{" in ref or ref.startswith("ko://"):
        return None  # ko builds `ko://module/path` and pins it to a digest at deploy time
    return floating(ref, exact=True)


def is_datastore(ref: str) -> bool:
    return bool(DATASTORE_IMAGE.match(short_name(ref)))
