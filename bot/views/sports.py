"""Sport names for the athlete, from FIT's sport and sub-sport names, in their language.

core.training.formatting.sport_name writes them in English for the coach's prompts; the views
show these instead, and fall back to it for a sport FIT added since.
"""

from __future__ import annotations

from bot.i18n import N_, _
from core.training.formatting import sport_name

SPORTS = {
    "running": N_("Running"), "cycling": N_("Cycling"), "swimming": N_("Swimming"),
    "walking": N_("Walking"), "hiking": N_("Hiking"), "training": N_("Training"),
    "fitness_equipment": N_("Fitness equipment"), "rowing": N_("Rowing"),
    "cross_country_skiing": N_("Cross-country skiing"), "alpine_skiing": N_("Alpine skiing"),
    "e_biking": N_("E-biking"), "transition": N_("Transition"), "generic": N_("Generic"),
    "multisport": N_("Multisport"), "mountaineering": N_("Mountaineering"),
    "paddling": N_("Paddling"), "stand_up_paddleboarding": N_("Stand-up paddleboarding"),
    "inline_skating": N_("Inline skating"), "snowboarding": N_("Snowboarding"),
    "yoga": N_("Yoga"),
}  # fmt: skip
# Sub-sports named on their own ("Indoor cycling", not "Cycling (indoor cycling)").
OWN_NAMES = {
    "indoor_cycling": N_("Indoor cycling"), "lap_swimming": N_("Lap swimming"),
    "indoor_running": N_("Indoor running"), "gravel_cycling": N_("Gravel cycling"),
    "indoor_rowing": N_("Indoor rowing"), "strength_training": N_("Strength training"),
    "cardio_training": N_("Cardio training"),
}  # fmt: skip
SUB_SPORTS = {
    "road": N_("road"), "mountain": N_("mountain bike"), "trail": N_("trail"),
    "track": N_("track"), "street": N_("street"), "downhill": N_("downhill"),
    "cyclocross": N_("cyclocross"), "recumbent": N_("recumbent"), "spin": N_("spin"),
    "elliptical": N_("elliptical"), "stair_climbing": N_("stair climbing"),
    "hiit": N_("HIIT"), "yoga": N_("yoga"), "pilates": N_("Pilates"),
    "commuting": N_("commuting"), "bike_to_run_transition": N_("bike to run"),
    "virtual_run": N_("virtual run"), "virtual_activity": N_("virtual"),
    "open_water": N_("open water"), "treadmill": N_("treadmill"), "ultra": N_("ultra"),
    "e_bike_fitness": N_("e-bike"),
}  # fmt: skip
_PLAIN = ("generic", "all")


def sport_label(sport: str, sub_sport: str = "generic") -> str:
    """'Running', 'Indoor cycling', 'Cycling (road)' in the athlete's language."""
    sub = sub_sport if sub_sport and sub_sport not in (*_PLAIN, sport) else None
    if sub in OWN_NAMES:
        return _(OWN_NAMES[sub])
    name = _(SPORTS[sport]) if sport in SPORTS else sport_name(sport)
    if sub is None:
        return name
    sub_name = _(SUB_SPORTS[sub]) if sub in SUB_SPORTS else sub.replace("_", " ")
    return _("{sport} ({sub_sport})").format(sport=name, sub_sport=sub_name)
