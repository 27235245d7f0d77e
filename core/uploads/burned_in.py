"""Images whose pixels may show who the patient is: the header cannot be trusted to say so.

De-identifying the header leaves the pixels alone, and some images carry the
patient's name, date of birth or record number written into the picture itself
(burned-in annotation), or show a face. Such a copy is withheld from clinics
until a person has looked at it. Withheld when:

- ``BurnedInAnnotation`` is YES, or ``RecognizableVisualFeatures`` is YES;
- ``BurnedInAnnotation`` is absent (or not NO) and the modality or the SOP class
  is one whose images routinely carry text or faces:
  US and IVUS (the scanner writes the patient's name and ID across the top of
  each frame), SC and OT (secondary capture and "other": screenshots, scanned
  films and reports), XA and RF (fluoroscopy screens with a text overlay), ES
  (endoscopy video stills with a caption), XC, OP and GM (photographs: faces,
  skin, eyes), SM (slide scans include the label with the name), DOC
  (a document rendered as an image).

CT, MR, CR, DX, MG, PT and NM pixels come from a detector, and a scanner that
burns text in says so in ``BurnedInAnnotation``; they are not withheld by default.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

BURNED_IN_MODALITIES = frozenset(
    {"US", "IVUS", "SC", "OT", "XA", "RF", "ES", "XC", "OP", "GM", "SM", "DOC"}
)
# Secondary Capture (…1.1.7 and its multi-frame …1.1.7.x) and Visible Light (…1.1.77.1.x:
# endoscopy, microscopy, photographs) storage classes, whatever modality they claim.
SECONDARY_CAPTURE_SOP = "1.2.840.10008.5.1.4.1.1.7"
VISIBLE_LIGHT_SOP_PREFIX = "1.2.840.10008.5.1.4.1.1.77.1."

# Reasons, stored on the document and shown to staff.
BURNED_IN_ANNOTATION = "burned_in_annotation"
RECOGNIZABLE_FEATURES = "recognizable_visual_features"
RISKY_MODALITY = "risky_modality"


def _flag(dataset: Dataset, keyword: str) -> str:
    try:
        return str(dataset.get(keyword, "") or "").strip().upper()
    except Exception:  # a value that cannot be decoded says nothing reassuring
        return ""


def pixel_identity_risk(dataset: Dataset) -> str | None:
    """Why the pixels of ``dataset`` may identify the patient, or None when they should not."""
    burned_in = _flag(dataset, "BurnedInAnnotation")
    if burned_in == "YES":
        return BURNED_IN_ANNOTATION
    if _flag(dataset, "RecognizableVisualFeatures") == "YES":
        return RECOGNIZABLE_FEATURES
    if burned_in == "NO":
        return None
    meta = getattr(dataset, "file_meta", None)
    sop_class = _flag(meta, "MediaStorageSOPClassUID") if meta is not None else ""
    sop_class = sop_class or _flag(dataset, "SOPClassUID")
    if (
        _flag(dataset, "Modality") in BURNED_IN_MODALITIES
        or sop_class == SECONDARY_CAPTURE_SOP
        or sop_class.startswith((f"{SECONDARY_CAPTURE_SOP}.", VISIBLE_LIGHT_SOP_PREFIX))
    ):
        return RISKY_MODALITY
    return None
