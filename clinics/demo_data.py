"""Demo clinics, offerings, credentials and reviews (realistic, invented; see demo.py).

Prices follow shared/docs/domain.md (USD 1,320-50,000 worldwide); credential
dates are days relative to the day the demo is seeded, so some are always
about to expire and one has just expired.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# The reference exchange rates (USD per one unit, reviewed November 2026) the portal
# used to carry in code: seeded as staff rates dated that day, so the demo converts
# offline. Staff replace them in the admin, or a provider key makes beat fetch them.
REFERENCE_RATES_ON = dt.date(2026, 11, 1)
REFERENCE_USD_PER_UNIT: dict[str, str] = {
    "EUR": "1.08", "GBP": "1.27", "MXN": "0.055", "COP": "0.00025", "CRC": "0.0019",
    "PAB": "1", "THB": "0.028", "JPY": "0.0066", "KRW": "0.00073", "MYR": "0.22",
    "AED": "0.2723", "INR": "0.012", "UAH": "0.024",
}

# slug-ish key -> clinic facts. "status" defaults to vetted.
CLINICS: list[dict[str, Any]] = [
    {"key": "regenera", "name": "Clínica Regenera Guadalajara", "country": "MX",
     "city": "Guadalajara", "tz": "America/Mexico_City", "languages": ["es", "en"],
     "website": "https://regenera-gdl.example", "contact": ("Ana Ruiz", "care@regenera.example"),
     "accreditation": "COFEPRIS sanitary licence; in-house cell lab certified by COFEPRIS.",
     "description": "Orthopaedic and sports-medicine clinic treating knees, hips and backs "
                    "with the patient's own cells since 2012."},
    {"key": "medellin", "name": "Instituto Celular de Medellín", "country": "CO",
     "city": "Medellín", "tz": "America/Bogota", "languages": ["es", "en"],
     "website": "https://icm-medellin.example", "contact": ("Julián Gómez", "info@icm.example"),
     "accreditation": "INVIMA-registered cell processing; member of the Colombian "
                      "Association of Regenerative Medicine.",
     "description": "Same-day and cultured treatments for joint and spine conditions, with "
                    "follow-up calls at 1, 3, 6 and 12 months."},
    {"key": "costarica", "name": "Costa Rica Regenerative Institute", "country": "CR",
     "city": "San José", "tz": "America/Costa_Rica", "languages": ["es", "en"],
     "website": "https://crri.example", "contact": ("Laura Mora", "patients@crri.example"),
     "accreditation": "Authorised by the Ministry of Health under Costa Rica's regenerative "
                      "medicine framework.",
     "description": "Umbilical-cord MSC infusions for autoimmune and neurological conditions."},
    {"key": "panama", "name": "Panama Cell Therapy Center", "country": "PA",
     "city": "Panama City", "tz": "America/Panama", "languages": ["es", "en"],
     "website": "https://pctc.example", "contact": ("Carlos Díaz", "coord@pctc.example"),
     "accreditation": "MINSA licence; ISO 9001 lab; cord tissue from screened donors.",
     "description": "Cultured umbilical-cord MSCs for multiple sclerosis, autism-spectrum "
                    "research protocols and joint disease."},
    {"key": "bangkok", "name": "Bangkok Regenerative Medicine Hospital", "country": "TH",
     "city": "Bangkok", "tz": "Asia/Bangkok", "languages": ["th", "en"],
     "website": "https://brmh.example", "contact": ("Somchai P.", "intl@brmh.example"),
     "accreditation": "JCI-accredited hospital; cell lab certified by the Thai FDA.",
     "description": "Hospital-based programme for heart failure and diabetes."},
    {"key": "tokyo", "name": "Tokyo Cell Clinic", "country": "JP", "city": "Tokyo",
     "tz": "Asia/Tokyo", "languages": ["ja", "en"], "website": "https://tokyo-cell.example",
     "contact": ("Yuki Tanaka", "global@tokyo-cell.example"),
     "accreditation": "Treatment plans filed under Japan's Act on the Safety of Regenerative "
                      "Medicine; cell processing facility licensed by MHLW.",
     "description": "Autologous adipose-derived MSCs for knee osteoarthritis and skin."},
    {"key": "seoul", "name": "Seoul Stem Cell Orthopedics", "country": "KR", "city": "Seoul",
     "tz": "Asia/Seoul", "languages": ["ko", "en"], "website": "https://seoul-ortho.example",
     "contact": ("Min-jun Park", "global@seoul-ortho.example"),
     "accreditation": "MFDS-approved advanced regenerative medicine institution.",
     "description": "Cartilage and spine treatments with bone-marrow and fat-derived cells."},
    {"key": "kualalumpur", "name": "Kuala Lumpur Cellular Medicine", "country": "MY",
     "city": "Kuala Lumpur", "tz": "Asia/Kuala_Lumpur", "languages": ["ms", "en"],
     "website": "https://klcm.example", "contact": ("Nur Aisyah", "hello@klcm.example"),
     "accreditation": "Lab certified by NPRA (National Pharmaceutical Regulatory Agency) "
                      "for cell and gene therapy products.",
     "description": "Cultured MSCs for osteoarthritis and post-stroke recovery."},
    {"key": "dubai", "name": "Dubai Regenerative Centre", "country": "AE", "city": "Dubai",
     "tz": "Asia/Dubai", "languages": ["ar", "en"], "website": "https://drc-dubai.example",
     "contact": ("Omar Haddad", "care@drc-dubai.example"),
     "accreditation": "Licensed by the Dubai Health Authority for stem-cell therapy.",
     "description": "Orthopaedic and anti-aging programmes with the patient's own cells."},
    {"key": "cancun", "name": "Clínica Ortobiológica Cancún", "country": "MX", "city": "Cancún",
     "tz": "America/Cancun", "languages": ["es", "en"], "website": "https://orto-cancun.example",
     "contact": ("Marisol Vega", "citas@orto-cancun.example"),
     "accreditation": "COFEPRIS licence; bone-marrow concentrate prepared in the operating room.",
     "description": "Same-day bone-marrow concentrate for knees, shoulders and tendons."},
    {"key": "osaka", "name": "Osaka Regenerative Skin & Joint Clinic", "country": "JP",
     "city": "Osaka", "tz": "Asia/Tokyo", "languages": ["ja", "en"],
     "website": "https://osaka-regen.example", "contact": ("Haruka Sato", "en@osaka-regen.example"),
     "accreditation": "Class II and III regenerative medicine plans on file with MHLW.",
     "description": "Hair loss and skin treatments with cell-free secretome and own-fat MSCs."},
    {"key": "chiangmai", "name": "Chiang Mai Integrative Cell Center", "country": "TH",
     "city": "Chiang Mai", "tz": "Asia/Bangkok", "languages": ["th", "en"],
     "website": "https://cm-cell.example", "contact": ("Anong K.", "care@cm-cell.example"),
     "accreditation": "Thai FDA-certified lab; Medical Council of Thailand licences.",
     "description": "Back pain and degenerative disc programmes with a two-week stay option."},
    {"key": "cartagena", "name": "Cartagena Stem Cell Institute", "country": "CO",
     "city": "Cartagena", "tz": "America/Bogota", "languages": ["es", "en"],
     "website": "https://cartagena-sci.example", "contact": ("Andrés Ríos", "info@csi.example"),
     "accreditation": "Application under review: INVIMA documents requested.",
     "description": "New clinic; not yet vetted.", "status": "under_review"},
]

# (clinic key, title, facts, condition slugs)
OFFERINGS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("regenera", "Cultured adipose MSCs for knee osteoarthritis",
     {"cell_type": "msc", "cell_source": "adipose", "origin": "autologous",
      "manipulation": "cultured", "cell_count_millions": "50", "viability_percent": 94,
      "route": "joint", "sessions": 1, "typical_stay_nights": 3, "price_currency": "USD",
      "price_min": "5500", "price_max": "9000",
      "included": "Consultation, MRI review, mini-liposuction, six weeks of culture, injection, "
                  "follow-up calls."}, ["knee-osteoarthritis", "hip-osteoarthritis"]),
    ("regenera", "HSCT for multiple sclerosis",
     {"cell_type": "hsc", "cell_source": "peripheral_blood", "origin": "autologous",
      "manipulation": "cultured", "cell_count_millions": "300", "route": "iv", "sessions": 1,
      "typical_stay_nights": 28, "price_currency": "USD", "price_min": "42000",
      "price_max": "50000",
      "included": "Mobilisation, apheresis, chemotherapy conditioning, isolation room, "
                  "haematology team, four weeks' stay."}, ["multiple-sclerosis"]),
    ("medellin", "Same-day bone-marrow concentrate for knees",
     {"cell_type": "msc", "cell_source": "bone_marrow", "origin": "autologous",
      "manipulation": "minimal", "volume_ml": "8", "route": "joint", "sessions": 1,
      "typical_stay_nights": 2, "price_currency": "USD", "price_min": "1320",
      "price_max": "2500", "included": "Harvest from the hip, concentration, injection."},
     ["knee-osteoarthritis", "cartilage-injury"]),
    ("medellin", "Cultured MSCs for chronic back pain",
     {"cell_type": "msc", "cell_source": "adipose", "origin": "autologous",
      "manipulation": "cultured", "cell_count_millions": "30", "viability_percent": 92,
      "route": "spine", "sessions": 2, "typical_stay_nights": 4, "price_currency": "COP",
      "price_min": "24000000", "price_max": "32000000",
      "included": "Two disc injections under fluoroscopy, physiotherapy plan."},
     ["chronic-back-pain", "degenerative-disc-disease"]),
    ("costarica", "Umbilical-cord MSC infusion for autoimmune disease",
     {"cell_type": "msc", "cell_source": "umbilical_cord", "origin": "allogeneic",
      "manipulation": "cultured", "cell_count_millions": "100", "viability_percent": 95,
      "route": "iv", "sessions": 2, "typical_stay_nights": 5, "price_currency": "USD",
      "price_min": "12000", "price_max": "18000",
      "included": "Two IV infusions (60-120 min), labs, nurse visits at the hotel."},
     ["rheumatoid-arthritis", "lupus", "crohns-disease-and-inflammatory-bowel-disease"]),
    ("panama", "Umbilical-cord MSCs for multiple sclerosis",
     {"cell_type": "msc", "cell_source": "umbilical_cord", "origin": "allogeneic",
      "manipulation": "cultured", "cell_count_millions": "160", "viability_percent": 96,
      "route": "iv", "sessions": 4, "typical_stay_nights": 6, "price_currency": "USD",
      "price_min": "21000", "price_max": "29500",
      "included": "Four IV infusions over five days, neurology consultation, transfers."},
     ["multiple-sclerosis"]),
    ("bangkok", "Cultured MSCs for heart failure",
     {"cell_type": "msc", "cell_source": "bone_marrow", "origin": "autologous",
      "manipulation": "cultured", "cell_count_millions": "100", "viability_percent": 93,
      "route": "iv", "sessions": 1, "typical_stay_nights": 7, "price_currency": "THB",
      "price_min": "650000", "price_max": "900000",
      "included": "Cardiology work-up, echocardiograms, bone-marrow harvest, infusion."},
     ["heart-failure", "after-a-heart-attack"]),
    ("bangkok", "MSC programme for type 2 diabetes",
     {"cell_type": "msc", "cell_source": "adipose", "origin": "autologous",
      "manipulation": "cultured", "cell_count_millions": "80", "route": "iv", "sessions": 2,
      "typical_stay_nights": 5, "price_currency": "THB", "price_min": "420000",
      "price_max": "560000", "included": "Endocrinology review, two infusions, HbA1c follow-up."},
     ["type-2-diabetes"]),
    ("tokyo", "Own-fat MSCs for knee osteoarthritis",
     {"cell_type": "msc", "cell_source": "adipose", "origin": "autologous",
      "manipulation": "cultured", "cell_count_millions": "100", "viability_percent": 95,
      "route": "joint", "sessions": 1, "typical_stay_nights": 3, "price_currency": "JPY",
      "price_min": "1500000", "price_max": "2800000",
      "included": "Fat harvest, four to six weeks of culture (two trips), injection, MRI."},
     ["knee-osteoarthritis"]),
    ("seoul", "Cartilage repair with bone-marrow cells",
     {"cell_type": "msc", "cell_source": "bone_marrow", "origin": "autologous",
      "manipulation": "minimal", "volume_ml": "6", "route": "joint", "sessions": 1,
      "typical_stay_nights": 2, "price_currency": "KRW", "price_min": "6500000",
      "price_max": "11000000", "included": "Arthroscopy assessment, harvest, injection."},
     ["cartilage-injury", "knee-osteoarthritis"]),
    ("kualalumpur", "Cultured MSCs after a stroke",
     {"cell_type": "msc", "cell_source": "umbilical_cord", "origin": "allogeneic",
      "manipulation": "cultured", "cell_count_millions": "100", "viability_percent": 94,
      "route": "iv", "sessions": 2, "typical_stay_nights": 6, "price_currency": "MYR",
      "price_min": "38000", "price_max": "52000",
      "included": "Neurology assessment, two infusions, rehabilitation plan."},
     ["stroke-recovery"]),
    ("dubai", "Regenerative knee programme",
     {"cell_type": "msc", "cell_source": "adipose", "origin": "autologous",
      "manipulation": "minimal", "volume_ml": "10", "route": "joint", "sessions": 1,
      "typical_stay_nights": 2, "price_currency": "AED", "price_min": "28000",
      "price_max": "42000", "included": "Mini-liposuction, same-day processing, injection."},
     ["knee-osteoarthritis", "tendon-or-ligament-damage"]),
    ("cancun", "Bone-marrow concentrate for tendons and shoulders",
     {"cell_type": "msc", "cell_source": "bone_marrow", "origin": "autologous",
      "manipulation": "minimal", "volume_ml": "5", "route": "soft_tissue", "sessions": 1,
      "typical_stay_nights": 2, "price_currency": "USD", "price_min": "2800",
      "price_max": "4200", "included": "Ultrasound-guided injection, two nights' hotel."},
     ["tendon-or-ligament-damage"]),
    ("osaka", "Secretome scalp treatment for hair loss",
     {"cell_type": "secretome", "cell_source": "adipose", "origin": "autologous",
      "manipulation": "cultured", "volume_ml": "4", "route": "skin", "sessions": 3,
      "typical_stay_nights": 2, "price_currency": "JPY", "price_min": "300000",
      "price_max": "480000", "included": "Three sessions, scalp imaging before and after."},
     ["hair-loss"]),
    ("chiangmai", "Disc programme with cultured MSCs",
     {"cell_type": "msc", "cell_source": "adipose", "origin": "autologous",
      "manipulation": "cultured", "cell_count_millions": "40", "viability_percent": 91,
      "route": "spine", "sessions": 2, "typical_stay_nights": 14, "price_currency": "THB",
      "price_min": "280000", "price_max": "390000",
      "included": "Two injections, physiotherapy, two weeks' stay."},
     ["degenerative-disc-disease", "chronic-back-pain"]),
]

# (clinic key, title, facts, conditions): proposed by the clinic, waiting in the staff queue.
PENDING_OFFERINGS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("osaka", "Donor cord MSC anti-aging infusion",
     {"cell_type": "msc", "cell_source": "umbilical_cord", "origin": "allogeneic",
      "manipulation": "cultured", "cell_count_millions": "100", "route": "iv", "sessions": 1,
      "typical_stay_nights": 2, "price_currency": "JPY", "price_min": "2000000",
      "price_max": "3000000", "included": "One infusion."}, ["general-anti-aging"]),
]

# Issuers per country for (licence, lab, insurance).
ISSUERS: dict[str, tuple[str, str, str]] = {
    "MX": ("COFEPRIS", "COFEPRIS", "GNP Seguros"),
    "CO": ("Secretaría de Salud de Antioquia", "INVIMA", "Seguros Bolívar"),
    "CR": ("Ministerio de Salud de Costa Rica", "Ministerio de Salud de Costa Rica", "INS"),
    "PA": ("MINSA Panamá", "MINSA Panamá", "ASSA Compañía de Seguros"),
    "TH": ("Ministry of Public Health (Thailand)", "Thai FDA", "Bangkok Insurance"),
    "JP": ("MHLW (Japan)", "MHLW (Japan)", "Tokio Marine"),
    "KR": ("Ministry of Health and Welfare (Korea)", "MFDS", "Samsung Fire & Marine"),
    "MY": ("Ministry of Health Malaysia", "NPRA", "Allianz Malaysia"),
    "AE": ("Dubai Health Authority", "Dubai Health Authority", "AXA Gulf"),
}

# Days from today to expiry, overriding the default for (clinic key, kind).
EXPIRY_OVERRIDES: dict[tuple[str, str], int] = {
    ("bangkok", "lab_certificate"): 18,   # expiring soon
    ("seoul", "insurance"): 9,            # expiring soon
    ("kualalumpur", "cell_quality"): 26,  # expiring soon
    ("panama", "insurance"): -6,          # expired: the clinic is in the review queue
}

# (clinic key, rating, shown as, text, clinic reply or "")
REVIEWS: list[tuple[str, int, str, str, str]] = [
    ("regenera", 5, "María, 61, Canada",
     "Explained clearly that results take months. At four months I walk my dog again.", ""),
    ("regenera", 2, "Tom, 55, USA",
     "Treatment itself was fine but no improvement at six months, and follow-up calls stopped.",
     "Thank you, Tom. We have changed our follow-up process and our coordinator will call you."),
    ("medellin", 4, "Claire, 49, UK", "Quick, professional, honest about what mL means.", ""),
    ("costarica", 5, "Jorge, 42, Spain", "Careful screening before they accepted me.", ""),
    ("panama", 3, "Helen, 38, Australia",
     "Good care, but the total cost was higher than the quote once labs were added.", ""),
    ("bangkok", 5, "Ahmed, 67, UAE", "Hospital-grade, cardiology team was excellent.", ""),
    ("tokyo", 4, "Sofia, 58, Italy", "Two trips needed for culture, as they said at the start.",
     ""),
    ("seoul", 1, "Mark, 63, USA",
     "Injection site got infected; I had to get antibiotics at home. Poor aftercare.",
     "We are sorry. We reviewed the case and now check wounds on day 2 before patients fly."),
    ("kualalumpur", 4, "Lim, 70, Singapore", "Steady improvement in grip strength.", ""),
    ("dubai", 2, "Nadia, 45, France", "Felt rushed; price was high for a same-day procedure.", ""),
    ("cancun", 5, "Robert, 52, Canada", "Shoulder much better at three months.", ""),
]
