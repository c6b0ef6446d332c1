"""What people type for a timezone, as an IANA zone: IANA names in any case, cities, UTC offsets.

Only names from the zone database and the table below are ever looked up, so nothing a user
types reaches the file system.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from zoneinfo import available_timezones

from core.errors import N_, BadTimezone

# The database's region prefixes; "US/Eastern" and the like are matched by their full name only.
REGIONS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
     "Indian", "Pacific"}
)  # fmt: skip
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})

# Cities people name by another spelling than the database's (translations, old names, big
# cities that share a zone with the one the database names).
COMMON_NAMES: dict[str, str] = {
    # Russian and Ukrainian
    "москва": "Europe/Moscow", "санкт-петербург": "Europe/Moscow", "петербург": "Europe/Moscow",
    "питер": "Europe/Moscow", "казань": "Europe/Moscow", "нижний новгород": "Europe/Moscow",
    "сочи": "Europe/Moscow", "самара": "Europe/Samara", "екатеринбург": "Asia/Yekaterinburg",
    "новосибирск": "Asia/Novosibirsk", "омск": "Asia/Omsk", "красноярск": "Asia/Krasnoyarsk",
    "иркутск": "Asia/Irkutsk", "владивосток": "Asia/Vladivostok",
    "калининград": "Europe/Kaliningrad", "минск": "Europe/Minsk", "киев": "Europe/Kyiv",
    "київ": "Europe/Kyiv", "одесса": "Europe/Kyiv", "одеса": "Europe/Kyiv",
    "харьков": "Europe/Kyiv", "харків": "Europe/Kyiv", "львов": "Europe/Kyiv",
    "львів": "Europe/Kyiv", "алматы": "Asia/Almaty", "ташкент": "Asia/Tashkent",
    "тбилиси": "Asia/Tbilisi", "ереван": "Asia/Yerevan", "баку": "Asia/Baku",
    "рига": "Europe/Riga", "вильнюс": "Europe/Vilnius", "таллин": "Europe/Tallinn",
    "варшава": "Europe/Warsaw", "берлин": "Europe/Berlin", "лондон": "Europe/London",
    "париж": "Europe/Paris", "нью-йорк": "America/New_York",
    # English names and big cities without a zone of their own
    "kiev": "Europe/Kyiv", "saint petersburg": "Europe/Moscow", "st petersburg": "Europe/Moscow",
    "munich": "Europe/Berlin", "cologne": "Europe/Berlin", "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin", "milan": "Europe/Rome", "florence": "Europe/Rome",
    "naples": "Europe/Rome", "venice": "Europe/Rome", "turin": "Europe/Rome",
    "barcelona": "Europe/Madrid", "valencia": "Europe/Madrid", "seville": "Europe/Madrid",
    "porto": "Europe/Lisbon", "geneva": "Europe/Zurich", "krakow": "Europe/Warsaw",
    "rotterdam": "Europe/Amsterdam", "the hague": "Europe/Amsterdam",
    "istanbul": "Europe/Istanbul", "ankara": "Europe/Istanbul",
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata", "hyderabad": "Asia/Kolkata", "calcutta": "Asia/Kolkata",
    "beijing": "Asia/Shanghai", "peking": "Asia/Shanghai", "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai", "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo",
    "abu dhabi": "Asia/Dubai", "tel aviv": "Asia/Jerusalem", "canberra": "Australia/Sydney",
    "wellington": "Pacific/Auckland", "rio de janeiro": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo", "brasilia": "America/Sao_Paulo",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles", "las vegas": "America/Los_Angeles",
    "boston": "America/New_York", "washington": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York",
    "philadelphia": "America/New_York", "montreal": "America/Toronto",
    "ottawa": "America/Toronto", "houston": "America/Chicago", "dallas": "America/Chicago",
    "austin": "America/Chicago", "mexico city": "America/Mexico_City",
    # German
    "münchen": "Europe/Berlin", "köln": "Europe/Berlin", "wien": "Europe/Vienna",
    "zürich": "Europe/Zurich", "genf": "Europe/Zurich", "rom": "Europe/Rome",
    "mailand": "Europe/Rome", "prag": "Europe/Prague", "warschau": "Europe/Warsaw",
    "moskau": "Europe/Moscow", "brüssel": "Europe/Brussels", "kopenhagen": "Europe/Copenhagen",
    "lissabon": "Europe/Lisbon", "athen": "Europe/Athens", "neu-delhi": "Asia/Kolkata",
    # Spanish, Italian, Portuguese
    "nueva york": "America/New_York", "ciudad de méxico": "America/Mexico_City",
    "cdmx": "America/Mexico_City", "londres": "Europe/London", "parís": "Europe/Paris",
    "roma": "Europe/Rome", "milán": "Europe/Rome", "milano": "Europe/Rome",
    "napoli": "Europe/Rome", "firenze": "Europe/Rome", "torino": "Europe/Rome",
    "venezia": "Europe/Rome", "lisboa": "Europe/Lisbon", "praga": "Europe/Prague",
    "varsovia": "Europe/Warsaw", "moscú": "Europe/Moscow", "bruselas": "Europe/Brussels",
    "pekín": "Asia/Shanghai", "tokio": "Asia/Tokyo", "sevilla": "Europe/Madrid",
    "múnich": "Europe/Berlin", "viena": "Europe/Vienna", "ginebra": "Europe/Zurich",
    "atenas": "Europe/Athens", "estambul": "Europe/Istanbul",
    # Names in their own language
    "praha": "Europe/Prague", "warszawa": "Europe/Warsaw", "kraków": "Europe/Warsaw",
    "wrocław": "Europe/Warsaw", "bruxelles": "Europe/Brussels", "brussel": "Europe/Brussels",
    "københavn": "Europe/Copenhagen", "bucurești": "Europe/Bucharest",
    "beograd": "Europe/Belgrade", "genève": "Europe/Zurich", "den haag": "Europe/Amsterdam",
    "montréal": "America/Toronto", "québec": "America/Toronto",
}  # fmt: skip

# Offsets that are not whole hours: a real zone that keeps that offset (or uses it in summer).
PARTIAL_OFFSETS: dict[tuple[int, int], str] = {
    (3, 30): "Asia/Tehran", (4, 30): "Asia/Kabul", (5, 30): "Asia/Kolkata",
    (5, 45): "Asia/Kathmandu", (6, 30): "Asia/Yangon", (8, 45): "Australia/Eucla",
    (9, 30): "Australia/Darwin", (10, 30): "Australia/Adelaide", (12, 45): "Pacific/Chatham",
    (-3, 30): "America/St_Johns", (-2, 30): "America/St_Johns", (-9, 30): "Pacific/Marquesas",
}  # fmt: skip

OFFSET_RE = re.compile(r"(?:utc|gmt)?\s*([+\-−–])\s*(\d{1,2})(?:[:.]?(\d{2}))?")
UTC_NAMES = frozenset({"utc", "gmt", "z", "utc+0", "gmt+0", "+0", "-0", "±0"})
ANSWER_MAX_CHARS = 40
ANSWER_MAX_WORDS = 3


def resolve_timezone(text: str) -> str:
    """The IANA zone a typed answer names; BadTimezone (one clear sentence) otherwise."""
    raw = text.strip()
    if not raw or len(raw) > 64:
        raise BadTimezone(raw)
    folded = raw.casefold()
    if folded in UTC_NAMES:
        return "UTC"
    offset = OFFSET_RE.fullmatch(folded)
    if offset is not None:
        sign = -1 if offset.group(1) != "+" else 1
        return _offset_zone(sign, int(offset.group(2)), int(offset.group(3) or 0))
    zone = _zone_names().get(folded) or _known_places().get(_key(raw))
    if zone is None:
        raise BadTimezone(raw)
    return zone


def looks_like_timezone_answer(text: str) -> bool:
    """A short answer rather than a sentence or a question: worth asking once more."""
    short = len(text.strip()) <= ANSWER_MAX_CHARS and len(text.split()) <= ANSWER_MAX_WORDS
    return short and "?" not in text


def _offset_zone(sign: int, hours: int, minutes: int) -> str:
    shown = f"UTC{'+' if sign > 0 else '-'}{hours}" + (f":{minutes:02d}" if minutes else "")
    if minutes == 0 and hours == 0:
        return "UTC"
    if minutes == 0 and hours <= (14 if sign > 0 else 12):
        # The database's Etc zones count the other way round: UTC+3 is Etc/GMT-3.
        return f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
    zone = PARTIAL_OFFSETS.get((sign * hours, minutes))
    if zone is None:
        raise BadTimezone(
            shown,
            reason=N_("No timezone is at {offset}. Send your city instead, for example Madrid."),
            offset=shown,
        )
    return zone


def _key(text: str) -> str:
    """Case, accents, underscores, hyphens and dots do not matter: "sao-paulo" is São Paulo."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[_\-.]", " ", plain).split())


@cache
def _zone_names() -> dict[str, str]:
    """Every zone of the database by its name in lower case."""
    return {name.casefold(): name for name in available_timezones() if name not in NOT_ZONES}


@cache
def _known_places() -> dict[str, str]:
    """City part of every regional zone ("New_York" -> "new york"), then the common names."""
    zones = _zone_names().values()
    places: dict[str, str] = {}
    # Deeper names first: America/Argentina/Buenos_Aires is the zone, America/Buenos_Aires
    # its alias.
    for name in sorted(zones, key=lambda n: (-n.count("/"), n)):
        region, _, city = name.rpartition("/")
        if region.split("/")[0] in REGIONS:
            places.setdefault(_key(city), name)
        places.setdefault(_key(name), name)
    available = set(zones)
    for common, zone in COMMON_NAMES.items():
        if zone == "Europe/Kyiv" and zone not in available:  # databases before 2022
            zone = "Europe/Kiev"
        places[_key(common)] = zone
    return places
