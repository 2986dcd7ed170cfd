"""A seeded, labelled reviewer-matching task for comparing similarity backends honestly.

Each priority area has six sub-topics, and each sub-topic is written four ways that share few
words ("urban heat stress", "extreme heat exposure of city dwellers", ...). A proposal is about
one sub-topic; its title and abstract use two of the phrasings, wrapped in the area's methods,
purposes, problems and outputs from the demo texts, which every sub-topic of the area shares.
A reviewer profile is a list of publication titles on one or two sub-topics (the second from the
same area or another), plus one title on the area's methods alone. Reviewers who share the
proposal's sub-topic are its relevant ones; same-area reviewers are the hard negatives, because
they use the same method and problem vocabulary.

:func:`evaluate_backend` ranks every reviewer for every proposal and reports mean precision@k,
MRR and NDCG@k (binary relevance) with the embedding time per 100 texts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nexus_sti.algorithms.similarity import SimilarityBackend, affinity
from nexus_sti.core.areas import AREA_CODES
from nexus_sti.demo.texts import AREA_PHRASES, join_names


def _subtopics(text: str) -> tuple[tuple[str, ...], ...]:
    """Sub-topics separated by ``;``, each one's phrasings by ``|``."""
    return tuple(
        tuple(" ".join(p.split()) for p in sub.split("|")) for sub in text.split(";") if sub.strip()
    )


# area -> sub-topics -> phrasings; the first phrasing is the demo's topic where it has one.
SUBTOPICS: dict[str, tuple[tuple[str, ...], ...]] = {
    "climate": _subtopics(
        """
        compound flood risk in coastal cities | inundation hazards facing seaside urban
            areas | storm-surge and river flooding of low-lying littoral megacities | urban
            coastal flood exposure;
        urban heat stress | extreme heat exposure of city dwellers | heatwave impacts on
            outdoor workers in dense neighbourhoods | thermal discomfort and heat-health risk in
            metropolitan districts;
        mangrove blue-carbon stocks | carbon sequestration by coastal wetland forests |
            sediment carbon storage in tidal mangroves | blue carbon accounting for intertidal
            vegetation;
        drought early warning for rice farming | forecasting dry spells for paddy
            agriculture | water scarcity alerts for lowland rice growers | predicting
            agricultural droughts in rice-growing provinces;
        landslide hazard on deforested slopes | slope failure susceptibility after logging |
            rainfall-triggered mass movements in mountainous catchments | debris flows and
            hillside collapse;
        peatland fire and haze emissions | transboundary smoke from burning tropical peat |
            smouldering peat combustion and air pollution | fire-prone drained swamp forests and
            regional haze
        """
    ),
    "energy": _subtopics(
        """
        perovskite-silicon tandem solar cells | multi-junction photovoltaics with halide
            perovskite top layers | stability of perovskite absorbers | next-generation
            high-efficiency solar modules;
        grid integration of variable renewables | balancing intermittent wind and solar on
            the power network | transmission system stability with high shares of renewable
            generation | flexibility for electricity networks dominated by weather-dependent
            supply;
        green hydrogen from biomass residues | producing renewable H2 by gasifying
            agricultural waste | electrolytic hydrogen powered by renewables | low-carbon
            hydrogen fuel pathways;
        sodium-ion battery storage | cathode materials for Na-ion cells | post-lithium
            rechargeable batteries using abundant sodium | electrochemical energy storage beyond
            lithium;
        microgrids for off-grid islands | standalone hybrid power systems for remote island
            communities | mini-grid electrification of isolated villages | displacing diesel
            generators in island electricity supply;
        energy-efficient building cooling | low-energy air conditioning for tropical
            buildings | passive and district cooling to cut electricity use in offices | thermal
            comfort with reduced chiller demand
        """
    ),
    "ai": _subtopics(
        """
        language models for low-resource Southeast Asian languages | natural language
            processing for under-resourced regional languages | multilingual text understanding
            for Thai, Lao and Khmer | pretrained transformers for languages with scarce corpora;
        trustworthy medical image diagnosis | deep learning for radiology scan
            interpretation | reliable computer-aided detection in chest X-rays | explainable
            classification of clinical imaging;
        crop disease detection from smartphone images | recognising plant pathogens in leaf
            photographs | mobile vision apps diagnosing infected crops | automated
            identification of pest damage on farm plants;
        traffic flow prediction | forecasting road congestion from sensor streams |
            spatiotemporal modelling of urban vehicle movement | travel-time estimation for city
            transport networks;
        speech recognition for regional languages | automatic transcription of spoken
            Vietnamese and Tagalog | acoustic models for accented and dialectal voice input |
            voice interfaces that understand local tongues;
        privacy-preserving data sharing | learning from distributed health records without
            pooling them | secure collaborative model training across hospitals | differential
            privacy for sensitive datasets
        """
    ),
    "robotics": _subtopics(
        """
        agricultural harvesting robots | autonomous fruit-picking machines | robotic crop
            harvesters for plantations | mechanised picking of oil palm bunches with
            manipulators;
        assistive robots for elderly care | companion and support robots in nursing homes |
            robotic help for older adults living alone | care robotics for ageing populations;
        underwater inspection vehicles | autonomous submersibles for subsea structure
            surveys | remotely operated vehicles examining port piers and pipelines | marine
            robots for hull and reef inspection;
        autonomous drones for bridge inspection | UAV-based condition assessment of civil
            infrastructure | aerial robots detecting cracks in viaducts | unmanned aircraft
            surveying ageing bridges;
        rehabilitation exoskeletons | wearable robotic orthoses for stroke recovery |
            powered gait-assistance suits | robot-assisted physiotherapy of the lower limbs;
        robotic sorting of recyclable waste | automated separation of plastics on recycling
            lines | vision-guided pick-and-place for municipal refuse | intelligent material
            recovery facilities
        """
    ),
    "quantum": _subtopics(
        """
        quantum key distribution networks | entanglement-based secure key exchange over
            fibre | quantum-secured communication links | satellite QKD for unbreakable
            encryption;
        superconducting qubit control | microwave pulse shaping for transmon processors |
            improving coherence in Josephson-junction quantum bits | high-fidelity gates on
            superconducting circuits;
        diamond nitrogen-vacancy magnetometry | colour-centre sensors measuring weak
            magnetic fields | NV-centre quantum sensing of magnetism | spin defects in diamond
            as field probes;
        quantum algorithms for chemistry | variational eigensolvers for molecular energies |
            simulating reaction pathways on quantum computers | electronic-structure
            calculations with qubits;
        migration to quantum-safe cryptography | post-quantum public-key schemes |
            lattice-based encryption replacing RSA | preparing security infrastructure for
            future code-breaking machines;
        optical atomic clocks | ultra-precise timekeeping with laser-cooled atoms | optical
            lattice frequency standards | strontium and ytterbium clock transitions
        """
    ),
    "semiconductors": _subtopics(
        """
        gallium nitride power devices | GaN high-electron-mobility transistors for power
            conversion | wide-bandgap switches for efficient inverters | nitride power
            electronics;
        advanced chip packaging | chiplet integration and 3D stacking | fan-out wafer-level
            packaging of integrated circuits | interconnects and bonding for heterogeneous die
            assembly;
        transistors from two-dimensional materials | field-effect devices on molybdenum
            disulfide monolayers | atomically thin semiconductor channels | graphene and
            transition-metal dichalcogenide electronics;
        low-power edge AI chips | energy-efficient neural network accelerators | in-memory
            computing hardware for on-device inference | ultra-low-power processors running deep
            learning at the sensor;
        yield prediction in wafer fabrication | detecting defect patterns on silicon wafer
            maps | fab process analytics to reduce scrap | virtual metrology for manufacturing
            yield;
        recovery of critical metals from electronic waste | recycling gallium, indium and
            rare earths from discarded electronics | urban mining of printed circuit boards |
            hydrometallurgical extraction from end-of-life devices
        """
    ),
    "biotech": _subtopics(
        """
        dengue vector control | suppressing Aedes mosquito populations | Wolbachia releases
            to block arbovirus transmission | preventing mosquito-borne fever outbreaks;
        antimicrobial resistance surveillance | tracking drug-resistant bacteria in
            hospitals and farms | monitoring antibiotic resistance genes | genomic epidemiology
            of multidrug-resistant pathogens;
        heat-tolerant rice varieties | breeding paddy cultivars that withstand high
            temperatures | thermotolerance genes in Oryza sativa | climate-resilient rice
            germplasm;
        rapid point-of-care diagnostics | low-cost bedside tests for infections |
            paper-based lateral-flow assays | field-deployable molecular detection kits;
        aquaculture disease diagnostics | detecting shrimp and fish pathogens on farms |
            health management of farmed prawns | early detection of outbreaks in fish ponds;
        bioplastics from agricultural residues | biodegradable polymers made from crop waste
            | polyhydroxyalkanoate production from straw and bagasse | compostable packaging
            derived from biomass
        """
    ),
}

PLACES = (
    "Japan", "Brunei", "Cambodia", "Indonesia", "Lao PDR", "Malaysia", "Myanmar",
    "the Philippines", "Singapore", "Thailand", "Timor-Leste", "Viet Nam",
)  # fmt: skip

_PROPOSAL_TITLES = (
    "{A}: {method} {purpose}",
    "{Method} for {a} {purpose}",
    "Towards {a} through {method}",
    "{A} {purpose}",
)
_PROPOSAL_FOCUS = (
    "This project studies {b} with partners in {places}.",
    "Our teams in {places} will work on {b}, combining {method} with {method2}.",
    "The consortium from {places} addresses {b}, an open question for the region.",
)
_PUBLICATION_TITLES = (
    "{A}: evidence from {place}",
    "{Method} applied to {a}",
    "A review of {a}",
    "{A} in {place}: a {method} study",
    "Lessons on {a} from {place}",
    "New results on {a}",
)

Topic = tuple[str, int]  # (area code, sub-topic index)


@dataclass(frozen=True, slots=True)
class ExpertiseBenchmark:
    """Proposals and reviewer profiles with the sub-topics that make a reviewer relevant."""

    proposal_texts: tuple[str, ...]
    proposal_topics: tuple[Topic, ...]
    reviewer_texts: tuple[str, ...]
    reviewer_topics: tuple[frozenset[Topic], ...]

    def relevance(self) -> npt.NDArray[np.bool_]:
        """``[p, r]`` is true when reviewer ``r`` works on proposal ``p``'s sub-topic."""
        return np.array(
            [[t in topics for topics in self.reviewer_topics] for t in self.proposal_topics],
            dtype=bool,
        )


@dataclass(frozen=True, slots=True)
class RankingScores:
    precision_at_k: float
    mrr: float
    ndcg_at_k: float
    k: int
    proposals: int


@dataclass(frozen=True, slots=True)
class BackendScore:
    backend: str
    scores: RankingScores
    seconds_per_100_texts: float


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pick(options: Sequence[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _two_phrasings(topic: Topic, rng: np.random.Generator) -> tuple[str, str]:
    phrasings = SUBTOPICS[topic[0]][topic[1]]
    first, second = rng.choice(len(phrasings), size=2, replace=False)
    return phrasings[int(first)], phrasings[int(second)]


def _proposal(topic: Topic, rng: np.random.Generator) -> str:
    area = AREA_PHRASES[topic[0]]
    a, b = _two_phrasings(topic, rng)
    first, second = rng.choice(len(area.methods), size=2, replace=False)
    method, method2 = area.methods[int(first)], area.methods[int(second)]
    purpose = _pick(area.purposes, rng)
    partners = [str(p) for p in rng.choice(PLACES[1:], size=int(rng.integers(1, 4)), replace=False)]
    places = join_names(["Japan", *partners])
    title = _pick(_PROPOSAL_TITLES, rng).format(
        A=_cap(a), a=a, Method=_cap(method), method=method, purpose=purpose
    )
    focus = _pick(_PROPOSAL_FOCUS, rng).format(b=b, places=places, method=method, method2=method2)
    outputs = join_names([str(o) for o in rng.choice(area.outputs, size=2, replace=False)])
    return " ".join(
        (f"{title}.", _pick(area.problems, rng), focus, f"Expected outputs include {outputs}.")
    )


def _publications(topic: Topic, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` titles on ``topic`` in the one or two phrasings this author happens to use, so
    a reviewer's words need not be the proposal's."""
    area = AREA_PHRASES[topic[0]]
    phrasings = SUBTOPICS[topic[0]][topic[1]]
    own = rng.choice(len(phrasings), size=int(rng.integers(1, 3)), replace=False)
    titles = []
    for _ in range(count):
        a = phrasings[int(rng.choice(own))]
        method = _pick(area.methods, rng)
        titles.append(
            _pick(_PUBLICATION_TITLES, rng).format(
                A=_cap(a), a=a, Method=_cap(method), method=method, place=_pick(PLACES, rng)
            )
        )
    return titles


def _profile(topics: Sequence[Topic], rng: np.random.Generator) -> str:
    main, *other = topics
    titles = _publications(main, int(rng.integers(2, 5)), rng)
    for topic in other:
        titles += _publications(topic, int(rng.integers(1, 3)), rng)
    area = AREA_PHRASES[main[0]]
    titles.append(f"{_cap(_pick(area.methods, rng))} {_pick(area.purposes, rng)}")
    order = rng.permutation(len(titles))
    return "Publications: " + "; ".join(titles[int(i)] for i in order) + "."


def all_topics() -> tuple[Topic, ...]:
    return tuple((area, i) for area in AREA_CODES for i in range(len(SUBTOPICS[area])))


def expertise_benchmark(*, proposals: int, reviewers: int, seed: int) -> ExpertiseBenchmark:
    """A labelled set; the same arguments give the same texts. Every sub-topic is some
    reviewer's main one when ``reviewers`` is at least the number of sub-topics (42)."""
    rng = np.random.default_rng(seed)
    topics = all_topics()
    reviewer_topics: list[frozenset[Topic]] = []
    reviewer_texts: list[str] = []
    for r in range(reviewers):
        main = topics[r % len(topics)]
        chosen = [main]
        if rng.random() < 0.5:
            same_area = [t for t in topics if t[0] == main[0] and t != main]
            pool = same_area if rng.random() < 0.5 else [t for t in topics if t[0] != main[0]]
            chosen.append(pool[int(rng.integers(len(pool)))])
        reviewer_topics.append(frozenset(chosen))
        reviewer_texts.append(_profile(chosen, rng))
    shuffle = rng.permutation(reviewers)
    proposal_topics = [topics[int(i)] for i in rng.integers(len(topics), size=proposals)]
    return ExpertiseBenchmark(
        proposal_texts=tuple(_proposal(t, rng) for t in proposal_topics),
        proposal_topics=tuple(proposal_topics),
        reviewer_texts=tuple(reviewer_texts[int(i)] for i in shuffle),
        reviewer_topics=tuple(reviewer_topics[int(i)] for i in shuffle),
    )


def ranking_scores(scores: npt.ArrayLike, relevant: npt.ArrayLike, *, k: int = 5) -> RankingScores:
    """Mean precision@k, MRR and NDCG@k over the rows of ``scores`` (higher ranks first; ties
    keep column order), with binary ``relevant``. Rows with no relevant column are skipped."""
    s = np.asarray(scores, dtype=np.float64)
    rel = np.asarray(relevant, dtype=bool)
    if s.shape != rel.shape or s.ndim != 2:
        raise ValueError(f"scores {s.shape} and relevant {rel.shape} must be equal 2-d shapes")
    if not 1 <= k <= s.shape[1]:
        raise ValueError(f"k={k} must lie between 1 and the number of columns {s.shape[1]}")
    rows = np.flatnonzero(rel.any(axis=1))
    order = np.argsort(-s[rows], axis=1, kind="stable")
    hits = np.take_along_axis(rel[rows], order, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.array([discounts[: min(k, int(n))].sum() for n in hits.sum(axis=1)])
    return RankingScores(
        precision_at_k=float(hits[:, :k].mean(axis=1).mean()) if len(rows) else math.nan,
        mrr=float((1.0 / (hits.argmax(axis=1) + 1)).mean()) if len(rows) else math.nan,
        ndcg_at_k=float(((hits[:, :k] @ discounts) / ideal).mean()) if len(rows) else math.nan,
        k=k,
        proposals=len(rows),
    )


def evaluate_backend(
    backend: SimilarityBackend,
    benchmark: ExpertiseBenchmark,
    *,
    k: int = 5,
    clock: Callable[[], float] = time.perf_counter,
) -> BackendScore:
    """Rank every reviewer for every proposal by cosine similarity and score the rankings.

    The time covers one :func:`affinity` call (preparing the backend, which for TF-IDF is the
    fit, and embedding every proposal and reviewer text once), reported per 100 texts."""
    started = clock()
    similarity = affinity(backend, benchmark.proposal_texts, benchmark.reviewer_texts)
    seconds = clock() - started
    texts = len(benchmark.proposal_texts) + len(benchmark.reviewer_texts)
    return BackendScore(
        backend=backend.name,
        scores=ranking_scores(similarity, benchmark.relevance(), k=k),
        seconds_per_100_texts=100.0 * seconds / max(texts, 1),
    )


#: (language, anchor, a text on the same subject, a text on another) in scripts written with
#: and without spaces between words, and a personal name with and without Vietnamese accents.
MULTILINGUAL_PROBE: tuple[tuple[str, str, str, str], ...] = (
    ("Thai", "การพยากรณ์น้ำท่วมชายฝั่ง", "ความเสี่ยงน้ำท่วมในเมืองชายฝั่ง", "คอมพิวเตอร์ควอนตัมตัวนำยิ่งยวด"),
    ("Vietnamese", "dự báo lũ lụt ven biển", "rủi ro lũ lụt ở các thành phố ven biển",
     "máy tính lượng tử siêu dẫn"),
    ("Khmer", "ការព្យាករណ៍ទឹកជំនន់", "ហានិភ័យទឹកជំនន់នៅទីក្រុង", "កុំព្យូទ័រកង់ទិច"),
    ("Lao", "ການພະຍາກອນນ້ຳຖ້ວມ", "ຄວາມສ່ຽງນ້ຳຖ້ວມໃນເມືອງ", "ຄອມພິວເຕີຄວອນຕຳ"),
    ("Burmese", "ရေကြီးခြင်းခန့်မှန်းချက်", "မြို့ပြရေကြီးခြင်းအန္တရာယ်", "ကွမ်တမ်ကွန်ပျူတာ"),
    ("Japanese", "沿岸都市の洪水リスク", "洪水予測と沿岸防災", "超伝導量子コンピュータ"),
    ("name", "Nguyễn Thị Lan, Chulalongkorn University", "Dr Nguyen Thi Lan (Hanoi)",
     "Somchai Wongsakul, Kasetsart University"),
)  # fmt: skip


def multilingual_wins(backend: SimilarityBackend) -> list[str]:
    """The probe languages in which ``backend`` scores the related text strictly above the
    unrelated one."""
    wins = []
    for language, anchor, related, unrelated in MULTILINGUAL_PROBE:
        scores = affinity(backend, [anchor], [related, unrelated])
        if scores[0, 0] > scores[0, 1]:
            wins.append(language)
    return wins
