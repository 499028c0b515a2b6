"""The program's clock: Shengsi reads dates and times in Asia/Shanghai, whatever zone the server runs in.

A form filled at 00:30 Beijing time is dated the new day; "today" for plausibility checks, list review and the
dashboards is that same Beijing date, so a server on UTC never calls a just-made application "in the future".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def program_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Shengsi (Asia/Shanghai); ``now`` (aware, any zone) for a fixed moment."""
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("program_today needs an aware moment")
    return moment.astimezone(SHANGHAI).date()


def local_wall_time(moment: dt.datetime) -> dt.datetime:
    """Asia/Shanghai wall time without a zone (how visit forms record time); a naive time is taken as local."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None) if moment.tzinfo is not None else moment
