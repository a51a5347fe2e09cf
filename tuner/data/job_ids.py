"""Which service a fine-tuning job id belongs to, by its shape.

OpenAI and Azure OpenAI name jobs `ftjob-` and letters and digits; Together AI names them `ft-`
and a UUID. A user with profiles on both pastes one into the other's command; the service then
only says "not found", and the shape of the id is what tells the user where it lives.
"""

from __future__ import annotations

import re

from tuner.data.service_kinds import RulesFamily

_OPENAI_JOB = re.compile(r"ftjob-[A-Za-z0-9]+")
_TOGETHER_JOB = re.compile(r"ft-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def job_id_family(job_id: str) -> RulesFamily | None:
    """`openai` for an OpenAI-shaped id (OpenAI's and Azure's), `together` for Together AI's,
    None for an id of no known shape."""
    if _OPENAI_JOB.fullmatch(job_id):
        return RulesFamily.OPENAI
    if _TOGETHER_JOB.fullmatch(job_id.lower()):
        return RulesFamily.TOGETHER
    return None
