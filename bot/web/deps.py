"""What a route may ask FastAPI for: the container, its services, the client's address."""

from __future__ import annotations

import functools
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from fastapi import Request

from core.bootstrap import Container, Services
from core.errors import ConfigError

# Webhook bodies are small (an update, a Stripe event); more than this is refused with 413.
WEBHOOK_MAX_BODY = 2 * 1024 * 1024

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_services(request: Request) -> Services:
    return get_container(request).services


@functools.lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES parsed: comma-separated addresses or networks (10.0.0.0/8, ::1)."""
    networks = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(
                f"TRUSTED_PROXIES has {part!r}, which is neither an IP address nor a network."
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_ip(request: Request) -> str:
    """The caller's address: the peer, unless the peer is a trusted proxy; then the right-most
    address in X-Forwarded-For that is not a trusted proxy (entries left of it are whatever the
    client chose to send, so they are never believed)."""
    peer = request.client.host if request.client else ""
    networks = trusted_networks(get_container(request).settings.trusted_proxies)
    current = _address(peer)
    if current is None or not networks or not _trusted(current, networks):
        return str(current) if current is not None else peer
    hops = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # a trusted proxy passed on junk: it is the last address we know
            break
        current = address
        if not _trusted(address, networks):
            break
    return str(current)
