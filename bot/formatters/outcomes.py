"""What a person is told about their action, as pure functions: one mark and one wording per outcome.

The channel summary of many incidents is `bot.formatters.summary`; this module answers actions
on one incident (a button, a thread mention, App Home), and owns the marks every answer uses.
"""

from __future__ import annotations

from bot.formatters.common import date_token, escape, truncate
from bot.services.actions import IdResult, Outcome, Report, Verb

MARKS: dict[Outcome, str] = {
    Outcome.RESOLVED: ":white_check_mark:",
    Outcome.ACKNOWLEDGED: ":eyes:",
    Outcome.ALREADY_RESOLVED: ":ballot_box_with_check:",
    Outcome.ALREADY_ACKNOWLEDGED: ":eyes:",
    Outcome.CLOSED: ":file_folder:",
    Outcome.ALREADY_CLOSED: ":file_folder:",
    Outcome.IN_FLIGHT: ":hourglass_flowing_sand:",
    Outcome.NOT_FOUND: ":grey_question:",
    Outcome.REFUSED: ":no_entry:",
    Outcome.FAILED: ":warning:",
}
_DOING = {Verb.RESOLVE.value: "resolved", Verb.ACKNOWLEDGE.value: "acknowledged"}


def _who(user: str | None, nobody: str) -> str:
    return f"<@{escape(user)}>" if user else nobody


def _when(result: IdResult) -> str:
    return f" at {date_token(result.at)}" if result.at else ""


def error_line(error_id: str | None) -> str:
    """The line that hands the error id on, when there is one."""
    return f"\nError id: `{escape(error_id)}`" if error_id else ""


def click_answer(verb: Verb, report: Report) -> str | None:
    """What the person who clicked (or wrote in the thread) is told; None when the message says it all."""
    if report.problem is not None:  # a failure (it has an error id), or a sentence saying why not
        if report.error_id:
            problem = escape(truncate(report.problem, 1500))
            return f"{MARKS[Outcome.FAILED]} Could not {verb.value}: {problem}{error_line(report.error_id)}"
        return f"{MARKS[Outcome.NOT_FOUND]} {escape(report.problem)}"
    if not report.results:
        return None
    result = report.results[0]
    mark = MARKS[result.outcome]
    if result.outcome in (Outcome.RESOLVED, Outcome.ACKNOWLEDGED, Outcome.CLOSED):
        return None
    if result.outcome is Outcome.ALREADY_RESOLVED:
        return f"{mark} Already resolved by {_who(result.by, 'Coralogix')}{_when(result)}."
    if result.outcome is Outcome.ALREADY_ACKNOWLEDGED:
        return f"{mark} Already acknowledged by {_who(result.by, 'someone')}."
    if result.outcome is Outcome.ALREADY_CLOSED:
        return f"{mark} Already closed{_when(result)}: a closed case cannot be changed."
    if result.outcome is Outcome.IN_FLIGHT:
        doing = _DOING.get(result.reason or "", "resolved")
        return f"{mark} Already being {doing} by {_who(result.by, 'someone')}."
    if result.outcome is Outcome.REFUSED:  # the reason names the rule, and whom to ask where it says
        return f"{mark} {escape(truncate(result.reason or 'The access policy does not allow this.', 1500))}"
    reason = escape(truncate(result.reason or "unknown error", 1500))
    return f"{mark} Could not {verb.value} the incident: {reason}{error_line(report.error_id)}"


def refused_answer(verb: Verb, report: Report) -> str | None:
    """When the policy refused every incident of an action, what only its person is told (nothing is
    posted in the channel); None when something was allowed."""
    if not report.results or len(report.of(Outcome.REFUSED)) != len(report.results):
        return None
    by_reason: dict[str, list[str]] = {}
    for result in report.results:
        by_reason.setdefault(result.reason or "The access policy does not allow this.", []).append(result.id)
    lines = []
    for reason, ids in by_reason.items():
        shown = ", ".join(f"`{escape(i)}`" for i in ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        lines.append(f"{MARKS[Outcome.REFUSED]} You may not {verb.value} {shown}. {escape(truncate(reason, 1500))}")
    return "\n".join(lines)


def home_notice(report: Report, name: str) -> str:
    """One line on App Home about the Resolve just clicked there (`name`: the incident's escaped name)."""
    if report.problem is not None or not report.results:
        reason = escape(truncate(report.problem or "nothing was done", 1500))
        return f"{MARKS[Outcome.FAILED]} Could not resolve: {reason} (error id `{escape(report.error_id or '-')}`)"
    result = report.results[0]
    mark = MARKS[result.outcome]
    if result.outcome is Outcome.RESOLVED:
        return f"{mark} Resolved *{name}*."
    if result.outcome is Outcome.ALREADY_RESOLVED:
        return f"{mark} *{name}* was already resolved."
    if result.outcome is Outcome.CLOSED:
        return f"{mark} Closed *{name}*."
    if result.outcome is Outcome.ALREADY_CLOSED:
        return f"{mark} *{name}* was already closed."
    if result.outcome is Outcome.IN_FLIGHT:
        return (
            f"{mark} *{name}* is being {_DOING.get(result.reason or '', 'resolved')} by {_who(result.by, 'someone')}."
        )
    if result.outcome is Outcome.NOT_FOUND:
        return f"{mark} `{escape(result.id)}` is not in Coralogix any more."
    if result.outcome is Outcome.REFUSED:
        return f"{mark} You may not resolve *{name}*: {escape(truncate(result.reason or 'not allowed', 1500))}"
    reason = escape(truncate(result.reason or "unknown error", 1500))
    return f"{mark} Could not resolve *{name}*: {reason} (error id `{escape(report.error_id or '-')}`)"
