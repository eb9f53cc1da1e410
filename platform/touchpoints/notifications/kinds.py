"""The kinds of notices, who gets them by default, and which the orders make mandatory.

Mandatory kinds may go at once or in the digest but cannot be turned off:

* a submission, to the registrars: they check what is submitted (Murmansk 2.2.2, Kuzbass 3.3.2);
* a return, to its author: subdivisions must present corrected information in time
  (Murmansk 2.2.4 and 5.3, Kuzbass 5.4);
* an overdue publication, to the registrar and the project office: the current version is
  published within 10 working days (Murmansk 5.4, Kuzbass 5.5). This one is the reminders'
  escalation after the deadline (reminders.services.recipients), never optional there either.
"""

from __future__ import annotations

import dataclasses

NOW, DIGEST, OFF = "now", "digest", "off"
MODE_LABELS = {NOW: "сразу", DIGEST: "в ежедневной сводке", OFF: "не присылать"}


@dataclasses.dataclass(frozen=True)
class Kind:
    code: str
    label: str
    #: Who gets it, in words for the settings page.
    audience: str
    default: str
    mandatory: bool = False
    #: The clause that makes it mandatory, shown next to the disabled "off".
    clause: str = ""


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind(
            "entry_submitted",
            "Строка отправлена на проверку",
            "уполномоченным лицам организации",
            NOW,
            True,
            "п. 2.2.2 / 3.3.2 порядка: уполномоченное лицо проверяет представленные сведения",
        ),
        Kind(
            "entry_returned",
            "Строка возвращена на доработку",
            "автору строки",
            NOW,
            True,
            "п. 5.3 / 5.4 порядка: подразделение своевременно представляет сведения",
        ),
        Kind("entry_included", "Строка включена в перечень", "автору строки", NOW),
        Kind("entry_excluded", "Строка исключена из перечня", "автору предложения", NOW),
        Kind(
            "version_approved",
            "Утверждена редакция перечня",
            "сотрудникам подразделений и проектному офису",
            DIGEST,
        ),
        Kind(
            "version_annulled",
            "Утверждение редакции аннулировано",
            "уполномоченным лицам, сотрудникам подразделений и проектному офису",
            NOW,
        ),
        Kind(
            "publication_recorded",
            "Отмечено размещение перечня на сайте",
            "уполномоченным лицам и проектному офису",
            DIGEST,
        ),
    )
}


def allowed_modes(kind: Kind) -> tuple[str, ...]:
    return (NOW, DIGEST) if kind.mandatory else (NOW, DIGEST, OFF)
