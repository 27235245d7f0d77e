"""PS3.15 Basic Application Level Confidentiality Profile, applied to a pydicom dataset.

The action list is Table E.1-1 as dicom-anonymizer ships it (``dicomfields_2026c``):
we take the data, not its file-at-once anonymiser, so the caller keeps its
streaming reader and writer. Two options of the profile are applied, because a
clinic needs them to judge a study:

- Retain Longitudinal Temporal Information, Full Dates (DCM 113106): every date
  and time (VR DA, DT, TM) of the table is kept (K) - except the birth date and
  time: the age is kept instead.
- Retain Patient Characteristics (DCM 113108), limited to sex, age, size and
  weight (K). The option's "clean" (C) attributes - allergies, medical alerts,
  smoking status, patient history - are free text that no program can clean
  reliably, so they get the Basic Profile action; the clinic reads those facts
  from the intake instead.

A kept value must look like what its VR or the option allows (a date is a
date, the sex is M, F or O): anything else is emptied, since a name typed into
a date field is still a name. Compound actions are resolved without knowing the
IOD, to the choice that stays valid whatever the attribute's type: X/Z -> Z,
X/D, Z/D and X/Z/D -> D. UIDs (U) are replaced by an HMAC of the original under
a key the caller scopes (one case): the series of one study still belong
together, and nobody without the key can link them to the hospital's UIDs.
Beyond the table: private tags, unknown public tags, group lengths and every
file-meta attribute but the three a reader needs are removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from dicomanonymizer.dicomfields_selector import dicom_anonymization_database_selector
from pydicom.datadict import dictionary_VR, get_entry
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID

TABLE_VERSION = "dicomfields_2026c"
# dicom-anonymizer's list name -> the Table E.1-1 action it holds.
_CATEGORY_ACTIONS = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D",
    "X_Z_D_TAGS": "X/Z/D",
    "X_Z_U_STAR_TAGS": "X/Z/U*",
}
# Resolved without the IOD: the choice that is valid whether the attribute is type 1, 2 or 3.
_RESOLVED = {
    "D": "D",
    "Z": "Z",
    "X": "X",
    "U": "U",
    "Z/D": "D",
    "X/Z": "Z",
    "X/D": "D",
    "X/Z/D": "D",
    "X/Z/U*": "U*",
}


def _load_table() -> tuple[dict[int, str], tuple[tuple[int, int, int, int, str], ...]]:
    lists = dicom_anonymization_database_selector(TABLE_VERSION)
    actions: dict[int, str] = {}
    repeaters: list[tuple[int, int, int, int, str]] = []
    for category, action in _CATEGORY_ACTIONS.items():
        for entry in lists[category]:
            if len(entry) == 4:  # a repeating group (overlays, curves): value and mask
                group, element, group_mask, element_mask = entry
                repeaters.append((group, element, group_mask, element_mask, action))
            else:
                actions[(entry[0] << 16) | entry[1]] = action
    return actions, tuple(repeaters)


TABLE_ACTIONS, TABLE_REPEATERS = _load_table()


def table_action(tag: int) -> str | None:
    """The Table E.1-1 action for ``tag`` (e.g. "X/Z"), or None when the table omits it."""
    action = TABLE_ACTIONS.get(int(tag))
    if action is not None:
        return action
    group, element = int(tag) >> 16, int(tag) & 0xFFFF
    for r_group, r_element, g_mask, e_mask, r_action in TABLE_REPEATERS:
        if group & g_mask == r_group & g_mask and element & e_mask == r_element & e_mask:
            return r_action
    return None


# --- What the options keep, and what a kept value must look like ----------------------
def _text(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        return [part.strip(" \x00") for part in value.split("\\")]
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return [part for item in value for part in _text(item)]
    return [str(value).strip()]


def _is_date(text: str) -> bool:
    try:
        dt.datetime.strptime(text, "%Y%m%d")
    except ValueError:
        return False
    return len(text) == 8


_TIME = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")
_DATETIME = re.compile(r"\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?")


def _is_datetime(text: str) -> bool:
    return bool(_DATETIME.fullmatch(text)) and (len(text) < 8 or _is_date(text[:8]))


def _is_measure(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number) and 0 <= number < 1000 and len(text) <= 16


TEMPORAL_CHECKS: Mapping[str, Callable[[str], bool]] = {
    "DA": _is_date,
    "TM": lambda text: bool(_TIME.fullmatch(text)),
    "DT": _is_datetime,
}
CHARACTERISTIC_CHECKS: Mapping[int, Callable[[str], bool]] = {
    Tag("PatientSex"): lambda text: text in {"M", "F", "O"},
    Tag("PatientAge"): lambda text: bool(re.fullmatch(r"\d{3}[DWMY]", text)),
    Tag("PatientSize"): _is_measure,  # metres
    Tag("PatientWeight"): _is_measure,  # kilograms
}
# Dates the temporal option would keep but that identify: the age is kept instead.
NOT_KEPT_DATES = frozenset({Tag("PatientBirthDate"), Tag("PatientBirthTime")})
# The DICOM code strings of the profile and options applied (CID 7050).
METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    ("113108", "Retain Patient Characteristics Option"),
)


def effective_action(tag: int, vr: str | None) -> str | None:
    """What is done to ``tag``: the table's action as resolved above, "K" where kept."""
    action = table_action(tag)
    if action is None:
        return None
    if int(tag) in CHARACTERISTIC_CHECKS:
        return "K"
    if vr in TEMPORAL_CHECKS and int(tag) not in NOT_KEPT_DATES:
        return "K"
    return _RESOLVED[action]


# --- Replacing UIDs consistently ------------------------------------------------------
class UidMap:
    """Same input UID -> same output UID for one key; different keys -> unrelated UIDs."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the UID key must be at least 16 bytes")
        self._key = key

    def __call__(self, uid: str) -> str:
        digest = hmac.new(self._key, uid.strip(" \x00").encode(), hashlib.sha256).digest()
        # 2.25.<128-bit integer>: a UID that needs no registered root (PS3.5 B.2).
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"


# --- Applying the actions -------------------------------------------------------------
TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"})
NUMBER_VRS = frozenset({"US", "SS", "UL", "SL", "UV", "SV", "FL", "FD"})
DUMMY_TEXT = "ANONYMIZED"
EXTRA_REMOVED = frozenset({Tag("IconImageSequence")})  # a thumbnail can carry burned-in text


def vr_of(item: DataElement | RawDataElement, dataset: Dataset) -> str:
    """The element's VR; from the dictionary under implicit VR, "UN" when nobody knows it."""
    vr = item.VR
    if vr is None:  # implicit VR: the dictionary decides
        try:
            vr = dictionary_VR(item.tag)
        except KeyError:
            return "UN"
    if vr == "OB or OW":
        vr = "OW" if int(dataset.get("BitsAllocated", 8) or 8) > 8 else "OB"
    return str(vr)


def _known(tag: BaseTag) -> bool:
    try:
        get_entry(tag)
    except KeyError:
        return False
    return True


def _set(dataset: Dataset, tag: BaseTag, vr: str, value: Any) -> None:
    dataset[tag] = DataElement(tag, vr, value)


def _empty(dataset: Dataset, tag: BaseTag, vr: str) -> None:
    _set(dataset, tag, vr, Sequence([]) if vr == "SQ" else None)


def _replace_uids(
    dataset: Dataset, tag: BaseTag, item: DataElement | RawDataElement, uids: UidMap
) -> None:
    # Read as text from the raw bytes: a hostile value must not stop the copy.
    old = [part for part in _text(item.value) if part]
    if not old:
        _empty(dataset, tag, "UI")
        return
    new = [uids(part) for part in old]
    _set(dataset, tag, "UI", new[0] if len(new) == 1 else new)


def _dummy(
    dataset: Dataset, tag: BaseTag, vr: str, item: DataElement | RawDataElement, uids: UidMap
) -> None:
    if vr == "UI":
        _replace_uids(dataset, tag, item, uids)
    elif vr in TEXT_VRS:
        _set(dataset, tag, vr, DUMMY_TEXT)
    elif vr in {"DS", "IS"}:
        _set(dataset, tag, vr, "0")
    elif vr in NUMBER_VRS:
        _set(dataset, tag, vr, 0)
    elif vr in {"DA", "DT", "TM"}:
        _set(dataset, tag, vr, {"DA": "19000101", "DT": "19000101", "TM": "000000"}[vr])
    elif vr in {"OB", "OW", "UN"}:
        _set(dataset, tag, vr, b"\x00\x00")
    else:  # SQ, AS, AT, UR, OD, OF, OL, OV: nothing meaningful to invent, so empty
        _empty(dataset, tag, vr)


def _keep_checked(dataset: Dataset, tag: BaseTag, vr: str) -> None:
    check = CHARACTERISTIC_CHECKS.get(int(tag)) or TEMPORAL_CHECKS.get(vr)
    try:
        values = _text(dataset[tag].value)
        ok = check is not None and all(check(value) for value in values if value)
    except Exception:  # an undecodable value is not a date, a sex or an age
        ok = False
    if not ok:
        _empty(dataset, tag, vr)


def deidentify_dataset(dataset: Dataset, *, uids: UidMap) -> None:
    """Apply the profile to ``dataset`` and every sequence item in it, in place."""
    for tag in list(dataset.keys()):
        item = dataset.get_item(tag, keep_deferred=True)
        if item is None:
            continue
        vr = vr_of(item, dataset)
        if tag.is_private or tag.element == 0 or tag in EXTRA_REMOVED:
            del dataset[tag]  # private data, stale group lengths, thumbnails
            continue
        action = effective_action(tag, vr)
        if action is None:
            if not _known(tag):
                del dataset[tag]  # nobody can vouch for an attribute no dictionary names
            elif vr == "SQ":
                for child in dataset[tag].value:
                    deidentify_dataset(child, uids=uids)
        elif action == "X":
            del dataset[tag]
        elif action == "Z":
            _empty(dataset, tag, vr)
        elif action == "D":
            _dummy(dataset, tag, vr, item, uids)
        elif action == "K":
            _keep_checked(dataset, tag, vr)
        elif action == "U" or (action == "U*" and vr == "UI"):
            _replace_uids(dataset, tag, item, uids)
        elif action == "U*" and vr == "SQ":
            # Keep the references (a series points at its images) with their UIDs replaced.
            for child in dataset[tag].value:
                deidentify_dataset(child, uids=uids)
        else:
            _empty(dataset, tag, vr)


def mark_deidentified(dataset: Dataset, *, uids: UidMap, pseudonym: str = "") -> None:
    """Rebuild the file meta from what a reader needs, and record what was done.

    ``pseudonym`` (e.g. the case reference a clinic already knows) becomes the
    patient's name and ID, so a viewer holding several studies tells them apart.
    """
    old = dataset.file_meta
    meta = FileMetaDataset()
    sop_class = old.get("MediaStorageSOPClassUID") or dataset.get("SOPClassUID")
    if sop_class:
        meta.MediaStorageSOPClassUID = sop_class
    instance = old.get("MediaStorageSOPInstanceUID") or dataset.get("SOPInstanceUID")
    if instance:
        meta.MediaStorageSOPInstanceUID = UID(uids(str(instance)))
    meta.TransferSyntaxUID = old.TransferSyntaxUID
    dataset.file_meta = meta
    if pseudonym:
        dataset.PatientName = dataset.PatientID = pseudonym
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = [meaning for _code, meaning in METHOD_CODES]
    codes = []
    for value, meaning in METHOD_CODES:
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, "DCM", meaning
        codes.append(code)
    dataset.DeidentificationMethodCodeSequence = Sequence(codes)
    dataset.LongitudinalTemporalInformationModified = "UNMODIFIED"
    dataset.preamble = bytes(128)
