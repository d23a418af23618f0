"""String enums whose members also carry how a person reads them."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Labelled(StrEnum):
    """`X = "value", "label"`: the value is what is stored, compared and sent as JSON; the label
    is presentation. (`label`, not `title`: a member is a `str`, and `str.title` is a method.)"""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member
