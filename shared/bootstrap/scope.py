"""The composition root's memory: what is built once per instance, once per tenant, or given.

``_shared`` builds once per process for every tenant, ``_singleton`` once per process and tenant
(the tenant in scope, ``for_tenant``); ``override`` hands in instances (tests, the local stack),
``reset`` forgets everything. The builders themselves live in ``adapters`` and ``use_cases``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TypeVar

from shared.config import Settings, get_settings
from shared.tenancy.model import DEFAULT_TENANT, Tenant, tenant_settings

T = TypeVar("T")

_lock = threading.RLock()

_clears: list[Callable[[], None]] = []

_tenant_clears: list[Callable[[], None]] = []

_overrides: dict[str, object] = {}

_raw_names: set[str] = set()  # overrides of the instance's adapters, under every tenant's view

_tenant: ContextVar[Tenant | None] = ContextVar("tenant", default=None)


def _shared(build: Callable[[], T]) -> Callable[[], T]:
    """Build once per process for every tenant, thread-safely; ``reset()`` forgets it. An
    override of ``raw_x`` is named ``x`` (what tests have always overridden)."""
    cached = lru_cache(maxsize=1)(build)
    name = build.__name__.removeprefix("raw_")
    _raw_names.add(name)

    def get() -> T:
        with _lock:
            if name in _overrides:
                return _overrides[name]  # type: ignore[return-value]
            return cached()

    _clears.append(cached.cache_clear)
    get.__doc__ = build.__doc__
    return get


def _shared_over_raw(build: Callable[[], T]) -> Callable[[], T]:
    """``_shared``, built over the instance's adapters: rebuilt after an override of them."""
    get = _shared(build)
    _tenant_clears.append(_clears[-1])
    return get


def _singleton(build: Callable[[], T]) -> Callable[[], T]:
    """Build once per process and tenant (its current row), thread-safely."""
    name = build.__name__
    cache: dict[str, T] = {}

    def get() -> T:
        tenant = _tenant.get()
        key = tenant.version if tenant is not None else DEFAULT_TENANT
        with _lock:
            if name in _overrides and name not in _raw_names:
                return _overrides[name]  # type: ignore[return-value]
            if key not in cache:
                cache[key] = build()
            return cache[key]

    _clears.append(cache.clear)
    _tenant_clears.append(cache.clear)
    get.__doc__ = build.__doc__
    return get


def reset() -> None:
    """Forget every built adapter and override (tests and the local stack change Settings)."""
    with _lock:
        _overrides.clear()
        for clear in _clears:
            clear()


def current_tenant_id() -> str:
    tenant = _tenant.get()
    return tenant.tenant_id if tenant is not None else DEFAULT_TENANT


@contextmanager
def for_tenant(tenant_id: str | None, *, active: bool = False) -> Iterator[Tenant]:
    """Build and use this tenant's adapters inside the block (None: the default tenant).
    UnknownTenantError for an id the tenants table lacks; TenantDisabledError for a disabled
    one when ``active``."""
    from shared.bootstrap.adapters import tenant_directory
    from shared.tenancy.model import default_tenant

    tenant = None
    if tenant_id not in (None, DEFAULT_TENANT):
        tenant = tenant_directory().get(str(tenant_id), active=active)
    token = _tenant.set(tenant)
    try:
        yield tenant if tenant is not None else default_tenant(get_settings())
    finally:
        _tenant.reset(token)


def override(**instances: object) -> None:
    """Use these instances instead of building them, e.g. ``override(clock=FastForwardClock())``."""
    with _lock:
        _overrides.update(instances)
        for clear in _tenant_clears:  # tenants' views are rebuilt over the instances given
            clear()


def tenant_ids(*, active: bool = True) -> list[str]:
    """The default tenant, then every (active) tenant of the tenants table."""
    from shared.bootstrap.adapters import tenant_directory

    others = [t.tenant_id for t in tenant_directory().all() if t.active or not active]
    return [DEFAULT_TENANT, *(t for t in others if t != DEFAULT_TENANT)]


def settings() -> Settings:
    """The current tenant's Settings (the deployment's for the default tenant)."""
    if _tenant.get() is None:
        return get_settings()
    return _tenant_settings()


@_singleton
def _tenant_settings() -> Settings:
    tenant = _tenant.get()
    assert tenant is not None
    return tenant_settings(get_settings(), tenant)
