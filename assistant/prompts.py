"""Every user-facing canned sentence and LLM prompt, in one place."""

from __future__ import annotations

#: Said when nothing retrieved supports an answer; the UI and eval recognise it by ``abstained``.
NO_ANSWER = "I don't have a source for that in my documents, so I won't guess."

SUGGESTIONS = {
    "student": (
        "I can help with becoming a biomedical equipment technician (BMET): what the work is, pay and "
        "outlook, certificates such as CBET, training programs and apprenticeships, paying for training, "
        "and allied-health careers such as respiratory therapy or radiologic technology."
    ),
    "advocacy": (
        "I can help with workforce policy: WIOA, Perkins V, the National Apprenticeship Act and "
        "registered apprenticeship, medical-device right-to-repair, device cybersecurity (FD&C Act "
        "section 524B), the proposed HIPAA Security Rule update, Massachusetts programs, and tracked "
        "policy updates."
    ),
}

NOT_INDEXED = "nothing is indexed yet in {data_dir}: run `assistant ingest corpus/` first"


def abstention(profile: str | None) -> str:
    return f"{NO_ANSWER} {SUGGESTIONS.get(profile or 'student', SUGGESTIONS['student'])}"
