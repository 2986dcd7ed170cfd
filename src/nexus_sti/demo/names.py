"""Invented person names for the 12 countries, in local script and Latin.

Person names follow each country's conventions: the order of family and given names, scripts
(ISO 15924 codes in ``PersonName.script``), Myanmar names without family names, Malay and
Indian patronymics ("bin", "binti", "a/l", "a/p", "s/o", "d/o"), single-name Indonesians.
Organisation names live in ``institutions``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from nexus_sti.core.countries import country

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name as written locally and romanised, both in the local order."""

    local: str
    latin: str
    given_latin: str
    family_latin: str  # "" where there is no family name (Myanmar, mononyms, patronymics)
    script: str  # ISO 15924 code of ``local``
    sort_key: str  # case- and accent-folded Latin, family name first where there is one


def ascii_fold(text: str) -> str:
    """Latin text without diacritics (``Nguyễn Đức`` -> ``Nguyen Duc``); other scripts drop out."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii())


def pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``"local=Latin; local=Latin"`` material into (local, latin) pairs."""
    out: list[tuple[str, str]] = []
    for item in text.split(";"):
        local, _, latin = item.strip().partition("=")
        if local:
            out.append((local.strip(), latin.strip()))
    return tuple(out)


def items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(";") if item.strip())


def pick(options: Sequence[_T], rng: np.random.Generator) -> _T:
    return options[int(rng.integers(len(options)))]


def _name(local: str, latin: str, given: str, family: str, script: str = "Latn") -> PersonName:
    key = f"{family}, {given}" if family else latin
    return PersonName(local, latin, given, family, script, ascii_fold(key).casefold())


# --- Japan: kanji, family name first, Hepburn romanisation without macrons -----------------

_JPN_FAMILY = pairs(
    """佐藤=Sato; 鈴木=Suzuki; 高橋=Takahashi; 田中=Tanaka; 伊藤=Ito; 渡辺=Watanabe;
    山本=Yamamoto; 中村=Nakamura; 小林=Kobayashi; 加藤=Kato; 吉田=Yoshida; 山田=Yamada;
    佐々木=Sasaki; 松本=Matsumoto; 井上=Inoue; 木村=Kimura; 林=Hayashi; 清水=Shimizu;
    山口=Yamaguchi; 森=Mori; 池田=Ikeda; 橋本=Hashimoto; 石川=Ishikawa; 前田=Maeda;
    藤田=Fujita; 岡田=Okada"""
)
_JPN_GIVEN = pairs(
    """健=Ken; 翔太=Shota; 大輔=Daisuke; 陽子=Yoko; 美咲=Misaki; 拓也=Takuya; 直樹=Naoki;
    由美=Yumi; 誠=Makoto; 恵=Megumi; 浩二=Koji; 真理子=Mariko; 和也=Kazuya; 裕子=Yuko;
    大樹=Daiki; 彩=Aya; 隆=Takashi; 智子=Tomoko; 亮=Ryo; 香織=Kaori; 悠斗=Yuto;
    さくら=Sakura; 結衣=Yui; 翼=Tsubasa; 麻衣=Mai; 修=Osamu"""
)

# --- Thailand: Thai script, given name first ------------------------------------------------

_THA_GIVEN = pairs(
    """สมชาย=Somchai; สมศักดิ์=Somsak; วิชัย=Wichai; ประเสริฐ=Prasert; สุดา=Suda; มาลี=Malee;
    นภา=Napha; กมล=Kamon; อรุณ=Arun; ปิยะ=Piya; ณัฐพล=Nattaphon; ธนพร=Thanaporn;
    พิมพ์ชนก=Pimchanok; กิตติ=Kitti; อนุชา=Anucha; วรรณา=Wanna; สุภาพร=Supaporn;
    ศิริพร=Siriporn; จิราพร=Jiraporn; ชนิดา=Chanida; ธีรวัฒน์=Theerawat; ปกรณ์=Pakorn;
    รัตนา=Rattana; วีระ=Weera; อัญชลี=Anchalee"""
)
_THA_FAMILY = pairs(
    """ใจดี=Jaidee; ศรีสุข=Srisuk; แสงทอง=Saengthong; บุญมา=Boonma; ทองดี=Thongdee;
    สุขสวัสดิ์=Suksawat; รัตนพันธ์=Rattanaphan; เจริญผล=Charoenphon; มั่นคง=Mankhong;
    ศรีวงศ์=Sriwong; แก้วมณี=Kaewmanee; ชัยมงคล=Chaimongkol; อินทร์แก้ว=Inkaew;
    พรหมสุวรรณ=Promsuwan; วงศ์สวัสดิ์=Wongsawat; ปัญญาดี=Panyadee; ทองคำ=Thongkham;
    บุญเรือง=Boonruang; เพชรรัตน์=Phetcharat; สมบูรณ์ชัย=Sombunchai"""
)

# --- Cambodia: Khmer script, family name first ----------------------------------------------

_KHM_FAMILY = pairs(
    """សុខ=Sok; ជា=Chea; ហេង=Heng; កែវ=Keo; គីម=Kim; លី=Ly; ចាន់=Chan; ស៊ុន=Sun; មាស=Meas;
    ពេជ្រ=Pich; ប្រាក់=Prak; សេង=Seng; ម៉ៅ=Mao; អ៊ុក=Ouk; ទេព=Tep; ឆាយ=Chhay; សំ=Sam;
    យឹម=Yim; ឡុង=Long; វ៉ាន់=Vann; នូ=Nou; ខៀវ=Khiev; សួន=Suon"""
)
_KHM_GIVEN = pairs(
    """ដារ៉ា=Dara; សោភា=Sophea; សុខា=Sokha; វណ្ណា=Vanna; បុប្ផា=Bopha; ចិន្តា=Chenda;
    ឫទ្ធី=Rithy; វិសាល=Visal; ពិសិដ្ឋ=Piseth; សុធា=Sothea; ស្រីមុំ=Sreymom; សុផល=Sophal;
    ចាន់ណារី=Channary; កុសល=Kosal; វុទ្ធី=Vuthy; ប៊ុនធឿន=Bunthoeun; សុវណ្ណ=Sovann;
    កញ្ញា=Kanha; រចនា=Rachana; លក្ខិណា=Leakhena; រតនា=Ratana; ធីតា=Thida; សំណាង=Samnang;
    ចំរើន=Chamroeun"""
)

# --- Lao PDR: Lao script, given name first ---------------------------------------------------

_LAO_GIVEN = pairs(
    """ສົມພອນ=Somphone; ບຸນມີ=Bounmy; ຄຳລາ=Khamla; ສຸກສະຫວັນ=Souksavanh;
    ພອນສະຫວັນ=Phonesavanh; ມະນີວອນ=Manivone; ວຽງຄຳ=Viengkham; ທອງສະຫວັນ=Thongsavanh;
    ແສງດາວ=Sengdao; ຄຳເພັດ=Khamphet; ວິໄລວັນ=Vilayvanh; ດາລາວັນ=Dalavanh; ສີສຸກ=Sisouk;
    ບຸນທັນ=Bounthanh; ສົມສັກ=Somsack; ຄຳພອນ=Khamphone; ອານຸສອນ=Anousone; ນາລີ=Nalee;
    ຈັນທະລີ=Chanthaly; ແກ້ວ=Keo; ນ້ອຍ=Noy; ຄຳແພງ=Khamphaeng"""
)
_LAO_FAMILY = pairs(
    """ພົມມະຈັນ=Phommachanh; ສີສະຫວາດ=Sisavath; ວົງສາ=Vongsa; ແກ້ວມະນີ=Keomany;
    ອິນທະວົງ=Inthavong; ສຸວັນນະວົງ=Souvannavong; ພັນທະວົງ=Phanthavong; ຈັນທະວົງ=Chanthavong;
    ສີຫາລາດ=Siharath; ດວງມາລາ=Douangmala; ໄຊຍະວົງ=Xayavong; ວົງພະຈັນ=Vongphachanh;
    ຫຼວງລາດ=Luangrath; ແສງສຸວັນ=Sengsouvanh; ຄູນນະວົງ=Khounnavong; ທຳມະວົງ=Thammavong;
    ລັດຕະນະວົງ=Rattanavong; ພິມມະສອນ=Phimmasone"""
)

# --- Myanmar: Burmese script, no family name; a name is two or three syllables ---------------

_MMR_MALE = pairs(
    """အောင်=Aung; ကျော်=Kyaw; မင်း=Min; ဇော်=Zaw; ထက်=Htet; မြင့်=Myint; ဝင်း=Win;
    သိန်း=Thein; ထွန်း=Tun; နိုင်=Naing; မျိုး=Myo; စိုး=Soe; ဟိန်း=Hein; ပိုင်=Paing;
    သက်=Thet; လွင်=Lwin"""
)
_MMR_FEMALE = pairs(
    """စု=Su; ခင်=Khin; မြ=Mya; အေး=Aye; ဖြူ=Phyu; မိုး=Moe; နွယ်=Nwe; အိ=Ei; နှင်း=Hnin;
    ယဉ်=Yin; စန်း=San; သူ=Thu; ဇင်=Zin; မာ=Mar; ငြိမ်း=Nyein; ချမ်း=Chan; လှ=Hla; ဝေ=Wai"""
)

# --- Viet Nam: Latin with diacritics, family - middle - given ---------------------------------

_VNM_FAMILY = items(
    """Nguyễn; Trần; Lê; Phạm; Hoàng; Huỳnh; Phan; Vũ; Võ; Đặng; Bùi; Đỗ; Hồ; Ngô; Dương;
    Lý; Đinh; Trương"""
)
_VNM_MIDDLE_MALE = items("Văn; Đức; Quang; Hữu; Minh; Thành; Công")
_VNM_MIDDLE_FEMALE = items("Thị; Ngọc; Thu; Thanh; Minh; Bích; Kim")
_VNM_GIVEN_MALE = items(
    "Hùng; Dũng; Tuấn; Anh; Minh; Nam; Long; Quân; Hải; Sơn; Khoa; Bảo; Hiếu; Trung; Phong; "
    "Thắng; Hoàng; Việt"
)
_VNM_GIVEN_FEMALE = items(
    "Lan; Hương; Linh; Hà; Phương; Thảo; Trang; Hạnh; Mai; Thủy; Ngân; Hằng; Yến; Nhung; Vy; "
    "Hoa; Anh; Dung"
)

# --- Indonesia: a single name, or given name(s) and a last name ---------------------------

_IDN_GIVEN = items(
    """Budi; Siti; Dewi; Agus; Rina; Eko; Sri; Wahyu; Andi; Putri; Rizki; Fitri; Indah;
    Bambang; Yusuf; Ayu; Dian; Hendra; Nur; Arif; Ratna; Adi; Kartika; Joko; Bayu; Intan"""
)
_IDN_LAST = items(
    """Santoso; Wibowo; Susanto; Kusuma; Pratama; Saputra; Hidayat; Setiawan; Wijaya; Nugroho;
    Purnomo; Rahayu; Lestari; Hartono; Siregar; Nasution; Simanjuntak; Harahap; Sitompul;
    Gunawan; Halim; Tanjung; Permana; Utami"""
)
_IDN_MONONYM = items(
    "Sutrisno; Suharti; Mulyadi; Sumarni; Supriyadi; Wartini; Haryanto; Suyatno; Rukmini; Darmaji"
)

# --- Malay, Chinese and Indian names used in Malaysia, Brunei and Singapore -----------------

_MALAY_MALE = items(
    """Ahmad; Muhammad Faizal; Mohd Hafiz; Azman; Ismail; Hassan; Rahman; Zulkifli; Kamal;
    Amir; Faris; Syafiq; Aiman; Razak; Osman; Yusof; Hakim; Iskandar; Rizal; Khairul"""
)
_MALAY_FEMALE = items(
    """Siti Aminah; Nurul Aina; Nur Aisyah; Farah; Aminah; Zarina; Noraini; Fatimah; Hidayah;
    Nadia; Azlina; Salmah; Nur Izzati; Syazwani; Haslinda; Suraya"""
)
_CHINESE_FAMILY_LATIN = items(
    "Tan; Lim; Lee; Wong; Ng; Chong; Teh; Ong; Goh; Chan; Yap; Low; Khoo; Chin; Leong"
)
_CHINESE_GIVEN_LATIN = items(
    """Wei Ming; Mei Ling; Kok Wai; Siew Lan; Chee Keong; Li Ying; Jun Hao; Hui Min; Kah Seng;
    Pei Shan; Boon Huat; Xin Yi; Wai Kit; Yee Ling; Soon Heng; Ai Ling"""
)
# Singapore: simplified characters, family names in the dialect romanisation used there.
_SGP_FAMILY = pairs(
    """陈=Tan; 林=Lim; 李=Lee; 黄=Ng; 吴=Goh; 王=Ong; 张=Teo; 许=Koh; 蔡=Chua; 郑=Tay; 刘=Lau;
    杨=Yeo; 沈=Sim; 梁=Leong; 周=Chew; 何=Ho; 谢=Chia"""
)
_SGP_GIVEN = pairs(
    """伟明=Wei Ming; 佳慧=Jia Hui; 志强=Zhi Qiang; 美玲=Mei Ling; 俊杰=Jun Jie; 慧敏=Hui Min;
    家豪=Jia Hao; 淑芬=Shu Fen; 文华=Wen Hua; 丽华=Li Hua; 国辉=Guo Hui; 秀英=Xiu Ying;
    建国=Jian Guo; 雅琪=Ya Qi; 振宇=Zhen Yu; 欣怡=Xin Yi; 嘉伟=Jia Wei; 思颖=Si Ying;
    德明=De Ming; 晓燕=Xiao Yan"""
)
_INDIAN_MALE = items(
    """Kumar; Rajesh; Suresh; Ganesh; Arjun; Vijay; Ravi; Mani; Prakash; Karthik; Raman;
    Subramaniam; Muthu; Selvam; Anand; Ramasamy"""
)
_INDIAN_FEMALE = items(
    "Priya; Kavitha; Lakshmi; Devi; Meena; Shanti; Revathi; Malini; Anitha; Sangeetha; Vani"
)

# --- Philippines: given name, optional middle initial, Spanish-origin family name ----------

_PHL_GIVEN = items(
    """Maria; Jose; Juan; Ana; Mark; Kristine; Joseph; Angelica; Ramon; Liza; Carlo; Patricia;
    Miguel; Rosario; Jerome; Paolo; Camille; Ernesto; Teresita; Francisco; Lourdes; Rodel;
    Joy; Antonio"""
)
_PHL_FAMILY = items(
    """Santos; Reyes; Cruz; Bautista; Garcia; Mendoza; Torres; Villanueva; Ramos; Castillo;
    Flores; Dela Cruz; Gonzales; Fernandez; Navarro; Domingo; Soriano; Mercado; Pascual;
    Salazar; Manalo; Dimaculangan; Lopez; Rivera"""
)

# --- Timor-Leste: Portuguese given and family names -----------------------------------------

_TLS_GIVEN = items(
    """João; Maria; José; Ana; Francisco; Joaquim; Domingos; Rosa; Agostinho; Teresa; Lourenço;
    Filomena; Mateus; Isabel; Januário; Cristina; Armindo; Olinda; Natalino; Jacinta;
    Sebastião; Zélia"""
)
_TLS_FAMILY = items(
    """da Costa; dos Santos; Soares; Pereira; Guterres; Belo; Ximenes; Amaral; Pinto; Fernandes;
    Martins; Alves; da Silva; Freitas; Araújo; Sarmento; Carvalho; Mendonça; Barreto; Correia"""
)


def _japanese(rng: np.random.Generator) -> PersonName:
    fam, giv = pick(_JPN_FAMILY, rng), pick(_JPN_GIVEN, rng)
    return _name(f"{fam[0]} {giv[0]}", f"{fam[1]} {giv[1]}", giv[1], fam[1], "Jpan")


def _family_first(
    families: Sequence[tuple[str, str]], givens: Sequence[tuple[str, str]], script: str
) -> Callable[[np.random.Generator], PersonName]:
    def build(rng: np.random.Generator) -> PersonName:
        fam, giv = pick(families, rng), pick(givens, rng)
        return _name(f"{fam[0]} {giv[0]}", f"{fam[1]} {giv[1]}", giv[1], fam[1], script)

    return build


def _given_first(
    givens: Sequence[tuple[str, str]], families: Sequence[tuple[str, str]], script: str
) -> Callable[[np.random.Generator], PersonName]:
    def build(rng: np.random.Generator) -> PersonName:
        giv, fam = pick(givens, rng), pick(families, rng)
        return _name(f"{giv[0]} {fam[0]}", f"{giv[1]} {fam[1]}", giv[1], fam[1], script)

    return build


def _burmese(rng: np.random.Generator) -> PersonName:
    pool = _MMR_MALE if rng.random() < 0.5 else _MMR_FEMALE
    count = 2 if rng.random() < 0.6 else 3
    picks = rng.choice(len(pool), size=count, replace=False)
    syllables = [pool[int(i)] for i in picks]
    # Burmese script runs the syllables together; the romanisation spaces them.
    latin = " ".join(s[1] for s in syllables)
    return _name("".join(s[0] for s in syllables), latin, latin, "", "Mymr")


def _vietnamese(rng: np.random.Generator) -> PersonName:
    if rng.random() < 0.5:
        middle, given = pick(_VNM_MIDDLE_MALE, rng), pick(_VNM_GIVEN_MALE, rng)
    else:
        middle, given = pick(_VNM_MIDDLE_FEMALE, rng), pick(_VNM_GIVEN_FEMALE, rng)
    family = pick(_VNM_FAMILY, rng)
    local = f"{family} {middle} {given}"
    return _name(local, ascii_fold(local), ascii_fold(f"{middle} {given}"), ascii_fold(family))


def _indonesian(rng: np.random.Generator) -> PersonName:
    draw = rng.random()
    if draw < 0.25:
        single = pick(_IDN_MONONYM, rng)
        return _name(single, single, single, "")
    given = pick(_IDN_GIVEN, rng)
    if draw < 0.75:
        last = pick(_IDN_LAST, rng)
    else:
        second = pick(_IDN_GIVEN, rng)
        given = given if second == given else f"{given} {second}"
        last = pick(_IDN_LAST, rng)
    return _name(f"{given} {last}", f"{given} {last}", given, last)


def _patronymic(
    male: Sequence[str], female: Sequence[str], fathers: Sequence[str], links: tuple[str, str]
) -> Callable[[np.random.Generator], PersonName]:
    """``given bin father`` style names: the father's name is not a family name."""

    def build(rng: np.random.Generator) -> PersonName:
        is_male = rng.random() < 0.5
        given = pick(male if is_male else female, rng)
        father = pick(fathers, rng)
        full = f"{given} {links[0] if is_male else links[1]} {father}"
        return _name(full, full, given, "")

    return build


_malay = _patronymic(
    _MALAY_MALE, _MALAY_FEMALE, tuple(n.split()[-1] for n in _MALAY_MALE), ("bin", "binti")
)
_indian_malaysian = _patronymic(_INDIAN_MALE, _INDIAN_FEMALE, _INDIAN_MALE, ("a/l", "a/p"))
_indian_singaporean = _patronymic(_INDIAN_MALE, _INDIAN_FEMALE, _INDIAN_MALE, ("s/o", "d/o"))


def _chinese_latin(rng: np.random.Generator) -> PersonName:
    fam, giv = pick(_CHINESE_FAMILY_LATIN, rng), pick(_CHINESE_GIVEN_LATIN, rng)
    return _name(f"{fam} {giv}", f"{fam} {giv}", giv, fam)


def _chinese_singaporean(rng: np.random.Generator) -> PersonName:
    fam, giv = pick(_SGP_FAMILY, rng), pick(_SGP_GIVEN, rng)
    return _name(f"{fam[0]}{giv[0]}", f"{fam[1]} {giv[1]}", giv[1], fam[1], "Hans")


def _mixture(
    *parts: tuple[float, Callable[[np.random.Generator], PersonName]],
) -> Callable[[np.random.Generator], PersonName]:
    weights = np.array([w for w, _ in parts], dtype=float)
    cumulative = np.cumsum(weights / weights.sum())

    def build(rng: np.random.Generator) -> PersonName:
        index = min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(parts) - 1)
        return parts[index][1](rng)

    return build


def _filipino(rng: np.random.Generator) -> PersonName:
    given, family = pick(_PHL_GIVEN, rng), pick(_PHL_FAMILY, rng)
    # Many Filipinos carry the mother's maiden name as a middle initial.
    if rng.random() < 0.4:
        full = f"{given} {pick(_PHL_FAMILY, rng)[0]}. {family}"
    else:
        full = f"{given} {family}"
    return _name(full, full, given, family)


def _timorese(rng: np.random.Generator) -> PersonName:
    given, family = pick(_TLS_GIVEN, rng), pick(_TLS_FAMILY, rng)
    return _name(f"{given} {family}", f"{given} {family}", given, family)


_BUILDERS: dict[str, Callable[[np.random.Generator], PersonName]] = {
    "JPN": _japanese,
    "BRN": _mixture((0.8, _malay), (0.2, _chinese_latin)),
    "KHM": _family_first(_KHM_FAMILY, _KHM_GIVEN, "Khmr"),
    "IDN": _indonesian,
    "LAO": _given_first(_LAO_GIVEN, _LAO_FAMILY, "Laoo"),
    "MYS": _mixture((0.6, _malay), (0.25, _chinese_latin), (0.15, _indian_malaysian)),
    "MMR": _burmese,
    "PHL": _filipino,
    "SGP": _mixture((0.7, _chinese_singaporean), (0.15, _malay), (0.15, _indian_singaporean)),
    "THA": _given_first(_THA_GIVEN, _THA_FAMILY, "Thai"),
    "VNM": _vietnamese,
    "TLS": _timorese,
}


def make_person_name(iso3: str, rng: np.random.Generator) -> PersonName:
    """An invented but plausible name for a researcher from ``iso3``."""
    return _BUILDERS[country(iso3).iso3](rng)
