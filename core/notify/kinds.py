"""The kinds of push: each names the data its outbox row carries and the view that renders it.

Producers store a kind with its data (plain JSON values); bot.views.notify turns the data into
a message when the push is sent, in the words and units the bot uses at that moment.
"""

from __future__ import annotations

SUMMARY = "summary"  # core.notify.daily_summary.MorningSummary
NEW_ACTIVITIES = "activity"  # core.garmin.notices.NewActivities
GARMIN_LINK_BROKEN = "garmin_auth"  # core.garmin.notices.LinkBroken
PLAN_CHANGE = "billing"  # core.billing.rules.Change
WEEKLY_REPORT = "weekly"  # core.notify.weekly_figures.WeeklyReport
