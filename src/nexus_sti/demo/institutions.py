"""Invented organisation names for the 12 countries, in English and the local language.

A name is a descriptive stem (a made-up place-like word such as "Ginga" or "Fah Sai", or a phrase
such as Tetum "Fitun Naroman", bright star) plus a kind of body in that country's style: "{s}
University", "มหาวิทยาลัย{s}", "PT {s} Teknologi". They are fictional; any likeness to a real
institution is accidental, and the demo data is labelled synthetic anyway.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import numpy as np

from nexus_sti.core.countries import country
from nexus_sti.demo.names import ascii_fold, items, pairs, pick

OrgKind = Literal["university", "institute", "company"]


@dataclass(frozen=True, slots=True)
class OrganisationName:
    english: str
    local: str | None  # the name in the local language, where it differs from the English


# (kind, English pattern, local pattern or None); "{s}" is the stem.
_Pattern = tuple[OrgKind, str, str | None]

_PATTERNS: dict[str, tuple[_Pattern, ...]] = {
    "ja": (
        ("university", "{s} University", "{s}大学"),
        ("university", "{s} Institute of Technology", "{s}工業大学"),
        ("university", "{s} International University", "{s}国際大学"),
        ("institute", "{s} Institute for Advanced Science", "{s}先端科学研究所"),
        ("institute", "{s} Research Centre for Sustainability", "{s}サステナビリティ研究センター"),
        ("institute", "{s} Institute of Life Sciences", "{s}生命科学研究所"),
        ("company", "{s} Devices Co., Ltd.", "{s}デバイス株式会社"),
        ("company", "{s} Bioworks Inc.", "株式会社{s}バイオワークス"),
        ("company", "{s} Energy Systems Co., Ltd.", "{s}エナジーシステムズ株式会社"),
        ("company", "{s} Robotics Inc.", "{s}ロボティクス株式会社"),
    ),
    "th": (
        ("university", "{s} University", "มหาวิทยาลัย{s}"),
        ("university", "{s} University of Technology", "มหาวิทยาลัยเทคโนโลยี{s}"),
        ("institute", "{s} Institute of Science and Technology", "สถาบันวิทยาศาสตร์และเทคโนโลยี{s}"),
        ("institute", "{s} Research Institute", "สถาบันวิจัย{s}"),
        ("company", "{s} Technology Co., Ltd.", "บริษัท {s} เทคโนโลยี จำกัด"),
        ("company", "{s} Bio Co., Ltd.", "บริษัท {s} ไบโอ จำกัด"),
        ("company", "{s} Energy Co., Ltd.", "บริษัท พลังงาน{s} จำกัด"),
    ),
    "lo": (
        ("university", "{s} University", "ມະຫາວິທະຍາໄລ{s}"),
        ("university", "{s} Polytechnic College", "ວິທະຍາໄລເຕັກນິກ{s}"),
        ("institute", "{s} Research Institute", "ສະຖາບັນຄົ້ນຄວ້າ{s}"),
        ("institute", "{s} Institute of Science", "ສະຖາບັນວິທະຍາສາດ{s}"),
        ("company", "{s} Technology Co., Ltd.", "ບໍລິສັດ {s} ເຕັກໂນໂລຊີ ຈຳກັດ"),
        ("company", "{s} Agro-Bio Co., Ltd.", "ບໍລິສັດ ກະສິກຳ{s} ຈຳກັດ"),
    ),
    "km": (
        ("university", "{s} University", "សាកលវិទ្យាល័យ{s}"),
        ("university", "{s} Institute of Technology", "វិទ្យាស្ថានបច្ចេកវិទ្យា{s}"),
        ("institute", "{s} Research Institute", "វិទ្យាស្ថានស្រាវជ្រាវ{s}"),
        ("company", "{s} Technology Co., Ltd.", "ក្រុមហ៊ុន បច្ចេកវិទ្យា{s}"),
        ("company", "{s} Agritech Co., Ltd.", "ក្រុមហ៊ុន កសិកម្ម{s}"),
    ),
    "my": (
        ("university", "{s} University", "{s}တက္ကသိုလ်"),
        ("university", "{s} Technological University", "{s}နည်းပညာတက္ကသိုလ်"),
        ("institute", "{s} Research Institute", "{s}သုတေသနဌာန"),
        ("company", "{s} Technology Co., Ltd.", "{s}နည်းပညာကုမ္ပဏီ"),
        ("company", "{s} Agro Co., Ltd.", "{s}စိုက်ပျိုးရေးကုမ္ပဏီ"),
    ),
    "id": (
        ("university", "{s} University", "Universitas {s}"),
        ("university", "{s} Institute of Technology", "Institut Teknologi {s}"),
        ("institute", "{s} Institute for Applied Research", "Lembaga Riset Terapan {s}"),
        (
            "institute",
            "{s} Centre for Biodiversity Research",
            "Pusat Riset Keanekaragaman Hayati {s}",
        ),
        ("company", "PT {s} Teknologi", None),
        ("company", "PT {s} Energi Terbarukan", None),
        ("company", "PT {s} Bioindustri", None),
    ),
    "ms": (
        ("university", "{s} University", "Universiti {s}"),
        ("university", "{s} University of Technology", "Universiti Teknologi {s}"),
        ("institute", "{s} Research Institute", "Institut Penyelidikan {s}"),
        ("institute", "{s} Centre for Applied Science", "Pusat Sains Gunaan {s}"),
        ("company", "{s} Technologies Sdn. Bhd.", None),
        ("company", "{s} Biotech Sdn. Bhd.", None),
        ("company", "{s} Energy Sdn. Bhd.", None),
    ),
    "vi": (
        ("university", "{s} University", "Trường Đại học {s}"),
        (
            "university",
            "{s} University of Science and Technology",
            "Trường Đại học Khoa học và Công nghệ {s}",
        ),
        ("institute", "{s} Institute of Applied Science", "Viện Khoa học Ứng dụng {s}"),
        ("institute", "{s} Institute for Environmental Research", "Viện Nghiên cứu Môi trường {s}"),
        ("company", "{s} Technology JSC", "Công ty Cổ phần Công nghệ {s}"),
        ("company", "{s} Biotech Co., Ltd.", "Công ty TNHH Công nghệ Sinh học {s}"),
    ),
    "pt": (
        ("university", "{s} University", "Universidade {s}"),
        ("university", "{s} Polytechnic Institute", "Instituto Politécnico {s}"),
        ("institute", "{s} Research Institute", "Instituto de Investigação {s}"),
        ("company", "{s} Technologies, Lda.", None),
        ("company", "{s} Agro-Industry, Lda.", None),
    ),
    "en-ph": (
        ("university", "{s} University", None),
        ("university", "University of {s}", None),
        ("university", "{s} State University", None),
        ("institute", "{s} Research Institute", None),
        ("institute", "{s} Centre for Applied Science", None),
        ("company", "{s} Technologies, Inc.", None),
        ("company", "{s} Agritech Corporation", None),
        ("company", "{s} Renewables, Inc.", None),
    ),
    "en-sg": (
        ("university", "{s} University", None),
        ("university", "{s} Institute of Technology", None),
        ("institute", "{s} Research Institute", None),
        ("institute", "{s} Centre for Applied Science", None),
        ("institute", "{s} Institute for Advanced Computing", None),
        ("company", "{s} Technologies Pte. Ltd.", None),
        ("company", "{s} Biosystems Pte. Ltd.", None),
        ("company", "{s} Quantum Pte. Ltd.", None),
    ),
}


def _same(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((s, s) for s in items(text))


# Per country: pattern set and (English stem, local stem) pairs: invented descriptive words.
_STEMS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "JPN": (
        "ja",
        pairs(
            """Aozora=青空; Hoshizora=星空; Asagiri=朝霧; Shiranami=白波; Momijidai=紅葉台;
            Tsukimi=月見; Nijibashi=虹橋; Wakatake=若竹; Ginga=銀河; Suirei=翠嶺; Shiomi=潮見;
            Hibari=雲雀; Chidori=千鳥; Kazeno=風野; Hikarino=光野; Kumoi=雲居; Sorano=空野;
            Yumegaoka=夢ヶ丘"""
        ),
    ),
    "THA": (
        "th",
        pairs(
            """Fah Sai=ฟ้าใส; Dok Kaew=ดอกแก้ว; Thung Thong=ทุ่งทอง; Rung Arun=รุ่งอรุณ;
            Saeng Dao=แสงดาว; Khao Mok=เขาหมอก; Lam Nam Yen=ลำน้ำเย็น; Chom Dao=ชมดาว;
            Sai Rung=สายรุ้ง; Ruen Kaew=เรือนแก้ว; Mek Khram=เมฆคราม; Pa Son=ป่าสน;
            Nam Phet=น้ำเพชร"""
        ),
    ),
    "LAO": (
        "lo",
        pairs(
            """Phou Mok=ພູໝອກ; Nam Sai=ນ້ຳໃສ; Fa Mai=ຟ້າໃໝ່; Saeng Dao=ແສງດາວ; Thong Kham=ທົ່ງຄຳ;
            Houay Yen=ຫ້ວຍເຢັນ; Don Kaew=ດອນແກ້ວ; Vieng Fa=ວຽງຟ້າ; Dao Houng=ດາວຮຸ່ງ"""
        ),
    ),
    "KHM": (
        "km",
        pairs(
            """Tonle Khiev=ទន្លេខៀវ; Phnom Meas=ភ្នំមាស; Chhouk Sar=ឈូកស; Veal Srae=វាលស្រែ;
            Reaksmey=រស្មី; Phkay Proek=ផ្កាយព្រឹក; Tuk Thla=ទឹកថ្លា; Prey Khiev=ព្រៃខៀវ"""
        ),
    ),
    "MMR": (
        "my",
        pairs(
            """Shwe Taung=ရွှေတောင်; Ngwe Myit=ငွေမြစ်; Nay Wun=နေဝန်း; Mya Kyun=မြကျွန်း;
            Linn Yaung=လင်းရောင်; Padauk Pin=ပိတောက်ပင်; Yadanar Myaing=ရတနာမြိုင်;
            Kyal Sin=ကြယ်စင်"""
        ),
    ),
    "IDN": (
        "id",
        _same(
            """Nusa Hijau; Bukit Cahaya; Samudra Biru; Tanjung Harapan; Lembah Pelangi;
            Bintang Fajar; Sungai Jernih; Puncak Awan; Mentari Pagi; Rimba Hijau; Pantai Mutiara;
            Gunung Embun; Danau Biru; Padi Emas"""
        ),
    ),
    "MYS": (
        "ms",
        _same(
            """Teluk Mutiara; Bukit Embun; Sri Cempaka; Tasik Biru; Kuala Hijau; Permata Timur;
            Lembah Bayu; Pulau Cahaya; Gunung Awan; Seri Bestari; Tanjung Pelangi; Sungai Kaca;
            Padang Intan"""
        ),
    ),
    "BRN": (
        "ms",
        _same(
            "Bukit Intan; Sungai Damai; Kampong Mutiara; Seri Bakti; Tasik Cahaya; Hutan Embun; "
            "Pantai Nilam"
        ),
    ),
    "VNM": (
        "vi",
        tuple(
            (ascii_fold(s), s)
            for s in items(
                """Sông Xanh; Núi Mây; Bình Minh; Sao Mai; Cánh Diều; Lúa Vàng; Biển Bạc;
                Rừng Thông; Mây Trắng; Cầu Vồng; Đồng Xanh; Ánh Dương"""
            )
        ),
    ),
    "PHL": (
        "en-ph",
        _same(
            """Liwayway; Bituin; Silangan Bay; Batis; Bahaghari; Dalampasigan; Kalinaw;
            Bulalakaw; Tala Ridge; Bagong Sibol; Lunti; Alon Bay"""
        ),
    ),
    "SGP": (
        "en-sg",
        _same(
            """Kingfisher Bay; Banyan Quay; Orchid Crescent; Sunbird; Seraya Point;
            Mangrove Point; Hornbill Park; Starfruit Hill; Angsana Ridge; Tidewater"""
        ),
    ),
    # Tetum stems: "bright star", "sun", "good land", "clean water", "high mountain",
    # "white sea", "sandalwood".
    "TLS": (
        "pt",
        _same("Fitun Naroman; Loro Matan; Rai Diak; Bee Moos; Foho Leten; Tasi Mutin; Ai-Kameli"),
    ),
}


def organisation_name_options(iso3: str, kind: OrgKind) -> tuple[OrganisationName, ...]:
    """Every name the material can make for a ``kind`` of organisation in ``iso3``."""
    language, stems = _STEMS[country(iso3).iso3]
    return tuple(
        OrganisationName(english.format(s=en_stem), None if local is None else local.format(s=lc))
        for pattern_kind, english, local in _PATTERNS[language]
        if pattern_kind == kind
        for en_stem, lc in stems
    )


def make_organisation_name(
    iso3: str, kind: OrgKind, rng: np.random.Generator, taken: Collection[str]
) -> OrganisationName:
    """A name whose English form is not in ``taken``; numbered campuses once names run out."""
    options = organisation_name_options(iso3, kind)
    free = [o for o in options if o.english not in taken]
    if free:
        return pick(free, rng)
    base = pick(options, rng)
    number = 2
    while f"{base.english} (Campus {number})" in taken:
        number += 1
    local = None if base.local is None else f"{base.local} ({number})"
    return OrganisationName(f"{base.english} (Campus {number})", local)
